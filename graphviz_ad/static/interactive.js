/* graphviz-ad interactive drawing: pan and zoom, details on hover, paths to the output on click, and a
 * step-through of the forward pass (each value appears, in trace order) and the backward pass (each
 * edge's grad_flow arrives and adds into its operand's gradient).
 *
 * One call per drawing: graphvizAdInteractive(rootDiv). Everything is looked up inside rootDiv, so
 * several drawings can share a page. The data is the JSON in rootDiv's script.gad-data, written by
 * graphviz_ad/html.py (page_data); the drawing is the renderer's SVG, whose node and edge groups have
 * the ids PREFIX + "n7" and PREFIX + "e_n0_n3" (and "s2", "f7", "b7" for collapsed groups).
 */
function graphvizAdInteractive(root) {
  "use strict";
  const data = JSON.parse(root.querySelector("script.gad-data").textContent);
  const P = data.prefix;
  const nodes = data.nodes, edges = data.edges, N = nodes.length;
  const svg = root.querySelector(".gad-viewport svg");
  const q = (sel) => root.querySelector(sel);

  // ---- the drawn elements -------------------------------------------------------------------------

  const elements = {};  // renderer id without the prefix -> <g>
  svg.querySelectorAll("g[id]").forEach((g) => {
    if (g.id.startsWith(P)) elements[g.id.slice(P.length)] = g;
  });
  const ownerOf = new Map();  // <g> -> {node: i} or {edge: i} or {group: key}, for hover and click
  const succ = nodes.map(() => []), pred = nodes.map(() => []);
  edges.forEach((e, i) => {
    succ[e.u].push(i);
    pred[e.v].push(i);
    if (e.el && elements[e.el] && !ownerOf.has(elements[e.el])) ownerOf.set(elements[e.el], { edge: i });
  });
  // A plain node's label lines "val ..." and "grad ..." (matched exactly, so a name cannot be mistaken).
  const labels = nodes.map((n) => {
    const g = n.el === "n" + n.id ? elements[n.el] : null;
    const found = { g: g, val: null, grad: null };
    if (g) {
      ownerOf.set(g, { node: n.id });
      g.querySelectorAll("text").forEach((t) => {
        if (n.v !== null && t.textContent === "val " + n.v) found.val = t;
        if (n.g !== null && t.textContent === "grad " + n.g) found.grad = t;
      });
    }
    return found;
  });
  Object.keys(data.groups).forEach((key) => { if (elements[key]) ownerOf.set(elements[key], { group: key }); });
  // A wide transparent copy of each edge's line, so a thin edge is easy to hover.
  ownerOf.forEach((owner, g) => {
    const line = owner.edge !== undefined && g.querySelector("path");
    if (!line) return;
    const hit = line.cloneNode(false);
    hit.setAttribute("class", "gad-hit");
    line.after(hit);
  });
  const members = {};  // drawn element id -> node ids drawn by it
  nodes.forEach((n) => { (members[n.el] = members[n.el] || []).push(n.id); });
  const drawnEdges = {};  // drawn edge id -> edge indices
  edges.forEach((e, i) => { if (e.el) (drawnEdges[e.el] = drawnEdges[e.el] || []).push(i); });

  // ---- small helpers ------------------------------------------------------------------------------

  function el(tag, cls, text) {
    const x = document.createElement(tag);
    if (cls) x.className = cls;
    if (text !== undefined && text !== null) x.textContent = text;
    return x;
  }
  function num(x) {  // JSON number, or "NaN" / "Infinity" / "-Infinity" (the project's JSON convention)
    return typeof x === "number" ? x : x === "NaN" ? NaN : x === "Infinity" ? Infinity : -Infinity;
  }
  function fmt(x) {  // like Python's f"{x:.{precision}g}", the format of the labels
    const p = data.precision;
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return "0";
    const strip = (s) => (s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, ""));
    const [mant, exp] = x.toExponential(p - 1).split("e");
    const e = Number(exp);
    if (e < -4 || e >= p) return strip(mant) + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
    return strip(x.toFixed(Math.max(0, p - 1 - e)));
  }
  const nameOf = (i) => nodes[i].name || nodes[i].op;

  // ---- the steps: start, one per node (forward), the seed, one per gradient flow (backward), done --

  const steps = [{ kind: "start" }];
  nodes.forEach((n) => steps.push({ kind: "forward", node: n.id }));
  if (data.seed !== null && data.output !== null) steps.push({ kind: "seed", node: data.output });
  const edgeIndex = new Map(edges.map((e, i) => [e.u + ">" + e.v, i]));
  data.backward.forEach((s, k) => {
    steps.push({ kind: "backward", index: k + 1, node: s[0], edge: edgeIndex.get(s[0] + ">" + s[1]), grad: s[2], done: s[3] });
  });
  steps.push({ kind: "done" });
  const LAST = steps.length - 1;
  const nBackward = data.backward.length;
  let pos = LAST;

  // The state after steps 1..p: how many values are computed, each node's gradient text so far, and
  // which edges have carried their flow. Replayed from the start: cheap next to touching the DOM.
  function stateAt(p) {
    const grads = new Array(N).fill(null), flowed = new Array(edges.length).fill(false);
    const computed = Math.min(Math.max(p, 0), N);
    for (let k = N + 1; k <= p && k < LAST; k++) {
      const s = steps[k];
      if (s.kind === "seed") grads[s.node] = data.seed;
      if (s.kind === "backward") {
        grads[s.node] = s.grad;
        flowed[s.edge] = true;
      }
    }
    return { computed: computed, grads: grads, flowed: flowed, backward: p > N };
  }

  function setClass(g, cls, on) { if (g) g.classList.toggle(cls, !!on); }
  function setLine(t, text) {  // a label line: hidden when text is null
    if (!t) return;
    if (text === null) t.classList.add("gad-hidden");
    else { t.classList.remove("gad-hidden"); if (t.textContent !== text) t.textContent = text; }
  }

  function show(p) {
    pos = Math.max(0, Math.min(LAST, p));
    const s = steps[pos], st = stateAt(pos), done = pos === LAST;
    // Nodes: pending until computed; label lines follow the pass (restored exactly when done).
    Object.keys(members).forEach((key) => {
      const g = elements[key];
      setClass(g, "gad-pending", !done && members[key].every((i) => i >= st.computed));
    });
    nodes.forEach((n, i) => {
      const lab = labels[i];
      if (done) {
        setLine(lab.val, n.v === null ? null : "val " + n.v);
        setLine(lab.grad, n.g === null ? null : "grad " + n.g);
      } else {
        setLine(lab.val, i < st.computed && n.v !== null ? "val " + n.v : null);
        setLine(lab.grad, st.grads[i] !== null ? "grad " + st.grads[i] : null);
      }
    });
    // Edges: pending until their result is computed; in the backward pass, waiting until their flow has arrived.
    Object.keys(drawnEdges).forEach((key) => {
      const g = elements[key], list = drawnEdges[key];
      setClass(g, "gad-pending", !done && !st.backward && list.every((i) => edges[i].v >= st.computed));
      setClass(g, "gad-waiting", !done && st.backward && !list.some((i) => st.flowed[i]));
    });
    // The current step's node and edge.
    root.querySelectorAll(".gad-current, .gad-operand").forEach((g) => g.classList.remove("gad-current", "gad-operand"));
    if (s.node !== undefined) setClass(elements[nodes[s.node].el], "gad-current", true);
    if (s.kind === "forward") pred[s.node].forEach((i) => setClass(elements[edges[i].el], "gad-operand", true));
    if (s.kind === "backward") setClass(elements[edges[s.edge].el], "gad-current", true);
    describe(s);
    const slider = q(".gad-slider");
    slider.max = String(LAST);
    slider.value = String(pos);
    q(".gad-counter").textContent = pos === 0 ? "start" : done ? "done" : pos <= N ? `forward ${pos}/${N}`
      : s.kind === "seed" ? "backward: seed" : `backward ${s.index}/${nBackward}`;
    root.dataset.step = String(pos);
    if (s.node !== undefined) reveal(elements[nodes[s.node].el]);
  }

  // The step panel: what happened at this step, in words and numbers.
  function describe(s) {
    const title = q(".gad-step-title"), value = q(".gad-step-value"), grad = q(".gad-step-grad"), note = q(".gad-step-note");
    let t = "", v = "", g = "", x = "";
    if (s.kind === "start") {
      t = "Start: nothing computed yet";
      x = "Step forward: each value is computed in trace order. Then the backward pass sends each " +
          "gradient back along the edges: multiply along a path, add across paths.";
    } else if (s.kind === "forward") {
      const n = nodes[s.node];
      const args = n.in.map(nameOf).join(", ");
      t = `Forward ${s.node + 1}/${N}: ${n.name}` + (n.op === "input" || n.op === "const" ? ` (${n.op})` : ` = ${n.op}(${args})`);
      v = n.v === null ? "" : "value " + n.v;
      g = "grad (the backward pass comes after the forward pass)";
      const [src, code] = data.places[n.at];
      x = code ? `${src}: ${code}` : "";
    } else if (s.kind === "seed") {
      const n = nodes[s.node];
      t = `Backward: seed the output ${n.name}`;
      v = n.v === null ? "" : "value " + n.v;
      g = "grad " + data.seed;
      x = data.seedRule === "scalar" ? "d output / d output = 1" : data.seedRule === "sum"
        ? "non-scalar output: differentiated as the sum of its elements (seed of ones)" : "the given seed";
    } else if (s.kind === "backward") {
      const n = nodes[s.node], e = edges[s.edge], r = nodes[e.v];
      t = `Backward ${s.index}/${nBackward}: ${r.name} \u2192 ${n.name}`;
      v = n.v === null ? "" : "value " + n.v;
      g = "grad " + s.grad + (s.done ? " (complete)" : " (so far: more paths add to it)");
      const factor = e.formula || "the local factor";
      const via = e.f !== null ? `grad(${r.name}) \u00d7 ${factor} = ${r.g} \u00d7 ${e.ft} = ${e.flow}`
        : e.ft !== null ? `grad(${r.name}) \u00d7 ${factor}, elementwise: ${r.g} and ${e.ft} give ${e.flow}`
        : `the vector-Jacobian product of ${r.op} applied to grad(${r.name}) (gain ${e.gain}) = ${e.flow}`;
      const terms = succ[s.node].filter((i) => edges[i].flow !== null).length;
      x = `grad_flow = ${via}; it adds into grad(${n.name})` + (terms > 1 ? `, one of ${terms} terms (one per edge out of it).` : ".");
    } else {
      const o = data.output === null ? null : nodes[data.output];
      t = "Done: every value and gradient";
      v = o && o.v !== null ? `output ${o.name} value ${o.v}` : "";
      g = "";
      x = "Each node's grad is the sum over its paths to the output of the product of the factors along the path. Click a node to see them.";
    }
    title.textContent = t; value.textContent = v; grad.textContent = g; note.textContent = x;
  }

  // ---- hover details and click-to-select paths ------------------------------------------------------

  function details(owner) {
    const body = q(".gad-details-body");
    body.replaceChildren();
    const row = (label, text, pre) => {
      if (text === null || text === undefined || text === "") return;
      const d = el("div", "gad-row");
      d.append(el("b", "", label + " "), el(pre ? "pre" : "span", "", text));
      body.append(d);
    };
    if (!owner) { body.textContent = "Hover a node or edge; click a node for its paths to the output."; return; }
    if (owner.node !== undefined) {
      const n = nodes[owner.node];
      body.append(el("div", "gad-head", `${n.name}  [${n.op}]`));
      row("shape", `${n.shape} ${n.dtype}`);
      row("value", n.vf, true);
      row("grad", n.gf === null ? "none (no gradient flows here)" : n.gf, true);
      const [src, code, scope] = data.places[n.at];
      row("scope", scope);
      row("at", src);
      row("code", code);
      row("mark", n.mark);
    } else if (owner.edge !== undefined) {
      const list = drawnEdges[edges[owner.edge].el];
      list.forEach((i) => {
        const e = edges[i];
        body.append(el("div", "gad-head", `${nameOf(e.u)} \u2192 ${nameOf(e.v)}`));
        row("d result / d operand =", e.formula);
        row("local factor", e.ft);
        row("gain", e.gain);
        row("grad flow", e.flowf === null ? "none (no gradient flows here)" : e.flowf, true);
        row("mark", e.mark);
      });
    } else {
      const g = data.groups[owner.group];
      body.append(el("div", "gad-head", `${g.kind} ${g.title}`));
      row("nodes", `${g.members[2]} (ids ${g.members[0]}..${g.members[1]})`);
    }
  }

  // Nodes that reach the output (computed once): paths are only drawn through these.
  const reachesOut = new Array(N).fill(false);
  if (data.output !== null) {
    reachesOut[data.output] = true;
    for (let i = N - 1; i >= 0; i--) if (succ[i].some((k) => reachesOut[edges[k].v])) reachesOut[i] = true;
  }
  const PATH_LIMIT = 20, PATH_SHOWN = 10;  // paths listed; factors written out per path
  let selected = null;

  function select(id) {
    root.querySelectorAll(".gad-on, .gad-selected").forEach((g) => g.classList.remove("gad-on", "gad-selected"));
    root.classList.toggle("gad-selecting", id !== null);
    selected = id;
    const box = q(".gad-paths"), body = q(".gad-paths-body");
    body.replaceChildren();
    box.hidden = id === null;
    details(id === null ? null : { node: id });
    if (id === null) return;
    // Nodes on a path from id to the output: reachable from id (in trace order) and reaching the output.
    const on = new Array(N).fill(false);
    on[id] = reachesOut[id];
    for (let i = id; i < N; i++) if (on[i]) succ[i].forEach((k) => { if (reachesOut[edges[k].v]) on[edges[k].v] = true; });
    const pathEdges = edges.map((e, k) => k).filter((k) => on[edges[k].u] && on[edges[k].v]);
    setClass(elements[nodes[id].el], "gad-selected", true);
    nodes.forEach((n, i) => { if (on[i]) setClass(elements[n.el], "gad-on", true); });
    pathEdges.forEach((k) => setClass(elements[edges[k].el], "gad-on", true));
    if (!on[id]) { body.append(el("p", "", `${nameOf(id)} does not reach the output.`)); return; }
    // Count paths (they can be exponentially many), then list the first few by depth-first search.
    const count = new Array(N).fill(0);
    for (let i = N - 1; i >= id; i--) {
      if (!on[i]) continue;
      count[i] = i === data.output ? 1 : succ[i].reduce((a, k) => a + (on[edges[k].v] ? count[edges[k].v] : 0), 0);
    }
    const paths = [];
    (function walk(i, trail) {
      if (paths.length >= PATH_LIMIT) return;
      if (i === data.output) { paths.push(trail.slice()); return; }
      succ[i].forEach((k) => { if (on[edges[k].v]) { trail.push(k); walk(edges[k].v, trail); trail.pop(); } });
    })(id, []);
    const list = el("ol", "gad-path-list");
    let sum = 0, exact = true;
    paths.forEach((path) => {
      const li = el("li");
      const scalar = path.every((k) => edges[k].f !== null);
      const flows = path.every((k) => edges[k].gain !== null);
      let prod = 1, text = nameOf(id);
      path.forEach((k, j) => {
        const e = edges[k];
        prod *= scalar ? num(e.f) : Number(e.gain);
        // A long path shows its first and last few factors; the product still takes them all.
        if (path.length > PATH_SHOWN && j >= PATH_SHOWN / 2 && j < path.length - PATH_SHOWN / 2) {
          if (j === PATH_SHOWN / 2) {
            const resume = edges[path[path.length - PATH_SHOWN / 2]].u;
            text += ` \u2192 \u2026 ${path.length - PATH_SHOWN} more factors \u2026 \u2192 ${nameOf(resume)}`;
          }
          return;
        }
        text += (scalar ? ` \u00d7${e.ft}` : e.gain !== null ? ` (gain ${e.gain})` : "") + ` \u2192 ${nameOf(e.v)}`;
      });
      const result = scalar ? " = " + fmt(prod) : flows ? " gains multiply to " + fmt(prod)
        : " (no gradient flows out of a constant)";
      li.append(el("span", "gad-path-text", text), el("b", "gad-path-product", result));
      if (scalar) sum += prod; else exact = false;
      li.addEventListener("mouseenter", () => path.forEach((k) => setClass(elements[edges[k].el], "gad-hot", true)));
      li.addEventListener("mouseleave", () => root.querySelectorAll(".gad-hot").forEach((g) => g.classList.remove("gad-hot")));
      list.append(li);
    });
    const many = count[id] < 1e15 ? String(count[id]) : "about " + fmt(count[id]);
    body.append(el("p", "", `${many} path${count[id] === 1 ? "" : "s"} from ${nameOf(id)} to the output` +
      (count[id] > paths.length ? `; the first ${paths.length}:` : ":")), list);
    const n = nodes[id];
    if (exact && count[id] === paths.length && data.seedRule === "scalar") {
      body.append(el("p", "gad-path-sum", `sum of the products = ${fmt(sum)}; grad(${n.name}) = ${n.g}`));
    } else {
      const arrays = paths.some((path) => path.every((k) => edges[k].gain !== null) && path.some((k) => edges[k].f === null));
      body.append(el("p", "gad-path-sum", `grad(${n.name}) = ${n.g === null ? "none" : n.g}` +
        (arrays ? " (array factors: a path's gains bound its part, they do not give it)" : "")));
    }
  }

  function ownerAt(target) {
    for (let g = target; g && g !== svg; g = g.parentNode) if (ownerOf.has(g)) return ownerOf.get(g);
    return null;
  }
  svg.addEventListener("mouseover", (ev) => {
    const o = ownerAt(ev.target);
    if (o) details(o);
  });
  svg.addEventListener("mouseleave", () => details(selected === null ? null : { node: selected }));

  // ---- pan and zoom (on the viewBox, so the SVG stays sharp) -----------------------------------------

  const base = svg.viewBox.baseVal;
  const home = { x: base.x, y: base.y, w: base.width, h: base.height };
  let box = Object.assign({}, home);
  function setBox(b) {
    box = b;
    svg.setAttribute("viewBox", `${b.x} ${b.y} ${b.w} ${b.h}`);
  }
  function zoom(k, clientX, clientY) {
    const w = Math.max(20, Math.min(home.w * 4, box.w / k));
    k = box.w / w;
    const r = svg.getBoundingClientRect();
    const pt = svg.createSVGPoint();
    pt.x = clientX === undefined ? r.left + r.width / 2 : clientX;
    pt.y = clientY === undefined ? r.top + r.height / 2 : clientY;
    const c = pt.matrixTransform(svg.getScreenCTM().inverse());  // the point that stays put
    setBox({ x: c.x - (c.x - box.x) / k, y: c.y - (c.y - box.y) / k, w: box.w / k, h: box.h / k });
  }
  // Pan so that a drawn element is in view, zooming in first when it is too small to read (big graphs).
  function reveal(g) {
    if (!g) return;
    const r = svg.getBoundingClientRect(), b = g.getBoundingClientRect();
    const small = b.height < 14;
    if (!r.width || (!small && b.left >= r.left && b.right <= r.right && b.top >= r.top && b.bottom <= r.bottom)) return;
    const pt = svg.createSVGPoint();
    pt.x = b.left + b.width / 2;
    pt.y = b.top + b.height / 2;
    const c = pt.matrixTransform(svg.getScreenCTM().inverse());
    const k = small ? 60 / Math.max(b.height, 0.1) : 1;  // the element about 60 px tall
    const w = Math.max(20, box.w / k), h = box.h * w / box.w;
    setBox({ x: c.x - w / 2, y: c.y - h / 2, w: w, h: h });
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    zoom(Math.exp(-ev.deltaY * 0.0015), ev.clientX, ev.clientY);
  }, { passive: false });
  let drag = null, dragged = false;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, box: box, scale: svg.getScreenCTM().a };
    dragged = false;
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;  // a click, not a drag (yet)
    if (!dragged) svg.setPointerCapture(ev.pointerId);
    dragged = true;
    root.classList.add("gad-dragging");
    setBox({ x: drag.box.x - dx / drag.scale, y: drag.box.y - dy / drag.scale, w: drag.box.w, h: drag.box.h });
  });
  const endDrag = () => { drag = null; root.classList.remove("gad-dragging"); };
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener("click", (ev) => {
    if (dragged) { dragged = false; return; }
    const o = ownerAt(ev.target);
    if (o && o.node !== undefined) select(o.node === selected ? null : o.node);
    else if (o && o.group !== undefined) select(data.groups[o.group].members[1]);
    else if (!o) select(null);
  });

  // ---- controls -------------------------------------------------------------------------------------

  let timer = null;
  function play(on) {
    if (on && !timer) {
      if (pos === LAST) show(0);
      timer = setInterval(() => { if (pos >= LAST - 1) play(false); show(pos + 1); }, Number(q(".gad-speed").value));
    } else if (!on && timer) {
      clearInterval(timer);
      timer = null;
    }
    const b = q(".gad-play");
    b.textContent = timer ? "\u2016 pause" : "\u25b6 play";
    root.classList.toggle("gad-playing", !!timer);
  }
  const actions = {
    first: () => { play(false); show(0); }, last: () => { play(false); show(LAST); },
    prev: () => { play(false); show(pos - 1); }, next: () => { play(false); show(pos + 1); },
    play: () => play(!timer), zoomin: () => zoom(1.25), zoomout: () => zoom(0.8), fit: () => setBox(home),
  };
  root.querySelectorAll("button[data-act]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.act]()));
  q(".gad-slider").addEventListener("input", (ev) => { play(false); show(Number(ev.target.value)); });
  q(".gad-speed").addEventListener("change", () => { if (timer) { play(false); play(true); } });
  const KEYS = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play",
                 "+": "zoomin", "=": "zoomin", "-": "zoomout", "0": "fit" };
  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = ev.target && ev.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (tag === "BUTTON" && ev.key === " ")) return;
    if (ev.key === "Escape") { select(null); return; }
    if (!KEYS[ev.key]) return;
    ev.preventDefault();
    actions[KEYS[ev.key]]();
  }
  // A whole page takes keys anywhere; an embedded drawing only when it has the focus.
  (data.page ? document : root).addEventListener("keydown", onKey);

  // Debugger findings (when rendered with a report): click one to select its first node.
  if (data.findings.length) {
    q(".gad-findings").hidden = false;
    const ul = q(".gad-findings-body");
    data.findings.forEach((f) => {
      const li = el("li", "gad-" + f.level, `${f.level}: ${f.message}`);
      if (f.nodes.length) li.addEventListener("click", () => select(f.nodes[0]));
      ul.append(li);
    });
  }
  show(LAST);
}
