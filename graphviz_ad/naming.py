"""Text: the names of results and the formulas of edges.

`expression` writes a result's name from its op and operand names ('sin(x^2)'), `fill` puts operand
names into a formula template, bracketing where needed.
"""

import re

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
