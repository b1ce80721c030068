// The neuron explorer: one neuron y = ReLU(w . x + b), drawn as a computational graph.
//
// Everything the reader does (take a step, reset) is computed here, in the browser, so the
// explorer works on a static page with no kernel. The pure functions below are exported so
// tests can run them under Node and compare them with the Python engine (resources.classes).
import { COLOURS, button, el, fitText, fixed, legend, listen, save, slider, svg } from "./prelude.js";

// ---------------------------------------------------------------------------
// Pure computation
// ---------------------------------------------------------------------------

/** Forward pass: the three products, their sum z = x . w + b and y = max(0, z). */
export function forward(x, w, b) {
  const products = [x[0] * w[0], x[1] * w[1], x[2] * w[2]];
  // Summed left to right, like a dot product, and the bias last.
  const z = products[0] + products[1] + products[2] + b;
  return { products, z, y: Math.max(0, z) };
}

/**
 * Backward pass with an incoming gradient dy (1 by default) on the output.
 * ReLU passes dy on where z > 0 and 0 elsewhere (also at exactly 0, like the engine);
 * the sum passes its gradient to every term; a product x_i * w_i sends x_i to w_i and w_i to x_i.
 */
export function backward(x, w, b, dy = 1) {
  const fwd = forward(x, w, b);
  const dz = fwd.z > 0 ? dy : 0;
  return {
    ...fwd,
    dy,
    dz,
    dproducts: [dz, dz, dz],
    dw: [x[0] * dz, x[1] * dz, x[2] * dz],
    dx: [w[0] * dz, w[1] * dz, w[2] * dz],
    db: dz,
  };
}

/** One step of gradient descent of size lr: every parameter moves against its gradient. */
export function step(x, w, b, lr) {
  const g = backward(x, w, b);
  return {
    w: [w[0] - lr * g.dw[0], w[1] - lr * g.dw[1], w[2] - lr * g.dw[2]],
    b: b - lr * g.db,
  };
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

/** The ranges of the controls (the same as ``W_RANGE`` and ``LOG_LR_RANGE`` in Python). */
export const W_RANGE = [-5, 5];
export const LOG_LR_RANGE = [-4, -1];

// Two layouts of the same graph: inputs and weights on the left, one product per input, the
// sum, ReLU, y. The wide one is 760 units across; the narrow one (for phones) packs it into
// 460, with y under ReLU, so that 15-unit labels stay above 11 px on a 340 px column.
const ROWS = [75, 215, 355];
const LAYOUTS = {
  wide: {
    width: 760,
    height: 450,
    font: 14,
    x: ROWS.map((y) => [50, y - 45]),
    w: ROWS.map((y) => [50, y + 45]),
    mul: ROWS.map((y) => [260, y]),
    b: [470, 420],
    sum: [470, 215],
    relu: [610, 215],
    y: [720, 215],
  },
  narrow: {
    width: 460,
    height: 450,
    font: 15,
    x: ROWS.map((y) => [30, y - 45]),
    w: ROWS.map((y) => [30, y + 45]),
    mul: ROWS.map((y) => [165, y]),
    b: [285, 420],
    sum: [285, 215],
    relu: [385, 215],
    y: [385, 345],
  },
};
const NARROW_BELOW = 620; // px: a column narrower than this gets the narrow layout

// Each edge carries two labels: the forward value (blue, above) and the gradient (red, below).
// A vertical edge gets them side by side on its right instead. Labels have a white halo so a
// line passing under them does not hide them.
function edge(group, from, to, id, font) {
  const [x1, y1] = from;
  const [x2, y2] = to;
  group.append(svg("line", { x1, y1, x2, y2, stroke: "#888", "stroke-width": 1.5, "data-edge": id }));
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  const vertical = x1 === x2;
  const common = {
    "text-anchor": vertical ? "start" : "middle",
    "paint-order": "stroke",
    stroke: "#fff",
    "stroke-width": 3,
    "stroke-linejoin": "round",
  };
  const value = svg("text", {
    ...common,
    x: vertical ? mx + 8 : mx,
    y: vertical ? my - 0.3 * font : my - 0.45 * font,
    fill: COLOURS.value,
    testid: `edge-${id}-value`,
  });
  const grad = svg("text", {
    ...common,
    x: vertical ? mx + 8 : mx,
    y: vertical ? my + 0.95 * font : my + 1.2 * font,
    fill: COLOURS.gradient,
    testid: `edge-${id}-grad`,
  });
  group.append(value, grad);
  return { value, grad };
}

function node(group, [cx, cy], label, r = 20) {
  group.append(svg("circle", { cx, cy, r, fill: "#f4f4f4", stroke: "#333" }));
  group.append(svg("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central", "font-weight": "bold", fill: COLOURS.text }, label));
}

function buildGraph(name) {
  const pos = LAYOUTS[name];
  const label = "Computational graph of one neuron: inputs x0 to x2 times weights w0 to w2, their sum with the bias b, ReLU, and the output y, with each edge's forward value and gradient";
  const root = svg("svg", {
    viewBox: `0 0 ${pos.width} ${pos.height}`,
    class: "explorer-figure neuron-graph",
    role: "img",
    "aria-label": label,
    "data-layout": name,
    style: `max-width: ${pos.width}px`,
  });
  root.append(svg("title", { text: label }));
  const edges = svg("g", {});
  const nodes = svg("g", {});
  root.append(edges, nodes);
  const labels = {};
  for (let i = 0; i < 3; i++) {
    labels[`x${i}`] = edge(edges, pos.x[i], pos.mul[i], `x${i}`, pos.font);
    labels[`w${i}`] = edge(edges, pos.w[i], pos.mul[i], `w${i}`, pos.font);
    labels[`p${i}`] = edge(edges, pos.mul[i], pos.sum, `p${i}`, pos.font);
    node(nodes, pos.x[i], `x${i}`, 16);
    node(nodes, pos.w[i], `w${i}`, 16);
    node(nodes, pos.mul[i], "×");
  }
  labels.b = edge(edges, pos.b, pos.sum, "b", pos.font);
  labels.z = edge(edges, pos.sum, pos.relu, "z", pos.font);
  labels.y = edge(edges, pos.relu, pos.y, "y", pos.font);
  node(nodes, pos.b, "b", 16);
  node(nodes, pos.sum, "+");
  node(nodes, pos.relu, "ReLU", 26);
  node(nodes, pos.y, "y", 16);
  root.stopFitting = fitText(root, pos.width, pos.font);
  return { root, labels };
}

// ---------------------------------------------------------------------------
// The widget
// ---------------------------------------------------------------------------

function readState(model) {
  return {
    x: model.get("x"),
    w: [model.get("w0"), model.get("w1"), model.get("w2")],
    b: model.get("b"),
    lr: model.get("lr"),
  };
}

function render({ model, el: host }) {
  const set = (changes) => {
    for (const [key, value] of Object.entries(changes)) model.set(key, value);
    save(model);
  };
  const controls = {};
  for (const name of ["w0", "w1", "w2", "b"]) {
    controls[name] = slider({
      label: name,
      name: name === "b" ? "bias b" : `weight ${name}`,
      testid: `slider-${name}`,
      min: W_RANGE[0],
      max: W_RANGE[1],
      step: 0.01,
      typed: true,
      format: (v) => fixed(v, 3),
      onInput: (value) => set({ [name]: value }),
    });
  }
  controls.lr = slider({
    label: "lr",
    name: "learning rate",
    testid: "slider-lr",
    log: true,
    min: LOG_LR_RANGE[0],
    max: LOG_LR_RANGE[1],
    step: 0.1,
    typed: true,
    format: (v) => fixed(v, 4),
    onInput: (value) => set({ lr: value }),
  });

  const fields = {};
  const readout = el(
    "div",
    { class: "neuron-readout" },
    [
      ["output", "output y"],
      ["dw0", "∂y/∂w0"],
      ["dw1", "∂y/∂w1"],
      ["dw2", "∂y/∂w2"],
      ["db", "∂y/∂b"],
      ["steps", "steps"],
    ].map(([key, title]) => {
      fields[key] = el("strong", { testid: key });
      return el("span", {}, [`${title} = `, fields[key]]);
    }),
  );
  const stepButton = button("Take a step", {
    testid: "step",
    onClick: () => {
      const { x, w, b, lr } = readState(model);
      const next = step(x, w, b, lr);
      set({ w0: next.w[0], w1: next.w[1], w2: next.w[2], b: next.b, steps: model.get("steps") + 1 });
    },
  });
  const resetButton = button("Reset", {
    testid: "reset",
    onClick: () => {
      const w = model.get("w_init");
      set({ w0: w[0], w1: w[1], w2: w[2], b: model.get("b_init"), steps: 0 });
    },
  });
  const message = el("div", { class: "neuron-message", testid: "message", "aria-live": "polite" });
  const holder = el("div", { class: "neuron-graph-holder" });
  const container = el("div", { class: "explorer neuron-explorer" }, [
    el("div", { class: "neuron-sliders" }, Object.values(controls).map((c) => c.root)),
    holder,
    legend([
      [COLOURS.value, "value (forward)"],
      [COLOURS.gradient, "gradient (backward)"],
    ]),
    readout,
    el("div", { class: "explorer-controls" }, [stepButton, resetButton]),
    message,
  ]);
  host.appendChild(container);

  let graph = null;
  function layout() {
    const width = holder.getBoundingClientRect().width || LAYOUTS.wide.width;
    const name = width < NARROW_BELOW ? "narrow" : "wide";
    if (graph && graph.root.dataset.layout === name) return;
    if (graph) graph.root.stopFitting();
    graph = buildGraph(name);
    holder.replaceChildren(graph.root);
    update();
  }

  function update() {
    const { x, w, b, lr } = readState(model);
    const g = backward(x, w, b);
    const labels = graph.labels;
    for (let i = 0; i < 3; i++) {
      labels[`x${i}`].value.textContent = fixed(x[i]);
      labels[`x${i}`].grad.textContent = fixed(g.dx[i]);
      labels[`w${i}`].value.textContent = fixed(w[i]);
      labels[`w${i}`].grad.textContent = fixed(g.dw[i]);
      labels[`p${i}`].value.textContent = fixed(g.products[i]);
      labels[`p${i}`].grad.textContent = fixed(g.dproducts[i]);
      fields[`dw${i}`].textContent = fixed(g.dw[i]);
      controls[`w${i}`].set(w[i]);
    }
    controls.b.set(b);
    controls.lr.set(lr);
    labels.b.value.textContent = fixed(b);
    labels.b.grad.textContent = fixed(g.db);
    labels.z.value.textContent = fixed(g.z);
    labels.z.grad.textContent = fixed(g.dz);
    labels.y.value.textContent = fixed(g.y);
    labels.y.grad.textContent = fixed(g.dy);
    fields.output.textContent = fixed(g.y);
    fields.db.textContent = fixed(g.db);
    fields.steps.textContent = String(model.get("steps"));
    if (g.dz === 0) {
      message.textContent =
        `The neuron is dead: z = w·x + b = ${fixed(g.z)} is not above 0, so ReLU outputs 0 ` +
        "and its slope there is 0. That zero multiplies every gradient behind it, so all " +
        "gradients are 0 and a step changes nothing. Move a slider (or press Reset) to " +
        "bring z back above 0.";
      message.classList.add("neuron-dead");
    } else {
      const drop = lr * (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] + 1);
      message.textContent =
        `A step of size ${fixed(lr, 4)} moves each parameter against its gradient; ` +
        `while z stays above 0 that lowers y by ${drop.toFixed(3)} per step.`;
      message.classList.remove("neuron-dead");
    }
  }

  layout();
  const resize = typeof ResizeObserver !== "undefined" ? new ResizeObserver(layout) : null;
  if (resize) resize.observe(holder);
  const stop = listen(model, ["x", "w0", "w1", "w2", "b", "lr", "steps"], update);
  return () => {
    stop();
    if (resize) resize.disconnect();
  };
}

export default { render };
