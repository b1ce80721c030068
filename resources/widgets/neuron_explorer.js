// The neuron explorer: one neuron y = ReLU(w . x + b), drawn as a computational graph.
//
// Everything the reader does (take a step, reset) is computed here, in the browser, so the
// explorer works on a static page with no kernel. The pure functions below are exported so
// tests can run them under Node and compare them with the Python engine (resources.classes).

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

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 760;
const HEIGHT = 450;
const VALUE_COLOUR = "#1f4e99";
const GRAD_COLOUR = "#b3261e";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmt(value) {
  // toFixed(3) would print -0.000 for tiny negatives; a reader should see 0.000.
  const text = value.toFixed(3);
  return text === "-0.000" ? "0.000" : text;
}

// Node positions: inputs and weights on the left, one product per input, the sum, ReLU, y.
const ROWS = [75, 215, 355];
const POS = {
  x: ROWS.map((y) => [50, y - 45]),
  w: ROWS.map((y) => [50, y + 45]),
  mul: ROWS.map((y) => [260, y]),
  b: [470, 420],
  sum: [470, 215],
  relu: [610, 215],
  y: [720, 215],
};

// Each edge carries two labels: the forward value (blue, above) and the gradient (red, below).
// A vertical edge gets them side by side on its right instead.
function edge(group, from, to, id) {
  const [x1, y1] = from;
  const [x2, y2] = to;
  group.appendChild(
    svg("line", { x1, y1, x2, y2, stroke: "#888", "stroke-width": 1.5, "data-edge": id }),
  );
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  const vertical = x1 === x2;
  const common = { "font-size": 14, "text-anchor": vertical ? "start" : "middle" };
  const value = svg("text", {
    ...common,
    x: vertical ? mx + 8 : mx,
    y: vertical ? my - 4 : my - 6,
    fill: VALUE_COLOUR,
  });
  const grad = svg("text", {
    ...common,
    x: vertical ? mx + 8 : mx,
    y: vertical ? my + 14 : my + 17,
    fill: GRAD_COLOUR,
  });
  value.setAttribute("data-testid", `edge-${id}-value`);
  grad.setAttribute("data-testid", `edge-${id}-grad`);
  group.appendChild(value);
  group.appendChild(grad);
  return { value, grad };
}

function node(group, [cx, cy], label, r = 20) {
  group.appendChild(svg("circle", { cx, cy, r, fill: "#f4f4f4", stroke: "#333" }));
  group.appendChild(
    svg(
      "text",
      { x: cx, y: cy + 5, "text-anchor": "middle", "font-size": 15, "font-weight": "bold" },
      label,
    ),
  );
}

function buildGraph() {
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT + 20}`,
    width: "100%",
    role: "img",
    "aria-label": "Computational graph of one neuron",
    style: "max-width: 760px; font-family: sans-serif;",
  });
  const edges = svg("g", {});
  const nodes = svg("g", {});
  root.appendChild(edges);
  root.appendChild(nodes);
  const labels = {};
  for (let i = 0; i < 3; i++) {
    labels[`x${i}`] = edge(edges, POS.x[i], POS.mul[i], `x${i}`);
    labels[`w${i}`] = edge(edges, POS.w[i], POS.mul[i], `w${i}`);
    labels[`p${i}`] = edge(edges, POS.mul[i], POS.sum, `p${i}`);
    node(nodes, POS.x[i], `x${i}`, 16);
    node(nodes, POS.w[i], `w${i}`, 16);
    node(nodes, POS.mul[i], "×");
  }
  labels.b = edge(edges, POS.b, POS.sum, "b");
  labels.z = edge(edges, POS.sum, POS.relu, "z");
  labels.y = edge(edges, POS.relu, POS.y, "y");
  node(nodes, POS.b, "b", 16);
  node(nodes, POS.sum, "+");
  node(nodes, POS.relu, "ReLU", 26);
  node(nodes, POS.y, "y", 16);
  root.appendChild(
    svg("text", { x: 10, y: HEIGHT + 16, fill: VALUE_COLOUR, "font-size": 14 }, "value (forward)"),
  );
  root.appendChild(
    svg("text", { x: 150, y: HEIGHT + 16, fill: GRAD_COLOUR, "font-size": 14 }, "gradient (backward)"),
  );
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

function save(model) {
  try {
    model.save_changes();
  } catch (error) {
    // A static page has no kernel to sync with; the change still applies in the page.
  }
}

function render({ model, el }) {
  const container = document.createElement("div");
  container.className = "neuron-explorer";
  container.style.cssText = "font-family: sans-serif; font-size: 14px; max-width: 780px;";
  const { root, labels } = buildGraph();
  container.appendChild(root);

  const readout = document.createElement("div");
  readout.style.cssText = "display: flex; flex-wrap: wrap; gap: 1.2em; margin: 0.4em 0;";
  const fields = {};
  for (const [key, title] of [
    ["output", "output y"],
    ["dw0", "∂y/∂w0"],
    ["dw1", "∂y/∂w1"],
    ["dw2", "∂y/∂w2"],
    ["db", "∂y/∂b"],
    ["steps", "steps"],
  ]) {
    const box = document.createElement("span");
    const name = document.createElement("span");
    name.textContent = `${title} = `;
    const value = document.createElement("strong");
    value.setAttribute("data-testid", key);
    box.appendChild(name);
    box.appendChild(value);
    readout.appendChild(box);
    fields[key] = value;
  }
  container.appendChild(readout);

  const buttons = document.createElement("div");
  buttons.style.cssText = "display: flex; gap: 0.6em; margin: 0.4em 0;";
  const stepButton = document.createElement("button");
  stepButton.textContent = "Take a step";
  stepButton.setAttribute("data-testid", "step");
  const resetButton = document.createElement("button");
  resetButton.textContent = "Reset";
  resetButton.setAttribute("data-testid", "reset");
  for (const button of [stepButton, resetButton]) {
    button.type = "button";
    button.style.cssText = "padding: 0.3em 0.9em; cursor: pointer;";
    buttons.appendChild(button);
  }
  container.appendChild(buttons);

  const message = document.createElement("div");
  message.setAttribute("data-testid", "message");
  message.style.cssText = "min-height: 2.6em; margin-top: 0.3em;";
  container.appendChild(message);
  el.appendChild(container);

  function update() {
    const { x, w, b, lr } = readState(model);
    const g = backward(x, w, b);
    for (let i = 0; i < 3; i++) {
      labels[`x${i}`].value.textContent = fmt(x[i]);
      labels[`x${i}`].grad.textContent = fmt(g.dx[i]);
      labels[`w${i}`].value.textContent = fmt(w[i]);
      labels[`w${i}`].grad.textContent = fmt(g.dw[i]);
      labels[`p${i}`].value.textContent = fmt(g.products[i]);
      labels[`p${i}`].grad.textContent = fmt(g.dproducts[i]);
      fields[`dw${i}`].textContent = fmt(g.dw[i]);
    }
    labels.b.value.textContent = fmt(b);
    labels.b.grad.textContent = fmt(g.db);
    labels.z.value.textContent = fmt(g.z);
    labels.z.grad.textContent = fmt(g.dz);
    labels.y.value.textContent = fmt(g.y);
    labels.y.grad.textContent = fmt(g.dy);
    fields.output.textContent = fmt(g.y);
    fields.db.textContent = fmt(g.db);
    fields.steps.textContent = String(model.get("steps"));
    if (g.dz === 0) {
      message.textContent =
        `The neuron is dead: z = w·x + b = ${fmt(g.z)} is not above 0, so ReLU outputs 0 ` +
        "and its slope there is 0. That zero multiplies every gradient behind it, so all " +
        "gradients are 0 and a step changes nothing. Move a slider (or press Reset) to " +
        "bring z back above 0.";
      message.style.color = GRAD_COLOUR;
    } else {
      const drop = lr * (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] + 1);
      message.textContent =
        `A step of size ${lr} moves each parameter against its gradient; ` +
        `while z stays above 0 that lowers y by ${drop.toFixed(3)} per step.`;
      message.style.color = "";
    }
  }

  stepButton.addEventListener("click", () => {
    const { x, w, b, lr } = readState(model);
    const next = step(x, w, b, lr);
    model.set("w0", next.w[0]);
    model.set("w1", next.w[1]);
    model.set("w2", next.w[2]);
    model.set("b", next.b);
    model.set("steps", model.get("steps") + 1);
    save(model);
  });
  resetButton.addEventListener("click", () => {
    const w = model.get("w_init");
    model.set("w0", w[0]);
    model.set("w1", w[1]);
    model.set("w2", w[2]);
    model.set("b", model.get("b_init"));
    model.set("steps", 0);
    save(model);
  });

  const names = ["x", "w0", "w1", "w2", "b", "lr", "steps"];
  for (const name of names) model.on(`change:${name}`, update);
  update();
  return () => {
    for (const name of names) model.off(`change:${name}`, update);
  };
}

export default { render };
