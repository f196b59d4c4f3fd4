"""The PyTorch front end: what tracing costs against torch's own forward + backward, and how it
compares with torchviz, torchview and torchlens, as ratios measured in the same run.

    python benchmarks/bench_torch.py            # full sizes
    python benchmarks/bench_torch.py --quick    # smaller, for a smoke run

1. `graphviz_ad.torch.trace` on a 784-256-256-10 ReLU MLP (batch 64, cross-entropy) and on one
   nn.TransformerEncoderLayer, against the bare forward pass + `torch.autograd.grad` over every
   parameter on the same model (target: <= 3x). Both run on one CPU thread, so the ratio measures the
   work, not how a busy machine shares its cores.
2. Time from the model to an SVG file (real `dot`) for graphviz-ad and for each of torchviz,
   torchview and torchlens that is installed, with what each picture shows.
3. Memory: a ResNet-sized convolution stack (batch 8 at 112x112, 64 channels), whose activations are
   kept as summaries above `graphviz_ad.torch.values.SUMMARY_ABOVE` elements: the bytes the graph holds
   against the bytes of every value, gradient and flow kept whole.
"""

import argparse
import math
import os
import tempfile
import warnings

import torch
from torch import nn
from torch.nn import functional as F

import graphviz_ad as ga
from graphviz_ad.torch import trace
from timing import best_of


def mlp_case(batch):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x, labels = torch.randn(batch, 784), torch.randint(0, 10, (batch,))
    return "MLP 784-256-256-10", model, (x,), lambda out: F.cross_entropy(out, labels)


def transformer_case(seq, batch, d_model):
    torch.manual_seed(0)
    model = nn.TransformerEncoderLayer(d_model, nhead=8, dim_feedforward=4 * d_model, dropout=0.1)
    src = torch.randn(seq, batch, d_model)
    return f"TransformerEncoderLayer d={d_model}", model, (src,), lambda out: (out ** 2).mean()


def trace_cost(case, repeat):
    name, model, inputs, loss_of = case
    params = [p for p in model.parameters() if p.requires_grad]

    def loss():
        return loss_of(model(*inputs))

    def bare():
        torch.autograd.grad(loss(), params)

    bare(), trace(loss)   # warm up both paths
    # Interleaved, best of each: a busy spell on a shared machine then slows both sides alike.
    t_bare = t_trace = math.inf
    for _ in range(repeat):
        t_bare = min(t_bare, best_of(bare, 3))
        t_trace = min(t_trace, best_of(lambda: trace(loss), 3))
    G = trace(loss)
    print(f"  {name}: {G.number_of_nodes()} nodes; forward+backward {t_bare * 1e3:.2f} ms, "
          f"trace {t_trace * 1e3:.2f} ms: {t_trace / t_bare:.2f}x (target <= 3x)")
    return t_trace / t_bare


# ---- time to an SVG ----------------------------------------------------------------------------

def svg_graphviz_ad(model, inputs, loss_of, out):
    G = trace(lambda: loss_of(model(*inputs)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # over the render budget: drawn collapsed, which is the point
        ga.render(G, out + ".svg")


def svg_torchviz(model, inputs, loss_of, out):
    import torchviz
    loss = loss_of(model(*inputs))
    torchviz.make_dot(loss, params=dict(model.named_parameters())).render(out, format="svg", cleanup=True)


def svg_torchview(model, inputs, loss_of, out):
    import torchview
    graph = torchview.draw_graph(model, input_data=list(inputs), depth=3)
    graph.visual_graph.render(out, format="svg", cleanup=True)


def svg_torchlens(model, inputs, loss_of, out):
    import torchlens
    log = torchlens.trace(model, list(inputs))
    log.draw(vis_outpath=out, vis_fileformat="svg", vis_save_only=True)


TOOLS = {
    # name: (draw, values, gradients, factors) -- what the picture itself shows
    "graphviz-ad": (svg_graphviz_ad, "yes (every node)", "yes (signed, every node)", "yes (every edge)"),
    "torchviz": (svg_torchviz, "no (autograd nodes, shapes)", "no", "no"),
    "torchview": (svg_torchview, "no (shapes; runs under no_grad)", "no", "no"),
    "torchlens": (svg_torchlens, "no (shapes; saved separately)", "opt-in overlay, no colour", "no"),
}


def time_to_svg(case, repeat, workdir):
    name, model, inputs, loss_of = case
    print(f"  {name}:")
    baseline = None
    rows = []
    for tool, (draw, *_shows) in TOOLS.items():
        out = os.path.join(workdir, f"{tool}-{len(rows)}")
        try:
            draw(model, inputs, loss_of, out)   # warm up (imports, first layout)
            t = best_of(lambda: draw(model, inputs, loss_of, out), repeat)
        except ImportError:
            rows.append((tool, None, "not installed"))
            continue
        except Exception as e:   # a tool that fails on this model is reported, not hidden
            rows.append((tool, None, f"failed: {type(e).__name__}: {str(e).splitlines()[0][:80]}"))
            continue
        baseline = baseline or t
        rows.append((tool, t, ""))
    for tool, t, note in rows:
        if t is None:
            print(f"    {tool:<12} {note}")
        else:
            print(f"    {tool:<12} {t * 1e3:8.1f} ms  {t / baseline:5.2f}x graphviz-ad")


def conv_stack(batch, size, channels, blocks):
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, channels, 3, padding=1)]
    for _ in range(blocks):
        layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1)]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10))
    x, labels = torch.randn(batch, 3, size, size), torch.randint(0, 10, (batch,))
    return model, x, labels


def held_bytes(G):
    """Bytes of the arrays the graph holds, and what they would be with every array kept whole."""
    from graphviz_ad.summary import Summary
    held = whole = 0
    items = [d for _, d in G.nodes(data=True)] + [d for _, _, d in G.edges(data=True)]
    for d in items:
        for key in ("value", "grad", "grad_flow", "local_factor"):
            x = d.get(key)
            if isinstance(x, Summary):
                whole += 4 * math.prod(x.shape)
            elif hasattr(x, "nbytes"):
                held += x.nbytes
                whole += x.nbytes
    return held, whole


def memory(quick):
    model, x, labels = conv_stack(2 if quick else 8, 56 if quick else 112, 64, 2 if quick else 4)
    G = trace(lambda: F.cross_entropy(model(x), labels))
    held, whole = held_bytes(G)
    from graphviz_ad.torch import values
    print(f"  {len(model)} layers, batch {x.shape[0]} at {x.shape[2]}x{x.shape[3]}: the graph holds "
          f"{held / 2**20:.1f} MB; kept whole it would be {whole / 2**20:.1f} MB "
          f"({whole / max(held, 1):.1f}x; summaries above {values.SUMMARY_ABOVE:,} elements)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller models, fewer repeats")
    args = parser.parse_args()
    torch.set_num_threads(1)
    repeat = 3 if args.quick else 7
    cases = [mlp_case(16 if args.quick else 64),
             transformer_case(8, 4, 64) if args.quick else transformer_case(32, 16, 256)]
    print(f"torch {torch.__version__}, 1 thread")
    print("1. trace against torch's bare forward + backward")
    ratios = [trace_cost(case, repeat) for case in cases]
    print("2. time to an SVG file (model -> picture)")
    with tempfile.TemporaryDirectory() as workdir:
        for case in cases:
            time_to_svg(case, 1 if args.quick else 3, workdir)
    print("   what each picture shows:")
    print(f"    {'tool':<12} {'values':<34} {'gradients':<28} factors")
    for tool, (_, values, grads, factors) in TOOLS.items():
        print(f"    {tool:<12} {values:<34} {grads:<28} {factors}")
    print("3. memory of a large model's graph")
    memory(args.quick)
    print("worst trace ratio: " + f"{max(ratios):.2f}x")


if __name__ == "__main__":
    main()
