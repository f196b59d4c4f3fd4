"""Running Graphviz: the only module that does. Finds a layout engine and turns its failures into our errors.

Engine order: $GRAPHVIZ_AD_DOT (a dot executable, or "pygraphviz"), `dot` on PATH, then pygraphviz in
process (its wheels bundle Graphviz, so `pip install graphviz-ad` alone can draw).
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from . import export
from .dot import check_options, to_dot
from .errors import EngineNotFound, GraphvizAdError, RenderError

FORMATS = ("svg", "png", "pdf", "dot", "json", "html")
ENGINE_FORMATS = ("svg", "png", "pdf")
ENV = "GRAPHVIZ_AD_DOT"
PYGRAPHVIZ = "pygraphviz"
INSTALL_HINT = ("install one with `pip install pygraphviz` (wheels include Graphviz) or your system's "
                "graphviz package (apt install graphviz, brew install graphviz), or set GRAPHVIZ_AD_DOT to a dot "
                "executable; formats 'dot' and 'json' need no engine")


def check_format(format):
    """The format, or RenderError listing the valid ones."""
    if format not in FORMATS:
        raise RenderError(f"unknown format: {format!r} (must be one of {list(FORMATS)})")
    return format


def _has_pygraphviz():
    try:
        import pygraphviz  # noqa: F401  (only whether it imports)
    except ImportError:
        return False
    return True


def find_engine(engine=None):
    """The layout engine to run: the path of a dot executable, or "pygraphviz" for the in-process one.

    Args:
        engine: a dot executable (name or path) or "pygraphviz"; None to use $GRAPHVIZ_AD_DOT, then
            `dot` on PATH, then pygraphviz.

    Raises:
        EngineNotFound: the requested engine, or any engine at all, is not available.
    """
    choice = engine if engine is not None else os.environ.get(ENV) or None
    if choice == PYGRAPHVIZ:
        if _has_pygraphviz():
            return PYGRAPHVIZ
        raise EngineNotFound(f"Graphviz engine 'pygraphviz' was asked for but cannot be imported; {INSTALL_HINT}")
    if choice is not None:
        found = shutil.which(str(choice))
        if found:
            return found
        where = "engine" if engine is not None else ENV
        raise EngineNotFound(f"{where}={str(choice)!r} is not an executable Graphviz dot; {INSTALL_HINT}")
    found = shutil.which("dot")
    if found:
        return found
    if _has_pygraphviz():
        return PYGRAPHVIZ
    raise EngineNotFound(f"no Graphviz layout engine found (no `dot` on PATH, no pygraphviz); {INSTALL_HINT}")


# Long enough for every drawing within the node budget; a layout still running after it is stopped with
# an error saying what to do, rather than left to run for many minutes without a word.
LAYOUT_TIMEOUT = 300


def run_engine(source, format="svg", engine=None):
    """Lay out DOT source and return the drawing's bytes.

    Raises:
        EngineNotFound: no engine (see `find_engine`).
        RenderError: Graphviz rejected the source or failed.
    """
    if format not in ENGINE_FORMATS:
        raise RenderError(f"unknown format for Graphviz: {format!r} (must be one of {list(ENGINE_FORMATS)})")
    engine = find_engine(engine)
    data = _run_pygraphviz(source, format) if engine == PYGRAPHVIZ else _run_dot(engine, source, format)
    return fixed_pdf_date(data) if format == "pdf" else data


def _run_pygraphviz(source, format):
    import pygraphviz

    try:
        return pygraphviz.AGraph(string=source).draw(format=format, prog="dot")
    except (ValueError, TypeError, OSError) as e:
        raise RenderError(f"Graphviz (pygraphviz) could not draw {format}: {str(e).strip()}") from e


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})(Z|[+-]\d\d'\d\d'?)?\)")


def fixed_pdf_date(pdf):
    """A PDF's creation date set to $SOURCE_DATE_EPOCH (default 0, 1970-01-01), so the same graph gives the
    same bytes. Cairo writes the current time whatever the environment says; the date is rewritten
    in place, with the same length, so the file's cross-reference offsets stay right."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "0")
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(int(epoch) if epoch.isdigit() else 0)).encode()
    zone = {1: b"Z", 6: b"+00'00", 7: b"+00'00'"}

    def fixed(m):
        tz = m[3] or b""
        return b"/" + m[1] + b" (D:" + stamp + (zone[len(tz)] if tz else b"") + b")"
    return _PDF_DATE.sub(fixed, pdf)


def _run_dot(engine, source, format):
    try:
        done = subprocess.run([engine, f"-T{format}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=LAYOUT_TIMEOUT)
    except OSError as e:
        raise EngineNotFound(f"cannot run Graphviz {engine!r}: {e}; {INSTALL_HINT}") from e
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz {engine} took over {LAYOUT_TIMEOUT:g} s to lay this graph out and was stopped; "
                          "draw less of it (collapse=1, a smaller budget) or write format='dot' and run "
                          "Graphviz yourself") from None
    if done.returncode != 0:
        errors = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        detail = next((line for line in errors if "rror" in line), errors[0] if errors else "no message")
        raise RenderError(f"Graphviz {engine} -T{format} failed (exit {done.returncode}): {detail.strip()}")
    return done.stdout


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
        from .html import to_html  # imported here: html.py draws its SVG through render()

        data = to_html(G, highlight=highlight, id_prefix=id_prefix, engine=engine, **options).encode("utf-8")
    elif format == "json":
        check_options(options)
        data = export.to_json(G).encode("utf-8")
    else:
        source = to_dot(G, highlight=highlight, id_prefix=id_prefix, **options)
        data = source.encode("utf-8") if format == "dot" else run_engine(source, format, engine)
        if format == "svg" and id_prefix:
            # Graphviz names each tooltip's anchor "a_" + id; move the prefix to the front of those too.
            for form in {id_prefix, id_prefix.replace("-", "&#45;")}:
                data = data.replace(f'id="a_{form}'.encode(), f'id="{form}a_'.encode())
    if path is None:
        return data
    Path(path).write_bytes(data)
    return path


def mimebundle(G):
    """Jupyter's rich display of a graph: SVG, with plain text alone when it cannot be drawn."""
    text = (f"<graphviz_ad.Graph {G.graph.get('function', '')}: {G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges>")
    try:
        svg = render(G).decode("utf-8")
    except GraphvizAdError as e:
        return {"text/plain": f"{text}\n(no picture: {e})"}
    return {"image/svg+xml": svg, "text/plain": text}
