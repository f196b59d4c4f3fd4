"""Speed of tracing and reverse mode, as ratios against baselines measured in the same run.

    python benchmarks/bench_core.py            # full sizes
    python benchmarks/bench_core.py --quick    # smaller, for a smoke run

1. A 10,000-deep scalar chain of np.sin, forward + backward through `grad`, against a minimal
   micrograd-style scalar engine written below (target: <= 5 us per op and <= 1.0x the baseline).
   `trace` (which also records source lines and builds the networkx graph) is reported separately
   (target: <= 15 us per op), with the share spent building the networkx graph.
2. A 784-256-256-10 tanh MLP, batch 64, MSE, forward + backward through `grad`, against the plain
   numpy forward pass (target: <= 2.0x) and hand-written numpy backprop.
"""

import argparse
import importlib
import math
import sys
import time

import numpy as np

import graphviz_ad as ga
from timing import best_of

trace_module = importlib.import_module("graphviz_ad.trace")  # the module, not the function: its build_graph is timed


class Scalar:
    """The baseline: a micrograd-style scalar. Like micrograd's Value it keeps its children as a set,
    an op label and a backward closure (a no-op for leaves); its topological sort is iterative, as a
    10,000-deep chain would overflow a recursive one."""

    __slots__ = ("data", "grad", "_prev", "_op", "_backward")

    def __init__(self, data, children=(), op=""):
        self.data = data
        self.grad = 0.0
        self._prev = set(children)
        self._op = op
        self._backward = _no_op

    def sin(self):
        out = Scalar(math.sin(self.data), (self,), "sin")

        def _backward():
            self.grad += math.cos(self.data) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _no_op():
    pass

def sin_chain(x, depth):
    for _ in range(depth):
        x = np.sin(x)
    return x


def bench_chain(depth, repeat):
    def baseline():
        x = Scalar(0.5)
        y = x
        for _ in range(depth):
            y = y.sin()
        y.backward()
        return x.grad

    def ours():
        return ga.grad(sin_chain)(0.5, depth)

    assert abs(baseline() - ours()) < 1e-9 * max(1.0, abs(ours()))
    t_base = best_of(baseline, repeat)
    t_grad = best_of(ours, repeat)
    built = []
    original = trace_module.build_graph

    def timed_build(*a, **k):
        start = time.perf_counter()
        G = original(*a, **k)
        built.append(time.perf_counter() - start)
        return G
    trace_module.build_graph = timed_build
    try:
        t_trace = best_of(lambda: ga.trace(sin_chain, 0.5, depth, wrt="x"), max(1, repeat // 2))
    finally:
        trace_module.build_graph = original
    t_build = min(built)
    us = 1e6 / depth
    print(f"sin chain, depth {depth}")
    print(f"  baseline (micrograd-style)  {t_base * us:7.2f} us/op")
    print(f"  grad                        {t_grad * us:7.2f} us/op   ratio {t_grad / t_base:5.2f}x   "
          f"(target <= 5 us/op, <= 1.0x)")
    print(f"  trace (networkx included)   {t_trace * us:7.2f} us/op   networkx graph build "
          f"{t_build * us:6.2f} us/op  (target <= 15 us/op)")


def bench_mlp(repeat, batch=64, sizes=(784, 256, 256, 10)):
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in))
        params.append(np.zeros(n_out))
    x = rng.standard_normal((batch, sizes[0]))
    y = rng.standard_normal((batch, sizes[-1]))

    def loss(params, x, y):
        h = x
        for i in range(0, len(params) - 2, 2):
            h = np.tanh(h @ params[i] + params[i + 1])
        out = h @ params[-2] + params[-1]
        return np.mean((out - y) ** 2)

    def by_hand(params, x, y):
        acts = [x]
        h = x
        for i in range(0, len(params) - 2, 2):
            h = np.tanh(h @ params[i] + params[i + 1])
            acts.append(h)
        out = h @ params[-2] + params[-1]
        d = 2 * (out - y) / out.size
        grads = [None] * len(params)
        grads[-2], grads[-1] = acts[-1].T @ d, d.sum(0)
        d = d @ params[-2].T
        for i in range(len(params) - 4, -1, -2):
            d = d * (1 - acts[i // 2 + 1] ** 2)
            grads[i], grads[i + 1] = acts[i // 2].T @ d, d.sum(0)
            d = d @ params[i].T
        return grads

    g_ours = ga.grad(loss)(params, x, y)
    g_hand = by_hand(params, x, y)
    assert all(np.allclose(a, b) for a, b in zip(g_ours, g_hand))
    t_fwd = best_of(lambda: loss(params, x, y), repeat)
    t_hand = best_of(lambda: by_hand(params, x, y), repeat)
    t_grad = best_of(lambda: ga.grad(loss)(params, x, y), repeat)
    t_trace = best_of(lambda: ga.trace(loss, params, x, y, wrt="params"), repeat)
    print(f"tanh MLP {'-'.join(map(str, sizes))}, batch {batch}, MSE")
    print(f"  numpy forward alone         {t_fwd * 1e3:7.2f} ms   1.00x")
    print(f"  hand-written numpy backprop {t_hand * 1e3:7.2f} ms   {t_hand / t_fwd:5.2f}x")
    print(f"  grad                        {t_grad * 1e3:7.2f} ms   {t_grad / t_fwd:5.2f}x   (target <= 2.0x)")
    print(f"  trace                       {t_trace * 1e3:7.2f} ms   {t_trace / t_fwd:5.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(1000)   # proves that nothing recurses per op
    depth, repeat = (2000, 3) if args.quick else (10000, 7)
    bench_chain(depth, repeat)
    bench_mlp(3 if args.quick else 15)


if __name__ == "__main__":
    main()
