import numpy as np

from graphviz_ad import relu


def relu_chain20(x, w):
    """Twenty stacked ReLUs: an active unit passes the gradient unchanged, so d out/dx stays 1."""
    h = x
    for i in range(20):
        h = relu(w[i] * h + 0.5)
    return h


INPUTS = {"x": 0.3, "w": np.full(20, 1.0)}
WRT = ("x",)
EXPECTED_GRAD = {"x": 1.0}   # every pre-activation is positive, so each layer's factor is relu' * w = 1
