"""The package's exception and warning types: one base class so callers can catch all of ours."""


class GraphvizAdError(Exception):
    """Base class of every error graphviz-ad raises on purpose."""


class TraceError(GraphvizAdError):
    """An operation cannot be traced; the message names it, the user's file:line and what to use instead."""


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
