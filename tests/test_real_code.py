"""numpy code as people write it in courses, tutorials and repositories, traced unmodified.

Each style is checked against finite differences, and against a hand-derived answer where one exists.
"""

import warnings

import numpy as np
import pytest

import graphviz_ad as ga
from gradcheck import check_grads

rng = np.random.default_rng(11)
X_GLOBAL = rng.standard_normal((4, 3))


# ---------------------------------------------------------------------------------------------------
# Plain arrays meeting traced values.

def test_lists_of_traced_values_read_as_arrays():
    def f(a, b):
        v = np.array([a, b * 2, 1.0])
        m = np.array([[a, a], [a, 0.5]])
        return (np.sum(v ** 2) + np.mean([a, a + 2]) + np.sum(np.r_[a, b, 0.0]) + np.sum(m)
                + np.sum(np.c_[np.asarray([a, b]), np.array([b, a])]) + np.sum(np.append([a], (b, 1.0))))
    # d/da = 2a + 1 + 1 + 3 + 2 + 1, d/db = 8b + 1 + 2 + 1
    assert np.allclose(ga.grad(f, (0, 1))(1.0, 2.0), (2 + 8, 16 + 4))
    check_grads(f, 1.0, 2.0, argnum=0)
    check_grads(f, 1.0, 2.0, argnum=1)


def test_a_plain_array_passed_in_dots_a_traced_one_in_trace_and_grad_alike():
    def f(X, W):
        return np.sum(X.dot(W) ** 2)
    X, W = rng.standard_normal((4, 3)), rng.standard_normal(3)
    assert np.allclose(ga.grad(f, 1)(X, W), 2 * X.T @ (X @ W))
    assert np.allclose(ga.trace(f, X, W, wrt="W").grad_of("W"), 2 * X.T @ (X @ W))


def test_a_module_global_dotting_a_traced_value_names_the_fix():
    def f(W):
        return np.sum(X_GLOBAL.dot(W))
    with pytest.raises(ga.TraceError, match=r"np\.dot\(X_GLOBAL, \.\.\.\) or X_GLOBAL @"):
        ga.grad(f)(np.ones(3))


def test_integer_arrays_from_traced_values_index_as_constants():
    def f(x):
        table = np.arange(10.0) ** 2
        i = np.floor(x).astype(int)
        j = np.argmax(np.array([x, 2 * x, -x]))
        return x * table[i] + x * np.array([1.0, 5.0, 7.0])[j]
    assert ga.grad(f)(2.5) == pytest.approx(4.0 + 5.0)   # the indices are constants: no gradient through them
    G = ga.trace(f, 2.5)   # the graph says so: no path from x runs through a cast to int
    casts = [n for n, d in G.nodes(data=True) if d["op"] in ("astype", "floor")]
    assert all(G.edges[e]["local_factor"] == 0 for n in casts for e in G.in_edges(n))

    def cast(x):
        return np.sum(x.astype(int) * x)
    assert np.allclose(ga.grad(cast)(np.array([1.5, 2.5])), [1.0, 2.0])   # int(x) is a constant factor


def test_float_of_a_traced_value_warns_once_with_the_line_and_cuts():
    def f(x):
        total = 0.0
        for _ in range(3):
            total = total + x * float(x)   # float(x) is a constant: d/dx = 3 * x
        return total
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        assert ga.grad(f)(2.0) == pytest.approx(6.0)
    messages = [str(w.message) for w in caught if issubclass(w.category, ga.GraphvizAdWarning)]
    assert len(messages) == 1 and f"test_real_code.py:{f.__code__.co_firstlineno + 3}" in messages[0]


# ---------------------------------------------------------------------------------------------------
# When the user's code raises mid-trace.

def test_a_shape_mismatch_keeps_the_partial_graph_up_to_the_failing_op():
    def mlp(X, W1, W2):
        h = np.tanh(X @ W1)
        out = h @ W2
        return np.mean(out)
    X, W1, W2 = rng.standard_normal((6, 5)), rng.standard_normal((5, 4)), rng.standard_normal((3, 2))
    with pytest.raises(ValueError) as info:
        ga.trace(mlp, X, W1, W2)
    G = info.value.partial_graph
    failed = G.graph["failed"]
    assert failed["op"] == "matmul" and failed["source"] == f"test_real_code.py:{mlp.__code__.co_firstlineno + 2}"
    assert sorted(G.nodes[n]["name"] for n in failed["nodes"]) == ["W2", "h"]
    assert {G.nodes[n]["name"]: G.nodes[n]["shape"] for n in failed["nodes"]} == {"h": (6, 4), "W2": (3, 2)}
    assert all(d["grad"] is None for _, d in G.nodes(data=True))


# ---------------------------------------------------------------------------------------------------
# Class-based code.

class Dense:
    def __init__(self, n_in, n_out, seed):
        r = np.random.default_rng(seed)
        self.W = r.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        self.b = np.zeros(n_out)

    def forward(self, x):
        z = x @ self.W + self.b
        return np.tanh(z)


class TwoLayer:
    def __init__(self):
        self.hidden, self.head = Dense(3, 4, 1), Dense(4, 1, 2)

    def loss(self, x):
        h = self.hidden.forward(x)
        return np.sum(self.head.forward(h) ** 2)


def test_methods_are_scoped_by_class_and_attributes_name_their_nodes():
    net = TwoLayer()
    G = ga.trace(net.loss, rng.standard_normal((2, 3)))
    scopes = {d["scope"] for _, d in G.nodes(data=True) if d["op"] == "matmul"}
    assert scopes == {("TwoLayer.loss", "Dense.forward")}
    assert {d["name"] for _, d in G.nodes(data=True) if d["op"] == "const" and d["shape"]} >= {"W", "b"}
    check_grads(net.loss, rng.standard_normal((2, 3)))


# ---------------------------------------------------------------------------------------------------
# A corpus of styles, each traced as written.

def svm_loss(W, X, y, reg=0.1):
    """cs231n's vectorised multiclass SVM loss, margins zeroed in place."""
    scores = X.dot(W)
    correct = scores[np.arange(X.shape[0]), y]
    margins = np.maximum(0, scores - correct[:, np.newaxis] + 1.0)
    margins[np.arange(X.shape[0]), y] = 0
    return np.sum(margins) / X.shape[0] + reg * np.sum(W * W)


def two_layer_net(params, X, y):
    """A course's affine - relu - affine - softmax network, with a dict of parameters."""
    h = np.maximum(0, X @ params["W1"] + params["b1"])
    scores = h @ params["W2"] + params["b2"]
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    return -np.mean(np.log(probs[np.arange(len(y)), y]))


def min_char_rnn(inputs, targets, hprev, Wxh, Whh, Why, vocab):
    """Karpathy's min-char-rnn forward pass: dicts of one-hot inputs and hidden states."""
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]))
        ys = np.dot(Why, hs[t])
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0])
    return loss


def lstm(xs, Wx, Wh, b):
    """An LSTM cell run over a sequence, gates sliced out of one matmul, states kept in buffers."""
    T, H = len(xs), Wh.shape[0]
    h, c = np.zeros(H), np.zeros(H)
    out = np.empty((T, H))
    for t in range(T):
        a = xs[t] @ Wx + h @ Wh + b
        i, f, o, g = (1 / (1 + np.exp(-a[:H])), 1 / (1 + np.exp(-a[H:2 * H])),
                      1 / (1 + np.exp(-a[2 * H:3 * H])), np.tanh(a[3 * H:]))
        c = f * c + i * g
        h = o * np.tanh(c)
        out[t] = h
    return np.sum(out ** 2)


def gpt_block(x, Wqkv, Wo, W1, W2):
    """A GPT-style block: layer norm, causal self-attention with a mask, an MLP with GELU, residuals."""
    def layer_norm(v):
        mu = v.mean(axis=-1, keepdims=True)
        return (v - mu) / np.sqrt(v.var(axis=-1, keepdims=True) + 1e-5)

    T, C = x.shape
    q, k, v = np.split(layer_norm(x) @ Wqkv, 3, axis=-1)
    att = q @ k.T / np.sqrt(C)
    att = np.where(np.tril(np.ones((T, T))) == 0, -1e10, att)
    att = np.exp(att - att.max(axis=-1, keepdims=True))
    att = att / att.sum(axis=-1, keepdims=True)
    x = x + (att @ v) @ Wo
    h = layer_norm(x) @ W1
    h = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h ** 3)))
    x = x + h @ W2
    return np.sum(x ** 2)


def particles(pos, vel, dt=0.1, steps=5, cells=4):
    """A simulation: particles bounce in a box; a grid density is gathered by integer cell indices."""
    grid = np.linspace(0.5, 2.0, cells)
    for _ in range(steps):
        pos = pos + dt * vel
        cell = np.clip(np.floor(pos * cells).astype(int), 0, cells - 1)
        vel = vel - dt * grid[cell] * pos
    return np.sum(pos ** 2) + np.sum(vel ** 2)


def test_svm_loss_matches_the_hand_derived_gradient():
    W, X, y = rng.standard_normal((5, 3)) * 0.1, rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    scores = X @ W
    margins = scores - scores[np.arange(6), y][:, None] + 1
    mask = (margins > 0).astype(float)
    mask[np.arange(6), y] = 0
    mask[np.arange(6), y] = -mask.sum(1)
    expected = X.T @ mask / 6 + 2 * 0.1 * W   # cs231n's vectorised gradient
    assert np.allclose(ga.grad(svm_loss)(W, X, y), expected)
    check_grads(svm_loss, W, X, y)


def test_two_layer_net_matches_the_hand_derived_gradient():
    params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5) * 0.1,
              "W2": rng.standard_normal((5, 3)), "b2": np.zeros(3)}
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    h = np.maximum(0, X @ params["W1"] + params["b1"])
    s = h @ params["W2"] + params["b2"]
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dscores = p.copy()
    dscores[np.arange(6), y] -= 1
    dscores /= 6
    grads = ga.grad(two_layer_net)(params, X, y)
    assert np.allclose(grads["W2"], h.T @ dscores) and np.allclose(grads["b2"], dscores.sum(0))
    check_grads(lambda W1: two_layer_net({**params, "W1": W1}, X, y), params["W1"])


def test_min_char_rnn_traces_as_written():
    vocab, H = 5, 4
    Wxh, Whh, Why = (rng.standard_normal(s) * 0.3 for s in [(H, vocab), (H, H), (vocab, H)])
    inputs, targets, hprev = [0, 3, 1, 4], [3, 1, 4, 2], np.zeros((H, 1))
    for argnum in (3, 4, 5):
        check_grads(min_char_rnn, inputs, targets, hprev, Wxh, Whh, Why, vocab, argnum=argnum)
    G = ga.trace(min_char_rnn, inputs, targets, hprev, Wxh, Whh, Why, vocab, wrt=["Wxh", "Whh", "Why"])
    assert {"hs[t]", "ps[t]"} <= {d["name"] for _, d in G.nodes(data=True)} or len(G) > 50


def test_lstm_with_buffers():
    T, D, H = 3, 2, 3
    xs = rng.standard_normal((T, D))
    Wx, Wh, b = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)) * 0.3, np.zeros(4 * H)
    for argnum in (0, 1, 2):
        check_grads(lstm, xs, Wx, Wh, b, argnum=argnum)


def test_gpt_block():
    T, C = 4, 6
    args = [rng.standard_normal((T, C)), rng.standard_normal((C, 3 * C)) * 0.3, rng.standard_normal((C, C)) * 0.3,
            rng.standard_normal((C, 2 * C)) * 0.3, rng.standard_normal((2 * C, C)) * 0.3]
    for argnum in range(5):
        check_grads(gpt_block, *args, argnum=argnum)


def test_particle_simulation_with_integer_cells():
    pos, vel = np.array([0.1, 0.4, 0.8]), np.array([0.5, -0.2, 0.3])
    check_grads(particles, pos, vel, argnum=0)
    check_grads(particles, pos, vel, argnum=1)
    # one step by hand: pos1 = pos + dt vel, vel1 = vel - dt g pos1, loss = |pos1|^2 + |vel1|^2
    g = np.linspace(0.5, 2.0, 4)[np.clip(np.floor((pos + 0.1 * vel) * 4).astype(int), 0, 3)]
    p1 = pos + 0.1 * vel
    v1 = vel - 0.1 * g * p1
    expected = 2 * p1 + 2 * v1 * (-0.1 * g)
    assert np.allclose(ga.grad(particles)(pos, vel, steps=1), expected)
