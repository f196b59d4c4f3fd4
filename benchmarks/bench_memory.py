"""Memory per op of a traced array chain, as a ratio against the bare numpy forward pass of the same run.

    python benchmarks/bench_memory.py            # a 10^6-element array, 40 ops
    python benchmarks/bench_memory.py --quick    # 10^5 elements, 20 ops

The chain is `y = y * 1.0001`. The baseline is the bare numpy forward that keeps every value (what any
reverse mode must keep at least): its bytes per op are one array. For `trace` (and `grad`) the peak
during the call and what the returned graph retains are measured with tracemalloc (numpy reports its
buffers to it) and given in those units: array copies per op. A graph holds, per op, the value and the
gradient; the edge's gradient flow is the gradient's own array and a constant local factor a broadcast
view (docs/graph-contract.md). Targets: `trace` peak <= 2.5 and retained <= 2.5 copies per op (it
was 6.1 and 4.1 before arrays were shared), `grad` peak <= 1.5 (was 2.0).
"""

import argparse
import gc
import tracemalloc

import numpy as np

import graphviz_ad as ga


def chain(x, depth):
    y = x
    for _ in range(depth):
        y = y * 1.0001
    return np.sum(y)


def bare_forward(x, depth):
    values = [x]
    for _ in range(depth):
        values.append(values[-1] * 1.0001)
    return values


def measure(fun):
    """(peak bytes during fun(), bytes still held by its result afterwards)."""
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    result = fun()
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak - start, retained - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size, depth = (10**5, 20) if args.quick else (10**6, 40)
    x = np.random.default_rng(0).standard_normal(size)
    array = x.nbytes
    base_peak, base_kept = measure(lambda: bare_forward(x, depth))
    baseline = base_kept / depth   # one array per op
    print(f"chain y = y * 1.0001 on {size} float64 ({array / 2**20:.1f} MiB per array), {depth} ops")
    print(f"  bare numpy forward keeping every value: {baseline / array:5.2f} arrays per op (the unit)")
    for label, fun in (("trace", lambda: ga.trace(chain, x, depth, wrt="x")),
                       ("grad", lambda: ga.grad(chain)(x, depth))):
        peak, kept = measure(fun)
        print(f"  {label:5s} peak {peak / depth / baseline:5.2f}x   retained {kept / depth / baseline:5.2f}x "
              f"  (bytes per op / bare forward's)")


if __name__ == "__main__":
    main()
