"""check: reverse mode against finite differences, and user primitives checked one instance at a time."""

import json

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples


@ga.primitive("test_cube", deriv=lambda ans, x: 3 * x**2, formula="3*{x}^2")
def cube(x):
    return x**3


@ga.primitive("test_cube_wrong", deriv=lambda ans, x: 3 * x, formula="3*{x}")
def cube_wrong(x):
    return x**3


@ga.primitive("test_norm2", vjp=lambda g, ans, x: 2 * g * x, formula="2*{x}")
def norm2(x):
    return np.sum(x**2)


@ga.primitive("test_norm2_wrong", vjp=lambda g, ans, x: g * x, formula="{x}")
def norm2_wrong(x):
    return np.sum(x**2)


@ga.primitive("test_scaled", deriv=(lambda ans, x, a: a, lambda ans, x, a: 2 * x), formula=("{y}", "{x}"))
def scaled(x, a):
    return x * a        # d/da should be x, not 2x: wrong in the second argument only


def test_wrong_derivative_sample_names_the_primitive_its_line_and_error():
    s = samples.load("wrong_derivative")
    report = ga.check(s.fun, **s.inputs)
    assert not report.ok
    (bad,) = [c for c in report.primitives if not c.ok]
    assert bad.op == "smooth_abs" and bad.argnum == 0
    assert bad.source == "wrong_derivative.py:14" and bad.code == "r = smooth_abs(x - y)"
    # The declared VJP is v*d/(d^2+1); the truth is v*d/sqrt(d^2+1). Compare with the same cotangent.
    d = s.inputs["x"] - s.inputs["y"]
    v = np.random.default_rng(0).standard_normal(3)
    wrong, right = v * d / (d**2 + 1), v * d / np.sqrt(d**2 + 1)
    assert bad.max_error == pytest.approx(np.max(np.abs(wrong - right)), rel=1e-5)
    assert bad.rel_error == pytest.approx(np.max(np.abs(wrong - right)) / np.max(np.abs(right)), rel=1e-5)
    (finding,) = report.findings
    assert finding.kind == "wrong_derivative" and "smooth_abs" in finding.message
    G = report.graph
    node = next(n for n, dd in G.nodes(data=True) if dd["op"] == "smooth_abs")
    assert report.edges == {(next(iter(G.pred[node])), node): "wrong_derivative"}
    assert report.nodes[node] == "wrong_derivative"
    assert not all(c.ok for c in report.inputs)   # and the whole gradient is wrong too


def test_correct_primitives_pass_and_their_gradients_match_the_analytic_ones():
    x = np.array([0.5, -1.2, 2.0])
    report = ga.check(lambda x: norm2(cube(x)) + np.sum(cube(x)), x)
    assert report.ok and report.findings == []
    (inp,) = report.inputs
    np.testing.assert_allclose(inp.ad, 6 * x**5 + 3 * x**2, rtol=1e-12)
    np.testing.assert_allclose(inp.fd, 6 * x**5 + 3 * x**2, rtol=1e-6)
    assert {c.op for c in report.primitives} == {"test_cube", "test_norm2"}
    assert len(report.primitives) == 3      # two cube instances and one norm2
    assert "all gradients agree" in report.table()


@pytest.mark.parametrize("fun, op", [(lambda x: np.sum(cube_wrong(x)), "test_cube_wrong"),
                                     (lambda x: norm2_wrong(x * 2.0), "test_norm2_wrong")],
                         ids=["elementwise", "vjp"])
def test_a_wrong_rule_is_caught_whether_declared_by_deriv_or_vjp(fun, op):
    report = ga.check(fun, np.array([0.5, 1.5]))
    assert not report.ok
    assert [c.op for c in report.primitives if not c.ok] == [op]
    assert report.findings[0].source.startswith("test_check.py:")


def test_only_the_wrong_argument_is_blamed():
    report = ga.check(lambda x, a: np.sum(scaled(x, a)), np.array([1.0, 2.0]), np.array([0.5, 3.0]))
    verdict = {c.argnum: c.ok for c in report.primitives}
    assert verdict == {0: True, 1: False}
    assert "argument 1" in report.findings[0].message


def test_rules_are_checked_for_constant_operands_too():
    report = ga.check(lambda x: np.sum(scaled(x, np.array([2.0, 3.0]))), np.array([1.0, 2.0]), wrt="x")
    assert [c.ok for c in report.primitives] == [True, False]


def test_a_kink_is_reported_without_blaming_a_primitive():
    report = ga.check(lambda x: ga.relu(x) * 3.0, 0.0)      # relu'(0) = 0 by convention; the FD says 1.5
    assert not report.ok and report.primitives == []
    (f,) = report.findings
    assert "no user primitive is to blame" in f.message and report.nodes == {f.nodes[0]: "wrong_derivative"}
    assert report.inputs[0].fd == pytest.approx(1.5)


@pytest.mark.parametrize("name", ["healthy_tanh_mlp", "residual_net", "exploding_chain", "sigmoid_chain20",
                                  "relu_dead", "two_paths"])
def test_bundled_healthy_gradients_pass(name):
    s = samples.load(name)
    report = ga.check(s.fun, wrt=s.wrt, **s.inputs)
    assert report.ok, report.table()
    for c in report.inputs:
        if c.name in s.expected_grad:
            np.testing.assert_allclose(c.fd, np.ravel(s.expected_grad[c.name]), rtol=1e-5, atol=1e-9)


def test_large_arrays_are_sampled():
    x = np.linspace(-1, 1, 500)
    report = ga.check(lambda x: np.sum(np.sin(x)), x, max_elements=20)
    assert report.ok and report.inputs[0].fd.shape == (20,)


def test_non_scalar_output_uses_the_seed_and_kwargs_are_passed():
    def f(x, *, scale=2.0):
        return x**2 * scale
    report = ga.check(f, np.array([1.0, 2.0]), scale=3.0)
    assert report.ok
    np.testing.assert_allclose(report.inputs[0].fd, [6.0, 12.0], rtol=1e-6)


def test_redeclaring_a_user_primitive_replaces_it_and_builtins_are_protected():
    first = ga.primitive("test_redeclared", deriv=lambda ans, x: 1.0)(lambda x: x)
    second = ga.primitive("test_redeclared", deriv=lambda ans, x: 2.0)(lambda x: 2 * x)
    assert ga.PRIMITIVES["test_redeclared"] is second is not first and second.user
    with pytest.raises(ga.GraphvizAdError, match="'sin' is a built-in op"):
        ga.primitive("sin", deriv=lambda ans, x: np.cos(x))
    assert not getattr(ga.PRIMITIVES["sin"], "user", False)


def test_report_json_and_bad_arguments():
    s = samples.load("wrong_derivative")
    data = json.loads(json.dumps(ga.check(s.fun, **s.inputs).to_dict(), allow_nan=False))
    assert data["ok"] is False and data["primitives"][0]["op"] == "smooth_abs"
    with pytest.raises(ga.GraphvizAdError, match="eps must be > 0"):
        ga.check(lambda x: x, 1.0, eps=-1)


@ga.primitive("test_powi", deriv=(lambda ans, x, n: n * x ** (n - 1), None), formula=("{y}*{x}^({y}-1)", None))
def powi(x, n):
    return x**n


def test_an_instance_with_a_plain_positional_argument_is_re_run_from_params():
    report = ga.check(lambda x: np.sum(powi(x, 3)), np.array([1.0, 2.0]))
    assert [(c.argnum, c.ok) for c in report.primitives] == [(0, True)]
    by_keyword = ga.check(lambda x: np.sum(powi(x, n=3)), np.array([1.0, 2.0]))
    assert [(c.argnum, c.ok) for c in by_keyword.primitives] == [(0, True)]


def test_network_gradients_equal_backpropagation_written_out_by_hand():
    s = samples.load("healthy_tanh_mlp")
    p, X, y = s.inputs["params"], s.inputs["X"], s.inputs["y"]
    h1 = np.tanh(X @ p["W1"] + p["b1"])
    h2 = np.tanh(h1 @ p["W2"] + p["b2"])
    d_pred = 2 * (h2 @ p["W3"] - y) / y.size
    d_a2 = (d_pred @ p["W3"].T) * (1 - h2**2)
    d_a1 = (d_a2 @ p["W2"].T) * (1 - h1**2)
    expected = {"W1": X.T @ d_a1, "b1": d_a1.sum(0), "W2": h1.T @ d_a2, "b2": d_a2.sum(0), "W3": h2.T @ d_pred}
    G = ga.trace(s.fun, wrt=s.wrt, **s.inputs)
    for k, g in expected.items():
        np.testing.assert_allclose(G.grad_of(f"params[{k!r}]"), g, rtol=1e-10, atol=1e-14)

    s = samples.load("residual_net")
    p, X, y = s.inputs["params"], s.inputs["X"], s.inputs["y"]
    hs = [X @ p["W_in"]]
    for W, V in p["blocks"]:
        hs.append(hs[-1] + np.maximum(hs[-1] @ W, 0.0) @ V)
    d_h = 2 * (hs[-1] @ p["W_out"] - y) / y.size @ p["W_out"].T
    G = ga.trace(s.fun, wrt=s.wrt, **s.inputs)
    for k in reversed(range(len(p["blocks"]))):
        W, V = p["blocks"][k]
        pre = hs[k] @ W
        np.testing.assert_allclose(G.grad_of(f"params['blocks'][{k}][1]"), np.maximum(pre, 0).T @ d_h, rtol=1e-10)
        d_pre = (d_h @ V.T) * (pre > 0)
        np.testing.assert_allclose(G.grad_of(f"params['blocks'][{k}][0]"), hs[k].T @ d_pre, rtol=1e-10)
        d_h = d_h + d_pre @ W.T              # the skip connection passes d_h through unchanged
    np.testing.assert_allclose(G.grad_of("params['W_in']"), X.T @ d_h, rtol=1e-10)
