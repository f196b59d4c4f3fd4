"""The torch op table: what a recorded torch call is called and how it is written.

torch computes every forward value and every VJP itself; a row here only says how a call looks in the
graph. Ops with a numpy twin reuse that primitive's row (op name, display text, formula), so a numpy
function and its torch translation give the same graph and the debugger's per-op rules (`sigmoid`
saturates at 0.25) apply unchanged. The other rows are torch's own ops. `elementwise` rows get an
elementwise `local_factor`; every other op gets its exact VJP only.

Method and operator spellings map to one row: `x.add_(y)`, `x += y`, `x.__radd__(y)` and `torch.add`
are all "add" (reflected operators swap their operands back, in-place ones are recorded as a new value).
"""

import functools
from dataclasses import dataclass

from ..naming import fill
from ..ops import PRIMITIVES


@dataclass(frozen=True)
class TorchOp:
    """A torch op without a numpy twin: its name, display text and rule text (per operand, or one for all)."""

    name: str
    display: str = ""
    expr: str = None
    prec: float = 4
    rule: tuple = ("VJP",)
    elementwise: bool = False

    def __post_init__(self):
        if not self.display:
            object.__setattr__(self, "display", self.name)

    def formula(self, argnum, names, args, kwargs):
        rule = self.rule[argnum] if argnum < len(self.rule) else self.rule[-1]
        return fill(rule, names, wrap_atoms=False)


def _unary(name, rule, display=None, expr=None):
    return TorchOp(name, display or name, expr or f"{display or name}({{x}})", rule=(rule,), elementwise=True)


# torch spelling -> numpy primitive with the same maths (and, for the elementwise ones, the same kind of
# broadcasting). Their formulas read plain operand values only.
SAME_AS_NUMPY = {
    "add": "add", "sub": "subtract", "subtract": "subtract", "mul": "multiply", "multiply": "multiply",
    "div": "divide", "divide": "divide", "truediv": "divide", "true_divide": "divide", "pow": "power",
    "neg": "negative", "negative": "negative", "pos": "positive", "positive": "positive",
    "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
    "log1p": "log1p", "sqrt": "sqrt", "square": "square", "reciprocal": "reciprocal", "abs": "absolute",
    "absolute": "absolute", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "arcsin": "arcsin",
    "acos": "arccos", "arccos": "arccos", "atan": "arctan", "arctan": "arctan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh",
    "sign": "sign", "floor": "floor", "ceil": "ceil", "trunc": "trunc", "round": "round",
    "maximum": "maximum", "minimum": "minimum", "fmax": "fmax", "fmin": "fmin", "atan2": "arctan2",
    "arctan2": "arctan2", "hypot": "hypot", "sigmoid": "sigmoid", "relu": "relu", "softplus": "softplus",
    "matmul": "matmul", "mm": "matmul", "bmm": "matmul", "dot": "dot", "outer": "outer", "ger": "outer",
    "getitem": "getitem", "cat": "concatenate", "concat": "concatenate", "concatenate": "concatenate",
    "stack": "stack", "where": "where",
}
_ELEMENTWISE_NUMPY = {"where"}   # numpy rows declared with `vjp` that are elementwise all the same

# torch-only ops.
_OWN = [
    _unary("rsqrt", "-1/(2*{x}^1.5)"),
    _unary("erf", "2/sqrt(pi)*exp(-{x}^2)"),
    _unary("gelu", "gelu'({x})"),
    _unary("silu", "s*(1 + {x}*(1 - s))"),
    _unary("mish", "mish'({x})"),
    _unary("elu", "[{x} > 0] + [{x} <= 0]*(ans + a)"),
    _unary("selu", "selu'({x})"),
    _unary("celu", "celu'({x})"),
    _unary("leaky_relu", "[{x} > 0] + slope*[{x} <= 0]"),
    _unary("relu6", "[0 < {x} < 6]"),
    _unary("hardtanh", "[lo < {x} < hi]"),
    _unary("hardsigmoid", "[-3 < {x} < 3]/6"),
    _unary("hardswish", "hardswish'({x})"),
    _unary("logsigmoid", "1 - sigmoid({x})"),
    _unary("softsign", "1/(1 + |{x}|)^2"),
    _unary("tanhshrink", "tanh({x})^2"),
    _unary("clamp", "[lo <= {x} <= hi]"),
    TorchOp("dropout", "dropout", "dropout({x})", rule=("mask/(1 - p)",), elementwise=True),
    TorchOp("lerp", "lerp", rule=("1 - w", "w", "{y} - {x}"), elementwise=True),
    TorchOp("addcmul", "addcmul", rule=("1", "v*{z}", "v*{y}"), elementwise=True),
    TorchOp("addcdiv", "addcdiv", rule=("1", "v/{z}", "-v*{y}/{z}^2"), elementwise=True),
    TorchOp("masked_fill", "masked_fill", "masked_fill({x})", rule=("[not mask]",), elementwise=True),
    TorchOp("copy", "copy", "{x}", rule=("1",), elementwise=True),
    TorchOp("clone", "clone", "{x}", rule=("1",), elementwise=True),
    TorchOp("contiguous", "contiguous", "{x}", rule=("1",), elementwise=True),
    TorchOp("to", "to", "{x}", rule=("1",), elementwise=True),
    TorchOp("float", "float", "{x}", rule=("1",), elementwise=True),
    TorchOp("double", "double", "{x}", rule=("1",), elementwise=True),
    TorchOp("half", "half", "{x}", rule=("1",), elementwise=True),
    TorchOp("bfloat16", "bfloat16", "{x}", rule=("1",), elementwise=True),
    TorchOp("type_as", "type_as", "{x}", rule=("1",), elementwise=True),
    TorchOp("sum", "sum", "sum({x})", rule=("1",)),
    TorchOp("mean", "mean", "mean({x})", rule=("1/n",)),
    TorchOp("linear", "linear", rule=("W", "x^T", "1")),
    TorchOp("softmax", "softmax", "softmax({x})", rule=("diag(s) - s s^T",)),
    TorchOp("log_softmax", "log_softmax", "log_softmax({x})", rule=("I - softmax",)),
    TorchOp("cross_entropy", "cross_entropy", rule=("softmax - onehot",)),
    TorchOp("mse_loss", "mse_loss", rule=("2*({x} - {y})/n", "-2*({x} - {y})/n")),
    TorchOp("multi_head_attention_forward", "attention"),
    TorchOp("scaled_dot_product_attention", "attention"),
    TorchOp("T", "T", "{x}.T", rule=("transpose",)),
    TorchOp("mT", "mT", "{x}.mT", rule=("transpose",)),
]
OWN = {op.name: op for op in _OWN}

_REFLECTED = {"radd", "rsub", "rmul", "rtruediv", "rdiv", "rpow", "rmatmul"}
_INPLACE_OPERATORS = {"iadd", "isub", "imul", "itruediv", "idiv", "ipow", "imatmul"}


@dataclass(frozen=True)
class Spelling:
    """How one torch callable is recorded: its row, whether it swaps its operands, whether it is in place."""

    op: object          # a numpy Primitive or a TorchOp: .name, .display, .expr, .prec, .formula(...)
    elementwise: bool
    swap: bool = False
    inplace: bool = False


@functools.lru_cache(maxsize=None)
def spelling(name):
    """The Spelling of a torch callable called `name` (`add`, `__radd__`, `relu_`, `linear`, ...)."""
    swap = inplace = False
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name in _REFLECTED:
            name, swap = name[1:], True
        elif name in _INPLACE_OPERATORS:
            name, inplace = name[1:], True
        elif name == "setitem":
            inplace = True
    elif name.endswith("_") and not name.startswith("_"):
        name, inplace = name[:-1], True
    if name == "rsub":   # torch.rsub(x, y) is y - x
        name, swap = "sub", True
    if name in SAME_AS_NUMPY:
        prim = PRIMITIVES[SAME_AS_NUMPY[name]]
        return Spelling(prim, prim.elementwise or prim.name in _ELEMENTWISE_NUMPY, swap, inplace)
    op = OWN.get(name)
    if op is None:
        op = TorchOp(name)
    return Spelling(op, op.elementwise, swap, inplace)
