"""Graph -> DOT text. Pure: builds the source with the `graphviz` package and runs nothing.

The picture is built in two steps. `view()` decides what is drawn: every node, or, for big graphs and
when asked, collapsed scopes, folded runs of single-use ops and merged blocks of same-rank nodes, each
with edges carrying the combined gain. `to_dot()` then writes that view out with the styles of style.py.
Only the attributes of docs/graph-contract.md are read.
"""

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import graphviz

from . import style
from .errors import GraphvizAdWarning, RenderError

# Every option of to_dot / render, with its default.
OPTIONS = {
    "rankdir": "LR",        # LR reads like x -> u -> y; TB, RL, BT also work
    "precision": 3,         # significant digits of numbers in labels
    "values": True,         # show each node's value
    "grads": True,          # show each node's gradient
    "formulas": False,      # edge labels 'cos(x^2) = 0.54' instead of 'x0.54'
    "labels": True,         # edge labels at all
    "theme": "light",       # light or dark
    "vanishing": 1e-3,      # gains at or below this get the saturated cold colour
    "exploding": 1e3,       # gains at or above this get the saturated warm colour
    "collapse": None,       # draw scopes nested deeper than this as single nodes (0: every top-level call)
    "fold": None,           # fold runs of at least this many repeated ops (None: only above the budget)
    "budget": 2000,         # above this many nodes, collapse and fold automatically (None: never)
    "legend": True,         # draw the legend table
}
RANKDIRS = ("LR", "TB", "RL", "BT")
FOLD_MIN = 8  # shortest run folded automatically
COST_PER_NODE = 250  # allowed layout cost (see layout_cost) per node of budget: 500,000 is about 1 s of dot


BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def option_from_text(text):
    """A drawing option's value written as text (command line, docs): None, a bool, a number, or the text."""
    word = text.strip()
    if word.lower() in ("none", "null"):
        return None
    if word.lower() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[word.lower()]
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word


def check_options(options):
    """Options merged over the defaults; RenderError naming the first unknown or invalid one."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise RenderError(f"unknown option: {unknown[0]!r} (must be one of {sorted(OPTIONS)})")
    opts = {**OPTIONS, **options}
    checks = {
        "rankdir": opts["rankdir"] in RANKDIRS,
        "precision": _is_int(opts["precision"]) and 1 <= opts["precision"] <= 17,
        "theme": opts["theme"] in style.THEMES,
        "vanishing": _is_number(opts["vanishing"]) and 0 < opts["vanishing"] < 1,
        "exploding": _is_number(opts["exploding"]) and 1 < opts["exploding"] < math.inf,
        "collapse": opts["collapse"] is None or (_is_int(opts["collapse"]) and opts["collapse"] >= 0),
        "fold": opts["fold"] is None or (_is_int(opts["fold"]) and opts["fold"] >= 2),
        "budget": opts["budget"] is None or (_is_int(opts["budget"]) and opts["budget"] >= 1),
    }
    checks.update({k: isinstance(opts[k], bool) for k in ("values", "grads", "formulas", "labels", "legend")})
    wanted = {
        "rankdir": f"one of {list(RANKDIRS)}", "precision": "an int from 1 to 17",
        "theme": f"one of {sorted(style.THEMES)}", "vanishing": "a number between 0 and 1",
        "exploding": "a finite number above 1", "collapse": "None or an int >= 0",
        "fold": "None or an int >= 2", "budget": "None or an int >= 1",
    }
    for name, ok in checks.items():
        if not ok:
            raise RenderError(f"option {name}={opts[name]!r} is invalid (must be {wanted.get(name, 'True or False')})")
    return opts


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_highlight(G, highlight):
    """(node marks, edge marks) from an object or mapping with `nodes` and `edges` dicts of mark names."""
    if highlight is None:
        return {}, {}
    get = highlight.get if isinstance(highlight, Mapping) else lambda k, d: getattr(highlight, k, d)
    nodes, edges = dict(get("nodes", None) or {}), dict(get("edges", None) or {})
    for n, mark in nodes.items():
        if n not in G:
            raise RenderError(f"highlight marks node {n!r}, which is not in the graph (ids are 0..{len(G) - 1})")
        if not isinstance(mark, str):
            raise RenderError(f"highlight mark of node {n!r} must be a string such as 'dead', not {mark!r}")
    for e, mark in edges.items():
        if not (isinstance(e, tuple) and len(e) == 2 and G.has_edge(*e)):
            raise RenderError(f"highlight marks edge {e!r}, which is not an edge (u, v) of the graph")
        if not isinstance(mark, str):
            raise RenderError(f"highlight mark of edge {e!r} must be a string such as 'dead', not {mark!r}")
    return nodes, edges


@dataclass
class Group:
    """Several traced nodes drawn as one: a collapsed scope call, a folded run, or a block of same-rank nodes."""

    kind: str          # "scope", "fold" or "block"
    title: str
    members: list
    parent: tuple = ()  # scope instances (cluster ids) the group sits in
    outs: list = field(default_factory=list)  # members whose value leaves the group


@dataclass
class View:
    """What is drawn: node -> representative key, the groups, the clusters, and notes for the legend."""

    rep: dict
    groups: dict = field(default_factory=dict)
    clusters: dict = field(default_factory=dict)   # instance id -> (name, parent instance id or None)
    placement: dict = field(default_factory=dict)  # representative key -> tuple of instance ids
    first: dict = field(default_factory=dict)      # representative key -> its first node in trace order
    notes: list = field(default_factory=list)


def scope_instances(G):
    """Each node's chain of scope calls (instance ids, outermost first) and each instance's (name, parent).

    The contract gives scope names, not calls, so a call is a maximal run of trace order inside one scope
    (back-to-back calls of one function merge), unless nodes also carry `scope_calls`: one id per scope
    level, unique per call. The traced function itself (the common root) is skipped.
    """
    order = sorted(G)
    scopes = {n: tuple(G.nodes[n].get("scope") or ()) for n in order}
    roots = {s[0] if s else None for s in scopes.values()}
    skip = 1 if len(roots) == 1 and None not in roots else 0
    instances, chains, stack = {}, {}, []
    for n in order:
        calls = G.nodes[n].get("scope_calls")
        path = tuple(zip(scopes[n], calls) if calls else ((s, None) for s in scopes[n]))[skip:]
        k = 0
        while k < len(stack) and k < len(path) and stack[k][0] == path[k]:
            k += 1
        del stack[k:]
        for level in path[k:]:
            instances[len(instances)] = (level[0], stack[-1][1] if stack else None)
            stack.append((level, len(instances) - 1))
        chains[n] = tuple(i for _, i in stack)
    return chains, instances


def view(G, opts, warn=True):
    """Decide what to draw, collapsing and folding when asked or when the graph is over the budget."""
    chains, instances = scope_instances(G)
    v = View(rep={n: n for n in G}, clusters=instances)
    budget, total = opts["budget"], G.number_of_nodes()
    over = budget is not None and not fits(G, v.rep, budget)
    depth = opts["collapse"]
    if depth is None and over:
        depth = _auto_depth(G, chains, budget)
    if depth is not None:
        _collapse_scopes(G, v, chains, instances, depth)
    fold = opts["fold"] or (FOLD_MIN if over and not fits(G, v.rep, budget) else None)
    if fold:
        _fold_runs(G, v, chains, fold)
    if over and not fits(G, v.rep, budget):
        _merge_blocks(G, v, budget)
    for group in v.groups.values():
        group.outs = exits(G, group.members)
    for n in sorted(G):
        r = v.rep[n]
        v.first.setdefault(r, n)
        v.placement.setdefault(r, v.groups[r].parent if r in v.groups else chains[n])
    if budget is None and warn and not fits(G, v.rep, OPTIONS["budget"]):
        warnings.warn(f"drawing all {total} nodes with budget=None: Graphviz may take minutes "
                      f"(layout cost {layout_cost(G, v.rep)}; the default budget allows "
                      f"{COST_PER_NODE * OPTIONS['budget']})", GraphvizAdWarning, stacklevel=4)
    if over:
        v.notes.insert(0, f"showing {_count(v)} of {total} nodes (node budget {budget})")
        if warn:
            warnings.warn(f"graph of {total} nodes is over the render budget of {budget}: {'; '.join(v.notes)}; "
                          "pass budget=None to draw every node", GraphvizAdWarning, stacklevel=4)
    return v


def _count(v):
    return len(set(v.rep.values()))


def ranks(G, rep):
    """Rank of each drawn node as dot would roughly place it, and the drawn edges (u, v) with u before v."""
    first = {}
    for n in sorted(G):
        first.setdefault(rep[n], n)
    order = sorted(first, key=first.get)
    pos = {k: i for i, k in enumerate(order)}
    edges = {(rep[u], rep[w]) for u, w in G.edges if pos[rep[u]] < pos[rep[w]]}
    preds, succs = defaultdict(list), defaultdict(list)
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    rank = {}
    for k in order:  # longest path from the sources ...
        rank[k] = max((rank[p] + 1 for p in preds[k]), default=0)
    for k in reversed(order):  # ... then each node as late as its consumers allow, as dot's ranking tends to
        if succs[k]:
            rank[k] = min(rank[s] for s in succs[k]) - 1
    return rank, edges


def layout_cost(G, rep):
    """Sum over ranks of (nodes in the rank, virtual ones of long edges included) squared.

    dot orders every rank to reduce crossings, work that grows with the square of its width: a chain of
    2,000 costs 2,000; a random DAG of 1,000 nodes and 33 ranks over 1,000,000 (seconds of layout).
    """
    rank, edges = ranks(G, rep)
    if not rank:
        return 0
    width = [0] * (max(rank.values()) - min(rank.values()) + 2)
    low = min(rank.values())
    for r in rank.values():
        width[r - low] += 1
    passing = [0] * len(width)
    for a, b in edges:
        passing[rank[a] - low + 1] += 1
        passing[rank[b] - low] -= 1
    total, run = 0, 0
    for w, p in zip(width, passing):
        run += p
        total += (w + run) ** 2
    return total


def fits(G, rep, budget):
    """True when the drawing has at most `budget` nodes and a layout cost of at most COST_PER_NODE * budget."""
    return len(set(rep.values())) <= budget and layout_cost(G, rep) <= COST_PER_NODE * budget


def _scope_rep(chains, depth):
    return {n: ("s", c[depth]) if len(c) > depth else n for n, c in chains.items()}


def _auto_depth(G, chains, budget):
    """The deepest scope depth whose collapse fits the budget (0 when none does)."""
    deepest = max((len(c) for c in chains.values()), default=0)
    for depth in range(deepest - 1, 0, -1):
        if fits(G, _scope_rep(chains, depth), budget):
            return depth
    return 0


def _collapse_scopes(G, v, chains, instances, depth):
    """Every scope call nested `depth` deep becomes one node."""
    members = defaultdict(list)
    for n in sorted(G):
        if len(chains[n]) > depth:
            members[chains[n][depth]].append(n)
    for inst, nodes in members.items():
        key = ("s", inst)
        v.groups[key] = Group("scope", instances[inst][0], nodes, parent=chains[nodes[0]][:depth])
        for n in nodes:
            v.rep[n] = key
    if members:
        v.notes.append(f"{len(members)} scope calls collapsed below depth {depth}")


def _fold_runs(G, v, chains, fold_min):
    """Fold chains of single-use ops (x -> sin -> sin -> ...) of at least `fold_min` nodes into one node."""
    def linkable(n):
        return v.rep[n] == n and G.nodes[n].get("op") not in ("input", "const") and n != G.graph.get("output")

    def successor(n):
        """The next node of n's run, or None."""
        succ = list(G.successors(n))
        if len(succ) != 1 or not linkable(n):
            return None
        m = succ[0]
        if v.rep[m] != m or G.nodes[m].get("op") in ("input", "const"):
            return None
        preds = [p for p in G.predecessors(m) if G.nodes[p].get("op") != "const"]
        return m if preds == [n] and chains[m] == chains[n] else None

    nxt = {n: successor(n) for n in sorted(G)}
    starts = set(nxt) - set(nxt.values())
    runs = []
    for n in sorted(starts):
        run = [n]
        while nxt.get(run[-1]) is not None:
            run.append(nxt[run[-1]])
        if len(run) >= fold_min:
            runs.append(run)
    for run in runs:
        key = ("f", run[0])
        inside = set(run)
        consts = sorted(p for m in run for p in G.predecessors(m)
                        if G.nodes[p].get("op") == "const" and v.rep[p] == p and set(G.successors(p)) <= inside)
        v.groups[key] = Group("fold", _run_title([G.nodes[m].get("display") or G.nodes[m].get("op") for m in run]),
                              sorted(set(run) | set(consts)), parent=chains[run[0]])
        for m in v.groups[key].members:
            v.rep[m] = key
    if runs:
        v.notes.append(f"{len(runs)} runs of repeated ops folded ({sum(map(len, runs))} nodes)")


def _run_title(ops):
    """'sin x10000' for one repeated op, '(*, sin) x500' for a repeated pattern, else '12 ops'."""
    for period in range(1, 5):
        if len(ops) % period == 0 and len(ops) // period >= 2 and all(o == ops[i % period] for i, o in enumerate(ops)):
            pattern = ops[0] if period == 1 else "(" + ", ".join(ops[:period]) + ")"
            return f"{pattern} \u00d7{len(ops) // period}"
    return f"{len(ops)} ops"


def _merge_blocks(G, v, budget):
    """Last resort: merge still-separate nodes of the same rank, k at a time in trace order, doubling k
    until the drawing fits. Same-rank nodes never feed each other, so the merged picture stays a DAG."""
    plain = [n for n in sorted(G) if v.rep[n] == n]
    rank, _ = ranks(G, v.rep)
    by_rank = defaultdict(list)
    for n in plain:
        by_rank[rank[n]].append(n)
    widest = max((len(ns) for ns in by_rank.values()), default=1)
    size = 2
    while True:
        blocks = [ns[i:i + size] for _, ns in sorted(by_rank.items()) for i in range(0, len(ns), size)]
        rep = dict(v.rep)
        for block in blocks:
            for n in block:
                rep[n] = ("b", block[0])
        if size >= widest or fits(G, rep, budget):
            break
        size *= 2
    for block in blocks:
        if len(block) > 1:
            v.groups[("b", block[0])] = Group("block", f"{len(block)} nodes of one rank", block)
        else:
            rep[block[0]] = block[0]
    v.rep = rep
    v.notes.append(f"nodes of the same rank merged, up to {size} per block")


def dot_id(key):
    """Stable DOT node name of a representative: n7 for node 7, s2 / f7 / b7 for groups."""
    return f"n{key}" if isinstance(key, int) else f"{key[0]}{key[1]}"


def exits(G, members):
    """Members whose value leaves the group (or is the output)."""
    inside = set(members)
    return [m for m in members if m == G.graph.get("output") or any(s not in inside for s in G.successors(m))]


def combined_edges(G, v):
    """(tail key, head key) -> edge data for the drawn edges, in a stable order.

    An edge between plain nodes keeps its own attributes. Edges that run into a group, or several edges
    merged into one, get gain = |gradient they send back| / |gradient arriving at the head|, the contract's
    gain for the group as a whole; where no gradient arrives, the sum over paths of the products of gains.
    """
    merged = defaultdict(list)
    for u, w in sorted(G.edges):
        ru, rw = v.rep[u], v.rep[w]
        if ru != rw:
            merged[(ru, rw)].append((u, w))
    out = {}
    for key in sorted(merged, key=lambda k: (v.first[k[0]], v.first[k[1]])):
        edges = merged[key]
        if len(edges) == 1 and isinstance(key[1], int):
            out[key] = dict(G.edges[edges[0]], members=edges)
        else:
            out[key] = _combine(G, v, key[1], edges)
    return out


def _combine(G, v, head, edges):
    flows = [G.edges[e].get("grad_flow") for e in edges]
    if all(f is None for f in flows):
        return {"gain": None, "grad_flow": None, "local_factor": None, "formula": "", "combined": len(edges),
                "members": edges}
    per_source = defaultdict(lambda: 0.0)
    for (u, _), f in zip(edges, flows):
        if f is not None:
            per_source[u] = per_source[u] + f
    flow = math.hypot(*(style.norm(f) for f in per_source.values()))
    heads = v.groups[head].outs if head in v.groups else [head]
    arriving = math.hypot(*(style.norm(G.nodes[h].get("grad")) or 0.0 for h in heads))
    if arriving > 0 and math.isfinite(arriving):
        gain = flow / arriving
    elif not math.isfinite(flow):
        gain = flow
    else:
        gain = _path_gain(G, v, head, edges, heads)
    return {"gain": gain, "grad_flow": flow, "local_factor": None, "formula": "", "combined": len(edges),
            "members": edges}


def _path_gain(G, v, head, edges, heads):
    """Sum over paths from the edges' tails to the group's exits of the product of edge gains."""
    members = v.groups[head].members if head in v.groups else [head]
    inside, reach = set(members), {}
    for m in sorted(members, reverse=True):
        reach[m] = (1.0 if m in heads else 0.0) + sum(
            (G.edges[m, s].get("gain") or 0.0) * reach[s] for s in G.successors(m) if s in inside)
    return sum((G.edges[e].get("gain") or 0.0) * reach[e[1]] for e in edges)


@dataclass(frozen=True)
class Plan:
    """Everything a drawing is made from, checked and derived once: the DOT text and the interactive page share it."""

    opts: dict         # every option, merged over the defaults and checked
    prefix: str        # the checked id prefix ("" for none)
    node_marks: dict   # node -> mark name
    edge_marks: dict   # (u, v) -> mark name
    view: View


def plan(G, *, highlight=None, id_prefix=None, warn=True, **options):
    """Check the options, id prefix and highlight, and decide what is drawn (`view`); see `to_dot`."""
    opts = check_options(options)
    prefix = _check_prefix(id_prefix)
    node_marks, edge_marks = check_highlight(G, highlight)
    return Plan(opts, prefix, node_marks, edge_marks, view(G, opts, warn=warn))


def to_dot(G, *, highlight=None, id_prefix=None, warn=True, **options):
    """The DOT source of a traced graph: edges coloured by gain, widths by gradient flow, a legend.

    Args:
        G: a graph from `graphviz_ad.trace` (any DiGraph with the contract's attributes).
        highlight: optional object or mapping with `nodes` {node: mark} and `edges` {(u, v): mark}
            drawn in a colour per mark and listed in the legend.
        id_prefix: prefix of every id in the SVG, so several pictures can share one HTML page.
        warn: warn on stderr when the graph is collapsed to fit the node budget.
        **options: see `OPTIONS` (rankdir, precision, values, grads, formulas, labels, theme,
            vanishing, exploding, collapse, fold, budget, legend).

    Returns:
        The DOT text; the same graph and options always give the same text.

    Raises:
        RenderError: an unknown or invalid option, or a highlight naming nodes or edges not in G.
    """
    return plan_to_dot(G, plan(G, highlight=highlight, id_prefix=id_prefix, warn=warn, **options))


def plan_to_dot(G, p):
    """The DOT text of a `Plan` of G."""
    opts, prefix, node_marks, edge_marks, v = p.opts, p.prefix, p.node_marks, p.edge_marks, p.view
    theme = style.THEMES[opts["theme"]]
    edges = combined_edges(G, v)
    marks = style.mark_colors(list(node_marks.values()) + list(edge_marks.values()))
    rep_marks = _representative_marks(v, node_marks, edge_marks)

    name = str(G.graph.get("function") or "graph")
    dot = graphviz.Digraph(
        name=graphviz.nohtml(style.escape(name)),
        graph_attr={"rankdir": opts["rankdir"], "bgcolor": theme["bg"], "fontname": "Helvetica",
                    "fontcolor": theme["fg"], "fontsize": "11", "id": f"{prefix}graph", "nodesep": "0.25",
                    "ranksep": "0.35"},
        node_attr={"shape": "box", "style": "filled", "fontname": "Helvetica", "fontsize": "10",
                   "fillcolor": theme["op"], "color": theme["muted"], "fontcolor": theme["fg"], "height": "0.3",
                   "margin": "0.06,0.03"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "fontcolor": theme["muted"], "arrowsize": "0.6"},
    )
    if opts["legend"]:
        with dot.subgraph(name="cluster_legend") as legend:
            legend.attr(label="", color=theme["cluster_border"], id=f"{prefix}legend", style="rounded")
            legend.node("legend", label=style.legend_html(opts["theme"], opts["vanishing"], opts["exploding"],
                                                          marks, v.notes),
                        shape="plaintext", style="", id=f"{prefix}legend_table", tooltip="legend")

    by_cluster = defaultdict(list)
    for key in sorted(v.placement, key=v.first.get):
        by_cluster[v.placement[key][-1] if v.placement[key] else None].append(key)
    children = defaultdict(list)
    for inst, (_, parent) in sorted(v.clusters.items()):
        children[parent].append(inst)

    def fill(graph, inst):
        for key in by_cluster.get(inst, ()):
            graph.node(dot_id(key), **_node_attrs(G, v, key, opts, prefix, rep_marks.get(key), marks))
        for child in children.get(inst, ()):
            if _has_nodes(child, by_cluster, children):
                with graph.subgraph(name=f"cluster_s{child}") as sub:
                    sub.attr(label=graphviz.nohtml(style.escape(v.clusters[child][0])), id=f"{prefix}cluster_s{child}",
                             style="rounded,filled", fillcolor=theme["cluster"], color=theme["cluster_border"],
                             fontcolor=theme["muted"], fontsize="10")
                    fill(sub, child)

    fill(dot, None)
    flows = [style.norm(d.get("grad_flow")) for d in edges.values()]
    max_flow = max((f for f in flows if f is not None and math.isfinite(f)), default=0.0)
    # A true edge label reads best (dot gives it room), but adds a rank per edge, which is slow on dense
    # graphs; an xlabel costs nothing in layout but its placement is slow on long thin ones.
    label_attr = "label" if len(edges) <= 1.2 * len(v.first) + 20 else "xlabel"
    for (ru, rw), data in edges.items():
        mark = rep_marks.get((ru, rw))
        attrs = _edge_attrs(data, opts, prefix, ru, rw, max_flow, mark, marks)
        if "label" in attrs:
            attrs[label_attr] = attrs.pop("label")
        dot.edge(dot_id(ru), dot_id(rw), **attrs)
    return dot.source


def _check_prefix(prefix):
    if prefix is None:
        return ""
    if not isinstance(prefix, str) or not prefix.replace("-", "").replace("_", "").isalnum() or prefix[0].isdigit():
        raise RenderError(f"id_prefix {prefix!r} is invalid (use letters, digits, '-' or '_', starting with a letter)")
    return prefix


def _has_nodes(inst, by_cluster, children):
    return bool(by_cluster.get(inst)) or any(_has_nodes(c, by_cluster, children) for c in children.get(inst, ()))


def _representative_marks(v, node_marks, edge_marks):
    """Marks moved onto what is drawn: a collapsed node's mark goes to its group, an edge's to the drawn edge."""
    out = {}
    for n, mark in sorted(node_marks.items()):
        out.setdefault(v.rep[n], mark)
    for (a, b), mark in sorted(edge_marks.items()):
        ra, rb = v.rep[a], v.rep[b]
        out.setdefault((ra, rb) if ra != rb else ra, mark)
    return out


def _node_attrs(G, v, key, opts, prefix, mark, marks):
    theme, precision = style.THEMES[opts["theme"]], opts["precision"]
    attrs = {"id": f"{prefix}{dot_id(key)}"}
    if key in v.groups:
        group = v.groups[key]
        shown = G.nodes[group.outs[0]] if len(group.outs) == 1 else {}
        ops = Counter(G.nodes[m].get("op") for m in group.members)
        label = [style.escape(group.title), style.escape(f"{len(group.members)} nodes")]
        if opts["values"] and shown.get("value") is not None:
            label.append(style.escape("val " + style.summary(shown["value"], precision)))
        if opts["grads"] and shown.get("grad") is not None:
            label.append(style.escape("grad " + style.summary(shown["grad"], precision)))
        tip = [f"{group.kind} {group.title}: {len(group.members)} nodes ({group.members[0]}..{group.members[-1]})",
               "ops " + ", ".join(f"{op} {k}" for op, k in sorted(ops.items(), key=lambda t: (-t[1], t[0]))[:8])]
        first = G.nodes[group.members[0]]
        if first.get("source"):
            tip.append("from " + first["source"])
        if mark:
            tip.append("mark " + mark)
        attrs.update(label=style.lines(*label), shape="box3d", style="filled", fillcolor=theme["group"],
                     tooltip=style.lines(*(style.escape(t) for t in tip)))
    else:
        data = G.nodes[key]
        attrs.update(label=style.node_label(data, precision, opts["values"], opts["grads"]),
                     tooltip=style.node_tooltip(data, precision, mark))
        op = data.get("op")
        if key == G.graph.get("output"):
            attrs.update(fillcolor=theme["output"], peripheries="2")
        elif op == "input":
            attrs.update(fillcolor=theme["input"], style="filled,bold", color=theme["fg"])
        elif op == "const":
            attrs.update(fillcolor=theme["const"], style="dashed,filled", fontcolor=theme["muted"])
    if mark:
        attrs.update(color=marks[mark], penwidth="3")
    attrs["label"] = graphviz.nohtml(attrs["label"])
    attrs["tooltip"] = graphviz.nohtml(attrs["tooltip"])
    return attrs


def _edge_attrs(data, opts, prefix, ru, rw, max_flow, mark, marks):
    gain, flow = data.get("gain"), data.get("grad_flow")
    kind, color, line = style.edge_style(gain, flow, opts["theme"], opts["vanishing"], opts["exploding"])
    width = style.pen_width(style.norm(flow), max_flow) if kind == "scaled" else 3.0 if kind == "nan" else 1.0
    attrs = {"id": f"{prefix}e_{dot_id(ru)}_{dot_id(rw)}", "color": color, "penwidth": f"{width:g}",
             "tooltip": graphviz.nohtml(style.edge_tooltip(data, opts["precision"], mark)),
             "class": kind}
    if line != "solid":
        attrs["style"] = line
    if kind == "const":
        attrs["arrowhead"] = "empty"
    if opts["labels"]:
        label = style.edge_label(data, opts["precision"], opts["formulas"])
        if data.get("combined") and kind != "const":
            label = style.escape("gain " + style.fmt(gain, opts["precision"]))
        if label:
            attrs["label"] = graphviz.nohtml(label)
    if mark:
        attrs.update(color=f"{marks[mark]}:{color}:{marks[mark]}", penwidth=f"{max(width, 2.0):g}")
    return attrs
