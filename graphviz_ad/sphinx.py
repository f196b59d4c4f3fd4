"""Sphinx extension: the ``autodiff-graph`` directive draws a traced graph into the page at build time.

Add ``"graphviz_ad.sphinx"`` to ``extensions`` in conf.py, then::

    .. autodiff-graph:: sigmoid
       :at: x=2
       :rankdir: TB
       :highlight: u
       :caption: The sigmoid in three stages

The argument is a TARGET as on the command line: ``path/to/file.py:function`` (a relative path is read
from the document's folder), ``package.module:function`` (importable from conf.py's ``sys.path``) or a
bundled sample's name; or leave it out and give ``:expr: sin(x**2)``. The options mirror the command
line (see `graphviz_ad.embed.FIELDS`): ``:at:`` (inputs NAME=VALUE, one a line or separated by
``;``), ``:seed:``, ``:wrt:``, ``:highlight:`` (node names), ``:diagnose:`` (mark the debugger's
findings), ``:interactive:`` (embed the interactive page of `graphviz_ad.html` instead of the picture), every drawing option by name (``:rankdir:``, ``:precision:``, ``:values:``, ``:grads:``,
``:formulas:``, ``:labels:``, ``:legend:``, ``:theme:``, ``:budget:``, ...), ``:option: KEY=VALUE``,
and ``:caption:``, ``:alt:``, ``:name:`` (a reference target), ``:class:``.

Trust: a ``file.py:function`` or ``module:function`` TARGET runs code when the page is built (importing
a file or module runs it; ``os:system`` is a module and a function). That is what they are for, in your
own docs. A site that builds pages written by others sets ``autodiff_graph_allow_code = False`` in
conf.py: then only samples and ``:expr:`` expressions (parsed against a whitelist, never run) are drawn,
and a code TARGET is a warning naming the page and line, with nothing imported.

The SVG is inlined, so its tooltips keep working, and its ids start with a prefix made of the document's
name and the graph's number in it: unique on a site and the same in every build. The config value
``autodiff_graph_defaults`` (a dict of option name -> text) sets options for every graph. A graph that
cannot be drawn is a warning naming the reason (an error under ``sphinx-build -W``), not a crash; the
library's own warnings (an output that does not depend on an input, a graph over the node budget) are
Sphinx warnings at the directive's file:line too.
Reading is parallel-safe. Other builders than HTML (text, LaTeX, ...) show the ``:alt:`` text in
brackets instead of the drawing.
"""

import os
import re

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import __version__
from .embed import FIELDS, draw, failure_text
from .errors import collected_warnings

logger = logging.getLogger(__name__)


def id_prefix(docname, number):
    """The SVG id prefix of a document's `number`-th graph: letters, digits, '-' and '_' only.

    Characters other than letters and digits are written ``_hex_``, so two documents never share one.

    Example:
        >>> id_prefix("tutorial/chain-rule", 2)
        'adg-tutorial_2f_chain_2d_rule-2-'
    """
    slug = re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m[0]):x}_", docname)
    return f"adg-{slug}-{number}-"


class AutodiffGraph(SphinxDirective):
    """``.. autodiff-graph:: TARGET`` with options; see the module docstring."""

    optional_arguments = 1
    option_spec = {**{name: directives.unchanged for name in FIELDS},
                   "name": directives.unchanged, "class": directives.class_option}

    def run(self):
        number = self.env.new_serialno("autodiff-graph") + 1
        target = self.arguments[0] if self.arguments else ""
        defaults = {k: str(v) for k, v in self.config.autodiff_graph_defaults.items()}
        fields = {**defaults, **{k: v for k, v in self.options.items() if k in FIELDS}}
        base_dir = os.path.dirname(self.env.doc2path(self.env.docname))
        what = target or f":expr: {fields.get('expr', '')}"
        try:
            with collected_warnings() as notes:
                drawing = draw(target, fields, id_prefix=id_prefix(self.env.docname, number), base_dir=base_dir,
                               allow_code=self.config.autodiff_graph_allow_code)
        except Exception as e:   # a graph that cannot be drawn must not stop the build: say why instead
            self._warn_all(what, notes)
            logger.warning("autodiff-graph %s: %s", what, failure_text(e), location=self.get_location(),
                           type="autodiff-graph", subtype="render")
            return []
        self._warn_all(what, notes)
        if drawing.source_file:
            self.env.note_dependency(os.path.abspath(drawing.source_file))
        figure = nodes.figure("", classes=["autodiff-graph"] + self.options.get("class", []))
        html = f'<div class="autodiff-graph-drawing" style="overflow-x: auto">{drawing.html}</div>'
        figure += addnodes.only("", nodes.raw("", html, format="html"), expr="format_html")
        figure += addnodes.only("", nodes.paragraph("", f"[{drawing.alt}]"), expr="not format_html")
        if drawing.caption:
            text, messages = self.state.inline_text(drawing.caption, self.lineno)
            figure += nodes.caption(drawing.caption, "", *text)
            figure += messages
        self.set_source_info(figure)
        self.add_name(figure)
        return [figure]

    def _warn_all(self, what, notes):
        """The library's warnings as Sphinx warnings at the directive's file:line."""
        for note in notes:
            logger.warning("autodiff-graph %s: %s", what, note, location=self.get_location(),
                           type="autodiff-graph", subtype="warning")


def setup(app):
    """Register the directive and its config value; reading and writing are parallel-safe."""
    app.add_config_value("autodiff_graph_defaults", {}, "env", types=[dict])
    app.add_config_value("autodiff_graph_allow_code", True, "env", types=[bool])
    app.add_directive("autodiff-graph", AutodiffGraph)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
