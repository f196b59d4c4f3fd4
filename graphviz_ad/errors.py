"""The package's exception and warning types: one base class so callers can catch all of ours.

Messages call the arguments a user gives by their names in the library's calls ("at x is given twice",
for `resolve_inputs(target, at=...)`). A front end that calls them otherwise, the command line's
``--at`` or a docs page's ``:at:``, asks an error made by `worded_error` for its own wording with
`GraphvizAdError.worded`, so one check serves every front end.
"""

import contextlib
import warnings

# What a front end lets users give, by the library's name for it: inputs (at), the arguments to
# differentiate (wrt), the random seed of inputs (seed), an expression instead of a TARGET (expr),
# nodes to mark by name (highlight) and drawing options as KEY=VALUE (option).
ARGUMENTS = ("at", "wrt", "seed", "expr", "highlight", "option")


def fill(template, names=None, values=None):
    """`template` with each {argument} of ARGUMENTS called as `names` says (default: its own name)
    and its other {fields} taken from `values`."""
    names = names or {}
    return template.format(**{a: names.get(a, a) for a in ARGUMENTS}, **(values or {}))


def worded_error(cls, template, values=None, **init):
    """An error of type `cls` whose message is `fill(template, values=values)` and that a front end can
    reword. User text goes into `values`, never into `template`, so its braces are never read.

    Example:
        >>> e = worded_error(InputError, "{at} {name} is given twice", {"name": "x"}, name="x")
        >>> str(e), e.worded({"at": "--at"})
        ('at x is given twice', '--at x is given twice')
    """
    error = cls(fill(template, values=values), **init)
    error.template, error.values = template, dict(values or {})
    return error


class GraphvizAdError(Exception):
    """Base class of every error graphviz-ad raises on purpose."""

    template = None   # set by `worded_error`: the message with {argument} placeholders
    values = None

    def worded(self, names):
        """The message with the arguments called as `names` says, e.g. {"at": "--at"}."""
        return str(self) if self.template is None else fill(self.template, names, self.values)


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


class ExpressionError(GraphvizAdError):
    """An expression is malformed or uses something outside the whitelist; the message names it."""


class TargetError(GraphvizAdError):
    """The TARGET cannot be loaded: no such file, module, function or sample, or a syntax error."""


class SourceSyntaxError(TargetError):
    """The user's file (or a module it imports) has a syntax error; the message starts with file:line."""


class InputError(GraphvizAdError):
    """An input value is malformed, names no argument, or is missing. `name` is the input's name."""

    def __init__(self, message, name=None):
        super().__init__(message)
        self.name = name


class UserCodeError(GraphvizAdError):
    """The user's own code raised while being imported or traced.

    Attributes:
        exception: the original exception (also the ``__cause__``).
        frames: the traceback lines of the user's own frames (graphviz_ad's and numpy's left out),
            formatted like Python's traceback.
        partial_graph: when it raised mid-trace, the graph recorded so far (forward values and
            shapes, no gradients; ``graph["failed"]`` says where it stopped), else None.
    """

    partial_graph = None

    def __init__(self, message, exception, frames):
        super().__init__(message)
        self.exception = exception
        self.frames = frames


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
