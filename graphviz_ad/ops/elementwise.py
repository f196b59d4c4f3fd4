"""Elementwise ops, one and two arguments: each row gives d ans / d argument and its formula.

Their VJP is `unbroadcast(g * deriv)` and their edge's `local_factor` is the same derivative, so
the colour of an edge and the gradient it carries come from one rule.
"""

import numpy as np

from ..naming import number_text
from ..tracer import Traced, untraced
from .core import PRIMITIVES, UFUNCS, available, elementwise, implements, no_out, primitive

# ---------------------------------------------------------------------------------------------------
# Elementwise, one argument.                     derivative d ans / d x                 formula

negative = elementwise("negative", np.negative, -1.0,                                   "-1", display="-", expr="-{x}", prec=2.5)
positive = elementwise("positive", np.positive, 1.0,                                    "1", display="+", expr="+{x}", prec=2.5)
exp = elementwise("exp",      np.exp,      lambda ans, x: ans,                     "exp({x})")
exp2 = elementwise("exp2",     np.exp2,     lambda ans, x: ans * np.log(2.0),       "ln(2)*2^{x}")
expm1 = elementwise("expm1",    np.expm1,    lambda ans, x: ans + 1,                 "exp({x})")
log = elementwise("log",      np.log,      lambda ans, x: 1 / x,                   "1/{x}")
log2 = elementwise("log2",     np.log2,     lambda ans, x: 1 / (x * np.log(2.0)),   "1/({x}*ln(2))")
log10 = elementwise("log10",    np.log10,    lambda ans, x: 1 / (x * np.log(10.0)),  "1/({x}*ln(10))")
log1p = elementwise("log1p",    np.log1p,    lambda ans, x: 1 / (1 + x),             "1/(1 + {x})")
sqrt = elementwise("sqrt",     np.sqrt,     lambda ans, x: 0.5 / ans,               "1/(2*sqrt({x}))")
cbrt = elementwise("cbrt",     np.cbrt,     lambda ans, x: 1 / (3 * ans**2),        "1/(3*cbrt({x})^2)")
square = elementwise("square",   np.square,   lambda ans, x: 2 * x,                   "2*{x}", expr="{x}^2", prec=3)
reciprocal = elementwise("reciprocal", np.reciprocal, lambda ans, x: -ans**2,             "-1/{x}^2", expr="1/{x}", prec=2)
absolute = elementwise("absolute", np.absolute, lambda ans, x: np.sign(x),              "sign({x})", display="abs", expr="|{x}|")
fabs = elementwise("fabs",     np.fabs,     lambda ans, x: np.sign(x),              "sign({x})", display="abs", expr="|{x}|")
sin = elementwise("sin",      np.sin,      lambda ans, x: np.cos(x),               "cos({x})")
cos = elementwise("cos",      np.cos,      lambda ans, x: -np.sin(x),              "-sin({x})")
tan = elementwise("tan",      np.tan,      lambda ans, x: 1 + ans**2,              "1 + tan({x})^2")
arcsin = elementwise("arcsin",   np.arcsin,   lambda ans, x: 1 / np.sqrt(1 - x**2),   "1/sqrt(1 - {x}^2)")
arccos = elementwise("arccos",   np.arccos,   lambda ans, x: -1 / np.sqrt(1 - x**2),  "-1/sqrt(1 - {x}^2)")
arctan = elementwise("arctan",   np.arctan,   lambda ans, x: 1 / (1 + x**2),          "1/(1 + {x}^2)")
sinh = elementwise("sinh",     np.sinh,     lambda ans, x: np.cosh(x),              "cosh({x})")
cosh = elementwise("cosh",     np.cosh,     lambda ans, x: np.sinh(x),              "sinh({x})")
tanh = elementwise("tanh",     np.tanh,     lambda ans, x: 1 - ans**2,              "1 - {ans}^2")
arcsinh = elementwise("arcsinh",  np.arcsinh,  lambda ans, x: 1 / np.sqrt(x**2 + 1),   "1/sqrt({x}^2 + 1)")
arccosh = elementwise("arccosh",  np.arccosh,  lambda ans, x: 1 / np.sqrt(x**2 - 1),   "1/sqrt({x}^2 - 1)")
arctanh = elementwise("arctanh",  np.arctanh,  lambda ans, x: 1 / (1 - x**2),          "1/(1 - {x}^2)")
deg2rad = elementwise("deg2rad",  np.deg2rad,  lambda ans, x: np.full_like(x, np.pi / 180, dtype=float), "pi/180")
rad2deg = elementwise("rad2deg",  np.rad2deg,  lambda ans, x: np.full_like(x, 180 / np.pi, dtype=float), "180/pi")
radians = elementwise("radians",  np.radians,  lambda ans, x: np.full_like(x, np.pi / 180, dtype=float), "pi/180")
degrees = elementwise("degrees",  np.degrees,  lambda ans, x: np.full_like(x, 180 / np.pi, dtype=float), "180/pi")
# np.sinc is a plain function, not a ufunc, so it is routed through `numpy=`. Its derivative at 0 is 0.
sinc = primitive("sinc", deriv=lambda ans, x: (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),
                 formula="(cos(pi*{x}) - sinc({x}))/{x}", numpy=np.sinc)(np.sinc)
# Piecewise constant: the derivative is 0 wherever it exists, and 0 is the subgradient used at jumps.
for _name, _ufunc in [("sign", np.sign), ("floor", np.floor), ("ceil", np.ceil), ("rint", np.rint),
                      ("trunc", np.trunc)]:
    elementwise(_name, _ufunc, lambda ans, x: np.zeros_like(x, dtype=float), "0")
implements(np.fix)(lambda x, out=None: PRIMITIVES["trunc"](x) if out is None else no_out("fix", out, {}))

@primitive("round", deriv=lambda ans, x, decimals=0: np.zeros_like(x, dtype=float), formula="0",
           expr="round({x})")
def round_(x, decimals=0):
    return np.round(x, decimals)


for _fn in available("round", "around"):
    implements(_fn)(lambda a, decimals=0, out=None: round_(a, decimals) if out is None
                    else no_out("round", out, {}))


# ---------------------------------------------------------------------------------------------------
# Elementwise, two arguments.          d ans / d x                      d ans / d y

add = elementwise("add", np.add,
            (1.0, 1.0), ("1", "1"), display="+", expr="{x} + {y}", prec=1)
subtract = elementwise("subtract", np.subtract,
            (1.0, -1.0), ("1", "-1"), display="-", expr="{x} - {y}", prec=1)
multiply = elementwise("multiply", np.multiply,
            (lambda ans, x, y: y, lambda ans, x, y: x),
            ("{y}", "{x}"), display="*", expr="{x}*{y}", prec=2)
divide = elementwise("divide", np.divide,
            (lambda ans, x, y: 1 / y, lambda ans, x, y: -ans / y),
            ("1/{y}", "-{x}/{y}^2"), display="/", expr="{x}/{y}", prec=2)
power = elementwise("power", np.power,
            (lambda ans, x, y: np.where(y == 0, 0.0, y * np.power(x, np.where(y == 0, 1, y) - 1)),
             lambda ans, x, y: np.where(x > 0, ans * np.log(np.where(x > 0, x, 1)), 0.0)),
            (lambda x, y: f"{number_text(y)}*{{x}}" if np.ndim(y) == 0 and y == 2 else "{y}*{x}^({y} - 1)",
             "{ans}*ln({x})"), display="^", expr="{x}^{y}", prec=3)
# The larger (smaller) operand takes the gradient; a tie splits it equally. Shared by max/fmax, min/fmin.
_LARGER = (lambda ans, x, y: (x > y) + 0.5 * (x == y), lambda ans, x, y: (y > x) + 0.5 * (x == y))
_SMALLER = (lambda ans, x, y: (x < y) + 0.5 * (x == y), lambda ans, x, y: (y < x) + 0.5 * (x == y))
maximum = elementwise("maximum", np.maximum, _LARGER, ("[{x} > {y}]", "[{y} > {x}]"),
                      display="max", expr="max({x}, {y})")
minimum = elementwise("minimum", np.minimum, _SMALLER, ("[{x} < {y}]", "[{y} < {x}]"),
                      display="min", expr="min({x}, {y})")
fmax = elementwise("fmax", np.fmax, _LARGER, ("[{x} > {y}]", "[{y} > {x}]"), display="fmax", expr="fmax({x}, {y})")
fmin = elementwise("fmin", np.fmin, _SMALLER, ("[{x} < {y}]", "[{y} < {x}]"), display="fmin", expr="fmin({x}, {y})")
arctan2 = elementwise("arctan2", np.arctan2,
            (lambda ans, x, y: y / (x**2 + y**2), lambda ans, x, y: -x / (x**2 + y**2)),
            ("{y}/({x}^2 + {y}^2)", "-{x}/({x}^2 + {y}^2)"), expr="arctan2({x}, {y})")
hypot = elementwise("hypot", np.hypot,
            (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans),
            ("{x}/{ans}", "{y}/{ans}"), expr="hypot({x}, {y})")
logaddexp = elementwise("logaddexp", np.logaddexp,
            (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans)),
            ("exp({x} - {ans})", "exp({y} - {ans})"), expr="logaddexp({x}, {y})")
logaddexp2 = elementwise("logaddexp2", np.logaddexp2,
            (lambda ans, x, y: np.exp2(x - ans), lambda ans, x, y: np.exp2(y - ans)),
            ("2^({x} - {ans})", "2^({y} - {ans})"), expr="logaddexp2({x}, {y})")
mod = elementwise("mod", np.mod,
            (1.0, lambda ans, x, y: -np.floor_divide(x, y)),
            ("1", "-floor({x}/{y})"), display="%", expr="{x} % {y}", prec=2)
fmod = elementwise("fmod", np.fmod,
            (1.0, lambda ans, x, y: -np.trunc(x / y)),
            ("1", "-trunc({x}/{y})"), expr="fmod({x}, {y})")
floor_divide = elementwise("floor_divide", np.floor_divide,
            (lambda ans, x, y: np.zeros_like(ans, dtype=float), lambda ans, x, y: np.zeros_like(ans, dtype=float)),
            ("0", "0"), display="//", expr="{x} // {y}", prec=2)
copysign = elementwise("copysign", np.copysign,
            (lambda ans, x, y: np.sign(x) * np.where(np.signbit(y), -1.0, 1.0),
             lambda ans, x, y: np.zeros_like(ans, dtype=float)),
            ("sign({x})*sign({y})", "0"), expr="copysign({x}, {y})")
float_power = elementwise("float_power", np.float_power, power.derivs, power.formulas, display="^", expr="{x}^{y}",
                          prec=3)
heaviside = elementwise("heaviside", np.heaviside, (lambda ans, x, y: np.zeros_like(ans, dtype=float),
                                                    lambda ans, x, y: np.asarray(x == 0, dtype=float)),
                        ("0", "[{x} = 0]"), expr="heaviside({x}, {y})")
UFUNCS[np.true_divide] = PRIMITIVES["divide"]
UFUNCS[np.remainder] = PRIMITIVES["mod"]
UFUNCS[np.abs] = PRIMITIVES["absolute"]


@primitive("where", deriv=(None, lambda ans, c, x, y: np.where(c, 1.0, 0.0),
                           lambda ans, c, x, y: np.where(c, 0.0, 1.0)),
           formula=(None, "[cond]", "[not cond]"), expr="where({y}, {z})")
def where_(condition, x, y):
    return np.where(condition, x, y)


@primitive("clip", deriv=lambda ans, x, lo, hi: _between(x, lo, hi), formula="[lo <= {x} <= hi]")
def clip(x, lo, hi):
    return np.clip(x, lo, hi)


def _between(x, lo, hi):
    inside = np.ones(np.shape(x), dtype=float)
    if lo is not None:
        inside = inside * (x >= lo)
    if hi is not None:
        inside = inside * (x <= hi)
    return inside


@primitive("astype", deriv=lambda ans, x, dtype: np.full(np.shape(ans), float(np.dtype(dtype).kind in "fc")),
           formula=lambda x, dtype: "1" if np.dtype(dtype).kind in "fc" else "0 (integers carry no gradient)",
           expr="{x}")
def astype(x, dtype):
    return np.asarray(x).astype(dtype)


@implements(np.where)
def _np_where(condition, x=None, y=None):
    if x is None and y is None:
        return np.where(untraced(condition))
    return where_(untraced(condition), x, y)


@implements(np.clip)
def _np_clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kw):
    no_out("clip", out, kw)
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if type(lo) is Traced or type(hi) is Traced:   # differentiable bounds: max(lo, min(x, hi))
        out = a if hi is None else minimum(a, hi)
        return out if lo is None else maximum(out, lo)
    return clip(a, lo, hi)


