import numpy as np


def two_paths(x):
    """z = u^2 + v^2 with u = sin x, v = cos x: two paths whose terms cancel, dz/dx = 0."""
    u = np.sin(x)
    v = np.cos(x)
    z = u**2 + v**2
    return z


INPUTS = {"x": 0.7}
EXPECTED_GRAD = {"x": 0.0}
