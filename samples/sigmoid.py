import numpy as np


def sigmoid(x):
    """The sigmoid in three stages: u = -x, v = 1 + e^u, s = 1/v; ds/dx = s(1 - s)."""
    u = -x
    v = 1 + np.exp(u)
    s = 1 / v
    return s


INPUTS = {"x": 0.5}
_s = 1 / (1 + np.exp(-0.5))
EXPECTED_GRAD = {"x": _s * (1 - _s)}
