"""Tape -> networkx graph: the contract's nodes and edges (docs/graph-contract.md), built once per trace.

The tape, the reverse pass's gradients, flows and derivatives, and the nodes' names (naming.py) come
in; a Graph with plain attributes goes out. Only the output's ancestors and the arguments are kept,
renumbered in trace order.
"""

import functools
import linecache
import os

import numpy as np

from .arguments import float_dtype
from .autodiff import vjp_of_ones
from .graph import Graph
from .naming import edge_formula, node_names, operand_name


def build_graph(tape, backward_pass, output, leaves):
    """The contract's graph of `tape`; `backward_pass` is autodiff.backward's (grads, flows, derivs)."""
    grads, flows, derivs = backward_pass
    entries = tape.entries
    keep = kept_nodes(entries, output, leaves)
    new_id = {}
    for i, k in enumerate(keep):
        if k:
            new_id[i] = len(new_id)

    names = node_names(tape)
    text = _SourceText()
    _node_value = _GraphArrays(tape, leaves)
    sites = tape.sites
    nodes, edges = [], []
    for i, j in new_id.items():
        entry = entries[i]
        prim, value, parents, requires = entry.prim, entry.value, entry.parents, entry.requires_grad
        g = grads[i]
        if requires and g is None:
            g = np.zeros(np.shape(value), dtype=float_dtype(value))
        filename, lineno, scope, frames = sites[i] if sites else ("", 0, (), ())
        nodes.append((j, {
            "op": prim.name if prim is not None else ("input" if requires else "const"),
            "name": names[i], "display": prim.display if prim is not None else names[i],
            "value": _node_value(value), "grad": _node_value(g) if requires else None,
            "shape": tuple(np.shape(value)), "dtype": _dtype_name(value), "requires_grad": bool(requires),
            "source": text.where(filename, lineno), "code": text.line(filename, lineno), "scope": scope,
            "scope_calls": tuple(frame[0] for frame in frames),
            "params": _params(entry.args, entry.kwargs, parents)}))
        if prim is None:
            continue
        if len(parents) == 1:
            by_parent = {parents[0]: [0]} if parents[0] is not None else {}
        else:
            by_parent = {}
            for argnum, p in enumerate(parents):
                if p is not None:
                    by_parent.setdefault(p, []).append(argnum)
        for p, argnums in by_parent.items():
            edges.append((new_id[p], j, _edge_data(tape, grads, flows, derivs, names, p, i, argnums,
                                                   _node_value)))
    G = Graph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    G.graph["inputs"] = [new_id[i] for i in leaves if i in new_id]
    G.graph["output"] = new_id[output]
    return G


def kept_nodes(entries, output, leaves):
    """Per tape entry, whether the graph keeps it: the output, the arguments, and what the output was
    computed from (one sweep back in trace order)."""
    keep = [False] * len(entries)
    keep[output] = True
    for i in leaves:
        keep[i] = True
    for node in range(output, -1, -1):
        if keep[node]:
            for p in entries[node].parents:
                if p is not None:
                    keep[p] = True
    return keep


def _params(args, kwargs, parents):
    """An op's static arguments: its keywords, and positional plain values as "arg<position>"."""
    params = {f"arg{k}": args[k] for k, p in enumerate(parents) if p is None}
    params.update(kwargs)
    return params


class _SourceText:
    """'file.py:LINE' and the line's text, looked up once per line."""

    def __init__(self):
        self._cache = {}

    def _get(self, filename, lineno):
        key = (filename, lineno)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (
                (f"{os.path.basename(filename)}:{lineno}", linecache.getline(filename, lineno).strip())
                if filename else ("", ""))
        return hit

    def where(self, filename, lineno):
        return self._get(filename, lineno)[0]

    def line(self, filename, lineno):
        return self._get(filename, lineno)[1]


_DTYPE_NAMES = {}


def _dtype_name(value):
    if type(value) is float:
        return "float64"
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.result_type(value)
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


_FORMULAS = {}


def _formula(prim, argnum, slot_names, args, kwargs):
    """prim.formula, remembered per op and operand names (a rule that reads the arguments is not)."""
    rule = prim.formulas[argnum] if prim.formulas and argnum < len(prim.formulas) else None
    if callable(rule):
        return prim.formula(argnum, slot_names, args, kwargs)
    key = (prim, argnum, *slot_names.values())
    text = _FORMULAS.get(key)
    if text is None:
        text = prim.formula(argnum, slot_names, args, kwargs)
        if len(_FORMULAS) < 100_000:
            _FORMULAS[key] = text
    return text


def _edge_data(tape, grads, flows, derivs, names, parent, node, argnums, _node_value):
    entries = tape.entries
    entry = entries[node]
    prim, ans, args, kwargs = entry.prim, entry.value, entry.args, entry.kwargs
    slot_names = {slot: operand_name(tape, names, node, k) for k, slot in zip(range(len(entry.parents)), "xyz")}
    slot_names["ans"] = names[node]
    formula = edge_formula([_formula(prim, k, slot_names, args, kwargs) for k in argnums])
    data = {"argnum": argnums[0] if len(argnums) == 1 else tuple(argnums), "formula": formula,
            "local_factor": None, "gain": None, "grad_flow": None}
    operand = entries[parent]
    if not operand.requires_grad:
        return data
    factors = [prim.local_factor(k, ans, args, kwargs, derivs.get((parent, node, k))) for k in argnums]
    if all(f is not None for f in factors):
        data["local_factor"] = _node_value(functools.reduce(lambda a, b: a + b, factors))
    flow = flows.get((parent, node))
    u = grads[node]
    if flow is None:
        flow = np.zeros(np.shape(operand.value))
    data["grad_flow"] = _node_value(flow)
    if type(data["local_factor"]) is float and np.ndim(operand.value) == 0:
        data["gain"] = abs(data["local_factor"])
    elif u is None or not np.any(u):
        ones_flow = sum(np.asarray(vjp_of_ones(prim, k, ans, args, kwargs), dtype=float) for k in argnums)
        data["gain"] = _norm(ones_flow) / np.sqrt(max(np.size(ans), 1))
    else:
        data["gain"] = _norm(flow) / _norm(u)
    return data


def _norm(a):
    """The 2-norm, scaled by the largest element when squaring would underflow to 0 or overflow to inf
    (gradients of 1e-200 are real; their gains must not divide by zero)."""
    a = np.asarray(a, dtype=float)
    with np.errstate(all="ignore"):
        norm = float(np.sqrt(np.sum(np.square(a))))
        if 0 < norm < np.inf:
            return norm
        top = float(np.max(np.abs(a))) if a.size else 0.0
        if not 0 < top < np.inf:
            return top
        return top * float(np.sqrt(np.sum(np.square(a / top))))


class _GraphArrays:
    """A value as the graph keeps it: scalars as Python numbers, arrays read-only.

    An array the trace made itself (an op's result, a gradient, a derivative, a copied argument) is kept
    as it is, not copied: so a node's grad and its only out-edge's grad_flow are one array, and a
    constant local factor is a broadcast view. That keeps a graph near two arrays per op (value and
    gradient) instead of five. Read-only, so that sharing can never be seen. An array of the user's
    (a literal or global array lifted into a constant, a user primitive's result) or a view of one is
    copied, so the user's own arrays are never frozen or aliased.
    """

    def __init__(self, tape, leaves):
        arguments = set(leaves)
        self.users = {id(_memory_of(e.value)) for i, e in enumerate(tape.entries) if type(e.value) is np.ndarray
                      and (e.prim is None and i not in arguments or getattr(e.prim, "user", False))}

    def __call__(self, v):
        kind = type(v)
        if kind is float or v is None:
            return v
        if kind is np.float64:
            return float(v)
        if np.ndim(v) == 0:
            return float(v) if np.result_type(v).kind in "fiub" else v
        if kind is not np.ndarray:
            v = np.array(v)
        else:
            memory = _memory_of(v)
            if memory.base is not None or id(memory) in self.users:   # memory that is not the trace's own
                v = np.array(v)
        v.flags.writeable = False
        return v


def _memory_of(array):
    """The array that owns `array`'s memory (itself, or the base its view chain ends at)."""
    while type(array.base) is np.ndarray:
        array = array.base
    return array
