"""Graph -> DOT text. Pure: builds the source with the `graphviz` package and runs nothing.

The picture is built in two steps. `view()` decides what is drawn: every node, or, for big graphs and
when asked, collapsed scopes, folded runs of single-use ops and merged blocks of same-rank nodes, each
with edges carrying the combined gain. `to_dot()` then writes that view out with the styles of style.py.
Only the attributes of docs/graph-contract.md are read.
"""

import heapq
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import graphviz
import numpy as np

from . import layout, style
from .errors import GraphvizAdWarning, RenderError

# Every option of to_dot / render, with its default.
OPTIONS = {
    "rankdir": None,        # None: LR (reads like x -> u -> y) when it fits fit_width, else TB; or LR, TB, RL, BT
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
    "budget": 2000,         # at most this many nodes are drawn, collapsing and folding as needed (None: all)
    "fit_width": 1280,      # reduce until text is legible shown this many px wide (None: never; see layout.py)
    "literals": False,      # draw literal constants its op's label already shows (the 2 in x^2) as boxes too
    "legend": True,         # draw the legend table
    "color_by": "gradient",  # edge colour: "gradient" (its size against the output's) or "factor" (the edge's gain)
}
COLOR_BY = ("gradient", "factor")
RANKDIRS = ("LR", "TB", "RL", "BT")
FOLD_MIN = 8  # shortest run folded automatically
MIN_SHOWN = 8  # an automatic collapse must leave at least this many boxes
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
        "rankdir": opts["rankdir"] is None or opts["rankdir"] in RANKDIRS,
        "fit_width": opts["fit_width"] is None or (_is_int(opts["fit_width"]) and opts["fit_width"] >= 100),
        "precision": _is_int(opts["precision"]) and 1 <= opts["precision"] <= 17,
        "theme": opts["theme"] in style.THEMES,
        "color_by": opts["color_by"] in COLOR_BY,
        "vanishing": _is_number(opts["vanishing"]) and 0 < opts["vanishing"] < 1,
        "exploding": _is_number(opts["exploding"]) and 1 < opts["exploding"] < math.inf,
        "collapse": opts["collapse"] is None or (_is_int(opts["collapse"]) and opts["collapse"] >= 0),
        "fold": opts["fold"] is None or (_is_int(opts["fold"]) and opts["fold"] >= 2),
        "budget": opts["budget"] is None or (_is_int(opts["budget"]) and opts["budget"] >= 1),
    }
    checks.update({k: isinstance(opts[k], bool) for k in ("values", "grads", "formulas", "labels", "legend",
                                                          "literals")})
    wanted = {
        "rankdir": f"None or one of {list(RANKDIRS)}", "fit_width": "None or an int >= 100 (pixels)",
        "precision": "an int from 1 to 17",
        "theme": f"one of {sorted(style.THEMES)}", "color_by": f"one of {list(COLOR_BY)}", "vanishing": "a number between 0 and 1",
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
    copies: dict = field(default_factory=dict)     # leaf -> keys of its users, when drawn once per use
    rankdir: str = "LR"
    sizes: dict = field(default_factory=dict)      # node -> its box's estimated size (layout.box_size)


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


def view(G, opts, warn=True, width_scale=1.0):
    """Decide what to draw and which way it runs.

    The user's own choices come first (collapse, fold, literals). Then, unless budget is None (draw
    every node), the drawing is reduced step by step until it has at most `budget` nodes, dot can lay it
    out quickly (`fits`) and its text is legible at `fit_width` (graphviz_ad.layout): fold long runs,
    collapse scope calls from the deepest up, group the ops of one source line (a neuron's sum in a
    loop), and last, merge consecutive steps. Each step is noted for the legend.
    """
    chains, instances = scope_instances(G)
    v = View(rep={n: n for n in G}, clusters=instances)
    budget, total = opts["budget"], G.number_of_nodes()
    if not opts["literals"]:
        _fold_literals(G, v)
    if opts["collapse"] is not None:
        _collapse_scopes(G, v, chains, instances, opts["collapse"])
    if opts["fold"]:
        _fold_runs(G, v, chains, opts["fold"])
    fit_width = opts["fit_width"] if budget is not None else None
    estimate_opts = dict(opts, fit_width=fit_width and max(100, int(fit_width / width_scale)))
    start_notes = len(v.notes)
    drawn = drawn_graph(G, v, opts, copies=budget is not None)
    over = budget is not None and not _within_budget(drawn, budget)
    for step in _reductions(G, v, chains, instances, opts):
        if (budget is None or _within_budget(drawn, budget)) and (
                fit_width is None or _legible(drawn, v, estimate_opts)):
            break
        step()
        drawn = drawn_graph(G, v, opts)
    v.copies = drawn.copies
    v.rankdir = opts["rankdir"] or (layout.choose_rankdir(drawn, estimate_opts["fit_width"], opts["labels"],
                                                          _legend_rows(v, opts))[0] if fit_width else "LR")
    shown = set(v.rep.values())
    v.groups = {k: g for k, g in v.groups.items() if k in shown}
    for group in v.groups.values():
        group.outs = exits(G, group.members)
    for n in sorted(G):
        r = v.rep[n]
        v.first.setdefault(r, n)
        v.placement.setdefault(r, v.groups[r].parent if r in v.groups else chains[n])
    if budget is None and warn and not _within_budget(drawn, OPTIONS["budget"]):
        warnings.warn(f"drawing all {total} nodes with budget=None: Graphviz may take minutes "
                      f"(layout cost {layout_cost(G, v.rep)}; the default budget allows "
                      f"{COST_PER_NODE * OPTIONS['budget']})", GraphvizAdWarning, stacklevel=4)
    if over:
        v.notes.insert(start_notes, f"showing {_count(v)} of {total} nodes (node budget {budget})")
        if warn:
            warnings.warn(f"graph of {total} nodes is over the render budget of {budget}: {'; '.join(v.notes)}; "
                          "pass budget=None to draw every node", GraphvizAdWarning, stacklevel=4)
    elif len(v.notes) > start_notes:
        v.notes.insert(start_notes, f"showing {_count(v)} of {total} nodes, legible at {fit_width} px wide")
    if len(v.notes) > start_notes:
        v.notes.append("budget=None draws every node")
    return v


def _reductions(G, v, chains, instances, opts):
    """The automatic reduction steps, mildest first, as callables (only for options left to default)."""
    if opts["fold"] is None:
        yield lambda: _fold_runs(G, v, chains, FOLD_MIN)
    if opts["collapse"] is None:
        deepest = max((len(c) for c in chains.values()), default=0)
        for depth in range(deepest - 1, -1, -1):
            yield lambda depth=depth: _collapse_if_informative(G, v, chains, instances, depth)
    yield lambda: _group_lines(G, v, chains)
    yield lambda: _bundle_leaves(G, v)
    size = 2
    while size < 4 * G.number_of_nodes():
        yield lambda size=size: _merge_steps(G, v, size)
        size *= 2


def quotient(G, rep):
    """What is drawn as a DAG: (keys in dependency order, earliest in trace order first; the edges
    between keys; key -> its first op in trace order, or its first node if it holds only leaves)."""
    first = {}
    for n in sorted(G, key=lambda n: (G.in_degree(n) == 0, n)):
        first.setdefault(rep[n], n)
    edges = {(rep[u], rep[w]) for u, w in G.edges if rep[u] != rep[w]}
    preds = defaultdict(set)
    for a, b in edges:
        preds[b].add(a)
    return _topological(sorted(first, key=first.get), preds, first), edges, first


def _count(v):
    return len(set(v.rep.values())) + sum(len(heads) - 1 for heads in v.copies.values())


@dataclass
class DrawnGraph(layout.Drawn):
    """layout.Drawn plus the leaves drawn once per use: leaf -> the keys of its users."""

    copies: dict = field(default_factory=dict)
    rank: dict = field(default_factory=dict)


def drawn_graph(G, v, opts, copies=True):
    """The graph as `v` draws it, with a copy of each leaf per user where its users are far apart."""
    keys, edges, _ = quotient(G, v.rep)
    pos = {k: i for i, k in enumerate(keys)}
    edges = sorted(edges, key=lambda e: (pos[e[0]], pos[e[1]]))
    size = {k: _box_size(G, v, k, opts) for k in keys}
    copied, rank = {}, layout.ranks(keys, edges)
    if copies:
        leaves = [k for k in keys if isinstance(k, int) and G.in_degree(k) == 0]
        users = defaultdict(list)
        for a, b in edges:
            users[a].append(b)
        copied = layout.copied_leaves(leaves, users, rank)
        if copied:
            moved = [(a, b) for a, b in edges if a in copied]
            edges = [(a, b) for a, b in edges if a not in copied]
            order = {k: pos[k] for k in keys if k not in copied}
            for a, b in moved:
                edges.append((("c", a, b), b))
                size[("c", a, b)] = size[a]
                order[("c", a, b)] = pos[b] - 0.5
            keys = sorted(order, key=order.get)
            rank = layout.ranks(keys, edges)
    return DrawnGraph(keys=keys, edges=edges, size=size, copies=copied, rank=rank)


def _box_size(G, v, key, opts):
    if key in v.groups:
        group = v.groups[key]
        return layout.box_size(G.nodes[group.members[-1]], opts["values"], opts["grads"], title=group.title)
    if key not in v.sizes:   # a node's own box does not change while the picture is reduced
        v.sizes[key] = layout.box_size(G.nodes[key], opts["values"], opts["grads"])
    return v.sizes[key]


def _legible(drawn, v, opts):
    """True when the drawing's text is legible at opts["fit_width"] (see graphviz_ad.layout)."""
    rows = _legend_rows(v, opts)
    if opts["rankdir"]:
        return layout.fits(drawn, opts["rankdir"], opts["fit_width"], opts["labels"], rows)
    return layout.choose_rankdir(drawn, opts["fit_width"], opts["labels"], rows)[1]


def _legend_rows(v, opts):
    """About how many rows the legend will have (0 without one)."""
    return 6 + len(v.notes) if opts["legend"] else 0


def ranks(G, rep):
    """Rank of each drawn node as dot would roughly place it, and the drawn edges."""
    order, edges, _ = quotient(G, rep)
    return layout.ranks(order, edges), edges


def layout_cost(G, rep):
    """Sum over ranks of (nodes in the rank, virtual ones of long edges included) squared.

    dot orders every rank to reduce crossings, work that grows with the square of its width: a chain of
    2,000 costs 2,000; a random DAG of 1,000 nodes and 33 ranks over 1,000,000 (seconds of layout).
    """
    return _cost(*ranks(G, rep))


def _cost(rank, edges):
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


def _within_budget(drawn, budget):
    """True when the drawing (leaf copies included) has at most `budget` nodes and a layout cost of at
    most COST_PER_NODE * budget."""
    return len(drawn.keys) <= budget and _cost(drawn.rank, drawn.edges) <= COST_PER_NODE * budget


def _resolve(v):
    """Point every node at what is drawn for it now (a folded literal follows its op into a group)."""
    for n, r in v.rep.items():
        while isinstance(r, int) and v.rep[r] != r:
            r = v.rep[r]
        v.rep[n] = r


def _fold_literals(G, v):
    """A literal constant (the 2 in x**2) that its only user's label already shows is not drawn again."""
    inputs = set(G.graph.get("inputs") or ())
    for n in sorted(G):
        d = G.nodes[n]
        if d.get("op") == "const" and n not in inputs and np.ndim(d.get("value")) == 0 and G.out_degree(n) == 1:
            user = next(iter(G.successors(n)))
            if str(d.get("name", "")) in style.node_title(G.nodes[user]):
                v.rep[n] = user


def _collapse_if_informative(G, v, chains, instances, depth):
    """Collapse scope calls at `depth`, unless that leaves fewer than MIN_SHOWN boxes (one box saying
    "mlp" tells nothing; grouping by line says more)."""
    trial = View(rep=dict(v.rep), groups=dict(v.groups), clusters=v.clusters)
    _collapse_scopes(G, trial, chains, instances, depth)
    _resolve(trial)
    if len(set(trial.rep.values())) >= MIN_SHOWN:
        v.rep, v.groups = trial.rep, trial.groups
        v.notes += trial.notes


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
    """Fold chains of single-use ops (x -> sin -> sin -> ...) of at least `fold_min` nodes into one node.

    An op of the chain may also read leaves (a weight shared by every layer, a literal) and side ops
    computed from leaves alone (the w[i] of h * w[i], the x*x of total + x*x): they fold with it, so a
    loop's body repeated N times becomes one `(body) xN` box.
    """
    def linkable(n):
        return v.rep[n] == n and G.nodes[n].get("op") not in ("input", "const") and n != G.graph.get("output")

    def is_leaf(p):
        return G.in_degree(p) == 0 and v.rep[p] in (p, v.rep.get(next(iter(G.successors(p)), None)))

    def side_op(p, m):
        return (v.rep[p] == p and G.in_degree(p) > 0 and list(G.successors(p)) == [m] and chains[p] == chains[m]
                and all(is_leaf(q) for q in G.predecessors(p)))

    def successor(n):
        """The next node of n's run, or None."""
        succ = list(G.successors(n))
        if len(succ) != 1 or not linkable(n):
            return None
        m = succ[0]
        if v.rep[m] != m or G.nodes[m].get("op") in ("input", "const"):
            return None
        preds = [p for p in G.predecessors(m) if p == n or not (is_leaf(p) or side_op(p, m))]
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
        ops = set(run) | {p for m in run[1:] for p in G.predecessors(m) if side_op(p, m)}
        leaves = {p for m in ops for p in G.predecessors(m)   # constants only it uses; inputs stay drawn
                  if G.nodes[p].get("op") == "const" and v.rep[p] == p and set(G.successors(p)) <= ops}
        title = _run_title([G.nodes[m].get("display") or G.nodes[m].get("op") for m in sorted(ops)])
        v.groups[key] = Group("fold", title, sorted(ops | leaves), parent=chains[run[0]])
        for m in v.groups[key].members:
            v.rep[m] = key
    _resolve(v)
    if runs:
        v.notes.append(f"{len(runs)} runs of repeated ops folded ({sum(map(len, runs))} nodes)")


def _run_title(ops):
    """'sin x10000' for one repeated op, '(*, sin) x500' for a repeated pattern, else '12 ops'."""
    for period in range(1, 5):
        if len(ops) % period == 0 and len(ops) // period >= 2 and all(o == ops[i % period] for i, o in enumerate(ops)):
            pattern = ops[0] if period == 1 else "(" + ", ".join(ops[:period]) + ")"
            return f"{pattern} \u00d7{len(ops) // period}"
    return f"{len(ops)} ops"


def _group_lines(G, v, chains):
    """Group consecutive ops of one source line in one scope call (a neuron's weighted sum written as a
    loop) into one box, with the leaves only they use (that neuron's weights)."""
    runs, run, last = [], [], None
    for n in sorted(G):
        d = G.nodes[n]
        if G.in_degree(n) == 0:
            continue  # a leaf between two ops of a run cannot close a cycle
        key = (d.get("source"), chains[n]) if v.rep[n] == n and d.get("source") else None
        if key is None or key != last:
            if len(run) > 1:
                runs.append(run)
            run = []
        if key is not None:
            run.append(n)
        last = key
    if len(run) > 1:
        runs.append(run)
    for run in runs:
        key = ("b", run[0])
        d = G.nodes[run[0]]
        v.groups[key] = Group("line", _line_title(d), list(run), parent=chains[run[0]])
        for m in run:
            v.rep[m] = key
    for m in sorted(G):   # an op that only finishes one group's work (the neuron's tanh) joins it
        if v.rep[m] != m or G.in_degree(m) == 0:
            continue
        heads = {v.rep[p] for p in G.predecessors(m) if G.in_degree(p) > 0}
        head = heads.pop() if len(heads) == 1 else None
        if head in v.groups and v.groups[head].kind == "line" and chains[m] == v.groups[head].parent:
            leaving = {s for n in v.groups[head].members for s in G.successors(n) if v.rep[s] != head}
            if leaving == {m}:
                v.rep[m] = head
                v.groups[head].members = sorted(v.groups[head].members + [m])
    for n in sorted(G):   # a leaf whose users are all in one line group joins it
        if G.in_degree(n) == 0 and v.rep[n] == n:
            heads = {v.rep[s] for s in G.successors(n)}
            head = heads.pop() if len(heads) == 1 else None
            if head in v.groups and v.groups[head].kind == "line":
                v.rep[n] = head
                v.groups[head].members = sorted(v.groups[head].members + [n])
    _resolve(v)
    if runs:
        v.notes.append(f"{len(runs)} runs of one source line grouped ({sum(map(len, runs))} ops)")


def _line_title(data):
    """'L12: total = total + w…': a source line, short enough for a box."""
    code = data.get("code") or data.get("op") or ""
    line = str(data.get("source") or "").rpartition(":")[2]
    return f"L{line}: {code[:18] + '…' if len(code) > 19 else code}" if line else code[:20]


def _bundle_leaves(G, v):
    """Leaves with the same users (800 inputs summed in one loop, a neuron's weights) become one box."""
    bundles = defaultdict(list)
    for n in sorted(G):
        if G.in_degree(n) == 0 and v.rep[n] == n and G.out_degree(n):
            bundles[frozenset(v.rep[s] for s in G.successors(n)), G.nodes[n].get("op")].append(n)
    made = [nodes for nodes in bundles.values() if len(nodes) >= 4]
    for nodes in made:
        key = ("b", nodes[0])
        names = [str(G.nodes[n].get("name", n)) for n in (nodes[0], nodes[-1])]
        v.groups[key] = Group("leaves", f"{names[0]} .. {names[1]}", nodes)
        for n in nodes:
            v.rep[n] = key
    if made:
        v.notes.append(f"{sum(map(len, made))} leaves with the same users drawn as {len(made)} boxes")


def _merge_steps(G, v, size):
    """Last resort: merge what is drawn, `size` consecutive boxes at a time in dependency order (leaves
    among themselves), so at most about total/size boxes remain and the drawing stays a DAG."""
    order, edges, first = quotient(G, v.rep)
    keys = sorted(first, key=first.get)
    preds, users = defaultdict(set), defaultdict(list)
    for a, b in sorted(edges, key=lambda e: (first[e[0]], first[e[1]])):
        preds[b].add(a)
        users[a].append(b)
    order = [k for k in order if preds[k]]
    chunk_of = {k: i // size for i, k in enumerate(order)}
    leaves = [k for k in keys if not preds[k]]   # merged among themselves: a leaf has nothing before it
    chunk_of.update({k: -1 - i // size for i, k in enumerate(leaves)})
    if size >= len(keys):   # the very last resort: one box
        chunk_of = dict.fromkeys(keys, 0)
    members = defaultdict(list)
    for n in sorted(G):
        members[chunk_of[v.rep[n]]].append(n)
    for nodes in members.values():
        if len({v.rep[n] for n in nodes}) < 2:
            continue
        key = ("b", nodes[0])
        lines = Counter(_line_title(G.nodes[n]) for n in nodes if G.in_degree(n))
        title = f"{lines.most_common(1)[0][0]} +{len(lines) - 1} lines" if len(lines) > 1 else next(iter(lines), "")
        v.groups[key] = Group("block", title or f"steps {nodes[0]}..{nodes[-1]}", nodes)
        for n in nodes:
            v.rep[n] = key
    v.notes[:] = [n for n in v.notes if not n.startswith("consecutive steps merged")]
    v.notes.append(f"consecutive steps merged, up to {size} boxes per block")


def _topological(keys, preds, first):
    """`keys` in an order where each comes after its predecessors, earliest in trace order first."""
    inside = set(keys)
    waiting = {k: len(preds[k] & inside) for k in keys}
    succs = defaultdict(list)
    for k in keys:
        for p in sorted(preds[k] & inside, key=first.get):
            succs[p].append(k)
    ready = [(first[k], k) for k in keys if waiting[k] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, k = heapq.heappop(ready)
        out.append(k)
        for s in succs[k]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, (first[s], s))
    return out


def dot_id(key):
    """Stable DOT node name of a representative: n7 for node 7, s2 / f7 / b7 for groups."""
    return f"n{key}" if isinstance(key, int) else f"{key[0]}{key[1]}"


def exits(G, members):
    """Members whose value leaves the group (or is the output)."""
    inside = set(members)
    return [m for m in members if m == G.graph.get("output") or any(s not in inside for s in G.successors(m))]


@dataclass(frozen=True)
class Reference:
    """What edge colours are measured against: the RMS of the gradient the output sends, and the batch size.

    The gradient is read at the output, or, when the output is a reduction (a mean or sum over an
    array, a loss helper), at the array it reads: averaging over a batch of N scales every gradient by
    1/N, which says nothing about vanishing. That array's first axis is the batch (`batch` rows).
    """

    rms: float = 1.0
    batch: int = 1

    def relative(self, G, node, flow):
        """RMS of a gradient flowing into `node` against the output's; None where nothing flows.

        A value without the batch axis (a weight, a bias) gets one term per row of the batch summed into
        its gradient, so it is compared at sqrt(batch) times the reference: the size of a sum of that many
        terms that do not agree in sign.
        """
        size = style.rms(flow)
        if size is None:
            return None
        shape = np.shape(G.nodes[node].get("value"))
        shared = self.batch > 1 and not (shape and shape[0] == self.batch)
        return size / self.rms / (math.sqrt(self.batch) if shared else 1.0)


def reference(G):
    """The `Reference` of a graph (rms 1, batch 1 when the output carries no usable gradient)."""
    node = G.graph.get("output")
    if node not in G:
        return Reference()
    start = node
    while True:
        operands = [p for p in G.predecessors(node) if G.nodes[p].get("grad") is not None]
        if len(operands) != 1 or np.size(G.nodes[operands[0]].get("value")) <= np.size(G.nodes[node].get("value")):
            break
        node = operands[0]
    ref = style.rms(G.nodes[node].get("grad"))
    shape = np.shape(G.nodes[node].get("value"))
    batch = shape[0] if node != start and shape else 1
    return Reference(ref if ref and math.isfinite(ref) else 1.0, int(batch))


def combined_edges(G, v):
    """(tail key, head key) -> edge data for the drawn edges, in a stable order.

    An edge between plain nodes keeps its own attributes. Edges that run into a group, or several edges
    merged into one, get gain = |gradient they send back| / |gradient arriving at the head|, the contract's
    gain for the group as a whole; where no gradient arrives, the sum over paths of the products of gains.
    Every drawn edge also gets `relative`: the size of the gradient it carries, see `Reference.relative`.
    """
    merged = defaultdict(list)
    for u, w in sorted(G.edges):
        ru, rw = v.rep[u], v.rep[w]
        if ru != rw:
            merged[(ru, rw)].append((u, w))
    out, ref = {}, reference(G)
    for key in sorted(merged, key=lambda k: (v.first[k[0]], v.first[k[1]])):
        edges = merged[key]
        if len(edges) == 1 and isinstance(key[1], int):
            data = dict(G.edges[edges[0]], members=edges)
            data["relative"] = ref.relative(G, edges[0][0], data.get("grad_flow"))
        else:
            data = _combine(G, v, key[1], edges, ref)
        out[key] = data
    return out


def _combine(G, v, head, edges, ref):
    flows = [G.edges[e].get("grad_flow") for e in edges]
    if all(f is None for f in flows):
        return {"gain": None, "grad_flow": None, "local_factor": None, "formula": "", "combined": len(edges),
                "members": edges, "relative": None}
    per_source = defaultdict(lambda: 0.0)
    for (u, _), f in zip(edges, flows):
        if f is not None:
            per_source[u] = per_source[u] + f
    flow = math.hypot(*(style.norm(f) for f in per_source.values()))
    # The RMS over all the sources' elements, each measured as Reference.relative measures it alone.
    relative = math.sqrt(sum(ref.relative(G, u, f) ** 2 * max(1, np.size(f)) for u, f in per_source.items())
                         / sum(max(1, np.size(f)) for f in per_source.values()))
    heads = v.groups[head].outs if head in v.groups else [head]
    arriving = math.hypot(*(style.norm(G.nodes[h].get("grad")) or 0.0 for h in heads))
    if arriving > 0 and math.isfinite(arriving):
        gain = flow / arriving
    elif not math.isfinite(flow):
        gain = flow
    else:
        gain = _path_gain(G, v, head, edges, heads)
    return {"gain": gain, "grad_flow": flow, "local_factor": None, "formula": "", "combined": len(edges),
            "members": edges, "relative": relative}


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


def plan(G, *, highlight=None, id_prefix=None, warn=True, width_scale=1.0, note=None, **options):
    """Check the options, id prefix and highlight, and decide what is drawn (`view`); see `to_dot`."""
    opts = check_options(options)
    prefix = _check_prefix(id_prefix)
    node_marks, edge_marks = check_highlight(G, highlight)
    v = view(G, opts, warn=warn, width_scale=width_scale)
    if note:
        v.notes.append(note)
    return Plan(opts, prefix, node_marks, edge_marks, v)


def to_dot(G, *, highlight=None, id_prefix=None, warn=True, width_scale=1.0, note=None, **options):
    """The DOT source of a traced graph: edges coloured by gain, widths by gradient flow, a legend.

    Args:
        G: a graph from `graphviz_ad.trace` (any DiGraph with the contract's attributes).
        highlight: optional object or mapping with `nodes` {node: mark} and `edges` {(u, v): mark}
            drawn in a colour per mark and listed in the legend.
        id_prefix: prefix of every id in the SVG, so several pictures can share one HTML page.
        warn: warn on stderr when the graph is collapsed to fit the node budget.
        width_scale: how much wider the drawing came out than estimated, when it is redrawn narrower.
        note: one more line for the legend (the renderer says so when a layout ran out of time).
        **options: see `OPTIONS` (rankdir, precision, values, grads, formulas, labels, theme,
            vanishing, exploding, collapse, fold, budget, legend).

    Returns:
        The DOT text; the same graph and options always give the same text.

    Raises:
        RenderError: an unknown or invalid option, or a highlight naming nodes or edges not in G.
    """
    return plan_to_dot(G, plan(G, highlight=highlight, id_prefix=id_prefix, warn=warn, width_scale=width_scale,
                               note=note, **options))


def plan_to_dot(G, p):
    """The DOT text of a `Plan` of G."""
    opts, prefix, node_marks, edge_marks, v = p.opts, p.prefix, p.node_marks, p.edge_marks, p.view
    theme = style.THEMES[opts["theme"]]
    edges = combined_edges(G, v)
    marks = style.mark_colors(list(node_marks.values()) + list(edge_marks.values()))
    rep_marks = _representative_marks(v, node_marks, edge_marks)

    name = str(G.graph.get("function") or "graph")
    titles = node_titles(G, v)
    dot = graphviz.Digraph(
        name=graphviz.nohtml(style.escape(name)),
        graph_attr={"rankdir": v.rankdir, "bgcolor": theme["bg"], "fontname": "Helvetica",
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
                                                          marks, v.notes, _features(G, v, titles),
                                                          opts["color_by"]),
                        shape="plaintext", style="", id=f"{prefix}legend_table", tooltip="legend")

    by_cluster = defaultdict(list)
    for key in sorted(v.placement, key=v.first.get):
        by_cluster[v.placement[key][-1] if v.placement[key] else None].append(key)
    children = defaultdict(list)
    for inst, (_, parent) in sorted(v.clusters.items()):
        children[parent].append(inst)

    copy_ids = {}   # (leaf, user) -> DOT name of the leaf's copy drawn next to that user
    for leaf, heads in sorted(v.copies.items()):
        for k, head in enumerate(heads):
            copy_ids[leaf, head] = dot_id(leaf) + (f"_{k + 1}" if k else "")
            placed = v.placement[head]
            by_cluster[placed[-1] if placed else None].append(("c", leaf, head))
    by_cluster = {inst: [k for k in keys if k not in v.copies] for inst, keys in by_cluster.items()}

    def fill(graph, inst):
        for key in by_cluster.get(inst, ()):
            if isinstance(key, tuple) and key[0] == "c":
                _, leaf, head = key
                attrs = _node_attrs(G, v, leaf, opts, prefix, rep_marks.get(leaf), marks, titles)
                attrs.update(id=f"{prefix}{copy_ids[leaf, head]}", **{"class": f"copy {prefix}{dot_id(leaf)}"})
                graph.node(copy_ids[leaf, head], **attrs)
            else:
                graph.node(dot_id(key), **_node_attrs(G, v, key, opts, prefix, rep_marks.get(key), marks, titles))
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
    main = main_operands(quotient(G, v.rep)[0], edges)
    for (ru, rw), data in edges.items():
        mark = rep_marks.get((ru, rw))
        attrs = _edge_attrs(data, opts, prefix, ru, rw, max_flow, mark, marks)
        if "label" in attrs:
            attrs[label_attr] = attrs.pop("label")
        if main.get(rw) == ru:
            attrs["weight"] = "8"   # keep the main flow straight; weights and constants sit beside it
        dot.edge(copy_ids.get((ru, rw), dot_id(ru)), dot_id(rw), **attrs)
    return dot.source


def _features(G, v, titles):
    """The optional features of the picture that the legend explains (style.LEGEND_FEATURES)."""
    drawn = [k for k in v.placement if isinstance(k, int)]
    used = set()
    if any(np.ndim(G.nodes[k].get("value")) > 0 for k in drawn):
        used.add("arrays")
    if any("#" in titles[k] and titles[k] != style.node_title(G.nodes[k]) for k in drawn):
        used.add("indexed")
    if v.copies:
        used.add("copies")
    if any(v.rep[n] != n and isinstance(v.rep[n], int) for n in G):
        used.add("literals")
    if v.groups:
        used.add("groups")
    return used


def main_operands(order, edges):
    """Drawn node -> its operand with the longest chain of ops behind it: the flow the eye follows."""
    depth, preds = {}, defaultdict(list)
    for a, b in sorted(edges, key=lambda e: (dot_id(e[0]), dot_id(e[1]))):
        preds[b].append(a)
    position = {k: i for i, k in enumerate(order)}
    for k in order:
        depth[k] = max((depth[p] + 1 for p in preds.get(k, ())), default=0)
    main = {k: max(ps, key=lambda p: (depth[p], -position[p])) for k, ps in preds.items()}
    return {k: p for k, p in main.items() if depth[p] > 0}


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


def node_titles(G, v):
    """Each drawn node's first label line: a name assigned in a loop gets its occurrence (h#3), so a
    step reads h#3 -> h#4, not h -> h."""
    counts = Counter(d.get("name") for n, d in G.nodes(data=True) if d.get("op") not in ("input", "const"))
    seen, titles = Counter(), {}
    for n in sorted(G):
        d = G.nodes[n]
        name = d.get("name") or ""
        if d.get("op") in ("input", "const") or counts[name] < 2 or not name.isidentifier():
            title = style.node_title(d)
        else:
            seen[name] += 1
            title = style.node_title(dict(d, name=f"{name}#{seen[name]}"))
        titles[n] = title
    return titles


def _node_attrs(G, v, key, opts, prefix, mark, marks, titles=None):
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
        title = (titles or {}).get(key)
        attrs.update(label=style.node_label(data, precision, opts["values"], opts["grads"], title=title),
                     tooltip=style.node_tooltip(data, precision, mark, title=title))
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
    scale = gain if opts["color_by"] == "factor" or gain is None else data.get("relative")
    kind, color, line = style.edge_style(scale, flow, opts["theme"], opts["vanishing"], opts["exploding"])
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
