"""More shapes, orderings and selections: broadcast_to, flip, roll, tile, kron, diff, take, sort,
pad... The gradient is moved back by the same indexing.
"""

import numpy as np

from ..errors import TraceError
from ..tracer import Traced, untraced, where
from .core import implements, no_out, primitive, reduced_axes, unbroadcast
from .elementwise import multiply, subtract, where_
from .shapes import _np_concatenate, _split, concatenate, diagonal, getitem, moveaxis, reshape, stack, transpose

# ---------------------------------------------------------------------------------------------------
# More shapes, orderings and selections: the gradient is moved back by the same indexing.

@primitive("broadcast_to", vjp=lambda g, ans, x, shape: unbroadcast(g, np.asarray(x)), formula="1 (summed)",
           expr="{x}")
def broadcast_to(x, shape):
    return np.broadcast_to(x, shape).copy()


@implements(np.broadcast_to)
def _np_broadcast_to(array, shape, subok=False):
    return broadcast_to(array, tuple(int(n) for n in np.atleast_1d(shape)))


@implements(np.broadcast_arrays)
def _np_broadcast_arrays(*args, subok=False):
    shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


def _axis_index(axis, ndim, index):
    """An index tuple that applies `index` along `axis` and takes everything elsewhere."""
    return (slice(None),) * (axis % ndim) + (index,)


def _along(a, axis):
    """(a, axis) with axis=None meaning the flattened array, as numpy's axis=None functions do."""
    return (reshape(a, (-1,)), 0) if axis is None else (a, axis % max(np.ndim(a), 1))


@implements(np.flip)
def _np_flip(m, axis=None):
    axes = reduced_axes(axis, np.ndim(m))
    return getitem(m, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(np.ndim(m))))


implements(np.fliplr)(lambda m: _np_flip(m, 1))
implements(np.flipud)(lambda m: _np_flip(m, 0))


@implements(np.rot90)
def _np_rot90(m, k=1, axes=(0, 1)):
    k %= 4
    a, b = axes
    if k == 0:
        return m
    if k == 2:
        return _np_flip(_np_flip(m, a), b)
    perm = list(range(np.ndim(m)))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(_np_flip(m, b), tuple(perm)) if k == 1 else _np_flip(transpose(m, tuple(perm)), b)


@implements(np.roll)
def _np_roll(a, shift, axis=None):
    if axis is None:
        return reshape(_np_roll(reshape(a, (-1,)), shift, 0), np.shape(a))
    for s, ax in np.broadcast(untraced(shift), axis):
        n = np.shape(a)[ax]
        a = getitem(a, _axis_index(int(ax), np.ndim(a), (np.arange(n) - s) % n))
    return a


@implements(np.rollaxis)
def _np_rollaxis(a, axis, start=0):
    n = np.ndim(a)
    axis, start = axis % n, start + n if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    perm = [i for i in range(n) if i != axis]
    perm.insert(start, axis)
    return transpose(a, tuple(perm))


@implements(np.repeat)
def _np_repeat(a, repeats, axis=None):
    a, axis = _along(a, axis)
    return getitem(a, _axis_index(axis, np.ndim(a), np.repeat(np.arange(np.shape(a)[axis]), untraced(repeats))))


@implements(np.tile)
def _np_tile(A, reps):
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    d = max(len(reps), np.ndim(A))
    shape = (1,) * (d - np.ndim(A)) + np.shape(A)
    reps = (1,) * (d - len(reps)) + reps
    spread = reshape(A, tuple(v for s in shape for v in (1, s)))
    tiled = broadcast_to(spread, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(tiled, tuple(r * s for r, s in zip(reps, shape)))


@implements(np.kron)
def _np_kron(a, b):
    d = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (d - np.ndim(a)) + np.shape(a)
    sb = (1,) * (d - np.ndim(b)) + np.shape(b)
    spread_a = reshape(a, tuple(v for s in sa for v in (s, 1)))
    spread_b = reshape(b, tuple(v for s in sb for v in (1, s)))
    return reshape(multiply(spread_a, spread_b), tuple(x * y for x, y in zip(sa, sb)))


@primitive("diag", vjp=lambda g, ans, v, k=0: np.diagonal(g, k).copy(), formula="1 on the diagonal",
           expr="diag({x})")
def diag(v, k=0):
    return np.diag(v, k)


@implements(np.diag)
def _np_diag(v, k=0):
    return diag(v, k) if np.ndim(v) == 1 else diagonal(v, k)


implements(np.diagflat)(lambda v, k=0: diag(reshape(v, (-1,)), k))


def _triangle(m, k, lower):
    rows, cols = np.shape(m)[-2:]
    mask = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    return where_(mask, m, 0.0)


implements(np.tril)(lambda m, k=0: _triangle(m, k, True))
implements(np.triu)(lambda m, k=0: _triangle(m, k, False))


@implements(np.diff)
def _np_diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    axis = axis % np.ndim(a)
    ends = []
    for end in (prepend, append):
        if end is np._NoValue:
            ends.append(None)
            continue
        shape = list(np.shape(a))
        shape[axis] = 1
        ends.append(end if np.ndim(end) else broadcast_to(end, tuple(shape)))
    if ends[0] is not None or ends[1] is not None:
        a = _np_concatenate([e for e in (ends[0], a, ends[1]) if e is not None], axis=axis)
    for _ in range(n):
        size = np.shape(a)[axis]
        a = subtract(getitem(a, _axis_index(axis, np.ndim(a), slice(1, size))),
                     getitem(a, _axis_index(axis, np.ndim(a), slice(0, size - 1))))
    return a


@implements(np.cross)
def _np_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if np.shape(a)[-1] not in (2, 3) or np.shape(b)[-1] not in (2, 3):
        raise ValueError("incompatible dimensions for cross product (dimension must be 2 or 3)")
    ax = [getitem(a, (Ellipsis, i)) for i in range(np.shape(a)[-1])] + [0.0]
    bx = [getitem(b, (Ellipsis, i)) for i in range(np.shape(b)[-1])] + [0.0]
    z = subtract(multiply(ax[0], bx[1]), multiply(ax[1], bx[0]))
    if np.shape(a)[-1] == 2 and np.shape(b)[-1] == 2:
        return z
    x = subtract(multiply(ax[1], bx[2]), multiply(ax[2], bx[1]))
    y = subtract(multiply(ax[2], bx[0]), multiply(ax[0], bx[2]))
    shape = np.broadcast_shapes(*[np.shape(v) for v in (x, y, z)])
    return moveaxis(stack(*[broadcast_to(v, shape) for v in (x, y, z)], axis=-1), -1, axisc)


def _as_traced_array(a):
    """A list or tuple holding traced values, as one stacked array (what np.asarray would give)."""
    if isinstance(a, (list, tuple)) and any(type(v) is Traced or isinstance(v, (list, tuple)) for v in a):
        return stack(*[_as_traced_array(v) for v in a])
    return a


@implements(np.append)
def _np_append(arr, values, axis=None):
    arr, values = _as_traced_array(arr), _as_traced_array(values)
    if axis is None:
        return concatenate(reshape(arr, (-1,)), reshape(values, (-1,)), axis=0)
    return concatenate(arr, values, axis=axis)


@implements(np.select)
def _np_select(condlist, choicelist, default=0):
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where_(untraced(cond), choice, out)
    return out


@implements(np.take)
def _np_take(a, indices, axis=None, out=None, mode="raise"):
    no_out("take", out, {})
    a, axis = _along(a, axis)
    return getitem(a, _axis_index(axis, np.ndim(a), untraced(indices)))


def _along_axis_index(shape, indices, axis):
    """The fancy index that picks `indices` along `axis`, as np.take_along_axis does."""
    ndim = len(shape)
    index = []
    for d in range(ndim):
        if d == axis:
            index.append(indices)
        else:
            index.append(np.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(ndim)]))
    return tuple(index)


@implements(np.take_along_axis)
def _np_take_along_axis(arr, indices, axis=-1):
    arr, axis = _along(arr, axis)
    return getitem(arr, _along_axis_index(np.shape(arr), np.asarray(untraced(indices)), axis))


def _permuted(a, fun, axis):
    """fun(a) for a `fun` that permutes along `axis` (sort, partition), as indexing of the traced `a`."""
    a, axis = _along(a, axis)
    plain = np.asarray(untraced(a))
    result = fun(plain, axis)
    # Match result to source positions: equal sorted orders give the permutation, ties included.
    by_value = np.argsort(plain, axis=axis, kind="stable")
    order = np.argsort(result, axis=axis, kind="stable")
    source = np.empty_like(order)
    np.put_along_axis(source, order, by_value, axis=axis)
    return getitem(a, _along_axis_index(plain.shape, source, axis))


@implements(np.sort)
def _np_sort(a, axis=-1, kind=None, order=None, **kw):
    return _permuted(a, lambda x, ax: np.sort(x, axis=ax, kind=kind), axis)


@implements(np.partition)
def _np_partition(a, kth, axis=-1, kind="introselect", order=None):
    return _permuted(a, lambda x, ax: np.partition(x, kth, axis=ax), axis)


@implements(np.dstack)
def _np_dstack(tup):
    return concatenate(*[reshape(a, np.shape(np.atleast_3d(np.empty(np.shape(a), dtype=bool)))) for a in tup],
                       axis=2)


implements(np.dsplit)(lambda ary, s: _split(ary, s, 2, True))


@primitive("pad", vjp=lambda g, ans, x, pad_width, value=0.0: g[tuple(
               slice(lo, n - hi) for (lo, hi), n in zip(_pad_pairs(pad_width, np.ndim(x)), np.shape(g)))],
           formula="1 inside the padding", expr="pad({x})")
def pad(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _pad_pairs(pad_width, ndim):
    return np.broadcast_to(np.asarray(pad_width, dtype=int).reshape(-1, 2) if np.ndim(pad_width) > 1
                           else np.asarray(pad_width, dtype=int).reshape(-1), (ndim, 2)).tolist()


@implements(np.pad)
def _np_pad(array, pad_width, mode="constant", **kwargs):
    pairs = tuple(tuple(p) for p in _pad_pairs(pad_width, np.ndim(array)))
    if mode == "constant":
        value = kwargs.get("constant_values", 0)
        if np.ndim(value) or type(value) is Traced:
            raise TraceError(f"np.pad: constant_values must be one plain number to be traced (at {where()}); "
                             "for a traced fill, concatenate np.full_like pieces")
        return pad(array, pairs, float(untraced(value)))
    if mode not in ("edge", "reflect", "symmetric", "wrap") or kwargs:
        raise TraceError(f"np.pad: mode {mode!r} cannot be traced (at {where()}); "
                         "use 'constant', 'edge', 'reflect', 'symmetric' or 'wrap'")
    # These modes copy existing elements: pad the positions, then index with them.
    for ax, pair in enumerate(pairs):
        source = np.pad(np.arange(np.shape(array)[ax]), pair, mode=mode)
        array = getitem(array, _axis_index(ax, np.ndim(array), source))
    return array


