"""Interactive-page benchmark: how soon a page is usable and what a step costs, in headless Chromium.

For graphs of about 10, 100 and 1,000 nodes (and 10,000 with --big) it prints the page's weight; the
time from opening the file to a working page (`ready`); the time of one step, from the key press to
the next drawn frame, measured in the page (`fwd`, `bwd`: median over steps of the forward and the
backward pass, `back`: stepping backwards from the end, `p90`: the slowest tenth); and how long the
whole pass takes to play at the default speed (`play`, measured over a few seconds of playing).
The baseline is the smallest page, measured in the same run: `ratio` is a step at this size over a
step on it (1.0 means a step costs the same whatever the graph's size). A frame is about 17 ms.

Targets: ready <= 2 s and steps <= 50 ms at 1,000 nodes; play <= 60 s for the whole pass.

    python benchmarks/bench_interactive.py          # about a minute on 2 cores
    python benchmarks/bench_interactive.py --big    # adds a 10,000-op network (a few minutes)
"""

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import graphviz_ad as ga
from graphviz_ad.html import to_html

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

STEPS = """async ([key, n]) => {
    const times = [];
    for (let i = 0; i < n; i++) {
        const t = performance.now();
        document.dispatchEvent(new KeyboardEvent('keydown', {key: key, bubbles: true}));
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
        times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return [times[Math.floor(n / 2)], times[Math.floor(n * 0.9)]];
}"""


def chain(n):
    def residual(x):
        h = x
        for _ in range(n):
            h = np.sin(h) * 0.5 + h
        return h

    return ga.trace(residual, 0.3)


def network(n):
    """A tanh MLP written with Python floats, each neuron a scope (collapsed when drawn): about n ops."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_render import scalar_mlp

    return scalar_mlp(n)()


def measure(browser, path, steps):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    start = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready]", timeout=120_000)
    ready = time.perf_counter() - start
    page.keyboard.press("Home")
    fwd = page.evaluate(STEPS, ["ArrowRight", steps])
    page.keyboard.press("b")
    bwd = page.evaluate(STEPS, ["ArrowRight", steps])
    page.keyboard.press("End")
    back = page.evaluate(STEPS, ["ArrowLeft", steps])
    last = int(page.get_attribute(".gad-slider", "max"))
    page.keyboard.press("Home")
    t0, s0 = page.evaluate("() => [performance.now(), Number(document.querySelector('.gad-interactive').dataset.step)]")
    page.keyboard.press(" ")
    page.wait_for_timeout(3000)
    page.keyboard.press(" ")
    t1, s1 = page.evaluate("() => [performance.now(), Number(document.querySelector('.gad-interactive').dataset.step)]")
    play = last / max((s1 - s0) / ((t1 - t0) / 1000), 1e-9)
    page.close()
    return ready, fwd, bwd, back, play


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also a 10,000-op network")
    parser.add_argument("--steps", type=int, default=40, help="steps timed per pass")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is needed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    cases = [("chain 10", lambda: chain(2)), ("chain 100", lambda: chain(25)), ("chain 1000", lambda: chain(250))]
    if args.big:
        cases.append(("network 10000", lambda: network(10_000)))
    print(f"{'graph':15} {'nodes':>6} {'MB':>5} {'ready s':>8} {'fwd ms':>7} {'bwd ms':>7} {'back ms':>8} "
          f"{'p90 ms':>7} {'ratio':>6} {'play s':>7}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        base = None
        for name, make in cases:
            G = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ga.GraphvizAdWarning)
                page = to_html(G)
            path = Path(tmp) / f"{name.replace(' ', '_')}.html"
            path.write_text(page, encoding="utf-8")
            ready, fwd, bwd, back, play = measure(browser, path, args.steps)
            step = max(fwd[0], bwd[0], back[0])
            base = base or step
            print(f"{name:15} {G.number_of_nodes():>6} {len(page.encode()) / 1e6:>5.2f} {ready:>8.2f} {fwd[0]:>7.1f} "
                  f"{bwd[0]:>7.1f} {back[0]:>8.1f} {max(fwd[1], bwd[1], back[1]):>7.1f} {step / base:>6.2f} {play:>7.1f}")
        browser.close()


if __name__ == "__main__":
    main()
