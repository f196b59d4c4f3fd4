"""diagnose: every detector fires on the graph built to trigger it, with the right figures and line,
and stays quiet on healthy graphs."""

import itertools
import json
import math

import networkx as nx
import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples
from graphviz_ad.diagnose import count_paths, extreme_paths


def traced(name):
    s = samples.load(name)
    return ga.trace(s.fun, wrt=s.wrt, **s.inputs), s


def kinds(report):
    return sorted({f.kind for f in report.problems})


# ---------------------------------------------------------------------------------------------------
# The samples built to make each detector fire.

def test_sigmoid_chain_vanishes_and_its_weakest_path_is_the_chain():
    G, s = traced("sigmoid_chain20")
    report = ga.diagnose(G)
    assert kinds(report) == ["vanishing"]
    (f,) = report.of_kind("vanishing")
    expected = s.expected_grad["x"]            # the product of the 20 sigmoid factors, by hand
    assert expected < 0.25**20 * 1.5**20
    assert f.nodes == (G.node_named("x"),)
    assert f.figures["grad_rms"] == pytest.approx(expected, rel=1e-9)
    (w,) = report.of_kind("weakest_path")
    assert w.figures["product"] == pytest.approx(expected, rel=1e-9)   # one path: its product is the gradient
    assert w.nodes[0] == G.node_named("x") and w.nodes[-1] == G.graph["output"]
    u, v = w.figures["lossiest_edge"]
    assert G.nodes[v]["op"] == "sigmoid"
    assert w.figures["lossiest_gain"] == min(G.edges[e]["gain"] for e in w.edges)


def test_exploding_chain_explodes_at_both_inputs():
    G, s = traced("exploding_chain")
    report = ga.diagnose(G)
    assert kinds(report) == ["exploding"]
    by_name = {G.nodes[f.nodes[0]]["name"]: f for f in report.of_kind("exploding")}
    assert set(by_name) == {"x", "w"}
    assert by_name["x"].figures["grad_rms"] == pytest.approx(np.prod(s.inputs["w"]), rel=1e-12)
    w_grad = s.expected_grad["w"]
    assert by_name["w"].figures["grad_rms"] == pytest.approx(np.sqrt(np.mean(w_grad**2)), rel=1e-12)
    assert ga.diagnose(G, exploding=1e12).of_kind("exploding") == []


def test_relu_dead_units_are_counted_per_column_of_the_batch():
    G, s = traced("relu_dead")
    report = ga.diagnose(G)
    assert kinds(report) == ["dead"]
    (f,) = report.of_kind("dead")
    pre = s.inputs["X"] @ s.inputs["W1"] + s.inputs["b1"]
    assert f.figures["dead_units"] == int(np.sum(np.all(pre <= 0, axis=0))) == 6
    assert f.figures["units"] == 8
    assert f.figures["zero_fraction"] == pytest.approx(np.mean(pre <= 0))
    assert G.nodes[f.nodes[0]]["op"] == "maximum"
    assert f.source == "relu_dead.py:6" and "np.maximum" in f.code
    assert report.nodes[f.nodes[0]] == "dead"
    assert ga.diagnose(G, dead_fraction=0.8).of_kind("dead") == []   # 6/8 = 0.75 < 0.8


def test_nan_origin_is_the_log_line_not_where_the_nan_shows_up():
    G, s = traced("nan_log")
    report = ga.diagnose(G)
    first = report.findings[0]
    assert first.kind == "nan" and first.level == "error"
    assert first.figures["in"] == "value" and first.figures["nan"] == 1
    assert G.nodes[first.nodes[0]]["op"] == "log"
    assert first.source == "nan_log.py:7" and first.code == "logged = np.log(shifted)"
    assert report.nodes[first.nodes[0]] == "nan_origin"
    value_origins = [f for f in report.of_kind("nan") if f.figures["in"] == "value"]
    assert len(value_origins) == 1          # the NaN downstream of the log is not another origin


def test_nan_in_an_argument_is_its_own_origin():
    G = ga.trace(lambda x: np.sum(x * 2.0), np.array([1.0, np.nan]))
    (f,) = [f for f in ga.diagnose(G).of_kind("nan") if f.figures["in"] == "value"]
    assert f.nodes == (G.node_named("x"),) and "argument" in f.message


def test_inf_from_overflow_is_reported_as_inf():
    G = ga.trace(lambda x: np.exp(x) * 0.5, 1000.0)
    f = ga.diagnose(G).of_kind("nan")[0]
    assert G.nodes[f.nodes[0]]["op"] == "exp" and f.figures["inf"] == 1 and "Inf" in f.message


def test_gradient_origin_is_the_edge_whose_derivative_turns_it_infinite():
    # sqrt(x) at 0 is a fine value with an infinite derivative: the values are finite, the gradient not.
    def f(x):
        root = np.sqrt(x)
        return np.sum(root * 2.0 + x)
    x = np.array([4.0, 0.0])
    G = ga.trace(f, x)
    report = ga.diagnose(G)
    (origin,) = report.of_kind("nan")
    sqrt_node = next(n for n, d in G.nodes(data=True) if d["op"] == "sqrt")
    assert origin.figures["in"] == "grad" and origin.figures["inf"] == 1
    assert origin.nodes[0] == sqrt_node and origin.edges == ((G.node_named("x"), sqrt_node),)
    assert "root = np.sqrt(x)" == origin.code
    assert report.edges[(G.node_named("x"), sqrt_node)] == "nan_origin"


def test_nan_origins_are_limited():
    G = ga.trace(lambda x: np.log(x) + np.log(x - 5.0) + np.log(x - 6.0), -1.0)
    assert len([f for f in ga.diagnose(G, max_origins=2).of_kind("nan") if f.figures["in"] == "value"]) == 2


# ---------------------------------------------------------------------------------------------------
# Thresholds: absolute, relative, and the boundaries of saturation.

def test_converged_loss_is_not_vanishing_but_a_tiny_gradient_at_a_normal_output_is():
    G = ga.trace(lambda x: (x - 1.0) ** 2, 1.0 + 1e-8)          # loss 1e-16, gradient 2e-8
    assert ga.diagnose(G).of_kind("vanishing") == []
    assert ga.diagnose(G, vanishing_relative=None).of_kind("vanishing") != []
    G = ga.trace(lambda x: np.exp(-x**2) + 1.0, 6.0)          # output ~1, gradient ~3e-15
    (f,) = ga.diagnose(G).of_kind("vanishing")
    assert f.figures["grad_rms"] == pytest.approx(12 * np.exp(-36.0))


def test_cancelling_paths_are_not_vanishing():
    G, _ = traced("two_paths")
    assert abs(G.grad_of("x")) < 1e-15
    assert ga.diagnose(G).problems == []


def test_relative_exploding_catches_a_tiny_but_hypersensitive_output():
    G = ga.trace(lambda x: 1e-5 * np.tanh(x * 1e5), 1e-6)      # output 1e-6, gradient ~1
    assert ga.diagnose(G).of_kind("exploding") == []
    (f,) = ga.diagnose(G, exploding_relative=1e5).of_kind("exploding")
    assert f.figures["grad_to_output"] == pytest.approx((1 - np.tanh(0.1)**2) / (1e-5 * np.tanh(0.1)))


@pytest.mark.parametrize("x, saturated", [(3.01, True), (2.99, False), (-3.5, True), (0.5, False)],
                         ids=["3.01", "2.99", "-3.5", "0.5"])
def test_tanh_saturates_beyond_three(x, saturated):
    G = ga.trace(lambda x: np.tanh(x) * 2.0, x)
    found = ga.diagnose(G).of_kind("saturated")
    assert bool(found) is saturated
    if saturated:
        assert found[0].figures["min_factor"] == pytest.approx(1 - np.tanh(x)**2)


def test_sigmoid_saturates_beyond_six_and_arrays_use_the_fraction():
    assert ga.diagnose(ga.trace(lambda x: ga.sigmoid(x) + 0.0, 6.1)).of_kind("saturated")
    assert not ga.diagnose(ga.trace(lambda x: ga.sigmoid(x) + 0.0, 5.9)).of_kind("saturated")
    G = ga.trace(lambda x: np.sum(np.tanh(x)), np.array([4.0, -5.0, 6.0, 0.1]))
    (f,) = ga.diagnose(G).of_kind("saturated")
    assert f.figures["saturated_fraction"] == 0.75 and f.figures["elements"] == 4
    assert ga.diagnose(G, saturated_fraction=0.8).of_kind("saturated") == []


def test_relu_of_a_single_vector_is_dead_only_when_all_of_it_is():
    some = ga.trace(lambda x: np.sum(ga.relu(x)), np.array([-1.0, -2.0, 3.0]))
    assert ga.diagnose(some).of_kind("dead") == []
    every = ga.trace(lambda x: np.sum(ga.relu(x)), np.array([-1.0, -2.0, -3.0]))
    (f,) = ga.diagnose(every).of_kind("dead")
    assert f.figures["dead_units"] == 3 and G_op(every, f.nodes[0]) == "relu"


def G_op(G, n):
    return G.nodes[n]["op"]


# ---------------------------------------------------------------------------------------------------
# No false alarms.

@pytest.mark.parametrize("name", ["healthy_tanh_mlp", "residual_net", "two_paths", "sigmoid", "square_of_affine"])
def test_healthy_graphs_raise_no_alarm(name):
    G, _ = traced(name)
    report = ga.diagnose(G)
    assert report.problems == [], report.table()
    assert {f.kind for f in report} == {"weakest_path"}


# ---------------------------------------------------------------------------------------------------
# The dynamic programmes against brute force.

def random_dag(seed, n=12, p=0.35):
    rng = np.random.default_rng(seed)
    G = ga.Graph()
    for i in range(n):
        G.add_node(i, op="input" if i == 0 else "add", name=f"n{i}", value=1.0, grad=1.0)
    for u, v in itertools.combinations(range(n), 2):
        if rng.random() < p or v == u + 1:
            G.add_edge(u, v, gain=float(rng.choice([0.0, *rng.uniform(0.01, 5, 9)])))
    G.graph.update(inputs=[0], output=n - 1, seed=1.0)
    return G


@pytest.mark.parametrize("seed", range(6))
def test_weakest_and_strongest_path_and_count_match_brute_force(seed):
    G = random_dag(seed)
    every = list(nx.all_simple_paths(G, 0, G.graph["output"]))
    products = [math.prod(G.edges[e]["gain"] for e in zip(p[:-1], p[1:])) for p in every]
    assert count_paths(G, 0) == len(every)
    for weakest, pick in ((True, min), (False, max)):
        best, nxt = extreme_paths(G, weakest=weakest)
        assert math.exp(best[0]) == pytest.approx(pick(products), rel=1e-12, abs=1e-300)
        path = [0]
        while path[-1] in nxt:
            path.append(nxt[path[-1]])
        assert math.prod(G.edges[e]["gain"] for e in zip(path[:-1], path[1:])) == pytest.approx(pick(products))


def test_lossiest_edge_is_the_one_that_loses_most():
    G = ga.trace(lambda x: np.sin(x * 0.001) * 3.0, 0.2)
    (w,) = ga.diagnose(G).of_kind("weakest_path")
    u, v = w.figures["lossiest_edge"]
    assert G.nodes[u]["name"] == "x" and G.nodes[v]["op"] == "multiply"
    assert w.figures["lossiest_gain"] == pytest.approx(0.001)
    assert w.figures["product"] == pytest.approx(0.001 * np.cos(0.0002) * 3.0)


# ---------------------------------------------------------------------------------------------------
# The report: marks for the renderer, the table, JSON.

def test_marks_cover_the_weakest_path_and_stronger_marks_win():
    G, _ = traced("nan_log")
    report = ga.diagnose(G)
    (w,) = report.of_kind("weakest_path")
    for e in w.edges:
        assert report.edges[e] in ("weakest_path", "nan_origin")
    log_node = next(n for n, d in G.nodes(data=True) if d["op"] == "log")
    assert report.nodes[log_node] == "nan_origin"
    assert set(report.nodes.values()) <= {"weakest_path", "nan_origin", "saturated", "dead", "vanishing",
                                          "exploding", "wrong_derivative"}


def test_only_the_weakest_of_the_weakest_paths_is_marked():
    G, _ = traced("healthy_tanh_mlp")
    report = ga.diagnose(G)
    weakest = min(report.of_kind("weakest_path"), key=lambda f: f.figures["product"])
    assert set(report.edges) == set(weakest.edges)


def test_gradient_flow_table_has_one_row_per_parameter_with_its_gradient_size():
    G, s = traced("healthy_tanh_mlp")
    rows = ga.diagnose(G).flow
    params = {r["tensor"]: r for r in rows if r["tensor"].startswith("params")}
    assert list(params) == [f"params[{k!r}]" for k in s.inputs["params"]]
    g = G.grad_of("params['W2']")
    assert params["params['W2']"]["grad_rms"] == pytest.approx(np.sqrt(np.mean(g**2)))
    assert params["params['W2']"]["scope"] == "healthy_tanh_mlp > layer"
    assert params["params['W3']"]["scope"] == "healthy_tanh_mlp"
    assert any(r["scope"] == "healthy_tanh_mlp > layer" and r["tensor"].endswith("values") for r in rows)


def test_report_serialises_to_strict_json_and_prints_a_table():
    G, _ = traced("nan_log")
    report = ga.diagnose(G)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["findings"][0]["kind"] == "nan" and data["findings"][0]["source"] == "nan_log.py:7"
    text = report.table()
    assert "nan_log.py:7" in text and "gradient flow by scope" in text


def test_bad_input_gives_one_line_errors():
    with pytest.raises(ga.GraphvizAdError, match="expected a graph from graphviz_ad.trace"):
        ga.diagnose(42)
    G = ga.trace(lambda x: x * 2.0, 1.0)
    with pytest.raises(ga.GraphvizAdError, match="vanishing must be a positive number"):
        ga.diagnose(G, vanishing=-1)


def test_a_gradient_that_overflows_when_its_terms_are_added_is_its_own_origin():
    big = np.array([1.5e308])
    G = ga.trace(lambda x: np.sum(x * big + x * big), np.array([1e-300]))
    assert np.isinf(G.grad_of("x")[0]) and np.isfinite(G.value_of("x")[0])
    (f,) = ga.diagnose(G).of_kind("nan")
    assert f.nodes == (G.node_named("x"),) and f.figures["in"] == "grad" and "overflows" in f.message


def test_render_draws_the_report_marks():
    if not hasattr(ga, "render"):
        pytest.skip("the renderer is not available")
    G, _ = traced("relu_dead")
    report = ga.diagnose(G)
    svg = ga.render(G, None, "svg", highlight=report)
    text = svg.decode() if isinstance(svg, bytes) else svg
    assert "mark dead" in text and "mark weakest_path" in text
