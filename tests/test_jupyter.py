"""Jupyter shows a traced graph as its SVG drawing, through IPython's own display formatter."""

import xml.etree.ElementTree as ET

import numpy as np
from IPython.core.formatters import DisplayFormatter

import graphviz_ad as ga

SVG = "{http://www.w3.org/2000/svg}"


def two_paths(x):
    u = np.sin(x)
    v = np.cos(x)
    return u**2 + v**2


def test_a_graph_displays_as_svg_with_a_text_fallback():
    G = ga.trace(two_paths, 0.7)
    data, _ = DisplayFormatter().format(G)
    assert set(data) == {"image/svg+xml", "text/plain"}
    svg = ET.fromstring(data["image/svg+xml"].encode())
    assert svg.tag == f"{SVG}svg"
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    for name in ("x", "u", "v"):   # each node is drawn, labelled with its variable's name
        assert any(label == name or label.startswith(name + ":") for label in labels if label), name
    drawn = ET.fromstring(ga.render(G))
    assert svg.get("viewBox") == drawn.get("viewBox") and svg.get("viewBox")
    assert svg.get("style") == "max-width: 100%; height: auto;" and drawn.get("style") is None
    svg.attrib.pop("style")   # with that one sizing change, it is the renderer's drawing
    assert ET.tostring(svg) == ET.tostring(drawn)
    assert data["text/plain"] == "<graphviz_ad.Graph two_paths: 8 nodes, 8 edges>"


def test_rendered_svg_bytes_display_scaled_to_the_column():
    G = ga.trace(two_paths, 0.7)
    rendered = ga.render(G)
    data, _ = DisplayFormatter().format(rendered)
    svg, drawn = ET.fromstring(data["image/svg+xml"].encode()), ET.fromstring(rendered)
    assert svg.attrib.pop("style") == "max-width: 100%; height: auto;"
    assert ET.tostring(svg) == ET.tostring(drawn) and drawn.get("style") is None   # the bytes stay as drawn


def test_without_a_graphviz_engine_the_display_is_plain_text_saying_why(monkeypatch):
    monkeypatch.setenv("GRAPHVIZ_AD_DOT", "/nonexistent/dot")
    G = ga.trace(two_paths, 0.7)
    data, _ = DisplayFormatter().format(G)
    assert list(data) == ["text/plain"]
    first, reason = data["text/plain"].split("\n")
    assert first == "<graphviz_ad.Graph two_paths: 8 nodes, 8 edges>"
    assert reason.startswith("(no picture: ") and "GRAPHVIZ_AD_DOT" in reason
