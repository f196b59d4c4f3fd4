"""The Python-Markdown extension: a fenced autodiff-graph block becomes the renderer's SVG, inline."""

import logging
import textwrap
import xml.etree.ElementTree as ET

import markdown
import pytest

import graphviz_ad as ga
from graphviz_ad import samples
from graphviz_ad.markdown_ext import AutodiffGraphExtension, draw, parse_block

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def convert(text, **config):
    md = markdown.Markdown(extensions=["fenced_code", AutodiffGraphExtension(**config)])
    return md.convert(textwrap.dedent(text))


def parse(html):
    """The page as XML: Python-Markdown writes well-formed tags and the SVG is XML already."""
    return ET.fromstring(f"<page>{html}</page>")


def svgs(page):
    return [e for e in page.iter() if e.tag == f"{SVG}svg"]


TWO_GRAPHS = """\
    # Two graphs

    ```autodiff-graph
    sigmoid
    :at: x=2
    :caption: The sigmoid in three stages
    ```

    Some text.

    ~~~autodiff-graph
    :expr: sin(x**2)
    :at: x=1
    ~~~

    ```python
    print("ordinary code stays code")
    ```
"""


def test_blocks_become_inline_svg_with_unique_ids_and_tooltips():
    page = parse(convert(TWO_GRAPHS))
    drawings = svgs(page)
    assert len(drawings) == 2
    ids = [[e.get("id") for e in d.iter() if e.get("id")] for d in drawings]
    assert all("adg-1-" in i for i in ids[0]) and all("adg-2-" in i for i in ids[1])
    everything = ids[0] + ids[1]
    assert len(everything) == len(set(everything)) > 10
    for d in drawings:
        assert len(list(d.iter(f"{SVG}title"))) > 5
        tooltips = [a.get(f"{XLINK}title") for a in d.iter(f"{SVG}a")]
        assert any(t.startswith("x ") and "grad " in t for t in tooltips)   # hovering x shows its gradient
        assert d.get("role") == "img" and d.get("aria-label").startswith("Computation graph of ")
    assert drawings[0].get("aria-label").startswith("Computation graph of sigmoid: The sigmoid in three stages")
    assert drawings[1].get("aria-label") == "Computation graph of sin(x**2)"
    captions = [e.text for e in page.iter("figcaption")]
    assert captions == ["The sigmoid in three stages"]
    assert page.find(".//code").text.startswith('print("ordinary code stays code")')


def test_svg_is_exactly_the_renderers_drawing_at_the_given_inputs():
    html = convert("""\
        ```autodiff-graph
        sigmoid
        :at: x=2
        :rankdir: TB
        :option: precision=5
        ```
    """)
    sample = samples.load("sigmoid")
    G = ga.trace(sample.fun, x=2.0)
    expected = ga.render(G, id_prefix="adg-1-", rankdir="TB", precision=5).decode()
    start, end = expected.index("<svg"), expected.index(">", expected.index("<svg"))
    page = html
    assert expected[start + len("<svg"):end + 1] in page       # the opening tag's size and namespaces
    assert expected[end + 1:].rstrip() in page                  # every element of the drawing, unchanged


def test_highlight_and_diagnose_put_marks_in_the_legend():
    plain = convert("```autodiff-graph\nsigmoid_chain20\n```\n")
    marked = convert("```autodiff-graph\nsigmoid_chain20\n:diagnose:\n:highlight: x\n```\n")
    assert "vanishing" in marked and "highlight" in marked
    assert "highlight" not in plain
    assert plain != marked


def test_bad_block_shows_its_error_and_warns_and_the_rest_still_renders(caplog):
    with caplog.at_level(logging.WARNING):
        html = convert("""\
            ```autodiff-graph
            no_such_sample
            ```

            ```autodiff-graph
            sigmoid
            :at: y=3
            ```

            ```autodiff-graph
            two_paths
            ```
        """)
    page = parse(html)
    errors = [e.text for e in page.iter("pre") if e.get("class") == "autodiff-graph-error"]
    assert len(errors) == 2
    assert "no sample named 'no_such_sample'" in errors[0]
    assert "no argument 'y'" in errors[1]
    assert len(svgs(page)) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("\n" not in w for w in warnings)


def test_output_is_deterministic_and_numbering_restarts_per_document():
    md = markdown.Markdown(extensions=["fenced_code", "graphviz_ad.markdown_ext"])
    first = md.convert(textwrap.dedent(TWO_GRAPHS))
    md.reset()
    assert md.convert(textwrap.dedent(TWO_GRAPHS)) == first
    assert convert(TWO_GRAPHS, id_prefix="page-") == first.replace("adg&#45;", "page&#45;")


def test_relative_file_target_is_read_from_base_dir(tmp_path):
    (tmp_path / "model.py").write_text("import numpy as np\n\n\ndef loss(w=0.5):\n    "
                                       '"""A tiny loss."""\n    return np.tanh(w) ** 2\n')
    page = parse(convert("```autodiff-graph\nmodel.py:loss\n:at: w=1.5\n```\n", base_dir=str(tmp_path)))
    (svg,) = svgs(page)
    assert svg.get("aria-label") == "Computation graph of loss: A tiny loss."


@pytest.mark.parametrize("body, message", [
    ("sigmoid\nsin_of_square", "one TARGET line"),
], ids=["two-targets"])
def test_parse_block_rejects_malformed_blocks(body, message):
    with pytest.raises(ga.GraphvizAdError, match=message):
        parse_block(body)


def test_parse_block_reads_fields_and_continuation_lines():
    target, fields = parse_block("softmax_classifier\n:at: W=zeros(3, 3)\n    b=ones(3)\n:diagnose:\n")
    assert target == "softmax_classifier"
    assert fields == {"at": "W=zeros(3, 3)\nb=ones(3)", "diagnose": ""}


@pytest.mark.parametrize("target, fields, message", [
    ("", {}, "none was given"),
    ("sigmoid", {"expr": "x**2"}, "not both"),
    ("sigmoid", {"colour": "red"}, "unknown field :colour:"),
    ("sigmoid", {"rankdir": "XY"}, "rankdir"),
    ("sigmoid", {"seed": "-1"}, "seed"),
    ("sigmoid", {"highlight": "nothing"}, "no node is called 'nothing'"),
    ("sigmoid", {"diagnose": "maybe"}, "takes no value"),
    ("sigmoid", {"option": "precision"}, "KEY=VALUE"),
], ids=["nothing", "both", "unknown-field", "bad-option", "bad-seed", "bad-highlight", "bad-flag",
        "bad-extra"])
def test_draw_errors_are_one_line_and_name_the_problem(target, fields, message):
    with pytest.raises(ga.GraphvizAdError, match=message) as info:
        draw(target, fields)
    assert "\n" not in str(info.value)


def test_interactive_block_embeds_the_interactive_page_fragment():
    from graphviz_ad.html import to_html

    html = convert("```autodiff-graph\nsigmoid\n:interactive:\n:at: x=2\n```\n\n"
                   "```autodiff-graph\ntwo_paths\n```\n")
    G = ga.trace(samples.load("sigmoid").fun, x=2.0)
    assert to_html(G, fragment=True, id_prefix="adg-1-").strip() in html
    assert html.count('id="adg-1-root"') == 1
    assert 'aria-label="Computation graph of two_paths' in html     # the other block stays a picture
