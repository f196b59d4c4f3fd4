"""Sphinx configuration of the graphviz-ad documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html``. Every graph on the site is traced and drawn
at build time by the ``autodiff-graph`` directive (graphviz_ad.sphinx); the gallery gets one section
per bundled sample, added here when the page is read, so a new sample appears without editing it.
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

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "graphviz_ad.sphinx"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "images"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
html_theme = "alabaster"
html_theme_options = {"page_width": "1100px", "description": "See how a gradient flows through your function."}
html_static_path = []


def _escape(text):
    """Plain text that Markdown shows as written: ``y = x^2 * w`` keeps its star."""
    return "".join("\\" + c if c in "\\`*_[]<>#|{}" else c for c in text)


def _size(name):
    sample = samples.load(name)
    return graphviz_ad.trace(sample.fun, wrt=sample.wrt, **sample.inputs).number_of_nodes()


def gallery_sections():
    """MyST text of one section per sample, the smallest graph first."""
    parts = []
    for name in sorted(samples.names(), key=lambda n: (_size(n), n)):
        sample = samples.load(name)
        inputs = ", ".join(sample.inputs)
        parts.append(f"\n## {name}\n\n{_escape(sample.description)}\n\n"
                     f"```{{autodiff-graph}} {name}\n:legend: no\n:alt: The graph of the {name} sample, traced at its "
                     f"inputs ({inputs}).\n```\n\n"
                     f"`graphviz-ad render {name}` draws the same picture.\n")
    return "".join(parts)


def add_gallery(app, docname, source):
    if docname == "gallery":
        source[0] += gallery_sections()


_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")


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
        lines[i] = "".join(part if part.startswith("`") else re.sub(r"(?<!\\)([|*])", r"\\\1", part)
                           for part in _LITERAL.split(line))


def setup(app):
    app.connect("source-read", add_gallery)
    app.connect("autodoc-process-docstring", plain_text_marks)
