"""Safe math expressions: `expression("sin(x**2)")` is a Python function of x that can be traced.

An expression is text from a command line or a document, so it must not be a way to run code. It is
parsed with `ast` and every node is checked against a whitelist before anything runs: numbers, names
(which become the function's parameters), arithmetic and comparison operators, subscripts of inputs,
and calls to the fixed table `FUNCTIONS`. Attribute access, imports, lambdas, comprehensions, keyword
tricks, dunder names and any other call are rejected with an `ExpressionError` naming the piece.

Constant sub-expressions are folded with float arithmetic first, so `10**10**10` (which Python would
spend forever computing as an integer) is rejected as too large instead of hanging. Only an AST that
passed the check is compiled, with no builtins and with the table as its only globals.
"""

import ast
import hashlib
import linecache
import math
import operator

import numpy as np

from . import ops as _ops
from .errors import ExpressionError

MAX_LENGTH = 2000          # characters of expression text
MAX_NODES = 1000           # AST nodes
MAX_MAGNITUDE = 1e300      # largest constant an expression may compute while folding
_MAX_AXIS = 32


# name -> (callable, min positional args, max positional args, allowed keywords)
FUNCTIONS = {
    # elementwise, one argument
    "sin": (np.sin, 1, 1, ()), "cos": (np.cos, 1, 1, ()), "tan": (np.tan, 1, 1, ()),
    "arcsin": (np.arcsin, 1, 1, ()), "arccos": (np.arccos, 1, 1, ()), "arctan": (np.arctan, 1, 1, ()),
    "asin": (np.arcsin, 1, 1, ()), "acos": (np.arccos, 1, 1, ()), "atan": (np.arctan, 1, 1, ()),
    "sinh": (np.sinh, 1, 1, ()), "cosh": (np.cosh, 1, 1, ()), "tanh": (np.tanh, 1, 1, ()),
    "arcsinh": (np.arcsinh, 1, 1, ()), "arccosh": (np.arccosh, 1, 1, ()), "arctanh": (np.arctanh, 1, 1, ()),
    "exp": (np.exp, 1, 1, ()), "exp2": (np.exp2, 1, 1, ()), "expm1": (np.expm1, 1, 1, ()),
    "log": (np.log, 1, 1, ()), "ln": (np.log, 1, 1, ()), "log2": (np.log2, 1, 1, ()),
    "log10": (np.log10, 1, 1, ()), "log1p": (np.log1p, 1, 1, ()),
    "sqrt": (np.sqrt, 1, 1, ()), "cbrt": (np.cbrt, 1, 1, ()), "square": (np.square, 1, 1, ()),
    "abs": (np.abs, 1, 1, ()), "sign": (np.sign, 1, 1, ()), "floor": (np.floor, 1, 1, ()),
    "ceil": (np.ceil, 1, 1, ()),
    "sigmoid": (_ops.sigmoid, 1, 1, ()), "relu": (_ops.relu, 1, 1, ()), "softplus": (_ops.softplus, 1, 1, ()),
    # elementwise, two or three arguments
    "maximum": (np.maximum, 2, 2, ()), "minimum": (np.minimum, 2, 2, ()),
    "hypot": (np.hypot, 2, 2, ()), "arctan2": (np.arctan2, 2, 2, ()), "atan2": (np.arctan2, 2, 2, ()),
    "logaddexp": (np.logaddexp, 2, 2, ()), "where": (np.where, 3, 3, ()), "clip": (np.clip, 3, 3, ()),
    # reductions and linear algebra
    "sum": (np.sum, 1, 1, ("axis",)), "mean": (np.mean, 1, 1, ("axis",)), "prod": (np.prod, 1, 1, ("axis",)),
    "max": (np.max, 1, 1, ("axis",)), "min": (np.min, 1, 1, ("axis",)),
    "std": (np.std, 1, 1, ("axis",)), "var": (np.var, 1, 1, ("axis",)),
    "norm": (np.linalg.norm, 1, 1, ("axis",)),
    "softmax": (_ops.softmax, 1, 1, ("axis",)), "log_softmax": (_ops.log_softmax, 1, 1, ("axis",)),
    "logsumexp": (_ops.logsumexp, 1, 1, ("axis",)),
    "dot": (np.dot, 2, 2, ()), "outer": (np.outer, 2, 2, ()), "transpose": (np.transpose, 1, 1, ()),
}

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
           ast.Pow: "**", ast.MatMult: "@"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}

# What a rejected node is called in an error message.
_DESCRIBE = {
    ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.ListComp: "comprehension",
    ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.IfExp: "conditional expression (use where(cond, a, b))", ast.BoolOp: "'and'/'or' (use * and +)",
    ast.NamedExpr: "assignment expression", ast.Starred: "star argument", ast.Dict: "dict",
    ast.Set: "set", ast.List: "list", ast.Tuple: "tuple", ast.JoinedStr: "f-string",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}


def expression(text, name="expr"):
    """A Python function computing the math expression `text`, safe to build from untrusted text.

    Args:
        text: e.g. ``"sin(x**2) + y"``. Free names become the function's parameters, in order of first
            appearance; ``pi``, ``e``, ``inf`` and ``nan`` are constants; calls may use the functions
            in `FUNCTIONS` only.
        name: the function's ``__name__`` (the traced graph's ``function``).

    Returns:
        A function whose parameters are the free names, so that
        ``trace(expression("sin(x**2)"), x=1.0)`` works and its nodes are named like the expression.
        Its ``expression`` attribute holds the text and ``inputs`` the parameter names.

    Raises:
        ExpressionError: a syntax error, or anything outside the whitelist (named in the message).

    Example:
        >>> f = expression("sin(x**2) * y")
        >>> f.inputs
        ('x', 'y')
        >>> round(float(f(0.5, 2.0)), 6)
        0.494808
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression is text, got {type(text).__name__}")
    if not name.isidentifier() or name.startswith("_"):
        raise ExpressionError(f"expression name {name!r} is not a plain identifier")
    tree = parse(text)
    inputs = _Checker(text).check(tree)
    return _compile(text, tree, inputs, name)


def free_names(text):
    """The input names of expression `text`, in order of first appearance (checked like `expression`)."""
    return _Checker(text).check(parse(text))


def parse(text):
    """The `ast.Expression` of `text`, or ExpressionError for empty, overlong or malformed text."""
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"syntax error in expression {stripped!r}{where}: {e.msg}") from None
    except (RecursionError, MemoryError, ValueError) as e:
        raise ExpressionError(f"expression {_short(stripped)!r} cannot be parsed: "
                              f"{e.__class__.__name__}: {e}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionError(f"the expression has {count} parts; the limit is {MAX_NODES}")
    return tree


class _Checker:
    """Walks an expression's AST, rejecting anything off the whitelist and folding constants."""

    def __init__(self, text):
        self.text = text.strip()
        self.inputs = {}   # name -> (line, col) of first appearance

    def check(self, tree):
        if not isinstance(tree, ast.Expression):
            raise ExpressionError("not an expression")
        try:
            self.visit(tree.body)
        except RecursionError:
            raise ExpressionError(f"expression {_short(self.text)!r} is nested too deeply") from None
        return tuple(sorted(self.inputs, key=self.inputs.get))

    def fail(self, node, what):
        piece = ast.get_source_segment(self.text, node) or ast.dump(node)
        raise ExpressionError(f"{what} is not allowed in an expression: {_short(piece)!r} "
                              f"(column {node.col_offset + 1})")

    def visit(self, node):
        """Check `node`; return its folded value when it is constant, else None."""
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(node, f"a {type(value).__name__} constant")
            if isinstance(value, int) and abs(value) > MAX_MAGNITUDE:   # float() of it would overflow
                self.fail(node, f"a constant this large (|value| > {MAX_MAGNITUDE:g})")
            return self.bounded(node, float(value))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                self.fail(node, f"the operator {type(node.op).__name__}")
            left, right = self.visit(node.left), self.visit(node.right)
            if left is not None and right is not None:
                return self.fold(node, left, right)
            if isinstance(node.op, ast.Pow) and right is not None and abs(right) > MAX_MAGNITUDE:
                self.fail(node, "an exponent this large")
            return None
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                self.fail(node, f"the operator {type(node.op).__name__}")
            value = self.visit(node.operand)
            return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                self.fail(node, "a chained comparison (write (a < b) * (b < c))")
            if type(node.ops[0]) not in _COMPARE:
                self.fail(node, f"the comparison {type(node.ops[0]).__name__}")
            left, right = self.visit(node.left), self.visit(node.comparators[0])
            if left is not None and right is not None:
                return float(_COMPARE[type(node.ops[0])](left, right))
            return None
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            self.subscript(node)
            return None
        self.fail(node, _DESCRIBE.get(type(node), f"{type(node).__name__}"))

    def name(self, node):
        name = node.id
        if name.startswith("__") or name.endswith("__"):
            self.fail(node, f"the dunder name {name}")
        if name.startswith("_"):
            self.fail(node, f"the private name {name}")
        if not isinstance(node.ctx, ast.Load):
            self.fail(node, "assignment")
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            self.fail(node, f"the function {name} used without calling it")
        self.inputs.setdefault(name, (node.lineno, node.col_offset))
        return None

    def call(self, node):
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname not in FUNCTIONS:
            piece = ast.get_source_segment(self.text, node.func) or "?"
            raise ExpressionError(f"calling {_short(piece)!r} is not allowed in an expression "
                                  f"(column {node.col_offset + 1}); the functions are "
                                  f"{', '.join(sorted(FUNCTIONS))}")
        _, lo, hi, keywords = FUNCTIONS[fname]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "a star argument")
            self.visit(arg)
        if not lo <= len(node.args) <= hi:
            expected = str(lo) if lo == hi else f"{lo} to {hi}"
            raise ExpressionError(f"{fname} takes {expected} argument(s), got {len(node.args)}: "
                                  f"{_short(ast.get_source_segment(self.text, node))!r}")
        for kw in node.keywords:
            if kw.arg is None:
                self.fail(kw.value, "a ** argument")
            if kw.arg not in keywords:
                allowed = f"only {', '.join(keywords)}" if keywords else "none"
                raise ExpressionError(f"{fname} has no keyword {kw.arg!r} in an expression "
                                      f"(allowed: {allowed})")
            self.axis(kw.value)
        return None

    def axis(self, node):
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        for item in items:
            value = _small_int(item)
            if value is None or abs(value) > _MAX_AXIS:
                self.fail(item, "an axis that is not a small integer")

    def subscript(self, node):
        base = node.value
        while isinstance(base, ast.Subscript):
            base = base.value
        if not isinstance(base, ast.Name):
            self.visit(base)   # names what is wrong inside first, e.g. attribute access
        if not isinstance(base, ast.Name) or base.id in CONSTANTS or base.id in FUNCTIONS:
            self.fail(node, "a subscript of anything but an input")
        self.visit(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part in parts:
            if isinstance(part, ast.Slice):
                for bound in (part.lower, part.upper, part.step):
                    if bound is not None and _small_int(bound, limit=2**31) is None:
                        self.fail(bound, "a slice bound that is not an integer")
            elif _small_int(part, limit=2**31) is None:
                self.fail(part, "an index that is not an integer or a slice")

    def bounded(self, node, value):
        if abs(value) > MAX_MAGNITUDE:
            self.fail(node, f"a constant this large (|value| > {MAX_MAGNITUDE:g})")
        return value

    def fold(self, node, left, right):
        """The value of a constant binary operation, computed in floats so it cannot hang."""
        op = node.op
        try:
            if isinstance(op, ast.Pow):
                if left == 0 and right < 0:
                    raise ZeroDivisionError("zero to a negative power")
                value = math.pow(left, right)
            elif isinstance(op, ast.MatMult):
                self.fail(node, "@ between numbers")
            else:
                value = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                         ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
                         ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}[type(op)](left, right)
        except OverflowError:
            self.fail(node, f"a constant this large (|value| > {MAX_MAGNITUDE:g})")
        except ZeroDivisionError:
            self.fail(node, "division by zero")
        except ValueError:
            self.fail(node, "a constant that is not a real number")
        if isinstance(value, complex):
            self.fail(node, "a constant that is not a real number")
        return self.bounded(node, value)


# ---------------------------------------------------------------------------------------------------
# Sizes before anything runs: the shape of every array an expression makes, from its inputs' shapes.

_SAME_SHAPE = {"softmax", "log_softmax"}
_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "std", "var", "norm", "logsumexp"}
_BROADCASTING = {"maximum", "minimum", "hypot", "arctan2", "atan2", "logaddexp", "where", "clip"}


class _Unknown(Exception):
    """A shape the estimate cannot tell (numpy will say what is wrong, if anything, when it runs)."""


def array_sizes(fun, inputs):
    """Every array `fun` (from `expression`) would make at `inputs`, found from shapes alone.

    Returns:
        list of (piece of the expression text, shape, column), one per operation, in evaluation
        order; shapes the estimate cannot tell are left out.
    """
    tree = getattr(fun, "tree", None)
    if tree is None:
        return []
    shapes = {name: np.shape(value) for name, value in inputs.items()}
    found = []
    try:
        _shape(tree.body, shapes, fun.expression, found)
    except (_Unknown, ValueError, IndexError, TypeError):
        pass
    return found


def _shape(node, shapes, text, found):
    if isinstance(node, ast.Constant):
        return ()
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return ()
        if node.id not in shapes:
            raise _Unknown(node.id)
        return shapes[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _shape(node.left, shapes, text, found), _shape(node.right, shapes, text, found)
        shape = _matmul_shape(a, b) if isinstance(node.op, ast.MatMult) else np.broadcast_shapes(a, b)
    elif isinstance(node, ast.UnaryOp):
        shape = _shape(node.operand, shapes, text, found)
    elif isinstance(node, ast.Compare):
        shape = np.broadcast_shapes(_shape(node.left, shapes, text, found),
                                    _shape(node.comparators[0], shapes, text, found))
    elif isinstance(node, ast.Subscript):
        base = _shape(node.value, shapes, text, found)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = tuple(slice(*(None if b is None else ast.literal_eval(b) for b in (p.lower, p.upper, p.step)))
                      if isinstance(p, ast.Slice) else ast.literal_eval(p) for p in parts)
        # indexing a zero-stride view of the base's shape costs no memory, and numpy gives the shape
        shape = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), base, (0,) * len(base))[index].shape
    elif isinstance(node, ast.Call):
        shape = _call_shape(node, [_shape(a, shapes, text, found) for a in node.args])
    else:
        raise _Unknown(type(node).__name__)
    found.append((ast.get_source_segment(text, node) or "", tuple(shape), node.col_offset + 1))
    return tuple(shape)


def _call_shape(node, args):
    name = node.func.id
    if name in _BROADCASTING:
        return np.broadcast_shapes(*args)
    if name in _REDUCTIONS:
        axis = next((ast.literal_eval(k.value) for k in node.keywords if k.arg == "axis"), None)
        if axis is None:
            return ()
        axes = {a % len(args[0]) for a in (axis if isinstance(axis, tuple) else (axis,))}
        return tuple(n for k, n in enumerate(args[0]) if k not in axes)
    if name == "outer":
        return (math.prod(args[0]), math.prod(args[1]))
    if name == "transpose":
        return tuple(reversed(args[0]))
    if name == "dot":
        a, b = args
        if not a or not b:
            return a or b
        return _matmul_shape(a, b) if len(b) <= 2 else a[:-1] + b[:-2] + b[-1:]
    if len(args) == 1:   # every other function works elementwise
        return args[0]
    raise _Unknown(name)


def _matmul_shape(a, b):
    if not a or not b:
        raise _Unknown("@ of a scalar")
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    return np.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])


def _small_int(node, limit=_MAX_AXIS):
    """The int a constant index node stands for (``3`` or ``-3``), else None."""
    negative = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        negative, node = True, node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value <= limit:
        return -node.value if negative else node.value
    return None


def _compile(text, tree, inputs, name):
    """Compile a checked AST into `def name(*inputs): return <text>` with only the table as globals."""
    stripped = text.strip()
    filename = f"<expr-{hashlib.sha1(stripped.encode()).hexdigest()[:8]}>"
    body = ast.Return(value=tree.body)
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in inputs], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    fundef = ast.FunctionDef(name=name, args=args, body=[body], decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:   # Python 3.12+
        fundef.type_params = []
    ast.copy_location(body, tree.body)
    fundef.lineno, fundef.col_offset = 1, 0
    module = ast.fix_missing_locations(ast.Module(body=[fundef], type_ignores=[]))
    namespace = {"__builtins__": {}}
    namespace.update({k: v[0] for k, v in FUNCTIONS.items()})
    namespace.update(CONSTANTS)
    exec(compile(module, filename, "exec"), namespace)   # the AST passed _Checker: no code of the user's
    # Traced nodes read their source line through linecache; an entry with mtime None is never evicted.
    lines = [line + "\n" for line in stripped.splitlines()]
    linecache.cache[filename] = (len(stripped), None, lines, filename)
    fun = namespace.pop(name)
    fun.__doc__ = stripped
    fun.__module__ = __name__
    fun.expression = stripped
    fun.inputs = inputs
    fun.tree = tree   # the checked AST: `array_sizes` reads shapes off it before anything runs
    return fun


def _short(text, limit=60):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
