import graphviz_ad as ga


def neuron(w, b, x, y):
    """One sigmoid neuron p = sigmoid(w*x + b) with squared loss (p - y)^2: dL/dw and dL/db."""
    z = w * x + b
    p = ga.sigmoid(z)
    loss = (p - y) ** 2
    return loss


INPUTS = {"w": 0.7, "b": -0.2, "x": 1.5, "y": 1.0}
WRT = ("w", "b")
_p = float(ga.sigmoid(0.7 * 1.5 - 0.2))
_dz = 2 * (_p - 1.0) * _p * (1 - _p)
EXPECTED_GRAD = {"w": _dz * 1.5, "b": _dz}
