// The depth explorer of chapter 23: how the spread of the activations (forward) and of the
// gradients (backward) changes from layer to layer of a deep stack, for the depth, hidden
// activation and starting weights the reader picks.
//
// The stack is ``depth`` times DenseLayer(width, width) (biases 0, weights drawn as the engine's
// DenseLayer draws them: normal, mean 0, standard deviation ``initialStd``) followed by the
// activation. ``samples`` random inputs with standard deviation 1 go forward; random gradients
// with standard deviation 1 arrive at the last layer's outputs and go backward. For every hidden
// layer the explorer plots the standard deviation of all its activations, their spread between
// samples (each neuron's standard deviation over the samples, averaged over the neurons: what
// tells one input from another) and the standard deviation of the gradient that reaches them. Everything is computed here, in the browser; the named exports are the
// computations the tests compare with the engine (resources/classes.py).

import { COLOURS, button, chart, choice, el, legend, listen, pathOf, save, slider, svg } from "./prelude.js";

/** A seeded uniform generator on [0, 1) (mulberry32): the same seed, the same draws. */
export function uniforms(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from ``uniform`` (Box-Muller). */
export function normals(uniform) {
  return () => {
    const u = 1 - uniform(); // in (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/**
 * The weights' standard deviation under ``init``, as the engine's ``initial_weight_std``;
 * "large" is the engine's "small" rule with weight_scale=0.5 (chapter 23's exploding start).
 */
export function initialStd(nInputs, nNeurons, init) {
  if (init === "small") return 0.01;
  if (init === "large") return 0.5;
  if (init === "glorot") return Math.sqrt(2 / (nInputs + nNeurons));
  if (init === "he") return Math.sqrt(2 / nInputs);
  throw new Error(`init must be small, large, glorot or he, got ${init}`);
}

function matrix(rows, cols, draw, scale) {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * draw()));
}

/** ``{ weights: [depth x (width x width)], inputs: samples x width, dvalues: samples x width }``. */
export function drawNetwork({ depth, width, samples, init, seed }) {
  const draw = normals(uniforms(seed));
  const std = initialStd(width, width, init);
  const weights = Array.from({ length: depth }, () => matrix(width, width, draw, std));
  return { weights, inputs: matrix(samples, width, draw, 1), dvalues: matrix(samples, width, draw, 1) };
}

/** Each activation's forward function, and its slope from its input z and output a. */
export const ACTIVATIONS = {
  relu: { name: "ReLU", f: (z) => Math.max(0, z), slope: (z) => (z > 0 ? 1 : 0) },
  sigmoid: { name: "sigmoid", f: (z) => 1 / (1 + Math.exp(-z)), slope: (z, a) => a * (1 - a) },
  tanh: { name: "tanh", f: (z) => Math.tanh(z), slope: (z, a) => 1 - a * a },
};

function dot(a, b, transposeB = false) {
  // a (n x k) times b (k x m), or times b transposed when b is (m x k).
  const m = transposeB ? b.length : b[0].length;
  return a.map((row) => {
    const out = new Array(m).fill(0);
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let i = 0; i < row.length; i++) sum += row[i] * (transposeB ? b[j][i] : b[i][j]);
      out[j] = sum;
    }
    return out;
  });
}

/** The standard deviation of every number in a matrix (over all of them, as np.std). */
export function std(values) {
  let n = 0;
  let sum = 0;
  for (const row of values) for (const v of row) (n += 1), (sum += v);
  const mean = sum / n;
  let squares = 0;
  for (const row of values) for (const v of row) squares += (v - mean) ** 2;
  return Math.sqrt(squares / n);
}

/**
 * The spread between samples of a (samples x neurons) matrix: each neuron's standard deviation
 * over the samples (its column), averaged over the neurons, as np.std(values, axis=0).mean().
 */
export function between(values) {
  const n = values.length;
  const m = values[0].length;
  let total = 0;
  for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i][j];
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (values[i][j] - mean) ** 2;
    total += Math.sqrt(squares / n);
  }
  return total / m;
}

/**
 * Forward and backward through the stack: ``{ spread, between, signal }``, one number per hidden
 * layer: the std of all its activations, their spread between samples, and the std of the
 * gradient that reaches them.
 */
export function measure(network, activation) {
  const act = ACTIVATIONS[activation];
  if (!act) throw new Error(`activation must be relu, sigmoid or tanh, got ${activation}`);
  let x = network.inputs;
  const zs = [];
  const outputs = [];
  for (const w of network.weights) {
    const z = dot(x, w);
    x = z.map((row) => row.map(act.f));
    zs.push(z);
    outputs.push(x);
  }
  const depth = network.weights.length;
  const signal = new Array(depth);
  let g = network.dvalues;
  for (let l = depth - 1; l >= 0; l--) {
    signal[l] = std(g);
    if (l === 0) break;
    const dz = g.map((row, i) => row.map((v, j) => v * act.slope(zs[l][i][j], outputs[l][i][j])));
    g = dot(dz, network.weights[l], true); // dinputs = dvalues . weights^T
  }
  return { spread: outputs.map(std), between: outputs.map(between), signal };
}

/** The geometric mean of values[k + 1] / values[k]: the factor per layer. */
export function perLayer(values) {
  if (values.length < 2) return NaN;
  return (values[values.length - 1] / values[0]) ** (1 / (values.length - 1));
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const WIDTH = 480;
const HEIGHT = 320;
const FLOOR = 1e-300;

/** Two significant digits: plainly between 0.001 and 1000, in exponent form outside. */
export function short(value) {
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e3) return String(Number(value.toPrecision(2)));
  return Number(value).toExponential(1);
}

function render({ model, el: host }) {
  const set = (key, value) => {
    model.set(key, value);
    save(model);
  };
  const depth = slider({
    label: "depth (hidden layers)",
    testid: "de-depth",
    min: 1,
    max: 50,
    step: 1,
    format: (v) => String(v),
    onInput: (value) => set("depth", value),
  });
  const activation = choice({
    label: "activation",
    testid: "de-activation",
    options: Object.entries(ACTIVATIONS).map(([key, a]) => [key, a.name]),
    onChange: (value) => set("activation", value),
  });
  const init = choice({
    label: "start",
    testid: "de-init",
    options: [
      ["small", "0.01 (NNFS)"],
      ["glorot", "Glorot"],
      ["he", "He"],
      ["large", "0.5"],
    ],
    onChange: (value) => set("weight_init", value),
  });
  const redraw = button("New draw", { testid: "de-new-draw", onClick: () => set("seed", (model.get("seed") + 1) % 1000000) });
  const fields = {};
  const readout = el(
    "div",
    { class: "de-readout", testid: "de-readout" },
    [
      ["last-spread", "spread between samples at the last layer"],
      ["first-signal", "gradient at the first layer"],
      ["forward-factor", "per layer, forward (between samples)"],
      ["backward-factor", "per layer, going back"],
    ].map(([name, text]) => {
      fields[name] = el("b", { testid: `de-${name}` });
      return el("span", { class: "de-field" }, [`${text}: `, fields[name]]);
    }),
  );
  const holder = el("div", { class: "de-chart" });
  const root = el("div", { class: "explorer de-explorer" }, [
    el("div", { class: "explorer-controls" }, [depth.root, activation.root, init.root, redraw]),
    readout,
    holder,
    legend([
      [COLOURS.value, "spread of the activations between samples (forward)"],
      [COLOURS.muted, "std of all activations (forward)", true],
      [COLOURS.gradient, "std of the gradient (backward)", true],
    ]),
  ]);
  host.appendChild(root);
  let figure = null;

  function draw() {
    const n = model.get("depth");
    const a = model.get("activation");
    const w = model.get("weight_init");
    depth.set(n);
    activation.set(a);
    init.set(w);
    const network = drawNetwork({ depth: n, width: model.get("width"), samples: model.get("samples"), init: w, seed: model.get("seed") });
    const { spread, between: apart, signal } = measure(network, a);
    fields["last-spread"].textContent = short(apart[n - 1]);
    fields["first-signal"].textContent = short(signal[0]);
    fields["forward-factor"].textContent = n > 1 ? `× ${perLayer(apart).toFixed(3)}` : "(one layer)";
    // Going back, from the last layer to the first: the gradient's factor per layer.
    fields["backward-factor"].textContent = n > 1 ? `× ${(1 / perLayer(signal)).toFixed(3)}` : "(one layer)";

    const logs = [...spread, ...apart, ...signal].map((v) => Math.log10(Math.max(v, FLOOR)));
    let lo = Math.floor(Math.min(...logs, -1));
    let hi = Math.ceil(Math.max(...logs, 1));
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    lo = Math.floor(lo / every) * every;
    hi = Math.ceil(hi / every) * every;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const xTicks = n <= 10 ? xs : xs.filter((l) => l === 1 || l % (n <= 25 ? 5 : 10) === 0);
    if (figure) figure.stopFitting();
    const frame = chart({
      width: WIDTH,
      height: HEIGHT,
      pad: { left: 62, top: 14, bottom: 42 },
      x: n > 1 ? [1, n] : [0.5, 1.5],
      y: [lo, hi],
      xTicks,
      xLabel: "hidden layer",
      label: `spread of the activations between samples, standard deviation of all activations and of the gradient at each of ${n} ${ACTIVATIONS[a].name} layers, log scale`,
      testid: "de-chart",
    });
    figure = frame.root;
    for (let d = lo; d <= hi; d += every) {
      figure.insertBefore(svg("line", { x1: frame.box.x, x2: frame.box.x + frame.box.width, y1: frame.sy(d), y2: frame.sy(d), stroke: COLOURS.grid }), frame.plot);
      figure.append(svg("text", { x: frame.box.x - 5, y: frame.sy(d), "dominant-baseline": "middle", "text-anchor": "end", fill: COLOURS.muted, text: d === 0 ? "1" : `1e${d}` }));
    }
    const curve = (values, colour, dashed, testid) => {
      const ys = values.map((v) => Math.log10(Math.max(v, FLOOR)));
      frame.plot.append(svg("path", { d: pathOf(xs, ys, frame.sx, frame.sy), fill: "none", stroke: colour, "stroke-width": 2.5, "stroke-dasharray": dashed ? dashed : undefined, testid }));
      xs.forEach((x, i) => frame.plot.append(svg("circle", { cx: frame.sx(x), cy: frame.sy(ys[i]), r: 2.5, fill: colour })));
    };
    curve(spread, COLOURS.muted, "2 4", "de-spread");
    curve(apart, COLOURS.value, false, "de-between");
    curve(signal, COLOURS.gradient, "6 4", "de-signal");
    holder.replaceChildren(figure);
  }

  const stop = listen(model, ["depth", "activation", "weight_init", "seed", "width", "samples"], draw);
  draw();
  return () => {
    stop();
    if (figure) figure.stopFitting();
  };
}

export default { render };
