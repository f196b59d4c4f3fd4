"""Render-time benchmark: traced graphs of 100 to 10,000 nodes in three shapes, against plain `dot`.

For each shape and size it prints the time to trace; the time to build the DOT text (collapsing
included, `build`), to run Graphviz on it (`dot`) and their sum (`total`, what `render` costs); how many
nodes were drawn; and the time plain `dot -Tsvg` takes on the same drawn graph with no labels, styles,
tooltips or legend (`plain`, the baseline, measured in the same run). `ratio` is total / plain and
`dot ratio` is dot / plain: the cost of our labels and styles. `labels` is the label overhead alone:
dot time of the full picture over that of the same picture with values, gradients and edge labels
off (node names only). For graphs over the node budget it also times plain `dot` on the whole
uncollapsed graph, cut off after --full-timeout seconds.

Targets: total <= 1 s at 1,000 nodes; <= 10 s for every shape at 10,000 nodes; ratio <= 1.3 where
nothing is collapsed (after collapsing, compare with the full plain time instead).

Then the layout decisions (graphviz_ad.layout: size estimates, direction, leaf copies, reductions for
legibility): at about 1,000 nodes of each shape, the time `view` takes (`view s`) against the render
that draws every node without deciding anything (`budget=None`, `all s`; target: decisions <= 10% of
it), and against the default render they lead to (`render s`: the reduced picture, much cheaper); and
one weight shared by 300 layers, rendered (target < 10 s) against plain dot on the whole graph (cut
off after --full-timeout seconds).

    python benchmarks/bench_render.py            # about 3-5 minutes on 2 cores
    python benchmarks/bench_render.py --sizes 100,1000 --engine pygraphviz
"""

import argparse
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np

import graphviz_ad as ga
from timing import best_of
from graphviz_ad.dot import OPTIONS, check_options, dot_id, view
from graphviz_ad.engine import run_engine


def chain(n):
    """x -> sin -> sin -> ... : n nodes in one line."""
    def f(x):
        for _ in range(n - 1):
            x = np.sin(x)
        return x

    return lambda: ga.trace(f, 0.5)


def scalar_mlp(n):
    """A tanh MLP written with Python floats (micrograd style): weights are inputs, each neuron a scope."""
    width = max(2, int(round((n / 24) ** 0.5)))
    depth = max(1, round(n / (width * (3 * width + 2))))
    rng = np.random.default_rng(0)
    params = [float(v) for v in rng.normal(0, 1 / np.sqrt(width), depth * width * (width + 1))]
    x0 = [float(v) for v in rng.normal(size=width)]
    per_layer = width * (width + 1)

    def neuron(ws, b, xs):
        s = b
        for w, x in zip(ws, xs):
            s = s + w * x
        return np.tanh(s)

    def layer(ps, xs):
        return [neuron(ps[j * (width + 1):(j + 1) * (width + 1) - 1], ps[(j + 1) * (width + 1) - 1], xs)
                for j in range(width)]

    def mlp(params, x):
        for d in range(depth):
            x = layer(params[d * per_layer:(d + 1) * per_layer], x)
        return sum(x[1:], x[0])

    return lambda: ga.trace(mlp, params, x0)


def random_dag(n):
    """Each new value adds or multiplies two uniformly chosen earlier ones; unused values are summed."""
    rng = np.random.default_rng(0)
    picks = [(int(rng.integers(0, i + 4)), int(rng.integers(0, i + 4)), bool(rng.integers(0, 2)))
             for i in range(n * 6 // 7)]

    def dag(a, b, c, d):
        values, used = [a, b, c, d], set()
        for i, j, multiply in picks:
            values.append(values[i] * values[j] if multiply else values[i] + values[j])
            used.update((i, j))
        sinks = [v for k, v in enumerate(values) if k not in used]
        while len(sinks) > 1:
            sinks = [sinks[k] + sinks[k + 1] if k + 1 < len(sinks) else sinks[k] for k in range(0, len(sinks), 2)]
        return sinks[0]

    return lambda: ga.trace(dag, 0.9, 1.1, 0.7, 1.3)


SHAPES = {"chain": chain, "scalar_mlp": scalar_mlp, "random_dag": random_dag}


def plain_dot(G, rep=None):
    """The same (drawn) graph with no labels, styles or legend: what bare Graphviz is asked to lay out."""
    rep = rep or {n: n for n in G}
    nodes = sorted({dot_id(r) for r in rep.values()})
    edges = sorted({(dot_id(rep[u]), dot_id(rep[v])) for u, v in G.edges if rep[u] != rep[v]})
    return ("digraph {\nrankdir=LR\n" + "".join(f"{n}\n" for n in nodes)
            + "".join(f"{u} -> {v}\n" for u, v in edges) + "}\n")


def time_dot(source, dot, timeout=None):
    start = time.perf_counter()
    try:
        subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.perf_counter() - start

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,2000,10000")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--engine", default=None, help="dot executable or 'pygraphviz' (default: as render finds)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs below 5,000 nodes")
    parser.add_argument("--full-timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    dot = shutil.which("dot")
    if dot is None:
        sys.exit("the baseline needs Graphviz's `dot` on PATH")
    warnings.simplefilter("ignore", ga.GraphvizAdWarning)
    opts = check_options({})
    print(f"engine: {args.engine or 'default'}; baseline: {dot}; node budget {OPTIONS['budget']}")
    header = (f"{'shape':<11} {'nodes':>6} {'trace s':>8} {'build s':>8} {'dot s':>6} {'total s':>8} {'drawn':>6} "
              f"{'plain s':>8} {'ratio':>6} {'dot ratio':>9} {'labels':>6} {'full plain s':>13}  targets")
    print(header)
    print("-" * len(header))
    failures = []
    for shape in args.shapes.split(","):
        for size in map(int, args.sizes.split(",")):
            make = SHAPES[shape](size)
            start = time.perf_counter()
            G = make()
            trace_s = time.perf_counter() - start
            repeat = args.repeat if size < 5000 else 1
            source = ga.to_dot(G)
            build_s = best_of(lambda: ga.to_dot(G), repeat)
            dot_s = best_of(lambda: run_engine(source, "svg", args.engine), repeat)
            bare = ga.to_dot(G, values=False, grads=False, labels=False)
            bare_s = best_of(lambda: run_engine(bare, "svg", args.engine), repeat)
            total_s = build_s + dot_s
            rep = view(G, opts, warn=False).rep
            drawn = len(set(rep.values()))
            plain_s = best_of(lambda: time_dot(plain_dot(G, rep), dot), repeat)
            full = ""
            if drawn < len(G):
                full_s = time_dot(plain_dot(G), dot, timeout=args.full_timeout)
                full = f">{args.full_timeout:.0f}" if full_s == float("inf") else f"{full_s:.2f}"
            notes = []
            if 900 <= len(G) <= 1200 and total_s > 1.0:
                notes.append("over 1 s at 1,000")
            if size >= 10000 and total_s > 10.0:
                notes.append("over 10 s at 10,000")
            if drawn == len(G) and total_s / plain_s > 1.3:
                notes.append("ratio over 1.3")
            failures += [f"{shape} {size}: {n}" for n in notes]
            print(f"{shape:<11} {len(G):>6} {trace_s:>8.2f} {build_s:>8.2f} {dot_s:>6.2f} {total_s:>8.2f} {drawn:>6} "
                  f"{plain_s:>8.2f} {total_s / plain_s:>6.2f} {dot_s / plain_s:>9.2f} {dot_s / bare_s:>6.2f} "
                  f"{full:>13}  {'; '.join(notes) or 'ok'}", flush=True)
    failures += layout_report(opts, args)
    print(f"\n{len(failures)} target(s) missed" + (": " + ", ".join(failures) if failures else ""))


def shared_weight(layers=300):
    """One weight used by every one of `layers` layers: h = tanh(w * h) + 0.1."""
    def f(x, w):
        h = x
        for _ in range(layers):
            h = np.tanh(w * h) + 0.1
        return h

    return ga.trace(f, 0.5, 1.1)


def layout_report(opts, args):
    """The layout decisions' share of a render at ~1,000 nodes, and the shared-weight graph's render time."""
    failures = []
    print(f"\n{'shape':<11} {'nodes':>6} {'view s':>7} {'all s':>7} {'view/all':>9} {'render s':>9} "
          f"{'view/render':>12}  target: view/all <= 10%")
    for shape in args.shapes.split(","):
        G = SHAPES[shape](1000)()
        view_s = best_of(lambda: view(G, opts, warn=False), args.repeat)
        all_s = best_of(lambda: ga.render(G, engine=args.engine, budget=None), args.repeat)
        render_s = best_of(lambda: ga.render(G, engine=args.engine), args.repeat)
        share = view_s / all_s
        if share > 0.10:
            failures.append(f"{shape} 1000: layout decisions {share:.0%} of drawing every node")
        print(f"{shape:<11} {len(G):>6} {view_s:>7.3f} {all_s:>7.2f} {share:>9.1%} {render_s:>9.3f} "
              f"{view_s / render_s:>12.1%}  {'ok' if share <= 0.10 else 'over'}")
    G = shared_weight()
    render_s = best_of(lambda: ga.render(G, engine=args.engine), 1)
    full_s = time_dot(plain_dot(G), shutil.which("dot"), timeout=args.full_timeout)
    full = f">{args.full_timeout:.0f}" if full_s == float("inf") else f"{full_s:.2f}"
    ratio = f"{full_s / render_s:.0f}x faster" if full_s != float("inf") else f"over {args.full_timeout / render_s:.0f}x faster"
    print(f"\nshared weight, 300 layers ({len(G)} nodes): render {render_s:.2f} s (target < 10 s); "
          f"plain dot on the whole graph {full} s: {ratio}")
    if render_s >= 10:
        failures.append(f"shared weight: {render_s:.1f} s")
    return failures


if __name__ == "__main__":
    main()
