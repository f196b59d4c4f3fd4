"""Hostile inputs: the promises of reliability (bounded memory and time, files never damaged, errors that
keep their word, docs sources that are not trusted). Anything that could eat memory or hang runs in a
subprocess under a memory limit and a timeout, so a failure cannot take the machine down."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import graphviz_ad as ga
from graphviz_ad_cli.main import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name="graphviz-ad")


def assert_one_line_error(result, code, *pieces):
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for piece in pieces:
        assert piece in lines[0], (piece, lines[0])


def bounded(code, *, memory_gib=2, timeout=120, cwd=None):
    """Run Python `code` in a child limited to `memory_gib` of address space and `timeout` seconds."""
    limit = int(memory_gib * 2**30)
    prelude = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n")
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def bounded_cli(*args, memory_gib=2, timeout=120, cwd=None):
    """The graphviz-ad command in a bounded child: (exit status, stdout, stderr)."""
    done = bounded(f"import sys; from graphviz_ad_cli.main import main\n"
                   f"sys.argv = ['graphviz-ad'] + {list(args)!r}\nmain(prog_name='graphviz-ad')\n",
                   memory_gib=memory_gib, timeout=timeout, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def strict_json(text):
    """Parse JSON refusing the non-standard NaN / Infinity literals."""
    def refuse(name):
        raise ValueError(f"non-standard JSON literal {name}")
    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------------------------------------------
# One JSON convention for NaN / Inf, and paths through a NaN are listed.

NONFINITE = {"NaN", "Infinity", "-Infinity"}


def strings_in(data):
    """Every string value (finding kinds, which include "nan", left out)."""
    if isinstance(data, dict):
        return {s for k, v in data.items() if k not in ("kind", "failed_on") for s in strings_in(v)}
    if isinstance(data, list):
        return {s for v in data for s in strings_in(v)}
    return {data} if isinstance(data, str) else set()


def test_paths_lists_the_nan_path_first():
    result = run("paths", "nan_log")
    assert result.exit_code == 0, result.stderr
    assert "not listed" not in result.stdout
    first = result.stdout.splitlines()[1:3]
    assert "logged*x" in first[0] and "nan" in first[1], result.stdout
    p = ga.paths(ga.trace_target("nan_log"), "x")
    assert p.complete and np.isnan(p.paths[0].product[1])


def test_paths_ranks_a_nan_path_over_any_finite_path():
    G = ga.trace_target("sqrt(x - 2)*x + 1e300*x", ["x=1"], expr=True)
    p = ga.paths(G, "x", limit=1)
    assert np.isnan(p.paths[0].product), p


def test_a_python_float_at_a_singular_point_gives_inf_not_zero_division():
    G = ga.trace(lambda x: np.log(x) * x, 0.0)
    assert np.isnan(G.grad_of("x"))


def test_every_json_output_is_strict_with_one_nan_convention():
    outputs = {}
    for command in (["paths", "nan_log", "--json"], ["diagnose", "nan_log", "--json"], ["check", "nan_log", "--json"],
                    ["render", "nan_log", "--format", "json", "-o", "-"]):
        result = run(*command)
        assert result.exit_code in (0, 1), result.stderr
        outputs[command[0]] = strings_in(strict_json(result.stdout))
    for command, found in outputs.items():
        assert found & NONFINITE, f"{command}: the sample's NaN must show"
        assert not found & {"nan", "inf", "-inf"}, (command, found & {"nan", "inf", "-inf"})


def test_html_data_uses_the_same_convention():
    G = ga.trace(lambda x: np.log(x) * x, 0.0)
    page = ga.to_html(G)
    data = re.search(r'<script type="application/json" class="gad-data">(.*?)</script>', page, re.S)[1]
    factors = {e["f"] for e in strict_json(data)["edges"]} - {None}
    assert factors & NONFINITE and not factors & {"nan", "inf", "-inf"}, factors


# ---------------------------------------------------------------------------------------------------
# load_json: one documented error for every malformed input; what loads can be drawn and diagnosed.

def _graph_json(name="nan_log"):
    return json.loads(ga.render(ga.trace_target(name), None, "json"))


def _edited(edit, name="nan_log"):
    data = _graph_json(name)
    edit(data)
    return json.dumps(data)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["nodes"][0].pop("op"), 'node 0: no "op"'),
    (lambda d: d["nodes"][1].update(value={"a": 1}), 'node 1: "value" must be a number'),
    (lambda d: d["nodes"][1].update(value=[[1, 2], [3]]), 'node 1: "value"'),
    (lambda d: d["nodes"][1].update(shape="3"), 'node 1: "shape" must be a list'),
    (lambda d: d["nodes"][1].update(id="one"), 'node #1 has no whole-number "id"'),
    (lambda d: d["nodes"][2].update(id=1), "node id 1 is used twice"),
    (lambda d: d["nodes"][1].update(value=[1.0, 2.0]), "disagree on the shape"),
    (lambda d: d["nodes"][1].update(name=None), 'node 1: "name" must be text'),
    (lambda d: d["nodes"][1].update(grad=10**400), 'node 1: "grad"'),
    (lambda d: d["edges"][0].update(target=999), "edge #0 does not join two nodes"),
    (lambda d: d["edges"][0].update(gain=[1, 2]), '"gain" must be a number'),
    (lambda d: d["edges"][0].update(argnum=[]), '"argnum" must be a whole number or a non-empty list'),
    (lambda d: d["edges"].append(dict(d["edges"][0], source=d["graph"]["output"], target=0,
                                                   local_factor=None, grad_flow=None)), "has a cycle"),
    (lambda d: d["graph"].pop("output"), 'graph: no "output"'),
    (lambda d: d["graph"].update(output=999), '"output" 999 is not a node'),
    (lambda d: d["graph"].update(inputs=[0, 999]), '"inputs" [999] are not nodes'),
    (lambda d: d.update(nodes={}), '"nodes" is missing or malformed'),
    (lambda d: d["nodes"].append([]), "node #9 is not an object"),
])
def test_load_json_names_what_is_malformed(edit, message):
    with pytest.raises(ga.GraphFileError) as caught:
        ga.load_json(_edited(edit))
    assert message in str(caught.value) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", ['{"format": "graphviz-ad node-link 1", "graph": ' + "[" * 100000 + "]" * 100000 + "}",
                                  b'{"format": 1}', '{"nodes": []}', "{not json"])
def test_load_json_refuses_deep_nesting_bytes_and_foreign_json(text):
    with pytest.raises(ga.GraphFileError):
        ga.load_json(text)


def test_load_json_fuzzed_files_load_cleanly_or_fail_with_its_error():
    """Random damage to real graphs: load_json raises GraphFileError or gives a graph that draws and diagnoses."""
    import random
    rng = random.Random(12)
    texts = [json.dumps(_graph_json(n)) for n in ("nan_log", "net_221", "relu_dead")]
    values = [None, "x", 3, -1, [], {}, [[[]]], "NaN", 1e308, True, [1, 2], {"a": 1}, 10**400, 2.5]
    accepted = 0
    for _ in range(300):
        data = json.loads(rng.choice(texts))
        for _ in range(rng.randint(1, 3)):
            parent = data
            while isinstance(parent, (dict, list)) and parent and rng.random() < 0.7:
                key = rng.choice(list(parent) if isinstance(parent, dict) else range(len(parent)))
                if not isinstance(parent[key], (dict, list)) or not parent[key]:
                    break
                parent = parent[key]
            if isinstance(parent, dict) and parent:
                key = rng.choice(list(parent))
                if rng.random() < 0.3:
                    del parent[key]
                else:
                    parent[key] = rng.choice(values)
            elif isinstance(parent, list) and parent:
                parent[rng.randrange(len(parent))] = rng.choice(values)
        try:
            G = ga.load_json(json.dumps(data))
        except ga.GraphFileError:
            continue
        accepted += 1
        try:
            ga.diagnose(G).table()
            ga.to_dot(G)
            for n in G.inputs:
                if G.nodes[n]["op"] == "input":
                    str(ga.paths(G, n))
        except ga.GraphvizAdError:
            pass
    assert accepted > 10


# ---------------------------------------------------------------------------------------------------
# Huge integers are usage errors, not OverflowError.

HUGE = "9" * 401


@pytest.mark.parametrize("args", [
    ["-e", f"x*{HUGE}", "--at", "x=1"],
    ["-e", "x", "--at", f"x={HUGE}"],
    ["-e", "x", "--at", f"x=-{HUGE}"],
    ["-e", "sum(x)", "--at", f"x=[1, {HUGE}]"],
    ["-e", "x", "--at", f"x=[[{HUGE}]]"],
    ["-e", "x", "--at", f"x=int({HUGE})"],
    ["-e", "x", "--at", f"x=int([{HUGE}])"],
    ["-e", "x", "--at", "x=int(1e30)"],
    ["-e", "x", "--at", f"x={HUGE}*0"],
    ["-e", "x", "--at", f"x=arange({HUGE})"],
    ["-e", "x", "--at", f"x=zeros({HUGE})"],
])
def test_a_401_digit_integer_is_a_usage_error(args, tmp_path):
    result = run("render", *args, "-o", str(tmp_path / "out.svg"))
    assert_one_line_error(result, 2)
    assert "Overflow" not in result.stderr and len(result.stderr) < 400, result.stderr


def test_library_functions_raise_their_documented_error_for_huge_integers():
    with pytest.raises(ga.InputError):
        ga.parse_value(HUGE)
    with pytest.raises(ga.InputError):
        ga.parse_value(f"[1, {HUGE}]")
    with pytest.raises(ga.ExpressionError):
        ga.expression(f"x * {HUGE}")
    with pytest.raises(ga.ExpressionError):
        ga.trace_target(f"x + {HUGE}", ["x=1"], expr=True)


@pytest.mark.parametrize("option", ["--eps", "--rtol", "--atol"])
def test_check_refuses_an_infinite_tolerance(option):
    assert_one_line_error(run("check", "-e", "x*2", "--at", "x=1", option, HUGE), 2, option)


# ---------------------------------------------------------------------------------------------------
# A target returning something that is not a number says so.

RETURNS = """\
def none(x):
    y = x * 2

def text(x):
    return "hello"

def cplx(x):
    return 1j

def cplx_traced(x):
    return x * 1j

def gen(x):
    yield x * 2

def obj(x):
    return object()

def fails(x):
    y = x * 2
    return {}["missing"] * y
"""


@pytest.mark.parametrize("fun, what", [("none", "returned None"), ("text", "returned 'hello' (of type str)"),
                                       ("cplx", "returned a complex value"),
                                       ("cplx_traced", "returned a complex value"),
                                       ("gen", "returned a generator"),
                                       ("obj", "returned <object object at")])
def test_a_target_returning_no_number_is_told_what_it_returned(fun, what, tmp_path, monkeypatch):
    (tmp_path / "returns.py").write_text(RETURNS)
    monkeypatch.chdir(tmp_path)
    result = run("render", f"returns.py:{fun}", "--at", "x=1.5", "-o", "out.svg")
    assert_one_line_error(result, 1, f"{fun} {what}", "float or numpy array")
    assert "data type" not in result.stderr and "Warning" not in result.stderr
    with pytest.raises(ga.GradError, match=what.replace("(", r"\(").replace(")", r"\)")):
        ga.grad(ga.load_target(f"returns.py:{fun}").fun)(1.5)


def test_check_reports_an_exception_in_the_users_function_as_the_users_error(tmp_path, monkeypatch):
    (tmp_path / "returns.py").write_text(RETURNS)
    monkeypatch.chdir(tmp_path)
    result = run("check", "returns.py:fails", "--at", "x=1.5")
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (your code, most recent call last):")
    assert 'returns.py", line 21, in fails' in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == "Error: fails raised KeyError: 'missing'", last
    with pytest.raises(ga.UserCodeError, match="fails raised KeyError"):
        ga.check_inputs(ga.load_target("returns.py:fails"), {"x": 1.5})


# ---------------------------------------------------------------------------------------------------
# @file inputs obey the element limit of --at values, checked before reading.

def _npy_claiming(path, shape, data=b"\0" * 80):
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = shape
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(data)


def test_a_npy_header_claiming_1e9_elements_is_a_usage_error_before_any_allocation(tmp_path):
    _npy_claiming(tmp_path / "huge.npy", (10**9,))
    code, out, err = bounded_cli("render", "-e", "sum(x)", "--at", "x=@huge.npy", "-o", "-",
                                 memory_gib=1.5, timeout=60, cwd=tmp_path)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("Error: --at x: huge.npy holds an array of shape (1000000000,)")
    assert "1e+09 elements" in err and "MemoryError" not in err


def test_a_npy_file_shorter_than_its_header_is_refused_before_reading(tmp_path):
    _npy_claiming(tmp_path / "short.npy", (100,))
    with pytest.raises(ga.InputError, match="720 bytes shorter than its header says"):
        ga.parse_value(f"@{tmp_path / 'short.npy'}", name="x")


@pytest.mark.parametrize("suffix, row", [(".txt", "1 " * 1000), (".csv", ",".join(["1"] * 1000))])
def test_text_inputs_obey_the_element_limit(tmp_path, suffix, row):
    path = tmp_path / f"big{suffix}"
    path.write_text((row + "\n") * 10_001)
    code, out, err = bounded_cli("render", "-e", "sum(x)", "--at", f"x=@{path.name}", "-o", "-",
                                 memory_gib=1.5, timeout=60, cwd=tmp_path)
    assert code == 2, err
    assert f"big{suffix} holds more than 10000000 numbers" in err and err.count("\n") == 1
    np.save(tmp_path / "ok.npy", np.arange(6.0).reshape(2, 3))   # small files still load
    (tmp_path / "ok.csv").write_text("1,2,3\n4,5,6\n")
    assert ga.parse_value(f"@{tmp_path / 'ok.npy'}").shape == (2, 3)
    assert ga.parse_value(f"@{tmp_path / 'ok.csv'}").tolist() == [[1, 2, 3], [4, 5, 6]]


# ---------------------------------------------------------------------------------------------------
# Docs sources that are not trusted: both extensions can allow samples and expressions only.

def _hostile_page(marker):
    return f"""\
    Hostile
    =======

    .. autodiff-graph:: os:system
       :at: command='touch {marker}'

    .. autodiff-graph:: evil.py:f

    .. autodiff-graph:: sigmoid

    .. autodiff-graph::
       :expr: sin(x)
       :at: x=1
"""


def test_sphinx_setting_allows_only_samples_and_expressions(tmp_path):
    from test_sphinx import build, read
    marker = tmp_path / "ran"
    evil = "import pathlib\npathlib.Path(%r).write_text('imported')\ndef f(x=1.0):\n    return x\n" % str(marker)
    out, warnings = build(tmp_path, {"index": _hostile_page(marker)}, {"evil.py": evil},
                          conf="autodiff_graph_allow_code = False\n")
    assert not marker.exists()
    lines = [line for line in warnings.splitlines() if line.strip()]
    assert len(lines) == 2, warnings
    assert "index.rst:4:" in lines[0] and "'os:system' is a module target, which runs code" in lines[0]
    assert "index.rst:7:" in lines[1] and "evil.py:f' is a file target" in lines[1]
    assert len(read(out, "index").svgs) == 2   # the sample and the expression are drawn


def test_markdown_setting_allows_only_samples_and_expressions(tmp_path, monkeypatch):
    import markdown
    from graphviz_ad.markdown_ext import AutodiffGraphExtension
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
                                      "def f(x=1.0):\n    return x\n")
    monkeypatch.chdir(tmp_path)
    text = (f"```autodiff-graph\nos:system\n:at: command='touch {marker}'\n```\n\n"
            "```autodiff-graph\nevil.py:f\n```\n\n```autodiff-graph\nsigmoid\n```\n\n"
            "```autodiff-graph\n:expr: sin(x)\n:at: x=1\n```\n")
    page = markdown.markdown(text, extensions=[AutodiffGraphExtension(allow_code=False)])
    assert not marker.exists()
    assert page.count('class="autodiff-graph-error"') == 2 and page.count("runs code") == 2
    assert page.count('<svg class="autodiff-graph"') == 2


def test_load_target_refuses_code_targets_before_importing(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef f(x):\n    return x\n")
    for spec in (f"{tmp_path / 'evil.py'}:f", "os:system", "graphviz_ad_cli.main:main"):
        with pytest.raises(ga.TargetError, match="runs code"):
            ga.load_target(spec, allow_code=False)
    assert not marker.exists()
    assert ga.load_target("sigmoid", allow_code=False).kind == "sample"
    assert ga.load_target("sin(x)", expr=True, allow_code=False).kind == "expression"


# ---------------------------------------------------------------------------------------------------
# Library warnings reach users in their front end's style.

IGNORES = "import warnings\nwarnings.warn('imported with a warning')\n\ndef f(x=1.0, y=2.0):\n    return y * 2\n"


def test_cli_warnings_are_one_line_in_the_clis_style(tmp_path, monkeypatch):
    (tmp_path / "ignores.py").write_text(IGNORES)
    monkeypatch.chdir(tmp_path)
    for args in (["render", "ignores.py:f", "-o", "-"], ["diagnose", "-e", "sum(x*1e300)", "--at", "x=[1e10, 1e300]"],
                 ["paths", "ignores.py:f", "--wrt", "x"], ["check", "ignores.py:f"]):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        lines = result.stderr.splitlines()
        assert all(line.startswith(("Warning: ", "Wrote ")) for line in lines), result.stderr
        assert lines or args[0] == "diagnose"
    assert "Warning: imported with a warning" in run("render", "ignores.py:f", "-o", "-").stderr
    assert "Warning: f: output does not depend on input 'x'" in run("paths", "ignores.py:f", "--wrt", "x").stderr


def test_sphinx_users_get_library_warnings_as_sphinx_warnings_at_the_directive(tmp_path, capfd):
    from test_sphinx import build
    page = "Page\n====\n\nText.\n\n.. autodiff-graph:: ignores.py:f\n"
    out, warnings = build(tmp_path, {"index": page}, {"ignores.py": IGNORES})
    lines = [line for line in warnings.splitlines() if line.strip()]
    assert any("index.rst:6: WARNING: autodiff-graph ignores.py:f: f: output does not depend on input 'x'" in line
               for line in lines), warnings
    assert any("index.rst:6:" in line and "imported with a warning" in line for line in lines), warnings
    assert "GraphvizAdWarning" not in capfd.readouterr().err


def test_markdown_users_get_library_warnings_on_the_extensions_logger(tmp_path, monkeypatch, caplog):
    import markdown
    (tmp_path / "ignores.py").write_text(IGNORES)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level("WARNING", logger="mkdocs.extensions.graphviz_ad"):
        markdown.markdown("```autodiff-graph\nignores.py:f\n```\n", extensions=["graphviz_ad.markdown_ext"])
    messages = [r.getMessage() for r in caplog.records if r.name == "mkdocs.extensions.graphviz_ad"]
    assert "autodiff-graph ignores.py:f: f: output does not depend on input 'x'; its gradient is zero" in messages


# ---------------------------------------------------------------------------------------------------
# Files are never damaged.

SIDE_EFFECT = "import pathlib\npathlib.Path('imported').touch()\n\ndef f(x=1.0):\n    return x * 2\n"


def _special_files(folder):
    """name -> what, for the special files this machine lets us make in `folder`."""
    import socket
    os.mkfifo(folder / "fifo")
    made = {"fifo": "a FIFO", "folder": "a folder"}
    (folder / "folder").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("sock")   # relative: socket paths are short
        made["sock"] = "a socket"
    finally:
        sock.close()
    try:
        os.mknod(folder / "device", 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))
        made["device"] = "a character device"
    except (PermissionError, OSError):
        pass
    return made


def test_force_replaces_regular_files_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = _special_files(tmp_path)
    for name, what in made.items():
        before = os.stat(name).st_mode
        for args in (["render", "sigmoid", "-o", name, "--force"], ["render", "sigmoid", "-o", name],
                     ["diagnose", "sigmoid", "-o", name, "--force"]):
            assert_one_line_error(run(*args), 2, f"cannot write {name}: it is {what}", "regular files only")
        assert os.stat(name).st_mode == before
    (tmp_path / "link.svg").symlink_to(tmp_path / "fifo")
    assert_one_line_error(run("render", "sigmoid", "-o", "link.svg", "--force"), 2, "it is a FIFO")
    assert os.path.islink(tmp_path / "link.svg")


def test_the_overwrite_check_comes_before_the_target_is_imported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "side.py").write_text(SIDE_EFFECT)
    (tmp_path / "taken.svg").write_text("mine")
    for command in ("render", "diagnose", "check"):
        assert_one_line_error(run(command, "side.py:f", "-o", "taken.svg"), 1, "taken.svg already exists")
        assert not (tmp_path / "imported").exists(), command
    mkfifo = tmp_path / "pipe.svg"
    os.mkfifo(mkfifo)
    assert_one_line_error(run("render", "side.py:f", "-o", "pipe.svg", "--force"), 2, "it is a FIFO")
    assert not (tmp_path / "imported").exists()
    assert (tmp_path / "taken.svg").read_text() == "mine"


def test_a_long_valid_output_name_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "a" * 251 + ".svg"   # 255 characters, the most a file name may have
    result = run("render", "sigmoid", "-o", name)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / name).read_bytes().startswith(b"<?xml") and os.listdir(tmp_path) == [name]


def test_dash_o_dev_stdout_is_like_dash_o_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dash = run("render", "sigmoid", "-o", "-")
    stdout = run("render", "sigmoid", "-o", "/dev/stdout")
    assert stdout.exit_code == 0, stdout.stderr
    assert stdout.stdout_bytes == dash.stdout_bytes and stdout.stdout_bytes.startswith(b"<?xml")
    assert os.listdir(tmp_path) == []
    assert_one_line_error(run("diagnose", "sigmoid", "-o", "/dev/stdout"), 2, "would mix the drawing")


# ---------------------------------------------------------------------------------------------------
# PDF is deterministic through both engines, and stays a valid PDF.

def _assert_valid_xref(pdf):
    """Every offset in the cross-reference table points at its object, and startxref at the table."""
    start = int(re.search(rb"startxref\s+(\d+)", pdf)[1])
    assert pdf[start:start + 4] == b"xref"
    table = re.match(rb"xref\s+(\d+) (\d+)\s+", pdf[start:])
    first, count = int(table[1]), int(table[2])
    rows = re.findall(rb"(\d{10}) (\d{5}) ([nf])", pdf[start + table.end():])[:count]
    for k, (offset, _, used) in enumerate(rows):
        if used == b"n":
            assert re.match(rb"%d 0 obj" % (first + k), pdf[int(offset):]), k


@pytest.mark.parametrize("engine", [None, "pygraphviz"])
def test_pdf_bytes_are_identical_across_runs(engine):
    import time
    G = ga.trace_target("sigmoid")
    first = ga.render(G, None, "pdf", engine=engine)
    time.sleep(1.1)   # cairo stamps the time to the second
    second = ga.render(G, None, "pdf", engine=engine)
    assert first == second
    assert b"/CreationDate (D:19700101000000" in first
    _assert_valid_xref(first)


# ---------------------------------------------------------------------------------------------------
# Memory and time are bounded: a budget and an op limit, checked before the machine suffers.

HEAVY = """\
import numpy as np


def outer(x):
    return np.sum(np.outer(x, x))


def matmul_chain(W):
    y = W
    for _ in range(150):
        y = y @ W
    return np.sum(y)


def endless(x):
    while True:
        x = np.sin(x)


def big_chain(x):
    y = x
    for _ in range(10):
        y = y * x
    return np.sum(y)
"""


def stopped(tmp_path, *args, memory_gib=2.5, timeout=120):
    """`graphviz-ad render -q ARGS -o -` in a bounded child, next to heavy.py: its one error line (exit 1)."""
    (tmp_path / "heavy.py").write_text(HEAVY)
    code, out, err = bounded_cli("render", "-q", *args, "-o", "-", memory_gib=memory_gib, timeout=timeout,
                                 cwd=tmp_path)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (code, err)
    return lines[0]


def test_an_outer_of_two_30000_vectors_is_refused_at_once(tmp_path):
    line = stopped(tmp_path, "-e", "sum(outer(x,x))", "--at", "x=zeros(30000)", memory_gib=1.5, timeout=60)
    assert "'outer(x,x)' at column 5 makes 6.71 GiB" in line and "memory budget" in line, line


def test_an_outer_in_a_file_target_is_refused_before_numpy_makes_it(tmp_path):
    line = stopped(tmp_path, "heavy.py:outer", "--at", "x=zeros(30000)", memory_gib=1.5, timeout=60)
    assert "outer of (30000,) and (30000,) at heavy.py:5 makes 6.71 GiB" in line, line


def test_a_long_chain_on_a_big_array_stops_at_the_budget_naming_the_op_and_line(tmp_path):
    line = stopped(tmp_path, "-e", "sum(x*x*x*x*x*x*x*x*x*x)", "--at", "x=zeros(10**7)", "--max-memory", "1GiB")
    assert "makes 76.3 MiB" in line and "over its memory budget of 1 GiB" in line, line
    line = stopped(tmp_path, "heavy.py:matmul_chain", "--at", "W=eye(1000)", "--max-memory", "512MiB")
    assert "matmul of (1000, 1000) and (1000, 1000) at heavy.py:11 makes 7.63 MiB" in line, line
    assert "budget of 512 MiB" in line, line
    line = stopped(tmp_path, "heavy.py:big_chain", "--at", "x=zeros(10**7)", "--max-memory", "1GiB")
    assert "multiply at heavy.py:23 makes 76.3 MiB" in line, line


def test_an_endless_loop_stops_at_the_op_limit(tmp_path):
    line = stopped(tmp_path, "heavy.py:endless", "--at", "x=0.5", "--max-ops", "20000", memory_gib=2)
    assert "sin at heavy.py:17 is op number 20001" in line and "limit of 20000" in line, line


def test_the_default_limits_stop_an_endless_loop_within_the_memory_they_promise(tmp_path):
    line = stopped(tmp_path, "heavy.py:endless", "--at", "x=0.5", memory_gib=6, timeout=300)
    assert "sin at heavy.py:17 is op number" in line and "(an endless loop?)" in line, line


def test_library_limits_apply_to_trace_grad_and_check():
    def loop(x):
        for _ in range(1000):
            x = np.sin(x) * 1.5
        return x
    with ga.limits(ops=100):
        for run_it in (lambda: ga.trace(loop, 0.5), lambda: ga.grad(loop)(0.5), lambda: ga.check(loop, 0.5)):
            with pytest.raises(ga.BudgetError, match="over its limit of 100 recorded ops"):
                run_it()
    with ga.limits(memory="10MB"):
        with pytest.raises(ga.BudgetError, match=r"over its memory budget of 9.54 MiB"):
            ga.trace(lambda x: np.sum(x * 2.0 + 1.0), np.zeros(10**6))
        assert ga.trace(lambda x: np.sum(x * 2.0), np.zeros(1000)).number_of_nodes() == 4
    assert isinstance(ga.BudgetError("x"), ga.TraceError)
    with pytest.raises(ga.GraphvizAdError, match="memory size"):
        with ga.limits(memory="lots"):
            pass


def test_graph_arrays_are_shared_read_only_and_the_users_arrays_are_left_alone():
    W = np.arange(6.0).reshape(2, 3)      # a global of the user's, lifted into a constant
    seed = np.ones(3)

    def f(x):
        y = x * 1.0001
        t = np.tanh(y)
        return (W @ t) @ np.ones(2) * x + W[0]
    x = np.array([1.0, 2.0, 3.0])
    G = ga.trace(f, x, seed=seed)
    arrays = [d[key] for _, d in G.nodes(data=True) for key in ("value", "grad")] + \
             [d[key] for *_, d in G.edges(data=True) for key in ("local_factor", "grad_flow")]
    arrays = [a for a in arrays if isinstance(a, np.ndarray)]
    assert arrays and not any(a.flags.writeable for a in arrays)
    y = G.node_named("y")
    (u, v), = G.out_edges(y)
    assert G.edges[u, v]["grad_flow"] is G.nodes[y]["grad"]          # one array, not two
    assert W.flags.writeable and seed.flags.writeable and x.flags.writeable
    constant = next(d["value"] for _, d in G.nodes(data=True) if d["op"] == "const" and np.shape(d["value"]) == (2, 3))
    assert not np.shares_memory(constant, W)
    W[0, 0] = 100.0
    assert constant[0, 0] == 0.0
    G2 = ga.trace(f, x)
    assert G2.grad_of("x") == pytest.approx(ga.grad(lambda x: np.sum(f(x)))(x))


def test_gradients_too_small_to_square_still_give_gains():
    def chain(W):
        y = W
        for _ in range(150):
            y = y @ W
        return np.sum(y)
    G = ga.trace(chain, 0.001 * np.eye(20))   # values and gradients reach 1e-300 and below
    gains = [d["gain"] for *_, d in G.edges(data=True) if d["gain"] is not None]
    assert gains and all(np.isfinite(g) for g in gains)
    assert sorted(gains)[len(gains) // 2] == pytest.approx(1e-3, rel=0.01)
