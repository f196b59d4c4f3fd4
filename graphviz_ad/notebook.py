"""Jupyter display: graphs, interactive pages, rendered bytes and diagnose reports shown inline.

The interactive page goes in an <iframe srcdoc="...">: its script, style and element ids live in a
document of their own, so several pages, the notebook's own styles and nbconvert's HTML export cannot
clash with it, and it needs no trust beyond what the notebook gives any HTML output. Nothing here is
imported from IPython (Jupyter only calls the _repr_ methods), so it works without a running kernel;
and nothing here imports the renderer, the graph or the debugger, which call into it.
"""

import html
import json
import warnings

from .errors import GraphvizAdWarning

INLINE_BUDGET = 400  # nodes drawn inline (a notebook cell is no place for a thousand-node picture)
MAX_INLINE_BYTES = 1_000_000  # an inline drawing still bigger than this is described, not embedded
HEIGHT = 640  # px, the height of an inline interactive page


def summary_line(G):
    """The graph's one-line text form: `<graphviz_ad.Graph f: 8 nodes, 8 edges>`."""
    return (f"<graphviz_ad.Graph {G.graph.get('function', '')}: {G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges>")


def too_big(G, size):
    """The note shown instead of a drawing too big to embed inline (Graph's display)."""
    name = html.escape(str(G.graph.get("function", "graph")))
    return (f"<div class=\"gad-too-big\"><b>{name}</b>: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges. "
            f"Even collapsed its drawing is {size / 1e6:.1f} MB of SVG, too big to embed in a notebook. "
            "Look at it with <code>graphviz_ad.interactive(G)</code>, write it with "
            "<code>graphviz_ad.render(G, \"graph.svg\")</code>, or draw a part of it "
            "(<code>G.subgraph(...)</code>, <code>collapse=</code>).</div>")


class Interactive:
    """The interactive page of a graph, displayed inline in Jupyter (and in nbconvert's HTML).

    Made by `graphviz_ad.interactive(G, ...)` or `G.interactive(...)`. `.html` is the whole page, as
    `to_html` writes it; `.save(path)` writes it to a file.
    """

    def __init__(self, G, height=HEIGHT, **options):
        from .html import to_html

        self.graph = G
        self.height = height
        if G.number_of_nodes() > INLINE_BUDGET and "budget" not in options:
            options["budget"] = INLINE_BUDGET  # collapsed, as the inline drawing is
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GraphvizAdWarning)
            self.html = to_html(G, **options)

    def save(self, path):
        """Write the page; returns the path."""
        from pathlib import Path

        Path(path).write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self):
        return iframe(self.html, self.height, title=f"interactive graph of {self.graph.graph.get('function', 'graph')}")

    def __repr__(self):
        return f"<graphviz_ad interactive page of {summary_line(self.graph)[1:-1]}: {len(self.html):,} characters>"


def interactive(G, height=HEIGHT, **options):
    """The interactive page of a traced graph, for display in a notebook (the last line of a cell).

    Args:
        G: a graph from `graphviz_ad.trace`.
        height: the page's height in the notebook, in px.
        **options: as for `to_html` (drawing options, `highlight=` a diagnose report, `engine=`).
            Above INLINE_BUDGET nodes the drawing is collapsed unless `budget=` is given.
    """
    return Interactive(G, height=height, **options)


def iframe(page, height=HEIGHT, title="interactive graph"):
    """An <iframe> holding a whole HTML page in its srcdoc: the page keeps its script and ids to itself."""
    return (f'<iframe class="gad-frame" title="{html.escape(title, quote=True)}" srcdoc="{html.escape(page, quote=True)}" '
            f'style="width: 100%; height: {int(height)}px; border: 1px solid #d0d0d0;"></iframe>')


class Rendered(bytes):
    """What `render` returns without a path: the bytes, which a notebook displays as the drawing
    (SVG, PNG, the interactive page) instead of printing them. It is a `bytes`, equal to the raw data."""

    format = None

    def __new__(cls, data, format):
        self = super().__new__(cls, data)
        self.format = format
        return self

    def __repr__(self):
        # A short description rather than megabytes of escaped bytes, in a notebook and at a prompt alike.
        return f"<graphviz_ad {self.format} drawing: {len(self):,} bytes>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = repr(self)
        if self.format == "svg":
            return {"image/svg+xml": self.decode("utf-8"), "text/plain": text}
        if self.format == "png":
            return {"image/png": bytes(self), "text/plain": text}
        if self.format == "html":
            return {"text/html": iframe(self.decode("utf-8")), "text/plain": text}
        if self.format in ("dot", "json"):
            return {"text/plain": self.decode("utf-8")}
        return {"text/plain": text}


def report_html(report, number=str):
    """A diagnose Report as an HTML table (`number` writes the flow table's figures, as the text table
    does). Each finding's nodes are buttons: clicked, they select the node in the interactive pages
    of the same notebook (a message to every drawing on the page)."""
    rows = []
    G = getattr(report, "graph", None)
    name = (lambda n: str(G.nodes[n].get("name", n))) if G is not None else str
    for f in report.findings:
        nodes = " ".join(
            f'<button type="button" class="gad-node" data-node="{int(n)}" title="select node {int(n)} in the drawing">'
            f"{html.escape(name(n))}</button>" for n in list(f.nodes)[:8])
        more = f" +{len(f.nodes) - 8}" if len(f.nodes) > 8 else ""
        rows.append(f'<tr class="gad-{html.escape(f.level)}"><td>{html.escape(f.level)}</td><td>{html.escape(f.kind)}</td>'
                    f"<td>{html.escape(f.source or '-')}</td><td>{html.escape(f.message)}</td><td>{nodes}{more}</td></tr>")
    function = html.escape(str(G.graph.get("function", "graph"))) if G is not None else "graph"
    body = "".join(rows) or '<tr><td colspan="5">no findings: the gradients look healthy</td></tr>'
    # The click handler posts to every frame and to the page itself; drawings select the node if they have it.
    script = ("<script>(function(t){t.addEventListener('click',function(e){var b=e.target.closest('button[data-node]');"
              "if(!b)return;var m={graphvizAd:'select',node:Number(b.dataset.node),graph:" + json.dumps(function) + "};"
              "document.querySelectorAll('iframe.gad-frame').forEach(function(f){f.contentWindow&&f.contentWindow.postMessage(m,'*');});"
              "window.postMessage(m,'*');});})(document.currentScript.previousElementSibling);</script>")
    return (f'<table class="gad-report"><caption>diagnose({function}): {len(report.findings)} finding'
            f'{"" if len(report.findings) == 1 else "s"}</caption>'
            "<thead><tr><th>level</th><th>kind</th><th>where</th><th>finding</th><th>nodes</th></tr></thead>"
            f"<tbody>{body}</tbody></table>{script}{_flow_table(report.flow, number)}")


def _flow_table(flow, short_number):
    """The report's gradient flow by scope, as the text table gives it."""
    if not flow:
        return ""
    head = ("scope", "tensor", "size", "grad rms", "grad max", "grad/value")
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
            r["scope"], r["tensor"], r["size"], short_number(r["grad_rms"]), short_number(r["grad_max"]),
            short_number(r["grad_to_value"]))) + "</tr>" for r in flow)
    return ('<table class="gad-report-flow"><caption>gradient flow by scope</caption><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{rows}</tbody></table>")
