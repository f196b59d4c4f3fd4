"""Run a function on traced values: `trace` builds the annotated graph, `grad` just the gradient.

Both share one recording path (tracer.Tape) and one reverse pass (autodiff.backward). `grad` skips
everything a picture needs (source lines, constant nodes, names, the networkx graph of build.py), which
keeps it fast.
"""

import functools
import gc
import inspect
import linecache
import os
import sys
import traceback
import warnings

import numpy as np

from .arguments import bind, float_dtype, float_leaves, is_float, map_tree
from .autodiff import backward
from .buffers import making_buffers, stand_in, unwrap
from .build import build_graph
from .errors import BudgetError, GradError, GraphvizAdError, GraphvizAdWarning
from .tracer import Tape, Traced, is_library_file, scope_name


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
    bound = bind(fun, args, kwargs)
    wrt_names = _wrt_names(bound, wrt)
    linecache.checkcache()   # a file edited since it was last read (notebooks, docs servers) is read anew
    tape = Tape(record_source=True, lift_constants=True)
    new_arguments = {}
    for name, value in bound.arguments.items():
        new_arguments[name] = _box(tape, value, name, name in wrt_names, explicit=False)
    call_args, call_kwargs = bound.call(new_arguments)
    leaves = list(tape.names)
    with np.errstate(all="ignore"):
        try:
            out = _run(tape, fun, call_args, call_kwargs)
        except (BudgetError, MemoryError):
            raise   # past the budget: building a graph of everything recorded would cost more again
        except Exception as e:   # the user's code raised: keep how far it got, for the picture
            e.partial_graph = _partial_graph(tape, fun, e)
            raise
        _check_output(out, fun)
        if type(out) is not Traced:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on the inputs; every gradient is zero",
                          GraphvizAdWarning, stacklevel=2)
            out = tape.leaf(out, "output", False)
        seed, seed_rule = _seed(out.value, seed)
        collecting = gc.isenabled()
        gc.disable()   # building makes many small dicts and no cycles: the collector would only rescan them
        try:
            backward_pass = backward(tape, out.node, seed, keep_flows=True)
            G = build_graph(tape, backward_pass, out.node, leaves)
        finally:
            if collecting:
                gc.enable()
    _place_inputs(G, fun)
    G.graph.update(function=_fun_name(fun), wrt=[n for n in bound.arguments if n in wrt_names],
                   seed=_plain_value(seed), seed_rule=seed_rule)
    grads = backward_pass[0]
    for i in leaves:   # no gradient arrived: no path from this input to the output
        if tape.entries[i].requires_grad and grads[i] is None:
            warnings.warn(f"{_fun_name(fun)}: output does not depend on input {tape.names[i]!r}; "
                          "its gradient is zero", GraphvizAdWarning, stacklevel=2)
    return G


def _place_inputs(G, fun):
    """Arguments are created where the function is defined: their source line and scope."""
    code = getattr(fun, "__code__", None) or getattr(getattr(type(fun), "__call__", None), "__code__", None)
    for node in G.graph["inputs"]:
        G.nodes[node].update(
            source=f"{os.path.basename(code.co_filename)}:{code.co_firstlineno}" if code else "",
            code=linecache.getline(code.co_filename, code.co_firstlineno).strip() if code else "",
            scope=(scope_name(code) if code else _fun_name(fun),), scope_calls=(0,))


def _partial_graph(tape, fun, error):
    """The graph of everything recorded before `error`: forward values and shapes, no gradients.

    `G.graph["failed"]` says where it stopped: the user's line, the error, the failing op (None when
    the user's own code raised) and the nodes that op was given (else the nodes made on that line).
    """
    if not tape.entries:
        return None
    n = len(tape.entries)
    G = build_graph(tape, ([None] * n, {}, {}), n - 1, list(range(n)))
    G.graph["inputs"] = [i for i in G.graph["inputs"] if i in tape.names]
    _place_inputs(G, fun)
    for _, data in G.nodes(data=True):
        data["grad"] = None
    for _, _, data in G.edges(data=True):
        data.update(grad_flow=None, gain=None)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not is_library_file(f.filename)]
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    if tape.failed is not None:
        nodes = sorted(set(tape.failed[1]))
    else:
        nodes = [node for node, data in G.nodes(data=True) if where and data["source"] == where]
    G.graph.update(function=_fun_name(fun), wrt=[], seed=None, seed_rule="none", failed={
        "source": where, "code": frames[-1].line if frames else "",
        "error": f"{type(error).__name__}: {error}", "nodes": nodes,
        "op": tape.failed[0].name if tape.failed is not None else None})
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
        # The other float arguments are constants, as trace() makes them, so a function that traces
        # (X.dot(W) with X passed in) differentiates too.
        wanted = {k % len(args) for k in argnums}
        for k, value in enumerate(args):
            if k not in wanted:
                call_args[k] = _box(tape, value, f"arg{k}", False, explicit=False)
        call_kwargs = {name: _box(tape, value, name, False, explicit=False) for name, value in kwargs.items()}
        out = _run(tape, fun, call_args, call_kwargs)
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
            grads = backward(tape, out.node, _seed(value, None)[0])[0]
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

def _wrt_names(bound, wrt):
    if wrt is None:
        return {name for name, value in bound.arguments.items() if float_leaves(value, name)}
    names = {wrt} if isinstance(wrt, str) else set(wrt)
    unknown = sorted(names - set(bound.arguments))
    if unknown:
        raise GraphvizAdError(f"wrt names {unknown} are not arguments; the arguments are "
                              f"{list(bound.arguments)}")
    return names


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
    dtype = float_dtype(like)
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
    dtype = float_dtype(value)
    if seed is not None:
        seed = np.array(seed, dtype=dtype)   # our own copy: the graph keeps it, read-only
        if seed.shape != shape:
            raise GradError(f"seed has shape {seed.shape}, the output has shape {shape}")
        return (float(seed) if not shape else seed), "given"
    if np.size(value) == 1:
        return (1.0 if not shape else np.ones(shape, dtype=dtype)), "scalar"
    return np.ones(shape, dtype=dtype), "sum"


def _run(tape, fun, args, kwargs):
    tape.root_frame = sys._getframe()
    try:
        with making_buffers():
            return unwrap(stand_in(fun)(*args, **kwargs))
    except ValueError as e:
        if tape.write_error is not None:   # numpy's "setting an array element with a sequence"
            raise tape.write_error from e
        raise
    finally:
        tape.root_frame = None
        tape.release_frames()


def _fun_name(fun):
    return getattr(fun, "__name__", type(fun).__name__)
