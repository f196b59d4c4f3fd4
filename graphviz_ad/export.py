"""JSON save and load: networkx node-link data with arrays as (nested) lists, so graphs can be shared.

Strict JSON has no NaN or Inf, and graphviz-ad keeps them on purpose, so non-finite numbers are written
as the strings "NaN", "Infinity" and "-Infinity" and read back as floats. That is the one convention of
every JSON the project writes (graphs, the debugger's reports, the interactive page's data): they all
go through `json_values.json_data`.
"""

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np

from .errors import GraphFileError
from .graph import Graph
from .json_values import json_data
from .summary import Summary

FORMAT = "graphviz-ad node-link 1"
NODE_NUMBERS = ("value", "grad")
EDGE_NUMBERS = ("local_factor", "grad_flow", "gain")
NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


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


def load_json(path_or_text):
    """Read a graph saved with `render(G, path, format="json")`.

    Every attribute of docs/graph-contract.md is checked, so what loads can be drawn and diagnosed.

    Args:
        path_or_text: a file path, or the JSON text itself (str or bytes).

    Returns:
        A `Graph` with the attributes of docs/graph-contract.md (arrays back as numpy arrays).

    Raises:
        GraphFileError (a ValueError): the text is not a graph written by graphviz-ad: not JSON, another
            format, a missing or mistyped attribute, an edge to no node, a cycle, no output. The message
            says what is wrong and at which node or edge.
        OSError: the file cannot be read (FileNotFoundError when there is none).
    """
    if isinstance(path_or_text, (bytes, bytearray)):
        path_or_text = bytes(path_or_text).decode("utf-8", "replace")
    text = str(path_or_text)
    if not text.lstrip().startswith("{"):
        text = Path(path_or_text).read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GraphFileError(f"not a graphviz-ad JSON graph: invalid JSON at line {e.lineno}: {e.msg}") from None
    except RecursionError:
        raise GraphFileError("not a graphviz-ad JSON graph: nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GraphFileError(f"not a graphviz-ad JSON graph: expected \"format\": {FORMAT!r}")
    try:
        return _graph(data)
    except _Bad as e:
        raise GraphFileError(f"malformed graphviz-ad JSON graph: {e}") from None


class _Bad(Exception):
    """What is wrong in a JSON graph, and where."""


def _graph(data):
    for key in ("graph", "nodes", "edges"):
        _expect(isinstance(data.get(key), dict if key == "graph" else list), f"\"{key}\" is missing or malformed")
    G = Graph()
    for k, node in enumerate(data["nodes"]):
        _expect(isinstance(node, dict), f"node #{k} is not an object")
        n = node.get("id")
        _expect(type(n) is int, f"node #{k} has no whole-number \"id\"")
        _expect(n not in G, f"node id {n} is used twice")
        attrs = _attributes(node, _NODE, f"node {n}", skip=("id",))
        _expect(all(x is None or _shape_of(x) == attrs["shape"] for x in (attrs["value"], attrs["grad"])),
                f"node {n}: \"value\", \"grad\" and \"shape\" disagree on the shape")
        if _numeric_dtype(attrs["dtype"]):   # an integer array comes back as one
            for key in ("value", "grad"):
                if isinstance(attrs[key], np.ndarray):
                    attrs[key] = attrs[key].astype(attrs["dtype"])
        G.add_node(n, **attrs)
    for k, edge in enumerate(data["edges"]):
        _expect(isinstance(edge, dict), f"edge #{k} is not an object")
        u, v = edge.get("source"), edge.get("target")
        _expect(type(u) is int and u in G and type(v) is int and v in G,
                f"edge #{k} does not join two nodes of the graph (source {u!r}, target {v!r})")
        _expect(not G.has_edge(u, v), f"edge {u} -> {v} is given twice")
        attrs = _attributes(edge, _EDGE, f"edge {u} -> {v}", skip=("source", "target"))
        _expect(len(_shape_of(attrs["local_factor"])) == 0 or _shape_of(attrs["local_factor"]) == G.nodes[v]["shape"],
                f"edge {u} -> {v}: \"local_factor\" has neither the shape of node {v} nor none")
        _expect(attrs["grad_flow"] is None or _shape_of(attrs["grad_flow"]) == G.nodes[u]["shape"],
                f"edge {u} -> {v}: \"grad_flow\" does not have the shape of node {u}")
        G.add_edge(u, v, **attrs)
    G.graph.update(_attributes(data["graph"], _GRAPH, "graph"))
    _expect(G.graph["output"] in G, f"graph: \"output\" {G.graph['output']} is not a node")
    missing = [i for i in G.graph["inputs"] if i not in G]
    _expect(not missing, f"graph: \"inputs\" {missing} are not nodes")
    try:
        cycle = nx.find_cycle(G)
    except nx.NetworkXNoCycle:
        return G
    raise _Bad("graph: it has a cycle (" + " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}), "
               "which a traced graph never has")


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Summary) else np.shape(x)


def _expect(ok, what):
    if not ok:
        raise _Bad(what)


def _attributes(data, schema, where, skip=()):
    """The contract's attributes of one node, edge or graph, each read by its schema entry."""
    attrs = {k: v for k, v in data.items() if k not in skip}
    for key, read in schema.items():
        if key not in attrs:
            raise _Bad(f"{where}: no \"{key}\"")
        try:
            attrs[key] = read(attrs[key])
        except (TypeError, ValueError, KeyError, OverflowError, RecursionError) as e:
            raise _Bad(f"{where}: \"{key}\" {' '.join(str(e).split())}") from None
    return attrs


def _text(x):
    if not isinstance(x, str):
        raise TypeError(f"must be text, got {_json_type(x)}")
    return x


def _flag(x):
    if not isinstance(x, bool):
        raise TypeError(f"must be true or false, got {_json_type(x)}")
    return x


def _whole(x):
    if type(x) is not int:
        raise TypeError(f"must be a whole number, got {_json_type(x)}")
    return x


def _tuple_of(read):
    def tuple_of(x):
        if not isinstance(x, list):
            raise TypeError(f"must be a list, got {_json_type(x)}")
        return tuple(read(v) for v in x)
    return tuple_of


def _optional(read):
    return lambda x: None if x is None else read(x)


def _number(x):
    """A stored number or (nested) list of numbers back as a float or a float array; a stored
    {"summary": ...} (a front end's statistics of a big array) back as a Summary."""
    if isinstance(x, dict) and "summary" in x:
        stats = x["summary"]
        if not isinstance(stats, dict):
            raise TypeError(f"must be a summary object, got {_json_type(stats)}")
        return Summary.from_dict({"summary": {k: NONFINITE.get(v, v) if isinstance(v, str) else v
                                              for k, v in stats.items()}})
    if isinstance(x, list):
        a = np.array(_floats(x), dtype=float)   # ragged lists and non-numbers raise ValueError here
        if a.dtype.kind != "f":
            raise ValueError("must be a number or a rectangular list of numbers")
        return a
    return _float(x)


def _float(x):
    if isinstance(x, str) and x in NONFINITE:
        return NONFINITE[x]
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"must be a number, got {_json_type(x)}")
    return float(x)



def _floats(x):
    return [_floats(v) for v in x] if isinstance(x, list) else _float(x)


def _gain(x):
    x = _float(x)
    if not x >= 0 and x == x:
        raise ValueError(f"must be >= 0, got {x}")
    return x


def _argnum(x):
    if isinstance(x, list) and not x:
        raise ValueError("must be a whole number or a non-empty list of them")
    return _tuple_of(_whole)(x) if isinstance(x, list) else _whole(x)


def _numeric_dtype(name):
    try:
        return np.dtype(name).kind in "biuf"
    except TypeError:
        return False


def _params(x):
    if not isinstance(x, dict):
        raise TypeError(f"must be an object, got {_json_type(x)}")
    return {k: _param(v) for k, v in x.items()}


def _param(x):
    """Params as the tracer stores them: lists were tuples, {"slice": [...]} was a slice."""
    if isinstance(x, list):
        return tuple(_param(v) for v in x)
    if isinstance(x, dict):
        if set(x) == {"slice"} and isinstance(x["slice"], list) and len(x["slice"]) <= 3:
            return slice(*x["slice"])
        return {k: _param(v) for k, v in x.items()}
    return x


def _json_type(value):
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


# What load_json reads, per attribute of docs/graph-contract.md; other attributes are kept as they are.
_NODE = {"op": _text, "name": _text, "display": _text, "value": _number, "grad": _optional(_number),
         "shape": _tuple_of(_whole), "dtype": _text, "requires_grad": _flag, "source": _text, "code": _text,
         "scope": _tuple_of(_text), "scope_calls": _tuple_of(_whole), "params": _params}
_EDGE = {"argnum": _argnum, "local_factor": _optional(_number), "gain": _optional(_gain),
         "grad_flow": _optional(_number), "formula": _text}
_GRAPH = {"inputs": lambda x: list(_tuple_of(_whole)(x)), "output": _whole, "seed": _number}
