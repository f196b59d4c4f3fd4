"""Drawing a traced graph in any format: picks the writer by format and writes the file.

DOT text comes from dot.py, JSON from export.py, the interactive page from html.py; Graphviz itself is
run by engine.py alone.
"""

from pathlib import Path

from . import engine as graphviz_engine
from . import export, layout
from .dot import check_options, to_dot
from .errors import RenderError
from .html import to_html

FORMATS = ("svg", "png", "pdf", "dot", "json", "html")
# Every drawing but one asked to show every node (budget=None) is due within LAYOUT_SECONDS: a layout still
# running after its share of that time (layout.TIME_SHARES) is stopped and the drawing reduced further.
LAYOUT_SECONDS = 10


def check_format(format):
    """The format, or RenderError listing the valid ones."""
    if format not in FORMATS:
        raise RenderError(f"unknown format: {format!r} (must be one of {list(FORMATS)})")
    return format


def render(G, path=None, format=None, *, highlight=None, id_prefix=None, engine=None, **options):
    """Draw a traced graph: SVG, PNG or PDF through Graphviz, or its DOT source, or JSON data.

    Args:
        G: a graph from `graphviz_ad.trace`.
        path: file to write; None to return the bytes.
        format: one of `FORMATS` (default: from the path's suffix, else "svg"): "svg", "png", "pdf", "dot" (no engine needed), "json" (node-link data,
            read back with `load_json`; drawing options are checked but unused), "html" (the interactive
            page of `graphviz_ad.html.to_html`, see docs/interactive.md).
        highlight: object or mapping with `nodes` {node: mark name} and `edges` {(u, v): mark name}.
        id_prefix: prefix for every id in the SVG, so several drawings can share one HTML page.
        engine: a dot executable or "pygraphviz"; default: $GRAPHVIZ_AD_DOT, `dot` on PATH, pygraphviz.
        **options: drawing options, see `graphviz_ad.dot.OPTIONS`.

    Returns:
        The bytes when `path` is None (a `bytes` that Jupyter displays as the drawing), else the path written.

    Raises:
        RenderError: unknown format or option, or Graphviz failed.
        EngineNotFound: an engine format was asked for and no Graphviz is available.
    """
    suffix = Path(path).suffix.lstrip(".").lower() if path is not None else ""
    if format is None:
        format = suffix if suffix in FORMATS else "svg"
    check_format(format)
    if suffix in FORMATS and suffix != format:
        raise RenderError(f"path {str(path)!r} ends in .{suffix} but format is {format!r}; pass format={suffix!r}")
    if format == "html":
        data = to_html(G, highlight=highlight, id_prefix=id_prefix, engine=engine, **options).encode("utf-8")
    elif format == "json":
        check_options(options)
        data = export.to_json(G).encode("utf-8")
    elif format == "dot":
        data = to_dot(G, highlight=highlight, id_prefix=id_prefix, **options).encode("utf-8")
    else:
        data = _draw_in_time(G, format, engine, highlight, id_prefix, options)
    if path is None:
        from .notebook import Rendered  # bytes that a notebook displays as the drawing

        return Rendered(data, format)
    Path(path).write_bytes(data)
    return path


def _draw_in_time(G, format, engine, highlight, id_prefix, options):
    """Run Graphviz within LAYOUT_SECONDS: a layout past its share of the time is stopped and the drawing
    redrawn with a quarter of its boxes, then again; an SVG wider than legible at fit_width is redrawn
    once with the estimates scaled by how far off they were. budget=None draws every node, once."""
    opts = check_options(options)
    if opts["budget"] is None:
        return graphviz_engine.draw(to_dot(G, highlight=highlight, id_prefix=id_prefix, **options), format, engine,
                                    id_prefix)
    budget, scale, first_error, first_seconds, note = opts["budget"], 1.0, None, None, None
    for share in layout.TIME_SHARES:
        seconds = min(graphviz_engine.LAYOUT_TIMEOUT, LAYOUT_SECONDS * share)
        source = to_dot(G, highlight=highlight, id_prefix=id_prefix, width_scale=scale, note=note,
                        warn=first_error is None and scale == 1.0, **dict(options, budget=budget))
        try:
            data = graphviz_engine.draw(source, format, engine, id_prefix, timeout=seconds)
        except graphviz_engine.LayoutTimeout as e:
            first_error, first_seconds = (first_error, first_seconds) if first_error else (e, seconds)
            budget = max(1, layout.drawn_nodes(source) // 4)
            note = f"layout ran past {first_seconds:g} s: redrawn with at most {budget} boxes"
            continue
        over = layout.svg_overflow(data, opts["fit_width"]) if format == "svg" and opts["fit_width"] else 1.0
        if over <= 1.0 or scale > 1.0:
            return data
        scale = over   # the estimate was off: one more try, narrower
    if first_error is None:
        return data
    raise first_error
