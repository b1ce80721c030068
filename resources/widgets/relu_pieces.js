// The ReLU-pieces explorer: a 1-k-1 network y = sum_j w2[j] * max(0, w1[j] * x + b1[j]) + b2
// drawn over the sine it tries to fit. Everything here runs in the browser, so the explorer
// works on a static page with no kernel. The pure functions are exported by name so that tests
// can compare them with the Python engine (resources/widgets/relu_pieces.py).

const SVG_NS = "http://www.w3.org/2000/svg";

// x_i = i / n for i = 0 .. n-1: the grid of nnfs's sine_data(n), where the error is measured.
export function sampleGrid(n) {
  const xs = new Array(n);
  for (let i = 0; i < n; i++) xs[i] = i / n;
  return xs;
}

// n evenly spaced points from 0 to 1, both ends included: where the curves are drawn.
export function plotGrid(n) {
  const xs = new Array(n);
  for (let i = 0; i < n; i++) xs[i] = i / (n - 1);
  return xs;
}

export function sineTarget(xs) {
  return xs.map((x) => Math.sin(2 * Math.PI * x));
}

// pieces[j][i] = w2[j] * max(0, w1[j] * x_i + b1[j]): what hidden neuron j adds to the output.
export function neuronPieces(params, xs) {
  const { w1, b1, w2 } = params;
  return w1.map((w, j) => xs.map((x) => w2[j] * Math.max(0, w * x + b1[j])));
}

// The network's output at every x: the sum of the pieces plus the output bias.
export function networkOutput(params, xs) {
  const pieces = neuronPieces(params, xs);
  return xs.map((_, i) => pieces.reduce((sum, piece) => sum + piece[i], params.b2));
}

export function meanSquaredError(params, n) {
  const xs = sampleGrid(n);
  const target = sineTarget(xs);
  const output = networkOutput(params, xs);
  let total = 0;
  for (let i = 0; i < n; i++) total += (output[i] - target[i]) ** 2;
  return total / n;
}

// Where neuron j's ReLU switches on: w1 * x + b1 = 0, so x = -b1 / w1 (none when w1 = 0).
export function kinkOf(w1, b1) {
  return w1 === 0 ? null : -b1 / w1;
}

// "sine": join the sine's values at x = 0, 1/k, ..., 1 with straight lines. Neuron j switches
// on at t_j = j / k (w1 = 1, b1 = -t_j) and its output weight is the change of slope there.
// "zero": every parameter 0, a flat line.
export function presetParams(name, k) {
  if (name === "zero") {
    const zeros = new Array(k).fill(0);
    return { w1: [...zeros], b1: [...zeros], w2: [...zeros], b2: 0 };
  }
  if (name !== "sine") throw new Error(`unknown preset ${name}`);
  const knots = plotGrid(k + 1);
  const values = sineTarget(knots);
  const slopes = [];
  for (let j = 0; j < k; j++) slopes.push((values[j + 1] - values[j]) * k);
  return {
    w1: new Array(k).fill(1),
    b1: knots.slice(0, k).map((t) => -t),
    w2: slopes.map((m, j) => (j === 0 ? m : m - slopes[j - 1])),
    b2: values[0],
  };
}

// ---------------------------------------------------------------------------------------------
// Drawing (plain DOM and inline SVG)
// ---------------------------------------------------------------------------------------------

const WIDTH = 520;
const HEIGHT = 300;
const PAD = { left: 44, right: 12, top: 12, bottom: 32 };
const Y_RANGE = [-1.6, 1.6];
const PIECE_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function sx(x) {
  return PAD.left + x * (WIDTH - PAD.left - PAD.right);
}

function sy(y) {
  const clipped = Math.min(Math.max(y, Y_RANGE[0] - 1), Y_RANGE[1] + 1);
  const fraction = (clipped - Y_RANGE[0]) / (Y_RANGE[1] - Y_RANGE[0]);
  return HEIGHT - PAD.bottom - fraction * (HEIGHT - PAD.top - PAD.bottom);
}

function pathOf(xs, ys) {
  return xs.map((x, i) => `${i ? "L" : "M"}${sx(x).toFixed(2)},${sy(ys[i]).toFixed(2)}`).join("");
}

function axes(root) {
  root.appendChild(
    svg("rect", {
      x: PAD.left,
      y: PAD.top,
      width: WIDTH - PAD.left - PAD.right,
      height: HEIGHT - PAD.top - PAD.bottom,
      fill: "#fafafa",
      stroke: "#999",
    }),
  );
  for (const y of [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]) {
    root.appendChild(
      svg("line", {
        x1: PAD.left,
        x2: WIDTH - PAD.right,
        y1: sy(y),
        y2: sy(y),
        stroke: y === 0 ? "#bbb" : "#eee",
      }),
    );
    const label = svg("text", { x: PAD.left - 6, y: sy(y) + 4, "text-anchor": "end" });
    label.setAttribute("font-size", "11");
    label.textContent = y.toString();
    root.appendChild(label);
  }
  for (const x of [0, 0.25, 0.5, 0.75, 1]) {
    const label = svg("text", { x: sx(x), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" });
    label.setAttribute("font-size", "11");
    label.textContent = x.toString();
    root.appendChild(label);
  }
  const xLabel = svg("text", { x: WIDTH - PAD.right, y: HEIGHT - 2, "text-anchor": "end" });
  xLabel.setAttribute("font-size", "12");
  xLabel.textContent = "input x";
  root.appendChild(xLabel);
}

function slider(label, testid, min, max, step) {
  const row = document.createElement("label");
  row.style.cssText = "display:flex;align-items:center;gap:8px;margin:2px 0;font-size:13px";
  const name = document.createElement("span");
  name.style.cssText = "width:150px";
  name.textContent = label;
  const input = document.createElement("input");
  Object.assign(input, { type: "range", min, max, step });
  input.dataset.testid = testid;
  input.style.flex = "1";
  const value = document.createElement("span");
  value.style.cssText = "width:52px;text-align:right;font-family:monospace";
  value.dataset.testid = `${testid}-value`;
  row.append(name, input, value);
  return { row, input, value };
}

function button(text, testid) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = text;
  node.dataset.testid = testid;
  node.style.cssText = "margin:2px 4px 2px 0;padding:2px 8px;font-size:13px;cursor:pointer";
  return node;
}

function paramsOf(model) {
  return {
    w1: model.get("w1"),
    b1: model.get("b1"),
    w2: model.get("w2"),
    b2: model.get("b2"),
  };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.dataset.testid = "relu-pieces";
  root.style.cssText = "font-family:sans-serif;max-width:540px";

  const plot = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: "100%" });
  plot.dataset.testid = "relu-plot";
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", "network output over the sine it fits");
  axes(plot);
  const clip = svg("clipPath", { id: `relu-clip-${Math.random().toString(36).slice(2)}` });
  clip.appendChild(
    svg("rect", {
      x: PAD.left,
      y: PAD.top,
      width: WIDTH - PAD.left - PAD.right,
      height: HEIGHT - PAD.top - PAD.bottom,
    }),
  );
  plot.appendChild(clip);
  const clipped = svg("g", { "clip-path": `url(#${clip.id})` });
  const piecesLayer = svg("g");
  const target = svg("path", { fill: "none", stroke: "#888", "stroke-width": 2.5 });
  target.setAttribute("stroke-dasharray", "6 4");
  target.dataset.testid = "relu-target";
  const curve = svg("path", { fill: "none", stroke: "#1f5fbf", "stroke-width": 2.5 });
  curve.dataset.testid = "relu-curve";
  const kinkMark = svg("line", { stroke: "#c0392b", "stroke-dasharray": "3 3" });
  kinkMark.dataset.testid = "relu-kink";
  clipped.append(piecesLayer, target, curve, kinkMark);
  plot.appendChild(clipped);

  const legend = document.createElement("div");
  legend.style.cssText = "font-size:12px;color:#444;margin:2px 0 6px";
  legend.innerHTML =
    '<span style="color:#888">- - sin(2&pi;x), the target</span> &nbsp; ' +
    '<span style="color:#1f5fbf">&mdash; network output</span> &nbsp; ' +
    "thin lines: each neuron's piece";

  const neuronRow = document.createElement("div");
  neuronRow.style.cssText = "font-size:13px;margin:4px 0";
  const weightMin = model.get("weight_min");
  const weightMax = model.get("weight_max");
  const w1 = slider("hidden weight w1", "relu-w1", weightMin, weightMax, 0.01);
  const b1 = slider("hidden bias b1", "relu-b1", weightMin, weightMax, 0.01);
  const w2 = slider("output weight w2", "relu-w2", weightMin, weightMax, 0.01);
  const b2 = slider("output bias b2 (shared)", "relu-b2", -2, 2, 0.01);
  const readout = document.createElement("div");
  readout.dataset.testid = "relu-neuron-readout";
  readout.style.cssText = "font-family:monospace;font-size:12px;margin:4px 0";
  const error = document.createElement("div");
  error.dataset.testid = "relu-mse";
  error.style.cssText = "font-weight:bold;font-size:13px;margin:4px 0";

  const controls = document.createElement("div");
  const presetSine = button("Hand-made fit", "relu-preset-sine");
  const presetZero = button("All zero", "relu-preset-zero");
  const piecesToggle = document.createElement("label");
  piecesToggle.style.cssText = "font-size:13px;margin-left:8px";
  const piecesBox = document.createElement("input");
  piecesBox.type = "checkbox";
  piecesBox.dataset.testid = "relu-show-pieces";
  piecesToggle.append(piecesBox, " show pieces");
  controls.append(presetSine, presetZero, piecesToggle);

  root.append(plot, legend, controls, neuronRow, w1.row, b1.row, w2.row, b2.row, readout, error);
  el.appendChild(root);

  function setParam(name, index, value) {
    if (name === "b2") {
      model.set("b2", value);
    } else {
      const values = [...model.get(name)];
      values[index] = value;
      model.set(name, values);
    }
    model.save_changes();
  }

  function loadPreset(name) {
    const params = presetParams(name, model.get("w1").length);
    for (const [key, value] of Object.entries(params)) model.set(key, value);
    model.save_changes();
  }

  function draw() {
    const params = paramsOf(model);
    const k = params.w1.length;
    let selected = model.get("selected");
    if (selected >= k) selected = k - 1;
    const xs = plotGrid(model.get("n_plot"));
    target.setAttribute("d", pathOf(xs, sineTarget(xs)));
    curve.setAttribute("d", pathOf(xs, networkOutput(params, xs)));

    piecesLayer.replaceChildren();
    if (model.get("show_pieces")) {
      neuronPieces(params, xs).forEach((piece, j) => {
        const line = svg("path", {
          d: pathOf(xs, piece),
          fill: "none",
          stroke: PIECE_COLORS[j % PIECE_COLORS.length],
          "stroke-width": j === selected ? 2 : 1,
          opacity: j === selected ? 0.95 : 0.45,
        });
        line.dataset.testid = `relu-piece-${j}`;
        piecesLayer.appendChild(line);
      });
    }

    const kink = kinkOf(params.w1[selected], params.b1[selected]);
    const visible = kink !== null && kink >= 0 && kink <= 1;
    kinkMark.setAttribute("visibility", visible ? "visible" : "hidden");
    if (visible) {
      for (const [key, value] of [
        ["x1", sx(kink)],
        ["x2", sx(kink)],
        ["y1", PAD.top],
        ["y2", HEIGHT - PAD.bottom],
      ]) {
        kinkMark.setAttribute(key, value);
      }
    }

    neuronRow.replaceChildren("neuron: ");
    for (let j = 0; j < k; j++) {
      const pick = button(String(j + 1), `relu-neuron-${j}`);
      if (j === selected) pick.style.fontWeight = "bold";
      pick.style.outline = j === selected ? "2px solid #1f5fbf" : "none";
      pick.addEventListener("click", () => {
        model.set("selected", j);
        model.save_changes();
      });
      neuronRow.appendChild(pick);
    }

    for (const [control, value] of [
      [w1, params.w1[selected]],
      [b1, params.b1[selected]],
      [w2, params.w2[selected]],
      [b2, params.b2],
    ]) {
      control.input.value = String(value);
      control.value.textContent = value.toFixed(2);
    }
    piecesBox.checked = model.get("show_pieces");
    const where =
      kink === null ? "never switches (w1 = 0)" : `switches on at x = ${kink.toFixed(3)}`;
    const bias = params.b1[selected];
    readout.textContent =
      `neuron ${selected + 1}: ${params.w2[selected].toFixed(2)} * max(0, ` +
      `${params.w1[selected].toFixed(2)} * x ${bias < 0 ? "-" : "+"} ` +
      `${Math.abs(bias).toFixed(2)}), ${where}`;
    error.textContent = `mean squared error: ${meanSquaredError(params, model.get("n_error")).toFixed(5)}`;
  }

  const selectedIndex = () => Math.min(model.get("selected"), model.get("w1").length - 1);
  w1.input.addEventListener("input", () => setParam("w1", selectedIndex(), Number(w1.input.value)));
  b1.input.addEventListener("input", () => setParam("b1", selectedIndex(), Number(b1.input.value)));
  w2.input.addEventListener("input", () => setParam("w2", selectedIndex(), Number(w2.input.value)));
  b2.input.addEventListener("input", () => setParam("b2", 0, Number(b2.input.value)));
  presetSine.addEventListener("click", () => loadPreset("sine"));
  presetZero.addEventListener("click", () => loadPreset("zero"));
  piecesBox.addEventListener("change", () => {
    model.set("show_pieces", piecesBox.checked);
    model.save_changes();
  });

  const names = ["w1", "b1", "w2", "b2", "selected", "show_pieces", "n_plot", "n_error"];
  for (const name of names) model.on(`change:${name}`, draw);
  draw();
  return () => {
    for (const name of names) model.off(`change:${name}`, draw);
  };
}

export default { render };
