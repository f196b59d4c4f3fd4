"""The gain colour scale, measured: CIEDE2000 between decades, colour-vision deficiencies, and what the
colour of an edge means (its gradient against the one the output sends), checked on drawn SVGs."""

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import colour, samples, style
from graphviz_ad.dot import reference

SVG = "{http://www.w3.org/2000/svg}"
DECADES = range(-3, 4)


def test_ciede2000_matches_published_test_pairs():
    # Pairs and differences from Sharma, Wu and Dalal (2005), table 1.
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0),
             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
             ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
             ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082)]
    for a, b, expected in pairs:
        assert colour.delta_e_lab(a, b) == pytest.approx(expected, abs=1e-4)
    assert colour.delta_e("#ffffff", "#000000") == pytest.approx(100.0, abs=0.01)


def test_lab_round_trip():
    for hexcolour in ("#0030b7", "#989898", "#fc0d2b", "#ffffff", "#000000"):
        assert colour.lab_to_hex(colour.hex_to_lab(hexcolour)) == hexcolour


@pytest.mark.parametrize("theme", sorted(style.THEMES))
def test_neighbouring_decades_differ_by_at_least_20(theme):
    colours = [style.gain_color(10.0 ** k, theme) for k in DECADES]
    steps = [colour.delta_e(a, b) for a, b in zip(colours, colours[1:])]
    assert min(steps) >= 20, steps
    # Uniform enough that no decade looks like two: the largest step is less than 1.5x the smallest.
    assert max(steps) < 1.5 * min(steps), steps


@pytest.mark.parametrize("theme", sorted(style.THEMES))
@pytest.mark.parametrize("kind", sorted(colour.CVD))
def test_scale_stays_readable_with_colour_vision_deficiencies(theme, kind):
    colours = [colour.simulate(style.gain_color(10.0 ** k, theme), kind) for k in DECADES]
    steps = [colour.delta_e(a, b) for a, b in zip(colours, colours[1:])]
    assert min(steps) >= 6, steps            # every decade still visibly differs from its neighbours
    for k in (1, 2, 3):                      # and a shrinking edge never looks like a growing one
        assert colour.delta_e(colours[3 - k], colours[3 + k]) >= 20


@pytest.mark.parametrize("theme", sorted(style.THEMES))
def test_every_scale_colour_stands_out_from_the_background(theme):
    bg = {"white": "#ffffff"}.get(style.THEMES[theme]["bg"], style.THEMES[theme]["bg"])
    for k in np.linspace(-3, 3, 25):
        assert colour.delta_e(style.gain_color(10.0 ** k, theme), bg) >= 20, k


def test_scale_is_centred_on_x1_and_symmetric_in_decades():
    assert style.gain_color(1.0) == style.THEMES["light"]["neutral"]
    assert style.gain_position(10.0) == pytest.approx(-style.gain_position(0.1))


# What the colour means.

def drawn_positions(svg, theme="light"):
    """The scale position (-1..1) of every gain-coloured edge in an SVG, read back from its stroke colour."""
    table = {}
    for t in sorted(range(-1000, 1001), key=abs):   # a colour shared by neighbouring steps reads as the outermost
        table[style.gain_color(10.0 ** (3 * t / 1000), theme)] = t / 1000
    positions = []
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if "edge" in (g.get("class") or "").split() and "scaled" in (g.get("class") or "").split():
            stroke = next(g.iter(f"{SVG}path")).get("stroke")
            positions.append(table[stroke])
    return positions


def sample_svg(name):
    sample = samples.load(name)
    G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    return G, ga.render(G, legend=False)


@pytest.mark.parametrize("name", ["healthy_tanh_mlp", "residual_net"])
def test_healthy_networks_show_no_vanishing_or_exploding_colour(name):
    _, svg = sample_svg(name)
    positions = drawn_positions(svg)
    assert positions and all(style.gain_band(10 ** (3 * p)) not in ("vanishing", "exploding") for p in positions)


@pytest.mark.parametrize("name,band", [("sigmoid_chain20", "vanishing"), ("exploding_chain", "exploding")])
def test_sick_networks_show_their_colour(name, band):
    _, svg = sample_svg(name)
    bands = [style.gain_band(10 ** (3 * p)) for p in drawn_positions(svg)]
    assert bands.count(band) >= 5, bands


def test_an_array_edge_is_coloured_by_its_gradient_against_the_output_not_by_the_data_size():
    """An ordinary MLP on a batch of 2048: the first weight's factor is large (it is |X|), nothing explodes."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2048, 10)), rng.normal(size=(2048, 1))
    W1, W2 = rng.normal(size=(10, 32)) / np.sqrt(10), rng.normal(size=(32, 1)) / np.sqrt(32)

    def f(W1, W2, X, y):
        return np.mean((np.tanh(X @ W1) @ W2 - y) ** 2)

    G = ga.trace(f, W1, W2, X, y, wrt=["W1", "W2"])
    w_edge = next(d for u, v, d in G.edges(data=True) if G.nodes[u]["name"] == "W1")
    assert w_edge["gain"] > 10                                # the factor scales with the data's size
    ref = reference(G)                                         # per element, past the mean
    square = next(n for n in G if G.nodes[n]["op"] == "power")
    assert ref.rms == pytest.approx(style.rms(G.nodes[square]["grad"])) and ref.batch == 2048
    relative = style.rms(w_edge["grad_flow"]) / ref.rms / np.sqrt(2048)  # W1 sums one term per row
    assert style.gain_band(w_edge["gain"]) == "growing" and style.gain_band(relative) == "steady"
    src = ga.to_dot(G, legend=False)
    assert f'color="{style.gain_color(relative)}"' in src
    assert f'color="{style.gain_color(w_edge["gain"])}"' in ga.to_dot(G, legend=False, color_by="factor")


def test_scalar_colour_is_the_gradient_the_edge_carries_against_the_seed():
    def f(x):
        return np.sin(x * 3.0) * 1e-4

    G = ga.trace(f, 0.2)
    x = G.node_named("x")
    (edge,) = [d for u, v, d in G.edges(data=True) if u == x]
    assert reference(G).rms == 1.0 and reference(G).batch == 1
    src = ga.to_dot(G, legend=False)
    assert f'color="{style.gain_color(abs(edge["grad_flow"]))}"' in src
    assert math.isclose(abs(edge["grad_flow"]), abs(G.grad_of("x")))
