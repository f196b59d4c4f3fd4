"""Reverse mode over the tape: the chain rule run backwards, in reverse trace order.

The tape is already in topological order (a value is recorded after its operands), so one loop from the
output back to the inputs visits every node after all of its consumers: no recursion, no sorting.
"""

import numpy as np


def backward(tape, output, seed, keep_flows=False):
    """Gradients of `output` (seeded with `seed`) with respect to every node of `tape`.

    Returns:
        (grads, flows): `grads[i]` is d output / d node i, or None where no gradient arrived (no path
        to the output, or a node that needs none). With `keep_flows`, `flows[(operand, result)]` is the
        term the edge operand -> result added into the operand's gradient; otherwise flows is None.
    """
    entries = tape.entries
    grads = [None] * len(entries)
    grads[output] = seed
    flows = {} if keep_flows else None
    for node in range(output, -1, -1):
        g = grads[node]
        if g is None:
            continue
        prim, ans, args, kwargs, parents, _ = entries[node]
        if prim is None:
            continue
        if len(args) == 1 and not kwargs and prim.derivs is not None:   # np.sin(x) and friends: hot path
            parent = parents[0]
            if parent is None or not entries[parent][5]:
                continue
            term = g * prim.derivs[0](ans, args[0])
            if keep_flows:
                flows[(parent, node)] = term
            previous = grads[parent]
            grads[parent] = term if previous is None else previous + term
            continue
        for argnum, parent in enumerate(parents):
            if parent is None or not entries[parent][5]:
                continue
            term = prim.vjp(argnum, g, ans, args, kwargs)
            if keep_flows:
                edge = (parent, node)
                flows[edge] = term if edge not in flows else flows[edge] + term
            previous = grads[parent]
            grads[parent] = term if previous is None else previous + term
    return grads, flows


def vjp_of_ones(prim, argnum, ans, args, kwargs):
    """The VJP of an edge applied to ones of the result's shape (used for gain when the gradient is 0)."""
    return prim.vjp(argnum, np.ones(np.shape(ans)), ans, args, kwargs)
