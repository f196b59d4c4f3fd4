"""Statistics built from the reductions: nan-functions (NaN treated as absent), ptp, average,
quantiles, median.
"""

import numpy as np

from ..errors import TraceError
from ..tracer import untraced, where
from .core import implements, no_out, reduced_count
from .elementwise import add, divide, multiply, sqrt, square, subtract, where_
from .reductions import _reduced, cumprod, cumsum, max_, mean, min_, prod, sum_
from .shapes import getitem, moveaxis, reshape
from .selections import _along, _axis_index, _np_sort

# ---------------------------------------------------------------------------------------------------
# Statistics built from the reductions above; the nan-functions treat NaN as absent.

def _nan_filled(a, value):
    return where_(np.isnan(untraced(a)), value, a)


def _present(a, axis, keepdims):
    return np.sum(~np.isnan(untraced(a)), axis=axis, keepdims=keepdims)


@implements(np.nansum)
def _np_nansum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    no_out("nansum", out, kw)
    return _reduced(sum_, _nan_filled(a, 0.0), axis, keepdims)


@implements(np.nanprod)
def _np_nanprod(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    no_out("nanprod", out, kw)
    return _reduced(prod, _nan_filled(a, 1.0), axis, keepdims)


@implements(np.nanmean)
def _np_nanmean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    no_out("nanmean", out, kw)
    return divide(_np_nansum(a, axis, keepdims=keepdims), _present(a, axis, keepdims))


@implements(np.nanvar)
def _np_nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    no_out("nanvar", out, kw)
    centred = _nan_filled(subtract(a, _np_nanmean(a, axis, keepdims=True)), 0.0)
    return divide(_np_nansum(square(centred), axis, keepdims=keepdims), _present(a, axis, keepdims) - ddof)


@implements(np.nanstd)
def _np_nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
    return sqrt(_np_nanvar(a, axis, dtype, out, ddof, keepdims, **kw))


implements(np.nanmax)(lambda a, axis=None, out=None, keepdims=False, **kw:
                      _reduced(max_, _nan_filled(a, -np.inf), axis, keepdims))
implements(np.nanmin)(lambda a, axis=None, out=None, keepdims=False, **kw:
                      _reduced(min_, _nan_filled(a, np.inf), axis, keepdims))
implements(np.nancumsum)(lambda a, axis=None, dtype=None, out=None: cumsum(_nan_filled(a, 0.0), axis))
implements(np.nancumprod)(lambda a, axis=None, dtype=None, out=None: cumprod(_nan_filled(a, 1.0), axis))


@implements(np.ptp)
def _np_ptp(a, axis=None, out=None, keepdims=False):
    no_out("ptp", out, {})
    return subtract(_reduced(max_, a, axis, keepdims), _reduced(min_, a, axis, keepdims))


@implements(np.average)
def _np_average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if weights is None:
        avg = _reduced(mean, a, axis, keepdims)
        total = np.broadcast_to(reduced_count(a, axis) * 1.0, np.shape(untraced(avg)))
    else:
        if np.ndim(weights) == 1 and np.ndim(a) > 1 and axis is not None:
            weights = reshape(weights, [-1 if i == axis % np.ndim(a) else 1 for i in range(np.ndim(a))])
        total = _reduced(sum_, multiply(np.ones(np.shape(a)), weights), axis, keepdims)
        avg = divide(_reduced(sum_, multiply(a, weights), axis, keepdims), total)
    return (avg, total) if returned else avg


def _quantile(a, q, axis, keepdims):
    """Linear interpolation between order statistics (numpy's default method); q is not differentiated."""
    shape = np.shape(a)
    s, ax = _along(_np_sort(a, axis=axis), axis)
    n = np.shape(s)[ax]
    pos = np.asarray(untraced(q), dtype=float) * (n - 1)
    lo = np.floor(pos).astype(int)
    frac = pos - lo

    def order_statistic(i):   # q's axes first, as numpy puts them
        picked = getitem(s, _axis_index(ax, np.ndim(s), i if np.ndim(q) else int(i)))
        return moveaxis(picked, ax, 0) if np.ndim(q) else picked

    low, high = order_statistic(lo), order_statistic(np.minimum(lo + 1, n - 1))
    frac = np.reshape(frac, np.shape(frac) + (1,) * (np.ndim(untraced(low)) - np.ndim(frac)))
    out = add(multiply(low, 1 - frac), multiply(high, frac))
    if keepdims:
        kept = [1 if axis is None or i == axis % len(shape) else size for i, size in enumerate(shape)]
        out = reshape(out, np.shape(q) + tuple(kept))
    return out


@implements(np.quantile)
def _np_quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    no_out("quantile", out, kw)
    if method != "linear":
        _unsupported("quantile", f"method={method!r}")
    return _quantile(a, q, axis, keepdims)


@implements(np.percentile)
def _np_percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, **kw):
    return _np_quantile(a, np.asarray(untraced(q)) / 100.0, axis, out, overwrite_input, method, keepdims, **kw)


implements(np.median)(lambda a, axis=None, out=None, overwrite_input=False, keepdims=False:
                      _np_quantile(a, 0.5, axis, out, keepdims=keepdims))


def _unsupported(name, what):
    raise TraceError(f"np.{name}: {what} cannot be traced (at {where()})")


