"""trace(): the graph contract of docs/graph-contract.md, and the edge cases of the core issue."""

import math
import os
import sys
import warnings

import networkx as nx
import numpy as np
import pytest

import graphviz_ad as ga
from gradcheck import numerical_grad

HERE = os.path.basename(__file__)


def two_layer(W1, W2, x):
    h = np.tanh(x @ W1)
    out = h @ W2
    return np.sum(out**2)


def arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((5, 3))


def test_every_contract_attribute_is_present_and_typed():
    W1, W2, x = arrays()
    G = ga.trace(two_layer, W1, W2, x, wrt=("W1", "W2"))
    assert isinstance(G, nx.DiGraph) and nx.is_directed_acyclic_graph(G)
    assert list(G.nodes) == list(range(G.number_of_nodes()))
    for n, d in G.nodes(data=True):
        assert set(d) >= {"op", "name", "display", "value", "grad", "shape", "dtype", "requires_grad",
                          "source", "code", "scope", "params"}
        assert isinstance(d["name"], str) and d["name"]
        assert d["shape"] == np.shape(d["value"])
        if d["requires_grad"]:
            assert np.shape(d["grad"]) == d["shape"]
        else:
            assert d["grad"] is None
        assert isinstance(d["scope"], tuple) and d["scope"][0] == "two_layer"
        assert d["source"].startswith(HERE + ":")
    for a, b, d in G.edges(data=True):
        assert set(d) >= {"argnum", "local_factor", "gain", "grad_flow", "formula"}
        assert a < b   # trace order is a topological order
    assert G.graph["function"] == "two_layer"
    assert G.graph["wrt"] == ["W1", "W2"]
    assert [G.nodes[n]["name"] for n in G.inputs] == ["W1", "W2", "x"]
    assert [G.nodes[n]["op"] for n in G.inputs] == ["input", "input", "const"]
    assert G.graph["seed_rule"] == "scalar" and G.graph["seed"] == 1.0
    assert G.nodes[G.output]["op"] == "sum"


def test_gradients_on_nodes_match_grad_and_finite_differences():
    W1, W2, x = arrays()
    G = ga.trace(two_layer, W1, W2, x)
    gW1, gW2, gx = ga.grad(two_layer, (0, 1, 2))(W1, W2, x)
    np.testing.assert_allclose(G.grad_of("W1"), gW1)
    np.testing.assert_allclose(G.grad_of("x"), gx)
    np.testing.assert_allclose(gW2, numerical_grad(two_layer, [W1, W2, x], 1), rtol=1e-6)


def test_edge_factors_gain_and_flow():
    W1, W2, x = arrays()
    G = ga.trace(two_layer, W1, W2, x)
    tanh = next(n for n, d in G.nodes(data=True) if d["op"] == "tanh")
    (pre,) = G.predecessors(tanh)
    e = G.edges[pre, tanh]
    np.testing.assert_allclose(e["local_factor"], 1 - np.tanh(x @ W1) ** 2)
    u = G.nodes[tanh]["grad"]
    np.testing.assert_allclose(e["grad_flow"], u * e["local_factor"])
    assert e["gain"] == pytest.approx(np.linalg.norm(u * e["local_factor"]) / np.linalg.norm(u))
    assert e["formula"] == "1 - h^2"
    matmul_edge = G.edges[G.node_named("W1"), pre]
    assert matmul_edge["local_factor"] is None and matmul_edge["gain"] > 0
    np.testing.assert_allclose(matmul_edge["grad_flow"], G.grad_of("W1"))


def test_broadcast_local_factor_has_result_shape_and_flow_has_operand_shape():
    def f(x, b):
        return np.sum(x * b)
    x, b = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])
    G = ga.trace(f, x, b)
    mul = next(n for n, d in G.nodes(data=True) if d["op"] == "multiply")
    e = G.edges[G.node_named("b"), mul]
    assert np.shape(e["local_factor"]) == (2, 3)
    np.testing.assert_allclose(e["local_factor"], x)
    np.testing.assert_allclose(e["grad_flow"], x.sum(0))
    np.testing.assert_allclose(G.grad_of("b"), x.sum(0))


def test_same_operand_twice_is_one_edge_with_the_total_derivative():
    G = ga.trace(lambda x: x * x, 3.0)
    ((a, b, d),) = G.edges(data=True)
    assert d["argnum"] == (0, 1)
    assert d["local_factor"] == 6.0 and d["gain"] == 6.0 and d["grad_flow"] == 6.0


def test_same_call_gives_the_same_graph():
    W1, W2, x = arrays()
    G1 = ga.trace(two_layer, W1, W2, x)
    G2 = ga.trace(two_layer, W1, W2, x)
    assert list(G1.nodes) == list(G2.nodes) and list(G1.edges) == list(G2.edges)
    for n in G1.nodes:
        for key in ("op", "name", "source", "scope", "formula"):
            assert G1.nodes[n].get(key) == G2.nodes[n].get(key)
        np.testing.assert_array_equal(G1.nodes[n]["value"], G2.nodes[n]["value"])


def test_inputs_are_copied_so_later_changes_do_not_alter_the_graph():
    x = np.array([1.0, 2.0])
    G = ga.trace(lambda x: np.sum(x**2), x)
    x[0] = 100.0
    np.testing.assert_array_equal(G.value_of("x"), [1.0, 2.0])


def test_non_scalar_output_is_summed_unless_seed_given():
    x = np.array([0.5, 1.0, 2.0])
    G = ga.trace(np.sin, x)
    assert G.graph["seed_rule"] == "sum"
    np.testing.assert_allclose(G.grad_of("arg0"), np.cos(x))
    seed = np.array([1.0, 0.0, -2.0])
    G = ga.trace(np.sin, x, seed=seed)
    assert G.graph["seed_rule"] == "given"
    np.testing.assert_allclose(G.graph["seed"], seed)
    np.testing.assert_allclose(G.grad_of("arg0"), seed * np.cos(x))
    with pytest.raises(ga.GradError, match="seed has shape"):
        ga.trace(np.sin, x, seed=[1.0])


def test_nan_and_inf_are_kept_not_raised():
    def f(x):
        return np.log(x - 2.0) + np.sqrt(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G = ga.trace(f, 1.0)
    assert math.isnan(G.nodes[G.output]["value"])
    log_node = next(n for n, d in G.nodes(data=True) if d["op"] == "log")
    assert math.isnan(G.nodes[log_node]["value"])
    assert G.nodes[log_node]["source"] == f"{HERE}:{f.__code__.co_firstlineno + 1}"


def test_output_independent_of_an_input_warns_and_gives_zero():
    def f(x, y):
        return np.sin(x)
    with pytest.warns(ga.GraphvizAdWarning, match="does not depend on input 'y'"):
        G = ga.trace(f, 1.0, 2.0)
    assert G.grad_of("y") == 0.0
    with pytest.warns(ga.GraphvizAdWarning, match="does not depend"):
        assert ga.grad(f, 1)(1.0, 2.0) == 0.0
    with pytest.warns(ga.GraphvizAdWarning, match="does not depend on the inputs"):
        assert ga.grad(lambda x: 3.0)(1.0) == 0.0


def test_wrt_selects_inputs_and_the_rest_become_constants():
    G = ga.trace(lambda a, b, n=2: a * b**n, 2.0, 3.0, wrt="a")
    assert [G.nodes[i]["op"] for i in G.inputs] == ["input", "const"]
    assert G.grad_of("a") == 9.0
    assert G.grad_of("b") is None
    with pytest.raises(ga.GraphvizAdError, match=r"wrt names \['c'\] are not arguments"):
        ga.trace(lambda a, b: a * b, 1.0, 2.0, wrt="c")


def test_default_arguments_and_dict_inputs():
    def f(params, scale=2.0):
        return scale * params["w"] ** 2 + params["b"]
    G = ga.trace(f, {"w": 3.0, "b": 1.0})
    assert [G.nodes[i]["name"] for i in G.inputs] == ["params['w']", "params['b']", "scale"]
    assert G.grad_of("params['w']") == 12.0 and G.grad_of("scale") == 9.0
    g = ga.grad(f)({"w": 3.0, "b": 1.0})
    assert g == {"w": 12.0, "b": 1.0}


def test_gradient_structure_shape_and_dtype_follow_the_argument():
    params = (np.ones((2, 3), dtype=np.float32), [np.float32(2.0), 0.5])

    def f(p):
        return np.sum(p[0] * p[1][0]) + p[1][1] ** 2
    g = ga.grad(f)(params)
    assert isinstance(g, tuple) and isinstance(g[1], list)
    assert g[0].dtype == np.float32 and g[0].shape == (2, 3)
    np.testing.assert_allclose(g[0], 2.0)
    assert isinstance(g[1][0], np.float32) and g[1][0] == 6.0
    assert type(g[1][1]) is float and g[1][1] == 1.0


def test_gradients_handed_out_never_alias_each_other():
    gx, gy = ga.grad(lambda x, y: np.sum(x + y), (0, 1))(np.zeros(3), np.zeros(3))
    gx[0] = 5.0
    assert gy[0] == 1.0


def test_value_and_grad():
    value, g = ga.value_and_grad(lambda x: np.sum(x**3))(np.array([1.0, 2.0]))
    assert value == 9.0
    np.testing.assert_allclose(g, [3.0, 12.0])


def test_grad_errors_are_clear():
    with pytest.raises(ga.GradError, match=r"scalar output, got shape \(2,\)"):
        ga.grad(np.sin)(np.array([1.0, 2.0]))
    with pytest.raises(ga.GradError, match="argnum 3"):
        ga.grad(np.sin, 3)(1.0)
    with pytest.raises(ga.GradError, match="returned a tuple"):
        ga.grad(lambda x: (x, x))(1.0)
    with pytest.raises(ga.GradError, match="argument arg0 is a str"):
        ga.grad(lambda s: 1.0)("text")


def test_math_functions_fail_with_the_numpy_replacement_and_the_line():
    def f(x):
        return math.sin(x) * 2
    with pytest.raises(ga.TraceError) as info:
        ga.trace(f, 1.0)
    message = str(info.value)
    assert "use np.sin(x)" in message
    assert f"{HERE}:{f.__code__.co_firstlineno + 1}" in message
    assert "\n" not in message


def test_untraceable_operations_name_themselves():
    with pytest.raises(ga.TraceError, match="out= writes in place"):
        ga.trace(lambda x: np.sin(x, out=np.zeros(2)), np.zeros(2))
    with pytest.raises(ga.TraceError, match=r"np\.fft\.fft cannot be traced"):
        ga.trace(lambda x: np.sum(np.fft.fft(x)), np.zeros(4))


def test_errors_in_user_code_keep_their_type_and_say_where():
    def f(x):
        return np.sum(x @ np.ones((3, 3)))
    with pytest.raises(ValueError) as info:
        ga.trace(f, np.ones((2, 2)))
    assert any("matmul" in note and HERE in note for note in getattr(info.value, "__notes__", []))


def test_control_flow_follows_the_traced_value():
    def f(x):
        if x > 0:
            return np.sin(x)
        return np.cos(x)
    assert {d["op"] for _, d in ga.trace(f, 1.0).nodes(data=True)} == {"input", "sin"}
    assert {d["op"] for _, d in ga.trace(f, -1.0).nodes(data=True)} == {"input", "cos"}
    assert ga.grad(f)(-1.0) == pytest.approx(np.sin(1.0))


@pytest.mark.parametrize("fun, x, expected", [
    (ga.relu, 0.0, 0.0), (ga.relu, 2.0, 1.0), (ga.relu, -2.0, 0.0),
    (np.abs, 0.0, 0.0), (np.abs, -3.0, -1.0),
    (lambda x: np.maximum(x, 1.0), 1.0, 0.5),
    (lambda x: np.max(x * np.array([1.0, 1.0, 0.0])), 1.0, 1.0),
    (lambda x: np.clip(x, 0.0, 1.0), 1.0, 1.0), (lambda x: np.clip(x, 0.0, 1.0), 1.5, 0.0),
], ids=["relu(0)", "relu(2)", "relu(-2)", "abs(0)", "abs(-3)", "max tie", "max reduce", "clip at bound",
        "clip outside"])
def test_documented_subgradients(fun, x, expected):
    assert ga.grad(fun)(x) == expected


def test_max_reduction_ties_share_the_gradient():
    np.testing.assert_allclose(ga.grad(np.max)(np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])


def test_deep_chain_does_not_hit_the_recursion_limit():
    def chain(x, n):
        for _ in range(n):
            x = np.sin(x)
        return x
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        g = ga.grad(chain)(0.5, 100_000)
        G = ga.trace(chain, 0.5, 100_000, wrt="x")
    finally:
        sys.setrecursionlimit(limit)
    assert 0 < g < 1
    assert G.number_of_nodes() == 100_001
    assert G.grad_of("x") == g


def layer(h, W):
    return np.tanh(h @ W)


def mlp(x, W1, W2):
    h = layer(x, W1)
    return np.sum(layer(h, W2))


def test_scope_and_source_of_nested_functions():
    W1, W2, x = arrays()
    G = ga.trace(mlp, x, W1, W2[:, :1].repeat(4, 1))
    scopes = {d["scope"] for _, d in G.nodes(data=True) if d["op"] == "tanh"}
    assert scopes == {("mlp", "layer")}
    tanh_lines = {d["source"] for _, d in G.nodes(data=True) if d["op"] == "tanh"}
    assert tanh_lines == {f"{HERE}:{layer.__code__.co_firstlineno + 1}"}
    assert {d["code"] for _, d in G.nodes(data=True) if d["op"] == "tanh"} == {"return np.tanh(h @ W)"}


def test_names_come_from_assignments_then_short_expressions():
    def f(x):
        u = np.sin(x)
        return np.exp(u * 2) + np.log(np.cosh(np.arctan(np.sinh(np.tanh(u)))))
    G = ga.trace(f, 0.4)
    names = [d["name"] for _, d in G.nodes(data=True)]
    assert "u" in names and "u*2" in names and "exp(u*2)" in names
    assert all(len(n) <= 20 for n in names)


def test_tracing_the_same_code_in_a_loop_names_each_iteration():
    def f(x, W):
        h = x
        for _ in range(3):
            h = np.tanh(h @ W)
        return np.sum(h)
    G = ga.trace(f, np.ones((1, 2)), np.eye(2) * 0.5)
    tanh_names = [d["name"] for _, d in G.nodes(data=True) if d["op"] == "tanh"]
    assert tanh_names == ["h", "h", "h"]


def test_ndarray_methods_and_builtins_on_traced_values():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])

    def f(x):
        return np.sum(x.take([0, 3])) + np.sum(x.mT @ x) + x.T.sum() + x.reshape(4)[1] + x.mean()
    expected = np.array([[1.0, 0.0], [0.0, 1.0]])                 # take([0, 3]) picks [0,0] and [1,1]
    expected = expected + 2 * x.sum(1, keepdims=True)              # d sum(x^T x) / dx = 2 * row sums
    expected = expected + 1.0 + 0.25                               # x.T.sum() and x.mean()
    expected[0, 1] += 1.0                                          # x.reshape(4)[1]
    np.testing.assert_allclose(ga.grad(f)(x), expected)
    np.testing.assert_allclose(ga.grad(f)(x), numerical_grad(f, [x], 0), rtol=1e-6)
    assert ga.grad(lambda v: round(v * 3.3) + divmod(v, 2.0)[1])(1.7) == 1.0
    assert len(list(ga.trace(lambda v: sum(v), np.ones(3)).nodes)) > 3   # iteration and builtin sum


def dense(h, W, b):
    return np.tanh(h @ W + b)


def two_dense(x, W, b):
    hidden = dense(x, W, b)
    return np.sum(dense(hidden, W, b))


def test_a_call_sites_assignment_names_the_value_the_call_returns():
    W, b = np.eye(2) * 0.5, np.array([0.1, -0.1])
    G = ga.trace(two_dense, np.ones((3, 2)), W, b)
    tanh_names = [d["name"] for _, d in G.nodes(data=True) if d["op"] == "tanh"]
    assert tanh_names == ["hidden", "tanh(hidden @ W + b)"]
    assert [d["name"] for _, d in G.nodes(data=True) if d["op"] == "add"] == ["x @ W + b", "hidden @ W + b"]


def test_long_expressions_elide_their_operands():
    def f(inputs, weights, bias):
        return np.sum(np.tanh(inputs @ weights + bias))
    G = ga.trace(f, np.ones((1, 2)), np.eye(2), np.zeros(2))
    names = {d["op"]: d["name"] for _, d in G.nodes(data=True)}
    assert names["add"] == "… + bias"
    assert names["tanh"] == "tanh(… + bias)" and names["sum"] == "sum(tanh(… + bias))"


def test_local_factor_is_a_float_only_when_both_ends_are_scalars():
    G = ga.trace(lambda x, s: np.sum(x) * np.sum(s * 2.0), np.array([2.0]), 3.0)
    sums = [n for n, d in G.nodes(data=True) if d["op"] == "sum"]
    assert G.edges[G.node_named("x"), sums[0]]["local_factor"] is None       # (1,) -> (): a reduction
    mul = next(n for n, d in G.nodes(data=True) if d["op"] == "multiply" and d["shape"] == ())
    assert G.edges[G.node_named("s"), mul]["local_factor"] == 2.0
    assert G.edges[mul, sums[1]]["local_factor"] == 1.0                        # sum of a scalar


def test_an_edited_file_is_read_anew(tmp_path):
    import importlib.util
    import time
    path = tmp_path / "edited_model.py"

    def load(text):
        path.write_text(text)
        stamp = time.time() + len(text)   # a distinct mtime, so the change is seen even within a second
        os.utime(path, (stamp, stamp))
        spec = importlib.util.spec_from_file_location("edited_model", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.f
    first = ga.trace(load("import numpy as np\n\n\ndef f(x):\n    u = np.tanh(x)\n    return u\n"), 0.5)
    assert first.nodes[first.output]["name"] == "u"
    second = ga.trace(load("import numpy as np\n\n\ndef f(x):\n    v = np.sin(x)\n    return v\n"), 0.5)
    assert second.nodes[second.output]["name"] == "v"
    assert second.nodes[second.output]["code"] == "v = np.sin(x)"
