"""How the picture looks: themes, the gain colour scale, pen widths, label and tooltip text, the legend.

Everything here is pure (numbers and strings in, strings out) so dot.py stays about graph structure.
"""

import html
import math

import numpy as np

from . import finding_kinds

THEMES = {
    "light": {
        "bg": "white", "fg": "#222222", "muted": "#777777",
        "op": "#f2f2f2", "input": "#d5e8d4", "output": "#fff2cc", "const": "#ffffff", "group": "#e6def0",
        "cluster": "#f7f7f7", "cluster_border": "#b0b0b0",
        # Blue - grey - orange: a diverging scale that stays readable with the common colour-vision deficiencies.
        "cold": "#2166ac", "neutral": "#4d4d4d", "warm": "#e66101",
        "zero": "#b0b0b0", "nan": "#ff00ff", "const_edge": "#c4c4c4",
    },
    "dark": {
        "bg": "#1e1e1e", "fg": "#e6e6e6", "muted": "#9a9a9a",
        "op": "#2d2d2d", "input": "#1f3d2b", "output": "#4a3f16", "const": "#1e1e1e", "group": "#352b45",
        "cluster": "#262626", "cluster_border": "#5a5a5a",
        "cold": "#5aa9e6", "neutral": "#d0d0d0", "warm": "#ff8c2a",
        "zero": "#6e6e6e", "nan": "#ff00ff", "const_edge": "#5a5a5a",
    },
}

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
    if isinstance(x, (int, float)) or np.ndim(x) == 0:
        return abs(float(x))
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(np.asarray(x, dtype=float).ravel()))


def is_finite(x):
    """False when a scalar or any array element is NaN or Inf (None counts as finite: nothing flows)."""
    if x is None or isinstance(x, int):
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def gain_position(gain, vanishing=1e-3, exploding=1e3):
    """Where log10(gain) sits on the scale: -1 at or below `vanishing`, 0 at x1, +1 at or above `exploding`."""
    if gain <= 0:
        return -1.0
    decades = math.log10(gain)
    span = -math.log10(vanishing) if decades < 0 else math.log10(exploding)
    return max(-1.0, min(1.0, decades / span))


def _mix(a, b, t):
    """Hex colour a fraction t of the way from a to b, rounded so it is stable across platforms."""
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{int(round(x + (y - x) * t)):02x}" for x, y in zip(ca, cb))


def gain_color(gain, theme="light", vanishing=1e-3, exploding=1e3):
    """The colour of a nonzero finite gain: cold for vanishing, neutral at x1, warm for exploding."""
    colors = THEMES[theme]
    t = gain_position(gain, vanishing, exploding)
    return _mix(colors["neutral"], colors["cold"] if t < 0 else colors["warm"], abs(t))


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
    return "0" if text == "-0" else text


def shape_text(shape):
    """(3, 2) -> '[3x2]'; () -> 'scalar'."""
    return "[" + "x".join(str(n) for n in shape) + "]" if shape else "scalar"


def summary(x, precision=3):
    """One short line for a value or gradient: the number itself, or shape, norm and min..max of an array."""
    if np.ndim(x) == 0:
        return fmt(x, precision)
    a = np.asarray(x, dtype=float)
    finite = a[np.isfinite(a)]
    text = f"{shape_text(a.shape)} |{fmt(norm(a), precision)}|"
    if finite.size:
        text += f" {fmt(finite.min(), precision)}..{fmt(finite.max(), precision)}"
    bad = a.size - finite.size
    return text + (f" +{bad} nan/inf" if bad else "")


def full_text(x, precision=3):
    """The value written out for a tooltip, truncated to a few elements per axis for big arrays."""
    if x is None:
        return "none"
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


def node_label(data, precision=3, values=True, grads=True):
    """Plain multi-line node label (the cheapest label form for dot): title, value, gradient."""
    parts = [escape(node_title(data))]
    if values and data.get("value") is not None:
        parts.append(escape("val " + summary(data["value"], precision)))
    if grads and data.get("grad") is not None:
        parts.append(escape("grad " + summary(data["grad"], precision)))
    return lines(*parts)


def node_tooltip(data, precision=3, mark=None):
    """Everything known about a node, for the SVG tooltip."""
    parts = [
        f"{data.get('name', '')} [{data.get('op', '')}]",
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


def legend_html(theme="light", vanishing=1e-3, exploding=1e3, marks=None, notes=()):
    """An HTML-like table explaining colours, widths, node kinds and marks; drawn as one node in the graph."""
    c = THEMES[theme]
    lo, hi = int(math.floor(math.log10(vanishing))), int(math.ceil(math.log10(exploding)))
    bar = "".join(
        f'<TD BGCOLOR="{gain_color(10.0 ** k, theme, vanishing, exploding)}" WIDTH="28">'
        f'<FONT COLOR="{_text_on(gain_color(10.0 ** k, theme, vanishing, exploding))}" POINT-SIZE="8">'
        f"{_decade(k)}</FONT></TD>" for k in range(lo, hi + 1))

    def row(text, swatch="", color=None):
        mark = f'<FONT COLOR="{color or c["fg"]}">{swatch}</FONT> ' if swatch else ""
        return f'<TR><TD ALIGN="LEFT">{mark}{html.escape(text)}</TD></TR>'

    rows = [
        "<TR><TD><B>edge colour: gain |d result / d operand|</B></TD></TR>",
        f'<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{bar}</TR></TABLE></TD></TR>',
        row(f"blue: vanishing (<= {vanishing:g}), grey: x1, orange: exploding (>= {exploding:g})"),
        row("width: |grad flow| (log scale, widest = largest)", "\u2501\u2501\u25b6", c["neutral"]),
        row("dashed grey: exactly 0 (dead unit, zero factor)", "\u254c\u254c\u25b6", c["zero"]),
        row("bold magenta: NaN or Inf", "\u2501\u2501\u25b6", c["nan"]),
        row("dotted, hollow arrow: out of a constant, no gradient", "\u00b7\u00b7\u00b7\u25b7", c["const_edge"]),
        row("edge label: local factor, or 'gain' when not one number", "\u00d7"),
        row("input: bold box; output: double box; constant: dashed", "\u25a0", c["input"]),
        row("collapsed scope, folded run or block: 3-D box", "\u25a0", c["group"]),
    ]
    rows += [row(f"mark: {name}", "\u2588\u2588", color) for name, color in sorted((marks or {}).items())]
    rows += [row(note, "\u26a0", c["warm"]) for note in notes]
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _decade(k):
    """10^k as short text: 1e-3, 1, 1e3."""
    return "1" if k == 0 else f"1e{k}"


def _text_on(color):
    """Black or white, whichever reads better on `color`."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "white"
