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


@pytest.mark.parametrize("command", [["paths", "nan_log"], ["diagnose", "nan_log"], ["check", "nan_log"],
                                     ["render", "nan_log", "--format", "json", "-o", "-"]])
def test_every_json_output_is_strict_with_one_nan_convention(command):
    result = run(*command, *(["--json"] if command[0] != "render" else []))
    assert result.exit_code in (0, 1), result.stderr
    data = strict_json(result.stdout)
    found = strings_in(data)
    assert found & NONFINITE, "the sample's NaN must show"
    assert not found & {"nan", "inf", "-inf"}, found & {"nan", "inf", "-inf"}
    assert not re.search(r"\bnull\b", result.stdout) or command[0] == "render"


def test_html_data_uses_the_same_convention():
    G = ga.trace(lambda x: np.log(x) * x, 0.0)
    page = ga.to_html(G)
    data = re.search(r'<script type="application/json" class="gad-data">(.*?)</script>', page, re.S)[1]
    factors = {e["f"] for e in strict_json(data)["edges"]} - {None}
    assert factors & NONFINITE and not factors & {"nan", "inf", "-inf"}, factors
