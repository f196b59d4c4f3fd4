"""Sphinx configuration of the graphviz-ad documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html``. Every graph on the site is traced and drawn
at build time by the ``autodiff-graph`` directive (graphviz_ad.sphinx). The gallery page is a grid of
thumbnails, one per bundled sample, and each sample has its own page (docs/gallery/NAME.md, a one-line
stub): both are written here when the pages are read.
"""

import os
import re
import sys

sys.path.insert(0, os.path.abspath(".."))

import graphviz_ad  # noqa: E402
from graphviz_ad import samples  # noqa: E402

project = "graphviz-ad"
copyright = "graphviz-ad authors"
release = version = graphviz_ad.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx_copybutton", "graphviz_ad.sphinx"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "images"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]   # ::: blocks: the gallery's grid and cards
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
default_role = "py:obj"   # `trace` in a docstring links to its entry
html_theme = "furo"
html_title = "graphviz-ad"
html_static_path = ["_static"]
html_css_files = ["gallery.css"]
copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True


def _escape(text):
    """Plain text that Markdown shows as written: ``y = x^2 * w`` keeps its star."""
    return "".join("\\" + c if c in "\\`*_[]<>#|{}" else c for c in text)


def _size(name):
    sample = samples.load(name)
    return graphviz_ad.trace(sample.fun, wrt=sample.wrt, **sample.inputs).number_of_nodes()


def gallery_sections():
    """MyST text of the grid of thumbnails, one card per sample, the smallest graph first."""
    cards = []
    for name in sorted(samples.names(), key=lambda n: (_size(n), n)):
        sample = samples.load(name)
        inputs = ", ".join(sample.inputs)
        cards.append(f"\n:::{{container}} adg-card\n[**{name}**](gallery/{name}.md)\n\n"
                     f"```{{autodiff-graph}} {name}\n:legend: no\n:alt: The graph of the {name} sample, traced at its "
                     f"inputs ({inputs}).\n```\n\n{_escape(sample.description)}\n:::\n")
    return ("\n::::{container} adg-gallery\n" + "".join(cards) + "::::\n\n"
            "```{toctree}\n:hidden:\n:glob:\n\ngallery/*\n```\n")


def sample_page(name):
    """MyST text of a sample's page: its code, its picture with the debugger's marks, the findings,
    and its interactive page."""
    sample = samples.load(name)
    G = graphviz_ad.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    report = graphviz_ad.diagnose(G)
    findings = report.table() if report.findings else "no findings: nothing vanishes, explodes or dies"
    return (f"# {name}\n\n{_escape(sample.description)}\n\n"
            f"```{{literalinclude}} ../../samples/{name}.py\n:language: python\n```\n\n"
            f"## The picture\n\nDrawn at the inputs above, with what `graphviz-ad diagnose {name}` finds "
            "marked:\n\n"
            f"```{{autodiff-graph}} {name}\n:diagnose:\n:alt: The graph of the {name} sample with the debugger's "
            f"marks.\n```\n\n## What the debugger finds\n\n```text\n$ graphviz-ad diagnose {name}\n{findings}\n```\n\n"
            f"## Step through it\n\nThe interactive page (`graphviz-ad render {name} --format html`): step "
            f"through the forward and backward pass, click a node for its paths.\n\n"
            f"```{{autodiff-graph}} {name}\n:interactive:\n:diagnose:\n```\n\n[Back to the gallery](../gallery.md)\n")


def add_gallery(app, docname, source):
    if docname == "gallery":
        source[0] += gallery_sections()
    elif docname.startswith("gallery/"):
        source[0] = sample_page(docname.split("/", 1)[1])


_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")
_FILE_LINE = re.compile(r"\b(file(?:\.py)?:(?:line|LINE|function)\b)")   # text, not a file: link


def plain_text_marks(app, what, name, obj, options, lines):
    """Read docstrings' ``|x|`` and ``*args`` as the maths and Python they are, not reST markup.

    The package's docstrings are written for ``help()``: a bar means an absolute value or a norm and a
    star an argument list, which reST would read as a substitution or an unclosed emphasis. Both are
    escaped outside literals, literal blocks and doctests.
    """
    literal_indent, doctest = None, False
    for i, line in enumerate(lines):
        indent, stripped = len(line) - len(line.lstrip()), line.strip()
        if literal_indent is not None and (not stripped or indent > literal_indent):
            continue
        literal_indent = None
        doctest = stripped.startswith(">>>") or (doctest and bool(stripped))
        if doctest:
            continue
        if stripped.endswith("::"):
            literal_indent = indent
        lines[i] = "".join(part if part.startswith("`") else
                           _FILE_LINE.sub(r"``\1``", re.sub(r"(?<!\\)([|*])", r"\\\1", part))
                           for part in _LITERAL.split(line))


def setup(app):
    app.connect("source-read", add_gallery)
    app.connect("autodoc-process-docstring", plain_text_marks)
