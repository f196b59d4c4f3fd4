"""The package's exception and warning types: one base class so callers can catch all of ours."""

import contextlib
import warnings


class GraphvizAdError(Exception):
    """Base class of every error graphviz-ad raises on purpose."""


class TraceError(GraphvizAdError):
    """An operation cannot be traced; the message names it, the user's file:line and what to use instead."""


class BudgetError(TraceError):
    """A trace went past its memory budget or its limit on recorded ops (see `graphviz_ad.limits`); the
    message names the op, the user's file:line and the size."""


class GradError(GraphvizAdError):
    """A gradient was asked for in a way that has no answer (non-scalar output, bad argnum, ...)."""


class GraphFileError(GraphvizAdError, ValueError):
    """A JSON graph given to `load_json` is malformed: not JSON, not written by graphviz-ad, or not a graph
    the contract allows (a missing or mistyped attribute, an edge to no node, a cycle, no output)."""


class GraphvizAdWarning(UserWarning):
    """A degenerate but valid case, such as an output that does not depend on an input."""


class RenderError(GraphvizAdError, ValueError):
    """A graph cannot be drawn as asked: an unknown format or option, bad highlight, or Graphviz failed."""


class EngineNotFound(RenderError):
    """No Graphviz layout engine: neither $GRAPHVIZ_AD_DOT, nor `dot` on PATH, nor pygraphviz."""


@contextlib.contextmanager
def collected_warnings():
    """Collect the warnings raised inside, for a front end to report in its own style (the command line's
    ``Warning:`` lines, a docs builder's warnings with the page's file:line) instead of Python's.

    Yields a list that holds, once the block has ended, each warning's message on one line, once each.
    graphviz-ad's own warnings are collected every time; others follow the warning filters in force.
    """
    texts = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always", GraphvizAdWarning)
        try:
            yield texts
        finally:
            texts.extend(dict.fromkeys(" ".join(str(r.message).split()) for r in records))
