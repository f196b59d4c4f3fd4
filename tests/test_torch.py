"""The torch front end: every gradient against torch's own autograd, edge factors against finite
differences, the numpy and torch versions of one function giving one graph, and the debugger and
renderer working on torch graphs unchanged."""

import subprocess
import sys

import numpy as np
import pytest

from torch_support import (Encoder, Recurrent, SmallCNN, assert_every_gradient_matches, net_221,
                           residual_chain20, sigmoid_chain20, tensors, torch)
from torch import nn
from torch.nn import functional as F

import graphviz_ad as ga
from graphviz_ad import samples
from graphviz_ad.torch import trace


# ---- the optional dependency ---------------------------------------------------------------------

def test_importing_graphviz_ad_does_not_import_torch():
    code = "import sys, graphviz_ad, graphviz_ad.dot, graphviz_ad.html; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_without_torch_the_front_end_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import graphviz_ad.torch\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install graphviz-ad[torch]" in out.stdout


# ---- small scalar models: against the numpy tracer, by hand, and finite differences --------------

def net_inputs():
    s = samples.load("net_221")
    return s, tensors(s.inputs, s.wrt)


def test_221_net_gradients_match_backprop_by_hand_and_autograd():
    s, args = net_inputs()
    G = trace(net_221, **args)
    loss = net_221(**args)
    grads = torch.autograd.grad(loss, [args[k] for k in s.wrt])
    for k, g in zip(s.wrt, grads):
        assert G.grad_of(k) == pytest.approx(s.expected_grad[k], rel=1e-12)
        assert G.grad_of(k) == pytest.approx(float(g), rel=1e-12)
    assert G.graph["wrt"] == list(s.wrt) and G.graph["seed_rule"] == "scalar"
    assert [G.nodes[n]["op"] for n in G.graph["inputs"]] == ["input"] * 6 + ["const"] * 3


def same_graph(Gn, Gt):
    """Node by node and edge by edge, the numpy and the torch graph say the same (op names aside)."""
    assert list(Gn.nodes) == list(Gt.nodes) and set(Gn.edges) == set(Gt.edges)
    for n in Gn.nodes:
        a, b = Gn.nodes[n], Gt.nodes[n]
        for key in ("name", "display", "shape", "requires_grad", "scope", "params"):
            assert a[key] == b[key], (n, key, a[key], b[key])
        for key in ("value", "grad"):
            if a[key] is None:
                assert b[key] is None, (n, key)
            else:
                np.testing.assert_allclose(b[key], a[key], rtol=1e-9, atol=1e-14, err_msg=f"{n} {key}")
    for e in Gn.edges:
        a, b = Gn.edges[e], Gt.edges[e]
        assert a["argnum"] == b["argnum"] and a["formula"] == b["formula"], (e, a, b)
        for key in ("local_factor", "gain", "grad_flow"):
            if a[key] is None:
                assert b[key] is None, (e, key)
            else:
                np.testing.assert_allclose(b[key], a[key], rtol=1e-9, atol=1e-14, err_msg=f"{e} {key}")
    for key in ("inputs", "output", "wrt", "seed", "seed_rule"):
        assert Gn.graph[key] == Gt.graph[key], key


@pytest.mark.parametrize("name, torch_fn", [("net_221", net_221), ("sigmoid_chain20", sigmoid_chain20),
                                             ("residual_chain20", residual_chain20)])
def test_numpy_and_torch_versions_give_the_same_graph(name, torch_fn):
    s = samples.load(name)
    Gn = ga.trace(s.fun, wrt=s.wrt, **s.inputs)
    Gt = trace(torch_fn, **tensors(s.inputs, s.wrt))
    same_graph(Gn, Gt)
    ops = {Gn.nodes[n]["op"]: Gt.nodes[n]["op"] for n in Gn.nodes}
    assert all(a == b for a, b in ops.items()), ops   # here even the op names agree


def _torch_op(op):
    return {"multiply": torch.mul, "add": torch.add, "subtract": torch.sub, "power": torch.pow,
            "sigmoid": torch.sigmoid, "exp": torch.exp, "tanh": torch.tanh, "sin": torch.sin}[op]


@pytest.mark.parametrize("name, torch_fn", [("net_221", net_221), ("sigmoid_chain20", sigmoid_chain20)])
def test_edge_factors_match_finite_differences(name, torch_fn):
    s = samples.load(name)
    G = trace(torch_fn, **tensors(s.inputs, s.wrt))
    checked = 0
    for u, v, e in G.edges(data=True):
        if e["local_factor"] is None:
            continue
        d = G.nodes[v]
        operands = sorted(G.in_edges(v, data=True), key=lambda t: t[2]["argnum"])
        values = [torch.tensor(G.nodes[p]["value"], dtype=torch.float64) for p, _, _ in operands]
        k = e["argnum"]
        eps = 1e-6

        def at(delta):
            moved = [x + delta if i == k else x for i, x in enumerate(values)]
            return float(_torch_op(d["op"])(*moved))
        fd = (at(eps) - at(-eps)) / (2 * eps)
        assert e["local_factor"] == pytest.approx(fd, rel=1e-6, abs=1e-9), (u, v, d["op"])
        assert e["gain"] == pytest.approx(abs(fd), rel=1e-6, abs=1e-9)
        checked += 1
    assert checked >= 10


def test_input_gradients_match_finite_differences():
    s, args = net_inputs()
    G = trace(net_221, **args)
    eps = 1e-6
    for k in s.wrt:
        def at(delta):
            moved = dict(args)
            moved[k] = (args[k] + delta).detach()
            return float(net_221(**moved).detach())
        assert G.grad_of(k) == pytest.approx((at(eps) - at(-eps)) / (2 * eps), rel=1e-6)


# ---- the debugger finds the same things -------------------------------------------------------------

def _findings(G):
    return [(f.kind, f.message, f.nodes, f.edges, f.source.split(":")[-1]) for f in ga.diagnose(G).findings]


@pytest.mark.parametrize("name, torch_fn", [("sigmoid_chain20", sigmoid_chain20),
                                             ("residual_chain20", residual_chain20)])
def test_diagnose_finds_the_vanishing_gradient_as_for_numpy(name, torch_fn):
    s = samples.load(name)
    Gn = ga.trace(s.fun, wrt=s.wrt, **s.inputs)
    Gt = trace(torch_fn, **tensors(s.inputs, s.wrt))
    kinds = [f.kind for f in ga.diagnose(Gt).findings]
    assert ("vanishing" in kinds) == (name == "sigmoid_chain20")
    # Same findings, on the same nodes and edges; the lines differ only by the file they are in.
    assert [f[:4] for f in _findings(Gt)] == [f[:4] for f in _findings(Gn)]


# ---- nn models: every node's gradient against torch autograd -------------------------------------

def test_sequential_mlp():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    x = torch.randn(8, 6)
    G = trace(model, x, seed=torch.ones(8, 3))
    assert G.graph["seed_rule"] == "given"
    names = [G.nodes[n]["name"] for n in G.graph["inputs"]]
    assert names == ["input", "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    loss = model(x).sum()
    for (pname, p), g in zip(model.named_parameters(), torch.autograd.grad(loss, list(model.parameters()))):
        np.testing.assert_allclose(G.grad_of(pname), g.numpy(), rtol=1e-5, atol=1e-6)
    ops = [G.nodes[n]["op"] for n in G.nodes if n not in G.graph["inputs"]]
    assert ops == ["linear", "tanh", "linear", "relu", "linear"]
    assert [G.nodes[n]["scope"] for n in G.nodes if n not in G.graph["inputs"]][0] == ("Sequential", "0")


class MLPLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, x, labels):
        logits = self.net(x)
        return F.cross_entropy(logits, labels)


def test_mlp_every_node():
    torch.manual_seed(1)
    model = MLPLoss()
    x, labels = torch.randn(16, 10), torch.randint(0, 4, (16,))
    G = trace(model, x, labels)
    assert assert_every_gradient_matches(G, model, x, labels) == 6


def test_cnn_with_batchnorm_and_dropout_every_node():
    torch.manual_seed(2)
    model = SmallCNN()
    x, labels = torch.randn(5, 1, 8, 8), torch.randint(0, 3, (5,))
    running = model.bn.running_mean.clone()
    G = trace(model, x, labels)
    # The RNG is put back, so the reference pass draws the same dropout mask as the traced one.
    assert assert_every_gradient_matches(G, model, x, labels) >= 6
    ops = {G.nodes[n]["op"] for n in G.nodes}
    assert {"conv2d", "batch_norm", "relu", "dropout", "linear", "cross_entropy"} <= ops
    drop = next(n for n in G.nodes if G.nodes[n]["op"] == "dropout")
    (u, _, e), = G.in_edges(drop, data=True)
    kept = G.nodes[drop]["value"] != 0
    np.testing.assert_allclose(e["local_factor"][kept], 1 / 0.7, rtol=1e-6)
    dropped = np.isclose(e["local_factor"], 0)
    assert np.all(dropped | np.isclose(e["local_factor"], 1 / 0.7)) and 0.1 < dropped.mean() < 0.5
    assert not torch.equal(running, model.bn.running_mean)   # the traced pass was a real training step


def test_transformer_encoder_layer_every_node():
    torch.manual_seed(3)
    model = Encoder()
    src = torch.randn(5, 2, 16)
    G = trace(model, src)
    assert assert_every_gradient_matches(G, model, src, rtol=1e-4, atol=1e-6) >= 10
    scopes = {G.nodes[n]["scope"] for n in G.nodes}
    assert ("Encoder", "layer", "layer.self_attn") in scopes
    assert G.grad_of("layer.self_attn.in_proj_weight").shape == (48, 16)


def test_lstm_every_node():
    torch.manual_seed(4)
    model = Recurrent()
    x = torch.randn(7, 3, 3, requires_grad=True)
    G = trace(model, x)
    assert assert_every_gradient_matches(G, model, x) >= 4
    loss = model(x)
    (gx,) = torch.autograd.grad(loss, [x])
    np.testing.assert_allclose(G.grad_of("x"), gx.numpy(), rtol=1e-5, atol=1e-7)
    lstm = [n for n in G.nodes if G.nodes[n]["op"] == "lstm"]
    assert len(lstm) == 2   # the output sequence and c; h is unused
    assert {G.nodes[n]["shape"] for n in lstm} == {(7, 3, 5), (2, 3, 5)}


# ---- rendering and the debugger on torch graphs ------------------------------------------------

def test_render_svg_with_dot_and_diagnose(tmp_path):
    torch.manual_seed(5)
    model = MLPLoss()
    G = trace(model, torch.randn(4, 10), torch.tensor([0, 1, 2, 3]))
    svg = ga.render(G, str(tmp_path / "mlp.svg"))
    text = open(svg, encoding="utf-8").read()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "net.0" in text
    again = ga.render(trace(model, torch.randn(4, 10), torch.tensor([0, 1, 2, 3])), str(tmp_path / "b.svg"))
    assert ga.to_dot(G) != "" and open(again, encoding="utf-8").read() != ""
    report = ga.diagnose(G)
    assert report.flow and str(report)
    assert ga.to_dot(G, highlight=report)


def test_same_call_gives_byte_identical_output(tmp_path):
    torch.manual_seed(6)
    model = MLPLoss()
    x, labels = torch.randn(4, 10), torch.tensor([0, 1, 2, 3])
    first = ga.to_dot(trace(model, x, labels))
    assert ga.to_dot(trace(model, x, labels)) == first
