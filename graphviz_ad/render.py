"""Running Graphviz: the only module that does. Finds a layout engine and turns its failures into our errors.

Engine order: $GRAPHVIZ_AD_DOT (a dot executable, or "pygraphviz"), `dot` on PATH, then pygraphviz in
process (its wheels bundle Graphviz, so `pip install graphviz-ad` alone can draw).
"""

import os
import shutil
import subprocess
from pathlib import Path

from . import export, layout
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


# A layout asked to draw every node (budget=None) is stopped after this long with an error saying what to
# do, rather than left to run for many minutes without a word.
LAYOUT_TIMEOUT = 300
# Every other drawing is due within LAYOUT_SECONDS: a layout still running after its share of that time is
# stopped and the drawing reduced further (see layout.wall_clock_budgets).
LAYOUT_SECONDS = 10


class LayoutTimeout(RenderError):
    """Graphviz ran past its time and was stopped."""


def run_engine(source, format="svg", engine=None, timeout=None):
    """Lay out DOT source and return the drawing's bytes.

    Raises:
        EngineNotFound: no engine (see `find_engine`).
        RenderError: Graphviz rejected the source or failed.
    """
    if format not in ENGINE_FORMATS:
        raise RenderError(f"unknown format for Graphviz: {format!r} (must be one of {list(ENGINE_FORMATS)})")
    engine = find_engine(engine)
    if engine == PYGRAPHVIZ:
        import pygraphviz

        try:
            return pygraphviz.AGraph(string=source).draw(format=format, prog="dot")
        except (ValueError, TypeError, OSError) as e:
            raise RenderError(f"Graphviz (pygraphviz) could not draw {format}: {str(e).strip()}") from e
    # SOURCE_DATE_EPOCH keeps cairo's PDF creation date fixed, so PDFs are reproducible too.
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "0"))
    try:
        timeout = LAYOUT_TIMEOUT if timeout is None else timeout
        done = subprocess.run([engine, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, env=env,
                              timeout=timeout)
    except OSError as e:
        raise EngineNotFound(f"cannot run Graphviz {engine!r}: {e}; {INSTALL_HINT}") from e
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(f"Graphviz {engine} took over {timeout:g} s to lay this graph out and was stopped; "
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
    elif format == "dot":
        data = to_dot(G, highlight=highlight, id_prefix=id_prefix, **options).encode("utf-8")
    else:
        data = _draw_in_time(G, format, engine, highlight, id_prefix, options)
        if format == "svg" and id_prefix:
            # Graphviz names each tooltip's anchor "a_" + id; move the prefix to the front of those too.
            for form in {id_prefix, id_prefix.replace("-", "&#45;")}:
                data = data.replace(f'id="a_{form}'.encode(), f'id="{form}a_'.encode())
    if path is None:
        return data
    Path(path).write_bytes(data)
    return path


def _draw_in_time(G, format, engine, highlight, id_prefix, options):
    """Run Graphviz within LAYOUT_SECONDS: a layout past its share of the time is stopped and the drawing
    redrawn with a quarter of its boxes, then again; an SVG wider than legible at fit_width is redrawn
    once with the estimates scaled by how far off they were. budget=None draws every node, once."""
    opts = check_options(options)
    if opts["budget"] is None:
        return run_engine(to_dot(G, highlight=highlight, id_prefix=id_prefix, **options), format, engine)
    budget, scale, first_error, first_seconds, note = opts["budget"], 1.0, None, None, None
    for share in layout.TIME_SHARES:
        seconds = min(LAYOUT_TIMEOUT, LAYOUT_SECONDS * share)
        source = to_dot(G, highlight=highlight, id_prefix=id_prefix, width_scale=scale, note=note,
                        **dict(options, budget=budget))
        try:
            data = run_engine(source, format, engine, timeout=seconds)
        except LayoutTimeout as e:
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


def mimebundle(G):
    """Jupyter's rich display of a graph: SVG, with plain text alone when it cannot be drawn."""
    text = (f"<graphviz_ad.Graph {G.graph.get('function', '')}: {G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges>")
    try:
        svg = render(G).decode("utf-8")
    except GraphvizAdError as e:
        return {"text/plain": f"{text}\n(no picture: {e})"}
    return {"image/svg+xml": svg, "text/plain": text}
