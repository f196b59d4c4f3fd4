import numpy as np

from graphviz_ad import sigmoid


def sigmoid_chain20(x, w):
    """Twenty stacked sigmoids: each passes at most 1/4 of the gradient, so d out/dx is below 0.25^20."""
    h = x
    for i in range(20):
        h = sigmoid(w[i] * h + 0.5)
    return h


INPUTS = {"x": 0.3, "w": np.full(20, 1.5)}
WRT = ("x",)


def _expected():
    h, g = 0.3, 1.0
    for i in range(20):
        s = 1 / (1 + np.exp(-(1.5 * h + 0.5)))
        g *= s * (1 - s) * 1.5
        h = s
    return g


EXPECTED_GRAD = {"x": _expected()}
