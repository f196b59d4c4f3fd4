"""The debugger's commands: `graphviz-ad diagnose`, `graphviz-ad check` and `graphviz-ad paths`.

Each traces a TARGET like `render` does, calls one library function (`diagnose`, `check`, `paths`)
and prints its report as a table, or as JSON with --json. `diagnose` and `check` can also draw the
graph with their findings marked (-o FILE).
"""

import json
import math

import click

import graphviz_ad
from graphviz_ad import finding_kinds
from graphviz_ad.targets import check_inputs

from . import common
from .render_cmd import output_format

FAIL_ON = (*finding_kinds.FAIL_ON, "any")


def _json(data):
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _positive(ctx, param, value):
    if value is not None and not 0 < value < math.inf:
        raise click.BadParameter(f"must be a positive number, got {value}")
    return value


def _draw(G, report, output, force, quiet):
    """Draw G with the report's marks to -o FILE (format from its extension, else svg)."""
    if not output:
        return
    fmt = output_format(None, output)
    path = common.output_path(output, f"{G.graph.get('function', 'graph')}.{fmt}", force)
    with common.Progress(f"drawing {G.number_of_nodes()} nodes", quiet=quiet), common.report_warnings():
        data = graphviz_ad.render(G, None, fmt, highlight=report)
    common.write_output(data, path, force=force)
    if path is not None:
        common.status(f"Wrote {path} with {len(report.nodes)} marked nodes", quiet)


def _check_output(output, force):
    """-o FILE is checked before the target is loaded; -o - would mix the drawing with the report."""
    if output in common.STDOUT_NAMES:
        raise common.UsageProblem(f"-o {output} would mix the drawing with the report on stdout; give -o FILE")
    if output:
        common.output_path(output, None, force)


@click.command(context_settings={"max_content_width": 100})
@common.target_options
@common.input_options
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON instead of a table.")
@click.option("--fail-on", multiple=True, type=click.Choice(FAIL_ON), metavar="KIND",
              help=f"Exit with status 1 when a finding of this kind is found (repeatable): "
                   f"{', '.join(FAIL_ON)} (any error or warning). For CI.")
@click.option("-o", "--output", metavar="FILE", help="Also draw the graph with the findings marked.")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
@click.option("--vanishing", type=float, callback=_positive, metavar="X",
              help="Gradient RMS below which an input's gradient vanishes. [default: 1e-6]")
@click.option("--exploding", type=float, callback=_positive, metavar="X",
              help="Gradient RMS above which an input's gradient explodes. [default: 1e6]")
@click.option("--saturation", type=float, callback=_positive, metavar="X",
              help="Sigmoid/tanh factor, as a fraction of its peak, below which it is saturated. [default: 0.01]")
@click.option("--dead-fraction", type=click.FloatRange(0, 1, min_open=True), metavar="F",
              help="Share of dead units from which a ReLU layer is reported. [default: 0.5]")
@common.run_options
@common.handle_errors
def diagnose(target, expr, at, seed, wrt, as_json, fail_on, output, force, vanishing, exploding,
             saturation, dead_fraction, quiet, debug):
    """Find where gradients vanish, explode, saturate, die or turn NaN in TARGET's graph.

    Prints one line per finding (kind, the source line, what was measured) and the gradient-flow
    table by scope. The exit status is 0 unless --fail-on names a kind that was found.

    \b
    Examples:
      graphviz-ad diagnose sigmoid_chain20
      graphviz-ad diagnose nan_log -o nan_log.svg
      graphviz-ad diagnose model.py:loss --at x='randn(8, 4)' --fail-on nan --fail-on exploding
      graphviz-ad diagnose relu_dead --json
    """
    _check_output(output, force)
    G, _ = common.load_graph(target, expr, at, seed, wrt, quiet=quiet)
    thresholds = {"vanishing": vanishing, "exploding": exploding, "saturation": saturation,
                  "dead_fraction": dead_fraction}
    report = graphviz_ad.diagnose(G, **{k: v for k, v in thresholds.items() if v is not None})
    failed = sorted({f.kind for f in report.problems
                     if f.kind in fail_on or "any" in fail_on})
    if as_json:
        click.echo(_json({**report.to_dict(), "failed_on": failed}), nl=False)
    else:
        click.echo(report.table())
    _draw(G, report, output, force, quiet)
    if failed:
        common.status(f"Failing: found {', '.join(failed)} (--fail-on)", quiet)
        click.get_current_context().exit(1)


@click.command(context_settings={"max_content_width": 100})
@common.target_options
@common.input_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table.")
@click.option("-o", "--output", metavar="FILE", help="Also draw the graph with a wrong derivative marked.")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
@click.option("--eps", type=float, default=1e-6, show_default=True, callback=_positive,
              help="Finite-difference step, relative to max(1, |x|).")
@click.option("--rtol", type=float, default=1e-5, show_default=True, callback=_positive,
              help="Relative tolerance.")
@click.option("--atol", type=float, default=1e-7, show_default=True, callback=_positive,
              help="Absolute tolerance.")
@common.run_options
@common.handle_errors
def check(target, expr, at, seed, wrt, as_json, output, force, eps, rtol, atol, quiet, debug):
    """Compare TARGET's reverse-mode gradient with finite differences, and every @primitive on its own.

    Exits with status 1 when a gradient or a declared derivative disagrees, naming the primitive,
    its source line and the relative error.

    \b
    Examples:
      graphviz-ad check wrong_derivative
      graphviz-ad check my_ops.py:loss --at x='randn(5)' -o wrong.svg
    """
    _check_output(output, force)
    loaded, inputs = common.load_inputs(target, expr, at, seed, quiet=quiet)
    with common.Progress(f"checking {loaded.name}", quiet=quiet), common.report_warnings(), common.user_code():
        report = check_inputs(loaded, inputs, wrt=wrt, eps=eps, rtol=rtol, atol=atol)
    click.echo(_json(report.to_dict()) if as_json else report.table(), nl=not as_json)
    _draw(report.graph, report, output, force, quiet)
    if not report.ok:
        click.get_current_context().exit(1)


@click.command(context_settings={"max_content_width": 100})
@common.target_options
@common.input_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="List at most this many paths, the largest first; the count is always exact.")
@click.option("--json", "as_json", is_flag=True, help="Print the paths as JSON instead of text.")
@common.run_options
@common.handle_errors
def paths(target, expr, at, seed, wrt, limit, as_json, quiet, debug):
    """Show the chain rule: every path from input --wrt to the output, its factors and their product.

    The products add up to the gradient. --wrt names an argument, or one part of it such as
    "params['W1']"; it may be left out when there is only one input.

    \b
    Examples:
      graphviz-ad paths two_paths --wrt x
      graphviz-ad paths -e 'sin(x)**2 + cos(x)**2' --at x=0.7
      graphviz-ad paths healthy_tanh_mlp --wrt "params['W1']" --limit 3
    """
    if len(wrt) > 1:
        raise common.UsageProblem(f"paths: give one --wrt, got {', '.join(wrt)}")
    name = wrt[0] if wrt else None
    argument = name.split("[", 1)[0] if name else None
    G, _ = common.load_graph(target, expr, at, seed, (argument,) if argument else (), quiet=quiet)
    inputs = [G.nodes[n]["name"] for n in G.inputs if G.nodes[n]["op"] == "input"]
    if name is None and len(inputs) != 1:
        raise common.UsageProblem(f"paths: say which input with --wrt; the inputs are {', '.join(inputs)}")
    if name is not None and name not in inputs:
        raise common.UsageProblem(f"--wrt {name}: not an input of the graph; the inputs are {', '.join(inputs)}")
    result = graphviz_ad.paths(G, name, limit=limit)
    click.echo(_json(result.to_dict()) if as_json else str(result), nl=not as_json)


COMMANDS = [diagnose, check, paths]
