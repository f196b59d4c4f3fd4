"""The graphviz-ad command: TARGET forms, --at forms, output rules, every error and its exit status."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

import graphviz_ad
from graphviz_ad import samples
from graphviz_ad_cli import common
from graphviz_ad_cli.main import main

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def folder(float_model, monkeypatch):
    """A working folder holding model.py (see conftest.py), as the current directory."""
    monkeypatch.chdir(float_model.parent)
    return float_model.parent


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False, prog_name="graphviz-ad")


def json_graph(*args):
    result = run("render", *args, "--format", "json", "-o", "-")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def inputs_of(data):
    """name -> value of the traced graph's inputs, from the JSON output."""
    nodes = {n["id"]: n for n in data["nodes"]}
    return {nodes[i]["name"]: nodes[i]["value"] for i in data["graph"]["inputs"]}


def assert_one_line_error(result, code, *pieces):
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert result.stdout == ""
    for piece in pieces:
        assert piece in lines[0], (piece, lines[0])
    assert "Traceback" not in result.stderr


def files(path):
    return sorted(p.name for p in path.iterdir())


# ---------------------------------------------------------------------------------------------------
# TARGET forms.

def test_sample_to_svg_in_current_folder(folder):
    result = run("render", "sigmoid")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Wrote sigmoid.svg (")
    root = ET.parse(folder / "sigmoid.svg").getroot()
    assert root.find(f"{SVG}g/{SVG}title").text == "sigmoid"
    G = graphviz_ad.trace_target("sigmoid")
    drawn = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.get("id", "").startswith("n")]
    assert len(drawn) == G.number_of_nodes()
    assert files(folder) == ["model.py", "sigmoid.svg"]


def test_file_target_with_at(folder):
    data = json_graph("model.py:loss", "--at", "W=[[1, 0], [0, 2]]", "--at", "x=[0.5, 1]")
    assert data["graph"]["function"] == "loss"
    values = inputs_of(data)
    assert values["W"] == [[1.0, 0.0], [0.0, 2.0]] and values["x"] == [0.5, 1.0] and values["scale"] == 2.0
    out = data["nodes"][data["graph"]["output"]]["value"]
    assert out == pytest.approx(2 * (np.tanh(0.5) ** 2 + np.tanh(2.0) ** 2))


def test_module_target(folder):
    pkg = folder / "netpkg_cli"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text("import numpy as np\n\ndef neuron(x, w=0.5, b=0.1):\n"
                                 "    return np.tanh(w * x + b)\n")
    data = json_graph("netpkg_cli.nets:neuron", "--at", "x=2")
    assert inputs_of(data) == {"x": 2.0, "w": 0.5, "b": 0.1}


def test_expression_target(folder):
    data = json_graph("-e", "sin(x**2) * y", "--at", "x=1", "--at", "y=2")
    names = [n["name"] for n in data["nodes"]]
    assert "sin(x^2)" in names
    assert data["graph"]["function"] == "expr"
    result = run("render", "--expr", "tanh(x)", "--at", "x=0.5")
    assert result.exit_code == 0 and (folder / "expr.svg").exists()


@pytest.mark.parametrize("name", samples.names())
def test_every_sample_renders(name, tmp_path):
    result = run("render", name, "--format", "dot", "-o", str(tmp_path / f"{name}.dot"), "-q")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / f"{name}.dot").read_text().startswith("digraph")


# ---------------------------------------------------------------------------------------------------
# --at forms.

def test_at_numbers_lists_and_constructors(folder):
    data = json_graph("-e", "a + sum(b) + sum(c) + sum(d) + sum(e1) + sum(f)",
                      "--at", "a=-1.5", "--at", "b=[1, 2]", "--at", "c=[[1, 2], [3, 4]]",
                      "--at", "d=zeros(3)", "--at", "e1=ones(2, 2)", "--at", "f=arange(4)")
    values = inputs_of(data)
    assert values == {"a": -1.5, "b": [1.0, 2.0], "c": [[1.0, 2.0], [3.0, 4.0]], "d": [0.0] * 3,
                      "e1": [[1.0, 1.0], [1.0, 1.0]], "f": [0.0, 1.0, 2.0, 3.0]}


def test_at_randn_follows_seed(folder):
    first = inputs_of(json_graph("-e", "sum(W)", "--at", "W=randn(3, 4)", "--seed", "7"))["W"]
    again = inputs_of(json_graph("-e", "sum(W)", "--at", "W=randn(3, 4)", "--seed", "7"))["W"]
    other = inputs_of(json_graph("-e", "sum(W)", "--at", "W=randn(3, 4)", "--seed", "8"))["W"]
    assert np.shape(first) == (3, 4)
    assert first == again != other
    assert first == graphviz_ad.parse_value("randn(3, 4)", seed=7, name="W").tolist()


def test_at_npy_file(folder):
    np.save(folder / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    values = inputs_of(json_graph("model.py:loss", "--at", "W=@w.npy", "--at", "x=[1, 1]"))
    assert values["W"] == [[1.0, 2.0], [3.0, 4.0]]


def test_at_overrides_sample_inputs(folder):
    assert inputs_of(json_graph("sigmoid", "--at", "x=-2"))["x"] == -2.0
    assert inputs_of(json_graph("sigmoid"))["x"] == samples.load("sigmoid").inputs["x"]


def test_wrt(folder):
    data = json_graph("model.py:loss", "--at", "W=eye(2)", "--at", "x=[1, 2]", "--wrt", "x")
    assert data["graph"]["wrt"] == ["x"]
    result = run("render", "model.py:loss", "--at", "W=eye(2)", "--at", "x=[1, 2]", "--wrt", "nope")
    assert_one_line_error(result, 2, "--wrt nope: loss has no argument 'nope'", "W, x, scale")


# ---------------------------------------------------------------------------------------------------
# Output.

def test_stdout_gets_only_the_output(folder):
    result = run("render", "square_of_affine", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("<?xml") and result.stdout.rstrip().endswith("</svg>")
    assert result.stderr == ""
    ET.fromstring(result.stdout_bytes)
    assert files(folder) == ["model.py"]


def test_users_prints_go_to_stderr(folder):
    result = run("render", "model.py:chatty", "--at", "x=1", "-o", "-", "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout.startswith("digraph") and "hello" not in result.stdout
    assert result.stderr == "hello from chatty\n"


def test_output_is_deterministic(folder):
    args = ("render", "model.py:loss", "--at", "W=randn(2, 2)", "--at", "x=[1, 2]", "-o", "-")
    assert run(*args).stdout_bytes == run(*args).stdout_bytes


def test_refuses_to_overwrite_without_force(folder):
    (folder / "sigmoid.svg").write_text("mine")
    result = run("render", "sigmoid")
    assert_one_line_error(result, 1, "sigmoid.svg already exists", "--force")
    assert (folder / "sigmoid.svg").read_text() == "mine"
    (folder / "out.svg").write_text("mine too")
    assert_one_line_error(run("render", "sigmoid", "-o", "out.svg"), 1, "out.svg already exists")
    assert (folder / "out.svg").read_text() == "mine too"
    result = run("render", "sigmoid", "--force")
    assert result.exit_code == 0 and (folder / "sigmoid.svg").read_text().startswith("<?xml")
    assert files(folder) == ["model.py", "out.svg", "sigmoid.svg"]


def test_format_from_extension_and_flag(folder):
    assert run("render", "sigmoid", "-o", "g.dot").exit_code == 0
    assert (folder / "g.dot").read_text().startswith("digraph")
    assert run("render", "sigmoid", "--format", "json").exit_code == 0
    assert json.loads((folder / "sigmoid.json").read_text())["graph"]["function"] == "sigmoid"
    assert run("render", "sigmoid", "--format", "png", "-q").exit_code == 0
    assert (folder / "sigmoid.png").read_bytes().startswith(b"\x89PNG")


def test_drawing_options_reach_the_renderer(folder):
    dot = run("render", "sigmoid", "--format", "dot", "-o", "-", "--rankdir", "TB", "--theme", "dark",
              "--no-legend").stdout
    assert "rankdir=TB" in dot and "cluster_legend" not in dot
    default = run("render", "sigmoid", "--format", "dot", "-o", "-").stdout
    assert "rankdir=LR" in default and "cluster_legend" in default
    assert dot != default
    assert run("render", "sigmoid", "--format", "dot", "-o", "-", "-O", "legend=false").stdout == \
        run("render", "sigmoid", "--format", "dot", "-o", "-", "--no-legend").stdout


def test_highlight(folder):
    plain = run("render", "sigmoid", "--format", "dot", "-o", "-").stdout
    marked = run("render", "sigmoid", "--format", "dot", "-o", "-", "--highlight", "v").stdout
    assert plain != marked
    assert_one_line_error(run("render", "sigmoid", "--highlight", "zz"), 2, "--highlight zz", "names:")


def test_quiet_is_silent(folder):
    result = run("render", "sigmoid", "-q")
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""


def test_progress_on_stderr_for_slow_work(folder):
    result = run("render", "model.py:slow", "--at", "x=1", "-o", "-", "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout.startswith("digraph")
    assert "tracing slow..." in result.stderr and "tracing slow: done in 1." in result.stderr
    quiet = run("render", "model.py:slow", "--at", "x=1", "-o", "-", "--format", "dot", "-q")
    assert quiet.stderr == ""


def test_progress_helper(capsys):
    import io
    import time
    stream = io.StringIO()
    with common.Progress("working", after=0.05, stream=stream):
        time.sleep(0.2)
    assert stream.getvalue().startswith("working...\nworking: done in 0.")
    stream = io.StringIO()
    with common.Progress("fast", after=5, stream=stream):
        pass
    assert stream.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    stream = Terminal()
    with pytest.raises(KeyError):
        with common.Progress("drawing", after=0.05, stream=stream):
            time.sleep(0.3)
            raise KeyError("x")
    text = stream.getvalue()
    assert text.startswith("\rdrawing... 0.") and "s\r" in text   # redrawn in place with the elapsed time
    assert re.search(r"\r\x1b\[Kdrawing: failed in \d+\.\ds\n$", text)


def test_warnings_are_one_line_each(folder):
    result = run("render", "model.py:ignores_x", "--at", "x=1", "--at", "y=2", "-o", "-", "--format", "dot")
    assert result.exit_code == 0 and result.stdout.startswith("digraph")
    assert result.stderr == "Warning: ignores_x: output does not depend on input 'x'; its gradient is zero\n"


def test_samples_command():
    result = run("samples")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == samples.names()
    sigmoid = next(line for line in lines if line.startswith("sigmoid "))
    assert samples.load("sigmoid").description in sigmoid


# ---------------------------------------------------------------------------------------------------
# Errors: one line, exit 2 for usage, 1 for runtime, nothing written.

def test_file_not_found(folder):
    assert_one_line_error(run("render", "nope.py:f"), 2, "file not found: nope.py")


def test_no_such_function_lists_functions(folder):
    assert_one_line_error(run("render", "model.py:los"), 2, "no function 'los' in model.py",
                          "loss, fails, helper, detaches, slow")


def test_syntax_error_in_users_file(folder):
    (folder / "broken.py").write_text("def f(x):\n    return x +\n")
    assert_one_line_error(run("render", "broken.py:f", "--at", "x=1"), 1, "broken.py:2: syntax error")


def test_unknown_sample(folder):
    assert_one_line_error(run("render", "sigmod"), 2, "no sample named 'sigmod'", "sigmoid")


@pytest.mark.parametrize("at, pieces", [
    (["W=[1, 2"], ["--at W:", "cannot read"]),
    (["W=randn(2, 2)", "x=[[1], [2, 3]]"], ["--at x:", "ragged"]),
    (["W=eye(2)", "x=foo"], ["--at x:", "unknown name 'foo'"]),
    (["W=eye(2)", "x=@missing.npy"], ["--at x:", "file not found: missing.npy"]),
    (["W=eye(2)", "y=1"], ["loss has no argument 'y'", "W, x, scale"]),
    (["W"], ["expected NAME=VALUE"]),
    (["W=eye(2)", "W=eye(2)"], ["--at W is given twice"]),
    ([], ["loss needs a value for W, x", "--at W=VALUE --at x=VALUE"]),
])
def test_bad_at(folder, at, pieces):
    args = ["render", "model.py:loss"]
    for item in at:
        args += ["--at", item]
    assert_one_line_error(run(*args), 2, *pieces)


def test_expression_needs_its_inputs(folder):
    assert_one_line_error(run("render", "-e", "x * y", "--at", "x=1"), 2,
                          "the expression 'x * y' needs a value for y")
    assert_one_line_error(run("render", "-e", "x * y", "--at", "x=1", "--at", "y=2", "--at", "z=3"), 2,
                          "the expression 'x * y' has no argument 'z'; its arguments: x, y")


def test_expression_that_fails_at_its_inputs(folder):
    result = run("render", "-e", "x[5]", "--at", "x=[1, 2]")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: the expression 'x[5]' raised IndexError: index 5 is out of bounds")
    assert "    x[5]" in result.stderr


def test_unknown_format_lists_valid_ones(folder):
    result = run("render", "sigmoid", "--format", "gif")
    assert_one_line_error(result, 2, "'gif' is not one of", "svg", "png", "pdf", "dot", "json")


@pytest.mark.parametrize("args, pieces", [
    (["--theme", "blue"], ["'blue' is not one of", "dark", "light"]),
    (["--rankdir", "up"], ["'up' is not one of", "LR"]),
    (["--precision", "40"], ["precision=40", "1 to 17"]),
    (["-O", "colour=red"], ["-O colour: unknown drawing option", "rankdir"]),
    (["-O", "vanishing=2"], ["vanishing=2", "between 0 and 1"]),
    (["-O", "novalue"], ["expected KEY=VALUE"]),
    (["-o", "x.png", "--format", "svg"], ["ends in .png but --format is svg"]),
    (["-o", "no/such/folder/x.svg"], ["does not exist"]),
    (["--bogus"], ["No such option", "--bogus"]),
    (["--seed", "-1"], ["--seed"]),
])
def test_bad_options(folder, args, pieces):
    assert_one_line_error(run("render", "sigmoid", *args), 2, *pieces)
    assert files(folder) == ["model.py"]


def test_target_and_expr_together_or_neither(folder):
    assert_one_line_error(run("render"), 2, "missing TARGET", "--expr")
    assert_one_line_error(run("render", "sigmoid", "-e", "x"), 2, "either TARGET")


@pytest.mark.parametrize("text, piece", [
    ("__import__('os').system('touch pwned')", "__import__"),
    ("().__class__.__bases__[0]", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("10**10**10", "this large"),
    ("[c for c in x]", "comprehension"),
    ("open('pwned', 'w')", "open"),
    ("sin(x", "syntax error"),
])
def test_expression_escapes_are_usage_errors(folder, text, piece):
    result = run("render", "-e", text, "--at", "x=1")
    assert result.exit_code == 2
    assert piece in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert files(folder) == ["model.py"]


def test_untraceable_operation_names_op_and_line(folder):
    result = run("render", "model.py:detaches", "--at", "x=1")
    assert_one_line_error(result, 1, "float()", "model.py:22")


def test_user_function_raised_shows_user_frames_only(folder):
    result = run("render", "model.py:fails", "--at", "x=1")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (your code, most recent call last):"
    assert lines[-1] == "Error: fails raised KeyError: 'missing'"
    assert 'model.py", line 14, in fails' in result.stderr and "return helper(y)" in result.stderr
    assert 'line 18, in helper' in result.stderr
    assert os.sep + "graphviz_ad" + os.sep not in result.stderr
    assert "click" not in result.stderr and "numpy" not in result.stderr
    assert files(folder) == ["model.py"]


def test_import_time_error_shows_user_frames(folder):
    (folder / "bad_import.py").write_text("x = 1\ny = x / 0\n")
    result = run("render", "bad_import.py:f")
    assert result.exit_code == 1
    assert 'bad_import.py", line 2' in result.stderr
    assert result.stderr.splitlines()[-1] == \
        "Error: importing bad_import.py raised ZeroDivisionError: division by zero"


def test_debug_shows_the_full_traceback(folder):
    result = run("render", "model.py:fails", "--at", "x=1", "--debug")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert os.sep + "graphviz_ad" + os.sep in result.stderr


def test_no_graphviz_engine(folder):
    result = run("render", "sigmoid", env={"GRAPHVIZ_AD_DOT": str(folder / "no-dot-here")})
    assert_one_line_error(result, 1, "not an executable Graphviz dot", "pip install pygraphviz")
    assert files(folder) == ["model.py"]
    ok = run("render", "sigmoid", "--format", "dot", env={"GRAPHVIZ_AD_DOT": str(folder / "no-dot-here")})
    assert ok.exit_code == 0


def test_failed_write_leaves_nothing_behind(folder, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", dst)
    monkeypatch.setattr(common.os, "replace", refuse)
    result = run("render", "sigmoid")
    assert_one_line_error(result, 1, "cannot write sigmoid.svg: Permission denied")
    assert files(folder) == ["model.py"]


def test_write_output_is_atomic(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    common.write_output(b"new", str(path), force=True)
    assert path.read_text() == "new" and files(tmp_path) == ["out.txt"]
    with pytest.raises(common.RuntimeProblem, match="already exists"):
        common.write_output(b"newer", str(path))
    assert path.read_text() == "new"


# ---------------------------------------------------------------------------------------------------
# Help, version, completion.

@pytest.mark.parametrize("command", [[], ["render"], ["samples"]])
def test_help_has_examples(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.stdout and "graphviz-ad" in result.stdout


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"graphviz-ad, version {graphviz_ad.__version__}"


def test_missing_option_value_points_at_the_command_help():
    assert_one_line_error(run("render", "sigmoid", "--at"), 2, "'--at' requires an argument",
                          "(see 'graphviz-ad render --help')")


def test_unknown_command_is_one_line():
    assert_one_line_error(run("rendr"), 2, "No such command 'rendr'")


def test_shell_completion_offers_samples():
    result = CliRunner().invoke(main, [], prog_name="graphviz-ad",
                                env={"_GRAPHVIZ_AD_COMPLETE": "bash_complete",
                                     "COMP_WORDS": "graphviz-ad render sigm", "COMP_CWORD": "2"})
    assert "sigmoid" in result.stdout and "sigmoid_chain20" in result.stdout


# ---------------------------------------------------------------------------------------------------
# The installed console script and `python -m graphviz_ad`.

def _script():
    found = shutil.which("graphviz-ad")
    if not found:
        pytest.skip("graphviz-ad is not on PATH (pip install -e .)")
    return found


def test_console_script_renders_to_stdout(tmp_path):
    done = subprocess.run([_script(), "render", "sigmoid", "-o", "-"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    root = ET.fromstring(done.stdout)
    assert root.tag == f"{SVG}svg"
    assert os.listdir(tmp_path) == []


def test_console_script_user_error(float_model):
    tmp_path = float_model.parent
    done = subprocess.run([_script(), "render", "model.py:fails", "--at", "x=1"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback (most recent call last)" not in done.stderr
    assert done.stderr.splitlines()[-1] == "Error: fails raised KeyError: 'missing'"
    assert os.listdir(tmp_path) == ["model.py"]


def test_python_m_graphviz_ad(tmp_path):
    done = subprocess.run([sys.executable, "-m", "graphviz_ad", "render", "-e", "exp(", "--at", "x=1"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: syntax error in expression") and done.stderr.count("\n") == 1
    done = subprocess.run([sys.executable, "-m", "graphviz_ad", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"graphviz-ad, version {graphviz_ad.__version__}"


def test_docstring_example_of_the_help_runs(tmp_path):
    """The README one-liner: graphviz-ad render sigmoid."""
    done = subprocess.run([_script(), "render", "sigmoid"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and (tmp_path / "sigmoid.svg").exists()
    assert done.stderr.startswith("Wrote sigmoid.svg")
