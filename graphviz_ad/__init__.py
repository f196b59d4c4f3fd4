"""graphviz-ad: trace a Python/numpy function into a networkx graph of values, gradients and local
derivative factors, and render it with Graphviz.

The graph's attributes are documented in docs/graph-contract.md.
"""

from .errors import (BudgetError, EngineNotFound, GradError, GraphFileError, GraphvizAdError, GraphvizAdWarning,
                     RenderError, TraceError)
from .trace_limits import limits
from .graph import Graph
from .ops import (PRIMITIVES, Primitive, cross_entropy, log_softmax, logsumexp, mse, relu, sigmoid,
                  softmax, softplus)
from .trace import grad, trace, value_and_grad
from .check import CheckReport, check, primitive
from .diagnose import Finding, Report, diagnose
from .paths import Paths, paths
from .dot import to_dot
from .export import load_json
from .render import FORMATS, render
from .html import to_html
from .notebook import interactive
from .expression import ExpressionError, expression
from .targets import (InputError, SourceSyntaxError, Target, TargetError, UserCodeError, check_inputs,
                      load_target, parse_value, resolve_inputs, trace_inputs, trace_target)

__version__ = "0.1.0"

__all__ = [
    "trace", "grad", "value_and_grad", "Graph", "primitive", "Primitive", "PRIMITIVES",
    "sigmoid", "relu", "softplus", "softmax", "log_softmax", "logsumexp", "cross_entropy", "mse",
    "GraphvizAdError", "TraceError", "BudgetError", "GradError", "GraphvizAdWarning", "limits",
    "diagnose", "Report", "Finding", "paths", "Paths", "check", "CheckReport",
    "to_dot", "render", "to_html", "interactive", "load_json", "GraphFileError", "FORMATS", "RenderError",
    "EngineNotFound",
    "expression", "ExpressionError", "load_target", "parse_value", "resolve_inputs", "trace_target",
    "trace_inputs", "check_inputs", "Target", "TargetError", "SourceSyntaxError", "InputError", "UserCodeError",
]
