def double_then_square(x):
    """y = (2x)^2 in two stages, u = 2x then y = u^2: dy/dx = 2u * 2 = 8x."""
    u = 2 * x
    y = u**2
    return y


INPUTS = {"x": 1.5}
EXPECTED_GRAD = {"x": 8 * 1.5}
