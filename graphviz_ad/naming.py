"""Names: of traced nodes (arguments, assigned variables, expressions) and the text of edge formulas.

`node_names` names every node of a tape: an input by its argument, a result by the variable its line
assigns to (`u = np.sin(x)`), else by an expression of its operands ('sin(x^2)', elided when long).
`expression` writes such a name from an op and its operands' names; `fill` puts operand names into a
formula template, bracketing where needed.
"""

import ast
import linecache
import re

import numpy as np

SLOTS = ("x", "y", "z")   # the template placeholders of operands 0, 1, 2


def number_text(v):
    """A number as a formula shows it: 2.0 -> '2'."""
    return f"{float(v):g}"


def is_atom(text):
    """True for names that need no parentheses: identifiers, numbers, calls like sin(x), x[i]."""
    if re.fullmatch(r"[\w.']+(\[[^\[\]]*\])?", text):
        return True
    m = re.match(r"[\w.]+\(", text)
    if not m or not text.endswith(")"):
        return text.startswith("|") and text.endswith("|") and text.count("|") == 2
    depth = 0
    for i, ch in enumerate(text[m.end() - 1:], m.end() - 1):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i != len(text) - 1:
            return False
    return True


_PLACEHOLDER = re.compile(r"(\()?\{(x|y|z|ans)\}(\))?")


def fill(template, names, wrap_atoms=True):
    """Put operand names into a template, bracketing any that are not atoms (unless already bracketed)."""
    def sub(m):
        text = names.get(m.group(2), m.group(2))
        bracketed = m.group(1) and m.group(3)
        if not bracketed and not is_atom(text):
            text = f"({text})"
        return (m.group(1) or "") + text + (m.group(3) or "")
    return _PLACEHOLDER.sub(sub, template)


def edge_formula(terms):
    """An edge's formula from the terms of the operand positions it feeds: x * x gives "2*x", not "x + x"."""
    if len(terms) > 1 and len(set(terms)) == 1:
        return f"{len(terms)}*{terms[0]}" if is_atom(terms[0]) else f"{len(terms)}*({terms[0]})"
    return " + ".join(terms)


def expression(prim, operand_names, operand_precs):
    """The readable name of a result, e.g. 'sin(x^2)', and how tightly it binds."""
    if prim.expr is None:
        return prim.display, 4
    out = prim.expr
    for slot, name, p in zip(SLOTS, operand_names, operand_precs):
        tight = p < prim.prec or (p == prim.prec and (slot == "y" and prim.prec in (1, 2)
                                                      or prim.prec == 3))
        if prim.prec < 4 and tight:
            name = f"({name})"
        out = out.replace("{" + slot + "}", name)
    return out, prim.prec


# ---------------------------------------------------------------------------------------------------
# Names of the traced nodes: argument names, assigned variables, else short expressions.

NAME_LIMIT = 20   # longer expressions elide their operands, or are named by their op


def node_names(tape, given=None):
    """Readable names: argument names, assigned variables (u = np.sin(x)), else short expressions.

    `given` (node -> name) names results a front end knows better than an expression would, such as the
    torch front end's module outputs; an assignment still wins, and later expressions build on them.
    """
    given = given or {}
    entries = tape.entries
    n = len(entries)
    names = [""] * n
    precs = [4] * n
    assigned = _assigned_names(tape)
    for i in range(n):
        entry = entries[i]
        prim = entry.prim
        if prim is None:
            names[i] = tape.names[i]
            precs[i] = 2.5 if names[i].startswith("-") else 4
            continue
        if i in assigned or i in given:
            names[i] = assigned[i] if i in assigned else given[i]
            continue
        parents = entry.parents
        operands = [names[p] if p is not None else operand_name(tape, names, i, k)
                    for k, p in enumerate(parents)]
        operand_precs = [precs[p] if p is not None else 4 for p in parents]
        text, prec = expression(prim, operands, operand_precs)
        if len(text) > NAME_LIMIT:   # too long to read: elide compound operands, then all of them
            short = [name if is_atom(name) else "…" for name in operands]
            text, prec = expression(prim, short, [4] * len(operands))
            if len(text) > NAME_LIMIT:
                text, prec = expression(prim, ["…"] * len(operands), [4] * len(operands))
            if len(text) > NAME_LIMIT:
                text, prec = prim.display, 4
        names[i], precs[i] = text, prec
    return names


def operand_name(tape, names, node, argnum):
    """The name operand `argnum` of `node` goes by in its result's name and formulas."""
    entry = tape.entries[node]
    parents = entry.parents
    if argnum >= len(parents):
        return "?"
    p = parents[argnum]
    if p is not None:
        return names[p]
    arg = entry.args[argnum]
    if isinstance(arg, str):
        return repr(arg)
    if isinstance(arg, (bool, int, float, np.number, np.bool_)):
        return f"{float(arg):.4g}"
    return "mask" if isinstance(arg, np.ndarray) and arg.dtype == bool else "c"


def _assigned_names(tape):
    """node -> variable name, for the last node each execution of an assignment line produced.

    A line's execution is a run of consecutive nodes made while that line of that frame ran (its
    bytecode offset never going back). This is looked at in every user frame, from the innermost
    out: `u = np.sin(x)` names the sin node, `h = layer(x)` names the last node `layer` made.
    """
    if not tape.sites:
        return {}
    sites = tape.sites
    out = {}
    depth = max((len(site[3]) for site in sites), default=0)
    for level in range(depth - 1, -1, -1):
        last = None      # (node, key, lasti) of the current run at this level
        for i, entry in enumerate(tape.entries):
            frames = sites[i][3]
            if entry.prim is None or len(frames) <= level:
                if entry.prim is not None and last is not None:   # made in a shallower frame: run ends
                    _name_run_end(out, last[0], last[3])
                    last = None
                continue
            frame_id, lasti, filename, lineno, code_name = frames[level]
            key = (frame_id, filename, lineno)
            if last is not None and (key != last[1] or lasti < last[2]):
                _name_run_end(out, last[0], last[3])
            last = (i, key, lasti, (filename, lineno, code_name))
        if last is not None:
            _name_run_end(out, last[0], last[3])
    return out


def _name_run_end(out, node, where):
    filename, lineno, code_name = where
    if node not in out and filename and code_name != "<lambda>":
        name = _assigned_name(linecache.getline(filename, lineno).strip())
        if name:
            out[node] = name


_ASSIGNED = {}   # line text -> the name it assigns, or None


def _assigned_name(line):
    """The variable a line assigns to (`u = np.sin(x)` -> 'u'), or None."""
    if line in _ASSIGNED:
        return _ASSIGNED[line]
    name = None
    try:
        stmt = ast.parse(line.rstrip(":")).body[0] if line else None
    except SyntaxError:
        stmt = None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        name = stmt.targets[0].id
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
    _ASSIGNED[line] = name
    return name
