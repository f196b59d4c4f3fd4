"""Speed of the debugger's dynamic programmes on a 100,000-node graph, as ratios against
networkx.topological_sort over the same graph, measured in the same run.

    python benchmarks/bench_diagnose.py            # 100,000 nodes
    python benchmarks/bench_diagnose.py --quick    # 10,000 nodes, for a smoke run

The graph is a deep scalar network: every node adds its predecessor and, half the time, a skip
connection from up to 50 nodes back, with random gains. It has about 10^4000 paths from the input to
the output, so anything that enumerated paths would never finish. Measured, each the best of 3 runs:

- weakest path: the log-space DP (`extreme_paths`) that `diagnose` runs for every input at once;
- path count: the exact path-count DP (`count_paths`);
- largest paths: `paths(G, limit=20)`, the count plus the 20 largest paths by best-first search.
  Its cost is bound by what it lists: each of the 20 paths runs through about a third of the nodes,
  so the listing (every entry with its factor and formula) is several times the graph's size;
- diagnose: the whole of `diagnose(G)` (NaN scan, gradient sizes, weakest paths, saturation, ReLUs,
  gradient-flow table).

Targets: each DP within 5x of the topological sort, the whole diagnose within 20x, the listing of
20 paths within 100x.
"""

import argparse
import math
import time

import networkx as nx
import numpy as np

import graphviz_ad as ga
from graphviz_ad.diagnose import count_paths, extreme_paths


def deep_graph(n, seed=0):
    """A graph with the attributes `diagnose` and `paths` read, built directly (no tracing)."""
    rng = np.random.default_rng(seed)
    G = ga.Graph()
    G.add_nodes_from((i, {"op": "input" if i == 0 else "add", "name": f"v{i}", "value": 1.0, "grad": 1.0,
                          "shape": (), "source": "", "code": "", "scope": ("net",)}) for i in range(n))
    gains = rng.uniform(0.5, 1.5, size=2 * n)
    skips = rng.integers(2, 51, size=n)
    for i in range(1, n):
        G.add_edge(i - 1, i, gain=gains[2 * i], local_factor=gains[2 * i], formula="1")
        if rng.random() < 0.5 and i - skips[i] >= 0:
            G.add_edge(i - skips[i], i, gain=gains[2 * i + 1], local_factor=gains[2 * i + 1], formula="1")
    G.graph.update(inputs=[0], output=n - 1, seed=1.0, function="net")
    return G


def best_of(fun, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fun()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 nodes instead of 100,000")
    n = 10_000 if parser.parse_args().quick else 100_000
    G = deep_graph(n)
    print(f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
    base, _ = best_of(lambda: list(nx.topological_sort(G)))
    print(f"baseline  networkx.topological_sort  {base * 1e3:8.1f} ms   1.00x")
    rows = [("weakest path DP (all inputs)", lambda: extreme_paths(G), 5),
            ("path count DP", lambda: count_paths(G, 0), 5),
            ("paths(G, limit=20)", lambda: ga.paths(G, limit=20), 100),
            ("diagnose(G)", lambda: ga.diagnose(G), 20)]
    failed = False
    for label, fun, target in rows:
        t, result = best_of(fun)
        ok = t / base <= target
        failed |= not ok
        print(f"{label:35s} {t * 1e3:8.1f} ms {t / base:6.2f}x   target <= {target}x  {'ok' if ok else 'SLOW'}")
    print(f"paths from the input to the output: about 10^{math.log10(count_paths(G, 0)):.0f}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
