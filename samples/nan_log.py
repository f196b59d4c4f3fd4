import numpy as np


def nan_log(x):
    """log of a negative number: the NaN starts at np.log(shifted), where x = 1 makes shifted = -1."""
    shifted = x - 2.0
    logged = np.log(shifted)
    return np.sum(logged * x + x**2)


INPUTS = {"x": np.array([3.0, 1.0, 2.5])}
