import numpy as np


def sin_of_square(x):
    """y = sin(x^2): the outer derivative cos(x^2) times the inner one 2x."""
    return np.sin(x**2)


INPUTS = {"x": 1.2}
EXPECTED_GRAD = {"x": 2 * 1.2 * np.cos(1.2**2)}
