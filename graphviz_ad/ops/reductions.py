"""Reductions (sum, mean, prod, max, min, var, std, cumulative sums and products) and numpy's
spellings of them.
"""

import numpy as np

from .core import expand_reduced, implements, no_out, primitive, reduced_axes, reduced_count

# ---------------------------------------------------------------------------------------------------
# Reductions.

@primitive("sum", vjp=lambda g, ans, x, axis=None, keepdims=False: expand_reduced(g, x, axis, keepdims),
           formula="1", display="sum", expr="sum({x})")
def sum_(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


@primitive("mean", vjp=lambda g, ans, x, axis=None, keepdims=False:
           expand_reduced(g, x, axis, keepdims) / reduced_count(x, axis),
           formula=lambda x, axis=None, keepdims=False: f"1/{reduced_count(x, axis)}", expr="mean({x})")
def mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    # The product of all the other elements: ans / x where x != 0, computed exactly where x == 0.
    x = np.asarray(x)
    axes = reduced_axes(axis, x.ndim)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    flat = moved.reshape(moved.shape[:moved.ndim - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.moveaxis((left * right).reshape(moved.shape),
                         tuple(range(x.ndim - len(axes), x.ndim)), axes)
    return expand_reduced(g, x, axis, keepdims) * others


@primitive("prod", vjp=_prod_vjp, formula="product of the others", expr="prod({x})")
def prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _chooser_vjp(g, ans, x, axis=None, keepdims=False):
    # Ties share the gradient equally (the subgradient documented in the graph contract).
    hit = (np.asarray(x) == expand_reduced(ans, x, axis, keepdims))
    count = np.sum(hit, axis=None if axis is None else reduced_axes(axis, np.ndim(x)), keepdims=True)
    return expand_reduced(g, x, axis, keepdims) * hit / count


@primitive("max", vjp=_chooser_vjp, formula="[{x} == max]", expr="max({x})")
def max_(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


@primitive("min", vjp=_chooser_vjp, formula="[{x} == min]", expr="min({x})")
def min_(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _var_vjp(g, ans, x, axis=None, ddof=0, keepdims=False):
    n = reduced_count(x, axis) - ddof
    centred = x - np.mean(x, axis=axis, keepdims=True)
    return expand_reduced(g, x, axis, keepdims) * 2 * centred / n


@primitive("var", vjp=_var_vjp, formula="2*({x} - mean)/N", expr="var({x})")
def var(x, axis=None, ddof=0, keepdims=False):
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _std_vjp(g, ans, x, axis=None, ddof=0, keepdims=False):
    """var' / (2 std); where std is 0 every centred value is 0 too: the subgradient 0 (std'(0) = 0),
    which is the exact derivative when the slice has one element (its std is 0 for every x)."""
    spread = expand_reduced(ans, x, axis, keepdims)
    safe = np.where(spread == 0, 1.0, spread)
    return np.where(spread == 0, 0.0, _var_vjp(g, ans, x, axis, ddof, keepdims) / (2 * safe))


@primitive("std", vjp=_std_vjp, formula="({x} - mean)/(N*std)", expr="std({x})")
def std(x, axis=None, ddof=0, keepdims=False):
    return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _reduction(name, prim):
    def adapter(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        no_out(name, out, kw)
        return _reduced(prim, a, axis, keepdims)
    return adapter


def _spread(name, prim):
    """var and std: numpy puts ddof before keepdims."""
    def adapter(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
        no_out(name, out, kw)
        options = {k: v for k, v in (("ddof", ddof), ("keepdims", keepdims)) if v}
        return prim(a, axis, **options) if (axis is not None or options) else prim(a)
    return adapter


def _reduced(prim, a, axis=None, keepdims=False):
    return prim(a, axis, keepdims=True) if keepdims else (prim(a, axis) if axis is not None else prim(a))


for _np_fun, _prim in [(np.sum, sum_), (np.mean, mean), (np.prod, prod), (np.max, max_), (np.amax, max_),
                       (np.min, min_), (np.amin, min_)]:
    implements(_np_fun)(_reduction(_np_fun.__name__, _prim))
implements(np.var)(_spread("var", var))
implements(np.std)(_spread("std", std))


@primitive("cumsum", vjp=lambda g, ans, x, axis=None: _cumsum_vjp(g, x, axis), formula="1 (running)",
           expr="cumsum({x})")
def cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g, x, axis):
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@implements(np.cumsum)
def _np_cumsum(a, axis=None, dtype=None, out=None):
    no_out("cumsum", out, {})
    return cumsum(a, axis)


def _cumprod_vjp(g, ans, x, axis=None):
    if axis is None:
        return np.reshape(_cumprod_vjp(np.ravel(g), np.ravel(ans), np.ravel(x), 0), np.shape(x))
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return _cumsum_vjp(g * ans, x, axis) / x
    # With zeros, d ans_i / d x_j (i >= j) is the running product with x_j left out, computed directly.
    xs, gs = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    n = xs.shape[-1]
    left_out = np.where(np.eye(n, dtype=bool), 1.0, xs[..., None, :])    # [..., j, i]: x_i, or 1 at i == j
    partial = np.cumprod(left_out, axis=-1) * np.triu(np.ones((n, n)))   # zero where i < j
    return np.moveaxis(np.sum(partial * gs[..., None, :], axis=-1), -1, axis)


@primitive("cumprod", vjp=_cumprod_vjp, formula="running product of the others", expr="cumprod({x})")
def cumprod(x, axis=None):
    return np.cumprod(x, axis=axis)


@implements(np.cumprod)
def _np_cumprod(a, axis=None, dtype=None, out=None):
    no_out("cumprod", out, {})
    return cumprod(a, axis)


