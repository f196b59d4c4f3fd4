"""Run a function on traced values: `trace` builds the annotated graph, `grad` just the gradient.

Both share one recording path (tracer.Tape) and one reverse pass (autodiff.backward). `grad` skips
everything a picture needs (source lines, constant nodes, the networkx graph), which keeps it fast.
"""

import ast
import functools
import gc
import inspect
import linecache
import os
import sys
import warnings

import numpy as np

from .autodiff import backward, vjp_of_ones
from .errors import GradError, GraphvizAdError, GraphvizAdWarning
from .graph import Graph
from .primitives import expression, is_atom
from .tracer import Tape, Traced

_NAME_LIMIT = 20   # longer expressions elide their operands, or are named by their op


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
        >>> bool(np.isclose(G.grad_of("x"), 2 * np.cos(1.0)))   # d/dx sin(x^2) = 2x cos(x^2)
        True
    """
    bound = _bind(fun, args, kwargs)
    wrt_names = _wrt_names(bound, wrt)
    linecache.checkcache()   # a file edited since it was last read (notebooks, docs servers) is read anew
    tape = Tape(record_source=True, lift_constants=True)
    new_arguments = {}
    for name, value in bound.arguments.items():
        new_arguments[name] = _box(tape, value, name, name in wrt_names, explicit=False)
    call_args, call_kwargs = _rebind(bound, new_arguments)
    leaves = list(tape.names)
    with np.errstate(all="ignore"):
        out = _run(tape, fun, call_args, call_kwargs)
        _check_output(out, fun)
        if type(out) is not Traced:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on the inputs; every gradient is zero",
                          GraphvizAdWarning, stacklevel=2)
            out = tape.leaf(out, "output", False)
        seed, seed_rule = _seed(out.value, seed)
        collecting = gc.isenabled()
        gc.disable()   # building makes many small dicts and no cycles: the collector would only rescan them
        try:
            grads, flows = backward(tape, out.node, seed, keep_flows=True)
            G = _build_graph(tape, grads, flows, out.node, leaves)
        finally:
            if collecting:
                gc.enable()
    code = getattr(fun, "__code__", None)
    for node in G.graph["inputs"]:   # arguments are created where the function is defined
        G.nodes[node].update(
            source=f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}" if code else "",
            code=linecache.getline(code.co_filename, code.co_firstlineno).strip() if code else "",
            scope=(_fun_name(fun),), scope_calls=(0,))
    G.graph.update(function=_fun_name(fun), wrt=[n for n in bound.arguments if n in wrt_names],
                   seed=_plain_value(seed), seed_rule=seed_rule)
    for i in leaves:   # no gradient arrived: no path from this input to the output
        if tape.entries[i][5] and grads[i] is None:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on input {tape.names[i]!r}; "
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
            before = len(tape.entries)
            call_args[k] = _box(tape, args[k], f"arg{k}", True, explicit=True)
            leaf_lists.append(list(range(before, len(tape.entries))))
        out = _run(tape, fun, call_args, kwargs)
        _check_output(out, fun)
        if type(out) is not Traced:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on the inputs; the gradient is zero",
                          GraphvizAdWarning, stacklevel=2)
            grads = [None] * len(tape.entries)
            value = out
        else:
            value = out.value
            if np.size(value) != 1:
                raise GradError(f"{_fun_name(fun)}: grad needs a scalar output, got shape {np.shape(value)}; "
                                "reduce it (np.sum, np.mean) or use trace(..., seed=...)")
            grads, _ = backward(tape, out.node, _seed(value, None)[0])
        missing = [tape.names[i] for leaves in leaf_lists for i in leaves if grads[i] is None]
        if missing and type(out) is Traced:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on {', '.join(missing)}; "
                          "gradient is zero there", GraphvizAdWarning, stacklevel=2)
        given = set()
        results = tuple(_unbox_grads(args[k], iter(leaves), grads, given)
                        for k, leaves in zip(argnums, leaf_lists))
        return _plain_value(value), (results if isinstance(argnum, tuple) else results[0])
    return value_and_gradient


# ---------------------------------------------------------------------------------------------------
# Arguments in, gradients out.

def _bind(fun, args, kwargs):
    if not (inspect.isfunction(fun) or inspect.ismethod(fun)):   # numpy ufuncs, builtins: positional
        return _Positional(args, kwargs)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except ValueError:   # a function whose signature cannot be read: positional names arg0, arg1, ...
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
        return {name for name, value in bound.arguments.items() if float_leaves(value, name)}
    names = {wrt} if isinstance(wrt, str) else set(wrt)
    unknown = sorted(names - set(bound.arguments))
    if unknown:
        raise GraphvizAdError(f"wrt names {unknown} are not arguments; the arguments are "
                              f"{list(bound.arguments)}")
    return names


def map_tree(value, name, fun):
    """`fun(name, leaf)` for every leaf of nested lists, tuples and dicts, in the same structure.

    Leaves are named as trace() names its inputs: "params[0]", "params['W1']".
    """
    if isinstance(value, (list, tuple)):
        items = [map_tree(v, f"{name}[{i}]", fun) for i, v in enumerate(value)]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, dict):
        return {k: map_tree(v, f"{name}[{k!r}]", fun) for k, v in value.items()}
    return fun(name, value)


def float_leaves(value, name):
    """{leaf name: leaf} for the float-valued leaves of an argument, in trace order."""
    found = {}
    map_tree(value, name, lambda n, v: found.__setitem__(n, v) if is_float(v) else None)
    return found


def is_float(value):
    """A Python float, or a numpy float scalar or array: what trace() differentiates by default."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.floating)) and value.dtype.kind == "f"


def _box(tape, value, name, requires, explicit):
    """Replace the float leaves of an argument by traced values (inputs, or constants)."""
    return map_tree(value, name, lambda n, v: _box_leaf(tape, v, n, requires, explicit))


def _box_leaf(tape, value, name, requires, explicit):
    if is_float(value):
        # trace() keeps the values it shows, so it copies arrays the caller might change later
        keep = tape.record_source and isinstance(value, np.ndarray)
        return tape.leaf(np.array(value, copy=True) if keep else value, name, requires)
    if explicit and isinstance(value, (int, np.integer, np.ndarray)) and np.asarray(value).dtype.kind in "iu":
        return tape.leaf(float(value) if isinstance(value, int) else np.asarray(value, dtype=float),
                         name, requires)
    if explicit and not isinstance(value, Traced):
        raise GradError(f"argument {name} is a {type(value).__name__}, which has no gradient; "
                        "pass floats, numpy float arrays, or lists/tuples/dicts of them")
    return value


def _unbox_grads(value, leaves, grads, given):
    return map_tree(value, "", lambda _, v: _finalize(grads[next(leaves)], v, given))


def _finalize(g, like, given):
    """A gradient in the shape and float dtype of `like` (zeros when none arrived).

    An array is copied only when it is not already a fresh, writable array of its own: `given`
    holds the ids of arrays handed out already, since one VJP term can reach two inputs (x + y).
    """
    dtype = _float_dtype(like)
    if g is None:
        g = np.zeros(np.shape(like), dtype=dtype)
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return float(np.reshape(g, ()))
    if isinstance(like, np.generic):
        return dtype.type(np.reshape(g, ()))
    if type(g) is np.ndarray and g.dtype == dtype and g.shape == np.shape(like) and g.flags.writeable:
        owner = id(g if g.base is None else g.base)   # broadcast views are read-only: never here
        if owner not in given:
            given.add(owner)
            return g
    return np.array(np.broadcast_to(g, np.shape(like)), dtype=dtype)


def _float_dtype(value):
    dtype = np.result_type(value)
    return dtype if dtype.kind == "f" else np.dtype(float)


def _plain_value(value):
    if isinstance(value, np.ndarray) and value.ndim == 0 or isinstance(value, np.generic):
        return float(value) if np.result_type(value).kind in "fiub" else value
    return value


def _check_output(out, fun):
    """The function's result must be one real number or array: say what came back otherwise."""
    value = out.value if type(out) is Traced else out
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return
    what = _returned(value)
    raise GradError(f"{_fun_name(fun)} returned {what}; it should return one float or numpy array of real "
                    "numbers computed from its inputs, to differentiate")


def _returned(value):
    """What a function returned, in words, for an error message."""
    if value is None:
        return "None (is a return statement missing?)"
    if isinstance(value, (tuple, list, dict)):
        return f"a {type(value).__name__} (return one value, e.g. the loss, not several)"
    if inspect.isgenerator(value):
        return "a generator (it uses yield; return the value instead)"
    if np.iscomplexobj(value) and isinstance(value, (complex, np.generic, np.ndarray)):
        return "a complex value (graphviz-ad traces real numbers only)"
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} (not numbers)"
    text = repr(value)
    return f"{text[:40] + '...' if len(text) > 40 else text} (of type {type(value).__name__})"


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
        tape.release_frames()


def _fun_name(fun):
    return getattr(fun, "__name__", type(fun).__name__)


# ---------------------------------------------------------------------------------------------------
# Tape -> networkx graph.

def _build_graph(tape, grads, flows, output, leaves):
    """The contract's graph: the output's ancestors plus every argument, renumbered in trace order."""
    entries = tape.entries
    keep = [False] * len(entries)
    keep[output] = True
    for i in leaves:
        keep[i] = True
    for node in range(output, -1, -1):
        if keep[node]:
            for p in entries[node][4]:
                if p is not None:
                    keep[p] = True
    new_id = {}
    for i, k in enumerate(keep):
        if k:
            new_id[i] = len(new_id)

    names = _names(tape)
    text = _SourceText()
    sites = tape.sites
    nodes, edges = [], []
    for i, j in new_id.items():
        prim, value, args, kwargs, parents, requires = entries[i]
        g = grads[i]
        if requires and g is None:
            g = np.zeros(np.shape(value), dtype=_float_dtype(value))
        filename, lineno, scope, frames = sites[i] if sites else ("", 0, (), ())
        nodes.append((j, {
            "op": prim.name if prim is not None else ("input" if requires else "const"),
            "name": names[i], "display": prim.display if prim is not None else names[i],
            "value": _node_value(value), "grad": _node_value(g) if requires else None,
            "shape": tuple(np.shape(value)), "dtype": _dtype_name(value), "requires_grad": bool(requires),
            "source": text.where(filename, lineno), "code": text.line(filename, lineno), "scope": scope,
            "scope_calls": tuple(frame[0] for frame in frames),
            "params": _params(args, kwargs, parents)}))
        if prim is None:
            continue
        if len(parents) == 1:
            by_parent = {parents[0]: [0]} if parents[0] is not None else {}
        else:
            by_parent = {}
            for argnum, p in enumerate(parents):
                if p is not None:
                    by_parent.setdefault(p, []).append(argnum)
        for p, argnums in by_parent.items():
            edges.append((new_id[p], j, _edge_data(tape, grads, flows, names, p, i, argnums)))
    G = Graph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    G.graph["inputs"] = [new_id[i] for i in leaves if i in new_id]
    G.graph["output"] = new_id[output]
    return G


def _params(args, kwargs, parents):
    """An op's static arguments: its keywords, and positional plain values as "arg<position>"."""
    params = {f"arg{k}": args[k] for k, p in enumerate(parents) if p is None}
    params.update(kwargs)
    return params


class _SourceText:
    """'file.py:LINE' and the line's text, looked up once per line."""

    def __init__(self):
        self._cache = {}

    def _get(self, filename, lineno):
        key = (filename, lineno)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (
                (f"{os.path.basename(filename)}:{lineno}", linecache.getline(filename, lineno).strip())
                if filename else ("", ""))
        return hit

    def where(self, filename, lineno):
        return self._get(filename, lineno)[0]

    def line(self, filename, lineno):
        return self._get(filename, lineno)[1]


_DTYPE_NAMES = {}


def _dtype_name(value):
    if type(value) is float:
        return "float64"
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.result_type(value)
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


_FORMULAS = {}


def _formula(prim, argnum, slot_names, args, kwargs):
    """prim.formula, remembered per op and operand names (a rule that reads the arguments is not)."""
    rule = prim.formulas[argnum] if prim.formulas and argnum < len(prim.formulas) else None
    if callable(rule):
        return prim.formula(argnum, slot_names, args, kwargs)
    key = (prim, argnum, *slot_names.values())
    text = _FORMULAS.get(key)
    if text is None:
        text = prim.formula(argnum, slot_names, args, kwargs)
        if len(_FORMULAS) < 100_000:
            _FORMULAS[key] = text
    return text


def _edge_data(tape, grads, flows, names, parent, node, argnums):
    entries = tape.entries
    prim, ans, args, kwargs, parents, _ = entries[node]
    slot_names = {slot: _operand_name(tape, names, node, k) for k, slot in zip(range(len(parents)), "xyz")}
    slot_names["ans"] = names[node]
    terms = [_formula(prim, k, slot_names, args, kwargs) for k in argnums]
    if len(terms) > 1 and len(set(terms)) == 1:   # x * x: "2*x", not "x + x"
        formula = f"{len(terms)}*{terms[0]}" if is_atom(terms[0]) else f"{len(terms)}*({terms[0]})"
    else:
        formula = " + ".join(terms)
    data = {"argnum": argnums[0] if len(argnums) == 1 else tuple(argnums), "formula": formula,
            "local_factor": None, "gain": None, "grad_flow": None}
    if not entries[parent][5]:
        return data
    factors = [prim.local_factor(k, ans, args, kwargs) for k in argnums]
    if all(f is not None for f in factors):
        data["local_factor"] = _node_value(functools.reduce(lambda a, b: a + b, factors))
    flow = flows.get((parent, node))
    u = grads[node]
    if flow is None:
        flow = np.zeros(np.shape(entries[parent][1]))
    data["grad_flow"] = _node_value(flow)
    if type(data["local_factor"]) is float and np.ndim(entries[parent][1]) == 0:
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
    kind = type(v)
    if kind is float or v is None:
        return v
    if kind is np.float64:
        return float(v)
    if np.ndim(v) == 0:
        return float(v) if np.result_type(v).kind in "fiub" else v
    return np.array(v)   # an owned, writable copy (broadcast views are neither)


def _operand_name(tape, names, node, argnum):
    parents = tape.entries[node][4]
    if argnum >= len(parents):
        return "?"
    p = parents[argnum]
    if p is not None:
        return names[p]
    arg = tape.entries[node][2][argnum]
    if isinstance(arg, str):
        return repr(arg)
    if isinstance(arg, (bool, int, float, np.number, np.bool_)):
        return f"{float(arg):.4g}"
    return "mask" if isinstance(arg, np.ndarray) and arg.dtype == bool else "c"


def _names(tape):
    """Readable names: argument names, assigned variables (u = np.sin(x)), else short expressions."""
    entries = tape.entries
    n = len(entries)
    names = [""] * n
    precs = [4] * n
    assigned = _assigned_names(tape)
    for i in range(n):
        prim, _, _, _, parents, _ = entries[i]
        if prim is None:
            names[i] = tape.names[i]
            precs[i] = 2.5 if names[i].startswith("-") else 4
            continue
        if i in assigned:
            names[i] = assigned[i]
            continue
        operands = [names[p] if p is not None else _operand_name(tape, names, i, k)
                    for k, p in enumerate(parents)]
        operand_precs = [precs[p] if p is not None else 4 for p in parents]
        text, prec = expression(prim, operands, operand_precs)
        if len(text) > _NAME_LIMIT:   # too long to read: elide compound operands, then all of them
            short = [name if is_atom(name) else "…" for name in operands]
            text, prec = expression(prim, short, [4] * len(operands))
            if len(text) > _NAME_LIMIT:
                text, prec = expression(prim, ["…"] * len(operands), [4] * len(operands))
            if len(text) > _NAME_LIMIT:
                text, prec = prim.display, 4
        names[i], precs[i] = text, prec
    return names


def _assigned_names(tape):
    """node -> variable name, for the last node each execution of an assignment line produced.

    A line's execution is a run of consecutive nodes made while that line of that frame ran (its
    bytecode offset never going back). This is looked at in every user frame, from the innermost
    out: `u = np.sin(x)` names the sin node, `h = layer(x)` names the last node `layer` made.
    """
    if not tape.sites:
        return {}
    sites = tape.sites
    out = {}
    depth = max((len(site[3]) for site in sites), default=0)
    for level in range(depth - 1, -1, -1):
        last = None      # (node, key, lasti) of the current run at this level
        for i, entry in enumerate(tape.entries):
            frames = sites[i][3]
            if entry[0] is None or len(frames) <= level:
                if entry[0] is not None and last is not None:   # made in a shallower frame: run ends
                    _name_run_end(out, last[0], last[3])
                    last = None
                continue
            frame_id, lasti, filename, lineno, code_name = frames[level]
            key = (frame_id, filename, lineno)
            if last is not None and (key != last[1] or lasti < last[2]):
                _name_run_end(out, last[0], last[3])
            last = (i, key, lasti, (filename, lineno, code_name))
        if last is not None:
            _name_run_end(out, last[0], last[3])
    return out


def _name_run_end(out, node, where):
    filename, lineno, code_name = where
    if node not in out and filename and code_name != "<lambda>":
        name = _assigned_name(linecache.getline(filename, lineno).strip())
        if name:
            out[node] = name


_ASSIGNED = {}   # line text -> the name it assigns, or None


def _assigned_name(line):
    """The variable a line assigns to (`u = np.sin(x)` -> 'u'), or None."""
    if line in _ASSIGNED:
        return _ASSIGNED[line]
    name = None
    try:
        stmt = ast.parse(line.rstrip(":")).body[0] if line else None
    except SyntaxError:
        stmt = None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        name = stmt.targets[0].id
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
    _ASSIGNED[line] = name
    return name
