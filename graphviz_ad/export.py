"""JSON save and load: networkx node-link data with arrays as (nested) lists, so graphs can be shared.

Strict JSON has no NaN or Inf, and graphviz-ad keeps them on purpose, so non-finite numbers are written
as the strings "NaN", "Infinity" and "-Infinity" and read back as floats. That is the one convention of
every JSON the project writes (graphs, the debugger's reports, the interactive page's data): they all
go through `json_data`.
"""

import json
import math
from pathlib import Path

import numpy as np

from .graph import Graph

FORMAT = "graphviz-ad node-link 1"
NODE_NUMBERS = ("value", "grad")
EDGE_NUMBERS = ("local_factor", "grad_flow", "gain")
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def json_data(x):
    """Any value as strict-JSON-ready data: arrays and tuples to lists, numpy scalars to Python numbers,
    NaN / Inf to the strings "NaN" / "Infinity" / "-Infinity" (`json_number`), anything else to its repr."""
    if isinstance(x, np.ndarray):
        return json_data(x.tolist())
    if isinstance(x, np.generic):
        return json_data(x.item())
    if isinstance(x, float):
        return json_number(x)
    if isinstance(x, (list, tuple)):
        return [json_data(v) for v in x]
    if isinstance(x, dict):
        return {str(k): json_data(v) for k, v in x.items()}
    if isinstance(x, slice):
        return {"slice": [json_data(x.start), json_data(x.stop), json_data(x.step)]}
    if x is None or isinstance(x, (bool, int, str)):
        return x
    return repr(x)


def json_number(x):
    """A float as JSON: itself when finite, else "NaN", "Infinity" or "-Infinity"."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"


def node_link(G):
    """The graph as networkx node-link data (a dict of plain JSON types)."""
    return {
        "format": FORMAT, "directed": True, "multigraph": False,
        "graph": json_data(dict(G.graph)),
        "nodes": [dict(json_data(d), id=n) for n, d in G.nodes(data=True)],
        "edges": [dict(json_data(d), source=u, target=v) for u, v, d in G.edges(data=True)],
    }


def to_json(G):
    """The graph as JSON text; the same graph always gives the same text."""
    return json.dumps(node_link(G), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _number(x, dtype=None):
    """A stored value back as a float or numpy array."""
    if x is None:
        return None
    if isinstance(x, list):
        a = np.array(_floats(x), dtype=float)
        return a.astype(dtype) if dtype and np.dtype(dtype).kind in "biuf" else a
    return NONFINITE.get(x, x) if isinstance(x, str) else float(x)


def _floats(x):
    return [_floats(v) for v in x] if isinstance(x, list) else NONFINITE.get(x, x) if isinstance(x, str) else x


def _param(x):
    """Params as the tracer stores them: lists were tuples, {"slice": [...]} was a slice."""
    if isinstance(x, list):
        return tuple(_param(v) for v in x)
    if isinstance(x, dict):
        if set(x) == {"slice"}:
            return slice(*x["slice"])
        return {k: _param(v) for k, v in x.items()}
    return x


def load_json(path_or_text):
    """Read a graph saved with `render(G, path, format="json")`.

    Args:
        path_or_text: a file path, or the JSON text itself.

    Returns:
        A `Graph` with the attributes of docs/graph-contract.md (arrays back as numpy arrays).

    Raises:
        ValueError: the text is not JSON written by graphviz-ad.
    """
    text = str(path_or_text)
    if not text.lstrip().startswith("{"):
        text = Path(path_or_text).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not a graphviz-ad JSON graph: invalid JSON at line {e.lineno}: {e.msg}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a graphviz-ad JSON graph: expected \"format\": {FORMAT!r}")
    G = Graph()
    G.graph.update(data["graph"])
    if isinstance(G.graph.get("seed"), (list, str)):
        G.graph["seed"] = _number(G.graph["seed"])
    for node in data["nodes"]:
        attrs = {k: v for k, v in node.items() if k != "id"}
        for key in NODE_NUMBERS:
            if key in attrs:
                attrs[key] = _number(attrs[key], attrs.get("dtype"))
        for key in ("shape", "scope", "scope_calls"):
            if key in attrs:
                attrs[key] = tuple(attrs[key])
        if "params" in attrs:
            attrs["params"] = {k: _param(v) for k, v in attrs["params"].items()}
        G.add_node(node["id"], **attrs)
    for edge in data["edges"]:
        attrs = {k: v for k, v in edge.items() if k not in ("source", "target")}
        for key in EDGE_NUMBERS:
            if key in attrs:
                attrs[key] = _number(attrs[key])
        if isinstance(attrs.get("argnum"), list):
            attrs["argnum"] = tuple(attrs["argnum"])
        G.add_edge(edge["source"], edge["target"], **attrs)
    return G
