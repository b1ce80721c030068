// The ReLU-pieces explorer: a 1-k-1 network y = sum_j w2[j] * max(0, w1[j] * x + b1[j]) + b2
// drawn over the sine it tries to fit. Everything here runs in the browser, so the explorer
// works on a static page with no kernel. The pure functions are exported by name so that tests
// can compare them with the Python engine (resources/widgets/relu_pieces.py).
import { COLOURS, button, chart, el, fixed, legend, listen, pathOf, save, slider, svg, toggle } from "./prelude.js";

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
// Drawing
// ---------------------------------------------------------------------------------------------

const WIDTH = 520;
const HEIGHT = 300;
const Y_RANGE = [-1.6, 1.6];

function paramsOf(model) {
  return { w1: model.get("w1"), b1: model.get("b1"), w2: model.get("w2"), b2: model.get("b2") };
}

function render({ model, el: host }) {
  const frame = chart({
    width: WIDTH,
    height: HEIGHT,
    x: [0, 1],
    y: Y_RANGE,
    xTicks: [0, 0.25, 0.5, 0.75, 1],
    yTicks: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5],
    xLabel: "input x",
    label: "the network's output, each neuron's piece and the sine they fit, over x from 0 to 1",
    testid: "relu-plot",
  });
  const { plot, sx } = frame;
  // Far-off values are drawn just outside the frame (the clip hides them).
  const sy = (y) => frame.sy(Math.min(Math.max(y, Y_RANGE[0] - 1), Y_RANGE[1] + 1));
  const piecesLayer = svg("g");
  const target = svg("path", { fill: "none", stroke: COLOURS.target, "stroke-width": 2.5, "stroke-dasharray": "6 4", testid: "relu-target" });
  const curve = svg("path", { fill: "none", stroke: COLOURS.value, "stroke-width": 2.5, testid: "relu-curve" });
  const kinkMark = svg("line", { stroke: COLOURS.gradient, "stroke-dasharray": "3 3", testid: "relu-kink" });
  plot.append(piecesLayer, target, curve, kinkMark);

  const selectedIndex = () => Math.min(model.get("selected"), model.get("w1").length - 1);
  function setParam(name, value) {
    if (name === "b2") model.set("b2", value);
    else {
      const values = [...model.get(name)];
      values[selectedIndex()] = value;
      model.set(name, values);
    }
    save(model);
  }
  const range = [model.get("weight_min"), model.get("weight_max")];
  const control = (name, label, [min, max]) =>
    slider({ label, testid: `relu-${name}`, min, max, step: 0.01, format: (v) => fixed(v, 2), onInput: (v) => setParam(name, v) });
  const w1 = control("w1", "hidden weight w1", range);
  const b1 = control("b1", "hidden bias b1", range);
  const w2 = control("w2", "output weight w2", range);
  const b2 = control("b2", "output bias b2 (shared)", [-2, 2]);

  function loadPreset(name) {
    const params = presetParams(name, model.get("w1").length);
    for (const [key, value] of Object.entries(params)) model.set(key, value);
    save(model);
  }
  const pieces = toggle({
    label: "show pieces",
    testid: "relu-show-pieces",
    onChange: (checked) => {
      model.set("show_pieces", checked);
      save(model);
    },
  });
  // One button per hidden neuron, made once and updated in place (so focus stays on it).
  const neuronRow = el("div", { class: "explorer-controls relu-neurons", role: "group", "aria-label": "pick a hidden neuron" }, [
    el("span", { "aria-hidden": "true" }, "neuron:"),
  ]);
  let neuronButtons = [];
  function makeButtons(k) {
    for (const old of neuronButtons) old.remove();
    neuronButtons = Array.from({ length: k }, (_, j) =>
      button(String(j + 1), {
        testid: `relu-neuron-${j}`,
        name: `neuron ${j + 1}`,
        pressed: false,
        onClick: () => {
          model.set("selected", j);
          save(model);
        },
      }),
    );
    neuronRow.append(...neuronButtons);
  }
  const readout = el("div", { class: "relu-readout", testid: "relu-neuron-readout", "aria-live": "polite" });
  const error = el("div", { class: "relu-mse", testid: "relu-mse" });

  const root = el("div", { class: "explorer relu-pieces", testid: "relu-pieces" }, [
    frame.root,
    legend([
      [COLOURS.target, "sin(2πx), the target", true],
      [COLOURS.value, "network output"],
      [COLOURS.pieces[0], "thin lines: each neuron's piece"],
    ]),
    el("div", { class: "explorer-controls" }, [
      button("Hand-made fit", { testid: "relu-preset-sine", onClick: () => loadPreset("sine") }),
      button("All zero", { testid: "relu-preset-zero", onClick: () => loadPreset("zero") }),
      pieces.root,
    ]),
    neuronRow,
    el("div", { class: "relu-sliders" }, [w1.root, b1.root, w2.root, b2.root]),
    readout,
    error,
  ]);
  host.appendChild(root);

  function draw() {
    const params = paramsOf(model);
    const k = params.w1.length;
    const selected = selectedIndex();
    const xs = plotGrid(model.get("n_plot"));
    target.setAttribute("d", pathOf(xs, sineTarget(xs), sx, sy));
    curve.setAttribute("d", pathOf(xs, networkOutput(params, xs), sx, sy));

    piecesLayer.replaceChildren();
    if (model.get("show_pieces")) {
      neuronPieces(params, xs).forEach((piece, j) => {
        piecesLayer.append(
          svg("path", {
            d: pathOf(xs, piece, sx, sy),
            fill: "none",
            stroke: COLOURS.pieces[j % COLOURS.pieces.length],
            "stroke-width": j === selected ? 2 : 1,
            opacity: j === selected ? 0.95 : 0.45,
            testid: `relu-piece-${j}`,
          }),
        );
      });
    }

    const kink = kinkOf(params.w1[selected], params.b1[selected]);
    const visible = kink !== null && kink >= 0 && kink <= 1;
    kinkMark.setAttribute("visibility", visible ? "visible" : "hidden");
    if (visible) {
      for (const [key, value] of [["x1", sx(kink)], ["x2", sx(kink)], ["y1", sy(Y_RANGE[1])], ["y2", sy(Y_RANGE[0])]]) {
        kinkMark.setAttribute(key, value);
      }
    }

    if (neuronButtons.length !== k) makeButtons(k);
    neuronButtons.forEach((b, j) => b.setAttribute("aria-pressed", String(j === selected)));

    w1.set(params.w1[selected]);
    b1.set(params.b1[selected]);
    w2.set(params.w2[selected]);
    b2.set(params.b2);
    pieces.set(model.get("show_pieces"));
    const where = kink === null ? "never switches (w1 = 0)" : `switches on at x = ${kink.toFixed(3)}`;
    const bias = params.b1[selected];
    readout.textContent =
      `neuron ${selected + 1}: ${params.w2[selected].toFixed(2)} * max(0, ` +
      `${params.w1[selected].toFixed(2)} * x ${bias < 0 ? "-" : "+"} ` +
      `${Math.abs(bias).toFixed(2)}), ${where}`;
    error.textContent = `mean squared error: ${meanSquaredError(params, model.get("n_error")).toFixed(5)}`;
  }

  const stop = listen(model, ["w1", "b1", "w2", "b2", "selected", "show_pieces", "n_plot", "n_error"], draw);
  draw();
  return stop;
}

export default { render };
