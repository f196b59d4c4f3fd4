"""The torch front end leaves the model as it found it, and says clearly what it cannot trace."""

import warnings

import numpy as np
import pytest

from torch_support import SmallCNN, torch
from torch import nn
from torch.nn import functional as F
from torch.nn.modules import module as nn_module

import graphviz_ad as ga
from graphviz_ad.torch import trace


def global_hooks():
    return (len(nn_module._global_forward_pre_hooks), len(nn_module._global_forward_hooks))


def test_model_state_is_restored_and_dropout_replays():
    torch.manual_seed(0)
    model = SmallCNN()
    model.fc.weight.requires_grad_(False)
    x, labels = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])
    hooks = global_hooks()
    rng = torch.get_rng_state()
    G = trace(model, x, labels)
    assert global_hooks() == hooks
    assert torch.equal(torch.get_rng_state(), rng)
    assert model.training and not model.fc.weight.requires_grad and model.conv.weight.requires_grad
    assert G.nodes[G.node_named("fc.weight")]["op"] == "const"   # frozen: a constant, no gradient
    assert G.grad_of("fc.weight") is None
    # The RNG was put back: the next forward pass draws the traced dropout mask.
    drop = next(n for n in G.nodes if G.nodes[n]["op"] == "dropout")
    seen = {}

    def keep(module, args, out):
        seen["out"] = out.detach().numpy()
    handle = model.drop.register_forward_hook(keep)
    try:
        assert float(model(x, labels).detach()) == pytest.approx(G.nodes[G.graph["output"]]["value"], rel=1e-6)
    finally:
        handle.remove()
    np.testing.assert_array_equal(seen["out"], G.nodes[drop]["value"])


class Fails(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        self.eval()
        torch.rand(5)                 # moves the RNG
        self.fc.weight.requires_grad_(False)
        raise ValueError("boom in forward")


def test_state_is_restored_when_the_model_raises():
    model, x = Fails(), torch.randn(2, 3)
    hooks, rng = global_hooks(), torch.get_rng_state()
    with pytest.raises(ValueError, match="boom"):
        trace(model, x)
    assert global_hooks() == hooks and torch.equal(torch.get_rng_state(), rng)
    assert model.training and model.fc.weight.requires_grad and torch.is_grad_enabled()
    x = torch.randn(2, 3)   # the mode is off again: plain torch runs untraced
    assert (x * 2).grad_fn is None


def test_closure_over_a_model_names_parameters_by_its_variable():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x, y = torch.randn(6, 3), torch.randn(6, 1)
    G = trace(lambda: F.mse_loss(model(x), y))
    assert [G.nodes[n]["name"] for n in G.graph["inputs"]] == [
        "model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]
    assert ("<lambda>", "model", "model.0") in {G.nodes[n]["scope"] for n in G.nodes}
    loss = F.mse_loss(model(x), y)
    for (name, p), g in zip(model.named_parameters(), torch.autograd.grad(loss, list(model.parameters()))):
        np.testing.assert_allclose(G.grad_of(f"model.{name}"), g.numpy(), rtol=1e-5, atol=1e-7)
    G2 = trace(lambda: F.mse_loss(model(x), y), wrt=["model.2.weight"])
    assert [G2.nodes[n]["op"] for n in G2.graph["inputs"]] == ["const", "const", "input", "const"]
    with pytest.raises(ga.GraphvizAdError, match="wrt model.9.weight: not a tensor argument or parameter"):
        trace(lambda: F.mse_loss(model(x), y), wrt=["model.9.weight"])


def reference_grads(fn, *args):
    return [g.numpy() for g in torch.autograd.grad(fn(*args), args)]


def in_place(x, W):
    h = x @ W
    h += 1
    h[0] = 2.0
    h[1, :2] = x[1, :2] * 3
    h.relu_()
    return (h * h).sum()


def test_in_place_ops_are_new_values_of_the_same_variable():
    torch.manual_seed(2)
    x, W = torch.randn(4, 3, requires_grad=True), torch.randn(3, 3, requires_grad=True)
    G = trace(in_place, x, W)
    for name, g in zip(("x", "W"), reference_grads(in_place, x, W)):
        np.testing.assert_allclose(G.grad_of(name), g, rtol=1e-6, atol=1e-7)
    ops = [(G.nodes[n]["op"], G.nodes[n]["name"]) for n in G.nodes if G.nodes[n]["op"] not in ("input", "const")]
    assert ops == [("matmul", "h"), ("add", "h"), ("setitem", "h"), ("getitem", "x[i]"), ("multiply", "x[i]*3"),
                   ("setitem", "h"), ("relu", "h"), ("multiply", "h*h"), ("sum", "sum(h*h)")]
    # Each version keeps the value it had: the one before relu_ still has its negative entries.
    before = [n for n in G.nodes if G.nodes[n]["op"] == "setitem"][-1]
    assert np.any(G.nodes[before]["value"] < 0) and np.all(G.nodes[G.node_named("h")]["value"] == G.nodes[2]["value"])


def views_and_tuples(x):
    m, idx = torch.max(x, dim=1)
    a, b = torch.split(x, [1, 2], dim=1)
    v = x.view(-1)
    t = x.T
    return m.sum() + (a * b[:, :1]).sum() + v[3] * 2 + t[0].sum()


def test_views_and_tuple_returning_ops():
    torch.manual_seed(3)
    x = torch.randn(4, 3, requires_grad=True)
    G = trace(views_and_tuples, x)
    np.testing.assert_allclose(G.grad_of("x"), reference_grads(views_and_tuples, x)[0], rtol=1e-6)
    assert {"m", "a", "b", "v", "t"} <= {G.nodes[n]["name"] for n in G.nodes}
    assert G.nodes[G.node_named("m")]["params"] == {"dim": 1}
    # x's gradient is the sum of what flows out of it, edge by edge.
    x_node = G.node_named("x")
    total = sum(G.edges[e]["grad_flow"] for e in G.out_edges(x_node))
    np.testing.assert_allclose(total, G.grad_of("x"), rtol=1e-6)


@pytest.mark.parametrize("dtype, numpy_dtype", [(torch.float16, np.float16), (torch.bfloat16, np.float32)])
def test_half_precision_values_keep_their_dtype(dtype, numpy_dtype):
    x = torch.tensor([0.5, -1.25, 3.0], dtype=dtype, requires_grad=True)
    G = trace(lambda x: torch.sigmoid(x * 2).sum(), x)
    d = G.nodes[G.node_named("x")]
    assert d["dtype"] == str(dtype).removeprefix("torch.") and d["value"].dtype == numpy_dtype
    (g,) = torch.autograd.grad(torch.sigmoid(x * 2).sum(), [x])
    np.testing.assert_array_equal(G.grad_of("x"), g.float().numpy().astype(numpy_dtype))
    assert G.nodes[G.graph["output"]]["dtype"] == str(dtype).removeprefix("torch.")
    assert ga.to_dot(G)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def test_a_custom_autograd_function_is_one_node_with_its_own_vjp():
    x = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    G = trace(lambda x: Square.apply(x * 3).sum(), x)
    np.testing.assert_allclose(G.grad_of("x"), (18 * x).detach().numpy())
    assert "Square" in {G.nodes[n]["op"] for n in G.nodes}


def test_no_grad_region_is_named_with_its_lines():
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    def cut(x):
        with torch.no_grad():
            s = x * 2
        return (s * x).sum()
    with pytest.warns(ga.GraphvizAdWarning, match=r"torch.no_grad\(\) \(at test_torch_inputs.py:\d+\) is used at "
                                                  r"test_torch_inputs.py:\d+: .*no gradient flows back"):
        G = trace(cut, x)
    np.testing.assert_allclose(G.grad_of("x"), [2.0, 4.0])   # torch's own answer: s is a constant


def test_op_without_autograd_is_one_clear_error():
    @torch.library.custom_op("graphviz_ad_test::no_grad_sin", mutates_args=())
    def no_grad_sin(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x.detach()).clone()

    def f(x):
        return no_grad_sin(x * 2).sum()
    with pytest.raises(ga.TraceError, match=r"no_grad_sin.* at test_torch_inputs.py:\d+: torch cannot differentiate "
                                            r"it .*no gradient reaches its operands"):
        trace(f, torch.randn(3, requires_grad=True))


def test_compiled_code_is_traced_eagerly_and_said_so():
    compiled = torch.compile(lambda x: torch.sin(x).sum())
    x = torch.tensor([0.3, 0.7], requires_grad=True)
    with pytest.warns(ga.GraphvizAdWarning, match="torch.compile'd: it is traced as eager code"):
        G = trace(compiled, x)
    np.testing.assert_allclose(G.grad_of("x"), np.cos([0.3, 0.7]), rtol=1e-6)


def test_bad_calls_are_one_line_errors():
    x = torch.randn(3, requires_grad=True)
    with pytest.raises(ga.GradError, match="returned a tuple"):
        trace(lambda x: (x.sum(), x.sum()), x)
    with pytest.raises(ga.GradError, match=r"seed has shape \(2,\)"):
        trace(lambda x: x * 2, x, seed=torch.ones(2))
    with pytest.raises(ga.GraphvizAdError, match="unexpected keyword"):
        trace(lambda x: x.sum(), x, y=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ga.GraphvizAdWarning, match="output does not depend on"):
            trace(lambda x: torch.ones(2).sum(), x)


def test_large_tensors_are_kept_as_summaries_everywhere(monkeypatch, tmp_path):
    from graphviz_ad.summary import Summary
    from graphviz_ad.torch import values

    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 2))
    x = torch.randn(8, 20)
    full = trace(model, x)
    monkeypatch.setattr(values, "SUMMARY_ABOVE", 100)
    G = trace(model, x)
    w = G.nodes[G.node_named("0.weight")]
    assert isinstance(w["value"], Summary) and isinstance(w["grad"], Summary)
    assert w["value"].shape == (30, 20) and w["value"].dtype == "float32"
    assert w["value"].norm == pytest.approx(float(model[0].weight.detach().norm()), rel=1e-6)
    assert w["grad"].norm == pytest.approx(float(np.linalg.norm(full.grad_of("0.weight"))), rel=1e-6)
    assert not isinstance(G.nodes[G.node_named("0.bias")]["value"], Summary)   # 30 elements: kept whole
    hidden = G.nodes[G.node_named("0")]   # 8x30 = 240 elements
    assert isinstance(hidden["value"], Summary)
    assert hidden["value"].low == pytest.approx(float(full.nodes[full.node_named("0")]["value"].min()))
    # Labels read the same as for the whole arrays; the debugger's figures are the same.
    assert ga.style.summary(hidden["grad"]) == ga.style.summary(full.nodes[full.node_named("0")]["grad"])
    rows, full_rows = ga.diagnose(G).flow, ga.diagnose(full).flow
    for r, f in zip(rows, full_rows):
        assert r["tensor"] == f["tensor"] and r["size"] == f["size"]
        assert r["grad_rms"] == pytest.approx(f["grad_rms"], rel=1e-5)
        assert r["grad_max"] == pytest.approx(f["grad_max"], rel=1e-5)
    svg = ga.render(G, str(tmp_path / "summary.svg"))
    assert "0.weight" in open(svg, encoding="utf-8").read()
    assert "kept as a summary" in ga.to_html(G)
    ga.paths(G, "0.weight")
    back = ga.load_json(ga.render(G, str(tmp_path / "g.json")))
    assert back.nodes[G.node_named("0.weight")]["value"] == w["value"]


def changes_through_a_view(x):
    h = x * 2
    v = h[0]
    v.mul_(3)
    return h.sum()


def test_a_change_through_a_view_is_an_error_not_a_wrong_gradient():
    x = torch.randn(3, 3, requires_grad=True)
    with pytest.raises(ga.TraceError, match=r"the result of multiply at test_torch_inputs.py:\d+ was changed in place "
                                            r"through a view before it is used at test_torch_inputs.py:\d+"):
        trace(changes_through_a_view, x)
