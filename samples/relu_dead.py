import numpy as np


def relu_dead(W1, b1, W2, X, y):
    """A ReLU layer whose biases push 6 of its 8 units below zero for every example: they are dead."""
    hidden = np.maximum(X @ W1 + b1, 0.0)
    prediction = hidden @ W2
    return np.mean((prediction - y) ** 2)


_rng = np.random.default_rng(0)
INPUTS = {
    "W1": _rng.normal(0.0, 0.5, size=(4, 8)),
    "b1": np.array([0.1, 0.1, -8.0, -8.0, -8.0, -8.0, -8.0, -8.0]),
    "W2": _rng.normal(0.0, 0.5, size=(8, 1)),
    "X": _rng.normal(size=(16, 4)),
    "y": _rng.normal(size=(16, 1)),
}
WRT = ("W1", "b1", "W2")


def _expected():
    """Backpropagation written out by hand: the dead units' columns of W1 and b1 get exactly 0."""
    p = INPUTS
    pre = p["X"] @ p["W1"] + p["b1"]
    hidden = np.maximum(pre, 0.0)
    d_pred = 2 * (hidden @ p["W2"] - p["y"]) / p["y"].size
    d_pre = (d_pred @ p["W2"].T) * (pre > 0)
    return {"W1": p["X"].T @ d_pre, "b1": d_pre.sum(axis=0), "W2": hidden.T @ d_pred}


EXPECTED_GRAD = _expected()
