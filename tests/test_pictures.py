"""Pictures readable where they are shown, measured on the SVG Graphviz draws: text at least 8 px high at
the width the drawing is shown, the node budget kept, every graph drawn in time, the layout choices."""

import importlib
import re
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import embed, layout, samples

sys.path.insert(0, str(Path(__file__).resolve().parent))
import big_models  # noqa: E402

render_module = importlib.import_module("graphviz_ad.render")
engine_module = importlib.import_module("graphviz_ad.engine")
SVG = "{http://www.w3.org/2000/svg}"


def svg_size(svg):
    """(width, height) in points, from the <svg> element."""
    root = ET.fromstring(svg)
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def smallest_text_px(svg, shown_px):
    """Height in px of the smallest text when the drawing is shown at most `shown_px` wide."""
    root = ET.fromstring(svg)
    fonts = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    return layout.text_px(min(fonts), svg_size(svg)[0], shown_px)


def boxes(svg):
    """The ids of the drawn boxes (nodes), the legend not counted."""
    return [g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g")
            if "node" in (g.get("class") or "").split() and not (g.get("id") or "").endswith("legend_table")]


def quiet_render(G, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ga.GraphvizAdWarning)
        return ga.render(G, **options)


@pytest.fixture(scope="module")
def big():
    return {name: big_models.trace(name) for name in ("gpt2", "scalar_mlp", "shared_weight", "long_sum")}


@pytest.mark.parametrize("sample", samples.all_samples(), ids=lambda s: s.name)
@pytest.mark.parametrize("shown", [1280, 800])
def test_every_sample_is_legible_where_it_is_shown(sample, shown):
    G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    svg = quiet_render(G, fit_width=shown)
    assert smallest_text_px(svg, shown) >= layout.MIN_TEXT_PX, svg_size(svg)
    width, height = svg_size(svg)
    assert height <= layout.MAX_ASPECT * layout.max_width_pt(shown)


@pytest.mark.parametrize("name", ["gpt2", "scalar_mlp", "shared_weight", "long_sum"])
@pytest.mark.parametrize("shown", [1280, 800])
def test_real_models_of_hundreds_of_ops_are_legible(big, name, shown):
    G = big[name]
    assert G.number_of_nodes() >= 200
    svg = quiet_render(G, fit_width=shown)
    assert smallest_text_px(svg, shown) >= layout.MIN_TEXT_PX, (name, svg_size(svg))
    assert b"budget=None draws every node" in svg   # the legend says what was reduced and how to undo it


def test_a_gpt2_forward_pass_is_collapsed_by_scope_not_to_one_box(big):
    svg = quiet_render(big["gpt2"])
    drawn = boxes(svg)
    assert 20 <= len(drawn) <= 200
    assert b"scope calls collapsed" in svg and svg_size(svg)[0] <= layout.max_width_pt(1280)


def test_a_scalar_mlp_in_loops_is_drawn_one_box_per_neuron(big):
    src = ga.to_dot(big["scalar_mlp"], warn=False)
    neurons = re.findall(r'label="L\d+: total = total \+ wi…', src)
    assert len(neurons) == 16 + 16 + 1   # every neuron of the 4-16-16-1 network, nothing merged further


@pytest.mark.parametrize("budget", [3, 10, 100])
@pytest.mark.parametrize("name", ["gpt2", "shared_weight", "scalar_mlp"])
def test_the_budget_means_what_it_says(big, name, budget):
    svg = quiet_render(big[name], budget=budget)
    assert len(boxes(svg)) <= budget


def test_a_weight_shared_by_300_layers_folds_and_is_drawn_beside_its_users(big):
    G = big["shared_weight"]
    src = ga.to_dot(G, warn=False)
    assert "(*, tanh, +) ×300" in src
    unfolded = ga.to_dot(G, warn=False, fit_width=None, fold=None)   # every op drawn: one w per use
    assert len(re.findall(r'class="copy n1"', unfolded)) == 300
    assert unfolded.count(" -> ") == G.number_of_edges()


def test_leaf_copies_share_the_leaf_s_id_and_tooltip():
    sample = samples.load("exploding_chain")
    G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    svg = ga.render(G)
    root = ET.fromstring(svg)
    copies = [g for g in root.iter(f"{SVG}g") if "copy" in (g.get("class") or "").split()]
    assert len(copies) == 30 and all("n1" in g.get("class").split() for g in copies)
    tips = {next(a.get("{http://www.w3.org/1999/xlink}title") for a in g.iter(f"{SVG}a")) for g in copies}
    assert len(tips) == 1 and tips.pop().startswith("w [input]")
    assert copies[0].get("id") == "n1" and copies[1].get("id") == "n1_2"


def test_names_assigned_in_a_loop_get_their_occurrence():
    sample = samples.load("exploding_chain")
    src = ga.to_dot(ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs))
    titles = re.findall(r'label="(h#\d+): \*', src)
    assert titles == [f"h#{k}" for k in range(1, 31)]
    assert "h#3: the 3rd value assigned to h" in src


def test_literals_are_folded_into_their_op_unless_asked():
    G = ga.trace(lambda x: np.sin(x) ** 2 * 0.5, 0.3)
    consts = [n for n in G if G.nodes[n]["op"] == "const"]
    assert len(consts) == 2
    folded, shown = ga.to_dot(G), ga.to_dot(G, literals=True)
    assert all(f"\tn{c} [" not in folded for c in consts) and "sin(x)^2" in folded
    assert all(f"\tn{c} [" in shown for c in consts)


def test_rank_direction_follows_the_shape_and_the_user_wins():
    def short(x):
        return np.sin(x) * 2.0

    assert "rankdir=LR" in ga.to_dot(ga.trace(short, 0.3))
    sample = samples.load("sigmoid_chain20")
    G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    assert "rankdir=TB" in ga.to_dot(G)
    assert "rankdir=LR" in ga.to_dot(G, rankdir="LR", warn=False)
    assert "rankdir=BT" in ga.to_dot(G, rankdir="BT", warn=False)


def test_user_options_are_kept_and_budget_none_draws_every_node(big):
    G = big["gpt2"]
    src = ga.to_dot(G, budget=None, legend=False)
    assert layout.drawn_nodes(src) == G.number_of_nodes() - len(
        [n for n in G if G.nodes[n]["op"] == "const" and n not in G.graph["inputs"]
         and G.out_degree(n) == 1 and G.nodes[n]["name"] in ga.style.node_title(G.nodes[next(iter(G.successors(n)))])])
    assert "collapsed" not in ga.to_dot(G, collapse=None, fit_width=None, warn=False)


def test_a_layout_past_its_time_is_redrawn_smaller_and_says_so(monkeypatch, tmp_path, big):
    """A dot that hangs on drawings of more than 20 boxes: the first try is stopped, the second drawn."""
    real = engine_module.find_engine("dot")
    slow = tmp_path / "slow-dot"
    slow.write_text(f"#!/bin/sh\nsrc=$(cat)\nif [ $(printf '%s' \"$src\" | grep -c -E '^\\s+[a-z][0-9_]+ \\[') -gt 20 ]; "
                    "then exec sleep 30; fi\n"
                    f"printf '%s' \"$src\" | exec {real} \"$@\"\n")
    slow.chmod(0o755)
    monkeypatch.setattr(render_module, "LAYOUT_SECONDS", 4)
    svg = quiet_render(big["gpt2"], engine=str(slow))
    assert 0 < len(boxes(svg)) <= 20
    assert b"layout ran past 2 s: redrawn with at most" in svg


def test_drawings_in_pages_scale_to_their_column():
    for sample in samples.all_samples():
        G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
        element = embed.inline_svg(quiet_render(G).decode(), "alt")
        start = element[:element.index(">")]
        assert 'style="max-width: 100%; height: auto;"' in start and "viewBox=" in start, sample.name
