"""Dispatch from numpy's protocols: what a numpy ufunc or function called on a traced value runs.

`Traced.__array_ufunc__` and `__array_function__` land here; values-only functions (shapes, masks,
tests) run on plain values, everything else on the rows of this package or a clear TraceError.
"""

import numpy as np

from ..errors import TraceError
from ..tracer import Traced, untraced, where
from .core import FUNCTIONS, UFUNCS, no_out
from .reductions import cumsum

# ---------------------------------------------------------------------------------------------------
# Dispatch from numpy's protocols.

# Ufuncs whose result carries no gradient (masks, tests): computed on plain values.
_PLAIN_UFUNCS = {np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                 np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf,
                 np.isfinite, np.signbit}
# numpy functions that only look at values (shapes, indices, tests): computed on plain values.
_PLAIN_FUNCTIONS = {np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.nonzero,
                    np.result_type, np.isclose, np.allclose, np.array_equal, np.count_nonzero,
                    np.all, np.any, np.isnan, np.isfinite, np.isinf, np.zeros_like, np.ones_like,
                    np.empty_like, np.iscomplexobj, np.isrealobj, np.searchsorted,
                    np.argwhere, np.flatnonzero, np.argpartition, np.imag,
                    np.angle, np.iscomplex, np.isreal, np.isneginf, np.isposinf, np.digitize, np.histogram}
_REDUCE = {np.add: "sum", np.maximum: "max", np.minimum: "min", np.multiply: "prod"}
_HINTS = {"array": "np.stack([...])", "asarray": "the traced value itself", "matrix": "np.stack",
          "copyto": "np.broadcast_to(value, shape) (np.full and np.full_like of a plain array with a traced "
                    "fill value write it in place)",
          "insert": "np.concatenate of slices", "apply_along_axis": "a loop over the slices and np.stack",
          "piecewise": "np.where or np.select"}


def call_ufunc(ufunc, method, inputs, kwargs):
    if ufunc in _PLAIN_UFUNCS and method == "__call__":
        return ufunc(*[untraced(a) for a in inputs], **kwargs)
    no_out(ufunc.__name__, kwargs.pop("out", None), {})
    if method == "reduce" and ufunc in _REDUCE:
        return FUNCTIONS[getattr(np, _REDUCE[ufunc])](*inputs, **kwargs)
    if method == "accumulate" and ufunc is np.add:
        return cumsum(inputs[0], kwargs.get("axis", 0))
    if method == "__call__" and ufunc in FUNCTIONS:   # ufuncs with an adapter (np.vecdot, np.matvec)
        return FUNCTIONS[ufunc](*inputs, **kwargs)
    prim = UFUNCS.get(ufunc)
    if prim is None or method != "__call__":
        what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TraceError(f"{what} cannot be traced (at {where()}); graphviz_ad knows "
                         f"{len(UFUNCS)} ufuncs: see graphviz_ad.PRIMITIVES, or declare one with @primitive")
    if kwargs:
        raise TraceError(f"np.{ufunc.__name__}: keyword arguments {sorted(kwargs)} cannot be traced "
                         f"(at {where()})")
    return prim(*inputs)


def call_function(func, args, kwargs):
    impl = FUNCTIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    if func in _PLAIN_FUNCTIONS:
        return func(*_plain_tree(args), **_plain_tree(kwargs))
    name = _numpy_name(func)
    hint = _HINTS.get(name)
    raise TraceError(f"np.{name} cannot be traced (at {where()})"
                     + (f"; use {hint}" if hint else "; see graphviz_ad.PRIMITIVES for what can be, "
                        "or declare it with @graphviz_ad.primitive"))


def _numpy_name(func):
    module = getattr(func, "__module__", "") or ""
    prefix = "linalg." if "linalg" in module else "fft." if "fft" in module else ""
    return prefix + getattr(func, "__name__", repr(func))




def _plain_tree(x):
    if type(x) is Traced:
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_plain_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain_tree(v) for k, v in x.items()}
    return x
