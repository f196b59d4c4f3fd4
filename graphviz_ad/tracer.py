"""The traced value type and the tape it records onto.

A `Traced` wraps a forward value and the index of the tape entry that made it. numpy hands it back to
us through `__array_ufunc__` / `__array_function__`, so user code calls numpy as usual. The tape is a
list of entries, one per node: cheap to append to, and turned into a networkx graph only once, at the
end (see build.py).
"""

import ast
import dis
import linecache
import math
import os
import re
import sys
import warnings
import weakref

import numpy as np

from . import trace_limits as limits
from .errors import GraphvizAdWarning, TraceError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
# Frames from these files are ours or numpy's, never the user's line...
_SKIP = (_PACKAGE_DIR, _NUMPY_DIR, "<__array_function__")
# ...except the bundled samples, which an installed package holds inside its own folder: they are user
# code like any other, wherever they are installed.
_SAMPLES_DIR = _PACKAGE_DIR + "samples" + os.sep


def is_library_file(filename):
    """True for graphviz_ad's own machinery and numpy's files: frames there are never the user's line."""
    return filename.startswith(_SKIP) and not filename.startswith(_SAMPLES_DIR)


def skip_frames_from(directory):
    """Count frames from files under `directory` as library code, never as the user's line.

    The torch front end adds torch's own directory, so nodes made inside nn.Module code point at the
    user's line that called the model.
    """
    global _SKIP
    directory = os.path.join(os.path.abspath(directory), "")
    if directory not in _SKIP:
        _SKIP = _SKIP + (directory,)


def user_frame(depth=2):
    """The innermost frame that is neither graphviz_ad's nor numpy's: the line the user wrote."""
    frame = sys._getframe(depth)
    while frame is not None and is_library_file(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def where(frame=None):
    """'file.py:LINE' of the user's current line (for error messages)."""
    frame = frame or user_frame(2)
    if frame is None:
        return "<unknown>"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def source_line(frame):
    return linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip() if frame else ""


_NO_KWARGS = {}   # shared by every entry without keyword arguments: never mutated
_ndarray = np.ndarray
_bare = object.__new__


class Entry:
    """One node of the tape: the op that made it and what it was made from.

    `prim` is the Primitive (None for an input or a constant), `value` the forward value, `args` the
    op's positional arguments as plain values and `kwargs` its keyword arguments, `parents` per
    positional argument the node id it came from (None for a plain value), and `requires_grad` whether
    the node depends on a differentiated input. A class with slots: made once per op, read field by
    field in the reverse pass.
    """

    __slots__ = ("prim", "value", "args", "kwargs", "parents", "requires_grad")

    def __init__(self, prim, value, args, kwargs, parents, requires_grad):
        self.prim = prim
        self.value = value
        self.args = args
        self.kwargs = kwargs
        self.parents = parents
        self.requires_grad = requires_grad

    def __repr__(self):
        return f"Entry({self.prim!r}, parents={self.parents}, requires_grad={self.requires_grad})"


class Tape:
    """Everything the forward pass recorded: one Entry per node, in trace order (cheap to append)."""

    def __init__(self, record_source=False, lift_constants=False):
        self.record_source = record_source    # trace(): keep file:line and scope of every node
        self.lift_constants = lift_constants  # trace(): literals become "const" nodes of their own
        # The budget (see trace_limits.py), in bytes of recorded arrays plus a share per op for its
        # Python objects. A scalar op only counts: its share makes the budget a cap on ops too.
        kind = "trace" if record_source else "grad"
        budget = limits.current()
        self.memory = budget.memory
        self.max_bytes = budget.memory / limits.KEPT_PER_BYTE[kind]
        self.op_bytes = limits.BYTES_PER_OP[kind] / limits.KEPT_PER_BYTE[kind]
        self.op_limit = budget.ops
        self.max_ops = min(budget.ops, int(self.max_bytes / self.op_bytes))   # checked on every op
        self.bytes = 0.0     # of the arrays recorded so far
        self.entries = []
        self.names = {}      # node -> name, for inputs and constants
        self.sites = []      # (filename, lineno, scope, frames) when record_source: see _site
        self.root_frame = None
        self.calls = {}        # id(frame) -> call id, see _site
        self.live_frames = []
        self.failed = None        # (primitive, operand nodes) of an op that raised
        self.write_error = None   # a write into a plain array that numpy turned into a ValueError
        self.view_nodes = set()   # nodes that only re-derive a view after a write: never named by their line

    def leaf(self, value, name, requires_grad):
        """An input (requires_grad) or a constant node."""
        if type(value) is float:   # numpy's float, so 1/x in a derivative at x = 0 is inf, not ZeroDivisionError
            value = np.float64(value)
        node = len(self.entries)
        if type(value) is _ndarray or node >= self.max_ops:
            self.charge(f"input {name}" if requires_grad else f"constant {name}", value, node)
        self.entries.append(Entry(None, value, (), _NO_KWARGS, (), requires_grad))
        self.names[node] = name
        if self.record_source:   # arguments, made before the call, are placed by trace() itself
            self.sites.append(self._site() if self.root_frame is not None else ("", 0, (), ()))
        return Traced(value, node, self)

    def record(self, prim, args, kwargs):
        """Run `prim` on the plain values of `args` and append the result to the tape."""
        entries = self.entries
        values = []
        parents = []
        requires = False
        for i, a in enumerate(args):
            if type(a) is not Traced and getattr(a, "traced", None) is not None:
                a = a.traced   # a buffer the function filled with traced values (see buffers.py)
            if type(a) is Traced:
                if a.tape is not self:
                    raise TraceError(f"{prim.name}: a value from another trace was mixed in "
                                     f"(at {where()}); trace one function at a time")
                values.append(a.value)
                parents.append(a.node)
                if entries[a.node].requires_grad:
                    requires = True
            elif self.lift_constants and prim.differentiable(i) and _is_number(a):
                c = self.leaf(a, _read_name(a) or _const_name(a), False)
                values.append(c.value)
                parents.append(c.node)
            else:
                values.append(a)
                parents.append(None)
        if kwargs:
            for k, v in kwargs.items():
                if type(v) is Traced:
                    raise TraceError(f"{prim.name}: traced value passed as keyword argument {k!r} "
                                     f"(at {where()}); pass it positionally")
        if len(values) == 2 and type(values[0]) is np.ndarray and type(values[1]) is np.ndarray:
            self.plan(prim, values)   # an outer product or a broadcast is refused before it is made
        try:
            value = prim.fun(*values, **kwargs)
        except MemoryError as e:
            raise limits.out_of_memory(prim.name, where(), e) from None
        except Exception as e:
            self.failed = (prim, [p for p in parents if p is not None])   # for the partial graph
            if hasattr(e, "add_note"):
                e.add_note(f"graphviz_ad: while computing {prim.name} at {where()}")
            raise
        node = len(entries)
        if type(value) is _ndarray or node >= self.max_ops:
            self.charge(prim.name, value, node)
        entries.append(Entry(prim, value, values, kwargs, parents, requires))
        if self.record_source:
            self.sites.append(self._site())
        return Traced(value, node, self)

    def charge(self, what, value, node):
        """Count an array (or the `node`-th op) against the budget; past it, say where and how much."""
        array = type(value) is _ndarray
        if array:
            self.bytes += value.nbytes
        held = self.bytes + (node + 1) * self.op_bytes
        if held > self.max_bytes:
            raise limits.over_memory(what, where(), getattr(value, "nbytes", 8), held * self.memory / self.max_bytes,
                                     self.memory, ops=None if array else node)
        if node >= self.op_limit:
            raise limits.over_ops(what, where(), self.op_limit)

    def plan(self, prim, values):
        """Refuse a two-array op whose result alone would go past the budget, before numpy makes it."""
        a, b = values
        if a.shape == b.shape and prim.name not in _PRODUCTS:   # elementwise: no bigger than an operand
            return
        try:
            shape = _PRODUCTS[prim.name](a.shape, b.shape) if prim.name in _PRODUCTS else \
                np.broadcast_shapes(a.shape, b.shape) if isinstance(prim.fun, np.ufunc) else None
        except (ValueError, IndexError):   # numpy will say what is wrong with the shapes
            return
        if shape is None:
            return
        nbytes = math.prod(shape) * max(a.itemsize, b.itemsize)
        held = self.bytes + nbytes + (len(self.entries) + 1) * self.op_bytes
        if held > self.max_bytes:
            raise limits.over_memory(f"{prim.name} of {a.shape} and {b.shape}", where(), nbytes,
                                     held * self.memory / self.max_bytes, self.memory)

    def _site(self):
        """Where the user's code is: (filename, lineno, scope, frames).

        `frames` holds (call id, lasti, filename, lineno, function name) of each user frame, from the
        traced function inwards, so names can come from the assignment at any level (`h = layer(x)`)
        and two calls of one function stay apart. A call id is the order in which the call was first
        seen; the frame is kept alive until the trace ends, so its id() cannot be reused meanwhile.
        """
        frame = user_frame(3)
        if frame is None:
            return ("", 0, (), ())
        chain = []
        f = frame
        while f is not None and f is not self.root_frame:
            if not is_library_file(f.f_code.co_filename):
                chain.append(f)
            f = f.f_back
        if f is None:  # not called under trace(): only the innermost frame is ours to speak of
            chain = chain[:1]
        frames = []
        for f in reversed(chain):
            call = self.calls.get(id(f))
            if call is None:
                call = self.calls[id(f)] = len(self.calls)
                self.live_frames.append(f)
            code = f.f_code
            frames.append((call, f.f_lasti, code.co_filename, f.f_lineno, scope_name(code)))
        return (frame.f_code.co_filename, frame.f_lineno, tuple(fr[4] for fr in frames), tuple(frames))

    def release_frames(self):
        """Let the traced calls' frames go (they are kept only while tracing, see _site)."""
        self.live_frames.clear()


_SCOPE_NAMES = {}


def scope_name(code):
    """What a scope is called: `Dense.forward` for a method, `layer` for a function (also one defined
    inside another), `<lambda>`."""
    name = _SCOPE_NAMES.get(code)
    if name is None:
        name = getattr(code, "co_qualname", code.co_name).rpartition("<locals>.")[2]
        _SCOPE_NAMES[code] = name
    return name


def _read_name(a):
    """The name the user's line reads plain array `a` by: `W` for `self.W`, `layer.W`, a variable `X`."""
    if not isinstance(a, np.ndarray) or not a.ndim:
        return None
    frame = user_frame(3)
    if frame is None:
        return None
    try:
        tree = ast.parse(source_line(frame))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = frame.f_locals.get(node.value.id, frame.f_globals.get(node.value.id))
            if getattr(owner, node.attr, None) is a:
                return node.attr if node.value.id in ("self", "cls") else f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.Name) and frame.f_locals.get(node.id, frame.f_globals.get(node.id)) is a:
            return node.id
    return None


def _matmul_shape(a, b):
    if len(a) < 2 or len(b) < 2:
        return None   # a vector operand: no bigger than the other
    return np.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])


# Result shapes of the ops whose result can be much bigger than both operands, from their shapes alone.
_PRODUCTS = {"outer": lambda a, b: (math.prod(a), math.prod(b)), "matmul": _matmul_shape,
             "dot": lambda a, b: _matmul_shape(a, b) if len(b) <= 2 else a[:-1] + b[:-2] + b[-1:],
             "kron": lambda a, b: tuple(x * y for x, y in zip((1,) * (len(b) - len(a)) + a,
                                                               (1,) * (len(a) - len(b)) + b))}


def _is_number(a):
    return isinstance(a, (float, int, np.ndarray, np.number)) and not isinstance(a, bool) and \
        np.asarray(a).dtype.kind in "fiu"


def _const_name(a):
    if np.ndim(a) == 0:
        return f"{float(a):.4g}"
    return "const" + "x".join(map(str, np.shape(a))).join("[]")


_PLAIN_METHOD = re.compile(r"\b([A-Za-z_][\w.]*)\.(dot|outer|inner|cross)\s*\(")
_MATH_CALL = re.compile(r"\bmath\.(\w+)\s*\(")
_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]


def _detach_error(what):
    frame = user_frame(3)
    line = source_line(frame)
    m = _MATH_CALL.search(line)
    if m:
        hint = f"math.{m.group(1)}(x) works on plain floats: use np.{m.group(1)}(x)"
    else:
        hint = "use numpy operations on the traced value instead"
    return TraceError(f"{what} of a traced value would cut it out of the graph (at {where(frame)}: "
                      f"{line!r}); {hint}")


def _plain_write_error(frame):
    """The error for `a[i] = traced` with `a` a plain array the traced function did not make, or None
    when the user's line is not such a write."""
    if frame is None or frame.f_code.co_code[frame.f_lasti] != _STORE_SUBSCR:
        return None
    line = source_line(frame)
    try:
        target = ast.parse(line).body[0].targets[0].value
        name = ast.unparse(target)
    except (SyntaxError, IndexError, AttributeError):
        name = "the array"
    return TraceError(f"writing a traced value into {name}, a plain array made before the call (at "
                      f"{where(frame)}: {line!r}), cannot be traced: code that reads {name} later would not "
                      f"see the trace; make it inside the function ({name} = np.zeros_like(...), or "
                      f"{name}.copy()), or build the value with np.stack / np.where")


def _cut(self, what, plain):
    """float(t), int(t), t.item(): the plain value, with a warning (once per line) that the graph is
    cut there; refused where it would hide a math.* call or a write into a plain array."""
    frame = user_frame(3)
    error = _plain_write_error(frame)
    if error is not None:
        self.tape.write_error = error   # numpy swallows it into a ValueError: trace() raises it instead
        raise error
    line = source_line(frame)
    if _MATH_CALL.search(line):
        raise _detach_error(what)
    if frame is not None:
        warnings.warn_explicit(
            f"{what} of a traced value cuts the graph at {where(frame)} ({line!r}): no gradient flows "
            "back through it; keep the value as an array to differentiate through it", GraphvizAdWarning,
            frame.f_code.co_filename, frame.f_lineno, module=frame.f_globals.get("__name__", ""),
            registry=frame.f_globals.setdefault("__warningregistry__", {}))
    return plain


class Traced:
    """A value being traced: its forward value, and its node on the tape."""

    # `_view`: (base, index, derive) when this value is numpy's view of another traced value (x[1:],
    # x.T): a write through either one reaches the other (see _rebind). Unset for most values.
    __slots__ = ("value", "node", "tape", "_view", "_views", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, value, node, tape):
        self.value = value
        self.node = node
        self.tape = tape

    # numpy's protocols: every numpy call on a Traced arrives here.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            prim = _UFUNCS.get(ufunc)
            if prim is not None:
                if len(inputs) == 1:   # np.sin(x): the commonest call, recorded in the fewest steps
                    tape = self.tape
                    try:
                        value = prim.fun(self.value)
                    except Exception:
                        return tape.record(prim, inputs, kwargs)   # re-raises, saying where
                    entries = tape.entries
                    node = len(entries)
                    if type(value) is _ndarray or node >= tape.max_ops:
                        tape.charge(prim.name, value, node)
                    entry = _bare(Entry)   # Entry(...) without the Python call of its __init__
                    entry.prim = prim
                    entry.value = value
                    entry.args = (self.value,)
                    entry.kwargs = _NO_KWARGS
                    entry.parents = (self.node,)
                    entry.requires_grad = entries[self.node].requires_grad
                    entries.append(entry)
                    if tape.record_source:
                        tape.sites.append(tape._site())
                    out = _bare(Traced)   # Traced(value, node, tape), likewise
                    out.value = value
                    out.node = node
                    out.tape = tape
                    return out
                return self.tape.record(prim, inputs, kwargs)
        return ops.call_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in _VIEW_FUNCTIONS and args and args[0] is self:   # np.reshape(x, ...): a view of x
            return _opaque_view(self, lambda base: ops.call_function(func, (base,) + args[1:], kwargs))
        return ops.call_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        if np.result_type(self.value).kind in "iub":   # integers and masks carry no gradient: constants
            return np.asarray(self.value, dtype=dtype)
        if dtype is not None and np.dtype(dtype).kind in "iub":   # np.int64(x): a step function of x,
            return np.asarray(self.value).astype(dtype)           # a constant with zero gradient
        frame = user_frame(2)
        error = _plain_write_error(frame)
        if error is not None:
            self.tape.write_error = error
            raise error
        line = source_line(frame)
        m = _PLAIN_METHOD.search(line)
        hint = (f"{m.group(1)}.{m.group(2)}(...) of a plain array {m.group(1)} cannot see a traced argument: "
                f"write np.{m.group(2)}({m.group(1)}, ...)" + (f" or {m.group(1)} @ ..." if m.group(2) == "dot" else "")
                + f", or pass {m.group(1)} to the function") if m else "keep the value traced"
        raise TraceError(f"numpy tried to turn a traced value into a plain array (at {where(frame)}: "
                         f"{line!r}); {hint}")

    # Python operators: one-line delegations to the primitives.
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.subtract(self, other)
    def __rsub__(self, other): return ops.subtract(other, self)
    def __mul__(self, other): return ops.multiply(self, other)
    def __rmul__(self, other): return ops.multiply(other, self)
    def __truediv__(self, other): return ops.divide(self, other)
    def __rtruediv__(self, other): return ops.divide(other, self)
    def __floordiv__(self, other): return ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return ops.floor_divide(other, self)
    def __mod__(self, other): return ops.mod(self, other)
    def __rmod__(self, other): return ops.mod(other, self)
    def __pow__(self, other): return ops.power(self, other)
    def __rpow__(self, other): return ops.power(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.negative(self)
    def __pos__(self): return self
    def __abs__(self): return ops.absolute(self)

    def __getitem__(self, index):
        index = _plain_index(index)
        out = ops.getitem(self, index)
        if _is_basic(index) and isinstance(out.value, np.ndarray) and out.value.ndim:
            _add_view(self, out, index, lambda base: ops.getitem(base, index))   # numpy gives a view
        return out

    def __setitem__(self, index, value):
        """x[index] = value: a `setitem` node, which this variable (and every alias of it) then is."""
        index = _plain_index(index)
        if type(value) is Traced and _is_basic(index) and getattr(value, "_view", (None,))[0] is self \
                and value._view[1] == index:
            return   # x[i] += v wrote through the view x[i] already; Python's store back changes nothing
        _rebind(self, ops.setitem(self, value, index))

    # Augmented assignment writes into an array in place, as numpy does (aliases see it); a number is
    # rebound, as Python does.
    def __iadd__(self, other): return _in_place(self, ops.add(self, other))
    def __isub__(self, other): return _in_place(self, ops.subtract(self, other))
    def __imul__(self, other): return _in_place(self, ops.multiply(self, other))
    def __itruediv__(self, other): return _in_place(self, ops.divide(self, other))
    def __ipow__(self, other): return _in_place(self, ops.power(self, other))
    def __imatmul__(self, other): return _in_place(self, ops.matmul(self, other))

    # Comparisons give plain boolean masks: they carry no gradient, and control flow follows them.
    def __lt__(self, other): return self.value < untraced(other)
    def __le__(self, other): return self.value <= untraced(other)
    def __gt__(self, other): return self.value > untraced(other)
    def __ge__(self, other): return self.value >= untraced(other)
    def __eq__(self, other): return self.value == untraced(other)
    def __ne__(self, other): return self.value != untraced(other)
    __hash__ = object.__hash__

    def __bool__(self): return bool(self.value)
    def __float__(self): return _cut(self, "float()", float(self.value))
    def __int__(self): return _cut(self, "int()", int(self.value))

    def __index__(self):   # an integer computed from traced values indexes as a constant: no gradient
        if np.result_type(self.value).kind in "iub":
            return int(self.value)
        raise _detach_error("using as an index")
    def __complex__(self): raise _detach_error("complex()")
    def __format__(self, spec): return format(self.value, spec)
    def __repr__(self): return f"Traced({self.value!r}, node={self.node})"

    def __len__(self):
        if np.ndim(self.value) == 0:   # numpy asks while writing a traced number into a plain array
            error = _plain_write_error(user_frame(2))
            if error is not None:
                self.tape.write_error = error
                raise error
        return len(self.value)

    def __iter__(self):
        for i in range(len(self.value)):
            yield self[i]

    # The ndarray attributes and methods people use, in terms of numpy functions.
    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.result_type(self.value))
    T = property(lambda self: _opaque_view(self, ops.transpose))

    def sum(self, *a, **k): return np.sum(self, *a, **k)
    def mean(self, *a, **k): return np.mean(self, *a, **k)
    def prod(self, *a, **k): return np.prod(self, *a, **k)
    def max(self, *a, **k): return np.max(self, *a, **k)
    def min(self, *a, **k): return np.min(self, *a, **k)
    def var(self, *a, **k): return np.var(self, *a, **k)
    def std(self, *a, **k): return np.std(self, *a, **k)
    def cumsum(self, *a, **k): return np.cumsum(self, *a, **k)
    def cumprod(self, *a, **k): return np.cumprod(self, *a, **k)
    def clip(self, *a, **k): return np.clip(self, *a, **k)
    def dot(self, other): return np.dot(self, other)
    def ravel(self, *a, **k): return _opaque_view(self, lambda b: np.ravel(b, *a, **k))
    def flatten(self): return np.ravel(self)
    def squeeze(self, *a, **k): return np.squeeze(self, *a, **k)
    def swapaxes(self, a, b): return np.swapaxes(self, a, b)
    def trace(self, *a, **k): return np.trace(self, *a, **k)
    def diagonal(self, *a, **k): return np.diagonal(self, *a, **k)
    def repeat(self, *a, **k): return np.repeat(self, *a, **k)
    def round(self, *a, **k): return np.round(self, *a, **k)
    def take(self, *a, **k): return np.take(self, *a, **k)
    def any(self, *a, **k): return np.any(self.value, *a, **k)
    def all(self, *a, **k): return np.all(self.value, *a, **k)
    def nonzero(self): return np.nonzero(self.value)
    def argpartition(self, *a, **k): return np.argpartition(self.value, *a, **k)
    def argmax(self, *a, **k): return np.argmax(self.value, *a, **k)
    def argmin(self, *a, **k): return np.argmin(self.value, *a, **k)
    def argsort(self, *a, **k): return np.argsort(self.value, *a, **k)
    def copy(self): return Traced(self.value, self.node, self.tape)   # the same node, written apart
    def conj(self): return self
    conjugate = conj
    real = property(lambda self: self)
    imag = property(lambda self: np.zeros_like(self.value))   # real values only: no gradient
    mT = property(lambda self: np.swapaxes(self, -1, -2))

    def __round__(self, ndigits=None): return np.round(self, ndigits or 0)
    def __divmod__(self, other): return (self // other, self % other)
    def __rdivmod__(self, other): return (other // self, other % self)

    def reshape(self, *shape, **k):
        return _opaque_view(self, lambda b: np.reshape(b, shape[0] if len(shape) == 1 else shape, **k))

    def transpose(self, *axes):
        return _opaque_view(self, lambda b: np.transpose(b, axes[0] if len(axes) == 1 else (axes or None)))

    def astype(self, dtype, *a, **k):
        return ops.astype(self, dtype)

    def item(self, *a): return _cut(self, ".item()", np.asarray(self.value).item(*a))
    def tolist(self): return _cut(self, ".tolist()", np.asarray(self.value).tolist())


def untraced(x):
    """The plain value of a traced value; anything else as it is."""
    return x.value if type(x) is Traced else x


# ---------------------------------------------------------------------------------------------------
# Writes in place. A traced variable is a Traced object; a write makes a new node and points the object
# (so every alias of it) at that node. Views follow their base, as numpy's views do.

def _is_basic(index):
    """True for an index numpy answers with a view (integers, slices, ..., None), not a copy."""
    parts = index if type(index) is tuple else (index,)
    return all(p is None or p is Ellipsis or type(p) is slice or
               (isinstance(p, (int, np.integer)) and not isinstance(p, bool)) for p in parts)


# numpy functions whose result is a view of their first argument.
_VIEW_FUNCTIONS = {np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims}


def _add_view(base, view, index, derive):
    view._view = (base, index, derive)
    try:
        base._views.append(weakref.ref(view))
    except AttributeError:
        base._views = [weakref.ref(view)]


def _opaque_view(base, make):
    """`make(base)` (reshape, transpose...), kept up to date with `base`; writing into it is refused."""
    out = make(base)
    if type(out) is Traced and isinstance(out.value, np.ndarray) and out.value.ndim:
        _add_view(base, out, None, make)
    return out


def _rebind(target, new):
    """Make `target` (and everything that aliases it: its base, its views) the traced value `new`."""
    view = getattr(target, "_view", None)
    if view is not None:
        base, index, _ = view
        if index is None:
            frame = user_frame(3)
            raise TraceError(f"writing into a reshaped or transposed view of a traced array (at "
                             f"{where(frame)}: {source_line(frame)!r}) cannot be traced; write into the "
                             "array itself (x[...] = ...) or take .copy() of the view first")
        _rebind(base, ops.setitem(base, new, index))   # refreshes target too, as one of base's views
        return
    target.value, target.node = new.value, new.node
    _refresh_views(target)


def _refresh_views(base):
    """Re-derive the live views of `base` (and theirs) from its new value."""
    views = getattr(base, "_views", None)
    if not views:
        return
    alive = []
    for ref in views:
        view = ref()
        if view is not None:
            fresh = view._view[2](base)
            view.value, view.node = fresh.value, fresh.node
            base.tape.view_nodes.add(fresh.node)
            alive.append(ref)
            _refresh_views(view)
    base._views = alive


def _in_place(target, result):
    if not isinstance(target.value, np.ndarray) or type(result) is not Traced:
        return result
    if np.shape(result.value) != target.value.shape:
        raise ValueError(f"non-broadcastable output operand with shape {target.value.shape} doesn't "
                         f"match the broadcast shape {np.shape(result.value)}")
    _rebind(target, result)
    return target


def _plain_index(index):
    """Indices are not differentiated: unwrap traced index arrays (e.g. from argmax of a traced value)."""
    if type(index) is tuple:
        return tuple(untraced(i) for i in index)
    return untraced(index)


from . import ops  # noqa: E402  (the op table imports Traced from here)
from .ops.core import UFUNCS as _UFUNCS  # noqa: E402  (read on every ufunc call)
