"""Run a function on traced values: `trace` builds the annotated graph, `grad` just the gradient.

Both share one recording path (tracer.Tape) and one reverse pass (autodiff.backward). `grad` skips
everything a picture needs (source lines, constant nodes, the networkx graph), which keeps it fast.
"""

import functools
import inspect
import linecache
import os
import sys
import warnings

import networkx as nx
import numpy as np

from .autodiff import backward, vjp_of_ones
from .errors import GradError, GraphvizAdError, GraphvizAdWarning
from .graph import Graph
from .primitives import expression
from .tracer import Tape, Traced, _assigned_name

_NAME_LIMIT = 20   # longer expressions are named by their op instead


# ---------------------------------------------------------------------------------------------------
# Public entry points.

def trace(fun, *args, wrt=None, seed=None, **kwargs):
    """Trace `fun(*args, **kwargs)` and run reverse mode from its output.

    Args:
        fun: a Python function over floats, numpy arrays, or lists/tuples/dicts of them.
        *args, **kwargs: the point to trace at.
        wrt: the argument name(s) to differentiate; default every float-valued argument. The other
            float-valued arguments become "const" nodes.
        seed: the gradient given to the output; default 1 for a scalar output, ones for an array
            (the sum of its elements is differentiated). `G.graph["seed_rule"]` records which.

    Returns:
        Graph: a networkx.DiGraph with the attributes of docs/graph-contract.md.

    Raises:
        TraceError: an operation cannot be traced (the message names it and your file:line).

    Example:
        >>> import numpy as np
        >>> G = trace(lambda x: np.sin(x**2), 1.0)
        >>> round(G.grad_of("x"), 6) == round(2 * np.cos(1.0), 6)
        True
    """
    bound = _bind(fun, args, kwargs)
    wrt_names = _wrt_names(bound, wrt)
    tape = Tape(record_source=True, lift_constants=True)
    new_arguments = {}
    for name, value in bound.arguments.items():
        new_arguments[name] = _box(tape, value, name, name in wrt_names, explicit=False)
    call_args, call_kwargs = _rebind(bound, new_arguments)
    leaves = [i for i, p in enumerate(tape.prims) if p is None]
    with np.errstate(all="ignore"):
        out = _run(tape, fun, call_args, call_kwargs)
        if type(out) is not Traced:
            _check_single(out, fun)
            warnings.warn(f"{_fun_name(fun)}: output does not depend on the inputs; every gradient is zero",
                          GraphvizAdWarning, stacklevel=2)
            out = tape.leaf(out, "output", False)
        seed, seed_rule = _seed(out.value, seed)
        grads, flows = backward(tape, out.node, seed, keep_flows=True)
        G = _build_graph(tape, grads, flows, out.node, leaves)
    code = getattr(fun, "__code__", None)
    for node in G.graph["inputs"]:   # arguments are created where the function is defined
        G.nodes[node].update(
            source=f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}" if code else "",
            code=linecache.getline(code.co_filename, code.co_firstlineno).strip() if code else "",
            scope=(_fun_name(fun),))
    G.graph.update(function=_fun_name(fun), wrt=[n for n in bound.arguments if n in wrt_names],
                   seed=_plain_value(seed), seed_rule=seed_rule)
    for node in G.graph["inputs"]:
        data = G.nodes[node]
        if data["op"] == "input" and node != G.graph["output"] and not nx.has_path(G, node, G.graph["output"]):
            warnings.warn(f"{_fun_name(fun)}: output does not depend on input {data['name']!r}; "
                          "its gradient is zero", GraphvizAdWarning, stacklevel=2)
    return G


def grad(fun, argnum=0):
    """The gradient of scalar-valued `fun` with respect to argument(s) `argnum`.

    As in HIPS autograd and JAX: `grad(f)(x)` has x's structure, shapes and float dtype; a tuple
    `argnum` gives a tuple of gradients.

    Example:
        >>> import numpy as np
        >>> float(grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))[1])
        4.0
    """
    value_and_grad_fun = value_and_grad(fun, argnum)

    @functools.wraps(fun)
    def gradient(*args, **kwargs):
        return value_and_grad_fun(*args, **kwargs)[1]
    return gradient


def value_and_grad(fun, argnum=0):
    """Like `grad`, but the function returns `(fun(*args), gradient)` from one forward pass."""
    argnums = argnum if isinstance(argnum, tuple) else (argnum,)

    @functools.wraps(fun)
    def value_and_gradient(*args, **kwargs):
        for k in argnums:
            if not isinstance(k, int) or not -len(args) <= k < len(args):
                raise GradError(f"{_fun_name(fun)}: argnum {k!r} does not name one of its "
                                f"{len(args)} positional argument(s)")
        tape = Tape()
        call_args = list(args)
        leaf_lists = []
        for k in argnums:
            before = len(tape.values)
            call_args[k] = _box(tape, args[k], f"arg{k}", True, explicit=True)
            leaf_lists.append(list(range(before, len(tape.values))))
        out = _run(tape, fun, call_args, kwargs)
        if type(out) is not Traced:
            _check_single(out, fun)
            warnings.warn(f"{_fun_name(fun)}: output does not depend on the inputs; the gradient is zero",
                          GraphvizAdWarning, stacklevel=2)
            grads = [None] * len(tape.values)
            value = out
        else:
            value = out.value
            if np.size(value) != 1:
                raise GradError(f"{_fun_name(fun)}: grad needs a scalar output, got shape {np.shape(value)}; "
                                "reduce it (np.sum, np.mean) or use trace(..., seed=...)")
            grads, _ = backward(tape, out.node, np.ones_like(value, dtype=_float_dtype(value)))
        missing = [tape.names[i] for leaves in leaf_lists for i in leaves if grads[i] is None]
        if missing and type(out) is Traced:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on {', '.join(missing)}; "
                          "gradient is zero there", GraphvizAdWarning, stacklevel=2)
        results = tuple(_unbox_grads(args[k], iter(leaves), tape, grads)
                        for k, leaves in zip(argnums, leaf_lists))
        return _plain_value(value), (results if isinstance(argnum, tuple) else results[0])
    return value_and_gradient


# ---------------------------------------------------------------------------------------------------
# Arguments in, gradients out.

def _bind(fun, args, kwargs):
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except ValueError:   # no signature (a builtin): positional names arg0, arg1, ...
        return _Positional(args, kwargs)
    except TypeError as e:
        raise GraphvizAdError(f"{_fun_name(fun)}: {e}") from None
    bound.apply_defaults()
    return bound


class _Positional:
    """Stands in for inspect.BoundArguments when a callable has no signature."""

    def __init__(self, args, kwargs):
        self.arguments = {f"arg{i}": a for i, a in enumerate(args)}
        self.arguments.update(kwargs)
        self.npos = len(args)


def _rebind(bound, arguments):
    if isinstance(bound, _Positional):
        values = list(arguments.values())
        return values[:bound.npos], dict(list(arguments.items())[bound.npos:])
    args, kwargs = [], {}
    for name, param in bound.signature.parameters.items():
        if name not in arguments:
            continue
        value = arguments[name]
        if param.kind is param.VAR_POSITIONAL:
            args.extend(value)
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(value)
        elif param.kind is param.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return args, kwargs


def _wrt_names(bound, wrt):
    if wrt is None:
        return {name for name, value in bound.arguments.items() if _has_float(value)}
    names = {wrt} if isinstance(wrt, str) else set(wrt)
    unknown = sorted(names - set(bound.arguments))
    if unknown:
        raise GraphvizAdError(f"wrt names {unknown} are not arguments; the arguments are "
                              f"{list(bound.arguments)}")
    return names


def _is_float(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.floating)) and value.dtype.kind == "f"


def _has_float(value):
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return _is_float(value)


def _box(tape, value, name, requires, explicit):
    """Replace the float leaves of an argument by traced values (inputs, or constants)."""
    if isinstance(value, (list, tuple)):
        boxed = [_box(tape, v, f"{name}[{i}]", requires, explicit) for i, v in enumerate(value)]
        return type(value)(*boxed) if hasattr(value, "_fields") else type(value)(boxed)
    if isinstance(value, dict):
        return {k: _box(tape, v, f"{name}[{k!r}]", requires, explicit) for k, v in value.items()}
    if _is_float(value):
        return tape.leaf(value if isinstance(value, float) else np.array(value, copy=True), name, requires)
    if explicit and isinstance(value, (int, np.integer, np.ndarray)) and np.asarray(value).dtype.kind in "iu":
        return tape.leaf(float(value) if isinstance(value, int) else np.asarray(value, dtype=float),
                         name, requires)
    if explicit and not isinstance(value, Traced):
        raise GradError(f"argument {name} is a {type(value).__name__}, which has no gradient; "
                        "pass floats, numpy float arrays, or lists/tuples/dicts of them")
    return value


def _unbox_grads(value, leaves, tape, grads):
    if isinstance(value, (list, tuple)):
        out = [_unbox_grads(v, leaves, tape, grads) for v in value]
        return type(value)(*out) if hasattr(value, "_fields") else type(value)(out)
    if isinstance(value, dict):
        return {k: _unbox_grads(v, leaves, tape, grads) for k, v in value.items()}
    i = next(leaves)
    return _finalize(grads[i], value)


def _finalize(g, like):
    """A gradient in the shape and float dtype of `like` (zeros when none arrived)."""
    dtype = _float_dtype(like)
    if g is None:
        g = np.zeros(np.shape(like), dtype=dtype)
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return float(np.reshape(g, ()))
    if isinstance(like, np.generic):
        return dtype.type(np.reshape(g, ()))
    return np.array(np.broadcast_to(g, np.shape(like)), dtype=dtype)


def _float_dtype(value):
    dtype = np.result_type(value)
    return dtype if dtype.kind == "f" else np.dtype(float)


def _plain_value(value):
    if isinstance(value, np.ndarray) and value.ndim == 0 or isinstance(value, np.generic):
        return float(value) if np.result_type(value).kind in "fiub" else value
    return value


def _check_single(out, fun):
    if isinstance(out, (tuple, list, dict)):
        raise GradError(f"{_fun_name(fun)} returned a {type(out).__name__}; return one value "
                        "(a float or an array) to differentiate")


def _seed(value, seed):
    shape = np.shape(value)
    dtype = _float_dtype(value)
    if seed is not None:
        seed = np.asarray(seed, dtype=dtype)
        if seed.shape != shape:
            raise GradError(f"seed has shape {seed.shape}, the output has shape {shape}")
        return (float(seed) if not shape else seed), "given"
    if np.size(value) == 1:
        return (1.0 if not shape else np.ones(shape, dtype=dtype)), "scalar"
    return np.ones(shape, dtype=dtype), "sum"


def _run(tape, fun, args, kwargs):
    tape.root_frame = sys._getframe()
    try:
        return fun(*args, **kwargs)
    finally:
        tape.root_frame = None


def _fun_name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


# ---------------------------------------------------------------------------------------------------
# Tape -> networkx graph.

def _build_graph(tape, grads, flows, output, leaves):
    """The contract's graph: the output's ancestors plus every argument, renumbered in trace order."""
    keep = [False] * len(tape.values)
    keep[output] = True
    for i in leaves:
        keep[i] = True
    for node in range(output, -1, -1):
        if keep[node] and tape.prims[node] is not None:
            for p in tape.parents[node]:
                if p is not None:
                    keep[p] = True
    new_id = {}
    for i, k in enumerate(keep):
        if k:
            new_id[i] = len(new_id)

    names, precs = _names(tape, new_id)
    G = Graph()
    for i in new_id:
        prim = tape.prims[i]
        value = tape.values[i]
        requires = tape.requires[i]
        site = tape.sites[i] if tape.sites else (0, 0, "", 0, ())
        g = grads[i]
        if requires and g is None:
            g = np.zeros(np.shape(value), dtype=_float_dtype(value))
        if prim is None:
            op = "input" if requires else "const"
        else:
            op = prim.name
        G.add_node(new_id[i], op=op, name=names[i], display=prim.display if prim else names[i],
                   value=_node_value(value), grad=_node_value(g) if requires else None,
                   shape=tuple(np.shape(value)), dtype=str(np.result_type(value)),
                   requires_grad=bool(requires),
                   source=f"{os.path.basename(site[2])}:{site[3]}" if site[2] else "",
                   code=linecache.getline(site[2], site[3]).strip() if site[2] else "",
                   scope=site[4], params=dict(tape.kwargs[i]) if prim else {})
    for i in new_id:
        prim = tape.prims[i]
        if prim is None:
            continue
        by_parent = {}
        for argnum, p in enumerate(tape.parents[i]):
            if p is not None:
                by_parent.setdefault(p, []).append(argnum)
        for p, argnums in by_parent.items():
            G.add_edge(new_id[p], new_id[i], **_edge_data(tape, grads, flows, names, p, i, argnums))
    G.graph["inputs"] = [new_id[i] for i in leaves if tape.names[i] and i in new_id]
    G.graph["output"] = new_id[output]
    return G


def _edge_data(tape, grads, flows, names, parent, node, argnums):
    prim = tape.prims[node]
    ans, args, kwargs = tape.values[node], tape.args[node], tape.kwargs[node]
    slot_names = {slot: _operand_name(tape, names, node, k) for k, slot in zip(range(3), "xyz")}
    slot_names["ans"] = names[node]
    formula = " + ".join(prim.formula(k, slot_names, args, kwargs) for k in argnums)
    data = {"argnum": argnums[0] if len(argnums) == 1 else tuple(argnums), "formula": formula,
            "local_factor": None, "gain": None, "grad_flow": None}
    if not tape.requires[parent]:
        return data
    factors = [prim.local_factor(k, ans, args, kwargs) for k in argnums]
    if all(f is not None for f in factors):
        data["local_factor"] = _node_value(functools.reduce(lambda a, b: a + b, factors))
    flow = flows.get((parent, node))
    u = grads[node]
    if flow is None:
        flow = np.zeros(np.shape(tape.values[parent]))
    data["grad_flow"] = _node_value(flow)
    if isinstance(data["local_factor"], float) and np.ndim(tape.values[parent]) == 0:
        data["gain"] = abs(data["local_factor"])
    elif u is None or not np.any(u):
        ones_flow = sum(np.asarray(vjp_of_ones(prim, k, ans, args, kwargs), dtype=float) for k in argnums)
        data["gain"] = _norm(ones_flow) / np.sqrt(max(np.size(ans), 1))
    else:
        data["gain"] = _norm(flow) / _norm(u)
    return data


def _norm(a):
    return float(np.sqrt(np.sum(np.square(np.asarray(a, dtype=float)))))


def _node_value(v):
    if v is None:
        return None
    if type(v) is float:
        return v
    if np.ndim(v) == 0:
        return float(v) if np.result_type(v).kind in "fiub" else v
    return np.array(v)   # an owned, writable copy (broadcast views are neither)


def _operand_name(tape, names, node, argnum):
    parents = tape.parents[node]
    if argnum >= len(parents):
        return "?"
    p = parents[argnum]
    if p is not None:
        return names[p]
    arg = tape.args[node][argnum]
    if isinstance(arg, str):
        return repr(arg)
    return f"{float(arg):.4g}" if np.ndim(arg) == 0 and np.asarray(arg).dtype.kind in "fiub" else "mask"


def _names(tape, keep):
    """Readable names: argument names, assigned variables (u = np.sin(x)), else short expressions."""
    n = len(tape.values)
    names = [""] * n
    precs = [4] * n
    assigned = _assigned_names(tape)
    for i in range(n):
        prim = tape.prims[i]
        if prim is None:
            names[i] = tape.names[i]
            precs[i] = 2.5 if names[i].startswith("-") else 4
            continue
        if i in assigned:
            names[i] = assigned[i]
            continue
        operands = [names[p] if p is not None else _operand_name(tape, names, i, k)
                    for k, p in enumerate(tape.parents[i])]
        operand_precs = [precs[p] if p is not None else 4 for p in tape.parents[i]]
        text, prec = expression(prim, operands, operand_precs)
        if len(text) > _NAME_LIMIT:
            text, prec = prim.display, 4
        names[i], precs[i] = text, prec
    return names, precs


def _assigned_names(tape):
    """node -> variable name, for the last node each execution of an assignment line produced."""
    if not tape.sites:
        return {}
    out = {}
    last = None      # (node, key, lasti) of the current run
    for i, prim in enumerate(tape.prims):
        if prim is None:
            continue
        frame_id, lasti, filename, lineno, _ = tape.sites[i]
        key = (frame_id, filename, lineno)
        if last is not None and (key != last[1] or lasti < last[2]):
            _name_run_end(out, tape, last[0])
        last = (i, key, lasti)
    if last is not None:
        _name_run_end(out, tape, last[0])
    return out


def _name_run_end(out, tape, node):
    _, _, filename, lineno, scope = tape.sites[node]
    if filename and scope and scope[-1] != "<lambda>":
        name = _assigned_name(linecache.getline(filename, lineno).strip())
        if name:
            out[node] = name
