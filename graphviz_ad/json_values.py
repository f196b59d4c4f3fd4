"""The one JSON convention of every JSON graphviz-ad writes (graphs, the debugger's reports, the interactive
page's data): strict JSON, with NaN and infinities as the strings "NaN", "Infinity" and "-Infinity".

A module of its own, importing nothing of the package but the Summary type, so any writer can use it.
"""

import math

import numpy as np

from .summary import Summary


def json_data(x):
    """Any value as strict-JSON-ready data: arrays and tuples to lists, numpy scalars to Python numbers,
    NaN / Inf to the strings "NaN" / "Infinity" / "-Infinity" (`json_number`), anything else to its repr."""
    if isinstance(x, np.ndarray):
        return json_data(x.tolist())
    if isinstance(x, Summary):
        return json_data(x.to_dict())
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
