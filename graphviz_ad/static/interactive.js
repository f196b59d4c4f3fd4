/* graphviz-ad interactive drawing: pan and zoom, details on hover, paths to the output on click, and a
 * step-through of the forward pass (each value appears, in trace order) and the backward pass (each
 * edge's grad_flow arrives and adds into its operand's gradient, with the sum written out).
 *
 * One call per drawing: graphvizAdInteractive(rootDiv). Everything is looked up inside rootDiv, so
 * several drawings can share a page. The data is the JSON in rootDiv's script.gad-data, written by
 * graphviz_ad/html.py (page_data); the drawing is the renderer's SVG, whose node and edge groups have
 * the ids PREFIX + "n7" and PREFIX + "e_n0_n3" (and "s2", "f7", "b7" for collapsed groups).
 *
 * Stepping is incremental: each step records what it changes, so moving by one step touches only the
 * few drawn elements involved, whatever the size of the graph (see moveTo).
 */
function graphvizAdInteractive(root) {
  "use strict";
  const data = JSON.parse(root.querySelector("script.gad-data").textContent);
  const P = data.prefix;
  const nodes = data.nodes, edges = data.edges, N = nodes.length;
  const viewport = root.querySelector(".gad-viewport");
  const svg = viewport.querySelector("svg");
  const q = (sel) => root.querySelector(sel);
  const READABLE_PX = 11;  // smallest text size on screen that the view zooms to

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
    const found = { g: g, val: null, grad: null, text: null, squeezed: false };
    if (g) {
      ownerOf.set(g, { node: n.id });
      g.querySelectorAll("text").forEach((t) => {
        if (n.v !== null && t.textContent === "val " + n.v) found.val = t;
        if (n.g !== null && t.textContent === "grad " + n.g) found.grad = t;
      });
      found.text = found.grad ? found.grad.textContent : null;
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
  edges.forEach((e, i) => { if (e.el && elements[e.el]) (drawnEdges[e.el] = drawnEdges[e.el] || []).push(i); });
  const edgeLabel = {};  // drawn edge id -> its label's <text> and the text the renderer wrote
  Object.keys(drawnEdges).forEach((key) => {
    const t = elements[key].querySelector("text");
    if (t) edgeLabel[key] = { t: t, text: t.textContent };
  });

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
  function setClass(g, cls, on) { if (g && g.classList.contains(cls) !== !!on) g.classList.toggle(cls, !!on); }

  // ---- the steps: start, one per node (forward), the seed, one per gradient flow (backward), done --

  const steps = [{ kind: "start" }];
  nodes.forEach((n) => steps.push({ kind: "forward", node: n.id }));
  if (data.seed !== null && data.output !== null) steps.push({ kind: "seed", node: data.output });
  const edgeIndex = new Map(edges.map((e, i) => [e.u + ">" + e.v, i]));
  const terms = new Array(N).fill(0);  // gradient terms each node receives (one per edge out that carries flow)
  data.backward.forEach((s) => { terms[s[0]] += 1; });
  const sofar = new Array(N).fill(null), seen = new Array(N).fill(0);
  data.backward.forEach((s, k) => {
    const u = s[0];
    seen[u] += 1;
    steps.push({ kind: "backward", index: k + 1, node: u, edge: edgeIndex.get(u + ">" + s[1]), grad: s[2], done: s[3],
                 before: sofar[u], term: seen[u] });
    sofar[u] = s[2];
  });
  steps.push({ kind: "done" });
  const LAST = steps.length - 1, SEED = N + 1;
  const nBackward = data.backward.length;

  // The model: what the drawing shows after steps 1..pos. Each step changes a few entries; moveTo
  // applies or undoes steps one by one (cheap: no DOM), noting which nodes and edges changed, then
  // redraws only those. Crossing between phases (forward, backward, done) redraws everything once.
  const model = { computed: 0, grad: new Array(N).fill(null), final: new Array(N).fill(false),
                  flowed: new Array(edges.length).fill(false) };
  let pos = 0;
  const dirtyNodes = new Set(), dirtyEdges = new Set();
  function touchNode(i) { dirtyNodes.add(i); pred[i].forEach((k) => dirtyEdges.add(k)); }
  function apply(s, forward) {
    if (s.kind === "forward") { model.computed = forward ? s.node + 1 : s.node; touchNode(s.node); }
    else if (s.kind === "seed") { model.grad[s.node] = forward ? data.seed : null; model.final[s.node] = forward; touchNode(s.node); }
    else if (s.kind === "backward") {
      model.grad[s.node] = forward ? s.grad : s.before;
      model.final[s.node] = forward && s.done;
      model.flowed[s.edge] = forward;
      touchNode(s.node);
      dirtyEdges.add(s.edge);
    }
  }
  const phaseOf = (p) => (p === LAST ? "done" : p <= N ? "forward" : "backward");
  let shownPhase = null;

  function drawNode(i) {
    const n = nodes[i], lab = labels[i], done = pos === LAST;
    const computed = done || pos > N || i < model.computed;
    if (lab.val) lab.val.classList.toggle("gad-hidden", !computed);
    if (lab.grad) {
      const text = done ? n.g : model.grad[i];
      lab.grad.classList.toggle("gad-hidden", text === null);
      setClass(lab.grad, "gad-partial", !done && text !== null && !model.final[i]);
      if (text !== null && lab.grad.textContent !== "grad " + text) {
        lab.grad.textContent = "grad " + text;
        fitLabel(lab);
      }
    }
  }
  function drawElement(key) {  // a drawn node (or group of nodes): pending until its first member is computed
    const g = elements[key];
    if (g) setClass(g, "gad-pending", pos !== LAST && pos <= N && members[key][0] >= model.computed);
  }
  // A partial sum can be longer than the final gradient the box was sized for: squeeze it into the box.
  const squeeze = [];
  function fitLabel(lab) {
    if (lab.squeezed) { lab.grad.removeAttribute("textLength"); lab.grad.removeAttribute("lengthAdjust"); lab.squeezed = false; }
    if (lab.grad.textContent.length > lab.text.length && squeeze.indexOf(lab) < 0) squeeze.push(lab);
  }
  function boxWidth(g) {
    const shape = g.querySelector("polygon, ellipse");
    if (shape && shape.tagName === "ellipse") return 2 * Number(shape.getAttribute("rx")) * 0.85;
    if (shape) {
      const xs = shape.getAttribute("points").trim().split(/\s+/).map((p) => Number(p.split(",")[0]));
      return Math.max.apply(null, xs) - Math.min.apply(null, xs);
    }
    return g.getBBox().width;
  }
  function drawEdge(key) {
    const g = elements[key], list = drawnEdges[key], done = pos === LAST, backward = pos > N && !done;
    setClass(g, "gad-pending", !done && !backward && !list.some((i) => edges[i].v < model.computed));
    setClass(g, "gad-waiting", backward && !list.some((i) => model.flowed[i]));
  }

  function moveTo(p) {
    p = Math.max(0, Math.min(LAST, p));
    if (p === pos && shownPhase !== null) return;
    clearCurrent();
    while (pos < p) apply(steps[++pos], true);
    while (pos > p) apply(steps[pos--], false);
    const phase = phaseOf(pos);
    if (phase !== shownPhase) {  // every label and class may change: redraw all, once
      shownPhase = phase;
      root.classList.toggle("gad-fwd", phase === "forward");
      root.classList.toggle("gad-bwd", phase === "backward");
      for (let i = 0; i < N; i++) drawNode(i);
      Object.keys(members).forEach(drawElement);
      Object.keys(drawnEdges).forEach(drawEdge);
    } else {
      dirtyNodes.forEach(drawNode);
      new Set([...dirtyNodes].map((i) => nodes[i].el)).forEach(drawElement);
      const keys = new Set();
      dirtyEdges.forEach((k) => { if (edges[k].el && drawnEdges[edges[k].el]) keys.add(edges[k].el); });
      keys.forEach(drawEdge);
    }
    dirtyNodes.clear();
    dirtyEdges.clear();
    markCurrent(steps[pos]);
    describe(steps[pos]);
    const slider = q(".gad-slider");
    slider.value = String(pos);
    slider.setAttribute("aria-valuetext", counterText());
    q(".gad-counter").textContent = counterText();
    root.dataset.step = String(pos);
    revealStep(steps[pos]);
    squeezeLabels();
    overview.mark();
  }
  // Measured after all writes, so the page lays out once per step; a label out of view (not laid
  // out) waits until it comes into view.
  function squeezeLabels() {
    const later = squeeze.filter((lab) => lab.g.gadSpot);
    squeeze.filter((lab) => !lab.g.gadSpot).forEach((lab) => {
      const room = boxWidth(lab.g) - 6, width = lab.grad.getComputedTextLength();
      if (width > room) {
        lab.grad.setAttribute("textLength", room.toFixed(1));
        lab.grad.setAttribute("lengthAdjust", "spacingAndGlyphs");
        lab.squeezed = true;
      }
    });
    squeeze.splice(0, squeeze.length, ...later);
  }
  function counterText() {
    const s = steps[pos];
    return pos === 0 ? "start" : pos === LAST ? "done" : pos <= N ? `forward ${pos}/${N}`
      : s.kind === "seed" ? "backward: seed" : `backward ${s.index}/${nBackward}`;
  }

  // The current step's elements: the node computed or receiving, its operands or the result sending,
  // and the edge crossed, whose label shows factor x upstream gradient -> the term that arrives.
  let current = [];
  function mark(g, cls) { if (g) { g.classList.add(cls); current.push([g, cls]); } }
  function clearCurrent() {
    current.forEach(([g, cls]) => g.classList.remove(cls));
    current = [];
    Object.keys(crossed).forEach((key) => { const l = edgeLabel[key]; l.t.textContent = l.text; delete crossed[key]; });
  }
  const crossed = {};
  function markCurrent(s) {
    if (s.node === undefined) return;
    mark(elements[nodes[s.node].el], "gad-current");
    if (s.kind === "forward") {
      pred[s.node].forEach((i) => { mark(elements[edges[i].el], "gad-operand"); mark(elements[nodes[edges[i].u].el], "gad-sender"); });
    }
    if (s.kind === "backward") {
      const e = edges[s.edge], key = e.el;
      if (elements[nodes[e.v].el] !== elements[nodes[e.u].el]) mark(elements[nodes[e.v].el], "gad-sender");
      if (key && elements[key]) {
        mark(elements[key], "gad-current");
        elements[key].parentNode.append(elements[key]);  // drawn last: its longer label goes over the nodes near it
        const l = edgeLabel[key];
        if (l && e.flow !== null) { l.t.textContent = (e.f !== null ? l.text : "") + " \u2192 " + e.flow; crossed[key] = true; }
      }
    }
  }

  // The step panel: what happened at this step, in words and numbers.
  function describe(s) {
    const out = { title: "", sum: "", value: "", grad: "", note: "" };
    if (s.kind === "start") {
      out.title = "Start: nothing computed yet";
      out.note = "Step forward: each value is computed in trace order. Then the backward pass sends each " +
          "gradient back along the edges: multiply along a path, add across paths.";
    } else if (s.kind === "forward") {
      const n = nodes[s.node];
      const leaf = n.op === "input" || n.op === "const";
      out.title = `Forward ${s.node + 1}/${N}: ${n.name}` + (leaf ? ` (${n.op})` : ` = ${n.op}(${n.in.map(nameOf).join(", ")})`);
      if (!leaf && n.v !== null) out.sum = `${n.name} = ${n.op}(${n.in.map((i) => nodes[i].v === null ? nameOf(i) : nodes[i].v).join(", ")}) = ${n.v}`;
      out.value = n.v === null ? "" : "value " + n.v;
      out.grad = "grad (the backward pass comes after the forward pass)";
      const [src, code] = data.places[n.at];
      out.note = code ? `${src}: ${code}` : "";
    } else if (s.kind === "seed") {
      const n = nodes[s.node];
      out.title = `Backward: seed the output ${n.name}`;
      out.sum = `grad(${n.name}) = ${data.seed}`;
      out.value = n.v === null ? "" : "value " + n.v;
      out.grad = "grad " + data.seed;
      out.note = data.seedRule === "scalar" ? `d ${n.name} / d ${n.name} = 1` : data.seedRule === "sum"
        ? "non-scalar output: differentiated as the sum of its elements (seed of ones)" : "the given seed";
    } else if (s.kind === "backward") {
      const n = nodes[s.node], e = edges[s.edge], r = nodes[e.v];
      out.title = `Backward ${s.index}/${nBackward}: ${r.name} (sending, blue) → ${n.name} (receiving, red)`;
      const term = e.flow.startsWith("-") ? `(${e.flow})` : e.flow;
      out.sum = `grad(${n.name}) = ` + (s.before === null ? e.flow : `${s.before} (so far) + ${term} = ${s.grad}`);
      out.value = n.v === null ? "" : "value " + n.v;
      const left = terms[s.node] - s.term;
      out.grad = "grad " + s.grad + (s.done ? ` (complete: ${terms[s.node] === 1 ? "its only term" : "all " + terms[s.node] + " terms are in"})`
        : ` (so far: ${left} more term${left === 1 ? "" : "s"} to come, one per path out)`);
      const factor = e.formula || "the local factor";
      const via = e.f !== null ? `grad(${r.name}) \u00d7 ${factor} = ${r.g} \u00d7 ${e.ft} = ${e.flow}`
        : e.ft !== null ? `grad(${r.name}) \u00d7 ${factor}, elementwise: ${r.g} and ${e.ft} give ${e.flow}`
        : `the vector-Jacobian product of ${r.op} applied to grad(${r.name}) (gain ${e.gain}) = ${e.flow}`;
      out.note = `term ${s.term} of ${terms[s.node]}: ${via}. Multiply along the path, add across paths.`;
    } else {
      const o = data.output === null ? null : nodes[data.output];
      out.title = "Done: every value and gradient";
      out.value = o && o.v !== null ? `output ${o.name} value ${o.v}` : "";
      out.note = "Each node's grad is the sum over its paths to the output of the product of the factors along the path. Click a node to see them.";
    }
    Object.keys(out).forEach((k) => { const x = q(".gad-step-" + k); if (x.textContent !== out[k]) x.textContent = out[k]; });
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
    if (!owner) { body.textContent = "Hover or focus a node or edge; click a node (or press Enter) for its paths to the output."; return; }
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
  let selected = null, lit = [];

  function select(id) {
    lit.forEach((g) => g.classList.remove("gad-on", "gad-selected"));
    lit = [];
    root.classList.toggle("gad-selecting", id !== null);
    selected = id;
    const box = q(".gad-paths"), body = q(".gad-paths-body");
    body.replaceChildren();
    box.hidden = id === null;
    details(id === null ? null : { node: id });
    if (id === null) return;
    const light = (g, cls) => { if (g) { g.classList.add(cls); lit.push(g); } };
    // Nodes on a path from id to the output: reachable from id (in trace order) and reaching the output.
    const on = new Array(N).fill(false);
    on[id] = reachesOut[id];
    for (let i = id; i < N; i++) if (on[i]) succ[i].forEach((k) => { if (reachesOut[edges[k].v]) on[edges[k].v] = true; });
    light(elements[nodes[id].el], "gad-selected");
    nodes.forEach((n, i) => { if (on[i]) light(elements[n.el], "gad-on"); });
    edges.forEach((e) => { if (on[e.u] && on[e.v]) light(elements[e.el], "gad-on"); });
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
      li.tabIndex = 0;
      if (scalar) sum += prod; else exact = false;
      const hot = (on) => path.forEach((k) => setClass(elements[edges[k].el], "gad-hot", on));
      li.addEventListener("mouseenter", () => hot(true));
      li.addEventListener("mouseleave", () => hot(false));
      li.addEventListener("focus", () => hot(true));
      li.addEventListener("blur", () => hot(false));
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

  // Keyboard and screen reader: every drawn node is focusable, named with its value and gradient;
  // focus shows its details and brings it into view, Enter lists its paths.
  ownerOf.forEach((owner, g) => {
    if (owner.edge !== undefined) return;
    const text = owner.node !== undefined
      ? `${nameOf(owner.node)} (${nodes[owner.node].op})` + (nodes[owner.node].v !== null ? `, value ${nodes[owner.node].v}` : "")
        + (nodes[owner.node].g !== null ? `, grad ${nodes[owner.node].g}` : "")
      : `${data.groups[owner.group].kind} ${data.groups[owner.group].title}, ${data.groups[owner.group].members[2]} nodes`;
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", text);
  });
  svg.addEventListener("focusin", (ev) => {
    const o = ownerAt(ev.target);
    if (!o) return;
    details(o);
    // Brought into view when the focus came from the keyboard (a click's focus must not move the view
    // under the pointer before the click lands).
    if (ev.target.matches(":focus-visible")) reveal([ev.target], false);
  });

  // ---- pan and zoom (on the viewBox, so the SVG stays sharp) -----------------------------------------

  const base = svg.viewBox.baseVal;
  const home = { x: base.x, y: base.y, w: base.width, h: base.height };
  const graph = svg.querySelector("g.graph");
  const toRoot = graph && graph.transform.baseVal.numberOfItems ? graph.transform.baseVal.consolidate().matrix : svg.createSVGMatrix();
  // The smallest text of the nodes' labels, in drawing units: the view keeps it at READABLE_PX or more
  // (edge labels are drawn a little smaller, as in the static picture).
  let minFont = Infinity;
  svg.querySelectorAll("g.node text[font-size]").forEach((t) => {
    if (t.closest("[id$='legend_table']")) return;
    minFont = Math.min(minFont, Number(t.getAttribute("font-size")));
  });
  if (!isFinite(minFont)) minFont = 10;
  const readable = () => READABLE_PX / minFont;  // screen px per drawing unit
  let view = null;  // {cx, cy, s}: the centre (drawing units) and the scale (px per unit)
  const size = () => ({ w: svg.clientWidth || 1, h: svg.clientHeight || 1 });
  const fitScale = () => Math.min(size().w / home.w, size().h / home.h);
  function setView(v) {
    const lo = Math.min(fitScale(), readable()) * 0.5, hi = readable() * 12;
    view = { cx: v.cx, cy: v.cy, s: Math.max(lo, Math.min(hi, v.s)) };
    const { w, h } = size();
    const bw = w / view.s, bh = h / view.s;
    svg.setAttribute("viewBox", `${+(view.cx - bw / 2).toFixed(2)} ${+(view.cy - bh / 2).toFixed(2)} ${+bw.toFixed(2)} ${+bh.toFixed(2)}`);
    cull();
    overview.frame();
  }
  // Elements far out of view wait in a hidden svg element (the "attic"), each leaving a placeholder where it
  // goes back: whenever the view moves the browser lays out every element of the drawing again, even
  // ones with display: none, so a big drawing would pan slowly. Boxes are measured once, before.
  const cullable = Object.keys(members).concat(Object.keys(drawnEdges)).map((key) => elements[key]).filter(Boolean);
  cullable.forEach(boxOf);
  const attic = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  attic.setAttribute("class", "gad-attic");
  attic.setAttribute("aria-hidden", "true");
  viewport.append(attic);
  function cull() {
    const { w, h } = size(), bw = w / view.s, bh = h / view.s;
    const x0 = view.cx - 0.75 * bw, x1 = view.cx + 0.75 * bw, y0 = view.cy - 0.75 * bh, y1 = view.cy + 0.75 * bh;  // a quarter view around
    let shown = false;
    cullable.forEach((g) => {
      const b = g.gadBox, off = b.x > x1 || b.x + b.w < x0 || b.y > y1 || b.y + b.h < y0;
      if (!!g.gadSpot === off) return;
      if (off) {
        g.gadSpot = document.createComment("");
        g.replaceWith(g.gadSpot);
        attic.append(g);
      } else {
        g.gadSpot.replaceWith(g);
        g.gadSpot = null;
        shown = true;
      }
    });
    if (shown && squeeze.length) squeezeLabels();
  }
  function fit() { setView({ cx: home.x + home.w / 2, cy: home.y + home.h / 2, s: fitScale() }); }
  // Clamp a centre so that a view of scale s stays over the drawing (or the given box) where it can.
  function clamped(cx, cy, s, over) {
    const { w, h } = size(), bw = w / s, bh = h / s, b = over || home;
    const c = (x, lo, span, view) => (view >= span ? lo + span / 2 : Math.max(lo + view / 2, Math.min(lo + span - view / 2, x)));
    return { cx: c(cx, b.x, b.w, bw), cy: c(cy, b.y, b.h, bh), s: s };
  }
  function boxOf(g) {  // an element's box in drawing (viewBox) units; cached: the layout never moves
    if (!g.gadBox) {
      const b = g.getBBox();
      const p = (x, y) => ({ x: toRoot.a * x + toRoot.c * y + toRoot.e, y: toRoot.b * x + toRoot.d * y + toRoot.f });
      const a = p(b.x, b.y), z = p(b.x + b.width, b.y + b.height);
      g.gadBox = { x: Math.min(a.x, z.x), y: Math.min(a.y, z.y), w: Math.abs(z.x - a.x), h: Math.abs(z.y - a.y) };
    }
    return g.gadBox;
  }
  function union(list) {
    const bs = list.filter(Boolean).map(boxOf);
    if (!bs.length) return null;
    const x = Math.min(...bs.map((b) => b.x)), y = Math.min(...bs.map((b) => b.y));
    return { x: x, y: y, w: Math.max(...bs.map((b) => b.x + b.w)) - x, h: Math.max(...bs.map((b) => b.y + b.h)) - y };
  }
  // The initial view: the whole drawing when its text is readable so, else a readable view around the
  // output, or around the first finding of a report (that is where a debugging reader looks first).
  function opening() {
    if (fitScale() * minFont >= READABLE_PX) { fit(); return; }
    const finding = data.findings.find((f) => f.nodes.length && f.level !== "info");
    const at = finding ? finding.nodes[0] : data.output;
    const g = at === null ? null : elements[nodes[at].el];
    const b = g ? boxOf(g) : { x: home.x + home.w, y: home.y + home.h / 2, w: 0, h: 0 };
    // Kept over the part of the graph around the node (not the whole drawing: the legend can make it
    // much taller), so the view is full of graph even when the node is at its edge.
    const { w, h } = size(), bw = w / readable(), bh = h / readable(), cx = b.x + b.w / 2, cy = b.y + b.h / 2;
    const near = cullable.filter((e) => Math.abs(e.gadBox.x + e.gadBox.w / 2 - cx) < bw && Math.abs(e.gadBox.y + e.gadBox.h / 2 - cy) < bh);
    const graphBox = union(near.length ? near : [g]) || home, m = 24 / readable();
    const over = { x: graphBox.x - m, y: graphBox.y - m, w: graphBox.w + 2 * m, h: graphBox.h + 2 * m };
    setView(clamped(b.x + b.w / 2, b.y + b.h / 2, readable(), over));
  }
  function zoom(k, clientX, clientY) {
    const r = svg.getBoundingClientRect();
    const px = clientX === undefined ? r.width / 2 : clientX - r.left, py = clientY === undefined ? r.height / 2 : clientY - r.top;
    const gx = view.cx + (px - r.width / 2) / view.s, gy = view.cy + (py - r.height / 2) / view.s;  // stays put
    const before = view.s;
    setView({ cx: view.cx, cy: view.cy, s: view.s * k });
    const s = view.s;
    setView({ cx: gx - (px - r.width / 2) / s, cy: gy - (py - r.height / 2) / s, s: s });
    return s / before;
  }
  // Bring elements into view at a readable zoom: all of them when they fit, else the first alone.
  // The view moves only when they are not in it already, and then centres them, so that stepping
  // along a chain pans now and then by half a screen instead of a little at every step.
  function reveal(list, zoomIn) {
    list = list.filter(Boolean);
    if (!list.length || !svg.clientWidth) return;
    const s = zoomIn && view.s < readable() ? readable() : view.s;
    const { w, h } = size(), margin = 16 / s, bw = w / s, bh = h / s;
    let b = union(list);
    if (b.w + 2 * margin > bw || b.h + 2 * margin > bh) b = union(list.slice(0, 1));
    // The margin is wanted only where the drawing goes on (an element at its edge is in view as it is).
    const x0 = Math.max(b.x - margin, home.x), x1 = Math.min(b.x + b.w + margin, home.x + home.w);
    const y0 = Math.max(b.y - margin, home.y), y1 = Math.min(b.y + b.h + margin, home.y + home.h);
    const inside = s === view.s && x0 >= view.cx - bw / 2 - 0.5 && x1 <= view.cx + bw / 2 + 0.5
      && y0 >= view.cy - bh / 2 - 0.5 && y1 <= view.cy + bh / 2 + 0.5;
    if (!inside) setView(clamped(b.x + b.w / 2, b.y + b.h / 2, s));
  }
  function revealStep(s) {
    if (s.node === undefined || !elements[nodes[s.node].el]) return;
    const list = [elements[nodes[s.node].el]];
    if (s.kind === "backward") {
      const e = edges[s.edge];
      list.push(e.el && elements[e.el], elements[nodes[e.v].el]);
    }
    reveal(list, true);
  }

  // The overview: the whole drawing in miniature, with the part in view framed and the current node
  // dotted. Drawn once on a canvas (cheap at any size); shown while the view does not hold everything.
  const overview = (function () {
    const box = el("div", "gad-overview"), canvas = el("canvas"), frame = el("div", "gad-overview-frame"),
      dot = el("div", "gad-overview-dot");
    box.setAttribute("aria-hidden", "true");
    box.append(canvas, frame, dot);
    viewport.append(box);
    let drawn = false, scale = 1, W = 0, H = 0;
    function draw() {
      const max = Math.min(200, Math.max(120, viewport.clientWidth * 0.25));
      scale = Math.min(max / home.w, 130 / home.h);
      W = Math.max(16, home.w * scale); H = Math.max(16, home.h * scale);
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.round(W * ratio); canvas.height = Math.round(H * ratio);
      canvas.style.width = W + "px"; canvas.style.height = H + "px";
      box.style.width = W + "px"; box.style.height = H + "px";
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio * scale, 0, 0, ratio * scale, -home.x * scale * ratio, -home.y * scale * ratio);
      ctx.transform(toRoot.a, toRoot.b, toRoot.c, toRoot.d, toRoot.e, toRoot.f);
      ctx.lineWidth = 1 / scale;
      ctx.strokeStyle = data.theme === "dark" ? "#8a8a8a" : "#9a9a9a";
      Object.keys(drawnEdges).forEach((key) => {
        const line = elements[key].querySelector("path");
        if (line) ctx.stroke(new Path2D(line.getAttribute("d")));
      });
      ctx.setTransform(ratio * scale, 0, 0, ratio * scale, -home.x * scale * ratio, -home.y * scale * ratio);
      Object.keys(members).forEach((key) => {
        const g = elements[key];
        const shape = g && g.querySelector("polygon, ellipse, path");
        if (!shape) return;
        const b = { x: g.gadBox.x, y: g.gadBox.y, width: g.gadBox.w, height: g.gadBox.h };
        ctx.fillStyle = shape.getAttribute("fill") && shape.getAttribute("fill") !== "none" ? shape.getAttribute("fill") : "#ddd";
        ctx.strokeStyle = data.theme === "dark" ? "#bbb" : "#555";
        ctx.fillRect(b.x, b.y, b.width, b.height);
        ctx.strokeRect(b.x, b.y, b.width, b.height);
      });
      drawn = true;
    }
    function update() {
      if (!view) return;
      const { w, h } = size(), bw = w / view.s, bh = h / view.s;
      const all = bw >= home.w - 1 && bh >= home.h - 1;
      box.hidden = all;
      if (all) return;
      if (!drawn) draw();
      const x0 = Math.max(0, (view.cx - bw / 2 - home.x) * scale), y0 = Math.max(0, (view.cy - bh / 2 - home.y) * scale);
      const x1 = Math.min(W, (view.cx + bw / 2 - home.x) * scale), y1 = Math.min(H, (view.cy + bh / 2 - home.y) * scale);
      Object.assign(frame.style, { left: x0 + "px", top: y0 + "px", width: Math.max(2, x1 - x0) + "px", height: Math.max(2, y1 - y0) + "px" });
    }
    function markNode() {
      const s = steps[pos];
      const g = s.node !== undefined && elements[nodes[s.node].el];
      dot.hidden = !g || box.hidden;
      if (dot.hidden || !drawn) return;
      const b = boxOf(g);
      dot.style.left = ((b.x + b.w / 2 - home.x) * scale) + "px";
      dot.style.top = ((b.y + b.h / 2 - home.y) * scale) + "px";
    }
    // Click or drag on the overview: centre the view there.
    let moving = false;
    const centre = (ev) => {
      const r = canvas.getBoundingClientRect();
      setView({ cx: home.x + (ev.clientX - r.left) / scale, cy: home.y + (ev.clientY - r.top) / scale, s: view.s });
    };
    box.addEventListener("pointerdown", (ev) => { ev.stopPropagation(); moving = true; box.setPointerCapture(ev.pointerId); centre(ev); });
    box.addEventListener("pointermove", (ev) => { if (moving) centre(ev); });
    box.addEventListener("pointerup", () => { moving = false; });
    box.addEventListener("click", (ev) => ev.stopPropagation());
    return { frame: () => { update(); markNode(); }, mark: markNode, redraw: () => { drawn = false; update(); markNode(); } };
  })();

  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    zoom(Math.exp(-ev.deltaY * 0.0015), ev.clientX, ev.clientY);
  }, { passive: false });
  // Pointers: one drags the view, two pinch-zoom it about their midpoint.
  const pointers = new Map();
  let drag = null, dragged = false, pinch = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, s: view.s };
      drag = null;
      dragged = true;
    } else {
      drag = { x: ev.clientX, y: ev.clientY, view: view };
      dragged = false;
    }
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!pointers.has(ev.pointerId)) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const k = (Math.hypot(a.x - b.x, a.y - b.y) || 1) / pinch.d;
      zoom(pinch.s * k / view.s, (a.x + b.x) / 2, (a.y + b.y) / 2);
      return;
    }
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;  // a click, not a drag (yet)
    if (!dragged) svg.setPointerCapture(ev.pointerId);
    dragged = true;
    root.classList.add("gad-dragging");
    setView({ cx: drag.view.cx - dx / drag.view.s, cy: drag.view.cy - dy / drag.view.s, s: drag.view.s });
  });
  const endPointer = (ev) => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    if (!pointers.size) { drag = null; root.classList.remove("gad-dragging"); }
  };
  svg.addEventListener("pointerup", endPointer);
  svg.addEventListener("pointercancel", endPointer);
  svg.addEventListener("click", (ev) => {
    if (dragged) { dragged = false; return; }
    const o = ownerAt(ev.target);
    if (o && o.node !== undefined) select(o.node === selected ? null : o.node);
    else if (o && o.group !== undefined) expand(o.group);
    else if (!o) select(null);
  });
  if (window.ResizeObserver) {
    let last = null;
    new ResizeObserver(() => {
      const now = size().w + "x" + size().h;
      if (view && now !== last) { last = now; setView(view); overview.redraw(); }
    }).observe(svg);
  }

  // ---- a collapsed group expands in place ------------------------------------------------------------
  // Its nodes are laid out over the group's box, in columns by depth inside the group (the page has
  // no Graphviz to lay them out again), each with its value and gradient; click one for its paths.
  const EXPAND_LIMIT = 240;
  let expanded = null;
  function collapse() {
    if (!expanded) return false;
    expanded.box.remove();
    setClass(elements[expanded.key], "gad-selected", false);
    expanded = null;
    return true;
  }
  function expand(key) {
    collapse();
    const list = members[key] || [], g = data.groups[key], SVGNS = "http://www.w3.org/2000/svg";
    const box = el("div", "gad-expanded");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", `${g.kind} ${g.title}: its ${list.length} nodes`);
    const head = el("div", "gad-expanded-head", `${g.kind} ${g.title}: ${list.length} nodes`);
    const close = el("button", "", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Collapse");
    close.addEventListener("click", (ev) => { ev.stopPropagation(); collapse(); });
    head.append(close);
    box.append(head);
    expanded = { key: key, box: box };
    setClass(elements[key], "gad-selected", true);
    details({ group: key });
    if (list.length > EXPAND_LIMIT) {
      box.append(el("p", "", `Too many nodes to expand here (${list.length}); draw this scope on its own, e.g. render(G.subgraph(...)).`));
    } else {
      const inside = new Set(list), depth = new Map();
      list.forEach((i) => depth.set(i, pred[i].reduce((d, k) => inside.has(edges[k].u) ? Math.max(d, depth.get(edges[k].u) + 1) : d, 0)));
      const columns = [];
      list.forEach((i) => { (columns[depth.get(i)] = columns[depth.get(i)] || []).push(i); });
      const W = 130, H = 46, GX = 36, GY = 10, at = new Map();
      columns.forEach((col, c) => col.forEach((i, r) => at.set(i, { x: 8 + c * (W + GX), y: 8 + r * (H + GY) })));
      const width = 16 + columns.length * (W + GX) - GX, height = 16 + Math.max(...columns.map((c) => c.length)) * (H + GY) - GY;
      const pic = document.createElementNS(SVGNS, "svg");
      pic.setAttribute("width", width);
      pic.setAttribute("height", height);
      pic.setAttribute("viewBox", `0 0 ${width} ${height}`);
      const make = (tag, attrs, text) => {
        const x = document.createElementNS(SVGNS, tag);
        Object.keys(attrs).forEach((a) => x.setAttribute(a, attrs[a]));
        if (text !== undefined) x.textContent = text;
        return x;
      };
      list.forEach((i) => pred[i].forEach((k) => {
        const u = edges[k].u;
        if (!inside.has(u)) return;
        const a = at.get(u), b = at.get(i);
        pic.append(make("line", { x1: a.x + W, y1: a.y + H / 2, x2: b.x, y2: b.y + H / 2, class: "gad-expanded-edge" }));
      }));
      list.forEach((i) => {
        const n = nodes[i], p = at.get(i), node = make("g", { class: "gad-expanded-node", tabindex: "0", role: "button",
          "aria-label": `${nameOf(i)} (${n.op})` + (n.v !== null ? `, value ${n.v}` : "") + (n.g !== null ? `, grad ${n.g}` : "") });
        node.append(make("rect", { x: p.x, y: p.y, width: W, height: H, rx: 3 }));
        [nameOf(i), n.v !== null ? "val " + n.v : "", n.g !== null ? "grad " + n.g : ""].forEach((t, line) => {
          const text = make("text", { x: p.x + W / 2, y: p.y + 13 + line * 13, "text-anchor": "middle" }, t.length > 22 ? t.slice(0, 21) + "\u2026" : t);
          node.append(text);
        });
        const pick = (ev) => { ev.stopPropagation(); select(i); };
        node.addEventListener("click", pick);
        node.addEventListener("keydown", (ev) => { if (ev.key === "Enter") pick(ev); });
        node.addEventListener("mouseenter", () => details({ node: i }));
        node.addEventListener("focus", () => details({ node: i }));
        pic.append(node);
      });
      const area = el("div", "gad-expanded-body");
      area.append(pic);
      box.append(area);
    }
    ["pointerdown", "click", "wheel", "dblclick"].forEach((kind) => box.addEventListener(kind, (ev) => ev.stopPropagation(), { passive: true }));
    viewport.append(box);
    // Placed over the group, kept inside the drawing's area.
    const r = viewport.getBoundingClientRect(), b = elements[key].getBoundingClientRect();
    const left = Math.max(4, Math.min(b.left - r.left, r.width - box.offsetWidth - 4));
    const top = Math.max(4, Math.min(b.top - r.top, r.height - box.offsetHeight - 4));
    box.style.left = left + "px";
    box.style.top = top + "px";
    close.focus({ preventScroll: true });
  }

  // ---- controls -------------------------------------------------------------------------------------

  // Play runs on animation frames: each frame moves to the step due by the clock, so a fast speed
  // skips drawing the steps in between instead of falling behind.
  const speed = q(".gad-speed");
  let playing = null;
  function play(on) {
    if (on && !playing) {
      if (pos === LAST) moveTo(0);
      const session = playing = { t0: performance.now(), from: pos, ms: Number(speed.value) };
      const tick = (now) => {
        if (playing !== session) return;  // paused (or replaced) since this frame was asked for
        const target = session.from + Math.floor((Math.max(now, session.t0) - session.t0) / session.ms) + 1;
        if (target > pos) moveTo(target);
        if (pos >= LAST) play(false);
        else session.frame = requestAnimationFrame(tick);
      };
      playing.frame = requestAnimationFrame(tick);
    } else if (!on && playing) {
      cancelAnimationFrame(playing.frame);
      playing = null;
    }
    const b = q(".gad-play");
    b.textContent = playing ? "\u2016 pause" : "\u25b6 play";
    b.setAttribute("aria-label", playing ? "Pause" : "Play");
    root.classList.toggle("gad-playing", !!playing);
    // While playing, the step panel is not read out at every step; paused, it is again.
    q(".gad-step").setAttribute("aria-live", playing ? "off" : "polite");
  }
  const actions = {
    first: () => { play(false); moveTo(0); }, last: () => { play(false); moveTo(LAST); },
    prev: () => { play(false); moveTo(pos - 1); }, next: () => { play(false); moveTo(pos + 1); },
    backward: () => { play(false); moveTo(SEED); },
    play: () => play(!playing), zoomin: () => zoom(1.25), zoomout: () => zoom(0.8), fit: fit,
  };
  root.querySelectorAll("button[data-act]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.act]()));
  const slider = q(".gad-slider");
  slider.max = String(LAST);
  slider.addEventListener("input", () => { play(false); moveTo(Number(slider.value)); });
  speed.addEventListener("change", () => { if (playing) { play(false); play(true); } });
  // The default speed plays the whole pass in about a minute at most.
  if (LAST * Number(speed.value) > 60000) {
    const fast = [...speed.options].find((o) => LAST * Number(o.value) <= 60000) || speed.options[speed.options.length - 1];
    speed.value = fast.value;
  }
  // The forward / backward boundary on the slider.
  const boundary = q(".gad-boundary");
  if (boundary) {
    if (SEED < LAST) boundary.style.setProperty("--gad-at", String(SEED / LAST));
    else boundary.hidden = true;
  }
  const KEYS = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play", b: "backward",
                 "+": "zoomin", "=": "zoomin", "-": "zoomout", "0": "fit" };
  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target, tag = t && t.tagName;
    if (tag === "TEXTAREA" || (tag === "INPUT" && t.type !== "range") || (t && t.isContentEditable)) return;
    if (ev.key === "Escape") { if (!collapse()) select(null); return; }
    if (ev.key === "Enter" && t && ownerOf.has(t) && ownerOf.get(t).edge === undefined) {
      ev.preventDefault();
      const o = ownerOf.get(t);
      if (o.node !== undefined) select(o.node); else expand(o.group);
      return;
    }
    // Space plays or pauses whatever has the focus; the slider and the speed list keep their own keys.
    if ((tag === "INPUT" || tag === "SELECT") && ev.key !== " ") return;
    if (!KEYS[ev.key]) return;
    ev.preventDefault();
    actions[KEYS[ev.key]]();
  }
  // A focused button would also "click" on the key's release: Space belongs to play / pause.
  const swallowSpace = (ev) => { if (ev.key === " " && ev.target && ev.target.tagName === "BUTTON") ev.preventDefault(); };
  // A whole page takes keys anywhere; an embedded drawing only when it has the focus.
  const keyTarget = data.page ? document : root;
  keyTarget.addEventListener("keydown", onKey);
  keyTarget.addEventListener("keyup", swallowSpace);

  // Debugger findings (when rendered with a report): click one to select its first node.
  if (data.findings.length) {
    q(".gad-findings").hidden = false;
    const ul = q(".gad-findings-body");
    data.findings.forEach((f) => {
      const li = el("li", "gad-" + f.level, `${f.level}: ${f.message}`);
      if (f.nodes.length) {
        li.tabIndex = 0;
        const go = () => { select(f.nodes[0]); reveal([elements[nodes[f.nodes[0]].el]], true); };
        li.addEventListener("click", go);
        li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
      }
      ul.append(li);
    });
  }
  // A notebook's report table (outside this drawing) can ask for a node of a graph:
  // {graphvizAd: "select", node: 7, graph: "function name"}.
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (m && m.graphvizAd === "select" && (!m.graph || m.graph === data.function) && nodes[m.node]) {
      select(m.node);
      reveal([elements[nodes[m.node].el]], true);
    }
  });

  root.classList.toggle("gad-small", N <= 300);
  opening();
  moveTo(LAST);
  root.dataset.ready = "1";
}
