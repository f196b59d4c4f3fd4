"""Random compositions of primitives, checked against finite differences (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import graphviz_ad as ga
from gradcheck import numerical_grad

# Smooth unary steps, each safe on the whole real line (so any composition is differentiable).
UNARY = {
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": ga.sigmoid, "softplus": ga.softplus,
    "arctan": np.arctan, "square/4": lambda v: np.square(v) / 4, "exp(-v^2)": lambda v: np.exp(-v * v),
    "log1p(v^2)": lambda v: np.log1p(v * v), "arcsinh": np.arcsinh, "sqrt(1+v^2)": lambda v: np.sqrt(1 + v * v),
}
# Binary steps combine the running value with an earlier one: that is what makes several paths.
BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "hypot": lambda a, b: np.hypot(a, b + 1.5), "logaddexp": np.logaddexp,
    "divide": lambda a, b: a / (1.5 + np.cos(b)), "power": lambda a, b: (1 + a * a) ** (0.5 * np.tanh(b)),
}

step = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY))),
    st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), st.integers(0, 50)),
)


def build(program):
    def composed(x, y):
        values = [x, y, x + 0.5 * y]   # the running value starts out depending on both
        for instruction in program:
            if instruction[0] == "unary":
                values.append(UNARY[instruction[1]](values[-1]))
            else:
                other = values[instruction[2] % len(values)]
                values.append(BINARY[instruction[1]](values[-1], other))
        return np.sum(values[-1])
    return composed


@settings(max_examples=150, deadline=None, derandomize=True)
@given(program=st.lists(step, min_size=1, max_size=12),
       x=st.floats(-2, 2), y=st.floats(-2, 2), as_array=st.booleans())
def test_random_composition_matches_finite_differences(program, x, y, as_array):
    fun = build(program)
    if as_array:
        x = np.array([x, 0.5 * x - 0.3])
        y = np.array([[y], [0.2 - y]])   # broadcasts against x
    gx, gy = ga.grad(fun, (0, 1))(x, y)
    np.testing.assert_allclose(gx, numerical_grad(fun, [x, y], 0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gy, numerical_grad(fun, [x, y], 1), rtol=1e-4, atol=1e-6)
    G = ga.trace(fun, x, y)
    np.testing.assert_allclose(G.grad_of("x"), gx, rtol=1e-12, atol=1e-15)
    # Add across paths: every node's grad is the sum of the grad_flow on its out-edges.
    for n, d in G.nodes(data=True):
        if d["requires_grad"] and n != G.output:
            flows = [e["grad_flow"] for _, _, e in G.out_edges(n, data=True)]
            total = sum(flows) if flows else np.zeros(d["shape"])
            np.testing.assert_allclose(total, d["grad"], rtol=1e-9, atol=1e-12)
