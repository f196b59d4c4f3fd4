"""Running Graphviz: the only module that does. Finds a layout engine, runs it, turns its failures into our errors.

Engine order: $GRAPHVIZ_AD_DOT (a dot executable, or "pygraphviz"), `dot` on PATH, then pygraphviz in
process (its wheels bundle Graphviz, so `pip install graphviz-ad` alone can draw). Takes DOT text and
returns bytes: it knows nothing of traced graphs, so `render` and the interactive page both call it.
"""

import os
import re
import shutil
import subprocess
import time

from .errors import EngineNotFound, RenderError

ENGINE_FORMATS = ("svg", "png", "pdf")
ENV = "GRAPHVIZ_AD_DOT"
PYGRAPHVIZ = "pygraphviz"
INSTALL_HINT = ("install one with `pip install pygraphviz` (wheels include Graphviz) or your system's "
                "graphviz package (apt install graphviz, brew install graphviz), or set GRAPHVIZ_AD_DOT to a dot "
                "executable; formats 'dot' and 'json' need no engine")

# Long enough for every drawing within the node budget; a layout still running after it is stopped with
# an error saying what to do, rather than left to run for many minutes without a word.
LAYOUT_TIMEOUT = 300


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


class LayoutTimeout(RenderError):
    """Graphviz ran past its time and was stopped."""


def run_engine(source, format="svg", engine=None, timeout=None):
    """Lay out DOT source and return the drawing's bytes, exactly as Graphviz wrote them.

    Args:
        timeout: seconds the dot executable may run (default LAYOUT_TIMEOUT); pygraphviz runs in
            process and cannot be stopped.

    Raises:
        EngineNotFound: no engine (see `find_engine`).
        LayoutTimeout: Graphviz ran past `timeout` and was stopped.
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
    timeout = LAYOUT_TIMEOUT if timeout is None else timeout
    try:
        done = subprocess.run([engine, f"-T{format}"], input=source.encode("utf-8"), capture_output=True,
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


def draw(source, format="svg", engine=None, id_prefix=None, timeout=None):
    """`run_engine`, with every id of an SVG starting with `id_prefix` (the prefix the DOT source's ids
    have), and a PDF's creation date fixed (`fixed_pdf_date`), so the same graph gives the same bytes.

    Graphviz names each tooltip's anchor "a_" + id, which would put the prefix second; it is moved to the
    front, so several drawings can share one HTML page.
    """
    data = run_engine(source, format, engine, timeout)
    if format == "svg" and id_prefix:
        for form in {id_prefix, id_prefix.replace("-", "&#45;")}:
            data = data.replace(f'id="a_{form}'.encode(), f'id="{form}a_'.encode())
    if format == "pdf":
        data = fixed_pdf_date(data)
    return data


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})(Z|[+-]\d\d'\d\d'?)?\)")


def fixed_pdf_date(pdf):
    """A PDF's creation date set to $SOURCE_DATE_EPOCH (default 0, 1970-01-01).

    Cairo writes the current time whatever the environment says, through both engines; the date is
    rewritten in place, with the same length, so the file's cross-reference offsets stay right.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "0")
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(int(epoch) if epoch.isdigit() else 0)).encode()
    zones = {1: b"Z", 6: b"+00'00", 7: b"+00'00'"}

    def fixed(m):
        return b"/" + m[1] + b" (D:" + stamp + (zones[len(m[3])] if m[3] else b"") + b")"
    return _PDF_DATE.sub(fixed, pdf)
