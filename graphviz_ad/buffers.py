"""Plain arrays that the traced function makes for itself, and plain containers of traced values.

Real numpy code fills buffers: `hs = np.zeros((T, H))` then `hs[t] = np.tanh(...)`. While a function
is traced, numpy's array makers (np.zeros, np.empty, np.ones, np.full, their *_like forms, np.array,
np.copy) give the user's code a `Buffer`: a plain ndarray until a traced value is written into it, and
from then on a stand-in for a traced value (`Buffer.traced`), wherever it is read — through a
variable, an attribute or a dict. Lists and tuples of traced values given to np.array / np.asarray /
np.r_ / np.c_ become one stacked traced array.

The makers are swapped only while the function runs (`making_buffers`), and only calls from the
user's own frames get a Buffer; graphviz_ad's own calls get numpy's plain arrays.
"""

import contextlib
import functools
import sys

import numpy as np

from . import ops
from .tracer import Traced, is_library_file


class Buffer(np.ndarray):
    """A plain array made by the traced function; traced from the first write of a traced value on."""

    traced = None   # the Traced this buffer now is, once a traced value was written into it

    def __array_finalize__(self, obj):
        self.traced = None

    def __setitem__(self, index, value):
        value = traced_array(value)
        if self.traced is None:
            if type(value) is not Traced:
                return np.ndarray.__setitem__(self, index, value)
            self.traced = value.tape.leaf(np.array(self.view(np.ndarray)), _const_name(self), False)
        self.traced[index] = value
        np.ndarray.__setitem__(self.view(np.ndarray), index, np.asarray(self.traced.value)[index])

    def __getitem__(self, index):
        if self.traced is not None:
            return self.traced[index]
        return np.ndarray.__getitem__(self.view(np.ndarray), index)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap_out(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*[unwrap(a) for a in inputs], **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return func(*_unwrap_tree(args), **_unwrap_tree(kwargs))

    def _in_place(self, result):
        self[...] = result
        return self

    def __iadd__(self, other): return self._in_place(np.add(self, other))
    def __isub__(self, other): return self._in_place(np.subtract(self, other))
    def __imul__(self, other): return self._in_place(np.multiply(self, other))
    def __itruediv__(self, other): return self._in_place(np.divide(self, other))

    def copy(self, *a, **k):
        if self.traced is not None:
            return self.traced.copy()
        return np.ndarray.copy(self, *a, **k)   # a Buffer of its own

    T = property(lambda self: unwrap(self).T)


def _delegate(name):
    def method(self, *args, **kwargs):
        return getattr(unwrap(self), name)(*args, **kwargs)
    method.__name__ = name
    return method


# ndarray methods that would read the plain memory: a traced buffer answers them from its traced value.
for _name in ("dot", "sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "cumprod", "clip", "reshape",
              "transpose", "ravel", "flatten", "squeeze", "swapaxes", "take", "repeat", "round", "astype",
              "item", "tolist", "argmax", "argmin", "diagonal", "trace"):
    setattr(Buffer, _name, _delegate(_name))


def unwrap(a):
    """The traced value a Buffer stands for, or its plain array; anything else as it is."""
    if type(a) is Buffer:
        return a.traced if a.traced is not None else a.view(np.ndarray)
    return a


def _unwrap_out(a):
    if type(a) is Buffer and a.traced is not None:
        return a.traced   # the ufunc's own check refuses out= on a traced value, saying where
    return unwrap(a)


def _unwrap_tree(x):
    if type(x) is Buffer:
        return unwrap(x)
    if type(x) in (list, tuple):
        return type(x)(_unwrap_tree(v) for v in x)
    if type(x) is dict:
        return {k: _unwrap_tree(v) for k, v in x.items()}
    return x


def _holds_traced(x):
    if type(x) is Traced or (type(x) is Buffer and x.traced is not None):
        return True
    return isinstance(x, (list, tuple)) and any(_holds_traced(v) for v in x)


def traced_array(x):
    """`x` as numpy would read it as one array: a list or tuple holding traced values becomes their
    stack (plain numbers broadcast in); anything without traced values is returned as it is."""
    if type(x) is Buffer:
        return unwrap(x) if x.traced is not None else x
    if not isinstance(x, (list, tuple)) or not _holds_traced(x):
        return x
    items = [traced_array(v) for v in x]
    shape = np.broadcast_shapes(*[np.shape(v) for v in items])
    if any(np.shape(v) != shape for v in items):   # ragged: numpy itself refuses it
        raise ValueError("setting an array element with a sequence. The requested array has an "
                         f"inhomogeneous shape after 1 dimensions: {[np.shape(v) for v in items]}")
    return ops.stack(*items)


def _const_name(a):
    return "const" + "x".join(map(str, a.shape)).join("[]")


# ---------------------------------------------------------------------------------------------------
# numpy's array makers, while a function is traced.

def _from_user():
    return not is_library_file(sys._getframe(2).f_code.co_filename)


def _maker(original):
    """`original` that hands the user's code a Buffer of a float array it makes."""
    @functools.wraps(original)
    def make(*args, **kwargs):
        if original is np.full and len(args) > 1 and _holds_traced(args[1]):   # np.full(shape, x)
            return ops.broadcast_to(traced_array(args[1]), tuple(np.atleast_1d(args[0])))
        out = original(*_unwrap_tree(args), **kwargs)
        if type(out) is np.ndarray and out.dtype.kind == "f" and _from_user():
            return out.view(Buffer)
        return out
    return make


def _array_maker(original, copies):
    """np.array (copies) or np.asarray (does not): lists of traced values stack, traced values stay."""
    @functools.wraps(original)
    def make(obj, *args, **kwargs):
        if _holds_traced(obj):
            out = traced_array(obj)
            dtype = kwargs.get("dtype", args[0] if args else None)
            return ops.astype(out, dtype) if dtype is not None else out
        if type(obj) is Traced:
            return obj
        out = original(unwrap(obj), *args, **kwargs)
        if copies and type(out) is np.ndarray and out.dtype.kind == "f" and _from_user():
            return out.view(Buffer)
        return out
    return make


def _list_reader(original):
    """`original` (np.mean, np.sum...) reading a list of traced values as their stack, as numpy reads a
    list as an array (numpy's dispatch looks only at the arguments themselves, not into lists)."""
    @functools.wraps(original)
    def read(*args, **kwargs):
        return original(*[traced_array(a) if type(a) in (list, tuple) else a for a in args], **kwargs)
    return read


class _Concatenator:
    """np.r_ / np.c_: with traced items, their concatenation (slices and numbers as numpy reads them)."""

    def __init__(self, original, columns):
        self.original = original
        self.columns = columns

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(_holds_traced(v) for v in items) or any(isinstance(v, str) for v in items):
            return self.original[tuple(unwrap(v) for v in items) if isinstance(key, tuple) else unwrap(key)]
        parts = []
        for v in items:
            v = self.original[v] if type(v) is slice else traced_array(unwrap(v))
            if np.ndim(v) == 0:
                v = ops.reshape(v, (1,))
            if self.columns and np.ndim(v) == 1:
                v = ops.reshape(v, (-1, 1))
            parts.append(v)
        return ops.concatenate(*parts, axis=-1 if self.columns else 0)

    def __len__(self):
        return 0


_MAKERS = ("zeros", "empty", "ones", "full", "zeros_like", "empty_like", "ones_like", "full_like", "copy")
_LIST_READERS = ("sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "average", "median",
                 "cumsum", "cumprod", "dot", "outer", "inner", "tensordot", "transpose", "reshape", "ravel",
                 "diff", "clip", "sort", "append", "vdot", "trace", "diag", "atleast_1d", "atleast_2d")
_patches = None   # (numpy's own functions, our stand-ins), made once: swapping them is then cheap
_depth = 0


def _stand_ins():
    global _patches
    if _patches is None:
        own = {name: getattr(np, name) for name in _MAKERS + _LIST_READERS + ("array", "asarray", "r_", "c_")}
        ours = {name: _maker(own[name]) for name in _MAKERS}
        ours.update((name, _list_reader(own[name])) for name in _LIST_READERS)
        ours.update(array=_array_maker(own["array"], copies=True), asarray=_array_maker(own["asarray"], copies=False),
                    r_=_Concatenator(own["r_"], columns=False), c_=_Concatenator(own["c_"], columns=True))
        _patches = (own, ours, np.linalg.norm, _list_reader(np.linalg.norm))
    return _patches


def stand_in(fun):
    """Our stand-in for numpy's own `fun` (np.sum, np.append...) when `fun` itself is what is traced:
    the function object was taken before the trace swapped the stand-ins in, as in grad(np.sum)."""
    own, ours, own_norm, our_norm = _stand_ins()
    if fun is own_norm:
        return our_norm
    name = getattr(fun, "__name__", None)
    return ours[name] if name in own and own[name] is fun else fun


@contextlib.contextmanager
def making_buffers():
    """Hand the traced function Buffers from numpy's array makers while it runs (nested traces share it)."""
    global _depth
    own, ours, own_norm, our_norm = _stand_ins()
    if _depth == 0:
        for name, value in ours.items():
            setattr(np, name, value)
        np.linalg.norm = our_norm
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for name, value in own.items():
                setattr(np, name, value)
            np.linalg.norm = own_norm
