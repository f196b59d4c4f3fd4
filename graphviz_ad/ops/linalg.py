"""numpy.linalg: matrices in the last two axes, any leading (batch) axes.
"""

import collections
import functools

import numpy as np

from ..errors import TraceError
from ..tracer import untraced, where
from .core import available, implements, primitive, reduced_axes, unbroadcast
from .elementwise import absolute, divide, multiply, power, sqrt, square, subtract, where_
from .reductions import max_, min_, sum_
from .products import _np_dot, matmul
from .shapes import getitem, moveaxis, reshape, swapaxes

# ---------------------------------------------------------------------------------------------------
# numpy.linalg: matrices in the last two axes, any leading (batch) axes.

def _T(a):
    return np.swapaxes(a, -1, -2)


def _solve_vjp(argnum, g, ans, a, b):
    vector = np.ndim(ans) == np.ndim(a) - 1   # b was a (stack of) vector(s), under numpy 1's rule or 2's
    gb = np.linalg.solve(_T(a), g[..., None])[..., 0] if vector else np.linalg.solve(_T(a), g)
    if argnum == 1:
        return unbroadcast(gb, np.asarray(b))
    ga = -gb[..., :, None] * ans[..., None, :] if vector else -gb @ _T(ans)
    return unbroadcast(ga, np.asarray(a))


@primitive("inv", vjp=lambda g, ans, x: -_T(ans) @ g @ _T(ans), formula="-inv^T g inv^T", expr="inv({x})")
def inv(x):
    return np.linalg.inv(x)


@primitive("solve", vjp_argnum=_solve_vjp, formula=("-solve(A^T, g) x^T", "solve(A^T, g)"),
           expr="solve({x}, {y})")
def solve(a, b):
    return np.linalg.solve(a, b)


@primitive("det", vjp=lambda g, ans, x: np.asarray(g * ans)[..., None, None] * _T(np.linalg.inv(x)),
           formula="det*inv^T", expr="det({x})")
def det(x):
    return np.linalg.det(x)


@primitive("logdet", vjp=lambda g, ans, x: np.asarray(g)[..., None, None] * _T(np.linalg.inv(x)),
           formula="inv^T", expr="logdet({x})")
def logdet(x):
    """log |det x|, the second result of np.linalg.slogdet."""
    return np.linalg.slogdet(x)[1]


SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")
EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")
EigResult = collections.namedtuple("EigResult", "eigenvalues eigenvectors")
SVDResult = collections.namedtuple("SVDResult", "U S Vh")


def _read_triangle(S, lower):
    """The gradient of a function of the symmetric matrix that numpy builds from one triangle of A."""
    S = (S + _T(S)) / 2
    return np.tril(S) + np.tril(S, -1) if lower else np.triu(S) + np.triu(S, 1)


def _spectral_inner(x, w, gw, G):
    """diag(gw) + F * G, F[i, j] = 1 / (w[j] - w[i]) off the diagonal (0 where eigenvalues repeat): the
    gradient in the eigenbasis; `gw` or `G` is None when that output gets no gradient."""
    inner = np.zeros(np.shape(x))
    if gw is not None:
        inner = inner + gw[..., :, None] * np.eye(np.shape(x)[-1])
    if G is not None:
        gap = w[..., None, :] - w[..., :, None]
        inner = inner + np.where(gap == 0, 0.0, 1 / np.where(gap == 0, 1.0, gap)) * G
    return inner


def _eigh_vjp(x, uplo, gw=None, gv=None):
    w, v = np.linalg.eigh(x, uplo)
    inner = _spectral_inner(x, w, gw, None if gv is None else _T(v) @ gv)
    return _read_triangle(v @ inner @ _T(v), uplo == "L")


@primitive("eigenvalues", vjp=lambda g, ans, x, uplo="L": _eigh_vjp(x, uplo, gw=g), formula="v v^T",
           expr="eigvalsh({x})")
def eigenvalues(x, uplo="L"):
    return np.linalg.eigvalsh(x, uplo)


@primitive("eigenvectors", vjp=lambda g, ans, x, uplo="L": _eigh_vjp(x, uplo, gv=g),
           formula="v (F * v^T g) v^T", expr="eigvecs({x})")
def eigenvectors(x, uplo="L"):
    return np.linalg.eigh(x, uplo)[1]


def _real_eig(x):
    """numpy's eig of a real matrix whose eigenvalues are all real (then numpy's results are real);
    a complex eigenvalue is refused: complex numbers are out of scope."""
    w, v = np.linalg.eig(x)
    if np.iscomplexobj(w):
        raise TraceError(f"np.linalg.eig: this matrix has complex eigenvalues (at {where()}), and complex "
                         "numbers are out of scope; np.linalg.eigh differentiates a symmetric matrix")
    return w, v


def _eig_vjp(x, gw=None, gv=None):
    """x = v diag(w) v^-1, v's columns of unit length: gx = v^-T (diag(gw) + F * (G - v^T v diag(G))) v^T
    with G = v^T gv (F as in `_spectral_inner`)."""
    w, v = _real_eig(x)
    G = None
    if gv is not None:   # v^T gv, less what keeps each column of unit length
        G = _T(v) @ gv
        G = G - (_T(v) @ v) * np.diagonal(G, axis1=-2, axis2=-1)[..., None, :]
    return _T(np.linalg.inv(v)) @ _spectral_inner(x, w, gw, G) @ _T(v)


@primitive("eig_values", vjp=lambda g, ans, x: _eig_vjp(x, gw=g), formula="v^-T v^T", expr="eigvals({x})")
def eig_values(x):
    return _real_eig(x)[0]


@primitive("eig_vectors", vjp=lambda g, ans, x: _eig_vjp(x, gv=g), formula="v^-T (F * v^T g) v^T",
           expr="eig_vecs({x})")
def eig_vectors(x):
    return _real_eig(x)[1]


def _cholesky_vjp(g, ans, x):
    L_inv = np.linalg.inv(ans)
    phi = np.tril(_T(ans) @ g)
    phi = phi - 0.5 * np.eye(np.shape(x)[-1]) * phi
    return _read_triangle(_T(L_inv) @ phi @ L_inv, True)


@primitive("cholesky", vjp=_cholesky_vjp, formula="L^-T Phi(L^T g) L^-1", expr="cholesky({x})")
def cholesky(x):
    return np.linalg.cholesky(x)


def _svd_vjp(x, gu=None, gs=None, gvh=None):
    # Townsend (2016), "Differentiating the singular value decomposition", for the reduced SVD.
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    m, n = np.shape(x)[-2:]
    k = min(m, n)
    out = np.zeros(np.shape(x))
    if gs is not None:
        out = out + u @ (gs[..., :, None] * vh)
    s2 = s**2
    gap = s2[..., None, :] - s2[..., :, None]
    off = np.where(np.eye(k, dtype=bool), 0.0, 1 / np.where(np.eye(k, dtype=bool), 1.0, gap))
    if gu is not None:
        J = off * (_T(u) @ gu - _T(gu) @ u)
        out = out + u @ (J * s[..., None, :]) @ vh
        if m > k:
            out = out + (np.eye(m) - u @ _T(u)) @ (gu / s[..., None, :]) @ vh
    if gvh is not None:
        v, gv = _T(vh), _T(gvh)
        K = off * (_T(v) @ gv - _T(gv) @ v)
        out = out + u @ (s[..., :, None] * K) @ vh
        if n > k:
            out = out + u @ (_T(gv) / s[..., :, None]) @ (np.eye(n) - v @ vh)
    return out


@primitive("svd_u", vjp=lambda g, ans, x: _svd_vjp(x, gu=g), formula="svd", expr="svd_u({x})")
def svd_u(x):
    return np.linalg.svd(x, full_matrices=False)[0]


@primitive("singular_values", vjp=lambda g, ans, x: _svd_vjp(x, gs=g), formula="u v^T",
           expr="svdvals({x})")
def singular_values(x):
    return np.linalg.svd(x, compute_uv=False)


@primitive("svd_vh", vjp=lambda g, ans, x: _svd_vjp(x, gvh=g), formula="svd", expr="svd_vh({x})")
def svd_vh(x):
    return np.linalg.svd(x, full_matrices=False)[2]


def _qr_vjp(x, gq=None, gr=None):
    # Reduced QR of a tall (or square) matrix: with M = R gR^T - gQ^T Q and M's lower triangle mirrored
    # up, the gradient is (gQ + Q M) R^-T.
    q, r = np.linalg.qr(x)
    gq = np.zeros(np.shape(q)) if gq is None else gq
    gr = np.zeros(np.shape(r)) if gr is None else gr
    m = r @ _T(gr) - _T(gq) @ q
    m = np.tril(m) + _T(np.tril(m, -1))
    return _T(np.linalg.solve(r, _T(gq + q @ m)))


@primitive("qr_q", vjp=lambda g, ans, x: _qr_vjp(x, gq=g), formula="QR", expr="qr_q({x})")
def qr_q(x):
    return np.linalg.qr(x)[0]


@primitive("qr_r", vjp=lambda g, ans, x: _qr_vjp(x, gr=g), formula="QR", expr="qr_r({x})")
def qr_r(x):
    return np.linalg.qr(x)[1]


QRResult = collections.namedtuple("QRResult", "Q R")


@implements(np.linalg.qr)
def _np_qr(a, mode="reduced"):
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "r") or m < n:
        raise TraceError(f"np.linalg.qr: only mode='reduced' or 'r' of a matrix with at least as many rows as "
                         f"columns can be traced (at {where()})")
    return qr_r(a) if mode == "r" else QRResult(qr_q(a), qr_r(a))


@implements(np.linalg.lstsq)
def _np_lstsq(a, b, rcond=None):
    """The least-squares solution through the pseudo-inverse; residuals, rank and singular values as numpy."""
    _, residuals, rank, sv = np.linalg.lstsq(np.asarray(untraced(a)), np.asarray(untraced(b)), rcond=rcond)
    x = matmul(_np_pinv(a), b)
    if np.size(residuals):
        residuals = sum_(square(subtract(b, matmul(a, x))), 0)
    return x, residuals, rank, sv


@implements(np.linalg.cond)
def _np_cond(x, p=None):
    if p not in (None, 2, -2):
        return multiply(_np_norm(x, p, (-2, -1)), _np_norm(inv(x), p, (-2, -1)))
    s = singular_values(x)
    ratio = divide(max_(s, -1), min_(s, -1))
    return divide(1.0, ratio) if p == -2 else ratio


implements(np.linalg.inv)(lambda a: inv(a))
implements(np.linalg.det)(lambda a: det(a))
implements(np.linalg.solve)(lambda a, b: solve(a, b))
implements(np.linalg.slogdet)(lambda a: SlogdetResult(np.linalg.slogdet(untraced(a))[0], logdet(a)))
implements(np.linalg.eigvalsh)(lambda a, UPLO="L": eigenvalues(a, uplo=UPLO))
implements(np.linalg.eigh)(lambda a, UPLO="L": EighResult(eigenvalues(a, uplo=UPLO),
                                                                      eigenvectors(a, uplo=UPLO)))
implements(np.linalg.eigvals)(lambda a: eig_values(a))
implements(np.linalg.eig)(lambda a: EigResult(eig_values(a), eig_vectors(a)))
implements(np.linalg.multi_dot)(lambda arrays, *, out=None: functools.reduce(_np_dot, arrays))


@implements(np.linalg.cholesky)
def _np_cholesky(a, /, *, upper=False):
    return swapaxes(cholesky(a), -1, -2) if upper else cholesky(a)


@implements(np.linalg.svd)
def _np_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return singular_values(a)
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise TraceError(f"np.linalg.svd: the full U and Vh of a non-square matrix are not unique, so "
                         f"cannot be differentiated (at {where()}); pass full_matrices=False")
    return SVDResult(svd_u(a), singular_values(a), svd_vh(a))


implements(*available("linalg.svdvals"))(lambda x, /: singular_values(x))


@implements(np.linalg.pinv)
def _np_pinv(a, rcond=None, hermitian=False, *, rtol=None):
    u, s, vh = svd_u(a), singular_values(a), svd_vh(a)
    sv = np.asarray(untraced(s))
    tol = rcond if rcond is not None else rtol if rtol is not None else max(np.shape(a)[-2:]) * np.finfo(float).eps
    kept = sv > tol * np.max(sv, axis=-1, keepdims=True)
    inverse = where_(kept, divide(1.0, where_(kept, s, 1.0)), 0.0)
    return matmul(multiply(swapaxes(vh, -1, -2), getitem(inverse, (Ellipsis, None, slice(None)))),
                  swapaxes(u, -1, -2))


@implements(np.linalg.matrix_power)
def _np_matrix_power(a, n):
    base = inv(a) if n < 0 else a
    out = None
    for _ in range(abs(n)):
        out = base if out is None else matmul(out, base)
    return out if out is not None else np.broadcast_to(np.eye(np.shape(a)[-1]), np.shape(a)).copy()


@implements(np.linalg.norm)
def _np_norm(x, ord=None, axis=None, keepdims=False):
    ndim = np.ndim(x)
    if axis is None:
        if ord is None:
            out = sqrt(sum_(square(x)))
            return reshape(out, (1,) * ndim) if keepdims else out
        axis = tuple(range(ndim))
    axes = reduced_axes(axis, ndim)
    out = _vector_norm(x, ord, axes[0]) if len(axes) == 1 else _matrix_norm(x, ord, axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else n for i, n in enumerate(np.shape(x))))
    return out


def _vector_norm(x, ord, axis):
    if ord is None or ord == 2:
        return sqrt(sum_(square(x), axis))
    if ord == np.inf:
        return max_(absolute(x), axis)
    if ord == -np.inf:
        return min_(absolute(x), axis)
    if ord == 0:
        return np.sum(untraced(x) != 0, axis=axis).astype(float)
    if ord == 1:
        return sum_(absolute(x), axis)
    return power(sum_(power(absolute(x), float(ord)), axis), 1.0 / ord)


def _matrix_norm(x, ord, axes):
    rows, cols = axes
    if ord in (None, "fro"):
        return sqrt(sum_(square(x), axes))
    if ord in ("nuc", 2, -2):
        s = singular_values(moveaxis(x, (rows, cols), (-2, -1)))
        return sum_(s, -1) if ord == "nuc" else (max_(s, -1) if ord == 2 else min_(s, -1))
    if ord in (1, -1):
        sums = sum_(absolute(x), rows)
        return (max_ if ord == 1 else min_)(sums, cols - (cols > rows))
    if ord in (np.inf, -np.inf):
        sums = sum_(absolute(x), cols)
        return (max_ if ord == np.inf else min_)(sums, rows - (rows > cols))
    raise ValueError(f"invalid norm order {ord!r} for matrices")


