"""Every kind of debugger finding, in one table: its level, the mark it draws and that mark's colour.

diagnose's levels and marks, the order in which marks win, the command line's --fail-on choices and
style's mark colours are all read off `KINDS`, so a new kind of finding is one row here (and its detector).
"""

from dataclasses import dataclass

SEVERITIES = ("error", "warning", "info")   # most severe first: the order a report lists its findings in


@dataclass(frozen=True)
class Kind:
    """One kind of finding."""

    name: str          # Finding.kind
    level: str         # one of SEVERITIES
    mark: str          # the renderer's mark name for it
    color: str | None  # the mark's colour; None takes one of style.FALLBACK_MARK_COLORS
    found_by: str      # "diagnose" or "check": the function that reports it


# In the order marks win: when several land on one node or edge, the mark of the kind listed first is drawn.
KINDS = (
    Kind("nan", "error", "nan_origin", "#ff00ff", "diagnose"),
    Kind("wrong_derivative", "error", "wrong_derivative", "#d55e00", "check"),
    Kind("dead", "warning", "dead", "#7f7f7f", "diagnose"),
    Kind("saturated", "warning", "saturated", "#cc79a7", "diagnose"),
    Kind("exploding", "warning", "exploding", None, "diagnose"),
    Kind("vanishing", "warning", "vanishing", None, "diagnose"),
    Kind("weakest_path", "info", "weakest_path", "#009e73", "diagnose"),
)

LEVELS = {k.name: k.level for k in KINDS}          # kind -> "error", "warning" or "info"
MARKS = {k.name: k.mark for k in KINDS}            # kind -> mark name
MARK_ORDER = tuple(k.mark for k in KINDS)          # the first of several marks on one node wins
MARK_COLORS = {k.mark: k.color for k in KINDS if k.color}
# The kinds `diagnose` reports as problems (errors and warnings): the command line's --fail-on choices.
FAIL_ON = tuple(k.name for k in KINDS if k.found_by == "diagnose" and k.level != "info")


def stronger_mark(old, new):
    """The mark that wins when `old` (None for none yet) and `new` land on one node: the earlier in
    MARK_ORDER; a mark that is no kind's comes after every kind's, and between two such the first one stays."""
    if old is None:
        return new
    rank = {m: i for i, m in enumerate(MARK_ORDER)}
    return old if rank.get(old, len(rank)) <= rank.get(new, len(rank)) else new
