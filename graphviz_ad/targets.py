"""What to trace, given as text: a TARGET (file, module, sample or expression) and NAME=VALUE inputs.

This is the library behind the command line's ``TARGET`` argument and ``--at`` option, so anything the
command line can trace, a script or a docs extension can too::

    G = trace_target("model.py:loss", at=["W=randn(3, 4)", "x=[1, 2, 4]"], random_seed=0)

TARGET forms: ``path/to/file.py:function``, ``package.module:function``, a bundled sample's name
(``sigmoid``), or, with ``expr=True``, a math expression (see `graphviz_ad.expression`).

VALUE forms (`parse_value`): numbers (``2``, ``-1.5e-3``, ``nan``, ``inf``, ``pi``), lists and nested
lists (float arrays), ``randn(3, 4)``, ``rand(3)``, ``zeros(3)``, ``ones(2, 2)``, ``eye(3)``,
``arange(5)``, ``arange(0, 1, 0.25)``, ``linspace(0, 1, 5)``, ``int([0, 2, 1])`` for integer arrays,
``True``/``False``, quoted strings, ``@file.npy`` (also ``.txt``/``.csv`` read with ``numpy.loadtxt``),
and ``+ - * /`` between them (``0.1*randn(3)``). Random values are reproducible: the generator of input
NAME is ``numpy.random.default_rng([seed, crc32(NAME)])``, so adding or reordering other inputs does
not change it.
"""

import ast
import importlib
import importlib.util
import inspect
import math
import os
import re
import sys
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import arguments
from .errors import (GraphvizAdError, InputError, SourceSyntaxError, TargetError,  # noqa: F401  (re-exported)
                     UserCodeError, worded_error)
from .expression import array_sizes, expression
from .trace_limits import check_planned
from .tracer import is_library_file

MAX_ELEMENTS = 10_000_000   # largest array an --at value may build
MAX_NUMBER = 1e300          # largest whole number written in a value (a float can hold it)
_VALUE_FORMS = ("a number, a [nested, list], randn(3, 4), rand(3), zeros(3), ones(2, 2), eye(3), "
                "arange(5), linspace(0, 1, 5), int([...]), or @file.npy")


@dataclass(frozen=True)
class Target:
    """A loaded TARGET: the function and the point it is traced at by default."""

    name: str                 # the function's name: the default output file is <name>.<format>
    fun: object
    inputs: dict = field(default_factory=dict)   # default inputs: argument defaults, or a sample's INPUTS
    wrt: tuple = None         # the arguments to differentiate, when the target declares them
    kind: str = "file"        # "file", "module", "sample" or "expression"
    spec: str = ""            # the TARGET text as given
    description: str = ""

    @property
    def parameters(self):
        """The function's named parameters (no *args / **kwargs), in order."""
        return [p.name for p in _parameters(self.fun)
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    @property
    def required(self):
        """Parameters that need a value: no default in the function and none declared by the target."""
        return [p.name for p in _parameters(self.fun)
                if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                and p.default is p.empty and p.name not in self.inputs]


# ---------------------------------------------------------------------------------------------------
# TARGET -> Target.

def load_target(spec, *, expr=False, allow_code=True):
    """Load a TARGET.

    ``file.py:function`` and ``module:function`` targets run code: importing the file or module runs it,
    as Python does (``os:system`` is a module and a function, too). Samples and expressions run none of
    the caller's text. Where TARGETs come from people you do not trust (pages written by others), pass
    ``allow_code=False``.

    Args:
        spec: ``path/to/file.py:function``, ``package.module:function`` (``module:Class.method`` works
            too), a bundled sample's name, or a math expression when `expr` is true.
        expr: treat `spec` as an expression (`graphviz_ad.expression`), never as code.
        allow_code: False refuses file and module targets before anything is imported or read.

    Returns:
        Target.

    Raises:
        TargetError: no such file / module / function / sample, or a syntax error (with file:line), or
            a file or module target when `allow_code` is false.
        UserCodeError: importing the file or module raised.
        ExpressionError: `expr` is true and the expression is malformed or not allowed.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError("empty TARGET: give path/to/file.py:function, package.module:function, "
                          "a sample's name, or an expression")
    spec = spec.strip()
    if expr:
        fun = expression(spec)
        return Target(name=fun.__name__, fun=fun, inputs={}, wrt=None, kind="expression", spec=spec,
                      description=spec)
    location, sep, attr = spec.rpartition(":")
    if not sep or (len(location) == 1 and location.isalpha() and attr[:1] in "\\/"):   # C:\file.py
        location, attr = spec, ""
    kind = "file" if _looks_like_file(location) else "module" if attr else "sample"
    if kind != "sample" and not allow_code:
        raise TargetError(f"TARGET {spec!r} is a {kind} target, which runs code, and code targets are turned "
                          "off here; use a sample's name or an expression")
    if kind == "file":
        return _from_file(spec, location, attr)
    if kind == "module":
        return _from_module(spec, location, attr)
    return _from_sample(spec)


def _looks_like_file(location):
    return location.endswith(".py") or "/" in location or os.sep in location


def _from_sample(spec):
    from . import samples
    if spec not in samples.names():
        raise worded_error(TargetError, "no sample named {spec!r}; TARGET is path/to/file.py:function, "
                           "package.module:function, an expression ({expr}), or a sample: {names}",
                           {"spec": spec, "names": ", ".join(samples.names())})
    sample = samples.load(spec)
    return Target(name=sample.name, fun=sample.fun, inputs=dict(sample.inputs), wrt=sample.wrt,
                  kind="sample", spec=spec, description=sample.description)


def _from_file(spec, location, attr):
    path = Path(location).expanduser()
    if not path.exists():
        raise TargetError(f"file not found: {location}")
    if path.is_dir():
        raise TargetError(f"{location} is a folder; TARGET is path/to/file.py:function")
    try:
        source = path.read_bytes()
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as e:
        raise SourceSyntaxError(_syntax_message(e, location)) from None
    except (OSError, ValueError) as e:
        raise TargetError(f"cannot read {location}: {e}") from None
    module_name = _module_name(path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(module_name, loader=None))
    module.__file__ = str(path)
    folder = str(path.resolve().parent)
    sys.modules[module_name] = module        # dataclasses and pickling look modules up by name
    sys.path.insert(0, folder)               # so the file can import its neighbours, as `python file.py`
    try:
        exec(code, module.__dict__)          # the user's own file, run as Python runs it
    except SyntaxError as e:                 # from a module it imports
        sys.modules.pop(module_name, None)
        raise SourceSyntaxError(_syntax_message(e)) from None
    except (Exception, SystemExit) as e:     # a script may call sys.exit() when imported
        sys.modules.pop(module_name, None)
        raise _user_error(f"importing {location} raised", e) from e
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    fun = _attribute(module, attr, location, spec)
    return Target(name=_name(fun, attr), fun=fun, inputs=_defaults(fun), kind="file", spec=spec,
                  description=_first_line(fun))


def _from_module(spec, location, attr):
    if not all(part.isidentifier() for part in location.split(".")):
        raise TargetError(f"{location!r} is neither a file.py nor a package.module name")
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)              # as `python -m` does, so local modules are found
    try:
        module = importlib.import_module(location)
    except ModuleNotFoundError as e:
        if e.name and (location == e.name or location.startswith(e.name + ".")):
            raise TargetError(f"no module named {e.name!r} (looked in the current folder and "
                              "sys.path); for a file write path/to/file.py:function") from None
        raise _user_error(f"importing {location} raised", e) from e
    except SyntaxError as e:
        raise SourceSyntaxError(_syntax_message(e)) from None
    except (Exception, SystemExit) as e:
        raise _user_error(f"importing {location} raised", e) from e
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)
    fun = _attribute(module, attr, location, spec)
    return Target(name=_name(fun, attr), fun=fun, inputs=_defaults(fun), kind="module", spec=spec,
                  description=_first_line(fun))


def _attribute(module, attr, location, spec):
    if not attr:
        raise TargetError(f"TARGET {spec!r} names a file but no function: write {location}:FUNCTION; "
                          f"{_function_list(module, location)}")
    obj = module
    for part in attr.split("."):
        if not part.isidentifier() or not hasattr(obj, part):
            raise TargetError(f"no function {attr!r} in {location}; {_function_list(module, location)}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TargetError(f"{location}:{attr} is a {type(obj).__name__}, not a function; "
                          f"{_function_list(module, location)}")
    return obj


def _function_list(module, location):
    funs = [(v.__code__.co_firstlineno, k) for k, v in vars(module).items()
            if inspect.isfunction(v) and v.__module__ == module.__name__ and not k.startswith("_")]
    if not funs:
        return f"{location} defines no functions"
    return f"functions in {location}: {', '.join(k for _, k in sorted(funs))}"


def _module_name(path):
    stem = re.sub(r"\W", "_", path.stem)
    return f"graphviz_ad_target_{stem}"


def _syntax_message(e, location=None):
    filename = e.filename or location or "<unknown>"
    where = f"{filename}:{e.lineno}" if e.lineno else filename
    text = f": {e.text.strip()}" if e.text and e.text.strip() else ""
    return f"{where}: syntax error: {e.msg}{text}"


def _name(fun, attr):
    name = getattr(fun, "__name__", None) or attr.rsplit(".", 1)[-1]
    return name if re.fullmatch(r"[\w.-]+", name) else attr.rsplit(".", 1)[-1]


def _first_line(fun):
    doc = (getattr(fun, "__doc__", None) or "").strip().splitlines()
    return doc[0] if doc else ""


def _parameters(fun):
    try:
        return list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return []


def _defaults(fun):
    return {p.name: p.default for p in _parameters(fun)
            if p.default is not p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


# ---------------------------------------------------------------------------------------------------
# The user's code raised: keep only the user's frames.

def user_frames(exc, skip=()):
    """Traceback lines of `exc` without graphviz_ad's, numpy's or the import machinery's frames.

    Args:
        exc: an exception with a ``__traceback__``.
        skip: more folder prefixes to leave out (the command line leaves out its own).

    Returns:
        list of str, formatted like Python's traceback (``File "f.py", line 3, in f`` and the code).
    """
    prefixes = ("<frozen ",) + tuple(skip)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not is_library_file(os.path.abspath(f.filename)) and not is_library_file(f.filename)
              and not os.path.abspath(f.filename).startswith(prefixes) and not f.filename.startswith(prefixes)]
    return traceback.format_list(frames)


def exception_text(exc):
    """``Type: message`` of an exception, plus its notes, on one line."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    notes = [f"({n.removeprefix('graphviz_ad: ').strip()})" for n in getattr(exc, "__notes__", ())]
    return " ".join([" ".join(text.split())] + notes)


def _user_error(what, exc):
    return UserCodeError(f"{what} {exception_text(exc)}", exc, user_frames(exc))


# ---------------------------------------------------------------------------------------------------
# NAME=VALUE -> Python values.

def parse_assignment(text):
    """``"x=randn(3)"`` -> ``("x", "randn(3)")``; InputError when there is no ``=`` or no name."""
    name, sep, value = str(text).partition("=")
    name = name.strip()
    if not sep:
        raise worded_error(InputError, "{at} {text!r}: expected NAME=VALUE, e.g. x=1.5", {"text": text})
    if not name.isidentifier():
        raise worded_error(InputError, "{at} {text!r}: {input!r} is not an argument name",
                           {"text": text, "input": name}, name=name or None)
    if not value.strip():
        raise _value_error(name, f"the value is empty; {_VALUE_FORMS}")
    return name, value.strip()


def parse_value(text, *, seed=0, name=None, like=None):
    """The Python value of an input written as text (see the module docstring for the forms).

    Args:
        text: e.g. ``"2"``, ``"[[1, 2], [3, 4]]"``, ``"randn(3, 4)"``, ``"@weights.npy"``.
        seed: the random seed for ``randn`` / ``rand``.
        name: the input's name, for messages and to give each input its own random stream.
        like: the argument's default value, if any: a whole number stays an int only when it is one.

    Returns:
        float, int, bool, str or numpy.ndarray. Numbers and lists give floats (so they are
        differentiated), except a whole number for an argument whose default is an int.

    Raises:
        InputError: naming the input and what was wrong.

    Example:
        >>> parse_value("[1, 2]")
        array([1., 2.])
        >>> parse_value("randn(2)", seed=0).shape
        (2,)
    """
    text = str(text).strip()
    if text.startswith("@"):
        return _load_file(text[1:], name)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise _value_error(name, f"cannot read {text!r} ({e.msg}); expected {_VALUE_FORMS}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _value_error(name, f"{text[:40]!r}... is too deeply nested") from None
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())] if name else seed)
    try:
        value = _Values(text, name, rng).eval(tree.body)
    except RecursionError:
        raise _value_error(name, "the value is nested too deeply") from None
    if isinstance(value, list):
        value = _array(value, name)
    if type(value) is int and not (type(like) is int or isinstance(like, np.integer)):
        value = float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f":
        value = float(value)
    return value


def _value_error(name, detail):
    """InputError about the value of input `name` (given in `at`): "at NAME: detail"."""
    if not name:
        return InputError(f"value: {detail}")
    return worded_error(InputError, "{at} {input}: {detail}", {"input": name, "detail": detail}, name=name)


def _array(items, name):
    try:
        array = np.array(items, dtype=float)
    except (ValueError, TypeError):
        raise _value_error(name, "the list is ragged or holds non-numbers; nested lists must be "
                                 "rectangular, e.g. [[1, 2], [3, 4]]") from None
    return array


def _load_file(location, name):
    path = Path(location).expanduser()
    if not location:
        raise _value_error(name, "'@' needs a file name, e.g. @weights.npy")
    if not path.is_file():
        raise _value_error(name, f"file not found: {location}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            _check_npy_header(path, location, name)
            return np.load(path, allow_pickle=False)
        if suffix in (".txt", ".csv", ".tsv"):
            count = _count_numbers(path, MAX_ELEMENTS)
            if count > MAX_ELEMENTS:
                raise _value_error(name, f"{location} holds more than {MAX_ELEMENTS} numbers (the limit of an "
                                         "input); pass a smaller array")
            return np.loadtxt(path, delimiter="," if suffix == ".csv" else None, ndmin=0)
    except (ValueError, OSError, EOFError) as e:
        raise _value_error(name, f"cannot load {location}: {' '.join(str(e).split())}") from None
    raise _value_error(name, f"cannot read {path.suffix or 'extensionless'} files; use .npy "
                             "(numpy.save), .txt or .csv")


def _check_npy_header(path, location, name):
    """Refuse a .npy file whose header claims more elements than an input may have, or more bytes than
    the file holds, before numpy allocates anything for it."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
        shape, _, dtype = read_header(f, max_header_size=10_000)
        data_start = f.tell()
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise _value_error(name, f"{location} holds an array of shape {shape} ({size:.3g} elements), more "
                                 f"than the limit of {MAX_ELEMENTS} elements of an input")
    if dtype.hasobject:
        raise ValueError("it holds Python objects, which are not read (allow_pickle is off)")
    missing = data_start + size * dtype.itemsize - os.path.getsize(path)
    if missing > 0:
        raise ValueError(f"the file is {missing} bytes shorter than its header says (shape {shape}, {dtype})")


_SEPARATORS = frozenset(b" \t\r\n,;")


def _count_numbers(path, limit):
    """How many numbers a text file holds (separated by whitespace or commas), counted without reading it
    all at once; stops counting past `limit`."""
    count, inside = 0, False
    with open(path, "rb") as f:
        while count <= limit:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            count += len(_NUMBER_TEXT.findall(chunk)) - (inside and chunk[0] not in _SEPARATORS)
            inside = chunk[-1] not in _SEPARATORS
    return count


_NUMBER_TEXT = re.compile(rb"[^\s,;]+")


class _Values:
    """Evaluates the small value language of --at: numbers, lists and array constructors."""

    CONSTANTS = {"nan": math.nan, "inf": math.inf, "pi": math.pi, "e": math.e}

    def __init__(self, text, name, rng):
        self.text, self.name, self.rng = text, name, rng

    def fail(self, node, what):
        piece = ast.get_source_segment(self.text, node) or self.text
        if len(piece) > 60:
            piece = piece[:57] + "..."
        raise _value_error(self.name, f"{what} in {piece!r}; expected {_VALUE_FORMS}")

    def eval(self, node):
        if isinstance(node, ast.Constant):
            if type(node.value) is int and abs(node.value) > MAX_NUMBER:   # float() of it would overflow
                self.fail(node, f"a number larger than {MAX_NUMBER:g}")
            if isinstance(node.value, (int, float, str)):   # bool is an int
                return node.value
            self.fail(node, f"a {type(node.value).__name__} is not a value")
        if isinstance(node, ast.Name):
            if node.id in self.CONSTANTS:
                return self.CONSTANTS[node.id]
            self.fail(node, f"unknown name {node.id!r}")
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.eval(e) for e in node.elts]
            for e, item in zip(node.elts, items):
                if isinstance(item, str):
                    self.fail(e, "a string inside a list")
            return [i.tolist() if isinstance(i, np.ndarray) else i for i in items]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.number_or_array(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            return self.binop(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            return self.call(node)
        self.fail(node, "not a value")

    def number_or_array(self, node):
        value = self.eval(node)
        if isinstance(value, list):
            value = _array(value, self.name)
        if isinstance(value, str) or isinstance(value, bool):
            self.fail(node, "arithmetic on a non-number")
        return value

    def binop(self, node):
        left = self.number_or_array(node.left)
        right = self.number_or_array(node.right)
        both_scalar = np.ndim(left) == 0 and np.ndim(right) == 0
        # In floats: Python would compute 10**10**10 exactly, and take forever.
        a, b = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        try:
            self.check_size(node, np.broadcast_shapes(a.shape, b.shape))   # before numpy makes it
        except ValueError:
            pass   # shapes that do not match: said below
        try:
            with np.errstate(all="ignore"):
                value = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                         ast.Div: np.divide, ast.Pow: np.power}[type(node.op)](a, b)
        except ValueError as e:
            self.fail(node, f"shapes do not match ({e})")
        if np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and not np.all(np.isfinite(value)):
            self.fail(node, "a result too large for a float (it overflows to inf)")
        if both_scalar:
            value = float(value)
            if (type(left) is int and type(right) is int and not isinstance(node.op, ast.Div)
                    and value.is_integer() and abs(value) < 2**53):
                return int(value)
        return value

    def call(self, node):
        fname = node.func.id
        if fname == "int":
            if len(node.args) != 1:
                self.fail(node, "int takes one value")
            value = self.number_or_array(node.args[0])
            array = np.asarray(value)
            if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
                self.fail(node, "int() of a value that is not whole")
            if np.any(np.abs(array) >= 2.0**63):
                self.fail(node, "int() of a value beyond the 64-bit integers")
            return int(value) if array.ndim == 0 else array.astype(np.int64)
        if fname in ("randn", "rand", "zeros", "ones"):
            shape = tuple(self.dimension(a) for a in node.args)
            self.check_size(node, shape)
            if fname == "randn":
                return self.rng.standard_normal(shape) if shape else float(self.rng.standard_normal())
            if fname == "rand":
                return self.rng.random(shape) if shape else float(self.rng.random())
            return (np.zeros if fname == "zeros" else np.ones)(shape)
        if fname == "eye":
            if len(node.args) != 1:
                self.fail(node, "eye takes one size")
            n = self.dimension(node.args[0])
            self.check_size(node, (n, n))
            return np.eye(n)
        if fname in ("arange", "linspace"):
            args = [self.number_or_array(a) for a in node.args]
            if any(np.ndim(a) for a in args) or not 1 <= len(args) <= 3 or (fname == "linspace" and len(args) != 3):
                self.fail(node, f"{fname} takes {'1 to 3' if fname == 'arange' else '3'} numbers")
            if fname == "linspace":
                n = self.dimension(node.args[2])
                self.check_size(node, (n,))
                return np.linspace(float(args[0]), float(args[1]), n)
            start, stop, step = (0.0, args[0], 1.0) if len(args) == 1 else (args + [1.0])[:3]
            if step == 0 or not all(math.isfinite(float(v)) for v in (start, stop, step)):
                self.fail(node, "arange needs finite numbers and a non-zero step")
            self.check_size(node, (max(0, math.ceil((float(stop) - float(start)) / float(step))),))
            return np.arange(float(start), float(stop), float(step))
        self.fail(node, f"unknown function {fname!r}")

    def dimension(self, node):
        value = self.eval(node)
        if type(value) is not int or value < 0:
            self.fail(node, "a size must be a whole number >= 0")
        return value

    def check_size(self, node, shape):
        size = math.prod(shape)
        if size > MAX_ELEMENTS:
            self.fail(node, f"{size if size < 10**15 else format(size, '.3g')} elements is more than the "
                            f"limit of {MAX_ELEMENTS}")


# ---------------------------------------------------------------------------------------------------
# Target + NAME=VALUE -> the call.

def resolve_inputs(target, at=None, *, random_seed=0):
    """The inputs to trace `target` at: its defaults, overridden by `at`.

    Args:
        target: a Target (from `load_target`).
        at: ``NAME=VALUE`` strings, or a dict of name -> value text (parsed) or Python value (used as is).
        random_seed: seed of ``randn`` / ``rand`` values.

    Returns:
        dict of name -> value, in the function's parameter order, then any extra ``**kwargs``.

    Raises:
        InputError: a malformed value, a name that is no argument, a name given twice, or a missing
            input (the message lists every missing name).
    """
    params = _parameters(target.fun)
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    given = {}
    items = at.items() if isinstance(at, dict) else [parse_assignment(a) for a in (at or ())]
    for name, value in items:
        if name in given:
            raise worded_error(InputError, "{at} {input} is given twice", {"input": name}, name=name)
        if name not in names and not (takes_kwargs and name.isidentifier()):
            listing = ", ".join(names) if names else "none"
            who = _who(target)
            raise InputError(f"{who} has no argument {name!r}; its arguments: {listing}", name=name)
        given[name] = value
    inputs = {}
    for name in names + [n for n in given if n not in names]:
        if name in given:
            value = given[name]
            inputs[name] = (parse_value(value, seed=random_seed, name=name, like=target.inputs.get(name))
                            if isinstance(value, str) else value)
        elif name in target.inputs:
            inputs[name] = target.inputs[name]
    missing = [n for n in target.required if n not in inputs]
    if missing:
        # The names are identifiers (no braces), so they can go into the template itself.
        example = " ".join("{at} " + n + "=VALUE" for n in missing)
        raise worded_error(InputError, "{who} needs a value for {missing}: give " + example + " (VALUE is {forms})",
                           {"who": _who(target), "missing": ", ".join(missing), "forms": _VALUE_FORMS},
                           name=missing[0])
    return inputs


def _who(target):
    return f"the expression {target.spec!r}" if target.kind == "expression" else target.name


def call_arguments(fun, inputs):
    """Split `inputs` into the (args, kwargs) of a call: positional-only parameters by position, the
    rest by name (so a callable that trace() binds by position still names its inputs)."""
    parameters = [p for p in _parameters(fun) if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return arguments.call_arguments(parameters, inputs, by_keyword=True)


def trace_target(target, at=None, *, expr=False, random_seed=0, wrt=None, seed=None):
    """Load a TARGET, resolve its inputs and trace it: what ``graphviz-ad render`` draws.

    Args:
        target: TARGET text (see `load_target`) or a loaded Target.
        at: ``NAME=VALUE`` strings or a dict (see `resolve_inputs`).
        expr: `target` is a math expression.
        random_seed: seed of ``randn`` / ``rand`` values.
        wrt: argument name(s) to differentiate; default the target's own choice, else every float.
        seed: the backward seed given to the output (as in `graphviz_ad.trace`).

    Returns:
        Graph.

    Raises:
        TargetError, InputError, ExpressionError, TraceError, GradError: as their names say.
        UserCodeError: the function raised; `.frames` are the user's own traceback lines.

    Example:
        >>> G = trace_target("sin(x**2)", ["x=1"], expr=True)
        >>> G.nodes[G.output]["name"]
        'sin(x^2)'
    """
    if not isinstance(target, Target):
        target = load_target(target, expr=expr)
    inputs = resolve_inputs(target, at, random_seed=random_seed)
    return trace_inputs(target, inputs, wrt=wrt, seed=seed)


def check_wrt(target, inputs, wrt):
    """InputError unless every name in `wrt` is one of `inputs` (resolved for `target`)."""
    for name in wrt:
        if name not in inputs:
            raise worded_error(InputError, "{wrt} {input}: {who} has no argument {input!r}; its arguments: {known}",
                               {"input": name, "who": _who(target), "known": ", ".join(inputs) or "none"}, name=name)


def uses_torch(target, inputs=None):
    """Whether `target` is PyTorch code: an nn.Module, a function whose module imports torch, or tensor
    inputs. Such targets are traced by `graphviz_ad.torch.trace`. torch is never imported here: code
    that uses it has imported it already."""
    torch = sys.modules.get("torch")
    if torch is None or not hasattr(torch, "Tensor"):
        return False
    fun = target.fun
    if isinstance(fun, torch.nn.Module) or any(isinstance(v, torch.Tensor) for v in (inputs or {}).values()):
        return True
    return any(v is torch or isinstance(v, torch.nn.Module) for v in getattr(fun, "__globals__", {}).values())


def _torch_inputs(inputs):
    """Values given as text (--at x=randn(3)) as tensors: floats in torch's default dtype, requiring grad
    as every float argument is differentiated by default."""
    import torch
    out = {}
    for name, value in inputs.items():
        if isinstance(value, (float, np.ndarray, np.floating)) and np.asarray(value).dtype.kind == "f":
            value = torch.tensor(np.asarray(value), dtype=torch.get_default_dtype(), requires_grad=True)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iub":
            value = torch.from_numpy(value.copy())
        out[name] = value
    return out


def trace_inputs(target, inputs, *, wrt=None, seed=None):
    """Trace a loaded Target at resolved `inputs` (from `resolve_inputs`); see `trace_target`.

    PyTorch code (see `uses_torch`) is traced by `graphviz_ad.torch.trace`, where `wrt` may also name
    parameters ("fc.weight").
    """
    torch_code = uses_torch(target, inputs)
    if torch_code:
        from .torch import trace
        inputs = _torch_inputs(inputs)
    else:
        from .trace import trace
    args, kwargs = call_arguments(target.fun, inputs)
    if wrt is not None and not isinstance(wrt, str):
        wrt = list(wrt) or None
    if not torch_code:   # the torch tracer checks its own names (arguments and parameters)
        check_wrt(target, inputs, [wrt] if isinstance(wrt, str) else wrt or ())
    if target.kind == "expression":   # its every array is known from the inputs' shapes: check first
        check_planned([(f"{piece!r}", f"column {column}", shape, 8) for piece, shape, column
                       in array_sizes(target.fun, inputs)],
                      sum(getattr(np.asarray(v), "nbytes", 8) for v in inputs.values()))
    return _run_user_code(target, trace, target.fun, *args, wrt=wrt if wrt is not None else target.wrt,
                          seed=seed, **kwargs)


def check_inputs(target, inputs, *, wrt=None, **options):
    """`graphviz_ad.check` of a loaded Target at resolved `inputs`: what ``graphviz-ad check`` runs.

    Args:
        target, inputs: as for `trace_inputs`.
        wrt: argument name(s) to check; default the target's own choice, else every float.
        **options: `eps`, `rtol`, `atol`, ... of `graphviz_ad.check`.

    Raises:
        InputError: `wrt` names no argument.
        UserCodeError: the function raised (while traced or re-run for finite differences).
    """
    from .check import check
    args, kwargs = call_arguments(target.fun, inputs)
    wrt = [wrt] if isinstance(wrt, str) else list(wrt or ()) or None
    check_wrt(target, inputs, wrt or ())
    return _run_user_code(target, check, target.fun, *args, wrt=wrt or target.wrt, **options, **kwargs)


def _run_user_code(target, run, /, *args, **kwargs):
    """`run(*args, **kwargs)`, where an exception that is not ours is the user's code raising."""
    try:
        return run(*args, **kwargs)
    except GraphvizAdError:
        raise
    except (Exception, SystemExit) as e:
        error = _user_error(f"{_who(target)} raised", e)
        error.partial_graph = getattr(e, "partial_graph", None)   # how far the trace got
        raise error from e
