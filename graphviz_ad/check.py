"""Gradient checking: reverse mode against central finite differences, for the whole function and for
each of your own primitives on its own.

A wrong hand-written derivative makes the whole gradient wrong but does not say where. Checking every
instance of a user primitive at the operand values recorded in the graph names the one to blame.
"""

import inspect
import math
from dataclasses import dataclass

import numpy as np

from .diagnose import Finding, Report, short_number, table_lines
from .json_values import json_data
from .errors import GraphvizAdError
from .ops.core import PRIMITIVES
from .ops.core import primitive as _declare
from .arguments import bind, float_leaves, map_tree
from .trace import trace


def primitive(name, **rules):
    """Declare your own op and its derivative, as the built-in ops are declared; `check` then tests it.

    Takes the arguments of `graphviz_ad.ops.core.primitive` (`deriv=` for elementwise ops, `vjp=` or
    `vjp_argnum=` for others, `formula=`, `display=`, ...). The op is marked `user=True`. Declaring a
    name again replaces your earlier declaration (re-running a notebook cell); a built-in name is refused.

    Example:
        >>> import numpy as np
        >>> @primitive("my_cube", deriv=lambda ans, x: 3 * x**2, formula="3*{x}^2")
        ... def my_cube(x):
        ...     return x**3
        >>> float(my_cube(2.0))
        8.0
    """
    old = PRIMITIVES.get(name)
    if old is not None and not getattr(old, "user", False):
        raise GraphvizAdError(f"primitive {name!r} is a built-in op; give yours another name")

    def wrap(fun):
        PRIMITIVES.pop(name, None)
        prim = _declare(name, **rules)(fun)
        prim.user = True
        return prim
    return wrap


@dataclass(frozen=True)
class InputCheck:
    """Reverse mode against finite differences for one input of the function."""

    name: str
    node: int
    ad: object
    fd: object
    max_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class PrimitiveCheck:
    """One user-primitive instance's VJP against finite differences of its own forward, for one operand."""

    op: str
    node: int
    argnum: int
    edge: tuple
    source: str
    code: str
    max_error: float
    rel_error: float
    ok: bool
    note: str = ""


class CheckReport(Report):
    """What `check` found; `render(G, highlight=report)` marks a wrong derivative's edge.

    Attributes:
        graph: the traced graph.
        inputs: list of InputCheck, one per differentiated input.
        primitives: list of PrimitiveCheck, one per user-primitive instance and operand.
        ok: True when every check passed.
    """

    def __init__(self, graph, inputs, primitives):
        self.inputs = inputs
        self.primitives = primitives
        super().__init__(graph, _findings(graph, inputs, primitives))

    @property
    def ok(self):
        return all(c.ok for c in self.inputs) and all(c.ok is not False for c in self.primitives)

    def to_dict(self):
        return json_data({"ok": self.ok, "findings": [f.to_dict() for f in self.findings],
                       "inputs": [{"name": c.name, "node": c.node, "max_error": c.max_error,
                                   "rel_error": c.rel_error, "ok": c.ok} for c in self.inputs],
                       "primitives": [{"op": c.op, "node": c.node, "argnum": c.argnum, "edge": list(c.edge),
                                       "source": c.source, "max_error": c.max_error,
                                       "rel_error": c.rel_error, "ok": c.ok, "note": c.note}
                                      for c in self.primitives]})

    def table(self):
        rows = [("input", c.name, "", short_number(c.max_error), short_number(c.rel_error), _ok(c.ok)) for c in self.inputs]
        rows += [(f"op {c.op}", f"node {c.node} arg {c.argnum}", c.source, short_number(c.max_error),
                  short_number(c.rel_error), _ok(c.ok) + (f" ({c.note})" if c.note else "")) for c in self.primitives]
        lines = table_lines(("check", "what", "where", "max error", "rel error", "result"), rows)
        lines += [""] + [f"{f.level}: {f.message}" + (f"  [{f.source}]" if f.source else "")
                         for f in self.findings]
        lines.append("all gradients agree with finite differences" if self.ok else "gradient check FAILED")
        return "\n".join(lines)


def check(fun, *args, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, max_elements=100, random_seed=0, **kwargs):
    """Compare reverse mode with central finite differences, for every input and every user primitive.

    The whole-function check differentiates `sum(seed * fun(...))` (the scalar output itself, usually)
    with respect to each element of each differentiated argument. Each instance of a primitive declared
    with `graphviz_ad.primitive` is then checked on its own: its forward is re-run at the operand values
    recorded in the graph and its VJP, applied to a random cotangent, is compared with finite differences.
    A mismatch there names the op, its source line and the relative error, and marks its edge.

    Args:
        fun, *args, **kwargs: the function and the point, as for `trace`.
        wrt: the arguments to differentiate (default: every float-valued one).
        eps: the finite-difference step, relative to max(1, |x|).
        rtol, atol: a check passes when max|ad - fd| <= atol + rtol * max(|ad|, |fd|) plus the
            finite differences' own rounding error.
        max_elements: check at most this many elements per array operand (a seeded random subset).
        random_seed: seeds the random cotangents and subsets.

    Returns:
        CheckReport: `ok`, the per-input and per-primitive results, and "wrong_derivative" findings.

    Raises:
        GraphvizAdError: the arguments cannot be matched to the traced inputs.
    """
    if not (0 < eps < math.inf and 0 <= rtol < math.inf and 0 <= atol < math.inf) or \
            not isinstance(max_elements, int) or max_elements < 1:
        raise GraphvizAdError("check: eps must be > 0 and finite, rtol and atol >= 0 and finite, "
                              "max_elements a positive integer")
    G = trace(fun, *args, wrt=wrt, **kwargs)
    rng = np.random.default_rng(random_seed)
    bound = bind(fun, args, kwargs)
    leaves = {}
    for name, value in bound.arguments.items():
        leaves.update(float_leaves(value, name))
    out_seed = G.graph.get("seed", 1.0)

    def scalar(replaced):
        arguments = {name: map_tree(value, name, lambda n, v: replaced.get(n, v)) if replaced else value
                     for name, value in bound.arguments.items()}
        with np.errstate(all="ignore"):
            call_args, call_kwargs = bound.call(arguments)
            out = fun(*call_args, **call_kwargs)
        return float(np.sum(np.asarray(out, dtype=float) * out_seed))

    inputs = []
    for n in G.graph["inputs"]:
        d = G.nodes[n]
        if d["op"] != "input":
            continue
        if d["name"] not in leaves:
            raise GraphvizAdError(f"check: cannot find the traced input {d['name']!r} among the arguments")
        value = leaves[d["name"]]
        fd, picked = _finite_differences(lambda v: scalar({d["name"]: v}), value, eps, max_elements, rng)
        ad = np.ravel(np.asarray(d["grad"], dtype=float))[picked]
        inputs.append(InputCheck(d["name"], n, d["grad"], fd, *_compare(ad, fd, scalar({}), eps, rtol, atol)))
    prims = []
    for n, d in G.nodes(data=True):
        prim = PRIMITIVES.get(d["op"])
        if prim is not None and getattr(prim, "user", False):
            prims += _check_instance(G, n, prim, eps, rtol, atol, max_elements, rng)
    return CheckReport(G, inputs, prims)


def _check_instance(G, n, prim, eps, rtol, atol, max_elements, rng):
    """Check one user-primitive node: its VJP for every operand, by finite differences of its forward."""
    d = G.nodes[n]
    args = {}
    edges = {}
    for p, _, e in G.in_edges(n, data=True):
        for k in (e["argnum"] if isinstance(e["argnum"], tuple) else (e["argnum"],)):
            args[k] = G.nodes[p]["value"]
            edges[k] = (p, n)
    kwargs = {}
    for key, value in (d.get("params") or {}).items():   # positional plain values are "arg<k>"
        if key.startswith("arg") and key[3:].isdigit():
            args[int(key[3:])] = value
        else:
            kwargs[key] = value
    nargs = prim.nargs if prim.nargs >= 0 else max(args, default=-1) + 1
    site = dict(op=d["op"], node=n, source=d.get("source", ""), code=d.get("code", ""))
    names = _parameter_names(prim.fun)
    by_keyword = {k for k in range(nargs) if k < len(names) and names[k] in kwargs}
    missing = [k for k in range(nargs) if k not in args and k not in by_keyword]
    if missing or sorted(args) != list(range(len(args))):
        k = missing[0] if missing else max(args)
        return [PrimitiveCheck(argnum=k, edge=(), max_error=math.nan, rel_error=math.nan, ok=None,
                               note=f"argument {k} is not in the graph, so {d['op']} cannot be re-run; "
                               "pass plain values to it as keyword arguments (kept in the node's params)",
                               **site)]
    nargs = len(args)
    args = [args[k] for k in range(nargs)]
    ans = d["value"]
    cotangent = rng.standard_normal(np.shape(ans))

    def projected(k, v):
        with np.errstate(all="ignore"):
            out = prim.fun(*args[:k], v, *args[k + 1:], **kwargs)
        return float(np.sum(np.asarray(out, dtype=float) * cotangent))

    checks = []
    for k in range(nargs):
        if not prim.differentiable(k) or np.asarray(args[k]).dtype.kind != "f":
            continue
        with np.errstate(all="ignore"):
            vjp = np.ravel(np.asarray(prim.vjp(k, cotangent, ans, args, kwargs), dtype=float))
        fd, picked = _finite_differences(lambda v: projected(k, v), args[k], eps, max_elements, rng)
        if vjp.size != np.size(args[k]):
            checks.append(PrimitiveCheck(argnum=k, edge=edges[k], max_error=math.inf, rel_error=math.inf,
                                         ok=False, note=f"VJP has {vjp.size} elements, the operand "
                                         f"{np.size(args[k])}", **site))
            continue
        errors = _compare(vjp[picked], fd, projected(k, args[k]), eps, rtol, atol)
        checks.append(PrimitiveCheck(argnum=k, edge=edges[k], max_error=errors[0], rel_error=errors[1],
                                     ok=errors[2], **site))
    return checks


def _parameter_names(fun):
    try:
        return list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):   # a builtin or ufunc: positions only
        return []


def _finite_differences(f, value, eps, max_elements, rng):
    """Central differences of scalar f at `value`, for up to max_elements elements (a seeded subset)."""
    x = np.array(value, dtype=float)
    flat = x.ravel()
    picked = np.arange(flat.size)
    if flat.size > max_elements:
        picked = np.sort(rng.choice(flat.size, max_elements, replace=False))
    out = np.empty(picked.size)
    for i, j in enumerate(picked):
        h = eps * max(1.0, abs(flat[j]))
        keep = flat[j]
        flat[j] = keep + h
        up = f(_like(x, value))
        flat[j] = keep - h
        down = f(_like(x, value))
        flat[j] = keep
        out[i] = (up - down) / (2 * h)
    return out, picked


def _compare(ad, fd, f_value, eps, rtol, atol):
    """(max error, relative error, ok): ok allows for the differences' rounding, ~1e-16 |f| / eps."""
    ad, fd = np.asarray(ad, dtype=float), np.asarray(fd, dtype=float)
    if ad.size == 0:
        return 0.0, 0.0, True
    if not (np.all(np.isfinite(ad)) and np.all(np.isfinite(fd))):
        same = np.array_equal(np.isnan(ad), np.isnan(fd)) and np.allclose(ad, fd, equal_nan=True)
        return math.nan, math.nan, bool(same)
    error = float(np.max(np.abs(ad - fd)))
    scale = float(max(np.max(np.abs(ad)), np.max(np.abs(fd))))
    rounding = 10 * np.finfo(float).eps * abs(f_value) / eps if math.isfinite(f_value) else 0.0
    floor = max(scale, rounding / max(rtol, 1e-300))   # below the rounding, a relative error means nothing
    return error, error / floor if floor > 0 else error, bool(error <= atol + rtol * scale + rounding)


def _findings(G, inputs, prims):
    findings = []
    for c in prims:
        if c.ok is False:
            u = G.nodes[c.edge[0]]["name"] if c.edge else "?"
            findings.append(Finding(
                "wrong_derivative", f"the derivative of {c.op} with respect to argument {c.argnum} ({u}) is "
                f"wrong: its VJP differs from finite differences by {short_number(c.rel_error)} (relative)"
                + (f"; {c.note}" if c.note else ""),
                nodes=(c.node,), edges=(c.edge,) if c.edge else (), source=c.source, code=c.code,
                figures={"op": c.op, "argnum": c.argnum, "rel_error": c.rel_error, "max_error": c.max_error}))
    if not findings:
        for c in inputs:
            if not c.ok:
                d = G.nodes[c.node]
                findings.append(Finding(
                    "wrong_derivative", f"reverse mode disagrees with finite differences at {c.name} by "
                    f"{short_number(c.rel_error)} (relative); no user primitive is to blame: a kink (relu, abs at 0), "
                    "a discontinuity, or a built-in rule",
                    nodes=(c.node,), source=d.get("source", ""), code=d.get("code", ""),
                    figures={"rel_error": c.rel_error, "max_error": c.max_error}))
    return findings


# ---------------------------------------------------------------------------------------------------
# Perturbed copies of the arguments' float leaves (found and named by arguments.float_leaves).

def _like(x, original):
    """The perturbed copy in the original's type: a float stays a float, an array a fresh array."""
    if isinstance(original, float):
        return float(x)
    if isinstance(original, np.floating):
        return original.dtype.type(x)
    return x.copy()


def _ok(ok):
    return "skipped" if ok is None else "ok" if ok else "WRONG"
