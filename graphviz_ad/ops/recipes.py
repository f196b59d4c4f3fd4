"""Numerical recipes built from the other rows: interpolation, integration, convolution, covariance.
"""

import numpy as np

from ..tracer import untraced
from .core import available, implements, reduced_axes
from .elementwise import add, divide, multiply, power, sqrt, subtract, where_
from .reductions import mean, sum_
from .products import matmul
from .shapes import _at_least, concatenate, diagonal, getitem, reshape, transpose
from .selections import _along, _axis_index, _np_broadcast_arrays, _np_diff, _np_flip
from .statistics import _unsupported
from .real import _np_linspace

# ---------------------------------------------------------------------------------------------------
# Numerical recipes built from the rows above: interpolation, integration, convolution, covariance.

@implements(np.interp)
def _np_interp(x, xp, fp, left=None, right=None, period=None):
    if period is not None:
        _unsupported("interp", "period=")
    xv, xpv = np.asarray(untraced(x)), np.asarray(untraced(xp))
    n = xpv.shape[0]
    i = np.clip(np.searchsorted(xpv, xv, side="right"), 1, n - 1)
    x0, x1, f0, f1 = getitem(xp, i - 1), getitem(xp, i), getitem(fp, i - 1), getitem(fp, i)
    out = add(f0, multiply(divide(subtract(x, x0), subtract(x1, x0)), subtract(f1, f0)))
    out = where_(xv < xpv[0], getitem(fp, 0) if left is None else left, out)
    return where_(xv > xpv[-1], getitem(fp, n - 1) if right is None else right, out)


@implements(*available("trapezoid", "trapz"))
def _np_trapezoid(y, x=None, dx=1.0, axis=-1):
    axis = axis % np.ndim(y)
    n = np.shape(y)[axis]
    widths = dx if x is None else _np_diff(x, axis=-1 if np.ndim(x) == 1 else axis)
    if x is not None and np.ndim(x) == 1 and np.ndim(y) > 1:
        widths = reshape(widths, [-1 if i == axis else 1 for i in range(np.ndim(y))])
    heights = add(getitem(y, _axis_index(axis, np.ndim(y), slice(1, n))),
                  getitem(y, _axis_index(axis, np.ndim(y), slice(0, n - 1))))
    return sum_(multiply(widths, heights), axis) / 2.0


def _convolve(a, v, mode):
    n, m = np.shape(a)[0], np.shape(v)[0]
    if m > n:     # convolution commutes; numpy's 'same' and 'valid' follow the longer input
        a, v, n, m = v, a, m, n
    j = np.arange(n + m - 1)[:, None] - np.arange(n)[None, :]
    inside = (j >= 0) & (j < m)
    band = where_(inside, getitem(v, np.clip(j, 0, m - 1)), 0.0)   # band[k, i] = v[k - i]
    full = matmul(band, a)
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return getitem(full, slice(start, start + n))
    if mode == "valid":
        return getitem(full, slice(m - 1, n))
    raise ValueError(f"mode must be one of 'full', 'same' or 'valid', not {mode!r}")


implements(np.convolve)(lambda a, v, mode="full": _convolve(a, v, mode))
implements(np.correlate)(lambda a, v, mode="valid": _correlate(a, v, mode))


def _correlate(a, v, mode):
    if np.shape(v)[0] > np.shape(a)[0]:    # numpy swaps the inputs and reverses the result
        return _np_flip(_convolve(v, _np_flip(a), mode))
    return _convolve(a, _np_flip(v), mode)


@implements(np.unique)
def _np_unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, **kw):
    if axis is not None:
        _unsupported("unique", "axis=")
    found = np.unique(np.asarray(untraced(ar)), True, return_inverse, return_counts, **kw)
    values = getitem(reshape(ar, (-1,)), found[1])   # each unique value is the element it was found at
    extra = ((found[1],) if return_index else ()) + tuple(found[2:])
    return (values, *extra) if extra else values


@implements(np.bincount)
def _np_bincount(x, /, weights=None, minlength=0):
    bins = np.asarray(untraced(x))
    if weights is None:
        return np.bincount(bins, minlength=minlength)
    n = max(minlength, int(bins.max()) + 1 if bins.size else 0)
    return matmul(weights, (bins[:, None] == np.arange(n)).astype(float))   # weights summed into bins


@implements(np.delete)
def _np_delete(arr, obj, axis=None):
    arr, axis = _along(arr, axis)
    kept = np.delete(np.arange(np.shape(arr)[axis]), untraced(obj))
    return getitem(arr, _axis_index(axis, np.ndim(arr), kept))


@implements(np.ediff1d)
def _np_ediff1d(ary, to_end=None, to_begin=None):
    parts = [reshape(v, (-1,)) for v in (to_begin, _np_diff(reshape(ary, (-1,))), to_end) if v is not None]
    return parts[0] if len(parts) == 1 else concatenate(*parts, axis=0)


@implements(np.gradient)
def _np_gradient(f, *varargs, axis=None, edge_order=1):
    axes = reduced_axes(axis, np.ndim(f))
    spacings = list(varargs) if len(varargs) > 1 else list(varargs) * len(axes) if varargs else [1.0] * len(axes)
    if edge_order != 1 or any(np.ndim(h) for h in spacings):
        _unsupported("gradient", "non-uniform spacing or edge_order=2")
    out = []
    for ax, h in zip(axes, spacings):
        n = np.shape(f)[ax]
        part = lambda lo, hi: getitem(f, _axis_index(ax, np.ndim(f), slice(lo, hi)))  # noqa: E731
        pieces = [divide(subtract(part(1, 2), part(0, 1)), h)]
        if n > 2:
            pieces.append(divide(subtract(part(2, n), part(0, n - 2)), 2.0 * h))
        pieces.append(divide(subtract(part(n - 1, n), part(n - 2, n - 1)), h))
        out.append(concatenate(*pieces, axis=ax))
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.polyval)
def _np_polyval(p, x):
    y = 0.0
    for i in range(np.shape(p)[0]):   # Horner's rule
        y = add(multiply(y, x), getitem(p, i))
    return y


@implements(np.logspace)
def _np_logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    return power(base, _np_linspace(start, stop, num, endpoint, dtype=dtype, axis=axis))


@implements(np.cov)
def _np_cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    if fweights is not None or aweights is not None:
        _unsupported("cov", "fweights= or aweights=")
    rows = [_at_least(v, 2) if rowvar else transpose(_at_least(v, 2)) for v in (m, y) if v is not None]
    if not rowvar:
        rows = [r if np.ndim(v) > 1 else transpose(r) for r, v in zip(rows, (m, y))]
    X = rows[0] if len(rows) == 1 else concatenate(*rows, axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    centred = subtract(X, mean(X, 1, keepdims=True))
    c = divide(matmul(centred, transpose(centred)), np.shape(X)[1] - ddof)
    return reshape(c, ()) if np.shape(c) == (1, 1) and np.ndim(m) == 1 and y is None else c


@implements(np.corrcoef)
def _np_corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = _np_cov(x, y, rowvar)
    if np.ndim(c) == 0:
        return divide(c, c)
    scale = sqrt(diagonal(c))
    return divide(divide(c, reshape(scale, (-1, 1))), reshape(scale, (1, -1)))


@implements(np.meshgrid)
def _np_meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    n = len(xi)
    shapes = [[1] * n for _ in xi]
    for i, s in enumerate(shapes):
        s[i] = -1
    if indexing == "xy" and n > 1:
        shapes[0][:2], shapes[1][:2] = [1, -1], [-1, 1]
    out = [reshape(x, tuple(s)) for x, s in zip(xi, shapes)]
    if sparse:
        return tuple(out)
    return _np_broadcast_arrays(*out)


