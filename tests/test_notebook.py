"""Notebooks as a user meets them: a notebook is executed by nbclient on a kernel running this
project's Python, its outputs are checked, then exported by nbconvert to HTML and opened in a real
headless Chromium, where the inline interactive page must work inside its iframe and the report's
node buttons must select nodes in it."""

import json
import sys

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]' (nbformat, nbclient, ipykernel, nbconvert)")
nbclient = pytest.importorskip("nbclient")
nbconvert = pytest.importorskip("nbconvert")

from browser import Page  # noqa: E402

CELLS = [
    "import sys, numpy as np, graphviz_ad as ga\nfrom graphviz_ad import samples\nprint(sys.executable)",
    "s = samples.load('two_paths')\nG = ga.trace(s.fun, **s.inputs)\nG",
    "ga.interactive(G)",
    "G.interactive(height=420, theme='dark')",
    "ga.render(G, format='html')",
    "ga.render(G)",
    "r = samples.load('relu_dead')\nR = ga.trace(r.fun, **r.inputs, wrt=r.wrt)\nreport = ga.diagnose(R)\nreport",
    "ga.interactive(R, highlight=report)",
    ("def chain(x, n=250):\n    h = x\n    for _ in range(n):\n        h = np.sin(h) * 0.5 + h\n    return h\n"
     "big = ga.trace(chain, 0.3)\nbig"),
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook above, run on a kernel whose python is this test's python."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    where = tmp_path_factory.mktemp("notebook")
    spec = where / "kernels" / "graphviz-ad-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "graphviz-ad test", "language": "python"}))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    km = KernelManager(kernel_name="graphviz-ad-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(where / "kernels")]))
    nbclient.NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(where)}}).execute()
    return nb, where


def outputs(nb, k):
    """Cell k's display data (the cell's last expression, or what it printed)."""
    return [o for o in nb.cells[k].outputs if o.output_type in ("execute_result", "display_data", "stream")]


def test_the_notebook_runs_on_this_python(executed):
    nb, _ = executed
    assert outputs(nb, 0)[0].text.strip() == sys.executable
    for cell in nb.cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_each_object_displays_as_a_picture_page_or_table(executed):
    nb, _ = executed
    graph = outputs(nb, 1)[0].data
    assert graph["image/svg+xml"].lstrip().startswith(("<?xml", "<svg")) and "two_paths" in graph["text/plain"]
    for k in (2, 3, 4, 7):  # interactive pages: an iframe holding the whole page
        html = outputs(nb, k)[0].data["text/html"]
        assert html.startswith('<iframe class="gad-frame"') and "srcdoc=\"&lt;!DOCTYPE html&gt;" in html, k
    assert "height: 420px" in outputs(nb, 3)[0].data["text/html"]
    # render() without a path: bytes that display, not a dump of raw bytes.
    assert "bytes" in outputs(nb, 4)[0].data["text/plain"] and "b'<!DOCTYPE" not in outputs(nb, 4)[0].data["text/plain"]
    assert "image/svg+xml" in outputs(nb, 5)[0].data
    report = outputs(nb, 6)[0].data["text/html"]
    assert report.startswith('<table class="gad-report">') and "ReLU hidden is dead" in report
    assert 'data-node="8"' in report and "gradient flow by scope" in report
    # A graph over the inline budget is drawn collapsed, or described: never a megabyte of SVG.
    big = outputs(nb, 8)[0].data
    assert sum(len(v) for v in big.values()) < 1_000_000
    assert "1001 nodes" in big["text/plain"]


def test_the_exported_html_runs_the_pages_and_links_the_report(executed, browser):
    nb, where = executed
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    path = where / "exported.html"
    path.write_text(body, encoding="utf-8")
    p = Page(browser, path, size=(1280, 900), wait=None)
    p.page.wait_for_load_state("load")
    frames = [f for f in p.page.frames if f.query_selector(".gad-interactive")]
    assert len(frames) == 4
    for frame in frames:
        frame.wait_for_selector(".gad-counter:has-text('done')")
        assert frame.evaluate("() => document.querySelectorAll('.gad-interactive').length") == 1
    # Each page keeps its own state: step the first, the second stays at the end.
    first, second = frames[0], frames[1]
    first.click("button[data-act=first]")
    first.click("button[data-act=next]")
    assert first.get_attribute(".gad-interactive", "data-step") == "1"
    assert second.inner_text(".gad-counter") == "done"
    # A node button of the report selects that node in the drawing of the same graph.
    relu = next(f for f in frames if "relu_dead" in f.evaluate("() => document.title"))
    p.page.click('.gad-report button[data-node="8"]')
    relu.wait_for_selector("#gad-n8.gad-selected")
    assert "hidden" in relu.inner_text(".gad-details-body")
    assert first.query_selector(".gad-selected") is None
    problems = [m for m in p.messages if "gad" in m or "graphviz" in m.lower()]
    assert problems == []
