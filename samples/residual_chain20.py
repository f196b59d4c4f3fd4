import numpy as np

from graphviz_ad import sigmoid


def residual_chain20(x, w):
    """The twenty-sigmoid chain with skip connections, h + sigmoid(w*h + 0.5): the gradient survives."""
    h = x
    for i in range(20):
        h = h + sigmoid(w[i] * h + 0.5)
    return h


INPUTS = {"x": 0.3, "w": np.full(20, 1.5)}
WRT = ("x",)


def _expected():
    # Each layer's factor is 1 (the skip) + s(1-s)*w (the branch): never below 1.
    h, g = 0.3, 1.0
    for i in range(20):
        s = 1 / (1 + np.exp(-(1.5 * h + 0.5)))
        g *= 1 + s * (1 - s) * 1.5
        h = h + s
    return g


EXPECTED_GRAD = {"x": _expected()}
