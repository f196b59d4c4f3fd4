"""The interactive page (format "html"): self-contained, deterministic, bounded in weight, and driven in a
real headless Chromium: step through both passes, hover, click for paths, pan and zoom, report marks."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples, style
from graphviz_ad.dot import plan
from graphviz_ad.errors import RenderError
from graphviz_ad.html import page_data, to_html

from browser import Page, label, step_through

# The only URLs a page may contain: the SVG and XLink namespace names, which are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def f(x, y):
    u = np.sin(x**2)
    return u * y + x


def chain(x, n=250):
    """1 + 4n nodes: h = sin(h) * 0.5 + h, n times."""
    h = x
    for _ in range(n):
        h = np.sin(h) * 0.5 + h
    return h


@pytest.fixture(scope="module")
def G():
    return ga.trace(f, 1.2, 2.0)


def expected_partial(G, u, v):
    """grad(u) after the backward pass has sent the flows of u's out-edges to results >= v (results are
    visited in reverse trace order), as the label shows it: the node's own grad once every flow is in."""
    outs = [w for w in G.successors(u) if G.edges[u, w]["grad_flow"] is not None]
    if min(outs) == v:
        return style.summary(G.nodes[u]["grad"])
    return style.summary(sum(G.edges[u, w]["grad_flow"] for w in outs if w >= v))


# ---- the page as text ------------------------------------------------------------------------------

def test_page_is_self_contained_and_deterministic(G):
    page = to_html(G)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= NAMESPACES
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert page.count("<svg") == 1 and 'id="gad-n0"' in page and 'id="gad-e_n0_n3"' in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert not re.search(r"<a\b|<title>|xlink:title|<!--", svg)  # native tooltips gone: the page shows its own
    assert to_html(G) == page
    assert ga.trace(f, 1.2, 2.0) is not G and to_html(ga.trace(f, 1.2, 2.0)) == page
    assert to_html(G, theme="dark") != page


def test_backward_steps_add_flows_in_reverse_trace_order(G):
    steps = page_data(G, plan(G))["backward"]
    assert [s[:2] for s in steps] == [[0, 6], [5, 6], [1, 5], [4, 5], [3, 4], [0, 3]]
    for u, v, text, done in steps:
        assert text == expected_partial(G, u, v)
        assert done == (text == style.summary(G.nodes[u]["grad"]) and v == min(G.successors(u)))
    x_steps = [s for s in steps if s[0] == 0]
    assert [s[2] for s in x_steps] == ["1", "1.63"] and [s[3] for s in x_steps] == [False, True]


def test_fragment_is_embeddable_with_its_own_ids(G):
    frag = to_html(G, fragment=True)
    assert not re.search(r"<(html|head|body)\b|<!DOCTYPE", frag)
    prefix = re.search(r'class="gad-interactive gad-light" id="([^"]+)root"', frag).group(1)
    assert re.fullmatch(r"gad[0-9a-f]{8}-", prefix) and 'class="gad-interactive gad-light"' in frag
    ids = re.findall(r'\bid="([^"]+)"', frag)
    assert ids and all(prefix in i for i in ids) and len(ids) == len(set(ids))
    other = to_html(ga.trace(f, 0.5, 2.0), fragment=True)
    assert prefix not in other
    assert to_html(G, fragment=True, id_prefix="mine-").count('id="mine-n0"') == 1


def test_text_from_the_graph_cannot_break_out_of_the_script():
    G = ga.trace(f, 1.2, 2.0)
    G.nodes[1]["name"] = "</script><b>y & co"
    page = to_html(G)
    assert "</script><b>" not in page.split('class="gad-data">', 1)[1].split("</script>", 1)[0]
    assert "\\u003c/script\\u003e\\u003cb\\u003ey \\u0026 co" in page


@pytest.mark.parametrize("kwargs, message", [
    ({"bogus": 1}, "unknown option: 'bogus'"),
    ({"precision": 0}, "option precision=0 is invalid"),
    ({"id_prefix": "1x"}, "id_prefix '1x' is invalid"),
    ({"highlight": {"nodes": {99: "dead"}}}, "highlight marks node 99"),
], ids=["unknown-option", "bad-precision", "bad-prefix", "bad-highlight"])
def test_bad_input_is_one_clear_line(G, kwargs, message):
    with pytest.raises(RenderError, match=re.escape(message)) as e:
        to_html(G, **kwargs)
    assert "\n" not in str(e.value)


@pytest.fixture(scope="module")
def big_page():
    G = ga.trace(chain, 0.3)
    assert G.number_of_nodes() == 1001
    return G, to_html(G)


def test_a_thousand_node_page_stays_under_two_megabytes(big_page):
    G, page = big_page
    size = len(page.encode("utf-8"))
    assert 200_000 < size < 2_000_000, size
    assert page.count('class="node"') == G.number_of_nodes() + 1  # every node, and the legend


def test_render_writes_the_page(G, tmp_path):
    path = ga.render(G, tmp_path / "f.html", format="html")
    assert path.read_bytes() == to_html(G).encode("utf-8") == ga.render(G, format="html")
    assert "html" in ga.FORMATS


def test_command_line_writes_the_page_and_opens_it(tmp_path):
    """`graphviz-ad render ... -o x.html --open` in a real process; $BROWSER records what it was asked to open."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f"#!{sys.executable}\nimport pathlib, sys\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    browser.chmod(0o755)
    out = tmp_path / "sigmoid.html"
    run = subprocess.run([sys.executable, "-m", "graphviz_ad", "render", "sigmoid", "-o", str(out), "--open"],
                         env=dict(os.environ, BROWSER=str(browser)), capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert opened.read_text() == out.resolve().as_uri()
    run = subprocess.run([sys.executable, "-m", "graphviz_ad", "render", "sigmoid", "--format", "html", "-o", "-",
                          "--open"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "--open needs a file to open" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# ---- the page in a real browser ------------------------------------------------------------------------

def test_step_through_forward_then_backward(browser, G, tmp_path):
    path = tmp_path / "f.html"
    path.write_text(to_html(G), encoding="utf-8")
    p = Page(browser, path)
    n = G.number_of_nodes()
    assert p.ids(".gad-current") == [] and label(p, 0, "grad") == "grad 1.63"

    p.page.keyboard.press("Home")
    assert p.text(".gad-counter") == "start" and p.ids(".gad-current") == []
    assert len(p.ids("g.node.gad-pending")) == n and label(p, 0, "val") is None

    for k in range(n):  # forward: node k becomes current, its value appears, no gradient yet
        p.page.keyboard.press("ArrowRight")
        d = G.nodes[k]
        assert p.ids(".gad-current") == [f"gad-n{k}"]
        assert p.text(".gad-counter") == f"forward {k + 1}/{n}"
        assert p.text(".gad-step-value") == "value " + style.summary(d["value"])
        assert label(p, k, "val") == "val " + style.summary(d["value"])
        assert label(p, k, "grad") is None
        assert len(p.ids("g.node.gad-pending")) == n - k - 1
        if k == 3:
            p.page.screenshot(path=str(tmp_path / "forward.png"))
            assert sorted(p.ids("g.edge.gad-operand")) == ["gad-e_n0_n3", "gad-e_n2_n3"]

    p.page.keyboard.press("ArrowRight")  # the seed
    out = G.graph["output"]
    assert p.ids(".gad-current") == [f"gad-n{out}"] and p.text(".gad-step-grad") == "grad 1"
    assert label(p, out, "grad") == "grad 1"

    backward = [(u, v) for v in sorted(G, reverse=True) for u in sorted(G.predecessors(v))
                if G.edges[u, v]["grad_flow"] is not None]
    for k, (u, v) in enumerate(backward):  # each flow arrives at its operand and adds in
        p.page.keyboard.press("ArrowRight")
        want = expected_partial(G, u, v)
        assert sorted(p.ids(".gad-current")) == sorted([f"gad-n{u}", f"gad-e_n{u}_n{v}"])
        assert p.text(".gad-counter") == f"backward {k + 1}/{len(backward)}"
        assert p.text(".gad-step-value") == "value " + style.summary(G.nodes[u]["value"])
        assert p.text(".gad-step-grad").startswith(f"grad {want} (")
        assert label(p, u, "grad") == f"grad {want}"
        assert style.summary(G.edges[u, v]["grad_flow"]) in p.text(".gad-step-note")
        if (u, v) == (1, 5):
            assert label(p, 0, "grad") == "grad 1"  # x has one of its two terms so far
            assert "gad-e_n4_n5" in p.ids("g.edge.gad-waiting")
            assert "gad-e_n0_n6" not in p.ids("g.edge.gad-waiting")
            p.page.screenshot(path=str(tmp_path / "backward.png"))

    p.page.keyboard.press("ArrowRight")
    assert p.text(".gad-counter") == "done" and p.ids(".gad-current") == []
    for node, d in G.nodes(data=True):
        if d["grad"] is not None:
            assert label(p, node, "grad") == "grad " + style.summary(d["grad"])
    p.page.keyboard.press("ArrowRight")  # stays at the end
    assert p.text(".gad-counter") == "done"
    p.page.keyboard.press("ArrowLeft")
    assert p.text(".gad-counter") == f"backward {len(backward)}/{len(backward)}"
    p.assert_clean()


def test_slider_buttons_and_play(browser, G, tmp_path):
    path = tmp_path / "f.html"
    path.write_text(to_html(G), encoding="utf-8")
    p = Page(browser, path)
    last = int(p.page.get_attribute(".gad-slider", "max"))
    assert last == G.number_of_nodes() + 1 + 6 + 1 and p.step() == last
    p.page.eval_on_selector(".gad-slider", "s => { s.value = '5'; s.dispatchEvent(new Event('input')); }")
    assert p.step() == 5 and p.ids(".gad-current") == ["gad-n4"]
    p.page.click("button[data-act=next]")
    assert p.ids(".gad-current") == ["gad-n5"]
    p.page.click("button[data-act=prev]")
    p.page.click("button[data-act=prev]")
    assert p.ids(".gad-current") == ["gad-n3"]
    p.page.click("button[data-act=first]")
    assert p.step() == 0
    p.page.select_option(".gad-speed", "40")  # 16x
    p.page.click("button[data-act=play]")
    assert p.text("button[data-act=play]") == "\u2016 pause"
    p.page.wait_for_function("() => Number(document.querySelector('.gad-interactive').dataset.step) >= 5")
    p.page.click("button[data-act=play]")
    paused = p.step()
    p.page.wait_for_timeout(300)
    assert p.step() == paused and p.text("button[data-act=play]") == "\u25b6 play"
    p.page.click("button[data-act=play]")  # played to the end, it stops there
    p.page.wait_for_function(f"() => document.querySelector('.gad-interactive').dataset.step === '{last}'")
    p.page.wait_for_timeout(200)
    assert p.text("button[data-act=play]") == "\u25b6 play" and p.text(".gad-counter") == "done"
    p.page.click("button[data-act=last]")
    assert p.step() == last
    p.assert_clean()


def test_hover_details_and_click_paths(browser, G, tmp_path):
    path = tmp_path / "f.html"
    path.write_text(to_html(G), encoding="utf-8")
    p = Page(browser, path)
    p.page.hover("#gad-n0")
    details = p.text(".gad-details-body")
    assert "x [input]" in details and "value 1.2" in details and f"grad {style.fmt(G.nodes[0]['grad'])}" in details
    p.page.hover("#gad-e_n3_n4 text")  # its label
    details = p.text(".gad-details-body")
    assert f"x^2 \u2192 {G.nodes[4]['name']}" in details and "cos(x^2)" in details and "local factor" in details
    # The line itself, a quarter of the way along and 3 px off it: thin edges are easy to hover.
    x, y = p.page.evaluate("""() => {
        const path = document.querySelector("#gad-e_n0_n6 path");
        const pt = path.getPointAtLength(path.getTotalLength() / 4).matrixTransform(path.getScreenCTM());
        return [pt.x, pt.y];
    }""")
    p.page.mouse.move(x, y + 3)
    assert p.text(".gad-details-body").startswith(f"x \u2192 {G.nodes[6]['name']} d result / d operand = 1")

    p.page.click("#gad-n0")
    assert p.ids(".gad-selected") == ["gad-n0"]
    on = p.ids("g.node.gad-on")
    assert sorted(on) == sorted(f"gad-n{k}" for k in (0, 3, 4, 5, 6))
    items = p.page.inner_text(".gad-path-list").strip().splitlines()
    # Multiply along each path, add across paths: x -> x^2 -> sin -> * -> + and x -> +.
    long_path = 2.4 * G.edges[3, 4]["local_factor"] * 2.0 * 1.0
    assert items[0].endswith("= " + style.fmt(long_path)) and "\u00d72.4 \u2192 x^2" in items[0]
    assert items[1] == f"x \u00d71 \u2192 {G.nodes[6]['name']} = 1"
    assert p.text(".gad-path-sum") == f"sum of the products = {style.fmt(long_path + 1)}; grad(x) = 1.63"
    assert "2 paths from x to the output" in p.text(".gad-paths-body")
    p.page.screenshot(path=str(tmp_path / "paths.png"))

    p.page.keyboard.press("Escape")
    assert p.ids(".gad-selected") == [] and p.page.is_hidden(".gad-paths")
    p.page.click("#gad-n2")  # the constant 2 reaches the output, but no gradient flows back to it
    assert "1 path from 2 to the output" in p.text(".gad-paths-body")
    assert p.text(".gad-path-product") == "(no gradient flows out of a constant)"
    assert p.text(".gad-path-sum") == "grad(2) = none"
    p.assert_clean()


def test_pan_and_zoom(browser, G, tmp_path):
    path = tmp_path / "f.html"
    path.write_text(to_html(G), encoding="utf-8")
    p = Page(browser, path)

    def box():
        return [float(v) for v in p.page.get_attribute(".gad-viewport svg", "viewBox").split()]

    home = box()
    p.page.mouse.move(400, 300)
    p.page.mouse.wheel(0, -400)
    zoomed = box()
    assert zoomed[2] < home[2] * 0.8 and zoomed[3] < home[3] * 0.8
    p.page.mouse.move(400, 300)
    p.page.mouse.down()
    p.page.mouse.move(300, 250, steps=5)
    p.page.mouse.up()
    panned = box()
    assert panned[0] > zoomed[0] and panned[1] > zoomed[1] and panned[2:] == zoomed[2:]
    assert p.ids(".gad-selected") == []  # a drag is not a click
    p.page.click("button[data-act=fit]")
    assert box() == home
    p.page.keyboard.press("+")
    assert box()[2] < home[2]
    p.assert_clean()


def test_report_marks_and_findings(browser, tmp_path):
    s = samples.load("relu_dead")
    G = ga.trace(s.fun, **s.inputs, wrt=s.wrt)
    report = ga.diagnose(G)
    path = tmp_path / "relu.html"
    path.write_text(to_html(G, highlight=report), encoding="utf-8")
    p = Page(browser, path)
    findings = p.page.inner_text(".gad-findings-body")
    assert report.findings and report.findings[0].message in findings
    marked = next(n for n, mark in sorted(report.nodes.items()) if G.nodes[n]["op"] not in ("input", "const"))
    p.page.hover(f"#gad-n{marked}")
    assert f"mark {report.nodes[marked]}" in p.text(".gad-details-body")
    assert "legend" in " ".join(p.ids("g.cluster")) and f"mark: {report.nodes[marked]}" in p.page.text_content("#gad-legend_table")
    p.page.click(".gad-findings-body li")
    assert len(p.ids(".gad-selected")) == 1
    # Array values: the step panel shows the same summary as the label.
    p.page.keyboard.press("Home")
    for _ in range(3):
        p.page.keyboard.press("ArrowRight")
    assert p.text(".gad-step-value") == "value " + style.summary(G.nodes[2]["value"])
    p.page.screenshot(path=str(tmp_path / "report.png"))
    p.assert_clean()


def test_two_fragments_on_one_page_keep_apart(browser, G, tmp_path):
    other = ga.trace(chain, 0.3, n=3)
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
            + to_html(G, fragment=True) + to_html(other, fragment=True) + "</body></html>")
    path = tmp_path / "two.html"
    path.write_text(page, encoding="utf-8")
    p = Page(browser, path, size=(1200, 1400))
    roots = p.ids(".gad-interactive")
    assert len(roots) == 2
    first, second = (f"#{r}" for r in roots)
    p.page.click(f"{first} button[data-act=first]")
    p.page.keyboard.press("ArrowRight")  # the focus is in the first drawing
    assert p.page.get_attribute(first, "data-step") == "1"
    assert p.page.inner_text(f"{second} .gad-counter") == "done"
    p.page.click(f"{second} button[data-act=first]")
    p.page.keyboard.press("ArrowRight")
    p.page.keyboard.press("ArrowRight")
    assert p.page.get_attribute(second, "data-step") == "2"
    assert p.page.get_attribute(first, "data-step") == "1"
    assert p.page.eval_on_selector_all(f"{first} .gad-current", "e => e.length") == 1
    p.page.click(f"{first} .gad-viewport", position={"x": 5, "y": 5})  # a click on the drawing focuses it
    p.page.keyboard.press("End")
    assert p.page.get_attribute(first, "data-step") == p.page.get_attribute(f"{first} .gad-slider", "max")
    assert p.page.get_attribute(second, "data-step") == "2"
    p.assert_clean()


def test_a_thousand_node_page_opens_cleanly(browser, big_page, tmp_path):
    G, page = big_page
    path = tmp_path / "chain.html"
    path.write_text(page, encoding="utf-8")
    p = Page(browser, path)
    p.page.keyboard.press("Home")
    assert len(p.ids("g.node.gad-pending")) == G.number_of_nodes()
    p.page.keyboard.press("End")
    p.page.keyboard.press("ArrowLeft")
    assert sorted(p.ids(".gad-current")) == ["gad-e_n0_n1", "gad-n0"]
    p.page.click("#gad-n0")
    assert "paths from x to the output; the first 20:" in p.text(".gad-paths-body")
    first = p.page.inner_text(".gad-path-list li")  # 750 factors: the first and last five are written out
    assert first.count("\u00d7") == 10 and "\u2192 \u2026 740 more factors \u2026 \u2192" in first
    p.page.screenshot(path=str(tmp_path / "chain.png"))
    p.assert_clean()


def test_collapsed_drawing_steps_through_its_groups(browser, tmp_path):
    G = ga.trace(chain, 0.3, n=10)
    path = tmp_path / "folded.html"
    with pytest.warns(ga.GraphvizAdWarning, match="over the render budget"):
        path.write_text(to_html(G, budget=12), encoding="utf-8")
    p = Page(browser, path)
    groups = [i for i in p.ids("g.node") if re.fullmatch(r"gad-[sfb]\d+", i)]
    assert groups
    p.page.keyboard.press("Home")
    for _ in range(G.number_of_nodes()):
        p.page.keyboard.press("ArrowRight")
        current = p.ids(".gad-current")
        assert len(current) == 1 and (current[0] in groups or current[0].startswith("gad-n"))
    assert p.ids("g.node.gad-pending") == []
    p.page.keyboard.press("0")  # fit: stepping panned to the last node
    p.page.hover(f"#{groups[0]}")
    assert re.search(r"\d+ \(ids \d+\.\.\d+\)", p.text(".gad-details-body"))
    p.page.keyboard.press("End")
    p.assert_clean()


@pytest.mark.parametrize("name", samples.names())
def test_every_sample_page_runs_cleanly(browser, name, tmp_path):
    """NaN, arrays, reductions, matmul, dead units, dark theme: open, step both passes, click, no errors."""
    s = samples.load(name)
    G = ga.trace(s.fun, **s.inputs, wrt=s.wrt)
    path = tmp_path / f"{name}.html"
    path.write_text(to_html(G, highlight=ga.diagnose(G), theme="dark", formulas=True), encoding="utf-8")
    p = Page(browser, path)
    step_through(p, G)
    p.page.keyboard.press("0")  # fit: stepping may have panned the input out of view
    p.page.click(f"#gad-n{G.graph['inputs'][0]}")
    assert p.text(".gad-paths-body")
    p.assert_clean()
