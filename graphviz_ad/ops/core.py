"""One op of the table: `Primitive`, the decorators that declare one, and the undoing of broadcasting.

One row declares an op. Elementwise ops give `deriv` (d ans / d argument, elementwise): their VJP is
`unbroadcast(g * deriv)` and their edge's `local_factor` is the same derivative, so the colour of an
edge and the gradient it carries come from one rule. Other ops give `vjp` (or `vjp_argnum` when their
operands are variadic). Templates use `{x}`, `{y}`, `{z}` for operands 0, 1, 2 and `{ans}` for the result.
Arguments after a fixed-arity op's operands (axis, index, shape, ...) are static: they are recorded as
keywords, the node's `params`.

The rows themselves live in the other files of this package, one per family. Most of numpy is reached through
adapters (`implements`): numpy's signature mapped onto those rows, or a composite of them (norm, sort,
tile, kron, quantile...), so their gradients need no rules of their own.
"""

import functools
import inspect

import numpy as np

from ..errors import TraceError
from ..naming import fill

PRIMITIVES = {}   # name -> Primitive
UFUNCS = {}       # numpy ufunc -> Primitive
FUNCTIONS = {}    # numpy function -> implementation taking numpy's own arguments

class Primitive:
    """One differentiable operation. Calling it on traced values records it; on plain values, computes."""

    def __init__(self, name, fun, *, deriv=None, vjp=None, vjp_argnum=None, formula=None,
                 display=None, expr=None, prec=4):
        self.name = name
        self.fun = fun
        self.derivs = _tuple(deriv)
        # A derivative written as a number (add's 1, subtract's -1) costs the VJP no multiplication.
        self.constants = tuple(d if _is_constant(d) else None for d in self.derivs) if self.derivs else None
        if self.constants and any(c is not None for c in self.constants):
            self.derivs = tuple(_constant_rule(c) if c is not None else d
                                for d, c in zip(self.derivs, self.constants))
        self.vjps = _tuple(vjp)
        self.vjp_argnum = vjp_argnum
        self.formulas = _tuple(formula)
        self.display = display or name
        self.expr = expr or (self.display + "({x})" if self.nargs <= 1 else None)
        self.prec = prec   # how tightly `expr` binds: 1 for + -, 2 for * / @, 3 for ^, 4 for calls
        self.static = _static_names(fun, self.nargs)

    @property
    def elementwise(self):
        return self.derivs is not None

    @property
    def nargs(self):
        rules = self.derivs or self.vjps
        return len(rules) if rules is not None else -1

    def differentiable(self, argnum):
        if self.vjp_argnum is not None:
            return True
        rules = self.derivs or self.vjps or ()
        return argnum < len(rules) and rules[argnum] is not None

    def __call__(self, *args, **kwargs):
        if len(args) > self.nargs > 0 and len(args) - self.nargs <= len(self.static):
            # Static arguments (axis, index, shape...) given by position become keywords: a node's params.
            kwargs = {**dict(zip(self.static, args[self.nargs:])), **kwargs}
            args = args[:self.nargs]
        for a in args:
            if type(a) is Traced:
                return a.tape.record(self, args, kwargs)
        return self.fun(*args, **kwargs)

    def vjp(self, argnum, g, ans, args, kwargs):
        """The gradient this op sends to operand `argnum`, given the gradient `g` of its result."""
        if self.derivs is not None:
            c = self.constants[argnum]
            if c is not None:
                return unbroadcast(g if c == 1 else g * c, args[argnum])
            return unbroadcast(g * self.derivs[argnum](ans, *args, **kwargs), args[argnum])
        if self.vjp_argnum is not None:
            return self.vjp_argnum(argnum, g, ans, *args, **kwargs)
        return self.vjps[argnum](g, ans, *args, **kwargs)

    def vjp_and_deriv(self, argnum, g, ans, args, kwargs):
        """`(vjp, d)`: the VJP and, for an elementwise op whose derivative is not a constant, the
        derivative it was made from (else None), so trace() colours the edge without computing it again."""
        if self.derivs is None or self.constants[argnum] is not None:
            return self.vjp(argnum, g, ans, args, kwargs), None
        d = self.derivs[argnum](ans, *args, **kwargs)
        return unbroadcast(g * d, args[argnum]), d

    def local_factor(self, argnum, ans, args, kwargs, deriv=None):
        """d result / d operand: elementwise derivative (result's shape), a float for scalars, else None.

        `deriv` is the elementwise derivative when the reverse pass computed it already.
        """
        if self.derivs is not None:
            d = self.derivs[argnum](ans, *args, **kwargs) if deriv is None else deriv
            if not np.ndim(ans):
                return float(d)
            if type(d) is np.ndarray and d.shape == np.shape(ans):
                return d
            return np.broadcast_to(d, np.shape(ans))   # a constant or a smaller operand: a view, no copy
        if np.ndim(ans) == 0 and np.ndim(args[argnum]) == 0:   # both scalars: the one number
            return float(np.ravel(self.vjp(argnum, np.ones_like(ans, dtype=float), ans, args, kwargs))[0])
        return None

    def formula(self, argnum, names, args, kwargs):
        rules = self.formulas
        if rules and len(rules) == 1 and self.vjp_argnum is not None:   # variadic: one rule for every operand
            argnum = 0
        rule = rules[argnum] if rules and argnum < len(rules) else None
        if rule is None:
            return "VJP" if self.derivs is None else ""
        if callable(rule):
            rule = rule(*args, **kwargs)
        return fill(rule, names, wrap_atoms=False)

    def __repr__(self):
        return f"<primitive {self.name}>"


def _static_names(fun, nargs):
    """The names of `fun`'s parameters after its `nargs` operands (none for ufuncs or variadic ops)."""
    if nargs < 1 or isinstance(fun, np.ufunc):
        return ()
    try:
        params = list(inspect.signature(fun).parameters.values())[nargs:]
    except (TypeError, ValueError):
        return ()
    names = []
    for p in params:
        if p.kind is not p.POSITIONAL_OR_KEYWORD:
            break
        names.append(p.name)
    return tuple(names)


def _is_constant(rule):
    return isinstance(rule, (int, float)) and not isinstance(rule, bool)


def _constant_rule(c):
    """The derivative `c` everywhere, as a rule for local_factor and for callers of `derivs`."""
    return lambda ans, *args, **kwargs: np.full(np.shape(ans), float(c))


def _tuple(rule):
    if rule is None or isinstance(rule, tuple):
        return rule
    return (rule,)


def primitive(name, *, deriv=None, vjp=None, vjp_argnum=None, formula=None, display=None, expr=None,
              prec=4, ufunc=None, numpy=()):
    """Declare a primitive op around its numpy forward function.

    Args:
        name: the op name stored in the graph (node attribute `op`).
        deriv: for elementwise ops, `deriv(ans, *args, **kwargs)` -> d ans / d arg, one per argument
            (a tuple for several), or a number where it is constant (add: `(1.0, 1.0)`); `None` in a
            position means not differentiable there.
        vjp: for other ops, `vjp(g, ans, *args, **kwargs)` -> gradient for that argument, one per argument.
        vjp_argnum: for variadic ops, `vjp_argnum(argnum, g, ans, *args, **kwargs)`.
        formula: the local rule as text per argument, e.g. ``"cos({x})"`` (or a callable of the args).
        display: short text for the op (``"+"``, ``"sin"``); expr/prec: how the result's name is written.
        ufunc / numpy: the numpy ufunc or functions that dispatch to this op on traced values.

    Example:
        >>> @primitive("table_cube", deriv=lambda ans, x: 3 * x**2, formula="3*{x}^2")
        ... def cube(x):
        ...     return x**3
    """
    def wrap(fun):
        prim = Primitive(name, fun, deriv=deriv, vjp=vjp, vjp_argnum=vjp_argnum, formula=formula,
                         display=display, expr=expr, prec=prec)
        functools.update_wrapper(prim, fun, updated=())
        if name in PRIMITIVES:   # one name, one op: the graph's `op` must say which rule made a node
            raise ValueError(f"primitive {name!r} is declared twice")
        PRIMITIVES[name] = prim
        if ufunc is not None:
            UFUNCS[ufunc] = prim
        for f in numpy if isinstance(numpy, tuple) else (numpy,):
            FUNCTIONS[f] = prim
        return prim
    return wrap


def elementwise(name, ufunc, deriv, formula, display=None, expr=None, prec=4):
    """A numpy ufunc as an elementwise primitive: one line of the table below."""
    return primitive(name, deriv=deriv, formula=formula, display=display, expr=expr, prec=prec,
                     ufunc=ufunc)(ufunc)


def implements(*numpy_functions):
    """Route numpy functions whose signature differs from the primitive's through an adapter."""
    def wrap(fun):
        for f in numpy_functions:
            FUNCTIONS[f] = fun
        return fun
    return wrap


def available(*names):
    """The numpy functions of these names that the installed numpy has (numpy 2 added several)."""
    found = []
    for name in names:
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            found.append(obj)
    return found


def no_out(name, out, rest):
    """Refuse what an adapter cannot trace: `out=` (a write in place), and any option in `rest` it does not
    support."""
    if out is not None:
        raise TraceError(f"{name}: out= writes in place, which cannot be traced (at {where()}); "
                         "use the returned value")
    extra = {k: v for k, v in rest.items() if v is not None and k not in ("dtype", "casting", "order", "subok")}
    if extra:
        raise TraceError(f"{name}: argument(s) {sorted(extra)} cannot be traced (at {where()})")


# ---------------------------------------------------------------------------------------------------
# Broadcasting is undone in one place.

def unbroadcast(g, like):
    """Sum `g` over the axes numpy broadcast `like` along, so the gradient has `like`'s shape."""
    shape = getattr(like, "shape", ())
    gshape = getattr(g, "shape", ())
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def reduced_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axis))


def expand_reduced(g, x, axis, keepdims):
    """Broadcast the gradient of a reduction back over the reduced axes."""
    shape = np.shape(x)
    if not keepdims and axis is not None and np.ndim(g) < len(shape):
        g = np.expand_dims(g, reduced_axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def reduced_count(x, axis):
    shape = np.shape(x)
    return int(np.prod([shape[a] for a in reduced_axes(axis, len(shape))]))


from ..tracer import Traced, where  # noqa: E402  (the tracer imports the ops, which import this module)
