"""Reverse mode over the tape: the chain rule run backwards, in reverse trace order.

The tape is already in topological order (a value is recorded after its operands), so one loop from the
output back to the inputs visits every node after all of its consumers: no recursion, no sorting.
"""

import numpy as np


def backward(tape, output, seed, keep_flows=False):
    """Gradients of `output` (seeded with `seed`) with respect to every node of `tape`.

    Returns:
        (grads, flows, derivs): `grads[i]` is d output / d node i, or None where no gradient arrived (no
        path to the output, or a node that needs none). With `keep_flows`, `flows[(operand, result)]` is
        the term the edge operand -> result added into the operand's gradient, and
        `derivs[(operand, result, argnum)]` the elementwise derivative that term was made from (kept for
        the edge's local_factor; absent for derivatives that are constants); otherwise both are None,
        and each op's gradient is let go as soon as its VJP has run (only the leaves' are kept), so
        `grad` holds little more than the forward values.
    """
    entries = tape.entries
    grads = [None] * len(entries)
    grads[output] = seed
    flows = {} if keep_flows else None
    derivs = {} if keep_flows else None
    for node in range(output, -1, -1):
        g = grads[node]
        if g is None:
            continue
        entry = entries[node]
        prim = entry.prim
        if prim is None:
            continue
        args = entry.args
        if len(args) == 1 and not entry.kwargs and prim.derivs is not None:   # np.sin(x) and friends: hot path
            parent = entry.parents[0]
            if parent is None or not entries[parent].requires_grad:
                continue
            deriv = prim.derivs[0](entry.value, args[0])
            term = g * deriv
            if keep_flows:
                flows[(parent, node)] = term
                derivs[(parent, node, 0)] = deriv
            previous = grads[parent]
            grads[parent] = term if previous is None else previous + term
            if not keep_flows:   # grad needs the inputs' gradients only: let this one go now
                grads[node] = None
            continue
        for argnum, parent in enumerate(entry.parents):
            if parent is None or not entries[parent].requires_grad:
                continue
            if keep_flows:
                term, deriv = prim.vjp_and_deriv(argnum, g, entry.value, args, entry.kwargs)
                if deriv is not None:
                    derivs[(parent, node, argnum)] = deriv
                edge = (parent, node)
                flows[edge] = term if edge not in flows else flows[edge] + term
            else:
                term = prim.vjp(argnum, g, entry.value, args, entry.kwargs)
            previous = grads[parent]
            grads[parent] = term if previous is None else previous + term
        if not keep_flows:
            grads[node] = None
    return grads, flows, derivs


def vjp_of_ones(prim, argnum, ans, args, kwargs):
    """The VJP of an edge applied to ones of the result's shape (used for gain when the gradient is 0)."""
    return prim.vjp(argnum, np.ones(np.shape(ans)), ans, args, kwargs)
