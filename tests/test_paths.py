"""paths: each path's factors and product, the exact count, the largest first, and the sum = gradient."""

import math

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples
from gradcheck import numerical_grad


def test_two_paths_cancel_to_the_gradient_zero():
    x = 0.7
    G = ga.trace(samples.load("two_paths").fun, x)
    p = ga.paths(G, "x")
    assert p.count == 2 and p.complete
    by_first = {G.nodes[q.nodes[1]]["name"]: q for q in p.paths}
    assert by_first["u"].factors == pytest.approx((np.cos(x), 2 * np.sin(x), 1.0))
    assert by_first["u"].product == pytest.approx(2 * np.sin(x) * np.cos(x))
    assert by_first["v"].product == pytest.approx(-2 * np.sin(x) * np.cos(x))
    assert p.total == pytest.approx(0.0, abs=1e-15) and p.gradient == pytest.approx(0.0, abs=1e-15)
    text = str(p)
    assert "2 paths" in text and "cos(x)" in text and "(= the gradient)" in text


def layered(x, depth=8):
    for _ in range(depth):
        x = np.sin(x) + np.cos(x)
    return x


def test_sum_over_all_paths_is_the_gradient_and_finite_differences_agree():
    G = ga.trace(layered, 0.3)
    p = ga.paths(G, limit=1000)
    assert p.count == 2**8 and p.complete
    assert p.total == pytest.approx(G.grad_of("x"), rel=1e-12)
    assert p.total == pytest.approx(numerical_grad(layered, [0.3], 0), rel=1e-6)
    magnitudes = [abs(q.product) for q in p.paths]
    assert magnitudes == sorted(magnitudes, reverse=True)


def test_past_the_limit_the_count_is_exact_and_the_listed_paths_are_the_largest():
    everything = ga.paths(ga.trace(layered, 0.3), limit=1000)
    top = ga.paths(ga.trace(layered, 0.3), limit=5)
    assert top.count == 256 and not top.complete and len(top.paths) == 5
    assert [q.product for q in top.paths] == pytest.approx([q.product for q in everything.paths[:5]])
    assert "251 smaller paths not listed" in str(top)
    deep = ga.paths(ga.trace(lambda x: layered(x, 40), 0.3), limit=3)
    assert deep.count == 2**40                      # counted, not enumerated
    assert len(deep.paths) == 3


def test_every_factor_is_the_analytic_derivative_along_a_chain():
    x = 0.4
    G = ga.trace(lambda x: np.exp(np.sin(x**2)), x)
    (q,) = ga.paths(G).paths
    assert q.factors == pytest.approx((2 * x, np.cos(x**2), np.exp(np.sin(x**2))))
    assert q.product == pytest.approx(2 * x * np.cos(x**2) * np.exp(np.sin(x**2)))
    assert q.formulas[1] == "cos(x^2)"


def test_elementwise_array_paths_multiply_elementwise_through_a_full_sum():
    x = np.array([0.1, -0.4, 0.9])
    G = ga.trace(lambda x: np.mean(x * x + np.tanh(x)), x)
    p = ga.paths(G)
    assert p.count == 2 and p.note == ""
    np.testing.assert_allclose(p.total, (2 * x + 1 - np.tanh(x)**2) / 3, rtol=1e-12)
    products = sorted((q.product for q in p.paths), key=lambda a: a[0])
    np.testing.assert_allclose(products[0], 2 * x / 3, rtol=1e-12)


def test_broadcast_scalar_input_sums_its_path_term():
    c = np.array([[1.0, 2.0], [3.0, 4.0]])
    G = ga.trace(lambda x: x * c, 0.5)           # seed is ones: d sum(x*c)/dx = sum(c)
    (q,) = ga.paths(G).paths
    assert q.product == pytest.approx(10.0)


def test_matrix_factors_are_explained_not_multiplied():
    rng = np.random.default_rng(0)
    G = ga.trace(lambda W, x: np.sum(np.tanh(W @ x)), rng.normal(size=(3, 2)), rng.normal(size=2))
    p = ga.paths(G, "W")
    assert p.count == 1 and p.paths[0].product is None and p.total is None
    assert "matmul" in p.note and "elementwise" in p.note
    assert "note:" in str(p)


def test_count_is_zero_when_the_output_ignores_the_input():
    with pytest.warns(ga.GraphvizAdWarning):
        G = ga.trace(lambda x, y: x * 2.0, 1.0, 2.0)
    p = ga.paths(G, "y")
    assert p.count == 0 and p.paths == [] and "does not depend" in str(p)


def test_wrt_by_node_id_and_bad_wrt_or_limit():
    G = ga.trace(lambda x, y: x * y, 2.0, 3.0)
    assert ga.paths(G, G.node_named("y")).paths[0].product == pytest.approx(2.0)
    with pytest.raises(ga.GraphvizAdError, match=r"inputs \['x', 'y'\]; say which"):
        ga.paths(G)
    with pytest.raises(ga.GraphvizAdError, match="'z' is not a differentiated input"):
        ga.paths(G, "z")
    with pytest.raises(ga.GraphvizAdError, match="limit must be a positive integer"):
        ga.paths(G, "x", limit=0)


def test_to_dict_lists_names_and_products():
    G = ga.trace(samples.load("two_paths").fun, 0.7)
    data = ga.paths(G, "x").to_dict()
    assert data["count"] == 2 and data["complete"]
    assert {tuple(q["names"]) for q in data["paths"]} == {("x", "u", "u^2", "z"), ("x", "v", "v^2", "z")}


@pytest.mark.parametrize("seed", range(4))
def test_largest_paths_match_brute_force_on_random_gains(seed):
    # Scalar chain-of-diamonds graphs with random factors: rank by |product| exactly.
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-2, 2, size=(2, 6))

    def f(x):
        for i in range(6):
            x = x * a[i] + np.sin(x) * b[i]
        return x
    G = ga.trace(f, 0.2)
    p = ga.paths(G, limit=7)
    every = ga.paths(G, limit=10**6)
    brute = sorted((abs(q.product) for q in every.paths), reverse=True)[:7]
    assert [abs(q.product) for q in p.paths] == pytest.approx(brute, rel=1e-12)
    assert every.total == pytest.approx(G.grad_of("x"), rel=1e-10)
    assert math.prod([2] * 6) == every.count
    assert len({q.nodes for q in every.paths}) == every.count      # distinct paths


def test_equal_gains_and_astronomical_counts_stay_fast_and_printable():
    def doubling(x):
        for _ in range(300):
            x = x * 1.0 + x * 1.0          # every gain is 1: ties everywhere
        return x
    p = ga.paths(ga.trace(doubling, 0.1), limit=4)
    assert p.count == 2**300 and len(p.paths) == 4
    assert all(q.product == 1.0 for q in p.paths)       # each path: factors 1 * 1
    assert "about 10^90.3 paths" in str(p)
    assert p.to_dict()["count"] == "about 10^90.3"
