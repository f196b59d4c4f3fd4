"""Rendering through real Graphviz: both engines (the `dot` executable and pygraphviz in process)."""

import math
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import style

from graphviz_ad import engine as engine_module

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def _engines():
    found = [pytest.param("dot", marks=pytest.mark.needs_dot)]
    try:
        import pygraphviz  # noqa: F401
        found.append("pygraphviz")
    except ImportError:
        pass
    return found


@pytest.fixture(params=_engines())
def render_engine(request):
    """Each layout engine in turn: Graphviz's `dot` executable, then pygraphviz in process."""
    return shutil.which("dot") if request.param == "dot" else request.param


@pytest.fixture
def no_dot_on_path(monkeypatch, tmp_path):
    """A PATH without Graphviz, and no $GRAPHVIZ_AD_DOT."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(engine_module.ENV, raising=False)


def mixed(x, w):
    """Vanishing, exploding, dead and constant edges in one small graph."""
    u = np.sin(x) * 1e-4
    v = u * w
    dead = np.maximum(x - 5.0, 0.0)
    return v * 3e3 + dead


def traced():
    return ga.trace(mixed, 0.4, 2.0)


def edges_of(svg):
    """(tail, head) -> (stroke colour, stroke width, dash, tooltip) for every edge in an SVG."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "edge" not in (g.get("class") or "").split():
            continue
        tail, head = g.find(f"{SVG}title").text.split("->")
        path = next(g.iter(f"{SVG}path"))
        tip = next(a.get(f"{XLINK}title") for a in g.iter(f"{SVG}a"))
        out[tail, head] = (path.get("stroke"), float(path.get("stroke-width", 1)), path.get("stroke-dasharray"), tip)
    return out


def test_each_edge_colour_matches_its_gain_and_widths_follow_the_flow(render_engine):
    G = traced()
    svg = ga.render(G, engine=render_engine, color_by="factor", literals=True)
    drawn = edges_of(svg)
    assert len(drawn) == G.number_of_edges()
    kinds = set()
    for u, v, data in G.edges(data=True):
        color, width, dash, tip = drawn[f"n{u}", f"n{v}"]
        kind, expected, line = style.edge_style(data["gain"], data["grad_flow"])
        kinds.add(kind)
        assert color == expected, (u, v, data["gain"])
        assert (dash is not None) == (line in ("dashed", "dotted"))
        assert "gain " in tip
    assert kinds == {"scaled", "zero", "const"}
    flowing = sorted((abs(d["grad_flow"]), drawn[f"n{u}", f"n{v}"][1]) for u, v, d in G.edges(data=True)
                     if d["grad_flow"])
    widths = [w for _, w in flowing]
    assert widths == sorted(widths) and widths[-1] == style.MAX_WIDTH and widths[0] < widths[-1]


def test_vanishing_and_exploding_edges_get_the_saturated_ends(render_engine):
    G = traced()
    drawn = edges_of(ga.render(G, engine=render_engine, color_by="factor"))
    colours = {drawn[f"n{a}", f"n{b}"][0] for a, b, d in G.edges(data=True) if d["gain"] and d["gain"] >= 1e3}
    assert colours == {style.THEMES["light"]["warm"]}
    colours = {drawn[f"n{a}", f"n{b}"][0] for a, b, d in G.edges(data=True) if d["gain"] and d["gain"] <= 1e-3}
    assert colours == {style.THEMES["light"]["cold"]}


def test_nan_edges_are_magenta_and_bold(render_engine):
    G = ga.trace(lambda x: np.sum(np.log(x - 2.0) * x), np.array([3.0, 1.0]))
    drawn = edges_of(ga.render(G, engine=render_engine))
    bad = [drawn[f"n{u}", f"n{v}"] for u, v, d in G.edges(data=True) if not style.is_finite(d["grad_flow"])]
    assert bad and all(color == "#ff00ff" and width == 3 for color, width, _, _ in bad)


def test_tooltips_and_legend_are_in_the_svg(render_engine):
    svg = ga.render(traced(), engine=render_engine)
    root = ET.fromstring(svg)
    by_id = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    legend = by_id["legend_table"]
    texts = " ".join(t.text or "" for t in legend.iter(f"{SVG}text"))
    for words in ("edge colour", "vanishing", "exploding", "width: |grad flow|", "NaN or Inf", "constant"):
        assert words in texts
    swatches = {p.get("fill") for p in legend.iter(f"{SVG}polygon")}
    assert {style.THEMES["light"]["cold"], style.THEMES["light"]["neutral"], style.THEMES["light"]["warm"]} <= swatches
    u = traced().node_named("u")
    tip = next(a.get(f"{XLINK}title") for a in by_id[f"n{u}"].iter(f"{SVG}a"))
    assert tip.startswith("u [multiply]\nshape scalar float64\nvalue 3.894183423086506e-05\ngrad 6000.0")
    assert "\nscope mixed\n" in tip
    assert re.search(r"\nat test_render.py:\d+\ncode u = np.sin\(x\) \* 1e-4", tip)


def test_same_graph_gives_byte_identical_svg_without_varying_comments(render_engine):
    a = ga.render(traced(), engine=render_engine)
    b = ga.render(traced(), engine=render_engine)
    assert a == b
    comments = re.findall(rb"<!--(.*?)-->", a, re.S)
    assert not [c for c in comments if re.search(rb"\d\d:\d\d:\d\d|20\d\d-\d\d-\d\d", c)]


def test_id_prefix_makes_every_svg_id_unique_to_its_picture(render_engine):
    G = ga.trace(lambda x: np.sin(x) * 2.0, 0.5)
    svg = ga.render(G, id_prefix="fig1-", collapse=None, engine=render_engine).decode()
    ids = [g.get("id") for g in ET.fromstring(svg).iter() if g.get("id")]
    assert len(ids) > 8 and all(i.startswith("fig1-") for i in ids)
    other = ga.render(G, id_prefix="fig2-", engine=render_engine).decode()
    page = set(ids) | {g.get("id") for g in ET.fromstring(other).iter() if g.get("id")}
    assert len(page) == 2 * len(ids)
    assert all(ref[1:] in ids for ref in re.findall(r'href="(#[^"]+)"', svg))


def test_clusters_get_prefixed_ids(render_engine):
    def outer(v):
        return np.sin(v) * 2.0

    def f(x):
        return outer(x) + 1.0

    svg = ga.render(ga.trace(f, 0.5), id_prefix="p-", engine=render_engine).decode()
    clusters = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert sorted(g.get("id") for g in clusters) == ["p-cluster_s0", "p-legend"]


def test_awkward_names_and_values_render_intact(render_engine):
    G = ga.trace(lambda x: x * 2.0, 1.5)
    name = 'a"b\\N <c> & {d} é – 名'
    G.nodes[0]["name"] = name
    G.nodes[0]["code"] = 'print("<b>") \\'
    G.graph["function"] = "<lambda>"
    svg = ga.render(G, engine=render_engine)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert name in texts
    tips = [a.get(f"{XLINK}title") for a in root.iter(f"{SVG}a")]
    assert any('code print("<b>") \\' in (t or "") for t in tips)


def test_highlighted_marks_are_drawn_and_listed(render_engine):
    G = traced()
    u, v = next((a, b) for a, b, d in G.edges(data=True) if d["gain"])
    report = {"nodes": {u: "nan_origin"}, "edges": {(u, v): "weakest_path"}}
    svg = ga.render(G, highlight=report, engine=render_engine)
    root = ET.fromstring(svg)
    node = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"n{u}")
    shape = next(e for e in node.iter() if e.tag in (f"{SVG}polygon", f"{SVG}path"))
    assert shape.get("stroke") == style.MARK_COLORS["nan_origin"] and shape.get("stroke-width") == "3"
    edge = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"e_n{u}_n{v}")
    strokes = {p.get("stroke") for p in edge.iter(f"{SVG}path")}
    assert style.MARK_COLORS["weakest_path"] in strokes
    assert b"mark: weakest_path" in svg and b"mark: nan_origin" in svg


def test_png_pdf_dot_and_json_formats(render_engine, tmp_path):
    G = ga.trace(lambda x: np.sin(x), 0.5)
    assert ga.render(G, format="png", engine=render_engine).startswith(b"\x89PNG")
    assert ga.render(G, format="pdf", engine=render_engine).startswith(b"%PDF")
    assert ga.render(G, format="dot") == ga.to_dot(G).encode()
    out = ga.render(G, tmp_path / "g.json", format="json")
    assert ga.load_json(out).number_of_nodes() == G.number_of_nodes()
    path = ga.render(G, str(tmp_path / "g.svg"), engine=render_engine)
    assert (tmp_path / "g.svg").read_bytes() == ga.render(G, engine=render_engine) and path.endswith("g.svg")


def test_unknown_format_and_mismatched_suffix():
    G = ga.trace(lambda x: x + 1.0, 0.5)
    assert ga.FORMATS[:5] == ("svg", "png", "pdf", "dot", "json")
    with pytest.raises(ga.RenderError) as info:
        ga.render(G, format="foo")
    assert str(info.value) == f"unknown format: 'foo' (must be one of {list(ga.FORMATS)})"
    with pytest.raises(ga.RenderError, match=r"ends in .png but format is 'svg'; pass format='png'"):
        ga.render(G, "out.png", format="svg")


def test_format_follows_the_path_suffix(tmp_path, render_engine):
    G = ga.trace(lambda x: x + 1.0, 0.5)
    for suffix, start in [("png", b"\x89PNG"), ("dot", b"digraph"), ("json", b"{"), ("html", b"<!DOCTYPE html>"),
                          ("svg", b"<?xml")]:
        ga.render(G, str(tmp_path / f"g.{suffix}"), engine=render_engine)
        assert (tmp_path / f"g.{suffix}").read_bytes().startswith(start), suffix
    ga.render(G, str(tmp_path / "drawing.out"), engine=render_engine)
    assert (tmp_path / "drawing.out").read_bytes().startswith(b"<?xml")
    with pytest.raises(ga.RenderError, match="unknown option: 'colour'"):
        ga.render(G, format="json", colour="red")


def test_pygraphviz_draws_svg_with_no_dot_on_path(no_dot_on_path):
    pytest.importorskip("pygraphviz")
    assert shutil.which("dot") is None
    assert engine_module.find_engine() == "pygraphviz"
    svg = ga.render(traced(), literals=True)
    assert len(edges_of(svg)) == traced().number_of_edges()


def test_engine_chosen_by_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(engine_module.ENV, "pygraphviz")
    pytest.importorskip("pygraphviz")
    assert engine_module.find_engine() == "pygraphviz"
    monkeypatch.setenv(engine_module.ENV, str(tmp_path / "nodot"))
    with pytest.raises(ga.EngineNotFound, match=r"^GRAPHVIZ_AD_DOT='.*nodot' is not an executable Graphviz dot; "):
        ga.render(traced())
    if shutil.which("dot"):
        monkeypatch.setenv(engine_module.ENV, shutil.which("dot"))
        assert engine_module.find_engine() == shutil.which("dot")


def test_no_engine_at_all_is_one_clear_error_and_dot_json_still_work(no_dot_on_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # makes `import pygraphviz` fail
    G = traced()
    with pytest.raises(ga.EngineNotFound) as info:
        ga.render(G)
    message = str(info.value)
    assert "\n" not in message and "no Graphviz layout engine found" in message and "pip install pygraphviz" in message
    assert isinstance(info.value, ga.GraphvizAdError)
    assert ga.render(G, format="dot").startswith(b"digraph mixed {")
    assert ga.load_json(ga.render(G, format="json").decode()).number_of_edges() == G.number_of_edges()
    bundle = G._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "no picture: no Graphviz layout engine found" in bundle["text/plain"]


def test_jupyter_shows_svg():
    bundle = traced()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert bundle["text/plain"] == "<graphviz_ad.Graph mixed: 13 nodes, 13 edges>"


def test_graphviz_failures_become_render_errors(render_engine):
    with pytest.raises(ga.RenderError, match=r"^Graphviz (\(pygraphviz\) could not draw svg: Invalid Input|"
                                             r"\S+ -Tsvg failed \(exit 1\): .*syntax error in line 1)"):
        engine_module.run_engine("digraph { a -> }", "svg", render_engine)


def test_budget_collapse_renders_quickly_and_says_so():
    def f(x):
        for _ in range(2099):
            x = np.sin(x)
        return x

    G = ga.trace(f, 0.9)
    with pytest.warns(ga.GraphvizAdWarning, match="over the render budget"):
        svg = ga.render(G)
    (edge,) = edges_of(svg).values()
    assert edge[0] == style.gain_color(abs(G.grad_of("x")))
    assert b"sin \xc3\x972099" in svg and b"showing 2 of 2100 nodes" in svg
    assert not math.isnan(G.grad_of("x"))


def test_a_layout_that_runs_too_long_is_stopped_with_a_one_line_error(monkeypatch, tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(engine_module, "LAYOUT_TIMEOUT", 0.5)
    G = ga.trace(lambda x: x + 1.0, 0.5)
    with pytest.raises(ga.RenderError) as info:
        ga.render(G, engine=str(slow))
    assert "took over 0.5 s" in str(info.value) and "collapse=1" in str(info.value)
    assert "\n" not in str(info.value)
