"""Graph -> one self-contained interactive HTML page, or a fragment to embed in another page.

The page holds the renderer's SVG, the graph's data as JSON and the inline style and script of
static/interactive.css and static/interactive.js: pan and zoom, details on hover, paths to the output
on click, and a step-through of the forward and the backward pass. Nothing is loaded from the network.
Only the attributes of docs/graph-contract.md are read; see docs/interactive.md.
"""

import hashlib
import html
import json
import re
from collections import defaultdict
from dataclasses import replace
from importlib import resources

import numpy as np

from . import style
from .dot import dot_id, plan, plan_to_dot
from .engine import draw
from .json_values import json_number

MAX_TEXT = 400  # characters of a value written out in full (arrays are already truncated by style.full_text)
# Play speeds: milliseconds per step and their names. The page picks the first that plays a whole pass
# within a minute, so a 1,000-node graph does not take half an hour at 1x.
SPEEDS = ((1400, "0.5\u00d7"), (700, "1\u00d7"), (175, "4\u00d7"), (40, "16\u00d7"), (10, "64\u00d7"),
          (2.5, "256\u00d7"))


def to_html(G, *, fragment=False, highlight=None, id_prefix=None, engine=None, **options):
    """The interactive page of a traced graph, as HTML text.

    Args:
        G: a graph from `graphviz_ad.trace`.
        fragment: False for a whole page (<!DOCTYPE html> ... </html>); True for one <div> holding the
            style, the drawing and the script, to embed in another page. Several fragments can share a
            page when their `id_prefix` differ; the script only touches its own <div>.
        highlight: as for `render`, e.g. a `diagnose` report: its marks are drawn and listed.
        id_prefix: prefix of every element id. Default: "gad-" for a page, and for a fragment "gad" plus
            a hash of the graph's data, so different graphs on one page do not clash.
        engine: the Graphviz engine, as for `render`.
        **options: drawing options, as for `render` (see `graphviz_ad.dot.OPTIONS`).

    Returns:
        The HTML text; the same graph and options always give the same text.

    Raises:
        RenderError: an unknown or invalid option, prefix or highlight, or Graphviz failed.
        EngineNotFound: no Graphviz is available.
    """
    # The page pans and zooms, and every node can be clicked: draw them all, literals too, unless asked.
    options = {"fit_width": None, "literals": True, **options}
    drawing = plan(G, highlight=highlight, id_prefix=id_prefix, **options)
    data = page_data(G, drawing, highlight)
    if id_prefix is None:
        digest = hashlib.sha1(_json(data).encode("utf-8")).hexdigest()[:8]
        id_prefix = f"gad{digest}-" if fragment else "gad-"
        drawing = replace(drawing, prefix=id_prefix)
    svg = draw(plan_to_dot(G, drawing), "svg", engine, id_prefix)
    data.update(prefix=id_prefix, page=not fragment)
    body = _fragment(_clean_svg(svg.decode("utf-8")), data, id_prefix)
    if fragment:
        return body
    title = html.escape(f"{data['function']} - graphviz-ad")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
            f'</head>\n<body class="gad-page">\n{body}</body>\n</html>\n')


def page_data(G, drawing, highlight=None):
    """Everything the script needs, as plain JSON-ready data: nodes, edges, backward steps, findings.

    `drawing` is the `graphviz_ad.dot.Plan` the SVG is drawn from, so element ids match the picture.
    Numbers are given as the label text of style.py (so the page shows what the picture shows); only
    scalar local factors are also given as numbers, for the path products.
    """
    opts, node_marks, edge_marks, v = drawing.opts, drawing.node_marks, drawing.edge_marks, drawing.view
    precision = opts["precision"]
    places = {}  # (source, code, scope) -> index: a loop's nodes share one entry, which keeps big pages light
    nodes = []
    for n in sorted(G):
        d = G.nodes[n]
        operands = sorted(G.predecessors(n), key=lambda u: _first(G.edges[u, n].get("argnum")))
        nodes.append({
            "id": n, "name": str(d.get("name", "")), "op": str(d.get("op", "")), "el": dot_id(v.rep[n]),
            "v": _summary(d.get("value"), precision), "g": _summary(d.get("grad"), precision),
            "vf": _full(d.get("value"), precision), "gf": _full(d.get("grad"), precision),
            "shape": style.shape_text(d.get("shape", ())), "dtype": str(d.get("dtype", "")),
            "at": places.setdefault((str(d.get("source", "")), str(d.get("code", "")),
                                     " > ".join(d.get("scope") or ())), len(places)),
            "mark": node_marks.get(n), "in": operands,
        })
    edges = []
    for u, w in sorted(G.edges):
        d = G.edges[u, w]
        ru, rw = v.rep[u], v.rep[w]
        factor = d.get("local_factor")
        edges.append({
            "u": u, "v": w, "el": f"e_{dot_id(ru)}_{dot_id(rw)}" if ru != rw else None,
            "formula": str(d.get("formula", "")),
            "f": json_number(factor) if factor is not None and np.ndim(factor) == 0 else None,
            "ft": _summary(factor, precision), "gain": _summary(d.get("gain"), precision),
            "flow": _summary(d.get("grad_flow"), precision), "flowf": _full(d.get("grad_flow"), precision),
            "mark": edge_marks.get((u, w)),
        })
    groups = {dot_id(key): {"kind": g.kind, "title": g.title, "members": [g.members[0], g.members[-1], len(g.members)]}
              for key, g in v.groups.items()}
    findings = [{"level": f.level, "kind": f.kind, "message": f.message, "nodes": [int(n) for n in f.nodes]}
                for f in getattr(highlight, "findings", None) or ()]
    output = G.graph.get("output")
    return {
        "function": str(G.graph.get("function") or "graph"), "output": output, "precision": precision,
        "seed": _summary(G.graph.get("seed"), precision), "seedRule": str(G.graph.get("seed_rule", "")),
        "nodes": nodes, "edges": edges, "backward": backward_steps(G, precision), "groups": groups,
        "findings": findings, "notes": list(v.notes), "theme": opts["theme"], "places": [list(p) for p in places],
    }


def backward_steps(G, precision=3):
    """The reverse pass as steps [operand, result, operand's gradient so far (text), complete?].

    Results are visited in reverse trace order, so a result's gradient is complete before it is sent on;
    each edge's grad_flow then adds into its operand's gradient.
    """
    remaining = defaultdict(int)
    for u, w, flow in G.edges(data="grad_flow"):
        if flow is not None:
            remaining[u] += 1
    partial, steps = {}, []
    for w in sorted(G, reverse=True):
        for u in sorted(G.predecessors(w)):
            flow = G.edges[u, w].get("grad_flow")
            if flow is None:
                continue
            partial[u] = flow if u not in partial else partial[u] + flow
            remaining[u] -= 1
            done = remaining[u] == 0
            # The last term shows the node's own grad, so the end of the pass matches the picture exactly.
            total = G.nodes[u].get("grad") if done and G.nodes[u].get("grad") is not None else partial[u]
            steps.append([u, w, _summary(total, precision), done])
    return steps


def _first(argnum):
    """An edge's (first) operand position, for ordering a node's operands."""
    return min(argnum) if isinstance(argnum, tuple) else (argnum if isinstance(argnum, int) else 0)


def _summary(x, precision):
    return None if x is None else style.summary(x, precision)


def _full(x, precision):
    if x is None:
        return None
    text = style.full_text(x, precision)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ..."


def _json(data):
    """Compact, key-sorted JSON that is safe inside <script>: no '<', '>' or '&' left as such."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _clean_svg(svg):
    """The renderer's SVG made ready to inline: no XML prolog, comments or native tooltips (the page
    shows its own details), and no fixed size (the page's viewport sizes it and pans and zooms it)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = svg.replace("&#45;", "-")  # Graphviz escapes every hyphen; ids read better (and weigh less) without
    # Graphviz wraps each element that has a tooltip in <g id="..."><a xlink:title="...">; unwrap them.
    svg = re.sub(r'<g id="[^"]*"><a xlink:title="[^"]*">\n(.*?)</a>\n</g>\n', r"\1", svg, flags=re.S)
    svg = re.sub(r' xlink:title="[^"]*"', "", svg)
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)


def _static(name):
    return resources.files("graphviz_ad").joinpath("static", name).read_text(encoding="utf-8")


def _fragment(svg, data, prefix):
    """One <div>: style, toolbar, drawing, side panel, data and the script that starts it."""
    root = f"{prefix}root"
    svg = svg.replace("<svg", '<svg tabindex="-1" role="group" aria-label="' + html.escape(
        f"computation graph of {data['function']}: {len(data['nodes'])} nodes; Tab moves through them, "
        "Enter lists a node's paths to the output", quote=True) + '"', 1)
    button = '<button type="button" data-act="{}" aria-label="{}" title="{}">{}</button>'.format
    speeds = "".join(f'<option value="{ms}"{" selected" if ms == 700 else ""}>{name}</option>'
                     for ms, name in SPEEDS)
    return (
        f'<div class="gad-interactive gad-{data["theme"]}" id="{root}" tabindex="0">\n'
        f"<style>\n{_static('interactive.css')}</style>\n"
        '<div class="gad-toolbar" role="toolbar" aria-label="step through the forward and backward pass">\n'
        + button("first", "Start", "Start (Home)", "|\u25c0")
        + button("prev", "Step back", "Step back (\u2190)", "\u25c0")
        + '<button type="button" data-act="play" class="gad-play" aria-label="Play" title="Play / pause (space)">'
          "\u25b6 play</button>"
        + button("next", "Step forward", "Step forward (\u2192)", "\u25b6")
        + button("last", "End", "End (End)", "\u25b6|")
        + button("backward", "Jump to the backward pass", "Jump to the backward pass (B)", "\u21a9 backward")
        + '\n<select class="gad-speed" aria-label="speed" title="Steps per second">' + speeds + "</select>\n"
        '<span class="gad-track"><input type="range" class="gad-slider" min="0" max="0" value="0" aria-label="step">'
        '<span class="gad-boundary" aria-hidden="true" title="forward | backward"></span></span>\n'
        '<span class="gad-counter" aria-hidden="true"></span>\n'
        '<span class="gad-zoom">' + button("zoomin", "Zoom in", "Zoom in (+)", "+")
        + button("zoomout", "Zoom out", "Zoom out (-)", "\u2212") + button("fit", "Fit the whole drawing", "Fit (0)", "fit")
        + "</span>\n</div>\n"
        '<div class="gad-main">\n'
        f'<div class="gad-viewport">\n{svg}</div>\n'
        '<div class="gad-side">\n'
        '<section class="gad-step" aria-live="polite" aria-atomic="true"><h3>Step</h3><div class="gad-step-title"></div>'
        '<div class="gad-step-sum"></div><div class="gad-step-value"></div><div class="gad-step-grad"></div>'
        '<div class="gad-step-note"></div></section>\n'
        '<section class="gad-findings" hidden><h3>Findings</h3><ul class="gad-findings-body"></ul></section>\n'
        '<section class="gad-details"><h3>Details</h3><div class="gad-details-body">'
        "Hover or focus a node or edge; click a node (or press Enter) for its paths to the output.</div></section>\n"
        '<section class="gad-paths" hidden><h3>Paths to the output</h3><div class="gad-paths-body"></div></section>\n'
        '<section class="gad-help"><h3>Keys</h3>\u2190 \u2192 step, space play/pause, Home/End, B backward pass, '
        "+ \u2212 0 zoom, Tab to a node and Enter for its paths, Esc clear. Drag to pan, wheel to zoom.</section>\n"
        "</div>\n</div>\n"
        f'<script type="application/json" class="gad-data">{_json(data)}</script>\n'
        f"<script>\n{_static('interactive.js')}"
        f"graphvizAdInteractive(document.getElementById({json.dumps(root)}));\n</script>\n"
        "</div>\n"
    )
