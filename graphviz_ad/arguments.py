"""The arguments of a traced call: bound to names, walked leaf by leaf, and put back into a call.

trace() names its inputs after the parameters they were passed to, check() re-runs the function with
one leaf moved, and a TARGET's NAME=VALUE inputs become a call: all three bind arguments to names with
`bind` and turn names back into `(args, kwargs)` with `call_arguments`.
"""

import inspect

import numpy as np

from .errors import GraphvizAdError


class Binding:
    """Arguments by name, and the parameters they bind to (from the signature, or `arg0, arg1, ...`
    for a callable whose signature cannot be read)."""

    __slots__ = ("parameters", "arguments")

    def __init__(self, parameters, arguments):
        self.parameters = parameters   # list of inspect.Parameter, in signature order
        self.arguments = arguments     # name -> value; *args a tuple, **kwargs a dict (as inspect binds)

    def call(self, arguments=None):
        """`(args, kwargs)` that call the function with `arguments` (default: the bound ones)."""
        return call_arguments(self.parameters, self.arguments if arguments is None else arguments)


def bind(fun, args, kwargs):
    """Bind a call's arguments to `fun`'s parameter names, defaults filled in.

    numpy ufuncs, builtins and other callables that are not Python functions are bound by position:
    their arguments are named arg0, arg1, ... (keywords keep their names).

    Raises:
        GraphvizAdError: the arguments do not fit the signature (the message names the function).
    """
    if inspect.isfunction(fun) or inspect.ismethod(fun):
        try:
            signature = inspect.signature(fun)
        except ValueError:   # a function whose signature cannot be read
            signature = None
        if signature is not None:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as e:
                raise GraphvizAdError(f"{getattr(fun, '__name__', type(fun).__name__)}: {e}") from None
            bound.apply_defaults()
            return Binding(list(signature.parameters.values()), bound.arguments)
    parameters = [inspect.Parameter(f"arg{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(len(args))]
    arguments = {p.name: a for p, a in zip(parameters, args)}
    arguments.update(kwargs)
    return Binding(parameters, arguments)


def call_arguments(parameters, arguments, by_keyword=False):
    """`(args, kwargs)` for calling a function with `parameters` on `arguments` (name -> value).

    Positional-only parameters and *args go by position; keyword-only ones, **kwargs and names that are
    no parameter go by keyword. A parameter that may go either way goes by position, or by keyword
    with `by_keyword` (which keeps its name when the callee is bound by position, see `bind`).
    """
    args, kwargs = [], {}
    named = set()
    positional = True   # still filling positions: a parameter left out ends that
    for p in parameters:
        named.add(p.name)
        if p.name not in arguments:
            positional = positional and p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)
            continue
        value = arguments[p.name]
        if p.kind is p.VAR_POSITIONAL:
            args.extend(value)
        elif p.kind is p.VAR_KEYWORD:
            kwargs.update(value)
        elif p.kind is p.KEYWORD_ONLY or not positional or (by_keyword and p.kind is not p.POSITIONAL_ONLY):
            kwargs[p.name] = value
        else:
            args.append(value)
    kwargs.update((name, value) for name, value in arguments.items() if name not in named)
    return args, kwargs


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


def float_dtype(value):
    """The dtype a gradient of `value` has: its own if it is a float dtype, else float64."""
    dtype = np.result_type(value)
    return dtype if dtype.kind == "f" else np.dtype(float)
