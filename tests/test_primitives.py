"""Every row of the op table, checked on its own: VJP against central finite differences, and for
elementwise ops the edge's local_factor against the finite-difference elementwise derivative.

The test walks `graphviz_ad.PRIMITIVES`, so adding an op without adding its case to `CASES` fails
`test_every_primitive_has_a_case`.
"""

import numpy as np
import pytest

import graphviz_ad
from gradcheck import EPS, numerical_grad, projection, real_spectrum_matrix

rng = np.random.default_rng(0)


def U(lo, hi, shape):
    return float(rng.uniform(lo, hi)) if shape == () else rng.uniform(lo, hi, shape)


def R(*shape):
    return rng.standard_normal(shape)


def well_conditioned(d, *batch):
    return R(*batch, d, d) + d * np.eye(d)


def sym_psd(d, *batch):
    a = R(*batch, d, d)
    return a @ np.swapaxes(a, -1, -2) + d * np.eye(d)


def shape_text(*args):
    """'3x4,scalar' for the array and float arguments (the others are named in the case label)."""
    return ",".join("x".join(map(str, np.shape(a))) or "scalar" for a in args
                    if isinstance(a, (np.ndarray, float)))


# ---------------------------------------------------------------------------------------------------
# Elementwise rows: the domain each argument is drawn from (points inside the op's domain, away from
# kinks and jumps), tried on several shapes including broadcasting.

UNARY = {
    "negative": (-2, 2), "positive": (-2, 2), "exp": (-2, 2), "exp2": (-2, 2), "expm1": (-2, 2),
    "log": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 2), "sqrt": (0.2, 3),
    "cbrt": (0.2, 3), "square": (-2, 2), "reciprocal": (0.5, 2), "absolute": (0.2, 2), "fabs": (-2, -0.2),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9),
    "arctan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "tanh": (-2, 2), "arcsinh": (-2, 2),
    "arccosh": (1.2, 3), "arctanh": (-0.9, 0.9), "deg2rad": (-2, 2), "rad2deg": (-2, 2), "radians": (-2, 2),
    "degrees": (-2, 2), "sinc": (0.1, 2.5), "sign": (0.2, 2), "floor": (0.1, 0.9), "ceil": (0.1, 0.9),
    "rint": (0.1, 0.4), "round": (0.1, 0.4), "trunc": (0.1, 0.9), "conjugate": (-2, 2), "nan_to_num": (-2, 2),
    "sigmoid": (-3, 3), "relu": (0.1, 2), "softplus": (-3, 3),
}
BINARY = {
    "add": ((-2, 2), (-2, 2)), "subtract": ((-2, 2), (-2, 2)), "multiply": ((-2, 2), (-2, 2)),
    "divide": ((-2, 2), (0.5, 2)), "power": ((0.5, 2), (-2, 2)), "maximum": ((-2, 2), (-2, 2)),
    "minimum": ((-2, 2), (-2, 2)), "fmax": ((-2, 2), (-2, 2)), "fmin": ((-2, 2), (-2, 2)),
    "arctan2": ((-2, 2), (0.5, 2)), "hypot": ((0.5, 2), (-2, -0.5)), "logaddexp": ((-2, 2), (-2, 2)),
    "logaddexp2": ((-2, 2), (-2, 2)), "mod": ((0.1, 0.9), (1.1, 2)), "fmod": ((0.1, 0.9), (1.1, 2)),
    "floor_divide": ((2.1, 2.9), (1.1, 1.3)), "copysign": ((0.5, 2), (-2, 2)), "float_power": ((0.5, 2), (-2, 2)),
    "heaviside": ((0.2, 2), (-1, 1)),
}
UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), (3, 4)), ((3, 4), ()), ((3, 1), (1, 4)), ((4,), (3, 4)), ((2, 3), (2, 3))]

CASES = {}   # primitive name -> [(label, args, kwargs, argnums)]


def add(name, args, argnums=(0,), label=None, **kwargs):
    CASES.setdefault(name, []).append((label or shape_text(*args), tuple(args), kwargs, argnums))


for name, (lo, hi) in UNARY.items():
    for shape in UNARY_SHAPES:
        add(name, [U(lo, hi, shape)])
for name, ((alo, ahi), (blo, bhi)) in BINARY.items():
    for sa, sb in BINARY_SHAPES:
        add(name, [U(alo, ahi, sa), U(blo, bhi, sb)], argnums=(0, 1))
add("heaviside", [np.array([0.0, 1.0, -1.0, 0.0]), R(4)], argnums=(1,), label="4,4,x at the step")
add("nan_to_num", [np.array([1.5, np.nan, np.inf, -np.inf])], posinf=10.0, neginf=-10.0, label="4,non-finite")
for cond_shape, sx, sy in [((3, 4), (3, 4), (3, 4)), ((3, 4), (), (3, 4)), ((3, 4), (3, 1), (1, 4))]:
    add("where", [R(*cond_shape) > 0, U(-2, 2, sx), U(-2, 2, sy)], argnums=(1, 2),
        label=shape_text(U(0, 1, sx), U(0, 1, sy)))
for shape in UNARY_SHAPES:
    add("clip", [U(-0.4, 0.4, shape), -0.5, 0.5], label=shape_text(U(0, 1, shape)) + ",inside")
add("clip", [np.array([-2.0, 0.0, 2.0]), -0.5, 0.5], label="3,outside-and-inside")
add("clip", [np.array([-2.0, 0.0, 2.0]), None, 0.5], label="3,upper-only")
for shape in UNARY_SHAPES:
    add("astype", [U(-2, 2, shape), np.float64], label=shape_text(U(0, 1, shape)) + ",to float64")


# ---------------------------------------------------------------------------------------------------
# The other rows: explicit arguments.

X34, X234 = R(3, 4), R(2, 3, 4)
for name in ["sum", "mean", "max", "min", "var", "std", "logsumexp"]:
    add(name, [X34], label="3x4,all")
    add(name, [X234, 1], label="2x3x4,axis=1")
    add(name, [X234, (0, 2)], keepdims=True, label="2x3x4,axis=(0,2),keepdims")
    add(name, [R(5)], label="5,all")
for name in ["var", "std"]:
    add(name, [X34, 1], ddof=1, label="3x4,axis=1,ddof=1")
add("prod", [U(0.5, 1.5, (3, 4))], label="3x4,all")
add("prod", [U(0.5, 1.5, (2, 3, 4)), 1], label="2x3x4,axis=1")
add("prod", [np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), 1], label="2x3,with zeros")
add("max", [np.array([1.0, 3.0, 3.0, 2.0])], label="4,tie")
for name in ["cumsum", "cumprod"]:
    add(name, [U(0.5, 1.5, (3, 4))], label="3x4,flattened")
    add(name, [U(0.5, 1.5, (3, 4)), 1], label="3x4,axis=1")
add("cumprod", [np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 0.0]]), 1], label="2x4,with zeros")
for a, b in [(R(3), R(3)), (R(2, 3), R(3, 4)), (R(2, 2, 3), R(3, 4)), (R(3), R(3, 4)), (R(2, 3), R(3)),
             (R(1, 2, 3), R(2, 3, 4))]:
    add("matmul", [a, b], argnums=(0, 1))
for a, b in [(R(), R(2, 3)), (R(3), R(3)), (R(2, 3), R(3)), (R(3), R(3, 4)), (R(2, 2, 3), R(2, 3, 4))]:
    add("dot", [a, b], argnums=(0, 1))
for a, b, axes in [(R(2, 3, 4), R(3, 4, 5), 2), (R(2, 3), R(3, 4), 1), (R(3, 2), R(4, 3), ([0], [1])),
                   (R(4), R(), 0)]:
    add("tensordot", [a, b, axes], argnums=(0, 1), label=f"{shape_text(a, b)},axes={axes}")
add("outer", [R(3), R(4)], argnums=(0, 1))
add("outer", [R(2, 2), R(3)], argnums=(0, 1))
for subscripts, ops in [("ij,jk->ik", [R(2, 3), R(3, 4)]), ("ii->i", [R(3, 3)]), ("ij->", [R(2, 3)]),
                        ("...ij,...jk->...ik", [R(2, 2, 3), R(3, 4)]), ("ijk,lji,lli->lki", [R(2, 3, 3), R(3, 3, 2),
                                                                                               R(3, 3, 2)]),
                        ("i,i", [R(3), R(1)])]:
    add("einsum", [subscripts, *ops], argnums=tuple(range(1, len(ops) + 1)),
        label=f"{subscripts},{shape_text(*ops)}")
add("reshape", [X234, (6, 4)])
add("reshape", [R(), (1, 1)])
add("transpose", [X34])
add("transpose", [X234, (2, 0, 1)], label="2x3x4,axes=(2,0,1)")
add("swapaxes", [X234, 0, 2])
add("moveaxis", [X234, 0, -1])
add("moveaxis", [X234, (0, 1), (2, 0)], label="2x3x4,two axes")
for label, index in [("int", 1), ("slice", (slice(None, None, -1), slice(1, 3))), ("repeated ints", [0, 0, 2]),
                     ("mask", X34 > 0), ("None and Ellipsis", (None, Ellipsis, 2)),
                     ("int arrays", (np.array([[0, 2], [1, 1]]), np.array([1, 3])))]:
    add("getitem", [X34, index], label=label)
for label, value, index in [("int", R(4), 1), ("slice, broadcast value", R(3), (slice(None), 2)),
                            ("mask", R(), X34 > 0), ("repeated ints, last write wins", R(3, 1), [0, 2, 0]),
                            ("int arrays", R(2), (np.array([0, 2]), np.array([1, 3])))]:
    add("setitem", [X34, value, index], argnums=(0, 1), label=label)
add("concatenate", [R(2, 3), R(1, 3), R(4, 3)], argnums=(0, 1, 2), label="axis=0")
add("concatenate", [R(2, 3), R(2, 1)], argnums=(0, 1), axis=1, label="axis=1")
add("concatenate", [R(2, 3), R(4)], argnums=(0, 1), axis=None, label="axis=None")
add("stack", [R(2, 3), R(2, 3)], argnums=(0, 1), label="axis=0")
add("stack", [R(2, 3), R(2, 3), R(2, 3)], argnums=(0, 1, 2), axis=2, label="axis=2")
add("diagonal", [R(4, 4)])
add("diagonal", [R(3, 4), 1], label="3x4,offset=1")
add("diagonal", [X234, -1, 1, 2], label="2x3x4,offset=-1,axes=(1,2)")
add("broadcast_to", [R(3, 1), (2, 3, 4)])
add("broadcast_to", [R(), (3,)])
add("diag", [R(4)])
add("diag", [R(3), -1], label="3,k=-1")
add("pad", [R(2, 3), ((1, 2), (0, 1)), 0.5])
add("inv", [well_conditioned(3)])
add("inv", [well_conditioned(2, 3)])
add("solve", [well_conditioned(3), R(3)], argnums=(0, 1))
add("solve", [well_conditioned(3), R(3, 2)], argnums=(0, 1))
add("solve", [well_conditioned(3, 2), R(1, 3, 2)], argnums=(0, 1), label="2x3x3,1x3x2 (b broadcast)")
for name in ["det", "logdet"]:
    add(name, [well_conditioned(3)])
    add(name, [well_conditioned(3, 2)])
add("logdet", [-well_conditioned(3)], label="3x3,negative determinant")
for name in ["eigenvalues", "eigenvectors"]:
    add(name, [sym_psd(3)])
    add(name, [sym_psd(3)], uplo="U", label="3x3,upper")
    add(name, [sym_psd(3, 2)])
for name in ["eig_values", "eig_vectors"]:
    add(name, [real_spectrum_matrix(rng)])
    add(name, [real_spectrum_matrix(rng, 2)])
add("cholesky", [sym_psd(3)])
add("cholesky", [sym_psd(3, 2)])
for name in ["svd_u", "singular_values", "svd_vh"]:
    for shape in [(3, 3), (4, 2), (2, 4), (2, 3, 2)]:
        add(name, [R(*shape)])
for name in ["qr_q", "qr_r"]:
    for shape in [(3, 3), (4, 2), (2, 3, 2)]:
        add(name, [R(*shape)])
for name in ["softmax", "log_softmax"]:
    add(name, [X34])
    add(name, [X234, 0], label="2x3x4,axis=0")


# ---------------------------------------------------------------------------------------------------

def ours(name):
    """The rows of the op table itself (primitives declared elsewhere, e.g. in samples, are not ours)."""
    module = getattr(graphviz_ad.PRIMITIVES[name], "__module__", "") or ""
    return module.startswith("graphviz_ad.ops.") or module.split(".")[0] == "numpy"


def test_every_primitive_has_a_case():
    missing = sorted(n for n in graphviz_ad.PRIMITIVES if ours(n) and n not in CASES)
    assert not missing, f"primitives without a case in tests/test_primitives.py: {missing}"
    assert len([n for n in graphviz_ad.PRIMITIVES if ours(n)]) > 50
    unknown = sorted(set(CASES) - set(graphviz_ad.PRIMITIVES))
    assert not unknown, f"cases for primitives that do not exist: {unknown}"


def edges(elementwise_only=False):
    out = []
    for name, cases in CASES.items():
        prim = graphviz_ad.PRIMITIVES.get(name)
        if prim is None or (elementwise_only and not prim.elementwise):
            continue
        for label, args, kwargs, argnums in cases:
            for k in argnums:
                out.append(pytest.param(name, args, kwargs, k, id=f"{name}[{label}]-arg{k}"))
    return out


@pytest.mark.parametrize("name, args, kwargs, argnum", edges())
def test_vjp_matches_finite_differences(name, args, kwargs, argnum):
    prim = graphviz_ad.PRIMITIVES[name]
    with np.errstate(all="ignore"):
        ans = prim.fun(*args, **kwargs)
    g = projection(np.shape(ans))   # a fixed cotangent with mixed signs
    g = float(g) if np.ndim(ans) == 0 else g
    got = prim.vjp(argnum, g, ans, args, kwargs)
    want = numerical_grad(lambda *a: np.sum(g * prim.fun(*a, **kwargs)), args, argnum)
    assert np.shape(got) == np.shape(args[argnum])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs, argnum", edges(elementwise_only=True))
def test_local_factor_is_elementwise_derivative(name, args, kwargs, argnum):
    """An elementwise op's edge factor is d ans / d operand, in the result's shape."""
    prim = graphviz_ad.PRIMITIVES[name]
    ans = prim.fun(*args, **kwargs)
    factor = prim.local_factor(argnum, ans, args, kwargs)
    steps = []
    for sign in (1.0, -1.0):
        moved = list(args)
        moved[argnum] = args[argnum] + sign * EPS
        steps.append(np.asarray(prim.fun(*moved, **kwargs), dtype=float))
    want = (steps[0] - steps[1]) / (2 * EPS)
    assert np.shape(factor) == np.shape(ans)
    if np.ndim(ans) == 0:
        assert isinstance(factor, float)
    np.testing.assert_allclose(factor, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs, argnum", [p for p in edges() if not graphviz_ad.PRIMITIVES[
    p.values[0]].elementwise])
def test_local_factor_of_other_ops(name, args, kwargs, argnum):
    """Non-elementwise ops have no elementwise factor, except scalar -> scalar, where it is the derivative."""
    prim = graphviz_ad.PRIMITIVES[name]
    ans = prim.fun(*args, **kwargs)
    factor = prim.local_factor(argnum, ans, args, kwargs)
    if np.ndim(ans) == 0 and np.ndim(args[argnum]) == 0:
        assert factor == pytest.approx(float(np.ravel(prim.vjp(argnum, 1.0, ans, args, kwargs))[0]))
    else:
        assert factor is None


def test_static_arguments_are_params_not_operands():
    """axis, index, shape... given by position are recorded as the node's params, with one edge per operand."""
    x = R(3, 4)
    G = graphviz_ad.trace(lambda x: np.sum(np.sum(x[:, [0, 2]], 0)) + np.sum(np.swapaxes(x, 0, 1)), x)
    params = {d["op"]: d["params"] for _, d in G.nodes(data=True) if d["op"] in ("getitem", "swapaxes")}
    assert params["swapaxes"] == {"axis1": 0, "axis2": 1}
    assert params["getitem"]["index"][1] == [0, 2]
    axis_sum = next(d for _, d in G.nodes(data=True) if d["op"] == "sum" and d["params"])
    assert axis_sum["params"] == {"axis": 0}
    assert all(G.in_degree(n) == 1 for n, d in G.nodes(data=True) if d["op"] in ("getitem", "swapaxes", "sum"))
