"""The documentation site builds with warnings as errors, and draws what it promises."""

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import graphviz_ad
from graphviz_ad import samples

DOCS = Path(__file__).resolve().parent.parent / "docs"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and which drawing (an <svg class="autodiff-graph">,
    by position) it is inside; the theme's own icons are not drawings."""

    def __init__(self, text):
        super().__init__()
        self.svgs, self.ids, self.inside = [], [], 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        drawing = tag == "svg" and "autodiff-graph" in (attrs.get("class") or "").split()
        if drawing and not self.inside:
            self.svgs.append(attrs)
        if self.inside or drawing:
            self.inside += 1
        if "id" in attrs:
            self.ids.append((len(self.svgs) - 1 if self.inside else None, attrs["id"]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.inside:
            self.inside -= 1


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(DOCS), str(out), "-d", str(out / ".doctrees")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    return out


def page(site, name):
    return Elements((site / f"{name}.html").read_text(encoding="utf-8"))


def test_gallery_draws_every_sample_once_inline(site):
    gallery = page(site, "gallery")
    drawn = [svg["aria-label"].split()[4] for svg in gallery.svgs]   # "The graph of the NAME sample, ..."
    assert sorted(drawn) == samples.names()
    for k in range(len(gallery.svgs)):
        ids = [i for svg, i in gallery.ids if svg == k]
        assert ids and all(i.startswith(("adg-gallery-", "a_adg-gallery-")) for i in ids)
        assert all(f"-gallery-{k + 1}-" in i for i in ids)
    inside = [i for svg, i in gallery.ids if svg is not None]
    assert len(inside) == len(set(inside))


def test_tutorial_draws_its_lessons(site):
    labels = [svg.get("aria-label", "") for svg in page(site, "tutorial").svgs]
    for name in ("square_of_affine", "sigmoid", "two_paths", "neuron", "net_221", "sigmoid_chain20",
                 "relu_chain20", "residual_chain20"):
        assert any(label.startswith(f"Computation graph of {name}:") for label in labels), name
    assert "Computation graph of sin(x**2)" in labels
    text = (site / "tutorial.html").read_text(encoding="utf-8")
    assert 'role="figure" aria-label="Computation graph of neuron' in text   # the interactive step-through


def test_api_reference_documents_every_public_name(site):
    ids = {i for _, i in page(site, "api").ids}
    missing = [name for name in graphviz_ad.__all__ if f"graphviz_ad.{name}" not in ids]
    assert not missing, f"add these to docs/api.rst: {missing}"


def test_every_markdown_page_of_docs_is_in_the_site(site):
    for source in DOCS.glob("*.md"):
        assert (site / f"{source.stem}.html").exists(), source.name


def test_every_sample_has_a_gallery_page_with_code_picture_findings_and_interactive_page(site):
    gallery = (site / "gallery.html").read_text(encoding="utf-8")
    for name in samples.names():
        assert f'href="gallery/{name}.html"' in gallery, name   # its thumbnail links to its page
        text = (site / "gallery" / f"{name}.html").read_text(encoding="utf-8")
        assert 'class="highlight-python' in text and f"def {name}(" in text.replace("<span class=\"nf\">", "")
        labels = [svg.get("aria-label", "") for svg in Elements(text).svgs]
        assert f"The graph of the {name} sample with the debugger's marks." in labels
        assert f"$ graphviz-ad diagnose {name}" in text
        assert 'role="figure"' in text and "gad-viewport" in text   # the interactive page, embedded
    assert (DOCS / "gallery").is_dir() and sorted(p.stem for p in (DOCS / "gallery").glob("*.md")) == samples.names()


def test_the_site_has_copy_buttons_a_current_theme_and_no_file_links(site):
    api = (site / "api.html").read_text(encoding="utf-8")
    assert "furo" in api and "copybutton" in api
    for page_path in site.glob("**/*.html"):
        assert 'href="file:' not in page_path.read_text(encoding="utf-8"), page_path.name


def test_no_drawing_is_wider_than_its_column(site, browser):
    """In Chromium at 1280 and 390 px: every drawing fits inside the element that holds it."""
    pages = ["index", "tutorial", "gallery", "gallery/net_221", "gallery/residual_net", "rendering"]
    for width in (1280, 390):
        view = browser.new_page(viewport={"width": width, "height": 800})
        for name in pages:
            view.goto((site / f"{name}.html").as_uri())
            wide = view.evaluate("""() => [...document.querySelectorAll('svg.autodiff-graph')]
                .filter(s => s.getBoundingClientRect().width > s.parentElement.getBoundingClientRect().width + 1)
                .map(s => s.getAttribute('aria-label'))""")
            assert wide == [], (width, name, wide)
            counted = view.evaluate("document.querySelectorAll('svg.autodiff-graph').length")
            assert counted or name == "rendering", name
        view.close()
