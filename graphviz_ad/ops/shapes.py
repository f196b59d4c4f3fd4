"""Shapes and indexing: reshape, transpose, getitem, concatenate, stack, split, diagonal...

The gradient is the same numbers moved back.
"""

import numpy as np

from ..errors import TraceError
from ..tracer import untraced, where
from .core import FUNCTIONS, implements, no_out, primitive
from .reductions import sum_

# ---------------------------------------------------------------------------------------------------
# Shapes and indexing: the gradient is the same numbers moved back.

@primitive("reshape", vjp=lambda g, ans, x, shape: np.reshape(g, np.shape(x)), formula="reshape",
           expr="{x}")
def reshape(x, shape):
    return np.reshape(x, shape)


@implements(np.reshape)
def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TraceError(f"reshape: only order='C' is supported (at {where()})")
    return reshape(a, untraced(shape if shape is not None else newshape))


@implements(np.ravel)
def _np_ravel(a, order="C"):
    return reshape(a, (-1,))


@implements(np.squeeze)
def _np_squeeze(a, axis=None):
    return reshape(a, np.shape(np.squeeze(np.empty(np.shape(a), dtype=bool), axis)))


@implements(np.expand_dims)
def _np_expand_dims(a, axis):
    return reshape(a, np.shape(np.expand_dims(np.empty(np.shape(a), dtype=bool), axis)))


def _atleast(fn):
    def adapter(*arys):
        out = [reshape(a, np.shape(fn(np.empty(np.shape(a), dtype=bool)))) for a in arys]
        return out[0] if len(out) == 1 else out
    return adapter


for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    FUNCTIONS[_fn] = _atleast(_fn)


@primitive("transpose", vjp=lambda g, ans, x, axes=None: np.transpose(g, None if axes is None else np.argsort(axes)),
           formula="transpose", expr="{x}.T")
def transpose(x, axes=None):
    return np.transpose(x, axes)


@implements(np.transpose)
def _np_transpose(a, axes=None):
    return transpose(a, tuple(axes)) if axes is not None else transpose(a)


@primitive("swapaxes", vjp=lambda g, ans, x, axis1, axis2: np.swapaxes(g, axis1, axis2), formula="swapaxes",
           expr="swapaxes({x})")
def swapaxes(x, axis1, axis2):
    return np.swapaxes(x, axis1, axis2)


@implements(np.swapaxes)
def _np_swapaxes(a, axis1, axis2):
    return swapaxes(a, axis1, axis2)


@primitive("moveaxis", vjp=lambda g, ans, x, source, destination: np.moveaxis(g, destination, source),
           formula="moveaxis",
           expr="moveaxis({x})")
def moveaxis(x, source, destination):
    return np.moveaxis(x, source, destination)


@implements(np.moveaxis)
def _np_moveaxis(a, source, destination):
    return moveaxis(a, source, destination)


def _getitem_vjp(g, ans, x, index):
    out = np.zeros(np.shape(x), dtype=np.result_type(g, float))
    np.add.at(out, index, g)
    return out


@primitive("getitem", vjp=_getitem_vjp, formula=lambda x, index: f"1 at [{_index_text(index)}]",
           expr="{x}[i]")
def getitem(x, index):
    return x if np.ndim(x) == 0 and isinstance(index, tuple) and not index else np.asarray(x)[index]


def _index_text(index):
    parts = index if isinstance(index, tuple) else (index,)
    text = []
    for p in parts:
        if isinstance(p, slice):
            text.append(":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":") or ":")
        elif p is Ellipsis:
            text.append("...")
        elif p is None:
            text.append("None")
        elif np.ndim(p):
            text.append(f"array{list(np.shape(p))}")
        else:
            text.append(str(p))
    return ", ".join(text)


def _concatenate_vjp(argnum, g, ans, *arrays, axis=0):
    sizes = [np.shape(a)[axis] if axis is not None else np.size(a) for a in arrays]
    start = sum(sizes[:argnum])
    if axis is None:
        return np.reshape(g[start:start + sizes[argnum]], np.shape(arrays[argnum]))
    return np.take(g, np.arange(start, start + sizes[argnum]), axis=axis)


@primitive("concatenate", vjp_argnum=_concatenate_vjp, formula="slice", expr="concat")
def concatenate(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


@implements(np.concatenate)
def _np_concatenate(arrays, axis=0, out=None, **kw):
    no_out("concatenate", out, kw)
    arrays = list(arrays)
    if axis is None:
        return concatenate(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return concatenate(*[_at_least(a, 1) for a in arrays], axis=axis)


def _at_least(a, n):
    return a if np.ndim(a) >= n else reshape(a, (1,) * (n - np.ndim(a)) + np.shape(a))


def _stack_vjp(argnum, g, ans, *arrays, axis=0):
    return np.take(g, argnum, axis=axis)


@primitive("stack", vjp_argnum=_stack_vjp, formula="slice", expr="stack")
def stack(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


@implements(np.stack)
def _np_stack(arrays, axis=0, out=None, **kw):
    no_out("stack", out, kw)
    return stack(*list(arrays), axis=axis)


@implements(np.hstack)
def _np_hstack(tup, **kw):
    arrays = [_at_least(a, 1) for a in tup]
    return concatenate(*arrays, axis=0 if np.ndim(arrays[0]) == 1 else 1)


@implements(np.vstack)
def _np_vstack(tup, **kw):
    return concatenate(*[_at_least(a, 2) for a in tup], axis=0)


@implements(np.column_stack)
def _np_column_stack(tup):
    return concatenate(*[reshape(a, (-1, 1)) if np.ndim(a) < 2 else a for a in tup], axis=1)


def _split(ary, indices_or_sections, axis, strict):
    n = np.shape(ary)[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if strict and n % sections:
            raise ValueError("array split does not result in an equal division")
        each, extra = divmod(n, sections)
        bounds = np.cumsum([0] + [each + (i < extra) for i in range(sections)])
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    pieces = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index = (slice(None),) * (axis % np.ndim(ary)) + (slice(int(lo), int(hi)),)
        pieces.append(getitem(ary, index))
    return pieces


implements(np.split)(lambda ary, indices_or_sections, axis=0: _split(ary, indices_or_sections, axis, True))
implements(np.array_split)(lambda ary, indices_or_sections, axis=0: _split(ary, indices_or_sections, axis, False))
implements(np.hsplit)(lambda ary, s: _split(ary, s, 1 if np.ndim(ary) > 1 else 0, True))
implements(np.vsplit)(lambda ary, s: _split(ary, s, 0, True))


@implements(np.trace)
def _np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    no_out("trace", out, {})
    return sum_(diagonal(a, offset, axis1, axis2), -1)


def _diagonal_vjp(g, ans, x, offset=0, axis1=0, axis2=1):
    out = np.zeros(np.shape(x), dtype=np.result_type(g, float))
    view = np.diagonal(out, offset, axis1, axis2)
    view.setflags(write=True)
    view[...] = g
    return out


@primitive("diagonal", vjp=_diagonal_vjp, formula="1 on the diagonal", expr="diag({x})")
def diagonal(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2).copy()


@implements(np.diagonal)
def _np_diagonal(a, offset=0, axis1=0, axis2=1):
    return diagonal(a, offset, axis1, axis2)


