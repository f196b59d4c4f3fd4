"""Drawing a traced graph in any format: picks the writer by format and writes the file.

DOT text comes from dot.py, JSON from export.py, the interactive page from html.py; Graphviz itself is
run by engine.py alone.
"""

from pathlib import Path

from . import engine as graphviz_engine
from . import export
from .dot import check_options, to_dot
from .errors import RenderError
from .html import to_html

FORMATS = ("svg", "png", "pdf", "dot", "json", "html")


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
        The bytes when `path` is None, else the path written.

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
    else:
        source = to_dot(G, highlight=highlight, id_prefix=id_prefix, **options)
        data = source.encode("utf-8") if format == "dot" else graphviz_engine.draw(source, format, engine, id_prefix)
    if path is None:
        return data
    Path(path).write_bytes(data)
    return path
