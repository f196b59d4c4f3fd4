"""Real-valued inputs: numpy's complex parts (real, conj) are identities or constants; copy, full_like,
nan_to_num and linspace of traced values.
"""

import numpy as np

from ..tracer import Traced, untraced
from .core import elementwise, implements, primitive
from .elementwise import add, divide, multiply, subtract
from .selections import broadcast_to
from .statistics import _unsupported

# ---------------------------------------------------------------------------------------------------
# Real-valued inputs: the complex parts are identities or constants.

conjugate = elementwise("conjugate", np.conjugate, lambda ans, x: np.ones_like(ans, dtype=float), "1",
                        display="conj")
implements(np.real)(lambda val: val)
implements(np.copy)(lambda a, order="K", subok=False: a)   # traced values are never written in place
implements(np.real_if_close)(lambda a, tol=100: a)


@implements(np.full_like)
def _np_full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    shape = np.shape(a) if shape is None else shape
    if type(fill_value) is Traced:
        return broadcast_to(fill_value, shape)
    return np.full_like(np.empty(np.shape(a), dtype=np.result_type(untraced(a))), fill_value, dtype, shape=shape)


@primitive("nan_to_num", deriv=lambda ans, x, nan=0.0, posinf=None, neginf=None:
           np.isfinite(x).astype(float), formula="[{x} finite]")
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


implements(np.nan_to_num)(lambda x, copy=True, nan=0.0, posinf=None, neginf=None:
                          nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf))


@implements(np.linspace)
def _np_linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if axis != 0 or dtype is not None:
        _unsupported("linspace", "axis= or dtype=")
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    t = t.reshape(t.shape + (1,) * max(np.ndim(start), np.ndim(stop)))
    out = add(multiply(start, 1 - t), multiply(stop, t))
    if retstep:
        return out, divide(subtract(stop, start), max(num - 1 if endpoint else num, 1))
    return out


