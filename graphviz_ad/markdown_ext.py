"""Graphs inline in Markdown: a fenced ``autodiff-graph`` block becomes the drawing's SVG.

A block holds a TARGET on its first line (``path/to/file.py:function``, ``package.module:function`` or a
sample's name) and then ``:field: value`` lines, the same fields as the Sphinx directive
(`graphviz_ad.sphinx`), so a block reads the same in both::

    ```autodiff-graph
    sigmoid
    :at: x=2
    :rankdir: TB
    :caption: The sigmoid in three stages
    ```

With Python-Markdown: ``markdown.markdown(text, extensions=["graphviz_ad.markdown_ext"])``. With
MkDocs, list ``graphviz_ad.markdown_ext`` under ``markdown_extensions:`` in mkdocs.yml. A block that
cannot be drawn shows its error in the page and logs a warning (on a logger under ``mkdocs``, so
``mkdocs build --strict`` fails on it).

Trust: a ``file.py:function`` or ``module:function`` TARGET runs code when the page is converted
(importing a file or module runs it; ``os:system`` is a module and a function). For pages written by
others, turn that off: ``markdown.markdown(text, extensions=[AutodiffGraphExtension(allow_code=False)])``,
or ``allow_code: false`` under the extension in mkdocs.yml. Then only samples and expressions (parsed
against a whitelist, never run) are drawn, and a code TARGET shows an error, with nothing imported.

The drawing itself is `graphviz_ad.embed.draw`, shared with the Sphinx extension.
"""

import html
import logging
import re

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .embed import draw, failure_text
from .errors import collected_warnings
from .targets import TargetError

_BLOCK = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?autodiff-graph\}?[ \t]*\n(?P<body>.*?)\n?"
                    r"^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_FIELD = re.compile(r"^:(?P<name>[\w-]+):(?:\s+(?P<value>.*))?$")
log = logging.getLogger("mkdocs.extensions.graphviz_ad")


def parse_block(body):
    """(TARGET, fields) of a block's text: the TARGET line, then ``:field: value`` lines.

    A line that is neither continues the field above it (``:at:`` may list one input a line).
    """
    target, fields, last = "", {}, None
    for line in body.splitlines():
        match = _FIELD.match(line.strip())
        if match:
            last = match["name"]
            fields[last] = match["value"] or ""
        elif not line.strip():
            continue
        elif last is not None:
            fields[last] += "\n" + line.strip()
        elif target:
            raise TargetError(f"a block has one TARGET line; {line.strip()!r} follows {target!r} "
                              "(fields are written :name: value)")
        else:
            target = line.strip()
    return target, fields


class GraphBlocks(Preprocessor):
    """Replaces each ``autodiff-graph`` fence by the drawing, before fenced code blocks are read."""

    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines):
        text = "\n".join(lines)
        return _BLOCK.sub(self.replace, text).split("\n")

    def replace(self, match):
        self.extension.count += 1
        prefix = f"{self.extension.getConfig('id_prefix')}{self.extension.count}-"
        try:
            with collected_warnings() as notes:
                target, fields = parse_block(match["body"])
                drawing = draw(target, fields, id_prefix=prefix, base_dir=self.extension.getConfig("base_dir") or None,
                               allow_code=bool(self.extension.getConfig("allow_code")))
        except Exception as e:   # one bad block must not stop the whole site: show and log why
            message = failure_text(e)
            for note in notes:
                log.warning("autodiff-graph: %s", note)
            log.warning("autodiff-graph: %s", message)
            return "\n\n" + self.md.htmlStash.store(
                f'<pre class="autodiff-graph-error">autodiff-graph: {html.escape(message)}</pre>') + "\n\n"
        for note in notes:   # the library's warnings, on the extension's logger (mkdocs --strict fails on them)
            log.warning("autodiff-graph %s: %s", target or fields.get("expr", ""), note)
        return "\n\n" + self.md.htmlStash.store(figure_html(drawing)) + "\n\n"


def figure_html(drawing):
    """The drawing in a scrolling ``<figure>``, with its caption."""
    caption = f"<figcaption>{html.escape(drawing.caption)}</figcaption>" if drawing.caption else ""
    return (f'<figure class="autodiff-graph"><div style="overflow-x: auto">{drawing.html}</div>'
            f"{caption}</figure>")


class AutodiffGraphExtension(Extension):
    """The ``autodiff-graph`` fenced block. Config: ``id_prefix`` (default "adg-"), ``base_dir``, ``allow_code``."""

    def __init__(self, **kwargs):
        self.config = {
            "id_prefix": ["adg-", "start of every SVG id; the block's number on the page follows"],
            "base_dir": ["", "folder that relative file.py targets are read from (default: the current one)"],
            "allow_code": [True, "draw file.py:function and module:function targets, which run code; False "
                                 "for pages written by others (samples and expressions only)"],
        }
        self.count = 0
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.registerExtension(self)
        # After whitespace normalisation (30), before fenced code blocks (25) would take the fence.
        md.preprocessors.register(GraphBlocks(md, self), "autodiff_graph", 28)

    def reset(self):
        self.count = 0


def makeExtension(**kwargs):
    """Entry point Python-Markdown and MkDocs call for ``graphviz_ad.markdown_ext``."""
    return AutodiffGraphExtension(**kwargs)
