import numpy as np

import graphviz_ad as ga


@ga.primitive("smooth_abs", deriv=lambda ans, x: x / (x**2 + 1), formula="{x}/({x}^2 + 1)")
def smooth_abs(x):
    """sqrt(x^2 + 1): a smooth |x|. Its declared derivative forgets the square root (should be x/ans)."""
    return np.sqrt(x**2 + 1)


def wrong_derivative(x, y):
    """A custom primitive with a deliberately wrong derivative: check() names it and its line."""
    r = smooth_abs(x - y)
    penalty = np.sum(r * 0.5)
    return penalty + np.sum(y**2)


INPUTS = {"x": np.array([0.5, -1.5, 2.0]), "y": np.array([1.0, 0.5, -0.5])}
