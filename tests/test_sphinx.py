"""The Sphinx extension: real builds of small projects, HTML read with a parser."""

import html
import io
import os
import textwrap
from html.parser import HTMLParser

import pytest
from sphinx.application import Sphinx
from sphinx.util.console import nocolor
from sphinx.util.docutils import docutils_namespace

import graphviz_ad as ga
from graphviz_ad import samples
from graphviz_ad.html import to_html
from graphviz_ad.sphinx import id_prefix


class Page(HTMLParser):
    """The inline <svg> elements of an HTML page: for each, its attributes and every element inside."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.svgs, self.captions, self._depth, self._in_caption = [], [], 0, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs.append({"attrs": attrs, "elements": []})
        if self.svgs and (self._depth or tag == "svg"):
            self._depth += 1
            self.svgs[-1]["elements"].append((tag, attrs))
        if tag == "figcaption":
            self._in_caption = True
            self.captions.append("")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.captions[-1] += data

    def ids(self, k):
        return [a["id"] for _, a in self.svgs[k]["elements"] if "id" in a]

    def tooltips(self, k):
        return [a["xlink:title"] for t, a in self.svgs[k]["elements"] if t == "a" and "xlink:title" in a]

    def titles(self, k):
        return [t for t, _ in self.svgs[k]["elements"] if t == "title"]


def build(root, pages, files=None, conf="", parallel=1, fresh=True, status=None, builder="html"):
    """Build an HTML site from {docname: rst text}; returns (output folder, warnings text)."""
    src = root / "src"
    for name, text in {**pages, **(files or {})}.items():
        path = src / (name if "." in name else name + ".rst")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (src / "conf.py").write_text('extensions = ["graphviz_ad.sphinx"]\nnumfig = True\n' + conf)
    warnings = io.StringIO()
    nocolor()
    with docutils_namespace():   # each build registers its own directives and nodes, as sphinx-build does
        app = Sphinx(str(src), str(src), str(root / "out"), str(root / "doctrees"), builder,
                     status=status or io.StringIO(), warning=warnings, freshenv=fresh, parallel=parallel)
        app.build()
    assert app.statuscode == 0
    return root / "out", warnings.getvalue()


def read(out, docname):
    return Page((out / f"{docname}.html").read_text())


INDEX = """\
    Graphs
    ======

    .. toctree::

       sub/page

    .. autodiff-graph:: sigmoid
       :at: x=2
       :caption: The *sigmoid* in three stages
       :name: fig-sigmoid

    .. autodiff-graph::
       :expr: sin(x**2) * y
       :at: x=1
            y=-2.5
       :rankdir: TB

    As :numref:`fig-sigmoid` shows.
"""
SUB = """\
    Sub
    ===

    .. autodiff-graph:: model.py:loss
       :at: w=1.5
       :alt: The loss of the tiny model
"""
MODEL = 'import numpy as np\n\n\ndef loss(w=0.5):\n    """A tiny loss."""\n    return np.tanh(w) ** 2\n'


def test_graphs_are_inline_svg_with_unique_prefixed_ids_tooltips_and_captions(tmp_path):
    out, warnings = build(tmp_path, {"index": INDEX, "sub/page": SUB}, {"sub/model.py": MODEL})
    assert warnings == ""
    page = read(out, "index")
    assert len(page.svgs) == 2
    first, second = page.ids(0), page.ids(1)
    assert first and all("adg-index-1-" in i for i in first)
    assert second and all("adg-index-2-" in i for i in second)
    assert len(set(first + second)) == len(first + second)
    for k in (0, 1):
        assert len(page.titles(k)) > 5                       # Graphviz's <title> on every node and edge
    precision = ga.dot.OPTIONS["precision"]   # hover: value and grad, at the labels' precision
    assert any(t.startswith("x ") and f"value {2.0:.{precision}g}\n" in t for t in page.tooltips(0))
    assert any(t.startswith("y ") and f"value {-2.5:.{precision}g}\n" in t for t in page.tooltips(1))  # :at: on two lines
    assert page.svgs[0]["attrs"]["role"] == "img"
    assert page.svgs[0]["attrs"]["aria-label"].startswith("Computation graph of sigmoid: The sigmoid")
    assert page.captions[0].strip().startswith("Fig. 1 The sigmoid in three stages")
    assert 'href="#fig-sigmoid"' in (out / "index.html").read_text()     # :name: is a reference target

    sub = read(out, "sub/page")
    assert sub.svgs[0]["attrs"]["aria-label"] == "The loss of the tiny model"
    assert all("adg-sub_2f_page-1-" in i for i in sub.ids(0))


def test_svg_is_the_renderers_drawing_with_the_documents_prefix(tmp_path):
    out, _ = build(tmp_path, {"index": """\
        Title
        =====

        .. autodiff-graph:: two_paths
           :formulas: yes
    """}, conf='autodiff_graph_defaults = {"rankdir": "TB", "precision": 4}\n')
    sample = samples.load("two_paths")
    svg = ga.render(ga.trace(sample.fun, **sample.inputs), id_prefix="adg-index-1-", rankdir="TB",
                    precision=4, formulas=True).decode()
    start, end = svg.index("<svg"), svg.index(">", svg.index("<svg"))
    page = (out / "index.html").read_text()
    assert svg[start + len("<svg"):end + 1] in page       # the opening tag's size and namespaces
    assert svg[end + 1:].rstrip() in page                  # every element of the drawing, unchanged


def test_a_graph_that_cannot_be_drawn_is_a_warning_and_the_build_goes_on(tmp_path):
    out, warnings = build(tmp_path, {"index": """\
        Broken
        ======

        .. autodiff-graph:: no_such_sample

        .. autodiff-graph:: sigmoid
           :rankdir: sideways

        .. autodiff-graph:: model.py:boom

        .. autodiff-graph:: sigmoid
    """}, {"model.py": "def boom(x=1.0):\n    raise ValueError('no good')\n"})
    lines = warnings.strip().splitlines()
    assert len(lines) == 3, warnings
    assert "index.rst:4: WARNING: autodiff-graph no_such_sample: no sample named 'no_such_sample'" in lines[0]
    assert "index.rst:6: WARNING: autodiff-graph sigmoid: option rankdir='sideways' is invalid" in lines[1]
    assert "index.rst:9: WARNING: autodiff-graph model.py:boom: boom raised ValueError: no good" in lines[2]
    page = read(out, "index")
    assert len(page.svgs) == 1 and all("adg-index-4-" in i for i in page.ids(0))


def test_interactive_option_embeds_the_interactive_page_with_the_documents_prefix(tmp_path):
    out, warnings = build(tmp_path, {"index": """\
        Title
        =====

        .. autodiff-graph:: neuron
           :interactive:
           :diagnose:

        .. autodiff-graph:: neuron
    """})
    assert warnings == ""
    text = (out / "index.html").read_text()
    G = ga.trace_target("neuron")
    fragment = to_html(G, fragment=True, highlight=ga.diagnose(G), id_prefix="adg-index-1-").strip()
    assert fragment in text and "weakest path" in fragment        # the debugger's findings are listed
    page = Page(text)
    assert len(page.svgs) == 2
    assert all("adg-index-1-" in i for i in page.ids(0)) and all("adg-index-2-" in i for i in page.ids(1))


def test_other_builders_show_the_alt_text_instead(tmp_path):
    out, warnings = build(tmp_path, {"index": INDEX, "sub/page": SUB}, {"sub/model.py": MODEL}, builder="text")
    assert warnings == ""
    text = (out / "index.txt").read_text()
    assert "[Computation graph of sigmoid: The sigmoid in three stages" in text
    assert "The *sigmoid* in three stages" in text and "<svg" not in text
    assert "[The loss of the tiny model]" in (out / "sub" / "page.txt").read_text()


def test_editing_the_traced_file_rebuilds_the_page(tmp_path):
    pages, files = {"index": "Title\n=====\n\n.. autodiff-graph:: model.py:loss\n"}, {"model.py": MODEL}
    out, warnings = build(tmp_path, pages, files)
    assert warnings == ""
    assert ">tanh(w)</text>" in (out / "index.html").read_text()
    model = tmp_path / "src" / "model.py"
    model.write_text(MODEL.replace("np.tanh(w)", "np.sin(w)"))
    os.utime(model, (model.stat().st_atime, model.stat().st_mtime + 10))
    out, _ = build(tmp_path, pages, fresh=False)
    text = (out / "index.html").read_text()
    assert ">sin(w)</text>" in text and "tanh" not in text   # the node labels and quoted source lines


def test_parallel_build_is_allowed_and_gives_the_same_pages(tmp_path):
    names = [f"doc{i}" for i in range(7)]
    pages = {n: f"{n}\n=====\n\n.. autodiff-graph::\n   :expr: tanh(x * {i + 1})\n   :at: x=0.5\n"
             for i, n in enumerate(names)}
    pages["index"] = "Index\n=====\n\n.. toctree::\n\n   " + "\n   ".join(names) + "\n"
    serial, warnings = build(tmp_path / "serial", pages)
    status = io.StringIO()
    parallel, parallel_warnings = build(tmp_path / "parallel", pages, parallel=2, status=status)
    assert "doc0 .. " in status.getvalue()         # the sources were read in chunks, by worker processes
    assert warnings == parallel_warnings == ""       # Sphinx warns about extensions that are not parallel-safe
    for n in names:
        a, b = (serial / f"{n}.html").read_text(), (parallel / f"{n}.html").read_text()
        assert a == b and len(Page(a).svgs) == 1
        assert all(f"adg-{n}-1-" in i for i in Page(a).ids(0))


@pytest.mark.parametrize("a, b", [("a/b", "a_2f_b"), ("a-b", "a/b"), ("x.y", "x_y")])
def test_id_prefixes_of_different_documents_differ(a, b):
    assert id_prefix(a, 1) != id_prefix(b, 1)
    for name in (a, b):
        assert html.escape(id_prefix(name, 3)) == id_prefix(name, 3)   # safe in an attribute as is
