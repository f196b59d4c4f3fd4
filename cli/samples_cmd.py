"""`graphviz-ad samples`: the bundled samples, one line each."""

import click

import graphviz_ad.samples

from . import common


@click.command()
@common.run_options
@common.handle_errors
def samples(quiet, debug):
    """List the bundled samples: name, inputs and what each one shows.

    \b
    Examples:
      graphviz-ad samples
      graphviz-ad render sigmoid          # draw one of them to sigmoid.svg
    """
    loaded = graphviz_ad.samples.all_samples()
    width = max((len(s.name) for s in loaded), default=0)
    for s in loaded:
        click.echo(f"{s.name:<{width}}  {s.description}".rstrip())


COMMANDS = [samples]
