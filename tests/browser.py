"""Driving pages in a real headless Chromium: Debian's /usr/bin/chromium through Playwright (no browser
download). The `browser` fixture lives in conftest.py; this module holds what tests do with a page."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch():
    """Yield a launched Chromium; skip without it (fail in CI, which must run the browser tests)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser tests (.ci/run installs chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium); CI runs these tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright's Python package: pip install -e '.[test]' "
                    f"(no browser download: they drive {CHROMIUM})")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A loaded page plus everything it said in the console and every URL it asked for.

    `touch=True` opens it as a phone does (touch screen, mobile viewport)."""

    def __init__(self, browser, path, size=(1200, 700), touch=False, wait=".gad-counter:has-text('done')"):
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=touch,
                                           is_mobile=touch)
        self.page = self.context.new_page()
        self.messages, self.requests = [], []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        if wait:
            self.page.wait_for_selector(wait)

    def text(self, selector):
        """The element's text as one line, white space collapsed."""
        return " ".join(self.page.inner_text(selector).split())

    def ids(self, selector):
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.id)")

    def step(self):
        return int(self.page.get_attribute(".gad-interactive", "data-step"))

    def assert_clean(self):
        assert self.messages == []
        assert all(u.startswith("file://") for u in self.requests), self.requests


def label(page, node, line):
    """The visible text of a node's label line starting with `line` ('val' or 'grad'), else None."""
    return page.page.evaluate(
        """([id, line]) => {
            const t = [...document.getElementById(id).querySelectorAll("text")]
                .find(t => t.textContent.startsWith(line + " "));
            return t && getComputedStyle(t).visibility === "visible" ? t.textContent : null;
        }""", [f"gad-n{node}", line])


def step_through(page, G):
    """Step from the start to the end of both passes, one key at a time, checking the counter, then the
    output's value as the page shows it."""
    from graphviz_ad import style
    page.page.keyboard.press("Home")
    last = int(page.page.get_attribute(".gad-slider", "max"))
    for k in range(1, last + 1):
        page.page.keyboard.press("ArrowRight")
        assert page.step() == k
    out = G.graph["output"]
    assert label(page, out, "val") == "val " + style.summary(G.nodes[out]["value"])
