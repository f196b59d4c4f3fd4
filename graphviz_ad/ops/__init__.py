"""The op table, one file per family of ops (as HIPS autograd keeps numpy/).

    core.py            Primitive, the decorators that declare a row, and unbroadcast
    elementwise.py     ufuncs of one and two arguments (sin, exp, add, power, maximum), where, clip, astype
    reductions.py      sum, mean, prod, max, min, var, std, cumsum, cumprod
    products.py        matmul, dot, tensordot, inner, outer, vdot, einsum
    shapes.py          reshape, transpose, getitem, concatenate, stack, split, diagonal
    selections.py      broadcast_to, flip, roll, tile, kron, diff, take, sort, pad
    statistics.py      nan-functions, ptp, average, quantiles, median
    real.py            real and conj of real values; copy, full_like, nan_to_num, linspace
    linalg.py          numpy.linalg: norm, inv, det, solve, eigh, svd, qr, cholesky, pinv, lstsq...
    recipes.py         interp, trapezoid, convolve, gradient, polyval, cov, corrcoef, meshgrid...
    array_api.py       numpy 2's array-API spellings of the rows above
    nn.py              sigmoid, relu, softplus, softmax, log_softmax, logsumexp, cross_entropy, mse
    numpy_dispatch.py  what a numpy ufunc or function called on a traced value runs

A row is declared with the decorators of core.py; the files are imported in this order, which is the
order of `PRIMITIVES`. The files import one another's helpers; nothing outside this package does.
"""

from .core import FUNCTIONS, PRIMITIVES, UFUNCS, Primitive, primitive, unbroadcast
from . import elementwise, reductions, products, shapes, selections, statistics, real, linalg  # noqa: F401
from . import recipes, array_api, nn, numpy_dispatch  # noqa: F401  (the rest of the table, in order)
# What the tracer's operators and protocols call, and the helpers graphviz_ad exports:
from .elementwise import (absolute, add, astype, divide, floor_divide, mod, multiply, negative, power,
                          subtract)
from .nn import cross_entropy, log_softmax, logsumexp, mse, relu, sigmoid, softmax, softplus
from .numpy_dispatch import call_function, call_ufunc
from .products import matmul
from .shapes import getitem, transpose

__all__ = ["FUNCTIONS", "PRIMITIVES", "UFUNCS", "Primitive", "primitive", "unbroadcast", "absolute", "add",
           "astype", "divide", "floor_divide", "mod", "multiply", "negative", "power", "subtract",
           "cross_entropy", "log_softmax", "logsumexp", "mse", "relu", "sigmoid", "softmax", "softplus",
           "call_function", "call_ufunc", "matmul", "getitem", "transpose"]
