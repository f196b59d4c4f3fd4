"""The chain rule's worked examples: exact answers, finite differences, and what the graph holds."""

import numpy as np
import pytest

import graphviz_ad as ga
from gradcheck import check_grads, numerical_grad


def affine_squared(x):
    return (3 * x + 1) ** 2


def sin_of_square(x):
    return np.sin(x**2)


def gaussian(x):
    return np.exp(-x**2)


def sigmoid_three_stages(x):
    u = -x
    v = 1 + np.exp(u)
    s = 1 / v
    return s


CASES = [
    ("(3x+1)^2", affine_squared, lambda x: 18 * x + 6),
    ("sin(x^2)", sin_of_square, lambda x: 2 * x * np.cos(x**2)),
    ("exp(-x^2)", gaussian, lambda x: -2 * x * np.exp(-x**2)),
    ("sigmoid in three stages", sigmoid_three_stages,
     lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
]


@pytest.mark.parametrize("fun, derivative", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("x", [-1.3, 0.0, 0.4, 2.0])
def test_worked_example_matches_exact_and_finite_differences(fun, derivative, x):
    got = ga.grad(fun)(x)
    assert isinstance(got, float)
    assert got == pytest.approx(derivative(x), rel=1e-12, abs=1e-12)
    assert got == pytest.approx(numerical_grad(fun, [x], 0), rel=1e-6, abs=1e-8)
    G = ga.trace(fun, x)
    assert G.grad_of("x") == pytest.approx(derivative(x), rel=1e-12, abs=1e-12)


def test_sigmoid_stages_have_their_local_factors():
    x = 0.3
    G = ga.trace(sigmoid_three_stages, x)
    s = 1 / (1 + np.exp(-x))
    names = {d["name"]: n for n, d in G.nodes(data=True)}
    assert {"x", "u", "v", "s"} <= set(names)
    edge = lambda a, b: G.edges[names[a], names[b]]  # noqa: E731
    assert edge("x", "u")["local_factor"] == -1.0
    assert edge("v", "s")["local_factor"] == pytest.approx(-1 / (1 + np.exp(-x)) ** 2)
    assert edge("v", "s")["formula"] == "-1/v^2"
    # Multiply along the path: the product of the factors is the gradient s(1 - s).
    path = [names[n] for n in ("x", "u")] + [n for n in G.successors(names["u"])] + [names["v"], names["s"]]
    product = np.prod([G.edges[a, b]["local_factor"] for a, b in zip(path, path[1:])])
    assert product == pytest.approx(s * (1 - s))
    assert G.grad_of("x") == pytest.approx(s * (1 - s))


def test_sin_of_square_edge_formula_reads_like_the_maths():
    G = ga.trace(sin_of_square, 1.5)
    sin_node = next(n for n, d in G.nodes(data=True) if d["op"] == "sin")
    (square_node,) = G.predecessors(sin_node)
    data = G.edges[square_node, sin_node]
    assert data["formula"] == "cos(x^2)"
    assert data["local_factor"] == pytest.approx(np.cos(1.5**2))
    assert G.nodes[square_node]["name"] == "x^2"


def neuron_loss(w, b, x, y):
    p = ga.sigmoid(w * x + b)
    return (p - y) ** 2


def test_single_neuron_loss_gradient():
    w, b, x, y = 0.7, -0.2, 1.5, 1.0
    p = 1 / (1 + np.exp(-(w * x + b)))
    dL_dz = 2 * (p - y) * p * (1 - p)
    dw, db = ga.grad(neuron_loss, (0, 1))(w, b, x, y)
    assert dw == pytest.approx(dL_dz * x, rel=1e-12)
    assert db == pytest.approx(dL_dz, rel=1e-12)
    assert dw == pytest.approx(numerical_grad(neuron_loss, [w, b, x, y], 0), rel=1e-6)
    G = ga.trace(neuron_loss, w, b, x, y, wrt=("w", "b"))
    assert G.grad_of("w") == pytest.approx(dL_dz * x)
    assert G.nodes[G.node_named("x")]["op"] == "const"


def net_221(params, x, target):
    """A 2-2-1 sigmoid network with six weights and a squared loss."""
    w1, w2, w3, w4, w5, w6 = params
    h1 = ga.sigmoid(w1 * x[0] + w2 * x[1])
    h2 = ga.sigmoid(w3 * x[0] + w4 * x[1])
    out = ga.sigmoid(w5 * h1 + w6 * h2)
    return 0.5 * (out - target) ** 2


def test_221_network_every_weight_against_hand_derived_backprop():
    params = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45]
    x, target = (0.05, 0.10), 0.01
    w1, w2, w3, w4, w5, w6 = params
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h1, h2 = sig(w1 * x[0] + w2 * x[1]), sig(w3 * x[0] + w4 * x[1])
    out = sig(w5 * h1 + w6 * h2)
    delta_out = (out - target) * out * (1 - out)
    delta_h1 = delta_out * w5 * h1 * (1 - h1)
    delta_h2 = delta_out * w6 * h2 * (1 - h2)
    by_hand = [delta_h1 * x[0], delta_h1 * x[1], delta_h2 * x[0], delta_h2 * x[1],
               delta_out * h1, delta_out * h2]
    got = ga.grad(net_221)(params, x, target)
    assert isinstance(got, list) and len(got) == 6
    np.testing.assert_allclose(got, by_hand, rtol=1e-12)
    for k in range(6):
        f = lambda wk, k=k: net_221(params[:k] + [wk] + params[k + 1:], x, target)  # noqa: E731
        assert got[k] == pytest.approx(numerical_grad(f, [params[k]], 0), rel=1e-5)
    G = ga.trace(net_221, params, x, target, wrt="params")
    assert [G.nodes[n]["name"] for n in G.inputs[:6]] == [f"params[{k}]" for k in range(6)]
    np.testing.assert_allclose([G.nodes[n]["grad"] for n in G.inputs[:6]], by_hand, rtol=1e-12)


def two_paths(x):
    u = np.sin(x)
    v = np.cos(x)
    z = u**2 + v**2
    return z


@pytest.mark.parametrize("x", [0.0, 0.7, 2.5])
def test_multi_path_rule_terms_cancel(x):
    G = ga.trace(two_paths, x)
    node_x = G.node_named("x")
    assert G.grad_of("x") == pytest.approx(0.0, abs=1e-12)
    assert ga.grad(two_paths)(x) == pytest.approx(numerical_grad(two_paths, [x], 0), abs=1e-8)
    out_edges = list(G.out_edges(node_x, data=True))
    assert len(out_edges) == 2
    flows = sorted(d["grad_flow"] for _, _, d in out_edges)
    # Path through u carries 2 sin x cos x, path through v carries -2 cos x sin x: they cancel.
    assert flows[1] == pytest.approx(abs(2 * np.sin(x) * np.cos(x)), abs=1e-12)
    assert flows[0] + flows[1] == pytest.approx(0.0, abs=1e-12)
    # "Add across paths": a node's grad is the sum of the grad_flow on its out-edges, everywhere.
    for n in G.nodes:
        if G.nodes[n]["requires_grad"] and n != G.output:
            total = sum(d["grad_flow"] for _, _, d in G.out_edges(n, data=True))
            assert total == pytest.approx(G.nodes[n]["grad"], abs=1e-12)


def test_product_of_factors_along_each_path_sums_to_gradient():
    G = ga.trace(two_paths, 0.9)
    import networkx as nx
    total = 0.0
    for path in nx.all_simple_paths(G, G.node_named("x"), G.output):
        total += np.prod([G.edges[a, b]["local_factor"] for a, b in zip(path, path[1:])])
    assert total == pytest.approx(G.grad_of("x"), abs=1e-12)


def test_matrix_chain_checked_against_finite_differences():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal((5, 3))

    def loss(W, x):
        return np.mean(np.tanh(x @ W) ** 2)
    check_grads(loss, W, x, argnum=(0, 1))
