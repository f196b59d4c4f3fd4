"""The `graphviz-ad` command: a click group whose commands live in their own modules.

Each module in COMMAND_MODULES lists its click commands in ``COMMANDS``; adding a module to that list
is all it takes to add its commands (the debugger's ``diagnose``, ``check`` and ``paths`` go in
cli/debug.py). Shared options, error handling and output writing are in cli/common.py.
"""

import errno
import importlib
import os
import sys

import click
from click.utils import PacifyFlushWrapper

import graphviz_ad

COMMAND_MODULES = ["render_cmd", "samples_cmd", "debug"]


class _App(click.Group):
    """A group whose usage errors are one line (``Error: ...; see 'graphviz-ad render --help'``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            command = e.ctx.command_path if e.ctx is not None else (prog_name or "graphviz-ad")
            click.echo(f"Error: {e.format_message()} (see '{command} --help')", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except OSError as e:
            if e.errno != errno.EPIPE:   # a reader that went away (| head) is not an error
                raise
            sys.stdout = PacifyFlushWrapper(sys.stdout)   # as click does: no second error at exit
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(graphviz_ad.__version__, "-V", "--version", prog_name="graphviz-ad")
def main():
    """Trace a Python/numpy function into its graph of values and gradients, and draw it.

    \b
    Examples:
      graphviz-ad samples                         # the bundled samples
      graphviz-ad render sigmoid                  # -> sigmoid.svg
      graphviz-ad render model.py:loss --at x='[1, 2]' -o loss.svg
      graphviz-ad render -e 'tanh(w*x + b)' --at w=0.5 --at x=2 --at b=0

    Run 'graphviz-ad COMMAND --help' for a command's options. Shell completion:
    eval "$(_GRAPHVIZ_AD_COMPLETE=bash_source graphviz-ad)" (or zsh_source, fish_source).
    """


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f".{_name}", __package__).COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":
    main(prog_name=os.path.basename(sys.argv[0]))
