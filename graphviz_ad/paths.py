"""The chain rule made visible: every path from an input to the output, its factors and their product.

"Multiply along a path, add across paths": for a scalar graph the products of the local factors along
all paths from x to the output sum to d output / dx. Paths are counted by dynamic programming and the
largest are found best-first from the DP's exact best completions, so neither needs to enumerate every path;
the number of paths grows exponentially with depth in a network.
"""

import functools
import heapq
import itertools
import math
from dataclasses import dataclass

import numpy as np

from .diagnose import check_graph, count_paths, extreme_paths, short_number, topological_order
from .json_values import json_data
from .errors import GraphvizAdError
from .ops.core import unbroadcast
from .summary import Summary


@dataclass(frozen=True)
class Path:
    """One path from the input to the output.

    Attributes:
        nodes: node ids from the input to the output.
        factors: the edges' `local_factor`s in the same order (float, elementwise array, or None).
        formulas: the edges' `formula`s.
        product: the product of the factors times the output's seed, in the input's shape: this path's
            term of the gradient. None when a factor is not elementwise (matmul, reductions, indexing).
    """

    nodes: tuple
    factors: tuple
    formulas: tuple
    product: object

    @property
    def edges(self):
        return tuple(zip(self.nodes[:-1], self.nodes[1:]))


@dataclass(frozen=True)
class Paths:
    """What `paths` found. `str()` prints it as a worked chain rule.

    Attributes:
        wrt / node: the input's name and node id.
        count: the number of paths from the input to the output (exact).
        paths: the listed paths, largest |product| first (all of them when count <= limit).
        gradient: the input's `grad`, which the products add up to.
        names: node id -> name, for printing.
        note: why some products are unknown, or "".
    """

    wrt: str
    node: int
    count: int
    paths: list
    gradient: object
    names: dict
    note: str = ""

    @property
    def complete(self):
        """True when every path is listed."""
        return len(self.paths) == self.count

    @property
    def total(self):
        """The sum of the listed paths' products (None if any is unknown): the gradient when complete."""
        if any(p.product is None for p in self.paths):
            return None
        return sum((p.product for p in self.paths), start=0.0 * np.asarray(self.gradient, dtype=float))

    def to_dict(self):
        """Plain JSON-ready data."""
        count = self.count if self.count < 2**63 else _count_text(self.count)
        return json_data({"wrt": self.wrt, "node": self.node, "count": count, "complete": self.complete,
                       "gradient": self.gradient, "total": self.total, "note": self.note,
                       "paths": [{"nodes": list(p.nodes), "names": [self.names[n] for n in p.nodes],
                                  "formulas": list(p.formulas), "factors": list(p.factors),
                                  "product": p.product} for p in self.paths]})

    def __str__(self):
        head = (f"d out/d {self.wrt}: {_count_text(self.count)} path{'s' * (self.count != 1)}, "
                f"gradient {_show(self.gradient)}")
        lines = [head]
        for k, p in enumerate(self.paths, 1):
            lines.append(f"  {k}. " + " -> ".join(self.names[n] for n in p.nodes))
            terms = " * ".join(f"[{f or '?'}] {_show(x)}" for f, x in zip(p.formulas, p.factors))
            lines.append(f"     {terms} = {_show(p.product)}")
        if self.count == 0:
            lines.append("  the output does not depend on it")
        elif not self.complete:
            lines.append(f"  ... {_count_text(self.count - len(self.paths))} smaller paths not listed")
        total = self.total
        if total is not None and self.paths:
            label = "sum over all paths" if self.complete else "sum over the listed paths"
            lines.append(f"  {label}: {_show(total)}" + (" (= the gradient)" if self.complete else ""))
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def paths(G, wrt=None, limit=20):
    """Every path from input `wrt` to the output, with its local factors and their product.

    Args:
        G: a graph from `graphviz_ad.trace`.
        wrt: the input's name or node id; may be omitted when the graph has one input.
        limit: list at most this many paths, the largest |product| first (ranked by the product of the
            edges' gains, which is |product| for scalar graphs); paths through a NaN gain come first,
            then those through an Inf. The count is always exact.

    Returns:
        Paths: the count, the listed paths and the gradient they add up to.

    Raises:
        GraphvizAdError: `wrt` names no input, or `limit` is not a positive integer.

    Example:
        >>> import numpy as np, graphviz_ad as ga
        >>> G = ga.trace(lambda x: np.sin(x)**2 + np.cos(x)**2, 0.7)
        >>> p = paths(G, "x")
        >>> p.count, round(float(p.total), 12)
        (2, 0.0)
    """
    check_graph(G)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise GraphvizAdError(f"paths: limit must be a positive integer, got {limit!r}")
    node = _input_node(G, wrt)
    order = topological_order(G)
    count = count_paths(G, node, order)
    best, nxt = extreme_paths(G, order, weakest=False, step=_rank_step)
    found = _largest(G, node, best, nxt, limit) if count else []
    seed = G.graph.get("seed", 1.0)
    x_value = G.nodes[node]["value"]
    listed, unknown = [], set()
    for nodes in found:
        factors = tuple(_factor(G, u, v) for u, v in zip(nodes[:-1], nodes[1:]))
        formulas = tuple(G._succ[u][v].get("formula", "") for u, v in zip(nodes[:-1], nodes[1:]))
        product = None
        if all(f is not None for f in factors):
            with np.errstate(over="ignore", under="ignore"):
                product = _in_shape_of(functools.reduce(np.multiply, factors, seed), x_value)
        else:
            unknown.update(G.nodes[v]["op"] for v, f in zip(nodes[1:], factors) if f is None)
        listed.append(Path(tuple(nodes), factors, formulas, product))
    note = ""
    if unknown:
        note = (f"the local factor of {', '.join(sorted(unknown))} is not a number or an elementwise array "
                "(its Jacobian is a matrix), so a path through it has no product of factors; the edge's "
                "grad_flow still shows what it carries. Paths add up as products for scalar and "
                "elementwise graphs.")
    names = {n: G.nodes[n].get("name", str(n)) for p in listed for n in p.nodes}
    names[node] = G.nodes[node].get("name", str(node))
    return Paths(names[node], node, count, listed, G.nodes[node].get("grad"), names, note)


def _input_node(G, wrt):
    inputs = [n for n in G.graph.get("inputs", ()) if G.nodes[n].get("op") == "input"]
    names = [G.nodes[n]["name"] for n in inputs]
    if wrt is None:
        if len(inputs) != 1:
            raise GraphvizAdError(f"paths: the graph has inputs {names}; say which with wrt=")
        return inputs[0]
    for n in inputs:
        if wrt == n and not isinstance(wrt, str) or G.nodes[n]["name"] == wrt:
            return n
    raise GraphvizAdError(f"paths: wrt={wrt!r} is not a differentiated input; the inputs are {names}")


def _largest(G, source, best, nxt, limit):
    """The `limit` paths source -> output with the largest product of gains, best first.

    Best-first search over partial paths whose best completion is known exactly from the DP (`best`,
    the largest log-product from a node to the output, and `nxt`, the next node on it). A popped
    partial path is completed along `nxt`, and every edge passed up on the way is pushed as a
    deviation with its exact best total; so the k-th completed path is the k-th largest, after
    O(path length x out-degree) work per path. Partial paths are linked lists: a push is O(1).
    """
    out = G.graph["output"]
    if source not in best:
        return []
    tie = itertools.count()
    heap = [(0.0, next(tie), 0.0, (source, None))]
    found = []
    succ = G._succ
    while heap and len(found) < limit:
        _, _, acc, link = heapq.heappop(heap)
        n = link[0]
        while n != out:
            follow, follow_step = nxt[n], 0.0
            for s, d in succ[n].items():
                rest = best.get(s)
                step = _rank_step(d.get("gain")) if rest is not None else None
                if step is None:
                    continue
                if s == follow:
                    follow_step = step
                else:
                    heapq.heappush(heap, (-(acc + step + rest), next(tie), acc + step, (s, link)))
            acc += follow_step
            link = (follow, link)
            n = follow
        nodes = []
        while link is not None:
            nodes.append(link[0])
            link = link[1]
        found.append(nodes[::-1])
    return found


# Ranking terms for gains that have no finite logarithm. They dwarf any sum of finite logs (|log| <= 745
# per edge), so a path through a NaN comes first: it is the path a debugger is looking for. Then Inf, and
# a zero gain last; all are finite, so sums never turn NaN and the heap stays ordered.
_NAN_STEP, _INF_STEP, _ZERO_STEP = 1e12, 1e9, -1e9


def _rank_step(gain):
    """An edge's term of a path's ranking: log(gain), with NaN, Inf and 0 placed as above."""
    if gain is None:
        return None
    if gain != gain:
        return _NAN_STEP
    if gain == math.inf:
        return _INF_STEP
    return math.log(gain) if gain > 0 else _ZERO_STEP


def _factor(G, u, v):
    """The edge's local factor; a full sum or mean to a scalar counts as elementwise (1 or 1/N each)."""
    factor = G._succ[u][v].get("local_factor")
    if isinstance(factor, Summary):   # too large to keep whole: no product of factors through it
        return None
    if factor is not None:
        return factor
    op, shape = G.nodes[v].get("op"), G.nodes[v].get("shape")
    if op in ("sum", "mean") and shape == () and G.nodes[u].get("grad") is not None:
        size = int(np.prod(G.nodes[u]["shape"]))
        return np.full(G.nodes[u]["shape"], 1.0 if op == "sum" else 1.0 / max(size, 1))
    return factor


def _in_shape_of(product, like):
    """The path's term in the input's shape: summed over the axes broadcasting added."""
    product = unbroadcast(np.asarray(product, dtype=float), np.asarray(like))
    return float(product) if np.ndim(like) == 0 else product


def _count_text(n):
    """Exact below 10^15; beyond, the order of magnitude (Python will not print huge ints by default)."""
    return str(n) if n < 10**15 else f"about 10^{math.log10(n):.1f}"


def _show(x):
    if x is None:
        return "?"
    if np.ndim(x) == 0:
        return short_number(float(x))
    a = np.asarray(x, dtype=float)
    if a.size <= 4:
        return "[" + ", ".join(short_number(float(v)) for v in a.ravel()) + "]"
    return f"array{list(a.shape)} (norm {short_number(float(np.linalg.norm(a)))})"
