"""Layout decisions made before Graphviz runs: how big the drawing will be, which way it runs, which
leaves are drawn once per use, and whether its text will be legible where it is shown.

Legible means: every text at least MIN_TEXT_PX pixels high when the drawing is scaled down to fit the
width it is shown at (`fit_width` pixels: 1280 for a notebook or a browser window, about 800 for a
documentation column or a README). An SVG of W points shown at D pixels is scaled by D / (W * 4/3), so
text of F points is F * D / W pixels high: the drawing must be at most F * D / MIN_TEXT_PX points wide,
where F is the smallest font used (SMALLEST_FONT_PT). Its height may grow up to MAX_ASPECT times that.

Sizes are estimated from the label text and the ranks dot will roughly assign (see `ranks`), which is
cheap (linear in the graph) and close enough to choose between drawing left-to-right and top-to-bottom
and to decide when to reduce the drawing further.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

MIN_TEXT_PX = 8
SMALLEST_FONT_PT = 9       # edge labels and the legend; node labels are 10 pt
MAX_ASPECT = 10            # the tallest drawing allowed, in widths
CHAR_PT = 5.6              # average width of a character of Helvetica 10 pt
LINE_PT = 12.5             # height of a label line
NODE_PAD_PT = (12, 8)      # a box's margins, width and height
RANKSEP_PT, NODESEP_PT = 25, 18
EDGE_LABEL_PT = (34, 12)   # room an edge label takes between ranks: left-to-right, top-to-bottom
LEGEND_PT = (300, 14)     # the legend's width and the height of one of its rows
COPY_SPAN = 3              # a leaf whose users lie more than this many ranks apart is drawn once per use


def max_width_pt(fit_width):
    """The widest drawing, in points, whose smallest text is still legible shown `fit_width` px wide."""
    return SMALLEST_FONT_PT * fit_width / MIN_TEXT_PX


def text_px(font_pt, drawing_width_pt, shown_px):
    """Height in pixels of `font_pt` text when a drawing `drawing_width_pt` wide is shown at most `shown_px` wide."""
    return font_pt * 4 / 3 * min(1.0, shown_px / (drawing_width_pt * 4 / 3))


@dataclass
class Drawn:
    """The graph as drawn: keys in trace order, edges between keys, and each key's estimated box size."""

    keys: list
    edges: list
    size: dict


def ranks(keys, edges):
    """Rank of each key as dot would roughly place it: longest path from the sources, then each node as
    late as its consumers allow (as dot's ranking tends to). Edges must run from earlier keys to later."""
    preds, succs = defaultdict(list), defaultdict(list)
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    rank = {}
    for k in keys:
        rank[k] = max((rank[p] + 1 for p in preds[k]), default=0)
    for k in reversed(keys):
        if succs[k]:
            rank[k] = min(rank[s] for s in succs[k]) - 1
    return rank


def box_size(data, values=True, grads=True, title=None):
    """Estimated (width, height) in points of a node's box, from its label's longest line."""
    title = title if title is not None else str(data.get("name") or data.get("op") or "")
    widest, lines = len(title) + 4, 1
    for key, shown in (("value", values), ("grad", grads)):
        x = data.get(key)
        if shown and x is not None:
            lines += 1
            widest = max(widest, 10 if np.ndim(x) == 0 else 14 + 4 * np.ndim(x) + 3 * 8)
    return widest * CHAR_PT + NODE_PAD_PT[0], lines * LINE_PT + NODE_PAD_PT[1]


@dataclass
class Estimate:
    """The drawing's estimated size one way round."""

    rankdir: str
    width: float
    height: float


def estimate(drawn, rankdir, labels=True, legend_rows=0):
    """Estimated (width, height) in points of the drawing laid out `rankdir` ("LR" or "TB"), with a
    legend of `legend_rows` rows (dot puts it in the first rank, beside the inputs)."""
    rank = getattr(drawn, "rank", None) or ranks(drawn.keys, drawn.edges)
    if not rank:
        return Estimate(rankdir, 0.0, 0.0)
    legend = (LEGEND_PT[0] + 16, LEGEND_PT[1] * legend_rows + 16) if legend_rows else (0.0, 0.0)
    low = min(rank.values())
    count = max(rank.values()) - low + 1
    along, across = [0.0] * count, [0.0] * count   # per rank: the biggest box along the flow, total across it
    lr = rankdir in ("LR", "RL")
    along[0], across[0] = (legend[0], legend[1] + NODESEP_PT) if lr else (legend[1], legend[0] + NODESEP_PT)
    for k in drawn.keys:
        w, h = drawn.size[k]
        r = rank[k] - low
        along[r] = max(along[r], w if lr else h)
        across[r] += (h if lr else w) + NODESEP_PT
    passing = [0] * (count + 1)
    for a, b in drawn.edges:   # long edges: a virtual node per rank they pass
        if rank[b] - rank[a] > 1:
            passing[rank[a] - low + 1] += 1
            passing[rank[b] - low] -= 1
    run = 0
    for r in range(count):
        run += passing[r]
        across[r] += run * (NODESEP_PT if lr else 2 * NODESEP_PT)
    if labels and not lr:   # top to bottom, an edge's label sits beside it
        for a, b in drawn.edges:
            across[rank[b] - low] += EDGE_LABEL_PT[0] / 2
    gap = RANKSEP_PT + (EDGE_LABEL_PT[0 if lr else 1] if labels else 0)
    length = sum(along) + gap * (count - 1)
    breadth = max(across)
    return Estimate(rankdir, length if lr else breadth, breadth if lr else length)


def choose_rankdir(drawn, fit_width, labels=True, legend_rows=0):
    """("LR" or "TB", fits): left-to-right when it fits the width, else top-to-bottom when that does,
    else whichever is narrower."""
    limit = max_width_pt(fit_width)
    options = [estimate(drawn, "LR", labels, legend_rows), estimate(drawn, "TB", labels, legend_rows)]
    for e in options:
        if e.width <= limit and e.height <= MAX_ASPECT * limit:
            return e.rankdir, True
    return min(options, key=lambda e: (e.width > limit, e.height if e.width <= limit else e.width)).rankdir, False


def fits(drawn, rankdir, fit_width, labels=True, legend_rows=0):
    """True when the drawing laid out `rankdir` is legible at `fit_width` (see the module docstring)."""
    limit = max_width_pt(fit_width)
    e = estimate(drawn, rankdir, labels, legend_rows)
    return e.width <= limit and e.height <= MAX_ASPECT * limit


def copied_leaves(leaves, users, rank):
    """Leaves drawn once per use: those whose users lie more than COPY_SPAN ranks apart.

    One weight used by 300 layers would otherwise send 300 edges across the whole drawing, which dot
    spends minutes routing and nobody can follow; a copy next to each user keeps every edge short.
    """
    out = {}
    for leaf in leaves:
        heads = users.get(leaf, ())
        if len(heads) > 1 and max(rank[h] for h in heads) - min(rank[h] for h in heads) > COPY_SPAN:
            out[leaf] = list(heads)
    return out


TIME_SHARES = (0.5, 0.3, 0.2)  # of the wall-clock budget, for the first layout and two smaller retries


def drawn_nodes(source):
    """How many boxes some DOT source of to_dot draws (the legend not counted)."""
    return len(re.findall(r"^\t+(?!(?:graph|node|edge|legend) )[\w]+ \[(?!.*->)", source, re.M))


def svg_overflow(svg, fit_width):
    """How many times wider than legible at `fit_width` an SVG drawing is (<= 1: legible)."""
    head = svg[:2000].decode("utf-8", "replace") if isinstance(svg, bytes) else svg[:2000]
    found = re.search(r'<svg width="([\d.]+)pt"', head)
    return float(found[1]) / max_width_pt(fit_width) if found else 1.0


# The inline style of a drawing shown in a page (docs, Markdown): its natural size when there is room,
# shrunk to its container's width, keeping its proportions (the viewBox), when there is not.
SCALABLE_STYLE = "max-width: 100%; height: auto;"
