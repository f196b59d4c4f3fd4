"""numpy 2's array-API spellings (np.concat, np.permute_dims, np.linalg.vecdot...) of the other rows.
"""

import numpy as np

from .core import available, implements, no_out
from .elementwise import astype, multiply
from .reductions import cumsum, sum_
from .products import _np_tensordot, matmul, outer
from .shapes import concatenate, diagonal, getitem, reshape, swapaxes
from .selections import _np_cross
from .linalg import _np_norm, _vector_norm

# ---------------------------------------------------------------------------------------------------
# numpy 2's array-API spellings of the functions above.

implements(*available("matrix_transpose", "linalg.matrix_transpose"))(lambda x, /: swapaxes(x, -1, -2))
implements(*available("vecdot", "linalg.vecdot"))(lambda x1, x2, /, *, axis=-1, **kw: sum_(multiply(x1, x2), axis))
implements(*available("matvec"))(lambda x1, x2, /, **kw: getitem(matmul(x1, getitem(x2, (Ellipsis, None))),
                                                                  (Ellipsis, 0)))
implements(*available("vecmat"))(lambda x1, x2, /, **kw: getitem(matmul(getitem(x1, (Ellipsis, None, slice(None))), x2),
                                                          (Ellipsis, 0, slice(None))))
implements(*available("linalg.outer"))(lambda x1, x2, /: outer(x1, x2))
implements(*available("linalg.cross"))(lambda x1, x2, /, *, axis=-1: _np_cross(x1, x2, axis=axis))
implements(*available("linalg.diagonal"))(lambda x, /, *, offset=0: diagonal(x, offset, -2, -1))
implements(*available("linalg.trace"))(lambda x, /, *, offset=0, dtype=None: sum_(diagonal(x, offset, -2, -1), -1))
implements(*available("linalg.tensordot"))(lambda x1, x2, /, *, axes=2: _np_tensordot(x1, x2, axes))
implements(*available("linalg.matmul"))(lambda x1, x2, /: matmul(x1, x2))
implements(*available("astype"))(lambda x, dtype, /, *, copy=True, device=None: astype(x, dtype))


@implements(*available("cumulative_sum"))
def _np_cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    no_out("cumulative_sum", out, {})
    summed = cumsum(x, axis if axis is not None or np.ndim(x) > 1 else 0)
    if not include_initial:
        return summed
    shape = list(np.shape(summed))
    shape[axis if axis is not None else 0] = 1
    return concatenate(np.zeros(shape), summed, axis=axis if axis is not None else 0)


@implements(*available("linalg.vector_norm"))
def _np_vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if axis is None:
        out = _vector_norm(reshape(x, (-1,)), ord, 0)
        return reshape(out, (1,) * np.ndim(x)) if keepdims else out
    return _np_norm(x, ord, axis if isinstance(axis, int) else tuple(axis), keepdims) if np.ndim(axis) == 0 \
        or len(axis) == 1 else _np_norm(x, None, tuple(axis), keepdims)


implements(*available("linalg.matrix_norm"))(lambda x, /, *, keepdims=False, ord="fro": _np_norm(x, ord, (-2, -1), keepdims))


