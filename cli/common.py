"""Pieces every graphviz-ad command shares; a new command reuses them instead of redoing them.

A command that traces a TARGET (``render`` here; ``diagnose``, ``check`` and ``paths`` in cli/debug.py)
is written like this::

    @click.command()
    @common.target_options          # TARGET argument and --expr/-e
    @common.input_options           # --at NAME=VALUE (repeatable), --seed, --wrt (repeatable)
    @common.run_options             # --quiet/-q, --debug
    @common.handle_errors           # library errors -> one line on stderr, exit 2 (usage) or 1
    def diagnose(target, expr, at, seed, wrt, quiet, debug):
        G, loaded = common.load_graph(target, expr, at, seed, wrt, quiet=quiet)
        ...
        common.write_output(text.encode(), output, default_name=loaded.name + ".txt", force=force)

and is registered by adding its module to COMMAND_MODULES in cli/main.py (a module lists its click
commands in ``COMMANDS``).

Everything here calls the library (`graphviz_ad.frontend`, shared with the docs extensions,
`graphviz_ad.resolve_inputs`, `graphviz_ad.trace`); the command line only parses, reports and writes.
Library errors name the library's arguments (at, wrt, ...); `message` puts this command's flags in.

Exit status: 0 success, 1 runtime error (the user's code raised, an op cannot be traced, no Graphviz,
a file would be overwritten), 2 usage error (bad TARGET, --at, option value). Errors are one line on
stderr starting ``Error:``; when the user's own code raised, its own traceback lines come first.
``--debug`` prints the full traceback instead.
"""

import contextlib
import errno
import functools
import os
import secrets
import stat
import sys
import threading
import time
import traceback

import click

import graphviz_ad
import graphviz_ad.samples
from graphviz_ad import frontend, trace_limits
from graphviz_ad.errors import (ExpressionError, GraphvizAdError, InputError, SourceSyntaxError, TargetError,
                                UserCodeError, collected_warnings)
from graphviz_ad.targets import trace_inputs, user_frames

_CLI_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_CLICK_DIR = os.path.dirname(os.path.abspath(click.__file__)) + os.sep

PROGRESS_AFTER = 1.0   # seconds of work before progress is shown


# ---------------------------------------------------------------------------------------------------
# Errors.

class UsageProblem(click.ClickException):
    """A bad argument or option value: one line, exit status 2."""

    exit_code = 2


class RuntimeProblem(click.ClickException):
    """Something failed while running: one line, exit status 1; `frames` (the user's traceback) first."""

    exit_code = 1

    def __init__(self, message, frames=()):
        super().__init__(message)
        self.frames = list(frames)
        self.notes = []   # lines shown between the traceback and the error (e.g. what was written anyway)

    def show(self, file=None):
        file = file or sys.stderr
        if self.frames:
            click.echo("Traceback (your code, most recent call last):", file=file)
            click.echo("".join(self.frames).rstrip("\n"), file=file)
        for note in self.notes:
            click.echo(note, file=file)
        click.echo(f"Error: {self.format_message()}", file=file)


def _one_line(text):
    return " ".join(str(text).split())


def handle_errors(command):
    """Turn library and user-code exceptions into one-line errors with the right exit status.

    With ``--debug`` (a `run_options` flag) the full traceback is printed before the error line.
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        debug = kwargs.get("debug", False)
        budget = {"memory": kwargs.pop("max_memory", None), "ops": kwargs.pop("max_ops", None)}
        try:
            # any warning left, the library's or numpy's: one line, our style
            with report_warnings(), graphviz_ad.limits(**budget):
                return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as e:   # every failure becomes one line; --debug shows where it came from
            if is_broken_pipe(e):
                raise            # the reader went away (| head): cli/main.py exits quietly
            if debug:
                traceback.print_exception(e, file=sys.stderr)
            raise translate(e) from e
    return wrapper


# The library's names for what a user gives (graphviz_ad.errors.ARGUMENTS) -> this command line's flags.
FLAGS = {"at": "--at", "wrt": "--wrt", "seed": "--seed", "expr": "--expr", "highlight": "--highlight",
         "option": "-O"}


def message(exc):
    """A library error's message on one line, naming this command line's flags."""
    return _one_line(exc.worded(FLAGS))


def translate(exc):
    """The click exception (with exit status) that reports `exc` on one line."""
    if isinstance(exc, SourceSyntaxError):
        return RuntimeProblem(message(exc))
    if isinstance(exc, (InputError, ExpressionError, TargetError)):
        return UsageProblem(message(exc))
    if isinstance(exc, UserCodeError):
        return RuntimeProblem(message(exc), exc.frames)
    if isinstance(exc, GraphvizAdError):
        return RuntimeProblem(message(exc))
    if isinstance(exc, OSError) and exc.filename:
        return RuntimeProblem(_one_line(f"{exc.filename}: {exc.strerror or exc}"))
    frames = user_frames(exc, skip=(_CLI_DIR, _CLICK_DIR))
    return RuntimeProblem(_one_line(f"{type(exc).__name__}: {exc}") + " (run with --debug for the "
                          "full traceback)", frames)


# ---------------------------------------------------------------------------------------------------
# Options.

def _complete_target(ctx, param, incomplete):
    """Sample names, then files: never imports the user's code to complete a function name."""
    from click.shell_completion import CompletionItem
    items = [CompletionItem(n) for n in graphviz_ad.samples.names() if n.startswith(incomplete)]
    return items + [CompletionItem(incomplete, type="file")]


def target_options(command):
    """The TARGET argument and its alternative, --expr/-e."""
    command = click.option(
        "-e", "--expr", metavar="EXPRESSION",
        help="Trace a math expression instead of a TARGET, e.g. -e 'sin(x**2)'. Only numbers, "
             "names (the inputs), operators and math functions (sin, exp, log, tanh, sigmoid, relu, "
             "sqrt, abs, sum, ...) are allowed: it cannot run code.")(command)
    return click.argument("target", required=False, metavar="[TARGET]",
                          shell_complete=_complete_target)(command)


def _memory_size(ctx, param, value):
    if value is None:
        return None
    try:
        return trace_limits.parse_size(value)
    except GraphvizAdError as e:
        raise click.BadParameter(str(e)) from None


def input_options(command):
    """--at NAME=VALUE (repeatable), --seed, --wrt NAME (repeatable), and the trace's limits --max-memory
    and --max-ops (read by `handle_errors`, which runs the command under them)."""
    command = click.option(
        "--max-ops", type=click.IntRange(min=1), metavar="N",
        help=f"Stop a trace that records more ops than this (an endless loop). [default: "
             f"{trace_limits.DEFAULT_OPS:,}]")(command)
    command = click.option(
        "--max-memory", callback=_memory_size, metavar="SIZE",
        help="Stop a trace that would hold more than this, e.g. 2GiB, 500MB. [default: a quarter of "
             "this machine's memory, at most 4GiB]")(command)
    command = click.option(
        "--wrt", multiple=True, metavar="NAME",
        help="Differentiate with respect to this argument (repeatable); default: every float "
             "argument, or the sample's choice.")(command)
    command = click.option(
        "--seed", type=click.IntRange(min=0), default=0, show_default=True,
        help="Random seed for randn(...) / rand(...) values.")(command)
    return click.option(
        "--at", "at", multiple=True, metavar="NAME=VALUE",
        help="An input value (repeatable): 2.5, [1, 2], [[1, 2], [3, 4]], randn(3, 4), zeros(3), "
             "ones(2, 2), arange(5), @file.npy. Defaults come from the function's defaults or the "
             "sample's inputs.")(command)


def output_options(command):
    """-o/--output FILE ('-' for stdout) and --force; see `output_path` and `write_output`."""
    command = click.option("--force", is_flag=True, help="Overwrite an existing output file.")(command)
    return click.option("-o", "--output", metavar="FILE",
                        help="Where to write; '-' for stdout. Default: FUNCTION.FORMAT in the current "
                             "folder (never overwritten without --force).")(command)


def run_options(command):
    """--quiet/-q and --debug."""
    command = click.option("--debug", is_flag=True,
                           help="On error, print the full traceback (for reporting a bug).")(command)
    return click.option("-q", "--quiet", is_flag=True,
                        help="No progress or status messages on stderr (errors and warnings remain).")(command)


# ---------------------------------------------------------------------------------------------------
# Loading and tracing.

def user_code():
    """While the user's code runs, its print() goes to stderr: stdout carries only the output."""
    return contextlib.redirect_stdout(sys.stderr)


def load_inputs(target, expr, at, seed, *, quiet=False):
    """Load TARGET (or --expr) and parse its --at values: returns (Target, inputs dict)."""
    if target and not expr:
        # importing a user's module can take a while, and may print
        with Progress(f"loading {target}", quiet=quiet), user_code():
            loaded = frontend.load(target, expr)
    else:
        loaded = frontend.load(target, expr)
    return loaded, graphviz_ad.resolve_inputs(loaded, list(at), random_seed=seed)


def trace_graph(loaded, inputs, wrt, *, quiet=False):
    """Trace a loaded target, with progress on stderr past a second and warnings as ``Warning:`` lines."""
    with Progress(f"tracing {loaded.name}", quiet=quiet), report_warnings(), user_code():
        return trace_inputs(loaded, inputs, wrt=list(wrt) or None)


def load_graph(target, expr, at, seed, wrt, *, quiet=False):
    """Load TARGET, parse --at values and trace: returns (Graph, Target)."""
    loaded, inputs = load_inputs(target, expr, at, seed, quiet=quiet)
    return trace_graph(loaded, inputs, wrt, quiet=quiet), loaded


@contextlib.contextmanager
def report_warnings():
    """Collects the warnings raised inside and prints each once as a ``Warning:`` line on stderr."""
    texts = []
    try:
        with collected_warnings() as texts:
            yield
    finally:   # also when the step failed: the warnings may say why
        for text in texts:
            click.echo(f"Warning: {text}", err=True)


class Progress:
    """Shows ``label... 1.2s`` on stderr while a step runs past `after` seconds; silent otherwise.

    On a terminal the line is redrawn in place; elsewhere one line is written when the step turns
    slow and one when it ends. Nothing is ever written to stdout.
    """

    def __init__(self, label, *, quiet=False, after=None, stream=None):
        self.label = label
        self.quiet = quiet
        self.after = PROGRESS_AFTER if after is None else after
        self.stream = stream
        self.shown = False
        self._done = threading.Event()
        self._thread = None

    def __enter__(self):
        self.start = time.monotonic()
        if not self.quiet:
            self.stream = self.stream or sys.stderr
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _tty(self):
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def _run(self):
        if self._done.wait(self.after):
            return
        self.shown = True
        tty = self._tty()
        if not tty:
            self._write(f"{self.label}...\n")
            return
        while not self._done.wait(0.1):
            self._write(f"\r{self.label}... {time.monotonic() - self.start:.1f}s")

    def _write(self, text):
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def __exit__(self, exc_type, *rest):
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            elapsed = time.monotonic() - self.start
            status = "done" if exc_type is None else "failed"
            prefix = "\r\x1b[K" if self._tty() else ""   # on a terminal, replace the running line
            self._write(f"{prefix}{self.label}: {status} in {elapsed:.1f}s\n")
        return False


# ---------------------------------------------------------------------------------------------------
# Output.

STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")   # all mean: write to stdout

_SPECIAL_FILES = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def output_path(output, default_name, force):
    """Where to write: None for stdout (``-o -`` or ``-o /dev/stdout``), else the path, refusing an
    existing file unless force, and anything but a regular file even with force.

    Called before the work starts, so the user does not wait for a result that cannot be written.
    """
    if output in STDOUT_NAMES:
        return None
    path = output or default_name
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageProblem(f"cannot write {path}: folder {os.path.dirname(path) or folder} does not exist")
    _refuse_special(path)
    if os.path.lexists(path) and not force:
        raise RuntimeProblem(f"{path} already exists; use --force to overwrite it, or -o FILE "
                             "(-o - for stdout)")
    return path


def _refuse_special(path):
    """A folder, FIFO, device or socket at `path` (or where its symlink points) is never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:   # nothing there (or a dangling symlink, which is replaced as a file would be)
        return
    for test, what in _SPECIAL_FILES:
        if test(mode):
            raise UsageProblem(f"cannot write {path}: it is {what}, not a regular file; --force replaces "
                               "regular files only (-o - writes to stdout)")


def write_output(data, path, *, force=False):
    """Write bytes to `path` atomically (temp file in the same folder, then rename), or to stdout.

    Nothing is left behind on failure: either the whole new file is there or the old state is. The
    temporary file's name is short whatever the output's, so any valid output name works.
    """
    if isinstance(data, str):
        data = data.encode()
    if path is None:
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    _refuse_special(path)   # may have appeared while we worked
    if os.path.lexists(path) and not force:
        raise RuntimeProblem(f"{path} already exists; use --force to overwrite it")
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".graphviz-ad-{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # umask applies, as for open()
    except OSError as e:
        raise RuntimeProblem(f"cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException as e:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise RuntimeProblem(f"cannot write {path}: {e.strerror or e}") from e
        raise


def status(message, quiet):
    """A status line on stderr, unless --quiet."""
    if not quiet:
        click.echo(message, err=True)


def is_broken_pipe(exc):
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE
