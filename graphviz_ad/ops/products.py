"""Products of arrays: matmul, dot, tensordot, inner, outer, vdot, einsum (numpy.linalg is in
linalg.py).
"""

import numpy as np

from .core import implements, no_out, primitive, unbroadcast
from .elementwise import multiply

# ---------------------------------------------------------------------------------------------------
# Linear algebra.

def _matmul_vjp(argnum, g, ans, a, b):
    a, b = np.asarray(a), np.asarray(b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g)
    if b.ndim == 1:
        g2 = g2[..., None]
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if argnum == 0:
        return unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2).reshape(a.shape)
    return unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2).reshape(b.shape)


@primitive("matmul", vjp_argnum=_matmul_vjp, formula=("{y}.T", "{x}.T"), display="@",
           expr="{x} @ {y}", prec=2, ufunc=np.matmul)
def matmul(a, b):
    return np.matmul(a, b)


def _tensordot_axes(a, b, axes):
    if isinstance(axes, (int, np.integer)):
        return list(range(np.ndim(a) - axes, np.ndim(a))), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return [i % np.ndim(a) for i in a_axes], [i % np.ndim(b) for i in b_axes]


def _tensordot_vjp(argnum, g, ans, a, b, axes=2):
    a_axes, b_axes = _tensordot_axes(a, b, axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    n_free = len(a_free)
    if argnum == 0:
        r = np.tensordot(g, b, axes=(list(range(n_free, np.ndim(g))), b_free))
        labels = a_free + [a_axes[b_axes.index(i)] for i in sorted(b_axes)]
    else:
        r = np.tensordot(a, g, axes=(a_free, list(range(n_free))))
        labels = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return np.transpose(r, np.argsort(labels)) if np.ndim(r) else r


@primitive("tensordot", vjp_argnum=_tensordot_vjp, formula=("{y}", "{x}"), expr="tensordot({x}, {y})")
def tensordot(a, b, axes=2):
    return np.tensordot(a, b, axes=axes)


@implements(np.tensordot)
def _np_tensordot(a, b, axes=2):
    return tensordot(a, b, axes=axes) if not (np.ndim(axes) == 0 and axes == 2) else tensordot(a, b)


def _dot_vjp(argnum, g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * (b if argnum == 0 else a), a if argnum == 0 else b)
    axes = ([np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)])
    return _tensordot_vjp(argnum, g, ans, a, b, axes)


@primitive("dot", vjp_argnum=_dot_vjp, formula=("{y}.T", "{x}.T"), display="dot", expr="dot({x}, {y})")
def dot(a, b):
    return np.dot(a, b)


@implements(np.dot)
def _np_dot(a, b, out=None):
    no_out("dot", out, {})
    return dot(a, b)


@implements(np.matmul)
def _np_matmul(a, b, out=None, **kw):
    no_out("matmul", out, kw)
    return matmul(a, b)


implements(np.vdot)(lambda a, b: dot(np.reshape(a, (-1,)), np.reshape(b, (-1,))))


@implements(np.inner)
def _np_inner(a, b):
    return tensordot(a, b, ([-1], [-1])) if np.ndim(a) and np.ndim(b) else multiply(a, b)


@primitive("outer", vjp=(lambda g, ans, a, b: np.reshape(g @ np.ravel(b), np.shape(a)),
                         lambda g, ans, a, b: np.reshape(np.ravel(a) @ g, np.shape(b))),
           formula=("{y}", "{x}"), expr="outer({x}, {y})")
def outer(a, b):
    return np.outer(a, b)


implements(np.outer)(lambda a, b, out=None: outer(a, b))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_parse(subscripts, operands):
    """Explicit subscripts: '...' spelled out in unused letters, and the output written down."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, out = subscripts.partition("->")
    ins = inputs.split(",")
    free = [c for c in _LETTERS if c not in subscripts]
    n_ell = max([np.ndim(op) - len(s.replace("...", "")) for s, op in zip(ins, operands) if "..." in s],
                default=0)
    ell = "".join(free[:n_ell])
    ins = [s.replace("...", ell[n_ell - (np.ndim(op) - len(s.replace("...", ""))):])
           for s, op in zip(ins, operands)]
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return ins, out


def _einsum_vjp(argnum, g, ans, subscripts, *operands):
    # d/d operand k: contract g with the other operands onto k's distinct letters; a letter k repeats
    # ('ii', 'lli') puts the result on that diagonal (a product with identity matrices), and a letter
    # only k has (summed away in the forward pass) is broadcast back (a product with ones).
    ins, out = _einsum_parse(subscripts, operands)
    k = argnum - 1
    target = ins[k]
    size = {}
    for s, op in zip(ins, operands):
        for c, n in zip(s, np.shape(op)):
            size[c] = max(size.get(c, 1), n)
    spare = iter(c for c in _LETTERS if c not in "".join(ins) + out)
    terms, arrays, written = [out], [g], []
    for i, (s, op) in enumerate(zip(ins, operands)):
        if i != k:
            terms.append(s)
            arrays.append(op)
    seen = set()
    for c in target:
        if c in seen:                      # a repeated letter: a fresh letter tied to c by an identity
            d = next(spare)
            terms.append(c + d)
            arrays.append(np.eye(size[c]))
            written.append(d)
            continue
        seen.add(c)
        if not any(c in t for t in terms):  # only k has it: broadcast
            terms.append(c)
            arrays.append(np.ones(size[c]))
        written.append(c)
    r = np.einsum(",".join(terms) + "->" + "".join(written), *arrays)
    shape = np.shape(operands[k])
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and r.shape[i] != 1)
    r = np.sum(r, axis=axes, keepdims=True) if axes else r
    return r if r.shape == shape else np.broadcast_to(r, shape)


@primitive("einsum", vjp_argnum=_einsum_vjp, formula=lambda s, *ops: f"einsum {s}",
           expr="einsum({y}, {z})")
def einsum_(subscripts, *operands):
    return np.einsum(subscripts, *operands)


@implements(np.einsum)
def _np_einsum(*operands, out=None, optimize=False, **kw):
    no_out("einsum", out, kw)
    if isinstance(operands[0], str):
        return einsum_(*operands)
    # The sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]): the same call written as a string.
    out_list = operands[-1] if len(operands) % 2 else None
    arrays, lists = operands[0:len(operands) - 1:2] if out_list is not None else operands[0::2], operands[1::2]

    def text(sub):
        return "".join("..." if v is Ellipsis else _LETTERS[v] for v in sub)
    subscripts = ",".join(text(s) for s in lists) + ("" if out_list is None else "->" + text(out_list))
    return einsum_(subscripts, *arrays)


