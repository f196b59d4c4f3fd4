"""The one timing rule the benchmarks share: best of several runs, the least disturbed by a busy machine."""

import time


def best_of(fun, repeat=3):
    """The shortest of `repeat` timed calls of `fun`, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fun()
        times.append(time.perf_counter() - start)
    return min(times)
