"""graphviz-ad installed from its wheel (not an editable checkout) draws the same graph as the checkout.

A wheel puts the bundled samples inside the installed package's folder, next to graphviz_ad's own
machinery; only the machinery's frames may be skipped as library code, so the samples keep their
variable names, their scopes and their source lines. An editable install cannot show that: this test
builds the wheel, installs it into a fresh virtual environment and runs the installed command there.
It is never skipped: a machine that cannot build or install the package is a broken machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args, timeout, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv holding graphviz-ad installed from a wheel built from this checkout; its bin folder."""
    work = tmp_path_factory.mktemp("installed")
    wheels = work / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], 300)
    (wheel,) = wheels.glob("graphviz_ad-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], 120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], 600)
    located = _run([str(bin_dir / "python"), "-c", "import graphviz_ad.samples as s; print(s.__file__)"],
                   60, cwd=work).stdout.strip()
    assert "site-packages" in located and not located.startswith(str(ROOT)), located   # not the checkout
    return bin_dir, work


def _command(installed, *args):
    bin_dir, work = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return _run([str(bin_dir / "graphviz-ad"), *args], 120, cwd=work, env=env).stdout


def test_an_installed_sample_keeps_its_names_scopes_and_lines(installed):
    graph = json.loads(_command(installed, "render", "two_paths", "--format", "json", "-o", "-"))
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert {"x", "u", "v", "z"} <= set(nodes), sorted(nodes)
    assert nodes["u"]["source"] == "two_paths.py:6" and nodes["u"]["code"] == "u = np.sin(x)"
    assert nodes["z"]["source"] == "two_paths.py:8"
    assert {tuple(n["scope"]) for n in graph["nodes"]} == {("two_paths",)}   # no cluster named after a caller


def test_an_installed_sample_draws_its_variables_in_dot(installed):
    dot = _command(installed, "render", "two_paths", "--format", "dot", "-o", "-")
    assert "u^2" in dot and "sin(x)^2" not in dot
    assert "subgraph cluster_s" not in dot and "trace_graph" not in dot   # no scope box named after a caller


def test_installed_debugging_commands_point_at_the_sample(installed):
    assert "u^2" in _command(installed, "paths", "two_paths", "--wrt", "x")
    report = _command(installed, "diagnose", "nan_log")
    assert "nan_log.py:7" in report and "common.py" not in report
