"""Node names for torch graphs: the numpy tracer's rules, plus what only torch code has.

In order: a tuple assignment names each output of a call (`out, (h, c) = self.lstm(x)`); an assignment
names a value as for numpy (`h = self.fc(x)`); a module's result is called by the module's name
(`encoder.0`); a value changed in place keeps its variable's name (`h.relu_()` is still `h`); the
outputs of a call returning several are `split[0]`, `split[1]`; everything else is a short expression,
built from these names (`fc^2`).
"""

import ast
import linecache

from ..trace import _assigned_names, _names


def names(recorder):
    """One name per tape entry."""
    tape = recorder.tape
    assigned = _assigned_names(tape)
    first = _names(tape)   # the numpy rules alone: what the in-place and multi-output names build on
    # Assigned nodes stay ops in the second pass, so its assignment runs are the first pass's.
    given = _unpacked(recorder)
    for node in range(len(tape.entries)):
        if tape.entries[node][0] is None or node in assigned or node in given:
            continue
        if node in recorder.module_outputs:
            given[node] = recorder.module_outputs[node]
        elif node in recorder.inplace_of:
            before = recorder.inplace_of[node]
            given[node] = given.get(before, assigned.get(before, first[before]))
        elif node in recorder.output_position:
            position, _ = recorder.output_position[node]
            given[node] = f"{tape.entries[node][0].display}[{position}]"
    if not given:
        return first
    return _names(_Named(tape, given))


class _Named:
    """The tape as `_names` reads it, with the nodes named already shown as named leaves."""

    def __init__(self, tape, given):
        self.entries = [(None, *e[1:]) if i in given else e for i, e in enumerate(tape.entries)]
        self.names = {**tape.names, **given}
        self.sites = tape.sites


def _unpacked(recorder):
    """node -> name, for calls whose outputs a tuple assignment unpacks: `m, idx = torch.max(x, 1)`."""
    out = {}
    tape = recorder.tape
    for node, (position, count) in recorder.output_position.items():
        filename, lineno = tape.sites[node][:2]
        if not filename:
            continue
        targets = _tuple_targets(linecache.getline(filename, lineno).strip())
        if targets is not None and len(targets) == count and targets[position]:
            out[node] = targets[position]
    return out


_TARGETS = {}


def _tuple_targets(line):
    """The flat names a line unpacks into (`out, (h, c) = ...` gives out, h, c), or None."""
    if line in _TARGETS:
        return _TARGETS[line]
    found = None
    try:
        stmt = ast.parse(line).body[0] if line else None
    except SyntaxError:
        stmt = None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple):
        found = []

        def flatten(t):
            for elt in t.elts:
                if isinstance(elt, ast.Tuple):
                    flatten(elt)
                else:
                    found.append(elt.id if isinstance(elt, ast.Name) and elt.id != "_" else None)
        flatten(stmt.targets[0])
    _TARGETS[line] = found
    return found
