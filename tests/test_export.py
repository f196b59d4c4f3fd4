"""JSON export: node-link data with arrays as lists, strict JSON, and a faithful round trip."""

import json

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad.export import node_link, to_json


def net(W, b, x):
    """Arrays, a NaN (log of a negative), a constant and an index, so every attribute kind is saved."""
    h = np.tanh(W @ x + b)
    return np.sum(np.log(h + 0.5) * h[0:2].sum())


def traced():
    return ga.trace(net, np.array([[1.0, -2.0], [0.5, 0.25], [-3.0, 1.0]]), np.array([0.1, -0.2, 0.3]),
                    np.array([0.7, 0.4]))


def assert_same_attrs(a, b):
    assert set(a) == set(b)
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert isinstance(y, np.ndarray) and isinstance(x, np.ndarray), key
            assert x.shape == y.shape and x.dtype == y.dtype, key
            np.testing.assert_array_equal(x, y)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), key
        else:
            assert x == y and type(x) is type(y), key


def test_round_trip_keeps_every_attribute(tmp_path):
    G = traced()
    assert any(not np.all(np.isfinite(d["grad"])) for _, d in G.nodes(data=True) if d["grad"] is not None)
    path = ga.render(G, tmp_path / "net.json", format="json")
    H = ga.load_json(path)
    assert isinstance(H, ga.Graph) and list(H.nodes) == list(G.nodes) and list(H.edges) == list(G.edges)
    assert H.graph == G.graph
    for n in G:
        assert_same_attrs(G.nodes[n], H.nodes[n])
    for e in G.edges:
        assert_same_attrs(G.edges[e], H.edges[e])


def test_a_loaded_graph_draws_the_same_picture():
    G = traced()
    assert ga.to_dot(ga.load_json(to_json(G)), formulas=True) == ga.to_dot(G, formulas=True)


def test_json_is_strict_deterministic_and_node_link():
    G = traced()
    text = to_json(G)
    assert text == to_json(traced())

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    data = json.loads(text, parse_constant=refuse)
    assert data == node_link(G)
    assert data["format"] == "graphviz-ad node-link 1" and data["directed"] is True
    assert [n["id"] for n in data["nodes"]] == list(G.nodes)
    W = data["nodes"][0]
    assert W["name"] == "W" and W["value"] == [[1.0, -2.0], [0.5, 0.25], [-3.0, 1.0]] and W["shape"] == [3, 2]
    assert "NaN" in text


def test_slices_and_tuples_in_params_come_back():
    G = traced()
    index = next(n for n, d in G.nodes(data=True) if d["op"] == "getitem")
    H = ga.load_json(to_json(G))
    assert H.nodes[index]["params"] == G.nodes[index]["params"]


@pytest.mark.parametrize("text,message", [
    ("{not json", "not a graphviz-ad JSON graph: invalid JSON at line 1"),
    ('{"nodes": []}', "not a graphviz-ad JSON graph: expected \"format\": 'graphviz-ad node-link 1'"),
])
def test_bad_input_is_a_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        ga.load_json(text)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.json"):
        ga.load_json(tmp_path / "nothere.json")
