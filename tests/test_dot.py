"""DOT building (pure, no Graphviz run): exact text, colours, widths, labels, options, collapsing."""

import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples, style
from graphviz_ad.dot import OPTIONS, layout_cost, to_dot
from graphviz_ad.graph import Graph


def tiny():
    """y = sin(3 x) at x = 2, written by hand with the contract's attributes."""
    G = Graph(function="f", inputs=[0], output=2, wrt=["x"], seed=1.0, seed_rule="scalar")
    common = dict(source="f.py:2", code="y = np.sin(x * 3)", scope=("f",), params={})
    G.add_node(0, op="input", name="x", display="x", value=2.0, grad=2.88051086, shape=(), dtype="float64",
               requires_grad=True, **common)
    G.add_node(1, op="const", name="3", display="3", value=3.0, grad=None, shape=(), dtype="int64",
               requires_grad=False, **common)
    G.add_node(2, op="sin", name="y", display="sin", value=-0.2794155, grad=1.0, shape=(), dtype="float64",
               requires_grad=True, **common)
    G.add_edge(0, 2, argnum=0, formula="3*cos(3*x)", local_factor=2.88051086, gain=2.88051086, grad_flow=2.88051086)
    G.add_edge(1, 2, argnum=1, formula="x*cos(3*x)", local_factor=None, gain=None, grad_flow=None)
    return G


TINY_DOT = r'''digraph f {
	graph [bgcolor=white fontcolor="#222222" fontname=Helvetica fontsize=11 id="graph" nodesep=0.25 rankdir=LR ranksep=0.35]
	node [color="#777777" fillcolor="#f2f2f2" fontcolor="#222222" fontname=Helvetica fontsize=10 height=0.3 margin="0.06,0.03" shape=box style=filled]
	edge [arrowsize=0.6 fontcolor="#777777" fontname=Helvetica fontsize=9]
	n0 [label="x\nval 2\ngrad 2.88" color="#222222" fillcolor="#d5e8d4" id=n0 style="filled,bold" tooltip="x [input]\nshape scalar float64\nvalue 2.0\ngrad 2.88051086\nscope f\nat f.py:2\ncode y = np.sin(x * 3)"]
	n1 [label="3\nval 3" fillcolor="#ffffff" fontcolor="#777777" id=n1 style="dashed,filled" tooltip="3 [const]\nshape scalar int64\nvalue 3.0\ngrad none\nscope f\nat f.py:2\ncode y = np.sin(x * 3)"]
	n2 [label="y: sin\nval -0.279\ngrad 1" fillcolor="#fff2cc" id=n2 peripheries=2 tooltip="y [sin]\nshape scalar float64\nvalue -0.2794155\ngrad 1.0\nscope f\nat f.py:2\ncode y = np.sin(x * 3)"]
	n0 -> n2 [label="×2.88" class=scaled color="#bba671" id=e_n0_n2 penwidth=5 tooltip="d result / d operand = 3*cos(3*x)\nlocal factor 2.88051086\ngain 2.88051086\ngrad flow 2.88051086"]
	n1 -> n2 [arrowhead=empty class=const color="#c4c4c4" id=e_n1_n2 penwidth=1 style=dotted tooltip="d result / d operand = x*cos(3*x)\nlocal factor none\ngain none\ngrad flow none"]
}
'''


def edge_attrs(src):
    """(tail, head) -> attribute text of each edge line of some DOT source."""
    return {(m[1], m[2]): m[3] for m in re.finditer(r"^\t(\w+) -> (\w+) \[(.*)\]$", src, re.M)}


def attr(text, name):
    m = re.search(rf'(?:^| ){name}=("(?:[^"\\]|\\.)*"|[^ \]]+)', text)
    return m[1].strip('"') if m else None


def test_exact_dot_of_a_small_graph():
    assert to_dot(tiny(), legend=False) == TINY_DOT


def test_same_graph_and_options_give_the_same_text():
    def f(x, w):
        return np.sum(np.tanh(w * x) ** 2)

    a = to_dot(ga.trace(f, np.array([0.5, -1.0]), 2.0), formulas=True)
    b = to_dot(ga.trace(f, np.array([0.5, -1.0]), 2.0), formulas=True)
    assert a == b


def test_formula_labels_and_the_switch_that_hides_labels():
    src = to_dot(tiny(), legend=False, formulas=True, precision=2)
    assert attr(edge_attrs(src)[("n0", "n2")], "label") == "3*cos(3*x) = 2.9"
    assert "label=" not in edge_attrs(to_dot(tiny(), legend=False, labels=False))[("n0", "n2")]


def test_values_and_grads_can_be_left_out_of_node_labels():
    src = to_dot(tiny(), legend=False, values=False, grads=False)
    assert 'n2 [label="y: sin" ' in src and "val " not in src.split("tooltip")[0]


@pytest.mark.parametrize("gain,expected", [
    (1.0, style.THEMES["light"]["neutral"]),
    (1e-3, style.THEMES["light"]["cold"]),
    (1e-9, style.THEMES["light"]["cold"]),
    (1e3, style.THEMES["light"]["warm"]),
    (1e12, style.THEMES["light"]["warm"]),
], ids=["x1-neutral", "1e-3-cold", "1e-9-cold", "1e3-warm", "1e12-warm"])
def test_colour_scale_ends_and_centre(gain, expected):
    assert style.gain_color(gain) == expected


def test_colour_scale_moves_monotonically_towards_each_end():
    def blue(g):
        return int(style.gain_color(g)[5:7], 16)

    def red(g):
        return int(style.gain_color(g)[1:3], 16)

    vanishing = [blue(10.0 ** -k) for k in (0, 0.5, 1, 2, 2.5, 3)]
    exploding = [red(10.0 ** k) for k in (0, 0.5, 1, 2, 2.5, 3)]
    assert vanishing == sorted(vanishing) and len(set(vanishing)) == len(vanishing)
    assert exploding == sorted(exploding) and len(set(exploding)) == len(exploding)


def test_thresholds_are_options():
    assert style.gain_color(1e-2, vanishing=1e-2) == style.THEMES["light"]["cold"]
    assert style.gain_color(1e-2) != style.THEMES["light"]["cold"]
    src = to_dot(tiny(), legend=False, exploding=2.0)
    assert attr(edge_attrs(src)[("n0", "n2")], "color") == style.THEMES["light"]["warm"]


def hand_edge_graph(gains):
    """x -> y_i for each gain, so every edge style can be checked."""
    G = Graph(function="g", inputs=[0], output=None)
    G.add_node(0, op="input", name="x", display="x", value=1.0, grad=1.0, shape=(), dtype="float64", scope=("g",))
    for i, gain in enumerate(gains, start=1):
        G.add_node(i, op="mul", name=f"y{i}", display="*", value=1.0, grad=1.0, shape=(), dtype="float64",
                   scope=("g",))
        G.add_edge(0, i, argnum=0, formula="w", local_factor=gain, gain=None if gain is None else abs(gain),
                   grad_flow=gain)
    return G


def test_zero_nan_and_constant_edges_have_their_own_styles():
    src = to_dot(hand_edge_graph([0.0, math.nan, math.inf, None, 0.5]), legend=False)
    e = edge_attrs(src)
    light = style.THEMES["light"]
    assert (attr(e["n0", "n1"], "color"), attr(e["n0", "n1"], "style")) == (light["zero"], "dashed")
    for nan_edge in (e["n0", "n2"], e["n0", "n3"]):
        assert (attr(nan_edge, "color"), attr(nan_edge, "style")) == ("#ff00ff", "bold")
    assert (attr(e["n0", "n4"], "color"), attr(e["n0", "n4"], "style")) == (light["const_edge"], "dotted")
    assert attr(e["n0", "n4"], "arrowhead") == "empty" and "label=" not in e["n0", "n4"]
    assert attr(e["n0", "n5"], "color") == style.gain_color(0.5) and attr(e["n0", "n5"], "style") is None


def test_pen_width_follows_grad_flow():
    flows = [1e-8, 1e-4, 1e-2, 0.3, 1.0, 7.0]
    e = edge_attrs(to_dot(hand_edge_graph(flows), legend=False))
    widths = [float(attr(e["n0", f"n{i}"], "penwidth")) for i in range(1, len(flows) + 1)]
    assert widths == sorted(widths) and widths[-1] == style.MAX_WIDTH and widths[0] == style.MIN_WIDTH
    assert len(set(widths[1:])) == len(widths) - 1


def test_arrays_are_summarised_in_labels_and_truncated_in_tooltips():
    G = ga.trace(lambda v: np.sum(np.sin(v)), np.linspace(-1.0, 2.0, 1000))
    src = to_dot(G, legend=False)
    assert "val [1000] |" in src and "-1..2" in src
    tooltip = re.search(r'n0 \[.*tooltip="([^"]*)"', src)[1]
    assert "..." in tooltip and len(tooltip) < 600


def test_text_that_could_break_dot_is_escaped():
    G = tiny()
    G.nodes[0]["name"] = 'a"b\\N<c>&{d} é\n2'
    G.nodes[0]["code"] = "s = '<tag>' + \"q\" \\"
    src = to_dot(G, legend=False)
    line = next(line for line in src.splitlines() if line.startswith("\tn0 "))
    assert 'label="a\\"b\\\\N<c>&{d} é\\n2\\n' in line
    assert line.endswith('\\\\"]')  # the code's final backslash is doubled, so the quote still closes
    assert len(src.splitlines()) == len(to_dot(tiny(), legend=False).splitlines())


def test_function_names_that_look_like_html_are_quoted():
    G = tiny()
    G.graph["function"] = "<lambda>"
    assert to_dot(G, legend=False).startswith('digraph "<lambda>" {')


def test_unknown_option_names_the_option_and_lists_the_valid_ones():
    with pytest.raises(ga.RenderError, match=r"unknown option: 'colour' \(must be one of \['budget', "):
        to_dot(tiny(), colour="red")
    assert sorted(OPTIONS) == ["budget", "collapse", "color_by", "exploding", "fit_width", "fold", "formulas", "grads",
                               "labels", "legend", "literals", "precision", "rankdir", "theme", "values", "vanishing"]


@pytest.mark.parametrize("option,value", [
    ("theme", "blue"), ("rankdir", "XY"), ("precision", 0), ("vanishing", 2.0), ("exploding", 0.5),
    ("collapse", -1), ("budget", 0), ("labels", "yes"), ("fold", 1),
])
def test_invalid_option_values_are_one_line_errors(option, value):
    with pytest.raises(ga.RenderError, match=rf"^option {option}={value!r} is invalid \(must be [^\n]+\)$"):
        to_dot(tiny(), **{option: value})


def test_rankdir_and_dark_theme():
    src = to_dot(tiny(), legend=False, rankdir="TB", theme="dark")
    assert "rankdir=TB" in src and "bgcolor=\"#1e1e1e\"" in src
    assert attr(edge_attrs(src)[("n0", "n2")], "color") == style.gain_color(2.88051086, "dark")


def test_id_prefix_goes_on_every_id():
    src = to_dot(tiny(), id_prefix="fig2-")
    ids = re.findall(r"\bid=\"?([\w-]+)", src)
    assert len(ids) == 8 and all(i.startswith("fig2-") for i in ids)
    with pytest.raises(ga.RenderError, match="id_prefix '2 x' is invalid"):
        to_dot(tiny(), id_prefix="2 x")


def test_legend_explains_colours_widths_and_marks():
    src = to_dot(tiny(), highlight={"nodes": {2: "nan_origin"}, "edges": {(0, 2): "weakest_path"}})
    legend = re.search(r"legend \[label=<(.*)> id=", src)[1]
    for text in ("vanishing", "exploding", "width: |grad flow|", "exactly 0", "NaN or Inf", "constant",
                 "mark: nan_origin", "mark: weakest_path", style.THEMES["light"]["cold"]):
        assert text in legend


def test_highlight_marks_nodes_and_edges_in_their_colours():
    class Report:
        nodes = {0: "dead"}
        edges = {(0, 2): "wrong_derivative"}

    src = to_dot(tiny(), legend=False, highlight=Report())
    node0 = next(line for line in src.splitlines() if line.startswith("\tn0 "))
    assert attr(node0, "color") == style.MARK_COLORS["dead"] and attr(node0, "penwidth") == "3"
    assert "mark dead" in node0
    mark = style.MARK_COLORS["wrong_derivative"]
    assert attr(edge_attrs(src)[("n0", "n2")], "color") == f"{mark}:{style.gain_color(2.88051086)}:{mark}"


@pytest.mark.parametrize("highlight,message", [
    ({"nodes": {7: "dead"}}, "highlight marks node 7, which is not in the graph"),
    ({"edges": {(2, 0): "dead"}}, r"highlight marks edge \(2, 0\), which is not an edge"),
    ({"nodes": {0: 3}}, "highlight mark of node 0 must be a string"),
])
def test_bad_highlights_are_clear_errors(highlight, message):
    with pytest.raises(ga.RenderError, match=message):
        to_dot(tiny(), highlight=highlight)


def helper_layers(x):
    """Two calls of two user functions, with root-level work between them, so scopes show as clusters."""
    def inner(v):
        return np.sin(v) * 2.0

    def outer(v):
        return inner(v) + np.cos(v)

    a = outer(x)
    b = a * a
    c = outer(b)
    return c ** 2


def test_scopes_become_clusters_without_the_root():
    src = to_dot(ga.trace(helper_layers, 0.3), legend=False)
    labels = re.findall(r"subgraph (cluster_s\d+) \{\n\t+(.*)", src)
    assert [(name, attr(body, "label")) for name, body in labels] == [
        ("cluster_s0", "outer"), ("cluster_s1", "inner"), ("cluster_s2", "outer"), ("cluster_s3", "inner")]
    assert "helper_layers" not in re.sub(r'tooltip="[^"]*"', "", src.split("\n", 1)[1])


def test_collapsed_scope_is_one_node_whose_edges_carry_the_combined_gain():
    G = ga.trace(helper_layers, 0.3)
    src = to_dot(G, legend=False, collapse=0, color_by="factor")
    assert "cluster_s" not in src and re.findall(r"\t(s\d) \[label=\"outer\\n", src) == ["s0", "s2"]
    e = edge_attrs(src)
    x = G.node_named("x")
    (into_first,) = [a for (t, h), a in e.items() if t == f"n{x}" and h == "s0"]
    # outer(x) = 2 sin x + cos x, so the group scales the gradient by |2 cos x - sin x|.
    expected = abs(2 * math.cos(0.3) - math.sin(0.3))
    assert float(attr(into_first, "tooltip").split("gain ")[1].split("\\n")[0]) == pytest.approx(expected)
    assert attr(into_first, "label") == "gain " + style.fmt(expected)
    assert attr(into_first, "color") == style.gain_color(expected)


def chain(n):
    def f(x):
        for _ in range(n - 1):
            x = np.sin(x)
        return x
    return f


def test_long_runs_fold_into_one_node_carrying_the_product_of_factors():
    G = ga.trace(chain(40), 0.9)
    src = to_dot(G, legend=False, fold=8)
    assert re.findall(r"\t(f\d+) \[label=\"(sin ×\d+)", src) == [("f1", "sin ×39")]
    (data,) = edge_attrs(src).values()
    product = abs(G.grad_of("x"))  # d out / d x is the product of the 39 cos factors
    assert float(attr(data, "tooltip").split("gain ")[1].split("\\n")[0]) == pytest.approx(product)


def test_over_the_node_budget_the_picture_is_collapsed_and_says_so():
    G = ga.trace(chain(2100), 0.9)
    with pytest.warns(ga.GraphvizAdWarning, match="graph of 2100 nodes is over the render budget of 2000"):
        src = to_dot(G)
    assert "sin ×2099" in src and "showing 2 of 2100 nodes (node budget 2000)" in src
    with pytest.warns(ga.GraphvizAdWarning, match="drawing all 2100 nodes with budget=None: Graphviz may take"):
        full = to_dot(G, budget=None, legend=False)
    assert full.count(" -> ") == 2099
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_dot(ga.trace(chain(1900), 0.9), budget=None)


def test_layout_cost_counts_long_edges():
    G = ga.trace(chain(50), 0.9)
    assert layout_cost(G, {n: n for n in G}) == 50
    G.add_edge(0, 49)
    assert layout_cost(G, {n: n for n in G}) > 50 + 47


SAMPLE_OPTIONS = [dict(collapse=0), dict(fold=2), dict(budget=3), dict(theme="dark", formulas=True, rankdir="TB")]


@pytest.mark.parametrize("sample", samples.all_samples(), ids=lambda s: s.name)
def test_every_sample_builds_under_every_reduction(sample):
    G = ga.trace(sample.fun, **sample.inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ga.GraphvizAdWarning)
        for options in SAMPLE_OPTIONS:
            src = to_dot(G, **options)
            assert src.startswith("digraph ") and src.endswith("}\n")
            drawn = set(re.findall(r"^\t+(\w+) \[label=", src, re.M)) - {"legend"}
            assert drawn and all(t in drawn and h in drawn for t, h in edge_attrs(src))


def test_output_does_not_depend_on_hash_seeds():
    code = ("import warnings, numpy as np, graphviz_ad as ga; warnings.simplefilter('ignore')\n"
            "def block(h, w):\n    return np.tanh(h * w) + h\n"
            "def net(x, ws):\n    for w in ws:\n        x = block(x, w) * 0.5\n    return np.sum(x ** 2)\n"
            "G = ga.trace(net, np.array([0.3, -0.2]), [0.5, 1.5, -2.0, 0.1, 0.7])\n"
            "print(ga.to_dot(G, budget=9, highlight={'nodes': {1: 'b', 2: 'a'}, 'edges': {}}))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")}
    assert len(outputs) == 1 and "of 34 nodes (node budget 9)" in outputs.pop()


def test_array_summaries_keep_the_finite_range_and_count_nans():
    assert style.summary(np.array([1.0, np.nan, 3.0])) == "[3] |nan| 1..3 +1 nan/inf"
    assert style.summary(np.array([[3.0, 4.0]])) == "[1x2] |5| 3..4"
    assert style.summary(2.0) == "2"


def test_back_to_back_calls_are_two_clusters_thanks_to_call_ids():
    def layer(v):
        return np.tanh(v * 2.0)

    def net(x):
        return layer(layer(x))

    G = ga.trace(net, 0.3)
    assert [G.nodes[n]["scope_calls"] for n in G] == [(0,)] + [(0, 1)] * 3 + [(0, 2)] * 3
    assert to_dot(G, legend=False).count("subgraph cluster_") == 2
    for n, d in G.nodes(data=True):   # without call ids, names alone cannot tell the calls apart
        del d["scope_calls"]
    assert to_dot(G, legend=False).count("subgraph cluster_") == 1
