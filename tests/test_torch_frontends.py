"""Torch models through every front end, unchanged: the command line, Markdown embedding, and the
interactive page in a real headless Chromium."""

import os
import pathlib
import shutil
import textwrap
import xml.etree.ElementTree as ET

import markdown
import numpy as np
import pytest
from click.testing import CliRunner

from torch_support import torch
from torch import nn

import graphviz_ad as ga
from graphviz_ad import style
from graphviz_ad.html import to_html
from graphviz_ad.markdown_ext import AutodiffGraphExtension
from graphviz_ad.torch import trace
from graphviz_ad_cli.main import main
from browser import Page, step_through

# Where to keep the screenshots for a person to look at (unset: they stay in the test's tmp dir).
SHOTS = pathlib.Path(os.environ["GRAPHVIZ_AD_SHOTS"]) if os.environ.get("GRAPHVIZ_AD_SHOTS") else None

MODEL = """\
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
x = torch.randn(5, 4)
labels = torch.tensor([0, 1, 2, 1, 0])


def make_loss():
    \"\"\"Cross-entropy of a small MLP.\"\"\"
    logits = model(x)
    return F.cross_entropy(logits, labels)


def sigmoid_chain(x):
    h = x
    for _ in range(20):
        h = torch.sigmoid(1.5 * h + 0.5)
    return h
"""


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    (tmp_path / "torch_model.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, prog_name="graphviz-ad")


@pytest.mark.needs_dot
def test_cli_renders_a_torch_target(model_file):
    result = run("render", "torch_model.py:make_loss", "-o", "loss.svg", "-q")
    assert result.exit_code == 0, result.output
    svg = (model_file / "loss.svg").read_text(encoding="utf-8")
    assert "model.0.weight" in svg and "logits" in svg
    result = run("render", "torch_model.py:make_loss", "-o", "loss.json", "-q", "--wrt", "model.2.bias")
    assert result.exit_code == 0, result.output
    G = ga.load_json(model_file / "loss.json")
    assert [G.nodes[n]["op"] for n in G.graph["inputs"]] == ["const", "const", "const", "input"]


def test_cli_diagnoses_a_torch_target_and_names_bad_input(model_file):
    result = run("diagnose", "torch_model.py:sigmoid_chain", "--at", "x=0.3")
    assert result.exit_code == 0, result.output
    assert "vanishing" in result.output and "torch_model.py:" in result.output
    result = run("render", "torch_model.py:make_loss", "--wrt", "model.7.weight", "-o", "x.svg")
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1].startswith("Error: --wrt model.7.weight: not a tensor argument")
    assert "Traceback" not in result.output


@pytest.mark.needs_dot
def test_markdown_embeds_a_torch_target(model_file):
    md = markdown.Markdown(extensions=["fenced_code", AutodiffGraphExtension(base_dir=str(model_file))])
    page = ET.fromstring("<page>" + md.convert(textwrap.dedent("""\
        ```autodiff-graph
        torch_model.py:make_loss
        ```
        """)) + "</page>")
    (svg,) = [e for e in page.iter() if e.tag == "{http://www.w3.org/2000/svg}svg"]
    assert svg.get("aria-label") == "Computation graph of make_loss: Cross-entropy of a small MLP."


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 6)
        self.fc2 = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return torch.sigmoid(self.fc2(h)).sum()


@pytest.mark.needs_dot
def test_interactive_page_on_a_torch_graph(browser, tmp_path):  # noqa: F811
    torch.manual_seed(0)
    G = trace(Block(), torch.randn(3, 6))
    report = ga.diagnose(G)
    path = tmp_path / "torch.html"
    path.write_text(to_html(G, highlight=report, formulas=True), encoding="utf-8")
    for size, shot in (((1280, 800), "torch-1280.png"), ((390, 844), "torch-390.png")):
        p = Page(browser, path, size=size)
        step_through(p, G)
        p.page.keyboard.press("0")
        weight = G.node_named("fc1.weight")
        p.page.click(f"#gad-n{weight}")
        assert "fc1.weight" in p.text(".gad-paths-body")
        p.page.hover(f"#gad-n{G.node_named('h')}")
        details = p.text(".gad-details-body")
        assert details.startswith("h [tanh] shape [3x6] float32") and "h = torch.tanh(self.fc1(x))" in details
        assert f"{style.fmt(G.nodes[G.node_named('h')]['grad'][-1, -1])}]] scope Block" in details   # its gradient, at the labels' precision
        p.page.screenshot(path=str(tmp_path / shot), full_page=True)
        shutil.copy(tmp_path / shot, SHOTS / shot) if SHOTS else None
        p.assert_clean()
    np.testing.assert_allclose(G.grad_of("fc2.bias"), G.nodes[G.node_named("fc2.bias")]["grad"])
