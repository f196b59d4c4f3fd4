"""Node names for torch graphs: the numpy tracer's rules (graphviz_ad.naming), plus what only torch
code has.

An assignment names a value as for numpy (`h = self.fc(x)`); a tuple assignment names each output of a
call (`out, (h, c) = self.lstm(x)`); a module's result is called by the module's name (`encoder.0`); a
value changed in place keeps its variable's name (`h.relu_()` is still `h`); the outputs of a call
returning several are `split[0]`, `split[1]`; everything else is a short expression built from these
names (`fc^2`).
"""

import ast
import linecache

from ..naming import node_names


def names(recorder):
    """One name per tape entry."""
    tape = recorder.tape
    given = dict(recorder.module_outputs)
    given.update(_unpacked(recorder))
    for node, (position, _) in recorder.output_position.items():
        given.setdefault(node, f"{tape.entries[node].prim.display}[{position}]")
    if not recorder.inplace_of:
        return node_names(tape, given)
    first = node_names(tape, given)   # what the in-place versions take their variable's name from
    for node in sorted(recorder.inplace_of):
        if node not in given:
            given[node] = given.get(recorder.inplace_of[node], first[recorder.inplace_of[node]])
    return node_names(tape, given)


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
