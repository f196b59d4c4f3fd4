"""Writes in place, as real numpy code does them: x[i] = v, x[i] += v, buffers filled in a loop, views.

Each gradient is checked against finite differences and, where there is one, a hand-derived answer.
"""

import numpy as np
import pytest

import graphviz_ad as ga
from gradcheck import check_grads

rng = np.random.default_rng(3)
GLOBAL_BUFFER = np.zeros(3)


def test_subscript_assignment_is_a_setitem_node_named_by_its_variable():
    def f(x):
        b = x * 1.0
        b[0] = x[1] * 3
        return np.sum(b ** 2)
    x = np.array([1.0, 2.0, 3.0])
    # b = [3 x1, x1, x2]: d/dx = [0, 18 x1 + 2 x1, 2 x2]
    assert np.allclose(ga.grad(f)(x), [0.0, 20 * x[1], 2 * x[2]])
    check_grads(f, x)
    G = ga.trace(f, x)
    (node,) = [n for n, d in G.nodes(data=True) if d["op"] == "setitem"]
    assert G.nodes[node]["name"] == "b" and G.nodes[node]["params"]["index"] == 0
    assert G.nodes[node]["source"].endswith(f":{f.__code__.co_firstlineno + 2}")


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_into_a_slice(op):
    namespace = {"np": np}
    exec(f"def f(x, y):\n    b = x * 1.0\n    b[1:] {op} y\n    return np.sum(b * np.arange(1.0, 4.0))",
         namespace)
    f = namespace["f"]
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 4.0])
    check_grads(f, x, y, argnum=0)
    check_grads(f, x, y, argnum=1)
    if op == "+=":   # b = [x0, x1 + y0, x2 + y1]
        assert np.allclose(ga.grad(f, 1)(x, y), [2.0, 3.0])
        assert len([1 for _, d in ga.trace(f, x, y).nodes(data=True) if d["op"] == "setitem"]) == 1


def test_an_alias_sees_the_write_as_numpy_does():
    def f(x):
        a = x * 1.0
        alias = a
        a[0] = 5 * x[1]
        return np.sum(alias * x)   # alias = [5 x1, x1, x2]: d/dx = [0, 5 x1 + 2 x1 ... ]
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(ga.grad(f)(x), [5 * x[1], 5 * x[0] + 2 * x[1], 2 * x[2]])
    check_grads(f, x)


def test_copy_is_written_apart_from_its_original():
    def f(x):
        c = x.copy()
        c[0] = 0.0
        return np.sum(x * 2) + np.sum(c * 3)
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(ga.grad(f)(x), [2.0, 5.0, 5.0])


def test_a_view_follows_a_write_into_its_base():
    def f(x):
        X = x.reshape(2, 2) * 1.0
        row = X[0]              # a view: numpy's row sees what is written into X
        X[0, 1] = 5 * x[3]
        return np.sum(row * np.array([1.0, 10.0]))
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.allclose(ga.grad(f)(x), [1.0, 0.0, 0.0, 50.0])
    check_grads(f, x)


def test_a_write_through_a_view_reaches_its_base():
    def f(x):
        X = x.reshape(2, 2) * 1.0
        row = X[1]
        row *= 3.0               # writes X[1]
        row[0] = x[0] ** 2       # and X[1, 0]
        return np.sum(X * np.array([[1.0, 2.0], [3.0, 4.0]]))
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # X = [[x0, x1], [x0^2, 3 x3]]: d/dx = [1 + 3*2 x0, 2, 0, 12]
    assert np.allclose(ga.grad(f)(x), [1 + 6 * x[0], 2.0, 0.0, 12.0])
    check_grads(f, x)


def test_writing_into_a_transposed_view_is_refused_with_the_rewrite():
    def f(x):
        X = x.reshape(2, 2) * 1.0
        t = X.T
        t[0] = 1.0
        return np.sum(X)
    with pytest.raises(ga.TraceError, match=r"reshaped or transposed view.*test_mutation.py:\d+.*\.copy\(\)"):
        ga.grad(f)(np.ones(4))


def test_an_rnn_fills_a_buffer_made_with_np_zeros():
    def rnn(xs, Wx, Wh):
        hs = np.zeros((len(xs) + 1, Wh.shape[0]))
        for t in range(len(xs)):
            hs[t + 1] = np.tanh(Wx @ xs[t] + Wh @ hs[t])
        return np.sum(hs[1:] ** 2)
    xs, Wx, Wh = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), 0.3 * rng.standard_normal((5, 5))
    for argnum in (0, 1, 2):
        check_grads(rnn, xs, Wx, Wh, argnum=argnum)
    G = ga.trace(rnn, xs, Wx, Wh)
    assert {d["name"] for _, d in G.nodes(data=True) if d["op"] == "setitem"} == {"hs"}


def test_one_step_buffer_has_the_analytic_gradient():
    def f(x):
        b = np.zeros(3)
        b[0] = x * 2
        b[2] = np.sin(x)
        return np.sum(b ** 2)   # 4 x^2 + sin(x)^2
    assert ga.grad(f)(0.7) == pytest.approx(8 * 0.7 + 2 * np.sin(0.7) * np.cos(0.7))


def test_a_buffer_read_through_an_attribute_and_a_dict_is_traced():
    class State:
        pass

    def f(x):
        state, cache = State(), {}
        state.buf = np.empty(2)
        cache["out"] = state.buf
        state.buf[0] = x ** 2
        state.buf[1] = 3 * x
        state.buf += 1.0
        return np.sum(cache["out"] * np.array([1.0, 2.0]))   # x^2 + 1 + 2 (3x + 1)
    assert ga.grad(f)(1.5) == pytest.approx(2 * 1.5 + 6)
    check_grads(f, 1.5)


def test_returning_a_filled_buffer_differentiates_it():
    def f(x):
        out = np.zeros_like(x)
        out[::2] = x[::2] ** 2
        return out
    x = np.array([1.0, 2.0, 3.0])
    G = ga.trace(f, x)
    assert np.allclose(G.grad_of("x"), [2.0, 0.0, 6.0])


def test_cross_entropy_gradient_by_hand_with_integer_targets():
    def loss(logits, targets):
        p = np.exp(logits - np.max(logits, axis=1, keepdims=True))
        p /= np.sum(p, axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(targets)), targets]))
    logits, targets = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    dy = p.copy()
    dy[np.arange(4), targets] -= 1   # the classic hand-written backward pass
    assert np.allclose(ga.grad(loss)(logits, targets), dy / 4)
    check_grads(loss, logits, targets)


def test_writing_into_an_array_made_before_the_call_names_line_variable_and_rewrite():
    def f(x):
        GLOBAL_BUFFER[0] = x * 2
        return x
    with pytest.raises(ga.TraceError) as info:
        ga.grad(f)(1.0)
    message = str(info.value)
    assert "GLOBAL_BUFFER" in message and f"test_mutation.py:{f.__code__.co_firstlineno + 1}" in message
    assert "np.zeros_like" in message and "\n" not in message
    assert not GLOBAL_BUFFER.any()   # and nothing was written
