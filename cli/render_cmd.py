"""`graphviz-ad render`: trace a TARGET and draw it (SVG, PNG, PDF, DOT, JSON or an interactive HTML page)."""

import os
import webbrowser
from pathlib import Path

import click

import graphviz_ad
from graphviz_ad import frontend
from graphviz_ad.dot import OPTIONS, RANKDIRS
from graphviz_ad.style import THEMES

from . import common


# The drawing options that have a flag of their own: option name -> its click option. Every other
# option of graphviz_ad.dot.OPTIONS is given with -O KEY=VALUE; a flag left out is not passed on.
DRAWING_FLAGS = {
    "rankdir": click.option("--rankdir", type=click.Choice(RANKDIRS),
                            help="Layout direction. [default: LR when legible, else TB]"),
    "precision": click.option("--precision", type=int, metavar="DIGITS",
                              help=f"Significant digits of numbers in labels. [default: {OPTIONS['precision']}]"),
    "values": click.option("--values/--no-values", default=None, help="Show each node's value. [default: on]"),
    "grads": click.option("--grads/--no-grads", default=None, help="Show each node's gradient. [default: on]"),
    "formulas": click.option("--formulas/--no-formulas", default=None,
                             help="Label edges with their local derivative formula. [default: off]"),
    "labels": click.option("--labels/--no-labels", default=None, help="Label edges at all. [default: on]"),
    "legend": click.option("--legend/--no-legend", default=None, help="Draw the colour legend. [default: on]"),
    "theme": click.option("--theme", type=click.Choice(sorted(THEMES)), help=f"Colours. [default: {OPTIONS['theme']}]"),
    "budget": click.option("--budget", type=click.IntRange(min=1), metavar="NODES",
                           help=f"Draw at most this many boxes, collapsing and folding as needed. [default: {OPTIONS['budget']}]"),
}


def drawing_flags(command):
    """Every option of DRAWING_FLAGS, in the table's order in --help."""
    for flag in reversed(DRAWING_FLAGS.values()):
        command = flag(command)
    return command


def drawing_options(flags, extra):
    """The renderer's options from the command line's (only those given), checked before any work."""
    try:
        return frontend.drawing_options({k: v for k, v in flags.items() if v is not None}, extra)
    except graphviz_ad.GraphvizAdError as e:
        raise common.UsageProblem(common.message(e)) from None


def output_format(format, output):
    """--format, else the -o file's extension when it is a format, else svg; a mismatch is an error."""
    to_file = output and output not in common.STDOUT_NAMES
    suffix = os.path.splitext(output)[1].lstrip(".").lower() if to_file else ""
    if format and suffix in graphviz_ad.FORMATS and suffix != format:
        raise common.UsageProblem(f"-o {output} ends in .{suffix} but --format is {format}; "
                                  f"drop one or make them agree")
    return format or (suffix if suffix in graphviz_ad.FORMATS else "svg")


@click.command(context_settings={"max_content_width": 100})
@common.target_options
@common.input_options
@common.output_options
@click.option("--format", "format", type=click.Choice(graphviz_ad.FORMATS),
              help="Output format. Default: the -o file's extension, else svg.")
@drawing_flags
@click.option("--highlight", multiple=True, metavar="NAME", help="Mark the nodes called NAME (repeatable).")
@click.option("-O", "--option", "extra", multiple=True, metavar="KEY=VALUE",
              help=f"Any other drawing option ({', '.join(sorted(OPTIONS))}), e.g. -O vanishing=1e-4.")
@click.option("--open", "open_file", is_flag=True,
              help="Open the written file in a web browser (e.g. the interactive page of --format html).")
@common.run_options
@common.handle_errors
def render(target, expr, at, seed, wrt, output, force, format, highlight, extra, open_file, quiet, debug,
           **flags):
    """Trace TARGET at the given inputs and draw its graph of values and gradients.

    TARGET is path/to/file.py:function, package.module:function, or a bundled sample's name (see
    'graphviz-ad samples'); or give --expr 'EXPRESSION' instead.

    \b
    Examples:
      graphviz-ad render sigmoid
      graphviz-ad render model.py:loss --at W='randn(3, 4)' --at x='[1, 2, 4]' -o loss.svg
      graphviz-ad render mypkg.nets:mlp --at x='@x.npy' --format png --rankdir TB
      graphviz-ad render -e 'sin(x**2) * y' --at x=1 --at y=2 -o - > expr.svg
      graphviz-ad render sigmoid --format dot -o - | dot -Tpng > sigmoid.png
      graphviz-ad render sigmoid --format html --open
    """
    if open_file and output in common.STDOUT_NAMES:
        raise common.UsageProblem("--open needs a file to open: give -o FILE (or no -o), not -o -")
    fmt = output_format(format, output)
    options = drawing_options(flags, extra)
    given = common.output_path(output, None, force) if output else None   # before any code runs
    loaded, inputs = common.load_inputs(target, expr, at, seed, quiet=quiet)
    path = given if output else common.output_path(None, f"{loaded.name}.{fmt}", force)
    try:
        G = common.trace_graph(loaded, inputs, wrt, quiet=quiet)
    except graphviz_ad.GraphvizAdError as e:
        partial = getattr(e, "partial_graph", None)
        if partial is None or partial.graph["failed"]["op"] is None:   # only an op's failure is drawn
            raise
        problem = common.translate(e)
        problem.notes.append(_write_partial(e, path, fmt, options, force))
        raise problem from e
    marks = frontend.highlight_named(G, highlight)
    with common.Progress(f"drawing {G.number_of_nodes()} nodes", quiet=quiet), common.report_warnings():
        data = graphviz_ad.render(G, None, fmt, highlight=marks, **options)
    common.write_output(data, path, force=force)
    if path is not None:
        common.status(f"Wrote {path} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)", quiet)
    if open_file and not webbrowser.open(Path(path).resolve().as_uri()):
        click.echo(f"Warning: no web browser found to open {path}", err=True)


def _write_partial(error, path, fmt, options, force):
    """The user's code raised mid-trace: draw what was traced up to there, the failing line marked."""
    G = error.partial_graph
    failed = G.graph["failed"]
    marks = {"nodes": {n: "failed here" for n in failed["nodes"]}}
    with common.report_warnings():
        data = graphviz_ad.render(G, None, fmt, highlight=marks, **options)
    common.write_output(data, path, force=force)
    where = f"{path}" if path is not None else "stdout"
    return (f"Wrote the partial graph to {where} ({G.number_of_nodes()} nodes, no gradients): the trace "
            f"stopped at {failed['source']} ({failed['code']!r}), marked 'failed here'")


COMMANDS = [render]
