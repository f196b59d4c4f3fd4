"""Drawing a graph for a documentation page: what the Sphinx directive and the Markdown extension share.

`draw` turns a TARGET and its ``:field:`` values into an inline ``<svg>`` through the library's own
target loading (`graphviz_ad.targets`) and renderer, so a page shows exactly what the command line draws.
"""

import html
import inspect
import linecache
import os
import re
from dataclasses import dataclass

from .diagnose import diagnose as run_diagnose
from .dot import BOOLEAN_WORDS, OPTIONS
from .errors import ARGUMENTS, GraphvizAdError, InputError, RenderError
from .frontend import drawing_options, highlight_named, load
from .layout import SCALABLE_STYLE
from .render import render
from .targets import resolve_inputs, trace_inputs


# A documentation page's column, in pixels: drawings are made legible at this width unless :fit_width:
# says otherwise (see graphviz_ad.layout).
COLUMN_PX = 800

# Every field of a graph block (and option of the Sphinx directive), with what it takes.
FIELDS = {
    "expr": "a math expression to trace instead of a TARGET, e.g. sin(x**2)",
    "at": "input values NAME=VALUE, separated by ';' or newlines, as the command line's --at",
    "seed": "random seed of randn(...) / rand(...) values (default 0)",
    "wrt": "the arguments to differentiate, separated by commas or spaces",
    "highlight": "names of nodes to mark, separated by commas or spaces",
    "diagnose": "mark what the debugger finds (vanishing, exploding, NaN, dead units, ...)",
    "interactive": "embed the interactive page (pan, zoom, paths, step-through) instead of the picture",
    "option": "other drawing options KEY=VALUE, separated by ';', as the command line's -O",
    "caption": "text under the drawing",
    "alt": "the text that screen readers say for the drawing",
    **{name: "drawing option, see graphviz_ad.dot.OPTIONS" for name in OPTIONS},
}


@dataclass(frozen=True)
class Drawing:
    """A drawn graph, ready to inline: its HTML element and what the page around it needs."""

    html: str           # the <svg> element alone (no XML prolog, with role="img" and aria-label), or
                        # with :interactive: the interactive page's <div>
    name: str           # the traced function's name
    alt: str = ""       # the aria-label: what the drawing shows, in words
    caption: str = ""
    source_file: str = ""   # the file the traced function lives in ("" for an expression)


def split_list(text, separators=r"[;\n]"):
    """The non-empty items of a field that lists several values."""
    return [item.strip() for item in re.split(separators, text or "") if item.strip()]


def draw(target, fields, *, id_prefix=None, base_dir=None, allow_code=True):
    """Trace a TARGET at the inputs its fields give and draw it as an inline SVG (or interactive page).

    Args:
        target: TARGET text (``file.py:function``, ``module:function``, a sample's name), or ""
            when the ``expr`` field gives an expression.
        fields: field name -> its text (see `FIELDS`); a flag such as ``diagnose`` may be "" or None.
        id_prefix: prefix of every id in the SVG, so several drawings can share a page.
        base_dir: the folder a relative ``file.py`` path is read from; default the current one.
        allow_code: False draws samples and expressions only, refusing ``file.py:function`` and
            ``module:function`` targets (which run code) before anything is imported.

    Returns:
        Drawing.

    Raises:
        GraphvizAdError: one line saying what is wrong: an unknown field, a bad TARGET, input or
            option, the user's code raised, or Graphviz failed.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise RenderError(f"unknown field :{unknown[0]}: (fields: {', '.join(FIELDS)})")
    linecache.checkcache()   # nodes quote their source lines: a long-lived docs server must see edited files
    loaded = load(target, fields.get("expr"), base_dir=base_dir or os.getcwd(), allow_code=allow_code)
    seed = (fields.get("seed") or "0").strip()
    if not seed.isdigit():
        raise InputError(f":seed: {seed!r} is not a whole number >= 0")
    inputs = resolve_inputs(loaded, split_list(fields.get("at")), random_seed=int(seed))
    G = trace_inputs(loaded, inputs, wrt=split_list(fields.get("wrt"), r"[,\s]+") or None)
    options = drawing_options({k: fields[k] for k in OPTIONS if k in fields}, split_list(fields.get("option")))
    report = run_diagnose(G) if _flag(fields, "diagnose") else None
    marks = highlight_named(G, split_list(fields.get("highlight"), r"[,\s]+"), report)
    alt = (fields.get("alt") or "").strip() or default_alt(loaded)
    if _flag(fields, "interactive"):
        from .html import to_html
        page = to_html(G, fragment=True, highlight=marks, id_prefix=id_prefix, **options).strip()
        # Figures centre their text; the page's panels should not be.
        element = f'<div role="figure" aria-label="{html.escape(alt)}" style="text-align: left">{page}</div>'
    else:
        options.setdefault("fit_width", COLUMN_PX)
        element = inline_svg(render(G, highlight=marks, id_prefix=id_prefix, **options).decode("utf-8"), alt)
    return Drawing(html=element, name=loaded.name, alt=alt, caption=(fields.get("caption") or "").strip(),
                   source_file=_source_file(loaded))


def default_alt(loaded):
    """"Computation graph of sigmoid: <its description>", or of the expression as written."""
    if loaded.kind == "expression":
        return f"Computation graph of {loaded.spec}"
    text = f"{loaded.name}: {loaded.description}" if loaded.description else loaded.name
    return "Computation graph of " + " ".join(text.split())


# Pages underline links; the drawing's nodes and edges are links only to carry their tooltips.
_STYLE = "<style>svg.autodiff-graph a { text-decoration: none; }</style>"


def inline_svg(svg, alt):
    """Graphviz's SVG document as an element for HTML: no XML prolog, labelled for screen readers."""
    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        raise RenderError("Graphviz returned no <svg> element")
    return (f'<svg class="autodiff-graph" role="img" aria-label="{html.escape(alt)}" style="{SCALABLE_STYLE}"'
            f"{svg[start + len('<svg'):end + 1]}\n{_STYLE}{svg[end + 1:].rstrip()}")


def _flag(fields, name):
    if name not in fields:
        return False
    text = (fields[name] or "").strip().lower()
    if text and text not in BOOLEAN_WORDS:
        raise RenderError(f":{name}: takes no value, or yes / no (got {fields[name]!r})")
    return BOOLEAN_WORDS.get(text, True)


def _source_file(loaded):
    if loaded.kind == "expression":
        return ""
    try:
        return inspect.getsourcefile(loaded.fun) or ""
    except TypeError:
        return ""


# ---------------------------------------------------------------------------------------------------
# Python-Markdown.

# The library's names for what a user gives (graphviz_ad.errors.ARGUMENTS) -> a graph block's fields.
FIELD_WORDS = {name: f":{name}:" for name in ARGUMENTS}


def failure_text(exc):
    """Why a graph could not be drawn, on one line: our own errors say it all (naming the block's
    fields), others add their type."""
    text = " ".join((exc.worded(FIELD_WORDS) if isinstance(exc, GraphvizAdError) else str(exc)).split())
    return text if isinstance(exc, GraphvizAdError) and text else f"{type(exc).__name__}: {text}".rstrip(": ")
