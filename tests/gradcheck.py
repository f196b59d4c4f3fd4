"""Central finite differences, to check reverse-mode gradients against.

`check_grads(fun, *args, argnum=...)` compares `graphviz_ad.grad` with a central difference in every
coordinate of the chosen arguments. Functions with array (or list/tuple) outputs are first reduced to
a scalar by `scalarize`, a fixed random projection, so every output element is checked.
"""

import numpy as np

import graphviz_ad

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-6


def projection(shape):
    """Fixed weights for an output of `shape`: the same numbers every call (seeded by the shape)."""
    rng = np.random.default_rng([len(shape), *shape])
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def scalarize(out):
    """A scalar that depends on every element of `out` (an array, or a list/tuple of them)."""
    if isinstance(out, (list, tuple)):
        return sum(scalarize(o) for o in out)
    if np.ndim(out) == 0:
        return out
    return np.sum(out * projection(np.shape(out)))


def to_scalar(fun):
    """`fun` followed by `scalarize`."""
    def scalar_fun(*args):
        return scalarize(fun(*args))
    scalar_fun.__name__ = getattr(fun, "__name__", "fun")
    return scalar_fun


def real_spectrum_matrix(rng, *batch):
    """A non-symmetric 4x4 matrix (or a batch) with real, distinct eigenvalues: numpy's eig of it is real."""
    v = rng.standard_normal(batch + (4, 4)) + 2 * np.eye(4)
    return v @ (np.array([3.0, 1.0, -0.5, -2.0])[:, None] * np.linalg.inv(v))


def numerical_grad(fun, args, argnum, eps=EPS):
    """d fun / d args[argnum] by central differences (fun returns a scalar)."""
    x = args[argnum]
    is_float = np.ndim(x) == 0 and not isinstance(x, np.ndarray)
    base = np.array(x, dtype=float).ravel()
    flat = np.zeros(base.size)
    for i in range(base.size):
        steps = []
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved[i] += sign * eps
            call = list(args)
            call[argnum] = float(moved[0]) if is_float else moved.reshape(np.shape(x))
            steps.append(float(np.reshape(scalarize(fun(*call)), ())))
        flat[i] = (steps[0] - steps[1]) / (2 * eps)
    return float(flat[0]) if is_float else flat.reshape(np.shape(x))


def check_grads(fun, *args, argnum=0, rtol=RTOL, atol=ATOL):
    """Assert that graphviz_ad's gradient of `to_scalar(fun)` matches central differences (and that
    the traced forward value matches numpy's).

    Args:
        fun: the function to check (its output is scalarized).
        *args: the point (float64 values).
        argnum: an int or a tuple of ints: the arguments to check.

    Returns:
        The analytic gradients (a tuple when `argnum` is a tuple), for further checks.
    """
    argnums = argnum if isinstance(argnum, tuple) else (argnum,)
    scalar_fun = to_scalar(fun)
    value, analytic = graphviz_ad.value_and_grad(scalar_fun, argnums)(*args)
    np.testing.assert_allclose(value, scalar_fun(*args), rtol=1e-10, atol=1e-12,
                               err_msg="the traced forward value differs from numpy's")
    for k, got in zip(argnums, analytic):
        want = numerical_grad(scalar_fun, args, k)
        assert np.shape(got) == np.shape(args[k]), (np.shape(got), np.shape(args[k]))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"gradient wrt argument {k} differs from finite differences")
    return analytic if isinstance(argnum, tuple) else analytic[0]
