"""The `graphviz-ad` command: a click group whose commands live in their own modules.

Each module in COMMAND_MODULES lists its click commands in ``COMMANDS``; adding a module to that list
is all it takes to add its commands (the debugger's ``diagnose``, ``check`` and ``paths`` go in
cli/debug.py). Shared options, error handling and output writing are in cli/common.py.
"""

import importlib
import os
import sys

import click

import graphviz_ad

COMMAND_MODULES = ["render_cmd", "samples_cmd", "debug"]


class _OneLineUsage(click.ClickException):
    """click's usage error as one line, ``Error: ... (see 'graphviz-ad render --help')``; exit status 2."""

    exit_code = 2

    def __init__(self, error, command="graphviz-ad"):
        command = error.ctx.command_path if error.ctx is not None else command
        super().__init__(f"{error.format_message()} (see '{command} --help')")


class _App(click.Group):
    """A group whose usage errors, its own and its commands', are one line instead of usage + hint."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as e:
            raise _OneLineUsage(e) from e

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            # some parse errors carry no context: name the command from the arguments
            name = ctx.invoked_subcommand or ""
            raise _OneLineUsage(e, f"{ctx.command_path} {name}".strip()) from e


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
