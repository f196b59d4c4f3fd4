"""How the picture looks: themes, the gain colour scale, pen widths, label and tooltip text, the legend.

Everything here is pure (numbers and strings in, strings out) so dot.py stays about graph structure.
"""

import functools
import html
import math

import numpy as np

from . import colour, finding_kinds
from .summary import Summary

THEMES = {
    "light": {
        "bg": "white", "fg": "#222222", "muted": "#777777",
        "op": "#f2f2f2", "input": "#d5e8d4", "output": "#fff2cc", "const": "#ffffff", "group": "#e6def0",
        "cluster": "#f7f7f7", "cluster_border": "#b0b0b0",
        "zero": "#b0b0b0", "nan": "#ff00ff", "const_edge": "#c4c4c4",
    },
    "dark": {
        "bg": "#1e1e1e", "fg": "#e6e6e6", "muted": "#9a9a9a",
        "op": "#2d2d2d", "input": "#1f3d2b", "output": "#4a3f16", "const": "#1e1e1e", "group": "#352b45",
        "cluster": "#262626", "cluster_border": "#5a5a5a",
        "zero": "#8a8a8a", "nan": "#ff00ff", "const_edge": "#4e4e4e",
    },
}

# The gain scale: one colour per decade of log10(gain) from 1e-3 to 1e3, blue - grey - yellow/red, designed
# in CIELAB so neighbouring decades differ by a CIEDE2000 of at least 20 (tests measure it, also under
# simulated colour-vision deficiencies). Lightness runs away from the background towards both ends, so
# the extremes stand out most; in between, colours are interpolated in CIELAB.
SCALES = {
    "light": ("#0030b7", "#006fb0", "#00949d", "#989898", "#dcb838", "#ee853c", "#fc0d2b"),
    "dark": ("#c1c6ff", "#00aafa", "#008d91", "#6a6a6a", "#ce443e", "#ed871e", "#edd61d"),
}
for _name, _scale in SCALES.items():
    THEMES[_name].update(cold=_scale[0], neutral=_scale[len(_scale) // 2], warm=_scale[-1])

# Mark name -> colour, for highlights: the debugger's marks (finding_kinds.KINDS); other names take
# FALLBACK_MARK_COLORS in order.
MARK_COLORS = finding_kinds.MARK_COLORS
FALLBACK_MARK_COLORS = ("#0072b2", "#e69f00", "#56b4e9", "#f0e442", "#000000")

MIN_WIDTH, MAX_WIDTH = 1.0, 5.0
WIDTH_DECADES = 6  # pen width spans this many decades of |grad_flow| below the largest one


def norm(x):
    """|x| for a scalar, the Euclidean norm for an array, None for None."""
    if x is None:
        return None
    if isinstance(x, Summary):
        return x.norm
    if isinstance(x, (int, float)) or np.ndim(x) == 0:
        return abs(float(x))
    a = np.asarray(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if a.dtype == np.float32:   # summed in float32 (no float64 copy); redone in float64 if it overflows
            total = float(np.dot(a.ravel(), a.ravel()))
            if math.isfinite(total):
                return math.sqrt(total)
        return float(np.linalg.norm(np.asarray(a, dtype=float).ravel()))


def rms(x):
    """Root mean square of a scalar (its absolute value) or an array; None for None."""
    if isinstance(x, Summary):
        return x.rms
    size = norm(x)
    return None if size is None else size / math.sqrt(max(1, np.size(x)))


def is_finite(x):
    """False when a scalar or any array element is NaN or Inf (None counts as finite: nothing flows)."""
    if x is None or isinstance(x, int):
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, Summary):
        return x.finite
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def gain_position(gain, vanishing=1e-3, exploding=1e3):
    """Where log10(gain) sits on the scale: -1 at or below `vanishing`, 0 at x1, +1 at or above `exploding`."""
    if gain <= 0:
        return -1.0
    decades = math.log10(gain)
    span = -math.log10(vanishing) if decades < 0 else math.log10(exploding)
    return max(-1.0, min(1.0, decades / span))


BANDS = ("vanishing", "shrinking", "steady", "growing", "exploding")


def gain_band(gain, vanishing=1e-3, exploding=1e3):
    """The word for a gain: vanishing (at or below `vanishing`), shrinking (below 1/3.16), steady (within
    half a decade of x1), growing (below `exploding`) or exploding (at or above it)."""
    if gain <= vanishing:
        return "vanishing"
    if gain >= exploding:
        return "exploding"
    decades = math.log10(gain)
    return "shrinking" if decades < -0.5 else "growing" if decades > 0.5 else "steady"


@functools.lru_cache(maxsize=4096)
def _scale_color(theme, step):
    """The colour `step` thousandths of the way along the scale (-1000: cold end, 0: x1, 1000: warm end)."""
    anchors = SCALES[theme]
    half = len(anchors) // 2
    x = (step / 1000 + 1) * half
    k = min(int(x), len(anchors) - 2)
    return colour.mix_lab(anchors[k], anchors[k + 1], x - k)


def gain_color(gain, theme="light", vanishing=1e-3, exploding=1e3):
    """The colour of a nonzero finite gain: cold for vanishing, neutral at x1, warm for exploding.

    The position is rounded to a thousandth of the scale, so colours are the same on every platform.
    """
    return _scale_color(theme, int(round(gain_position(gain, vanishing, exploding) * 1000)))


def edge_style(gain, flow, theme="light", vanishing=1e-3, exploding=1e3):
    """(kind, colour, dot style) of an edge; kind is one of const, nan, zero, scaled."""
    colors = THEMES[theme]
    if gain is None:
        return "const", colors["const_edge"], "dotted"
    if not (is_finite(gain) and is_finite(flow)):
        return "nan", colors["nan"], "bold"
    if gain == 0:
        return "zero", colors["zero"], "dashed"
    return "scaled", gain_color(gain, theme, vanishing, exploding), "solid"


def pen_width(flow_norm, max_flow):
    """Pen width from |grad_flow|, on a log scale relative to the largest flow in the picture."""
    if not flow_norm or not max_flow or not math.isfinite(flow_norm):
        return MIN_WIDTH
    t = 1 + math.log10(flow_norm / max_flow) / WIDTH_DECADES
    return round(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * max(0.0, min(1.0, t)), 2)


def fmt(x, precision=3):
    """A number at `precision` significant digits: 3 -> '3', 0.5403 -> '0.54' (precision 2), nan -> 'nan'."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{precision}g}"
    if "e" in text:   # 6e+03 -> 6e3, 3.89e-05 -> 3.89e-5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text == "-0" else text


def shape_text(shape):
    """(3, 2) -> '[3x2]'; () -> 'scalar'."""
    return "[" + "x".join(str(n) for n in shape) + "]" if shape else "scalar"


def summary(x, precision=3):
    """One short line for a value or gradient: the number itself, or shape, norm and min..max of an array."""
    if isinstance(x, Summary):
        return _summary_text(x, precision)
    if np.ndim(x) == 0:
        return fmt(x, precision)
    a = np.asarray(x)
    a = a if a.dtype in (np.float32, np.float64) else a.astype(float)
    ok = np.isfinite(a)
    finite = a if ok.all() else a[ok]
    text = f"{shape_text(a.shape)} |{fmt(norm(a), precision)}|"
    if finite.size:
        text += f" {fmt(finite.min(), precision)}..{fmt(finite.max(), precision)}"
    bad = a.size - finite.size
    return text + (f" +{bad} nan/inf" if bad else "")


def _summary_text(s, precision):
    """A Summary in the words of an array's summary line (the statistics are the same ones)."""
    text = f"{shape_text(s.shape)}"
    if math.isnan(s.norm):   # a running sum of summaries: only the shape is known
        return text + " \u2026"
    text += f" |{fmt(s.norm, precision)}|"
    if s.size > s.nan + s.inf:
        text += f" {fmt(s.low, precision)}..{fmt(s.high, precision)}"
    bad = s.nan + s.inf
    return text + (f" +{bad} nan/inf" if bad else "")


def full_text(x, precision=3):
    """The value written out for a tooltip, truncated to a few elements per axis for big arrays."""
    if x is None:
        return "none"
    if isinstance(x, Summary):
        return (f"{_summary_text(x, precision)}, mean {fmt(x.mean, precision)}, {x.zeros} zeros "
                f"({x.dtype}, kept as a summary: too large to store whole)")
    if np.ndim(x) == 0:
        return repr(float(x)) if isinstance(x, (float, np.floating)) else str(x)
    return np.array2string(np.asarray(x), precision=precision + 2, threshold=24, edgeitems=3, max_line_width=70)


def escape(text):
    """Make any text safe inside a quoted DOT escString: backslashes lose their DOT meaning (\\N, \\l)."""
    return str(text).replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")


def lines(*parts):
    """Join already-escaped lines with DOT's centred line break."""
    return "\\n".join(p for p in parts if p)


def node_title(data):
    """The first label line: the name, with the op's display text when the name does not show it."""
    name, op, display = data.get("name", ""), data.get("op", ""), data.get("display", "")
    if op in ("input", "const") or not display or display in name:
        return name or display or op
    return f"{name}: {display}"


def node_label(data, precision=3, values=True, grads=True, title=None):
    """Plain multi-line node label (the cheapest label form for dot): title, value, gradient."""
    parts = [escape(title or node_title(data))]
    if values and data.get("value") is not None:
        parts.append(escape("val " + summary(data["value"], precision)))
    if grads and data.get("grad") is not None:
        parts.append(escape("grad " + summary(data["grad"], precision)))
    return lines(*parts)


def node_tooltip(data, precision=3, mark=None, title=None):
    """Everything known about a node, for the SVG tooltip."""
    name = data.get("name", "")
    parts = [
        f"{name if not title or title == node_title(data) else title} [{data.get('op', '')}]",
        f"shape {shape_text(data.get('shape', ()))} {data.get('dtype', '')}",
        "value " + full_text(data.get("value"), precision),
        "grad " + full_text(data.get("grad"), precision),
    ]
    if data.get("params"):
        text = f"params {data['params']}"
        parts.append(text if len(text) <= 300 else text[:297] + "...")
    if data.get("scope"):
        parts.append("scope " + " > ".join(data["scope"]))
    if data.get("source"):
        parts.append("at " + data["source"])
    if data.get("code"):
        parts.append("code " + data["code"])
    if mark:
        parts.append("mark " + mark)
    return lines(*(escape(p) for p in parts))


def edge_label(data, precision=3, formulas=False):
    """The local derivative factor: 'x3', 'cos(x^2) = 0.54', or 'gain 0.18' where it is not a scalar."""
    factor, gain = data.get("local_factor"), data.get("gain")
    formula = data.get("formula") if formulas else ""
    if gain is None:
        return ""
    if factor is not None and np.ndim(factor) == 0:
        value = fmt(factor, precision)
        text = f"{formula} = {value}" if formula and formula != value else "\u00d7" + value
    else:
        text = (f"{formula}: " if formula else "") + "gain " + fmt(gain, precision)
    return escape(text)


def edge_tooltip(data, precision=3, mark=None):
    """Formula, factor, gain and the gradient that flows back along the edge."""
    parts = []
    if data.get("formula"):
        parts.append("d result / d operand = " + data["formula"])
    parts += [
        "local factor " + full_text(data.get("local_factor"), precision),
        "gain " + full_text(data.get("gain"), precision),
        "grad flow " + full_text(data.get("grad_flow"), precision),
    ]
    if data.get("combined"):
        parts.append(f"combines {data['combined']} traced edge(s)")
    if mark:
        parts.append("mark " + mark)
    return lines(*(escape(p) for p in parts))


def mark_colors(names):
    """Mark name -> colour for the marks in `names`, stable whatever order they come in."""
    fallback = iter(FALLBACK_MARK_COLORS * (1 + len(names) // len(FALLBACK_MARK_COLORS)))
    return {n: MARK_COLORS.get(n) or next(fallback) for n in sorted(set(names))}


# What the legend says for each optional feature of a picture, shown only when the picture uses it.
LEGEND_FEATURES = {
    "arrays": "[4x3] |1.4| -0.97..0.37: shape, norm, min..max",
    "indexed": "h#3: the 3rd value assigned to h (a loop)",
    "copies": "a leaf drawn again beside each far-apart use",
    "literals": "literals in their op's label (literals=True: boxes)",
    "groups": "3-D box: ops drawn as one, edges: combined gain",
}
LEGEND_PT = 9  # the legend's font size: the smallest text of a picture (see layout.SMALLEST_FONT_PT)


def legend_html(theme="light", vanishing=1e-3, exploding=1e3, marks=None, notes=(), used=(), color_by="gradient"):
    """A compact HTML-like table explaining the colour scale, line styles, node kinds, the marks and the
    other features (LEGEND_FEATURES) a picture uses; drawn as one node in the graph."""
    c = THEMES[theme]
    lo, hi = int(math.floor(math.log10(vanishing))), int(math.ceil(math.log10(exploding)))
    bar = "".join(
        f'<TD BGCOLOR="{gain_color(10.0 ** k, theme, vanishing, exploding)}" WIDTH="30">'
        f'<FONT COLOR="{_text_on(gain_color(10.0 ** k, theme, vanishing, exploding))}">'
        f"{_decade(k)}</FONT></TD>" for k in range(lo, hi + 1))
    what = "its gradient against the output's" if color_by == "gradient" else "its gain |d result / d operand|"

    def swatch(symbol, color):
        return f'<FONT COLOR="{color}">{symbol}</FONT>'

    def row(*parts):
        return f'<TR><TD ALIGN="LEFT">{"  ".join(parts)}</TD></TR>'

    rows = [
        row(f"<B>edge colour</B>: {html.escape(what)}"),
        f'<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{bar}</TR></TABLE></TD></TR>',
        row(html.escape(f"vanishing <= {vanishing:g}, steady near 1, exploding >= {exploding:g}")),
        row(swatch("\u2501\u25b6", c["neutral"]) + " width: |grad flow|", swatch("\u254c\u25b6", c["zero"]) + " exactly 0",
            swatch("\u2501\u25b6", c["nan"]) + " NaN or Inf"),
        row(swatch("\u00b7\u00b7\u25b7", c["const_edge"]) + " from a constant", "\u00d7: the edge's local factor"),
        row(swatch("\u25a0", c["input"]) + " input (bold)", swatch("\u25a0", c["output"]) + " output (double)",
            swatch("\u25a1", c["muted"]) + " constant (dashed)"),
    ]
    rows += [row(html.escape(LEGEND_FEATURES[name])) for name in LEGEND_FEATURES if name in used]
    if marks:
        rows.append(row(*(swatch("\u2588\u2588", color) + html.escape(f" mark: {name}")
                          for name, color in sorted(marks.items()))))
    rows += [row(swatch("\u26a0", c["warm"]) + " " + html.escape(note)) for note in notes]
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD>'
            f'<FONT POINT-SIZE="{LEGEND_PT}"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows) + "</TABLE></FONT></TD></TR></TABLE>>")


def _decade(k):
    """10^k as short text: 1e-3, 1, 1e3."""
    return "1" if k == 0 else f"1e{k}"


def _text_on(color):
    """Black or white, whichever reads better on `color`."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "white"
