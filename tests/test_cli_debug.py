"""graphviz-ad diagnose / check / paths: tables, JSON, exit statuses for CI, and the highlighted drawing."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from graphviz_ad_cli.main import main

SVG = "{http://www.w3.org/2000/svg}"


def run(*args):
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------------------------------------------
# diagnose

def test_diagnose_prints_the_findings_table_and_exits_0_without_fail_on():
    result = run("diagnose", "sigmoid_chain20")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["level", "kind", "where", "finding"]
    assert any(line.startswith("warning  vanishing") and "sigmoid_chain20.py:6" in line for line in lines)
    assert "gradient flow by scope:" in result.stdout


@pytest.mark.parametrize("sample, fail_on, code", [
    ("nan_log", "nan", 1), ("nan_log", "dead", 0), ("relu_dead", "dead", 1), ("relu_dead", "any", 1),
    ("exploding_chain", "exploding", 1), ("sigmoid_chain20", "vanishing", 1),
    ("healthy_tanh_mlp", "any", 0), ("residual_net", "any", 0)])
def test_fail_on_guards_ci(sample, fail_on, code):
    result = run("diagnose", sample, "--fail-on", fail_on, "-q")
    assert result.exit_code == code, result.stdout + result.stderr
    assert ("--fail-on" in result.stderr) is False    # -q: no status line
    loud = run("diagnose", sample, "--fail-on", fail_on)
    assert ("Failing: found" in loud.stderr) == bool(code)


def test_diagnose_json_is_strict_and_names_the_origin_line():
    result = run("diagnose", "nan_log", "--json", "--fail-on", "nan")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    first = data["findings"][0]
    assert first["kind"] == "nan" and first["source"] == "nan_log.py:7" and first["figures"]["in"] == "value"
    assert data["failed_on"] == ["nan"]
    assert {r["tensor"] for r in data["gradient_flow"]} >= {"x"}


def test_thresholds_from_the_command_line():
    assert "exploding" not in run("diagnose", "exploding_chain", "--exploding", "1e12").stdout.split()
    assert run("diagnose", "relu_dead", "--dead-fraction", "0.8", "--fail-on", "dead").exit_code == 0
    bad = run("diagnose", "relu_dead", "--vanishing", "-1")
    assert bad.exit_code == 2 and "must be a positive number" in bad.stderr


def test_diagnose_on_an_expression():
    result = run("diagnose", "-e", "tanh(x) * 2", "--at", "x=4", "--fail-on", "saturated")
    assert result.exit_code == 1 and "saturated" in result.stdout


def test_diagnose_draws_the_marks(tmp_path):
    out = tmp_path / "nan.svg"
    result = run("diagnose", "nan_log", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    root = ET.parse(out).getroot()
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in root.iter(f"{SVG}a")]
    assert titles and any("mark nan_origin" in tip and "[log]" in tip for tip in tips)
    assert f"Wrote {out}" in result.stderr
    again = run("diagnose", "nan_log", "-o", str(out))
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run("diagnose", "nan_log", "-o", "-").exit_code == 2


# ---------------------------------------------------------------------------------------------------
# check

def test_check_names_the_wrong_primitive_and_fails():
    result = run("check", "wrong_derivative")
    assert result.exit_code == 1
    assert "op smooth_abs" in result.stdout and "WRONG" in result.stdout
    assert "wrong_derivative.py:14" in result.stdout and "gradient check FAILED" in result.stdout


def test_check_passes_on_a_correct_gradient_and_emits_json():
    result = run("check", "healthy_tanh_mlp", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and len(data["inputs"]) == 5


def test_check_marks_the_wrong_edge(tmp_path):
    out = tmp_path / "wrong.svg"
    assert run("check", "wrong_derivative", "-o", str(out)).exit_code == 1
    tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in ET.parse(out).getroot().iter(f"{SVG}a")]
    assert any("mark wrong_derivative" in tip for tip in tips)


def test_check_rejects_an_unknown_wrt():
    result = run("check", "two_paths", "--wrt", "nope")
    assert result.exit_code == 2 and "has no argument 'nope'" in result.stderr


# ---------------------------------------------------------------------------------------------------
# paths

def test_paths_shows_two_cancelling_paths():
    result = run("paths", "two_paths", "--wrt", "x")
    assert result.exit_code == 0, result.stderr
    assert "2 paths" in result.stdout and "sum over all paths: 0" in result.stdout
    assert "x -> u -> u^2 -> z" in result.stdout and "x -> v -> v^2 -> z" in result.stdout


def test_paths_with_a_limit_and_json_on_an_expression():
    result = run("paths", "-e", "sin(x)**2 + cos(x)**2", "--at", "x=0.7", "--limit", "1", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["count"] == 2 and not data["complete"] and len(data["paths"]) == 1


def test_paths_picks_a_part_of_a_structured_argument():
    result = run("paths", "healthy_tanh_mlp", "--wrt", "params['W3']")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("d out/d params['W3']: 1 path")


@pytest.mark.parametrize("args, message", [
    (("paths", "healthy_tanh_mlp"), "say which input with --wrt"),
    (("paths", "healthy_tanh_mlp", "--wrt", "params"), "not an input of the graph"),
    (("paths", "two_paths", "--wrt", "x", "--wrt", "y"), "give one --wrt"),
    (("paths", "two_paths", "--limit", "0"), "0"),
])
def test_paths_usage_errors_are_one_line(args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
