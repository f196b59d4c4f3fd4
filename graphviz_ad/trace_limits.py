"""How much a trace may take: a memory budget and a limit on recorded ops.

A trace keeps every value it records (the graph shows them all), so a big array in a long chain, or an
endless loop, would grow until the machine swaps. Instead the tape counts what it keeps, and past the
memory budget or the op limit the trace stops with one line naming the op, its line and the size::

    with graphviz_ad.limits(memory="1GiB", ops=100_000):
        G = graphviz_ad.trace(f, x)

The command line's ``--max-memory`` and ``--max-ops`` set the same limits. The defaults suit a laptop:
a quarter of the machine's memory, at most 4 GiB, and a million recorded ops.
"""

import contextlib
import contextvars
import math
import os
import re
from dataclasses import dataclass

from .errors import BudgetError, GraphvizAdError

DEFAULT_OPS = 1_000_000
MAX_DEFAULT_MEMORY = 4 * 2**30

# What the budget counts per recorded value: the arrays a graph keeps for it (its value, its gradient,
# and an elementwise local factor when that is not a constant; see benchmarks/bench_memory.py), and the
# Python objects of one op (its tape entry, its node and edge dicts). `grad` keeps the forward values and
# the gradients in flight (each op's are let go once its VJP has run).
KEPT_PER_BYTE = {"trace": 3, "grad": 1.5}
BYTES_PER_OP = {"trace": 4500, "grad": 400}


@dataclass(frozen=True)
class Limits:
    """A memory budget in bytes and a limit on recorded ops."""

    memory: int
    ops: int


def default_memory():
    """A quarter of the machine's memory, at most 4 GiB (256 MiB when it cannot be told)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 256 * 2**20
    return min(MAX_DEFAULT_MEMORY, max(256 * 2**20, total // 4))


_current = contextvars.ContextVar("graphviz_ad_limits", default=None)


def current():
    """The limits in force: those of the innermost `limits` block, else the defaults."""
    return _current.get() or Limits(default_memory(), DEFAULT_OPS)


@contextlib.contextmanager
def limits(memory=None, ops=None):
    """Set the memory budget and the op limit of every trace inside the block (trace, grad, check, the
    command line and the docs extensions alike).

    Args:
        memory: bytes as a number, or text such as ``"2GiB"``, ``"500MB"``, ``"1e9"``; None keeps the
            current budget.
        ops: the most ops a trace may record; None keeps the current limit.

    Raises:
        GraphvizAdError: a limit that is not a positive size or count.
    """
    now = current()
    new = Limits(now.memory if memory is None else parse_size(memory),
                 now.ops if ops is None else _positive_count(ops))
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text):
    """Bytes from ``2GiB``, ``500MB``, ``1.5G``, ``1e9`` or a number."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        m = re.fullmatch(r"\s*([0-9.]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*", str(text), re.I)
        if not m or m[2].lower() not in _UNITS:
            raise GraphvizAdError(f"memory size {text!r}: expected a number of bytes with an optional unit, "
                                  "e.g. 2GiB, 500MB, 1e9")
        value, unit = float(m[1]), m[2].lower()
    size = value * _UNITS[unit]
    if not 1 <= size < 2**63:
        raise GraphvizAdError(f"memory size {text!r}: must be at least 1 byte and finite")
    return int(size)


def _positive_count(ops):
    if isinstance(ops, bool) or not isinstance(ops, int) or ops < 1:
        raise GraphvizAdError(f"op limit {ops!r}: must be a whole number >= 1")
    return ops


def size_text(nbytes):
    """``7.5 GiB``, ``300 MiB``, ``12 KiB``, ``800 B``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{int(nbytes)} B"


def over_memory(what, where, nbytes, total, budget, ops=None):
    """The one-line error of a trace going past its memory budget (by an array, or by its `ops`-th op)."""
    made = f"is op number {ops + 1} of the trace" if ops is not None else f"makes {size_text(nbytes)}"
    return BudgetError(f"{what} at {where} {made}, and the trace would hold about {size_text(total)}, over "
                       f"its memory budget of {size_text(budget)}; trace "
                       f"{'less (an endless loop?)' if ops is not None else 'smaller inputs'}, or raise the "
                       "budget (--max-memory, graphviz_ad.limits(memory=...))")


def out_of_memory(what, where, error):
    """The one-line error of an op the machine had no memory for."""
    detail = " ".join(str(error).split()) or "out of memory"
    return BudgetError(f"{what} at {where}: {detail}; trace smaller inputs")


def over_ops(what, where, ops):
    """The one-line error of a trace going past its op limit."""
    return BudgetError(f"{what} at {where} is op number {ops + 1} of the trace, over its limit of {ops} "
                       "recorded ops (an endless loop?); trace less, or raise the limit (--max-ops, "
                       "graphviz_ad.limits(ops=...))")


def check_planned(arrays, inputs_bytes, kind="trace"):
    """Refuse, before anything runs, a computation whose arrays are known to go past the budget.

    Args:
        arrays: (what, where, shape, itemsize) of every array it would make, in order.
        inputs_bytes: the bytes of its inputs.
        kind: "trace" or "grad", as for `KEPT_PER_BYTE`.

    Raises:
        BudgetError: naming the largest array.
    """
    budget = current().memory
    kept, per_op = KEPT_PER_BYTE[kind], BYTES_PER_OP[kind]
    total = inputs_bytes * kept
    biggest = None
    for what, where, shape, itemsize in arrays:
        nbytes = math.prod(shape) * itemsize
        total += nbytes * kept + per_op
        if biggest is None or nbytes > biggest[2]:
            biggest = (what, where, nbytes)
        if total > budget:
            raise over_memory(*biggest, total, budget)
