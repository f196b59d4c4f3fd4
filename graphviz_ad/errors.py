"""The package's exception and warning types: one base class so callers can catch all of ours."""


class GraphvizAdError(Exception):
    """Base class of every error graphviz-ad raises on purpose."""


class TraceError(GraphvizAdError):
    """An operation cannot be traced; the message names it, the user's file:line and what to use instead."""


class GradError(GraphvizAdError):
    """A gradient was asked for in a way that has no answer (non-scalar output, bad argnum, ...)."""


class GraphvizAdWarning(UserWarning):
    """A degenerate but valid case, such as an output that does not depend on an input."""
