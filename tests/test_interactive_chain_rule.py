"""The step-through teaches the chain rule: in a real headless Chromium, every backward step's panel
writes the sum it adds into with numbers that match the graph (and the gradients match the analytic
answer and finite differences), the crossed edge shows factor -> term, sender and receiver are marked,
a partial gradient looks different from a final one and stays inside its box, the forward pass is
neutral, and the controls reach the backward pass."""

import re

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples, style
from graphviz_ad.html import to_html

from browser import Page, label
from gradcheck import numerical_grad
from test_interactive import chain

SUM = re.compile(r"grad\((?P<name>.*)\) = (?:(?P<before>.+) \(so far\) \+ (?P<term>.+) = (?P<total>.+)|(?P<only>.+))")


def traced(name):
    s = samples.load(name)
    return s, ga.trace(s.fun, **s.inputs, wrt=s.wrt)


def backward_order(G):
    """(operand, result) of every edge that carries gradient, in the order the page steps through them."""
    return [(u, v) for v in sorted(G, reverse=True) for u in sorted(G.predecessors(v))
            if G.edges[u, v]["grad_flow"] is not None]


def parse_sum(text):
    m = SUM.fullmatch(text)
    assert m, text
    if m["only"] is not None:
        return m["name"], None, m["only"], m["only"]
    term = m["term"][1:-1] if m["term"].startswith("(") else m["term"]
    return m["name"], m["before"], term, m["total"]


def close(a, b, digits=3):
    """Two numbers written with `digits` significant digits agree to that rounding."""
    a, b = float(a), float(b)
    return abs(a - b) <= 1.5 * 10 ** (1 - digits) * max(abs(a), abs(b), 1e-300) or abs(a - b) < 1e-12


def open_page(browser, tmp_path, G, **options):
    path = tmp_path / "page.html"
    path.write_text(to_html(G, **options), encoding="utf-8")
    return Page(browser, path, size=(1280, 800))


def at_backward(browser, tmp_path, name):
    """The sample's graph and its page, moved to the start of the backward pass by its button."""
    _, G = traced(name)
    p = open_page(browser, tmp_path, G)
    p.page.click("button[data-act=backward]")
    return G, p


@pytest.mark.parametrize("name", ["two_paths", "net_221"])
def test_backward_panel_writes_each_sum_and_ends_at_the_gradients(browser, tmp_path, name):
    s, G = traced(name)
    p = open_page(browser, tmp_path, G)
    p.page.click("button[data-act=backward]")
    assert p.text(".gad-counter") == "backward: seed" and p.step() == G.number_of_nodes() + 1
    out = G.graph["output"]
    assert p.text(".gad-step-sum") == f"grad({G.nodes[out]['name']}) = 1"
    sofar = {}
    for u, v in backward_order(G):
        p.page.keyboard.press("ArrowRight")
        who, before, term, total = parse_sum(p.text(".gad-step-sum"))
        flow = G.edges[u, v]["grad_flow"]
        assert who == G.nodes[u]["name"]
        assert term == style.summary(flow)
        assert before == (style.summary(sofar[u]) if u in sofar else None)
        sofar[u] = sofar.get(u, 0.0) + flow
        last = v == min(w for w in G.successors(u) if G.edges[u, w]["grad_flow"] is not None)  # results go in reverse order
        if before is not None:
            assert close(float(before) + float(term), float(total)), (before, term, total)
        if last:  # the last term: the sum is the node's gradient, as drawn
            assert total == style.summary(G.nodes[u]["grad"])
            assert "complete" in p.text(".gad-step-grad")
        else:
            assert total == style.summary(sofar[u]) and "more term" in p.text(".gad-step-grad")
        assert label(p, u, "grad") == f"grad {total}"
    # Every differentiated input ended at the analytic gradient and at finite differences.
    names = list(s.inputs)
    for k, arg in enumerate(names):
        if s.wrt is not None and arg not in s.wrt:
            continue
        node = G.node_named(arg)
        assert np.isclose(G.nodes[node]["grad"], s.expected_grad[arg], atol=1e-9)
        fd = numerical_grad(lambda *a: s.fun(**dict(zip(names, a))), [s.inputs[n] for n in names], k)
        assert np.isclose(G.nodes[node]["grad"], fd, atol=1e-6)
        assert close(label(p, node, "grad").split()[1], s.expected_grad[arg]) or abs(s.expected_grad[arg]) < 1e-12
    p.assert_clean()


def test_two_paths_shows_the_terms_cancel(browser, tmp_path):
    """x gets two terms, +0.985 and -0.985: the panel shows the second adding into the first, to 0."""
    G, p = at_backward(browser, tmp_path, "two_paths")
    x = G.node_named("x")
    sums = []
    for u, v in backward_order(G):
        p.page.keyboard.press("ArrowRight")
        if u == x:
            sums.append(p.text(".gad-step-sum"))
    first, second = (style.summary(G.edges[x, v]["grad_flow"]) for v in sorted(G.successors(x), reverse=True))
    assert sums[0] == f"grad(x) = {first}"
    assert sums[1] == f"grad(x) = {first} (so far) + {second if not second.startswith('-') else '(' + second + ')'} = 0"
    p.assert_clean()


def test_the_crossed_edge_shows_factor_and_term_between_marked_sender_and_receiver(browser, tmp_path):
    G, p = at_backward(browser, tmp_path, "two_paths")
    for u, v in backward_order(G):
        p.page.keyboard.press("ArrowRight")
        edge = f"gad-e_n{u}_n{v}"
        assert sorted(p.ids(".gad-current")) == sorted([f"gad-n{u}", edge])
        assert p.ids(".gad-sender") == [f"gad-n{v}"]
        factor = "\u00d7" + style.fmt(G.edges[u, v]["local_factor"])
        flow = style.summary(G.edges[u, v]["grad_flow"])
        assert p.page.text_content(f"#{edge} text") == f"{factor} \u2192 {flow}"
        # Stepping on puts the renderer's label back.
    p.page.keyboard.press("ArrowRight")
    u, v = backward_order(G)[-1]
    assert p.page.text_content(f"#gad-e_n{u}_n{v} text") == "\u00d7" + style.fmt(G.edges[u, v]["local_factor"])
    # The receiver is outlined in the accent colour, the sender in another.
    p.page.keyboard.press("ArrowLeft")
    colors = p.page.evaluate("""([a, b]) => [a, b].map(id =>
        getComputedStyle(document.querySelector('#' + id + ' > polygon')).stroke)""", [f"gad-n{u}", f"gad-n{v}"])
    assert colors[0] != colors[1]
    p.assert_clean()


def test_a_partial_gradient_looks_different_and_stays_in_its_box(browser, tmp_path):
    """two_paths: x's first term (0.985 or -0.985) is longer than its final '0'; it must fit the box."""
    G, p = at_backward(browser, tmp_path, "two_paths")
    x = G.node_named("x")
    order = backward_order(G)
    seen_partial = False
    for k, (u, v) in enumerate(order):
        p.page.keyboard.press("ArrowRight")
        state = p.page.evaluate("""(id) => {
            const g = document.getElementById(id), t = [...g.querySelectorAll('text')].find(t => t.textContent.startsWith('grad '));
            const box = g.querySelector('polygon').getBBox(), r = t.getBBox(), st = getComputedStyle(t);
            return {partial: t.classList.contains('gad-partial'), italic: st.fontStyle, fill: st.fill,
                    inside: r.x >= box.x - 0.5 && r.x + r.width <= box.x + box.width + 0.5};
        }""", f"gad-n{u}")
        assert state["inside"], (u, v)
        done = not any(w < v for w in G.successors(u) if G.edges[u, w]["grad_flow"] is not None)
        assert state["partial"] == (not done)
        if not done:
            seen_partial = True
            assert state["italic"] == "italic"
            final = p.page.evaluate("(id) => getComputedStyle(document.querySelector('#' + id + ' text')).fill", f"gad-n{v}")
            assert state["fill"] != final
    assert seen_partial and any(u == x for u, _ in order)
    p.assert_clean()


def test_forward_pass_shows_values_only_and_edges_grow_as_gradients_arrive(browser, tmp_path):
    _, G = traced("net_221")
    p = open_page(browser, tmp_path, G)
    edge_state = """() => [...document.querySelectorAll('g.edge')].filter(g => g.querySelector('path')).map(g => {
        const path = g.querySelector('path'), st = getComputedStyle(path), t = g.querySelector('text');
        return {id: g.id, stroke: st.stroke, width: parseFloat(st.strokeWidth), drawnWidth: parseFloat(path.getAttribute('stroke-width') || '1'),
                label: t ? getComputedStyle(t).visibility : null};
    })"""
    done = {e["id"]: e for e in p.page.evaluate(edge_state)}
    p.page.keyboard.press("Home")
    for _ in range(5):
        p.page.keyboard.press("ArrowRight")
    forward = p.page.evaluate(edge_state)
    assert len({e["stroke"] for e in forward}) == 1  # one neutral colour
    assert all(e["width"] <= 2 for e in forward)  # no gradient widths yet (the operand edges are dashed, 2 px)
    assert all(e["label"] in (None, "hidden") for e in forward)  # no factors: values only
    assert any(d["drawnWidth"] > 2 for d in done.values())
    p.page.click("button[data-act=backward]")
    for k in range(3):
        p.page.keyboard.press("ArrowRight")
    arrived = [f"gad-e_n{u}_n{v}" for u, v in backward_order(G)[:3]]
    p.page.wait_for_timeout(400)  # small drawings animate the width as it arrives
    now = {e["id"]: e for e in p.page.evaluate(edge_state)}
    for key, e in now.items():
        if key in arrived[:-1]:  # arrived (the last is the current one, in the accent colour)
            assert e["stroke"] == done[key]["stroke"] and e["width"] == pytest.approx(done[key]["drawnWidth"], abs=0.01)
        elif key not in arrived:  # still waiting: neutral and thin
            assert e["width"] <= 1.01
    p.assert_clean()


def test_jump_to_backward_boundary_on_the_slider_and_play_speed(browser, tmp_path):
    G = ga.trace(chain, 0.3)
    n = G.number_of_nodes()
    p = open_page(browser, tmp_path, G)
    last = int(p.page.get_attribute(".gad-slider", "max"))
    track = p.page.eval_on_selector(".gad-slider", "s => { const r = s.getBoundingClientRect(); return [r.left, r.width]; }")
    mark = p.page.eval_on_selector(".gad-boundary", "b => b.getBoundingClientRect().left")
    thumb = 16  # Chromium's range thumb: the boundary sits where the thumb's centre is at the seed step
    expected = track[0] + thumb / 2 + (track[1] - thumb) * (n + 1) / last
    assert abs(mark - expected) <= 3, (mark, expected)
    p.page.keyboard.press("b")
    assert p.step() == n + 1 and p.text(".gad-counter") == "backward: seed"
    # The default speed plays the whole pass of a 1,000-node graph in under a minute.
    ms = float(p.page.input_value(".gad-speed"))
    assert last * ms <= 60_000
    p.page.keyboard.press("Home")
    start = p.page.evaluate("() => [performance.now(), Number(document.querySelector('.gad-interactive').dataset.step)]")
    p.page.keyboard.press(" ")
    p.page.wait_for_timeout(1500)
    p.page.keyboard.press(" ")
    end = p.page.evaluate("() => [performance.now(), Number(document.querySelector('.gad-interactive').dataset.step)]")
    rate = (end[1] - start[1]) / ((end[0] - start[0]) / 1000)
    assert rate >= last / 60, rate  # steps per second
    p.assert_clean()


def test_hovering_a_path_product_lights_its_edges(browser, tmp_path):
    _, G = traced("two_paths")
    p = open_page(browser, tmp_path, G)
    x = G.node_named("x")
    p.page.click(f"#gad-n{x}")
    items = p.page.query_selector_all(".gad-path-list li")
    assert len(items) == 2
    for item in items:
        item.hover()
        hot = p.ids("g.edge.gad-hot")
        names = [G.nodes[int(i.split("_n")[-1])]["name"] for i in hot]
        assert len(hot) == item.inner_text().count("\u2192") and all(n in item.inner_text() for n in names)
    assert "sum of the products = " in p.text(".gad-path-sum")
    p.assert_clean()
