"""numpy coverage, measured against HIPS autograd's own first-order gradient tests on real values.

Every case below checks `graphviz_ad.grad` against central finite differences (tests/gradcheck.py);
a few also check an answer derived by hand. Case ids start with the name of the autograd test they
mirror (from its tests/test_systematic.py, test_numpy.py, test_scalar_ops.py, test_binary_ops.py and
test_linalg.py), so the coverage figure can be read off: see `test_coverage_figure` and the list of
cases deliberately not supported, `UNSUPPORTED`, at the end of this file.
"""

import itertools
import operator

import numpy as np
import pytest

import graphviz_ad
from gradcheck import check_grads, projection, real_spectrum_matrix, scalarize, to_scalar
from graphviz_ad.errors import GraphvizAdWarning, TraceError

rng = np.random.default_rng(0)
NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
numpy2_only = pytest.mark.skipif(not NUMPY2, reason="a numpy 2 function or argument")
trapezoid = getattr(np, "trapezoid", None) or getattr(np, "trapz")


def R(*shape):
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def U(lo, hi, *shape):
    return rng.uniform(lo, hi, shape) if shape else float(rng.uniform(lo, hi))


def sym_psd(d, *batch):
    a = R(*batch, d, d)
    return a @ np.swapaxes(a, -1, -2) + d * np.eye(d)


def symmetrize(a):
    """Check symmetric-matrix functions on symmetric inputs only (as the peer's tests do)."""
    lower = np.tril(a)
    return (lower + np.swapaxes(lower, -1, -2)) / 2


def shape_id(*args):
    return "-".join("x".join(map(str, np.shape(a))) or "scalar" for a in args)


CASES = []


def case(name, fun, *args, argnum=0, marks=()):
    """One gradient check: `name` starts with the peer test it mirrors."""
    CASES.append(pytest.param(fun, args, argnum, id=name, marks=marks))


# ---------------------------------------------------------------------------------------------------
# test_systematic.py: reductions (stat_check) over axes and keepdims.

STAT_INPUTS = [((4,), None), ((3, 4), None), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), (0, 2))]
for fname in ["sum", "mean", "prod", "max", "min", "var", "std"]:
    for (shape, axis), keepdims in itertools.product(STAT_INPUTS, [False, True]):
        x = U(0.5, 1.5, *shape) if fname == "prod" else R(*shape)
        case(f"test_{fname}[{shape_id(x)}-axis={axis}-keepdims={keepdims}]",
             lambda x, f=getattr(np, fname), a=axis, k=keepdims: f(x, axis=a, keepdims=k), x)


# ---------------------------------------------------------------------------------------------------
# test_systematic.py: unary ufuncs (unary_ufunc_check), on a scalar, a vector and a matrix.

UNARY = [
    ("sin", np.sin, -2, 2), ("abs", np.abs, 0.1, 4), ("absolute", np.absolute, 0.1, 4),
    ("arccosh", np.arccosh, 1.1, 4), ("arcsinh", np.arcsinh, -0.9, 0.9), ("arctanh", np.arctanh, -0.9, 0.9),
    ("ceil", np.ceil, -1.4, 1.4), ("cos", np.cos, -2, 2), ("cosh", np.cosh, -2, 2),
    ("deg2rad", np.deg2rad, -2, 2), ("degrees", lambda x: np.degrees(x) / 50.0, -2, 2),
    ("exp", np.exp, -2, 2), ("exp2", np.exp2, -2, 2), ("expm1", np.expm1, -2, 2), ("fabs", np.fabs, 0.1, 2),
    ("floor", np.floor, -1.4, 1.4), ("log", np.log, 0.2, 2), ("log10", np.log10, 0.2, 2),
    ("log1p", np.log1p, 0.2, 2), ("log2", np.log2, 0.2, 2), ("rad2deg", lambda x: np.rad2deg(x) / 50.0, -2, 2),
    ("radians", np.radians, -2, 2), ("sign", np.sign, 0.1, 2), ("sinh", np.sinh, -2, 2),
    ("sqrt", np.sqrt, 1, 3), ("square", np.square, -2, 2), ("tan", np.tan, -1.1, 1.1),
    ("tanh", np.tanh, -2, 2), ("real", np.real, -2, 2), ("real_ic", np.real_if_close, -2, 2),
    ("conj", np.conj, -2, 2), ("imag", np.imag, -2, 2), ("angle", np.angle, -2, 2),
    # The peer's test_scalar_ops.py adds these.
    ("arcsin", np.arcsin, -0.9, 0.9), ("arccos", np.arccos, -0.9, 0.9), ("arctan", np.arctan, -2, 2),
    ("reciprocal", np.reciprocal, 0.5, 2), ("negative", np.negative, -2, 2), ("sinc", np.sinc, 0.1, 3),
    ("cbrt", np.cbrt, 0.5, 2),
]
# Rows the peer does not test are named numpy_*, so they do not count towards its coverage.
EXTRA = {"cbrt", "arctan2", "hypot", "subtract", "multiply", "power", "copysign"}


def prefix(name):
    return "numpy" if name in EXTRA else "test"


for name, fun, lo, hi in UNARY:
    for shape in [(), (3,), (2, 3)]:
        x = U(lo, hi, *shape)
        case(f"{prefix(name)}_{name}[{shape_id(x)}]", lambda x, f=fun: 3.0 * f(x), x)
case("test_sign[negative]", lambda x: 3.0 * np.sign(x), -1.1)
case("test_neg", lambda x: 3.0 * -x, R())
case("test_abs[at zero]", lambda x: 3.0 * np.abs(x), 0.0)


# ---------------------------------------------------------------------------------------------------
# test_systematic.py: binary ufuncs and operators (binary_ufunc_check), broadcasting both ways.

PAIRS = [((), (3, 4)), ((3, 4), ()), ((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), (3, 4))]
BINARY = [
    ("add", np.add, (-2, 2), (-2, 2)), ("logaddexp", np.logaddexp, (-2, 2), (-2, 2)),
    ("logaddexp2", np.logaddexp2, (-2, 2), (-2, 2)), ("remainder", np.remainder, (-0.9, 0.9), (0.7, 1.9)),
    ("true_divide", np.true_divide, (-2, 2), (0.8, 1.2)), ("mod", np.mod, (-2, 2), (0.8, 2.1)),
    ("true_divide_neg", np.true_divide, (-2, 2), (-2.0, -0.3)), ("mod_neg", np.mod, (-2, 2), (-2.0, -0.3)),
    ("op_mul", operator.mul, (-2, 2), (-2, 2)), ("op_add", operator.add, (-2, 2), (-2, 2)),
    ("op_sub", operator.sub, (-2, 2), (-2, 2)), ("op_mod", operator.mod, (-2, 2), (0.3, 2.0)),
    ("op_mod_neg", operator.mod, (-2, 2), (-2.0, -0.3)), ("op_div", operator.truediv, (-2, 2), (0.5, 2.0)),
    ("op_pow", operator.pow, (0.7, 2.0), (-2, 2)),
    ("maximum", np.maximum, (-2, 2), (-2, 2)), ("minimum", np.minimum, (-2, 2), (-2, 2)),
    ("fmax", np.fmax, (-2, 2), (-2, 2)), ("fmin", np.fmin, (-2, 2), (-2, 2)),
    ("arctan2", np.arctan2, (-2, 2), (0.5, 2)), ("hypot", np.hypot, (0.5, 2), (0.5, 2)),
    ("subtract", np.subtract, (-2, 2), (-2, 2)), ("multiply", np.multiply, (-2, 2), (-2, 2)),
    ("power", np.power, (0.7, 2.0), (-2, 2)), ("copysign", np.copysign, (0.5, 2), (0.5, 2)),
]
for name, fun, (alo, ahi), (blo, bhi) in BINARY:
    for sa, sb in PAIRS:
        a, b = U(alo, ahi, *sa), U(blo, bhi, *sb)
        case(f"{prefix(name)}_{name}[{shape_id(a, b)}]", fun, a, b, argnum=(0, 1))


# ---------------------------------------------------------------------------------------------------
# test_scalar_ops.py: the cases not already above (powers at special points, scalar pairs).

case("test_power_arg0", lambda x: np.power(x, 2.3), U(1, 2))
case("test_power_arg1", lambda y: np.power(1.7, y), U(0, 1))
case("test_power_arg1_zero", lambda y: np.power(0.0, y), U(0.1, 1))
for name, fun in [("mod", np.mod), ("divide", np.divide), ("multiply", np.multiply),
                  ("true_divide", np.true_divide)]:
    for k in (0, 1):
        case(f"test_{name}_arg{k}", fun, U(0.1, 0.9), U(0.1, 0.9), argnum=k)


def test_power_arg0_zero_exponent_at_zero():
    """x**0 is constant, so its derivative is 0 even at x = 0 (not 0 * inf)."""
    assert graphviz_ad.grad(lambda x: np.power(x, 0.0))(0.0) == 0.0


# ---------------------------------------------------------------------------------------------------
# test_binary_ops.py: operators over every pair of scalar, vector, matrix and row.

ARGS = {"scalar": 2.0, "vector": R(4), "mat": R(3, 4), "row": R(1, 4)}
for (na, a), (nb, b) in itertools.product(ARGS.items(), ARGS.items()):
    gap = lambda v: np.sqrt(np.square(v) + 0.5)  # noqa: E731  (keep away from 0)
    case(f"test_mul[{na}-{nb}]", operator.mul, a, b, argnum=(0, 1))
    case(f"test_add[{na}-{nb}]", operator.add, a, b, argnum=(0, 1))
    case(f"test_sub[{na}-{nb}]", operator.sub, a, b, argnum=(0, 1))
    case(f"test_div[{na}-{nb}]", operator.truediv, gap(a), gap(b), argnum=(0, 1))
    if na != nb:
        case(f"test_mod[{na}-{nb}]", operator.mod, gap(a), gap(b) + 0.3, argnum=(0, 1))
    case(f"test_pow[{na}-{nb}]", operator.pow, np.abs(a) + 1.1, b, argnum=(0, 1))


COMPARE = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("compare", COMPARE, ids=lambda f: f.__name__)
@pytest.mark.filterwarnings("ignore::graphviz_ad.GraphvizAdWarning")
def test_comparison_grads(compare):
    """Comparisons carry no gradient: the gradient through them is zero, and values are unchanged."""
    for a, b in itertools.product(ARGS.values(), ARGS.values()):
        fun = lambda x, y: np.sum(compare(x, y)) + 0.0 * np.sum(x) + 0.0 * np.sum(y)  # noqa: E731
        value, grads = graphviz_ad.value_and_grad(fun, (0, 1))(a, b)
        assert value == fun(a, b)
        assert np.all(grads[0] == 0) and np.all(grads[1] == 0)


@pytest.mark.parametrize("fun", [np.all, np.any], ids=["test_all", "test_any"])
def test_logical_reductions_have_zero_gradient(fun):
    x = R(3, 4)
    with pytest.warns(GraphvizAdWarning):
        g = graphviz_ad.grad(lambda x: fun(x > 0) + 0.0)(x)
    assert np.array_equal(g, np.zeros((3, 4)))


# ---------------------------------------------------------------------------------------------------
# test_systematic.py: products, contractions and einsum.

for axes in [None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]]:
    case(f"test_transpose[axes={axes}]", lambda x, a=axes: np.transpose(x, a), R(2, 3, 4))
for a, b in [(1.5, 0.3), (R(3), R(3)), (R(2, 3), R(3)), (R(3), R(3, 4)), (R(2, 3), R(3, 4)),
             (R(2, 2, 3), R(2, 3, 4)), (R(2, 3), 0.3), (1.5, R(3, 4))]:
    case(f"test_dot[{shape_id(a, b)}]", np.dot, a, b, argnum=(0, 1))
for a, b in [(1.5, 0.3), (R(3), R(3)), (R(2, 3), R(4, 3)), (R(3), R(4, 3))]:
    case(f"test_inner[{shape_id(a, b)}]", np.inner, a, b, argnum=(0, 1))
for a, b in [(R(3), R(3)), (R(2, 3), R(3, 4)), (R(2, 2, 3), R(2, 3, 4)), (R(2, 3), R(3)), (R(2, 2, 3), R(3, 4))]:
    case(f"test_matmul[{shape_id(a, b)}]", np.matmul, a, b, argnum=(0, 1))
TENSORDOT = [
    ("1", R(2, 3, 2), R(3, 4, 2), [(1,), (0,)]), ("1", R(1, 3), R(3), [(1,), (0,)]),
    ("2", R(3), R(2, 3, 2), [(0,), (1,)]), ("2", R(3, 4, 2), R(1, 3), [(0,), (1,)]),
    ("3", R(2, 3, 4), R(2, 2, 3, 4), [(0, 1), (1, 2)]), ("3", R(2, 3), R(1, 2, 3), [(1, 0), (2, 1)]),
    ("4", R(4, 2, 2), R(2, 2, 4), 1), ("4", R(4, 2, 2), R(2, 2, 4), 2), ("4", R(2, 2), R(2, 2), 2),
    ("5", R(4), R(), 0), ("6", R(2, 6), R(6, 3), [[-1], [0]]),
]
for n, a, b, axes in TENSORDOT:
    case(f"test_tensordot_{n}[{shape_id(a, b)}-axes={axes}]", lambda a, b, ax=axes: np.tensordot(a, b, ax),
         a, b, argnum=(0, 1))
case("test_kron[5x5-3x3]", np.kron, R(3, 3), R(2, 2), argnum=(0, 1))
case("test_kron[4x4-2x2]", np.kron, R(2, 2), R(2, 3), argnum=(0, 1))
case("test_kron[vector-matrix]", np.kron, R(3), R(2, 2), argnum=(0, 1))
for a, b in [(R(4), R(5)), (R(2, 2), R(3))]:
    case(f"test_outer[{shape_id(a, b)}]", np.outer, a, b, argnum=(0, 1))

EINSUM = [
    ("test_einsum_transpose", "ij->ji", [R(1, 1)]), ("test_einsum_transpose", "ij->ji", [R(3, 4)]),
    ("test_einsum_matmult", "ij,jk->ik", [R(2, 3), R(3, 4)]),
    ("test_einsum_matmult_broadcast", "...ij,...jk->...ik", [R(2, 3), R(2, 3, 4)]),
    ("test_einsum_matmult_broadcast", "...ij,...jk->...ik", [R(2, 2, 3), R(3, 4)]),
    ("test_einsum_matmult_broadcast", "...ij,...jk->...ik", [R(1, 2, 3), R(2, 3, 4)]),
    ("test_einsum_covsum", "ijk,lji->lki", [R(3, 4, 4), R(4, 4, 3)]),
    ("test_einsum_ellipses", "...jk,...lj->...lk", [R(3, 4, 4), R(4, 4)]),
    ("test_einsum_ellipses", "...,...->...", [R(3, 4, 4), R(4, 4)]),
    ("test_einsum_ellipses_tail", "jk...,lj...->lk...", [R(3, 2, 4), R(2, 3)]),
    ("test_einsum_ellipses_center", "j...k,lj...->lk...", [R(2, 2, 2), R(2, 2)]),
    ("test_einsum_three_args", "ijk,lji,lli->lki", [R(3, 4, 4), R(4, 4, 3), R(4, 4, 3)]),
    ("numpy_einsum_diagonal", "ii->i", [R(4, 4)]), ("numpy_einsum_trace", "ii", [R(4, 4)]),
    ("numpy_einsum_implicit", "ij,jk", [R(2, 3), R(3, 4)]), ("numpy_einsum_implicit", "...i,...i", [R(2, 3), R(3)]),
    ("numpy_einsum_sum", "ij->", [R(2, 3)]), ("numpy_einsum_outer", "i,j->ij", [R(2), R(3)]),
]
for name, subscripts, ops in EINSUM:
    case(f"{name}[{subscripts}-{shape_id(*ops)}]", lambda *o, s=subscripts: np.einsum(s, *o), *ops,
         argnum=tuple(range(len(ops))))
case("test_einsum2_transpose", lambda a: np.einsum(a, [0, 1], [1, 0]), R(3, 4))
case("test_einsum2_matmult", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), R(2, 3), R(3, 4), argnum=(0, 1))
case("test_einsum2_matmult_broadcast",
     lambda a, b: np.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2], [Ellipsis, 0, 2]),
     R(2, 2, 3), R(3, 4), argnum=(0, 1))
case("test_einsum2_covsum", lambda a, b: np.einsum(a, [0, 1, 2], b, [3, 1, 0], [3, 2, 0]),
     R(3, 4, 4), R(4, 4, 3), argnum=(0, 1))
case("test_einsum2_three_args", lambda a, b, c: np.einsum(a, [0, 1, 2], b, [3, 1, 0], c, [3, 3, 0], [3, 2, 0]),
     R(3, 4, 4), R(4, 4, 3), R(4, 4, 3), argnum=(0, 1, 2))


# ---------------------------------------------------------------------------------------------------
# test_systematic.py: shapes, orderings, triangles, splitting and joining.

for x, repeats, axis in itertools.product([R(2, 3, 4), R(3, 1)], [0, 1, 2], [None, 0, 1]):
    case(f"test_repeat[{shape_id(x)}-{repeats}-axis={axis}]", lambda x, r=repeats, a=axis: np.repeat(x, r, a), x)
for x, n, axis in [(R(5, 5), 1, 0), (R(5, 5), 2, 1), (R(3, 3, 3), 2, 0), (R(1), 1, 0), (R(1, 1), 1, 0),
                   (R(3, 1), 1, 1)]:
    case(f"test_diff[{shape_id(x)}-n={n}-axis={axis}]", lambda x, n=n, a=axis: np.diff(x, n=n, axis=a), x)
case("test_diff[prepend-append]", lambda x: np.diff(x, prepend=0.5, append=x[:1]), R(5))
for x, reps in [(R(2, 1, 3, 1), (1, 4, 1, 2)), (R(1, 2), (1, 2)), (R(1, 2), (2, 3)), (R(1, 2), (3, 2, 1)),
                (R(1), (2,)), (R(1), 2)]:
    case(f"test_tile[{shape_id(x)}-reps={reps}]", lambda x, r=reps: np.tile(x, r), x)
for x in [R(1), R(7)]:
    case(f"test_sort[{shape_id(x)}]", np.sort, x)
    case(f"test_msort[{shape_id(x)}]", lambda x: np.sort(x, axis=0), x)
case("test_sort[2d-axis]", lambda x: np.sort(x, axis=0), R(3, 4))
case("test_sort[axis=None]", lambda x: np.sort(x, axis=None), R(3, 4))
for x, kth in itertools.product([R(7), R(14)], [0, 3, 6]):
    case(f"test_partition[{shape_id(x)}-kth={kth}]", lambda x, k=kth: np.partition(x, k), x)
for n, f in [(1, np.atleast_1d), (2, np.atleast_2d), (3, np.atleast_3d)]:
    for x in [1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)] + ([R(2, 4, 3, 5)] if n == 3 else []):
        case(f"test_atleast_{n}d[{shape_id(x)}]", f, x)
for x, offset in itertools.product([R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)], [-1, 0, 1]):
    case(f"test_trace[{shape_id(x)}-offset={offset}]", lambda x, o=offset: np.trace(x, offset=o), x)
for k in [-1, 0, 1]:
    case(f"test_diag[k={k}]", lambda x, k=k: np.diag(x, k), R(5, 5))
    case(f"test_diag_flat[k={k}]", lambda x, k=k: np.diag(x, k), R(5))
    for x in [R(5, 5), R(3, 5, 4)]:
        suffix = "_3d" if np.ndim(x) == 3 else ""
        case(f"test_tril{suffix}[{shape_id(x)}-k={k}]", lambda x, k=k: np.tril(x, k), x)
        case(f"test_triu{suffix}[{shape_id(x)}-k={k}]", lambda x, k=k: np.triu(x, k), x)
for a1, a2 in itertools.product([0, 1, 2], [0, 1, 2]):
    case(f"test_swapaxes[{a1}-{a2}]", lambda x, a=a1, b=a2: np.swapaxes(x, a, b), R(3, 4, 5))
for axis, start in itertools.product([0, 1, 2], [0, 1, 2, 3]):
    case(f"test_rollaxis[axis={axis}-start={start}]", lambda x, a=axis, s=start: np.rollaxis(x, a, s), R(2, 3, 4))
for axisa, axisb, axisc in [(-1, -1, -1), (0, 1, -1), (1, 0, 0), (0, 0, 1), (-1, 0, 1)]:
    case(f"test_cross[axisa={axisa}-axisb={axisb}-axisc={axisc}]",
         lambda a, b, x=axisa, y=axisb, z=axisc: np.cross(a, b, axisa=x, axisb=y, axisc=z),
         R(3, 3), R(3, 3), argnum=(0, 1))
for axis in [-1, 0, 1]:
    case(f"test_cross[axis={axis}]", lambda a, b, x=axis: np.cross(a, b, axis=x), R(3, 3), R(3, 3), argnum=(0, 1))
case("test_cross[2-vectors]", np.cross, R(4, 2), R(4, 2), argnum=(0, 1),
     marks=pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning"))

SPLITS = [
    ("vsplit_2d", np.vsplit, R(4, 8), [4, [1, 2]], [None]), ("vsplit_3d", np.vsplit, R(4, 4, 4), [2, [1, 2]], [None]),
    ("hsplit_2d", np.hsplit, R(4, 8), [4, [1, 2]], [None]), ("hsplit_3d", np.hsplit, R(4, 4, 4), [2, [1, 2]], [None]),
    ("dsplit_3d", np.dsplit, R(4, 4, 4), [2, [1, 2]], [None]),
    ("split_1d", np.split, R(7), [1], [0]), ("split_1d", np.split, R(1), [1], [0]),
    ("split_2d", np.split, R(4, 8), [4, [1, 2]], [0, 1]), ("split_3d", np.split, R(4, 4, 4), [2, [1, 2]], [0, 1, 2]),
    ("array_split_1d", np.array_split, R(7), [1, 3], [0]),
    ("array_split_2d", np.array_split, R(7, 7), [4, [3, 5]], [0, 1]),
    ("array_split_3d", np.array_split, R(7, 7, 7), [4, [3, 5]], [0, 1, 2]),
]
for name, fun, x, sections, axes in SPLITS:
    for s, axis in itertools.product(sections, axes):
        call = (lambda x, f=fun, s=s: f(x, s)) if axis is None else (lambda x, f=fun, s=s, a=axis: f(x, s, axis=a))
        case(f"test_{name}[{shape_id(x)}-{s}-axis={axis}]", call, x)

for name, pieces, axes in [("concatenate_1ist", [R(1), R(3)], [0]), ("concatenate_2d", [R(2, 2), R(2, 2)], [0, 1]),
                           ("concatenate_3d", [R(2, 2, 2), R(2, 2, 2)], [0, 1, 2])]:
    for axis in axes:
        case(f"test_{name}[axis={axis}]", lambda a, b, x=axis: np.concatenate((a, b), axis=x), *pieces, argnum=(0, 1))
case("test_concatenate_tuple", lambda a, b: np.concatenate([a, b], axis=0), R(1), R(3), argnum=(0, 1))
STACKS = [("vstack_1d", np.vstack, [R(2), R(2)]), ("vstack_2d", np.vstack, [R(2, 4), R(1, 4)]),
          ("vstack_3d", np.vstack, [R(2, 3, 4), R(5, 3, 4)]), ("hstack_1d", np.hstack, [R(2), R(2)]),
          ("hstack_2d", np.hstack, [R(3, 4), R(3, 5)]), ("hstack_3d", np.hstack, [R(2, 1, 4), R(2, 5, 4)]),
          ("row_stack_1d", np.vstack, [R(2), R(2)]), ("row_stack_2d", np.vstack, [R(2, 4), R(1, 4)]),
          ("column_stack_1d", np.column_stack, [R(2), R(2)]),
          ("column_stack_2d", np.column_stack, [R(2, 2), R(2, 2)])]
for name, fun, pieces in STACKS:
    case(f"test_{name}[one]", lambda a, f=fun: f((a,)), pieces[0])
    case(f"test_{name}[two]", lambda a, b, f=fun: f((a, b)), *pieces, argnum=(0, 1))
for axis in [0, 1]:
    case(f"test_stack_1d[one-axis={axis}]", lambda a, x=axis: np.stack((a,), axis=x), R(2))
    case(f"test_stack_1d[two-axis={axis}]", lambda a, b, x=axis: np.stack((a, b), axis=x), R(2), R(2), argnum=(0, 1))

SELECT_CONDS = [R(3, 4, 5) > 0, R(3, 4, 5) > 0, R(3, 4, 5) > 0]
for default in [0.0, 1.1]:
    case(f"test_select[default={default}]", lambda a, b, c, d=default: np.select(SELECT_CONDS, [a, b, c], d),
         R(3, 4, 5), R(3, 4, 5), R(3, 4, 5), argnum=(0, 1, 2))


# ---------------------------------------------------------------------------------------------------
# test_numpy.py: one case per peer test (small shapes).

A3 = R(5, 6, 4)
case("test_dot[mat-vec]", np.dot, R(4, 5), R(5), argnum=(0, 1))
case("test_dot[mat-mat.T]", np.dot, R(4, 5), R(4, 5).T, argnum=(0, 1))
case("test_dot[vec-mat]", np.dot, R(4), R(4, 5), argnum=(0, 1))
case("test_dot[vec-vec]", np.dot, R(5), R(5), argnum=(0, 1))
for a, b in [(R(4, 5), R()), (R(), R(4, 5)), (R(4), R()), (R(), R(4))]:
    case(f"test_dot_with_floats[{shape_id(a, b)}]", np.dot, a, b, argnum=(0, 1))
case("test_outer", np.outer, R(5), R(5), argnum=(0, 1))
for name, f in [("max", np.max), ("min", np.min)]:
    case(f"test_{name}", f, R(4, 5))
    case(f"test_{name}_axis", lambda x, f=f: f(x, axis=1), R(3, 4, 5))
    case(f"test_{name}_axis_keepdims", lambda x, f=f: f(x, axis=1, keepdims=True), R(3, 4, 5))
case("test_sum_1", np.sum, R(4, 5))
case("test_sum_2", lambda x: np.sum(x, axis=0), R(4, 5))
case("test_sum_3", lambda x: np.sum(x, axis=0, keepdims=True), R(4, 5))
case("test_sum_with_axis_tuple", lambda x: np.sum(x, axis=(1, 2)), R(3, 4, 2))
case("test_flipud", np.flipud, R(4, 5))
case("test_fliplr", np.fliplr, R(4, 5))
case("numpy_flip[axis=None]", np.flip, R(2, 3, 4))
for k in [1, 2, 3, -1]:
    case(f"test_rot90[k={k}]", lambda x, k=k: np.rot90(x, k), R(4, 5))
case("test_rot90[3d-axes]", lambda x: np.rot90(x, 1, axes=(1, 2)), R(2, 3, 4))
case("test_cumsum_axis0", lambda x: np.cumsum(x, axis=0), R(4, 5))
case("test_cumsum_axis1", lambda x: np.cumsum(x, axis=1), R(4, 5))
case("test_cumsum_1d", np.cumsum, R(5))
case("test_cumsum_no_axis", np.cumsum, R(4, 5))
case("test_non_numpy_sum", lambda x, y: sum([x, y]), R(4, 5), R(4, 5), argnum=(0, 1))
case("test_mean_1", np.mean, R(4, 5))
case("test_mean_2", lambda x: np.mean(x, axis=0), R(4, 5))
case("test_mean_3", lambda x: np.mean(x, axis=0, keepdims=True), R(4, 5))
case("test_index_ints", lambda x: x[3, 0, 1], A3)
case("test_index_slice", lambda x: x[::-1, 2:4, :], A3)
case("test_index_lists", lambda x: x[[0, 1, 2], :, :], A3)
case("test_index_mixed", lambda x: x[3, 2:, [1, 3]], A3)
case("test_vector_slice", lambda x: x[2:4], R(5))
case("test_index_slice_fanout", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :], A3)
case("test_index_multiple_slices", lambda x: x[2:6][1:3], R(7))
case("test_reshape_method", lambda x: x.reshape((5 * 4, 6)), A3)
case("test_reshape_call", lambda x: np.reshape(x, (5 * 4, 6)), A3)
case("test_reshape_method_nolist", lambda x: x.reshape(5 * 4, 6), A3)
case("test_ravel_method", lambda x: x.ravel(), A3)
case("test_ravel_call", np.ravel, A3)
case("test_flatten_method", lambda x: x.flatten(), A3)
case("test_simple_append_list", lambda a0, a1, a2, b: np.append([a0, a1, a2], b), 1.0, 2.0, 3.0, 4.0,
     argnum=(0, 1, 2, 3))
case("test_simple_append_arr", np.append, np.array([1.0, 2.0, 3.0]), 4.0, argnum=(0, 1))
case("numpy_append[axis]", lambda a, b: np.append(a, b, axis=0), R(2, 3), R(1, 3), argnum=(0, 1))


def test_simple_append_list_2D():
    """np.append of nested lists of numbers (each one a traced input), along axis 0."""
    a, b = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]]
    ga, gb = check_grads(lambda a, b: np.append(a, b, axis=0), a, b, argnum=(0, 1))
    weights = projection((3, 3))   # the gradient of scalarize(out) is its projection, row by row
    np.testing.assert_allclose(ga, weights[:2], rtol=1e-12)
    np.testing.assert_allclose(gb, weights[2:], rtol=1e-12)
B3 = R(4, 6, 4)
case("test_simple_concatenate", lambda x: np.concatenate((A3, x)), B3)
case("test_concatenate_axis_0", lambda x: np.concatenate((A3, x, A3)), R(5, 6, 4))
case("test_concatenate_axis_1", lambda x: np.concatenate((A3, x, A3), axis=1), R(5, 6, 4))
case("test_concatenate_axis_1_unnamed", lambda x: np.concatenate((A3, x, A3), 1), R(5, 6, 4))
case("test_trace[offset=3]", lambda x: np.trace(x, offset=3), R(5, 6))
case("test_trace2[offset=-2]", lambda x: np.trace(x, offset=-2), R(6, 5))
case("test_trace_extradims", lambda x: np.trace(x, offset=1), R(5, 6, 4, 3))
case("test_split_1d[first half]", lambda x: np.split(x, 2)[0], R(10))
case("test_diag", np.diag, R(5, 5))
case("test_transpose[.T]", lambda x: x.T, R(4, 4))
case("test_roll", lambda x: np.roll(x, 2, axis=1), R(4, 5))
case("test_roll_no_axis", lambda x: np.roll(x, 2), R(4, 5))
case("test_roll[several axes]", lambda x: np.roll(x, (1, -2), axis=(0, 1)), R(4, 5))
case("test_triu", lambda x: np.triu(x, k=2), R(5, 5))
case("test_tril", lambda x: np.tril(x, k=2), R(5, 5))
case("test_clip", lambda x: np.clip(x, a_min=0.1, a_max=1.1), R(5, 5))
case("test_clip[traced bounds]", lambda x, lo, hi: np.clip(x, lo, hi), R(3, 4), U(-0.5, -0.2, 4), U(0.2, 0.5, 3, 1),
     argnum=(0, 1, 2))
case("test_clip[one bound]", lambda x: np.clip(x, None, 0.3) + np.clip(x, -0.3, None), R(3, 4))
case("test_clip[keywords]", lambda x: x.clip(min=-0.3) + np.clip(x, max=0.2), R(3, 4), marks=numpy2_only)
case("test_prod_1", np.prod, R(2, 3) ** 2 / 10.0 + 0.1)
case("test_prod_2", lambda x: np.prod(x, axis=0), R(2, 3) ** 2 + 0.1)
case("test_prod_3", lambda x: np.prod(x, axis=0, keepdims=True), R(2, 3) ** 2 + 0.1)
case("test_prod_4", np.prod, R(7) ** 2 + 0.1)
case("test_prod[with a zero]", np.prod, np.array([1.5, 0.0, -2.0, 0.7]))
case("test_len", lambda x: x * len(x), R(3, 2))
case("test_no_relation", lambda x: 0.0 * np.sum(x) + np.sum(A3), R(3, 2))
for x, axis, keepdims, ddof in [(R(3), None, False, 0), (R(3), None, True, 1), (R(3, 4), None, False, 1),
                                (R(1, 3), None, True, 0), (R(3, 4), 1, True, 2), (R(3, 4), 1, False, 2),
                                (R(3, 4), None, False, 2)]:
    for name, f in [("var", np.var), ("std", np.std)]:
        case(f"test_{name}_ddof[{shape_id(x)}-axis={axis}-keepdims={keepdims}-ddof={ddof}]",
             lambda x, f=f, a=axis, k=keepdims, d=ddof: f(x, axis=a, keepdims=k, ddof=d), x)
for x, axis in [(R(1, 3), 0), (R(3, 1), 1), (np.full(4, 0.7), None)]:   # std 0: the subgradient 0
    case(f"test_std[zero spread-{shape_id(x)}-axis={axis}]", lambda x, a=axis: np.std(x, axis=a), x)
COND = R(4, 5) > 0
case("test_where", lambda x, y: np.where(COND, x, y), R(4, 5), R(4, 5), argnum=(0, 1))
case("test_squeeze_func", np.squeeze, R(5, 1, 4))
case("test_squeeze_method", lambda x: x.squeeze(), R(5, 1, 4))
case("test_repeat[axis1]", lambda x: np.repeat(x, 2, axis=1), R(5, 3, 4))
case("test_repeat_axis1_rep1", lambda x: np.repeat(x, 1, axis=1), R(5, 3, 4))
case("test_repeat_axis0", lambda x: np.repeat(x, 2, axis=0), R(5, 3))
case("test_repeat_1d_axis0", lambda x: np.repeat(x, 2, axis=0), R(5))
case("test_repeat_axis0_rep1", lambda x: np.repeat(x, 1, axis=0), R(5, 1))
case("numpy_repeat[method]", lambda x: x.repeat(2), R(2, 3))
case("test_expand_dims", lambda x: np.expand_dims(x, 2), R(5, 1, 4))
case("test_tensordot_kwargs_by_position", lambda x: np.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2), 1.0)
case("test_multi_index", lambda x: np.sum(x[[0, 0]]), R(3))
case("test_multi_index2", lambda x: np.sum(x[[0, 1, 0]]), R(3))
case("test_index_dot_slices", lambda x: np.dot(x[:2], x[2:]), R(4))
case("test_diagonal", lambda x: np.diagonal(x, axis1=-1, axis2=-2), R(4, 4))
case("test_diagonal[3d]", lambda x: np.diagonal(x, axis1=-1, axis2=-2), R(3, 4, 4))
NAN_INF = np.array([0.0, np.nan, np.inf, -np.inf])
case("test_nan_to_num", lambda x: np.sum(np.sin(np.nan_to_num(x + NAN_INF))), R(4))
# np.array([...]) of traced values is not supported (see UNSUPPORTED); the ties are checked with np.stack.
case("test_max_equal_values", lambda x: np.max(np.stack([x, x])), 1.0)
for x in [1.0, -1.0]:
    case(f"test_max_equal_values_2d[{x}]",
         lambda x: np.max(np.stack([np.stack([x, x]), np.stack([x, 0.5])]), axis=1), x)
    case(f"test_min_3_way_equality[{x}]",
         lambda x: np.min(np.stack([np.stack([x, x, x]), np.stack([x, 0.5, 0.5]), np.stack([0.5, 0.5, 0.5]),
                                    np.stack([x, x, 0.5])]), axis=0), x)
case("test_maximum_equal_values", lambda x: np.maximum(x, x), 1.0)
for x in [1.0, -1.0, 2.0]:
    case(f"test_maximum_equal_values_2d[{x}]",
         lambda x: np.maximum(np.stack([x, x, 0.5]), np.stack([np.stack([x, 0.5, x]), np.stack([x, x, 0.5])])), x)
for num, (a, b) in itertools.product([0, 1, 5], [(1.2, 3.4), (1.2, -3.4), (1.2, 1.2)]):
    case(f"test_linspace[num={num}-{a}-{b}]", lambda x, y, n=num: np.linspace(x, y, n) + 0.0 * x, a, b,
         argnum=(0, 1))


CAST_W = np.column_stack([R(5, 3), [1.2, 0.4, 2.9, 1.7, 0.1]])   # last column: rows to pick, as floats
case("test_cast_to_int", lambda W: np.sum(W[:, :-1][np.int64(W[:, -1])] ** 2), CAST_W)


def test_cast_to_int_is_a_constant():
    """np.int64(x) is a step function of x: its gradient is 0, and the rows it picks get theirs."""
    def fun(W):
        picked = np.int64(W[:, -1])
        assert picked.dtype == np.int64 and type(picked) is np.ndarray
        return np.sum(W[:, :-1][picked] ** 2)
    counts = np.bincount(np.int64(CAST_W[:, -1]), minlength=5)[:, None]
    want = np.column_stack([2 * counts * CAST_W[:, :-1], np.zeros(5)])
    np.testing.assert_allclose(graphviz_ad.grad(fun)(CAST_W), want, rtol=1e-12)


def test_zero_spread_std_has_zero_gradient():
    """std where every value of the slice is equal: 0, not NaN (0 over 0)."""
    g = graphviz_ad.grad(lambda x: np.sum(np.std(x, axis=0)) + np.std(x[0]))(np.array([[0.5, 1.0, 2.0]]))
    row = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(g, [(row - row.mean()) / (3 * np.std(row))], rtol=1e-12)   # d std/dx_i
    assert not np.any(np.isnan(graphviz_ad.grad(np.std)(np.full((2, 3), 1.5))))


def test_numpy_function_itself_reads_nested_lists():
    """grad(np.sum) and trace(np.append, ...) of nested lists: numpy's function object, taken before
    the trace, reads the lists of traced values as arrays, as it does inside a traced function."""
    assert graphviz_ad.grad(np.sum)([[1.0, 2.0], [3.0, 4.0]]) == [[1.0, 1.0], [1.0, 1.0]]
    G = graphviz_ad.trace(np.append, [[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]], axis=0)
    np.testing.assert_array_equal(G.nodes[G.output]["value"], [[1, 2, 3], [4, 5, 6]])


def test_astype_keeps_input_dtype():
    x = np.arange(3, dtype="float32")
    g = graphviz_ad.grad(lambda x: np.sum(np.sin(x.astype("float64"))))(x)
    assert g.dtype == np.dtype("float32")
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)


# ---------------------------------------------------------------------------------------------------
# test_linalg.py: real-valued first-order cases.

def well_conditioned(d, *batch):
    return R(*batch, d, d) + d * np.eye(d)


case("test_inv", np.linalg.inv, well_conditioned(4))
case("test_inv_3d", np.linalg.inv, well_conditioned(3, 3))
case("test_inv_3d[4d]", np.linalg.inv, well_conditioned(3, 2, 2))
B_MAT, B_VEC = R(4, 3), R(4)
case("test_solve_arg1", lambda a: np.linalg.solve(a, B_MAT), well_conditioned(4))
case("test_solve_arg1_1d", lambda a: np.linalg.solve(a, B_VEC), well_conditioned(4))
A_MAT = well_conditioned(4)
case("test_solve_arg2", lambda b: np.linalg.solve(A_MAT, b), R(4, 3))
case("numpy_solve[both]", np.linalg.solve, well_conditioned(4), R(4), argnum=(0, 1))
# numpy >= 2 reads a 2-D b as one matrix, so the peer's b of shape (5, 4) becomes a stack of columns.
B_COLUMNS, B_STACK = R(5, 4, 1), R(5, 4, 6)
case("test_solve_arg1_3d", lambda a: np.linalg.solve(a, B_COLUMNS), well_conditioned(4, 5))
case("test_solve_arg1_3d_3d", lambda a: np.linalg.solve(a, B_STACK), well_conditioned(4, 5))
case("numpy_solve[broadcast b]", np.linalg.solve, well_conditioned(3, 2), R(1, 3, 2), argnum=(0, 1))
case("test_det", np.linalg.det, R(4, 4))
case("test_det_3d", np.linalg.det, R(3, 3, 3))
MAT = R(4, 4)
case("test_slogdet", lambda x: np.linalg.slogdet(x)[1], MAT)
case("test_slogdet[negative]", lambda x: np.linalg.slogdet(x)[1], -MAT)
case("test_slogdet_3d", lambda x: np.sum(np.linalg.slogdet(x)[1]), sym_psd(4, 3))
case("test_vector_2norm", np.linalg.norm, R(6))
case("test_frobenius_norm", np.linalg.norm, R(4, 3))
case("test_frobenius_norm_axis", lambda x: np.linalg.norm(x, axis=(0, 1)), R(4, 3, 2))
for order in [2, 3, 4, 1, np.inf, -np.inf, 0.5]:
    case(f"test_vector_norm_ord[{order}]", lambda x, o=order: np.linalg.norm(x, ord=o), R(6))
for axis in range(3):
    case(f"test_norm_axis[{axis}]", lambda x, a=axis: np.linalg.norm(x, axis=a), R(4, 3, 2))
case("numpy_norm[keepdims]", lambda x: np.linalg.norm(x, axis=1, keepdims=True), R(4, 3))
case("test_norm_nuclear", lambda x: np.linalg.norm(x, ord="nuc"), R(4, 3))
case("test_norm_nuclear_axis", lambda x: np.linalg.norm(x, ord="nuc", axis=(0, 1)), R(4, 3, 2))
for order in [1, -1, 2, -2, np.inf, -np.inf, "fro"]:
    case(f"numpy_matrix_norm_ord[{order}]", lambda x, o=order: np.linalg.norm(x, ord=o), R(4, 3))


def eigh_sum(x, *uplo):
    w, v = np.linalg.eigh(x, *uplo)
    return scalarize(w) + scalarize(v)


HMAT = sym_psd(4)
HMAT_BATCH = np.einsum("...ij,...kj->...ik", *(2 * [R(2, 3, 4, 4) + 4 * np.eye(4)]))
for uplo in ["L", "U"]:
    name = "lower" if uplo == "L" else "upper"
    case(f"test_eigvalh_{name}", lambda x, u=uplo: eigh_sum(symmetrize(x), u), HMAT)
    case(f"test_eigvalh_{name}[one triangle read]", lambda x, u=uplo: eigh_sum(x, u), HMAT)
    case(f"test_eigvalh_{name}_broadcasting", lambda x, u=uplo: eigh_sum(symmetrize(x), u), HMAT_BATCH)
case("numpy_eigvalsh", lambda x: np.linalg.eigvalsh(symmetrize(x)), HMAT)
case("test_cholesky", lambda x: np.linalg.cholesky(symmetrize(x)), sym_psd(4))
case("test_cholesky[lower triangle read]", np.linalg.cholesky, sym_psd(4))
case("test_cholesky_broadcast", lambda x: np.linalg.cholesky(symmetrize(x)), sym_psd(3, 3))
case("test_cholesky[upper]", lambda x: np.linalg.cholesky(symmetrize(x), upper=True), sym_psd(4), marks=numpy2_only)
Z = np.random.default_rng(1).standard_normal(4)
case("test_cholesky_reparameterization_trick",
     lambda x: np.linalg.norm(np.dot(np.linalg.cholesky(symmetrize(x)), Z)), sym_psd(4))


def svd_sum(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return scalarize(u) + scalarize(s) + scalarize(vh)


for name, shape in [("wide_2d", (3, 5)), ("wide_3d", (4, 3, 5)), ("square_2d", (4, 4)), ("square_3d", (3, 4, 4)),
                    ("tall_2d", (5, 3)), ("tall_3d", (4, 5, 3))]:
    case(f"test_svd_{name}", svd_sum, R(*shape))
case("test_svd_only_s_2d", lambda x: np.linalg.svd(x, full_matrices=False, compute_uv=False), R(5, 3))
case("test_svd_only_s_3d", lambda x: np.linalg.svd(x, full_matrices=False, compute_uv=False), R(4, 5, 3))


# ---------------------------------------------------------------------------------------------------
# Beyond the peer's list: functions people commonly reach for.

case("numpy_cumprod", np.cumprod, U(0.5, 1.5, 5))
case("numpy_cumprod[axis]", lambda x: np.cumprod(x, axis=1), U(0.5, 1.5, 3, 4))
case("numpy_cumprod[with a zero]", np.cumprod, np.array([1.5, -0.5, 0.0, 2.0, 0.7]))
case("numpy_take", lambda x: np.take(x, [2, 0, 2], axis=1), R(3, 4))
case("numpy_take_along_axis", lambda x: np.take_along_axis(x, np.argsort(x, axis=1), axis=1), R(3, 4))
case("numpy_pad[constant]", lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=0.5), R(2, 3))
for mode in ["edge", "reflect", "symmetric", "wrap"]:
    case(f"numpy_pad[{mode}]", lambda x, m=mode: np.pad(x, 2, mode=m), R(3, 4))
NANS = np.where(R(3, 4) > 1.0, np.nan, 0.0)
for name in ["nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod"]:
    for axis in [None, 1]:
        case(f"numpy_{name}[axis={axis}]", lambda x, f=getattr(np, name), a=axis: f(x + NANS, axis=a),
             U(0.5, 1.5, 3, 4))
case("numpy_nancumsum", lambda x: np.nancumsum(x + NANS, axis=0), R(3, 4))
case("numpy_average", lambda x, w: np.average(x, axis=1, weights=w), R(3, 4), U(0.5, 1.5, 4), argnum=(0, 1))
case("numpy_average[no weights]", np.average, R(3, 4))
case("numpy_ptp", lambda x: np.ptp(x, axis=0), R(3, 4))
case("numpy_median[odd]", np.median, R(5))
case("numpy_median[even-axis]", lambda x: np.median(x, axis=1), R(3, 4))
case("numpy_percentile", lambda x: np.percentile(x, [10.0, 75.0], axis=0), R(6, 3))
case("numpy_quantile[keepdims]", lambda x: np.quantile(x, 0.3, axis=1, keepdims=True), R(3, 6))
case("numpy_broadcast_to", lambda x: np.broadcast_to(x, (3, 4)), R(1, 4))
case("numpy_matrix_power", lambda x: np.linalg.matrix_power(x, 3), R(3, 3))
case("numpy_matrix_power[negative]", lambda x: np.linalg.matrix_power(x, -2), well_conditioned(3))
case("numpy_multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c]), R(2, 3), R(3, 4), R(4), argnum=(0, 1, 2))
case("numpy_index[boolean mask]", lambda x: x[x > 0], R(3, 4))
case("numpy_index[None-Ellipsis]", lambda x: x[None, ..., 1], R(3, 4))
case("numpy_index[scalar-None]", lambda x: x[None] * np.array([1.0, 2.0]), np.array(1.5))
case("numpy_index[integer arrays]", lambda x: x[np.array([[0, 2], [1, 1]]), np.array([1, 3])], R(3, 4))
case("numpy_iter_unpacking", lambda x: (lambda a, b, c: a * b - c)(*x), R(3, 2))
case("numpy_moveaxis", lambda x: np.moveaxis(x, 0, -1), R(2, 3, 4))
case("numpy_unique", lambda x: np.unique(np.concatenate([x, x[:2]])), R(5))
case("numpy_unique[counts]", lambda x: np.unique(np.round(x), return_counts=True)[0] * x[0], R(6))
case("numpy_bincount[weights]", lambda w: np.bincount(np.array([0, 2, 2, 5]), weights=w, minlength=7), R(4))
case("numpy_delete", lambda x: np.delete(x, [0, 2], axis=1), R(3, 4))
case("numpy_ediff1d", lambda x: np.ediff1d(x, to_begin=x[0], to_end=np.array([1.0, 2.0])), R(2, 3))
case("numpy_gradient", np.gradient, R(6))
case("numpy_gradient[2d-spacing]", lambda x: np.gradient(x, 0.5), R(3, 4))
case("numpy_gradient[axis]", lambda x: np.gradient(x, 2.0, axis=1), R(3, 4))
case("numpy_polyval", np.polyval, R(4), R(3), argnum=(0, 1))
case("numpy_logspace", lambda a, b: np.logspace(a, b, 5), 0.3, 1.2, argnum=(0, 1))
case("numpy_fix", lambda x: np.fix(x) + x, R(4))
case("numpy_zeros_like_interplay", lambda x: np.zeros_like(x) + np.ones_like(x) * x + np.full_like(x, 2.0) * x,
     R(2, 3))
case("numpy_builtin_sum_over_rows", lambda x: sum(x) * sum(list(x[0])), R(3, 4))
case("numpy_dstack", lambda a, b: np.dstack((a, b)), R(2, 2), R(2, 2, 3), argnum=(0, 1))
case("numpy_helpers", lambda x: graphviz_ad.softmax(x) * graphviz_ad.sigmoid(x) + graphviz_ad.relu(x)
     + graphviz_ad.softplus(x) + graphviz_ad.log_softmax(x) + graphviz_ad.logsumexp(x), R(2, 4))
case("numpy_cross_entropy[labels]", lambda x: graphviz_ad.cross_entropy(x, np.array([1, 0, 3])), R(3, 4))
case("numpy_cross_entropy[probabilities]", lambda x, p: graphviz_ad.cross_entropy(x, p), R(3, 4),
     graphviz_ad.softmax(R(3, 4)), argnum=(0, 1))
case("numpy_mse", graphviz_ad.mse, R(3, 4), R(3, 4), argnum=(0, 1))
case("numpy_round", lambda x: np.round(x, 1) + np.around(x) + x, R(3))
case("numpy_copy", lambda x: np.copy(x) * 2.0, R(3))
case("numpy_full_like[traced fill]", lambda x: np.full_like(x, x[1]) * x, R(3))
case("numpy_vdot", np.vdot, R(2, 3), R(2, 3), argnum=(0, 1))
case("numpy_interp", lambda x, fp: np.interp(x, np.array([0.0, 1.0, 2.5, 4.0]), fp),
     np.array([-0.5, 0.3, 1.7, 3.2, 4.5]), R(4), argnum=(0, 1))
case("numpy_trapezoid", lambda y, x: trapezoid(y, x), R(5), np.cumsum(U(0.5, 1.0, 5)), argnum=(0, 1))
case("numpy_trapezoid[2d-dx]", lambda y: trapezoid(y, dx=0.5, axis=0), R(4, 3))
for mode in ["full", "same", "valid"]:
    for n, m in [(5, 3), (3, 5), (4, 4)]:
        case(f"numpy_convolve[{mode}-{n}-{m}]", lambda a, v, md=mode: np.convolve(a, v, md), R(n), R(m),
             argnum=(0, 1))
        case(f"numpy_correlate[{mode}-{n}-{m}]", lambda a, v, md=mode: np.correlate(a, v, md), R(n), R(m),
             argnum=(0, 1))
case("numpy_cov", np.cov, R(3, 5))
case("numpy_cov[rowvar=False-bias]", lambda x: np.cov(x, rowvar=False, bias=True), R(5, 3))
case("numpy_cov[1d-y]", lambda x, y: np.cov(x, y), R(5), R(5), argnum=(0, 1))
case("numpy_corrcoef", np.corrcoef, R(3, 5))
case("numpy_meshgrid", lambda x, y: np.meshgrid(x, y), R(3), R(2), argnum=(0, 1))
case("numpy_meshgrid[ij-sparse]", lambda x, y: np.meshgrid(x, y, indexing="ij", sparse=True), R(3), R(2),
     argnum=(0, 1))
case("numpy_pinv[tall]", np.linalg.pinv, R(4, 3))
case("numpy_pinv[wide-batch]", np.linalg.pinv, R(2, 2, 3))
case("numpy_qr", lambda x: np.linalg.qr(x), R(4, 3))
case("numpy_qr[r-batch]", lambda x: np.linalg.qr(x, mode="r"), R(2, 3, 3))
case("numpy_lstsq", lambda a, b: np.linalg.lstsq(a, b, rcond=None)[:2], R(5, 3), R(5, 2), argnum=(0, 1))
def real_spectrum(*batch):
    return real_spectrum_matrix(rng, *batch)


REAL_SPECTRUM = real_spectrum()
case("numpy_eig[values]", lambda x: np.linalg.eig(x).eigenvalues, REAL_SPECTRUM)
case("numpy_eig[vectors]", lambda x: np.linalg.eig(x)[1], REAL_SPECTRUM)
case("numpy_eig[abs-batch]", lambda x: np.abs(np.linalg.eig(x)[1]) * np.linalg.eig(x)[0][..., None, :],
     real_spectrum(2))
case("numpy_eigvals", np.linalg.eigvals, REAL_SPECTRUM)


def test_eig_with_complex_eigenvalues_is_refused():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(TraceError, match="complex eigenvalues .* out of scope; np.linalg.eigh"):
        graphviz_ad.grad(lambda x: np.sum(np.linalg.eig(x)[0]))(rotation)


case("numpy_cond", np.linalg.cond, well_conditioned(3))
case("numpy_cond[fro]", lambda x: np.linalg.cond(x, "fro"), well_conditioned(3))
case("numpy_array_api", lambda x, y: (np.linalg.vector_norm(x) + np.linalg.matrix_norm(x, ord="nuc")
                                      + np.sum(np.vecdot(x, y)) + np.linalg.trace(np.matrix_transpose(x) @ y)
                                      + np.sum(np.cumulative_sum(x, axis=1, include_initial=True))
                                      + np.sum(np.matvec(x, y[0]) * np.vecmat(y[1], x))),
     R(3, 3), R(3, 3), argnum=(0, 1), marks=numpy2_only)


@pytest.mark.parametrize("fun, args, argnum", CASES)
@pytest.mark.filterwarnings("ignore::graphviz_ad.GraphvizAdWarning")
def test_gradient_matches_finite_differences(fun, args, argnum):
    check_grads(fun, *args, argnum=argnum)


@pytest.mark.parametrize("fun, args, argnum", CASES)
@pytest.mark.filterwarnings("ignore::graphviz_ad.GraphvizAdWarning")
def test_trace_builds_the_same_gradient(fun, args, argnum):
    """trace() records the same ops into a graph: its input nodes carry the gradients grad() returns."""
    argnums = argnum if isinstance(argnum, tuple) else (argnum,)
    scalar_fun = to_scalar(fun)
    want = graphviz_ad.grad(scalar_fun, argnums)(*args)
    G = graphviz_ad.trace(scalar_fun, *args)
    assert np.allclose(G.nodes[G.output]["value"], scalar_fun(*args), rtol=1e-10, atol=1e-12)
    inputs = [n for n in G.inputs if G.nodes[n]["op"] == "input"]
    for k, expected in zip(argnums, want):
        got = G.nodes[inputs[k]]["grad"]
        np.testing.assert_allclose(np.zeros(np.shape(expected)) if got is None else got, expected,
                                   rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# Answers derived by hand, where they are short.

ANALYTIC = [
    ("sum of squares", lambda x: np.sum(x**2), lambda x: 2 * x, R(3, 4)),
    ("log det", lambda x: np.linalg.slogdet(x)[1], lambda x: np.linalg.inv(x).T, well_conditioned(3)),
    ("det", np.linalg.det, lambda x: np.linalg.det(x) * np.linalg.inv(x).T, well_conditioned(3)),
    ("trace", np.trace, lambda x: np.eye(3), R(3, 3)),
    ("einsum diagonal", lambda x: np.sum(np.einsum("ii->i", x) ** 2), lambda x: 2 * np.diag(np.diag(x)), R(3, 3)),
    ("nuclear norm", lambda x: np.linalg.norm(x, "nuc"),
     lambda x: (lambda u, s, vh: u @ vh)(*np.linalg.svd(x, full_matrices=False)), R(4, 3)),
    ("2-norm", np.linalg.norm, lambda x: x / np.linalg.norm(x), R(5)),
    ("eigenvalue sum", lambda x: np.sum(np.linalg.eigvalsh(x)), lambda x: np.eye(3), sym_psd(3)),
    ("largest eigenvalue", lambda x: np.linalg.eigvalsh(x)[-1],
     lambda x: (lambda v: 2 * np.tril(np.outer(v, v)) - np.diag(v * v))(np.linalg.eigh(x)[1][:, -1]), sym_psd(3)),
    ("eig: one eigenvalue", lambda x: np.linalg.eig(x)[0][1],   # d w / dx = (left eigenvector) (right)^T
     lambda x: (lambda v: np.outer(np.linalg.inv(v)[1], v[:, 1]))(np.linalg.eig(x)[1]), real_spectrum()),
    ("cumprod", lambda x: np.cumprod(x)[-1], lambda x: np.prod(x) / x, U(0.5, 1.5, 4)),
    ("sort", lambda x: np.sort(x)[0], lambda x: (x == x.min()).astype(float), R(5)),
]


@pytest.mark.parametrize("fun, answer, x", [pytest.param(f, a, x, id=n) for n, f, a, x in ANALYTIC])
def test_gradient_matches_hand_derivation(fun, answer, x):
    np.testing.assert_allclose(graphviz_ad.grad(fun)(x), answer(x), rtol=1e-9, atol=1e-12)


def test_full_svd_of_non_square_matrix_is_refused():
    with pytest.raises(TraceError, match="full_matrices=False"):
        graphviz_ad.grad(lambda x: np.sum(np.linalg.svd(x)[0]))(R(3, 2))


# ---------------------------------------------------------------------------------------------------
# The peer's real-valued first-order tests we deliberately do not support, with the reason.

UNSUPPORTED = {
    "test_1d_array": "np.array([...]) of traced values: numpy does not dispatch np.array to the traced type; "
                     "use np.stack([...])",
    "test_2d_array": "np.array of nested lists of traced values: use np.stack",
    "test_1d_array_fanout": "np.array of traced values: use np.stack",
    "test_2d_array_fanout": "np.array of traced values: use np.stack",
    "test_array_from_scalar": "np.array(x) of a traced value: not dispatched by numpy",
    "test_array_from_arrays": "np.array of traced values: use np.stack",
    "test_array_from_arrays_2": "np.array of traced values: use np.stack",
    "test_r_basic": "np.r_ builds with np.array, which numpy does not dispatch: use np.concatenate",
    "test_r_double": "np.r_: use np.concatenate",
    "test_r_no_relation": "np.r_: use np.concatenate",
    "test_r_node_and_const": "np.r_: use np.concatenate",
    "test_r_mixed": "np.r_: use np.concatenate",
    "test_r_slicing": "np.r_: use np.concatenate",
    "test_c_": "np.c_: use np.column_stack",
    "test_c_mixed": "np.c_: use np.column_stack",
    "test_make_diagonal": "np.make_diagonal is an autograd-only function, not numpy",
    "test_sqrtm": "scipy.linalg.sqrtm: scipy is out of scope",
    "test_solve_triangular_arg1": "scipy.linalg.solve_triangular: scipy is out of scope",
    "test_solve_triangular_arg2_1d": "scipy.linalg.solve_triangular: scipy is out of scope",
    "test_solve_triangular_arg2_2d": "scipy.linalg.solve_triangular: scipy is out of scope",
    "complex variants": "every test_complex=True check and tests/test_complex.py: complex numbers are out of "
                        "scope (graphviz-ad differentiates real-valued functions)",
    "second-order checks": "the d_fun = grad(fun) checks: graphviz-ad differentiates to first order only",
}


# The peer's real-valued first-order test functions, by file (names only; a name may recur across files).
PEER_TESTS = {
    "test_systematic.py": """
        max all any mean min sum prod var std sin abs absolute arccosh arcsinh arctanh ceil cos cosh deg2rad
        degrees exp exp2 expm1 fabs floor log log10 log1p log2 rad2deg radians sign sinh sqrt square tan tanh
        real real_ic imag conj angle add logaddexp logaddexp2 remainder true_divide mod true_divide_neg mod_neg
        op_mul op_add op_sub op_mod op_mod_neg op_div op_pow transpose repeat diff tile kron inner dot matmul
        tensordot_1 tensordot_2 tensordot_3 tensordot_4 tensordot_5 tensordot_6 maximum fmax minimum fmin sort
        msort partition atleast_1d atleast_2d atleast_3d einsum_transpose einsum_matmult
        einsum_matmult_broadcast einsum_covsum einsum_ellipses einsum_ellipses_tail einsum_ellipses_center
        einsum_three_args einsum2_transpose einsum2_matmult einsum2_matmult_broadcast einsum2_covsum
        einsum2_three_args trace diag diag_flat tril triu tril_3d triu_3d swapaxes rollaxis cross vsplit_2d
        vsplit_3d hsplit_2d hsplit_3d dsplit_3d split_1d split_2d split_3d array_split_1d array_split_2d
        array_split_3d concatenate_1ist concatenate_tuple concatenate_2d concatenate_3d vstack_1d vstack_2d
        vstack_3d hstack_1d hstack_2d hstack_3d stack_1d row_stack_1d row_stack_2d column_stack_1d
        column_stack_2d select""",
    "test_numpy.py": """
        dot dot_with_floats outer max max_axis max_axis_keepdims min min_axis min_axis_keepdims sum_1 sum_2
        sum_3 sum_with_axis_tuple flipud fliplr rot90 cumsum_axis0 cumsum_axis1 cumsum_1d cumsum_no_axis
        non_numpy_sum mean_1 mean_2 mean_3 index_ints index_slice index_lists index_mixed vector_slice
        index_slice_fanout index_multiple_slices reshape_method reshape_call reshape_method_nolist ravel_method
        ravel_call flatten_method simple_append_list simple_append_list_2D simple_append_arr simple_concatenate concatenate_axis_0
        concatenate_axis_1 concatenate_axis_1_unnamed trace trace2 trace_extradims diag transpose roll
        roll_no_axis triu tril clip prod_1 prod_2 prod_3 prod_4 1d_array 2d_array 1d_array_fanout
        2d_array_fanout array_from_scalar array_from_arrays array_from_arrays_2 len r_basic r_double no_relation
        r_no_relation r_node_and_const r_mixed r_slicing c_ c_mixed var_ddof std_ddof where squeeze_func
        squeeze_method repeat repeat_axis1_rep1 repeat_axis0 repeat_1d_axis0 repeat_axis0_rep1 expand_dims
        tensordot_kwargs_by_position multi_index multi_index2 index_dot_slices cast_to_int make_diagonal
        diagonal nan_to_num max_equal_values max_equal_values_2d min_3_way_equality maximum_equal_values
        maximum_equal_values_2d linspace astype""",
    "test_scalar_ops.py": """
        abs sin sign exp log log2 log10 log1p expm1 exp2 neg cos tan cosh sinh tanh arccos arcsin arctan
        arccosh arcsinh arctanh sqrt power_arg0 power_arg1 power_arg1_zero mod_arg0 mod_arg1 divide_arg0
        divide_arg1 multiply_arg0 multiply_arg1 true_divide_arg0 true_divide_arg1 reciprocal negative rad2deg
        deg2rad radians degrees sinc""",
    "test_binary_ops.py": "mul add sub div mod pow comparison_grads comparison_values",
    "test_linalg.py": """
        inv inv_3d solve_arg1 solve_arg1_1d solve_arg2 solve_arg1_3d solve_arg1_3d_3d det det_3d slogdet
        slogdet_3d vector_2norm frobenius_norm frobenius_norm_axis vector_norm_ord norm_axis norm_nuclear
        norm_nuclear_axis eigvalh_lower eigvalh_upper eigvalh_lower_broadcasting eigvalh_upper_broadcasting
        cholesky cholesky_broadcast cholesky_reparameterization_trick sqrtm solve_triangular_arg1
        solve_triangular_arg2_1d solve_triangular_arg2_2d svd_wide_2d svd_wide_3d svd_square_2d svd_square_3d
        svd_tall_2d svd_tall_3d svd_only_s_2d svd_only_s_3d""",
}
PEER = [(f, "test_" + n) for f, names in PEER_TESTS.items() for n in names.split()]


def covered_names():
    """The peer test names checked by CASES and by the tests above."""
    names = {param.id.split("[")[0] for param in CASES}
    names.update({"test_all", "test_any", "test_comparison_grads", "test_comparison_values", "test_astype",
                  "test_simple_append_list_2D"})
    return {n for n in names if n.startswith("test_")}


def coverage():
    """(supported, total) over the peer's real-valued first-order test functions."""
    covered = covered_names()
    return sum(name in covered for _, name in PEER), len(PEER)


def test_coverage_figure():
    """Every peer case is either checked here or listed in UNSUPPORTED with its reason."""
    covered = covered_names()
    peer = {name for _, name in PEER}
    assert not covered & set(UNSUPPORTED), "a case is both checked and listed as unsupported"
    assert covered <= peer, f"names that are not the peer's (call them numpy_*): {sorted(covered - peer)}"
    unaccounted = sorted(peer - covered - set(UNSUPPORTED))
    assert not unaccounted, f"peer cases neither checked nor listed in UNSUPPORTED: {unaccounted}"
    supported, total = coverage()
    assert supported / total > 0.9, (supported, total)
