"""The debugger: where gradients vanish, explode, saturate, die or turn non-finite, read off a traced graph.

Everything here reads only the plain attributes of docs/graph-contract.md and never re-runs the
function. Node ids are in trace order, which is a topological order, so every pass is one loop over
the nodes (forwards for values, backwards for gradients): O(nodes + edges), no path enumeration.
"""

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from . import finding_kinds
from .errors import GraphvizAdError
from .json_values import json_data
from .summary import Summary

# op -> the largest value its derivative takes; a local factor below `saturation` times that is "saturated".
SATURATING = {"sigmoid": 0.25, "tanh": 1.0}

# Severity of each kind of finding and the renderer mark it puts on the graph: see finding_kinds.KINDS.
LEVELS, MARKS = finding_kinds.LEVELS, finding_kinds.MARKS


@dataclass(frozen=True)
class Finding:
    """One problem (or, for kind "weakest_path", one fact) found on the graph.

    Attributes:
        kind: one of `finding_kinds.KINDS`: "nan", "vanishing", "exploding", "saturated", "dead",
            "weakest_path" or "wrong_derivative".
        message: one line saying what was measured and why it matters.
        nodes / edges: the node ids and (operand, result) edges it concerns, first the most telling.
        source / code: the user's "file.py:LINE" and the text of that line.
        figures: the measured numbers (plain floats and ints), e.g. {"grad_rms": 1e-12}.
    """

    kind: str
    message: str
    nodes: tuple = ()
    edges: tuple = ()
    source: str = ""
    code: str = ""
    figures: dict = field(default_factory=dict)

    @property
    def level(self):
        """"error", "warning" or "info"."""
        return LEVELS[self.kind]

    @property
    def mark(self):
        """The renderer's mark name for this finding (see docs/rendering.md)."""
        return MARKS[self.kind]

    def to_dict(self):
        """Plain JSON-ready data."""
        return {"kind": self.kind, "level": self.level, "message": self.message,
                "nodes": list(self.nodes), "edges": [list(e) for e in self.edges],
                "source": self.source, "code": self.code, "figures": json_data(self.figures)}


class Report:
    """What `diagnose` found. Pass it to `render(G, highlight=report)` to see it on the graph.

    Attributes:
        findings: list of Finding, errors first, then warnings, then info, each in graph order.
        flow: the per-scope gradient table, a list of dicts (see `gradient_flow`).
        nodes: node id -> mark name, for the renderer.
        edges: (operand, result) -> mark name, for the renderer.
    """

    def __init__(self, graph, findings, flow=()):
        self.graph = graph
        self.findings = sorted(findings, key=lambda f: finding_kinds.SEVERITIES.index(f.level))
        self.flow = list(flow)

    @property
    def nodes(self):
        marks = {}
        for f in self._marked():
            for n in f.nodes:
                marks[n] = finding_kinds.stronger_mark(marks.get(n), f.mark)
        return marks

    @property
    def edges(self):
        marks = {}
        for f in self._marked():
            for e in f.edges:
                marks[tuple(e)] = finding_kinds.stronger_mark(marks.get(tuple(e)), f.mark)
        return marks

    def _marked(self):
        # Only the weakest of the weakest paths is drawn: one path reads, a union of them does not.
        paths = [f for f in self.findings if f.kind == "weakest_path"]
        weakest = min(paths, key=lambda f: f.figures["log10_product"], default=None)
        return [f for f in self.findings if f.kind != "weakest_path" or f is weakest]

    def of_kind(self, *kinds):
        """The findings of the given kinds."""
        return [f for f in self.findings if f.kind in kinds]

    @property
    def problems(self):
        """The findings that are errors or warnings (not "info")."""
        return [f for f in self.findings if f.level != "info"]

    def __iter__(self):
        return iter(self.findings)

    def __len__(self):
        return len(self.findings)

    def to_dict(self):
        """Plain JSON-ready data: the findings and the gradient-flow table."""
        return {"function": self.graph.graph.get("function", ""),
                "findings": [f.to_dict() for f in self.findings], "gradient_flow": json_data(self.flow)}

    def table(self):
        """The findings and the gradient-flow table as aligned text."""
        lines = []
        if self.findings:
            rows = [(f.level, f.kind, f.source or "-", f.message) for f in self.findings]
            lines += table_lines(("level", "kind", "where", "finding"), rows)
        else:
            lines.append("no findings")
        if self.flow:
            lines.append("")
            lines.append("gradient flow by scope:")
            rows = [(r["scope"], r["tensor"], str(r["size"]), short_number(r["grad_rms"]), short_number(r["grad_max"]),
                     short_number(r["grad_to_value"])) for r in self.flow]
            lines += table_lines(("scope", "tensor", "size", "grad rms", "grad max", "grad/value"), rows)
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def _repr_html_(self):
        """Jupyter display: the findings as a table whose nodes select themselves in the drawings shown."""
        from .notebook import report_html

        return report_html(self, number=short_number)

    def __repr__(self):
        counts = {}
        for f in self.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        return f"<Report {counts}>"


def diagnose(G, *, vanishing=1e-6, exploding=1e6, vanishing_relative=1e-6, exploding_relative=1e9,
             saturation=0.01, saturated_fraction=0.5, dead_fraction=0.5, max_origins=10):
    """Find where the gradients of a traced graph vanish, explode, saturate, die or turn NaN/Inf.

    A gradient at an input is "vanishing" when its RMS is below `vanishing` *and* below
    `vanishing_relative` times the output's RMS, and is not just strong paths cancelling (as in
    d/dx of sin(x)^2 + cos(x)^2): a converged loss has tiny gradients for a good reason. It is
    "exploding" when its RMS is above `exploding` *or* above `exploding_relative` times the output's
    RMS: an update of that size wrecks a parameter whatever the loss's scale, and a bounded output
    that is that sensitive is exploding too.

    Args:
        G: a graph from `graphviz_ad.trace`.
        vanishing, exploding: absolute thresholds on an input's gradient RMS.
        vanishing_relative, exploding_relative: the same, relative to the output's RMS (None: off).
        saturation: a sigmoid/tanh element is saturated when its local factor is below this fraction of
            the derivative's peak (0.01: |x| > 3 for tanh, |x| > 6 for sigmoid).
        saturated_fraction: report a sigmoid/tanh node when at least this fraction of it is saturated.
        dead_fraction: report a ReLU with at least this fraction of dead units (columns of a batch that
            are zero for every row); a single vector is reported only when all of it is zero, since one
            sample cannot tell a dead unit from one that is merely off.
        max_origins: at most this many NaN/Inf origins are reported per pass (values, gradients).

    Returns:
        Report: the findings, the per-scope gradient table, and the marks for `render(highlight=...)`.

    Raises:
        GraphvizAdError: `G` is not a traced graph, or a threshold is not a positive number.
    """
    check_graph(G)
    for name, v in [("vanishing", vanishing), ("exploding", exploding), ("saturation", saturation),
                    ("saturated_fraction", saturated_fraction), ("dead_fraction", dead_fraction),
                    ("vanishing_relative", vanishing_relative), ("exploding_relative", exploding_relative)]:
        if v is not None and not (isinstance(v, (int, float)) and v > 0):
            raise GraphvizAdError(f"diagnose: {name} must be a positive number, got {v!r}")
    order = topological_order(G)
    findings = []
    with np.errstate(all="ignore"):   # huge and non-finite values are what is being looked for
        findings += nan_origins(G, order, max_origins)
        findings += _gradient_sizes(G, order, vanishing, exploding, vanishing_relative, exploding_relative)
        findings += weakest_paths(G, order)
        findings += _saturated(G, saturation, saturated_fraction)
        findings += _dead(G, dead_fraction)
        return Report(G, findings, gradient_flow(G))


# ---------------------------------------------------------------------------------------------------
# Order and dynamic programming over the DAG.

def topological_order(G):
    """The nodes in topological order: trace order (the node ids) when every edge runs forwards."""
    nodes = sorted(G.nodes)
    if all(u < v for u, v in G.edges):
        return nodes
    return list(nx.topological_sort(G))


def log_gain(gain):
    """An edge's gain in log space for path products: None (no gradient, or NaN) is left out; 0 is -inf."""
    if gain is None or gain != gain:
        return None
    return math.log(gain) if gain > 0 else -math.inf


def extreme_paths(G, order=None, weakest=True, step=log_gain):
    """Best product of edge gains from every node to the output, by DP in log space.

    Args:
        step: an edge's gain -> its term of the log-product, or None to leave the edge out.

    Returns:
        (best, nxt): `best[n]` is log(product of gains) of the weakest (or strongest) path from n to the
        output (-inf when a gain is 0); `nxt[n]` is the next node on it. Nodes with no path are absent.
    """
    order = topological_order(G) if order is None else order
    out = G.graph["output"]
    best = {out: 0.0}
    nxt = {}
    succ = G._succ
    for n in reversed(order):
        if n in best:
            continue
        b = arg = None
        for s, d in succ[n].items():
            rest = best.get(s)
            term = step(d.get("gain")) if rest is not None else None
            if term is None:   # unreachable, no gradient, or left out
                continue
            val = term + rest
            if b is None or (val < b if weakest else val > b):
                b, arg = val, s
        if b is not None:
            best[n] = b
            nxt[n] = arg
    return best, nxt


def weakest_paths(G, order=None):
    """One "weakest_path" finding per input: its weakest path to the output and the edge losing most."""
    best, nxt = extreme_paths(G, order, weakest=True)
    findings = []
    for i in _inputs(G):
        if i not in best or i == G.graph["output"]:
            continue
        path = [i]
        while path[-1] in nxt:
            path.append(nxt[path[-1]])
        edges = list(zip(path[:-1], path[1:]))
        u, v = min(edges, key=lambda e: G.edges[e]["gain"])
        gain = G.edges[u, v]["gain"]
        log10 = best[i] / math.log(10)
        product = 0.0 if log10 < -320 else math.inf if log10 > 308 else 10 ** log10
        vd = G.nodes[v]
        findings.append(Finding(
            "weakest_path",
            f"weakest path from {_name(G, i)} to the output: {len(edges)} edges, product of gains "
            f"{short_number(product) if 0 < product < math.inf else '10^' + format(log10, '.1f')}; "
            f"{'it loses most' if gain < 1 else 'its smallest gain is'} at {vd['name']} ({vd['op']}, "
            f"gain {short_number(gain)})",
            nodes=tuple(path), edges=tuple(edges), source=vd.get("source", ""), code=vd.get("code", ""),
            figures={"input": _name(G, i), "product": product,
                     "log10_product": log10, "length": len(edges), "lossiest_edge": [u, v],
                     "lossiest_gain": gain}))
    return findings


def count_paths(G, source, order=None):
    """The number of paths from `source` to the output (an exact Python int), by DP.

    Counts grow exponentially with depth, so a count is dropped as soon as every predecessor of its
    node has used it: memory stays proportional to the graph's width, not its size.
    """
    order = topological_order(G) if order is None else order
    out = G.graph["output"]
    count = {out: 1}
    waiting = {}   # node -> predecessors that have not read its count yet
    succ, pred = G._succ, G._pred
    for n in reversed(order):
        if n != out:
            total = 0
            for s in succ[n]:
                c = count.get(s)
                if c is None:
                    continue
                total += c
                left = waiting.get(s, len(pred[s])) - 1
                if left:
                    waiting[s] = left
                else:
                    del count[s]
                    waiting.pop(s, None)
            if total:
                count[n] = total
        if n == source:
            break
    return count.get(source, 0)


# ---------------------------------------------------------------------------------------------------
# NaN / Inf origins.

def nan_origins(G, order=None, limit=10):
    """Where NaN/Inf start, forwards for values and backwards for gradients.

    A value origin is a node whose value is non-finite while all its operands' values are finite: the
    op that produced it is to blame (log of a negative, 0/0, exp overflow). A gradient runs against the
    edges, so its origin is an edge operand -> result whose `grad_flow` is non-finite while the result's
    `grad` is finite: the result's local derivative turned a finite gradient non-finite (sqrt'(0),
    log'(0), inf * 0). Its node is the result, the op whose derivative rule is to blame.
    """
    order = topological_order(G) if order is None else order
    findings = []
    pred, succ, nodes = G._pred, G._succ, G.nodes
    for n in order:
        v = nodes[n].get("value")
        if _finite(v) or not all(_finite(nodes[p].get("value")) for p in pred[n]):
            continue
        d = nodes[n]
        operands = ", ".join(f"{nodes[p]['name']}={_brief(nodes[p]['value'])}" for p in pred[n])
        why = f" from finite operands ({operands})" if operands else " (an argument)"
        counts = _counts(v)
        share = f" ({counts['nan'] + counts['inf']} of {counts['elements']} elements)" if np.ndim(v) else ""
        findings.append(Finding(
            "nan", f"{d['op']} makes the first {_bad(v)}: {d['name']}{share}{why}",
            nodes=(n,), edges=tuple((p, n) for p in pred[n]), source=d.get("source", ""),
            code=d.get("code", ""), figures={"in": "value", "op": d["op"], **counts}))
        if len(findings) >= limit:
            break
    seeded = len(findings)
    out = G.graph["output"]
    if not _finite(nodes[out].get("grad")) and _finite(nodes[out].get("value")):
        d = nodes[out]
        findings.append(Finding("nan", f"the seed given to the output {d['name']} is {_bad(d['grad'])}",
                                nodes=(out,), source=d.get("source", ""), code=d.get("code", ""),
                                figures={"in": "grad", "op": d["op"], **_counts(d["grad"])}))
    for n in reversed(order):
        if len(findings) - seeded >= limit:
            break
        d = nodes[n]
        if not _finite(d.get("grad")):
            flows = [e.get("grad_flow") for e in succ[n].values()]
            if n != out and flows and all(_finite(f) for f in flows):   # finite terms, non-finite sum
                findings.append(Finding(
                    "nan", f"the gradient at {d['name']} is {_bad(d['grad'])} although every term flowing "
                    f"into it is finite: their sum overflows", nodes=(n,), source=d.get("source", ""),
                    code=d.get("code", ""), figures={"in": "grad", "op": d["op"], **_counts(d["grad"])}))
            continue
        for p, e in pred[n].items():
            flow = e.get("grad_flow")
            if flow is None or _finite(flow):
                continue
            note = "" if _finite(d.get("value")) else " (its value is already non-finite, see above)"
            findings.append(Finding(
                "nan", f"the gradient turns {_bad(flow)} through {d['op']} ({e.get('formula') or 'VJP'}): "
                f"finite at {d['name']}, {_bad(flow)} into {nodes[p]['name']}{note}",
                nodes=(n,), edges=((p, n),), source=d.get("source", ""), code=d.get("code", ""),
                figures={"in": "grad", "op": d["op"], **_counts(flow)}))
    return findings


# ---------------------------------------------------------------------------------------------------
# Vanishing and exploding gradients at the inputs.

def _gradient_sizes(G, order, vanishing, exploding, vanishing_relative, exploding_relative):
    out = G.graph["output"]
    out_rms = _rms(G.nodes[out].get("value"))
    seed_rms = _rms(G.graph.get("seed", 1.0))
    strongest, _ = extreme_paths(G, order, weakest=False)
    findings = []
    for i in _inputs(G):
        d = G.nodes[i]
        g = d.get("grad")
        if g is None or i == out or not _finite(g) or i not in strongest:
            continue
        g_rms = _rms(g)
        strong = math.exp(min(strongest[i], 709.0)) * seed_rms
        figures = {"grad_rms": g_rms, "grad_max": _max_abs(g), "output_rms": out_rms,
                   "strongest_path": strong}
        relative = g_rms / out_rms if out_rms > 0 and math.isfinite(out_rms) else None
        if relative is not None:
            figures["grad_to_output"] = relative
        small = g_rms < vanishing and (vanishing_relative is None or relative is None
                                       or relative < vanishing_relative)
        if small and strong < vanishing:
            findings.append(Finding(
                "vanishing", f"gradient at {d['name']} has RMS {short_number(g_rms)} (threshold {short_number(vanishing)}); "
                f"even its strongest path to the output carries only {short_number(strong)}",
                nodes=(i,), source=d.get("source", ""), code=d.get("code", ""), figures=figures))
        large = g_rms > exploding or (exploding_relative is not None and relative is not None
                                      and relative > exploding_relative)
        if large:
            findings.append(Finding(
                "exploding", f"gradient at {d['name']} has RMS {short_number(g_rms)} (threshold {short_number(exploding)})"
                + (f", {short_number(relative)} times the output's size" if relative is not None else ""),
                nodes=(i,), source=d.get("source", ""), code=d.get("code", ""), figures=figures))
    return findings


# ---------------------------------------------------------------------------------------------------
# Saturated sigmoid / tanh and dead ReLUs, from the local factor on the edge into them.

def _saturated(G, saturation, fraction, saturating=SATURATING):
    findings = []
    for n, d in G.nodes(data=True):
        peak = saturating.get(d.get("op"))
        edge = _operand_edge(G, n) if peak is not None else None
        if edge is None:
            continue
        factor = G.edges[edge].get("local_factor")
        if factor is None or isinstance(factor, Summary):   # a summary has no elements to test
            continue
        ratio = np.abs(np.asarray(factor, dtype=float)) / peak
        sat = ratio < saturation
        share = float(np.mean(sat))
        if share < fraction:
            continue
        x = np.abs(np.asarray(G.nodes[edge[0]]["value"], dtype=float))
        if sat.size > 1:
            where = f"{int(np.sum(sat))} of its {sat.size} inputs have |x| >= {short_number(float(np.min(x[sat])))}"
        else:
            where = f"its input has |x| = {short_number(float(np.max(x)))}"
        findings.append(Finding(
            "saturated", f"{d['op']} {d['name']} is saturated: {where}, where the local factor is below "
            f"{short_number(saturation * peak)}, so almost no gradient passes",
            nodes=(n,), edges=(edge,), source=d.get("source", ""), code=d.get("code", ""),
            figures={"saturated_fraction": share, "elements": int(sat.size),
                     "min_factor": float(np.min(np.abs(factor))), "max_abs_input": float(np.max(x))}))
    return findings


def _dead(G, dead_fraction):
    findings = []
    for n, d in G.nodes(data=True):
        edge = _relu_edge(G, n)
        if edge is None:
            continue
        factor = G.edges[edge].get("local_factor")
        if factor is None or isinstance(factor, Summary):
            continue
        zero = np.asarray(factor) == 0
        if zero.ndim >= 2:
            dead_units = np.all(zero.reshape(-1, zero.shape[-1]), axis=0)
            units, dead = dead_units.size, int(np.sum(dead_units))
            fires = dead > 0 and dead / units >= dead_fraction
            what = f"{dead} of its {units} units are off for all {zero.size // units} rows"
        else:
            units, dead = zero.size, int(np.sum(zero))
            fires = dead == units
            what = f"all {units} of its inputs are <= 0" if units > 1 else "its input is <= 0"
        if not fires:
            continue
        findings.append(Finding(
            "dead", f"ReLU {d['name']} is dead: {what}, and a dead unit passes no gradient back",
            nodes=(n,), edges=(edge,), source=d.get("source", ""), code=d.get("code", ""),
            figures={"dead_units": dead, "units": units, "dead_fraction": dead / units,
                     "zero_fraction": float(np.mean(zero))}))
    return findings


def _relu_edge(G, n):
    """The edge into a ReLU (op relu, or maximum with a zero constant) from its variable operand."""
    op = G.nodes[n].get("op")
    if op == "relu":
        return _operand_edge(G, n)
    if op != "maximum" or G.in_degree(n) != 2:
        return None
    (a, _), (b, _) = G.in_edges(n)
    for const, var in ((a, b), (b, a)):
        cd = G.nodes[const]
        if cd.get("op") == "const" and np.all(np.asarray(cd.get("value")) == 0) and \
                G.nodes[var].get("grad") is not None:
            return (var, n)
    return None


def _operand_edge(G, n):
    preds = list(G.pred[n])
    return (preds[0], n) if len(preds) == 1 else None


# ---------------------------------------------------------------------------------------------------
# The per-scope gradient table.

def gradient_flow(G):
    """The "gradient flow" table: gradient sizes per parameter and per scope, in graph order.

    One row per differentiated input (a parameter, labelled with the scope of its first use), then one
    row per scope for the intermediate values computed in it. Columns: scope, tensor, size, grad_rms,
    grad_max and grad_to_value (the gradient's RMS over the value's RMS, the update-to-weight scale).
    """
    rows = []
    by_scope = {}
    for n, d in sorted(G.nodes(data=True)):
        g = d.get("grad")
        if g is None:
            continue
        if d.get("op") == "input":
            users = sorted(G.succ[n])
            scope = G.nodes[users[0]].get("scope", ()) if users else d.get("scope", ())
            rows.append(_flow_row(scope, d.get("name", str(n)), [g], [d.get("value")]))
        else:
            by_scope.setdefault(tuple(d.get("scope", ())), []).append(d)
    for scope, ds in by_scope.items():
        rows.append(_flow_row(scope, f"{len(ds)} values", [d["grad"] for d in ds], [d["value"] for d in ds]))
    return rows


def _flow_row(scope, tensor, grads, values):
    summaries = [x for x in grads + values if isinstance(x, Summary)]
    if summaries:   # big tensors kept as summaries: the same figures from their statistics
        g_size, g_sq, g_max = _moments(grads)
        v_size, v_sq, _ = _moments(values)
        g_rms = math.sqrt(g_sq / g_size) if g_size else 0.0
        v_rms = math.sqrt(v_sq / v_size) if v_size else 0.0
    else:
        g, v = _flat(grads), _flat(values)
        g_rms, v_rms, g_size, g_max = _rms(g), _rms(v), int(g.size), _max_abs(g)
    return {"scope": " > ".join(scope) or "-", "tensor": tensor, "size": int(g_size), "grad_rms": g_rms,
            "grad_max": g_max, "grad_to_value": g_rms / v_rms if v_rms > 0 else math.inf if v_rms == 0 else math.nan}


def _moments(xs):
    """(element count, sum of squares, largest |x|) over arrays, floats and summaries."""
    size, squares, largest = 0, 0.0, 0.0
    for x in xs:
        if isinstance(x, Summary):
            size, squares, largest = size + x.size, squares + x.norm ** 2, max(largest, x.max_abs)
        elif x is not None:
            a = np.asarray(x, dtype=float)
            size, squares = size + a.size, squares + float(np.sum(np.square(a)))
            largest = max(largest, float(np.max(np.abs(a)))) if a.size else largest
    return size, squares, largest


def _flat(arrays):
    """Many floats and arrays as one flat float array (scalars gathered without a numpy call each)."""
    scalars = [x for x in arrays if type(x) is float]
    rest = [np.ravel(np.asarray(x, dtype=float)) for x in arrays if type(x) is not float]
    return np.concatenate([np.array(scalars, dtype=float), *rest])


# ---------------------------------------------------------------------------------------------------
# Small helpers.

def check_graph(G):
    if not isinstance(G, nx.DiGraph) or "output" not in G.graph:
        raise GraphvizAdError(f"expected a graph from graphviz_ad.trace, got {type(G).__name__}")


def _inputs(G):
    return [n for n in G.graph.get("inputs", ()) if G.nodes[n].get("op") == "input"]


def _name(G, n):
    return G.nodes[n].get("name", str(n))


def _numeric(v):
    return v is not None and np.asarray(v).dtype.kind in "fc"


def _finite(v):
    """True for None and non-float values too: only a float NaN/Inf counts as non-finite."""
    if type(v) is float:   # the common case, kept off numpy's slow path for scalars
        return math.isfinite(v)
    if isinstance(v, Summary):
        return v.finite
    return not _numeric(v) or bool(np.isfinite(v).all())


def _bad(v):
    if isinstance(v, Summary):
        return "NaN" if v.nan else "Inf"
    a = np.asarray(v)
    return "NaN" if np.any(np.isnan(a)) else "Inf"


def _counts(v):
    if isinstance(v, Summary):
        return {"nan": v.nan, "inf": v.inf, "elements": v.size}
    a = np.asarray(v)
    return {"nan": int(np.sum(np.isnan(a))), "inf": int(np.sum(np.isinf(a))), "elements": int(a.size)}


def _rms(v):
    if v is None:
        return 0.0
    if isinstance(v, Summary):
        return v.rms
    a = np.asarray(v, dtype=float)
    return float(np.sqrt(np.mean(np.square(a)))) if a.size else 0.0


def _max_abs(v):
    if isinstance(v, Summary):
        return v.max_abs
    a = np.asarray(v, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0


def _brief(v):
    if isinstance(v, Summary):
        return f"array{list(v.shape)} in [{short_number(v.low)}, {short_number(v.high)}]"
    if np.ndim(v) == 0:
        return short_number(float(v)) if _numeric(v) or np.asarray(v).dtype.kind in "iub" else str(v)
    a = np.asarray(v)
    if a.dtype.kind in "fiub":
        return f"array{list(a.shape)} in [{short_number(float(np.min(a)))}, {short_number(float(np.max(a)))}]"
    return f"array{list(a.shape)}"


def short_number(x):
    return f"{x:.3g}" if isinstance(x, (int, float)) else str(x)


def table_lines(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return [fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)]
