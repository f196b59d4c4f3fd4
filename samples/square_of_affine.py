def square_of_affine(x):
    """y = (3x + 1)^2: the chain rule through one inner function, dy/dx = 18x + 6."""
    u = 3 * x + 1
    y = u**2
    return y


INPUTS = {"x": 2.0}
EXPECTED_GRAD = {"x": 18 * 2.0 + 6}
