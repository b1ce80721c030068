// The dropout explorer of chapter 15: the trained network's decision regions with every hidden
// neuron present (inference) or with one random dropout mask (one of the sub-networks that
// training saw). "New mask" draws another sub-network; the rate sets how many neurons a mask
// drops and how much the kept ones are scaled (1 / share kept).
//
// The network is DenseLayer(2, H) -> ReLU -> Dropout -> DenseLayer(H, 3) -> softmax, with
// parameters {w1: [[...H], [...H]], b1: [...H], w2: [[...3] x H], b2: [...3]}. One mask is
// used for every point, so the picture shows one sub-network. Everything is computed here, in
// the browser; the named exports are the computations the tests compare with the engine.

import { COLOURS, button, canvas, el, figure, fixed, listen, save, slider, svg, toggle } from "./prelude.js";

const CLIP = 1e-7;

/** Per-neuron factors: kept / (1 - rate) with dropout on, all 1 with it off (inference). */
export function factors(kept, rate, on) {
  return kept.map((k) => (on ? (k ? 1 / (1 - rate) : 0) : 1));
}

/** Class scores of one point [x1, x2] through the network with per-neuron factors. */
export function scores(p, factor, point) {
  const out = p.b2.slice();
  for (let j = 0; j < p.b1.length; j++) {
    const z = point[0] * p.w1[0][j] + point[1] * p.w1[1][j] + p.b1[j];
    if (z > 0 && factor[j] !== 0) {
      for (let k = 0; k < out.length; k++) out[k] += z * factor[j] * p.w2[j][k];
    }
  }
  return out;
}

function argmax(values) {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** Mean clipped cross-entropy and accuracy on points with labels. */
export function evaluate(p, factor, points, labels) {
  let loss = 0;
  let right = 0;
  for (let i = 0; i < points.length; i++) {
    const s = scores(p, factor, points[i]);
    const top = Math.max(...s);
    const e = s.map((v) => Math.exp(v - top));
    const total = e.reduce((a, b) => a + b, 0);
    loss -= Math.log(Math.min(Math.max(e[labels[i]] / total, CLIP), 1 - CLIP));
    if (argmax(s) === labels[i]) right += 1;
  }
  return { loss: loss / points.length, accuracy: right / points.length };
}

/** Predicted class on an n x n grid over [lo, hi]^2; row 0 is the top (largest x2). */
export function regionGrid(p, factor, n, lo, hi) {
  const classes = new Array(n * n);
  for (let row = 0; row < n; row++) {
    const x2 = hi - ((row + 0.5) * (hi - lo)) / n;
    for (let col = 0; col < n; col++) {
      const x1 = lo + ((col + 0.5) * (hi - lo)) / n;
      classes[row * n + col] = argmax(scores(p, factor, [x1, x2]));
    }
  }
  return classes;
}

/** A new mask of ``hidden`` neurons: each kept with probability 1 - rate (``random`` in [0, 1)). */
export function drawMask(hidden, rate, random = Math.random) {
  return Array.from({ length: hidden }, () => random() < 1 - rate);
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const LO = -1.1;
const HI = 1.1;
const SIZE = 300;
const CELLS = 90;

function render({ model, el: host }) {
  const set = (key, value) => {
    model.set(key, value);
    save(model);
  };
  const newMask = button("New mask", {
    testid: "do-new-mask",
    onClick: () => set("kept", drawMask(model.get("kept").length, model.get("rate"))),
  });
  const on = toggle({
    label: "dropout on (training); off: every neuron (inference)",
    testid: "do-on",
    onChange: (checked) => set("dropout_on", checked),
  });
  const rate = slider({
    label: "dropout rate",
    testid: "do-rate",
    min: 0,
    max: 0.9,
    step: 0.1,
    onInput: (value) => {
      model.set("rate", value);
      set("kept", drawMask(model.get("kept").length, value));
    },
  });
  const fields = {};
  const readout = el(
    "div",
    { class: "do-readout", testid: "do-readout" },
    [
      ["kept", "neurons kept"],
      ["acc", "validation acc"],
      ["loss", "validation loss"],
    ].map(([name, text]) => {
      fields[name] = el("b", { testid: `do-${name}` });
      return el("span", { class: "do-field" }, [`${text}: `, fields[name]]);
    }),
  );
  const strip = figure({ width: 320, height: 34, label: "the hidden neurons: filled ones are kept, empty ones dropped", testid: "do-mask" });
  const cells = svg("g");
  strip.append(cells);
  const regions = canvas({ size: SIZE, label: "decision regions of the network with the current mask, with the validation points; circled points are misclassified", testid: "do-regions" });
  const root = el("div", { class: "explorer do-explorer" }, [
    el("div", { class: "explorer-controls" }, [newMask, on.root, rate.root]),
    strip,
    readout,
    regions,
  ]);
  host.appendChild(root);

  const toPixel = (value) => ((value - LO) / (HI - LO)) * SIZE;

  function draw() {
    const p = { w1: model.get("w1"), b1: model.get("b1"), w2: model.get("w2"), b2: model.get("b2") };
    const kept = model.get("kept");
    const dropoutOn = model.get("dropout_on");
    const factor = factors(kept, model.get("rate"), dropoutOn);
    on.set(dropoutOn);
    rate.set(model.get("rate"));
    newMask.disabled = !dropoutOn;
    const points = model.get("points");
    const labels = model.get("labels");
    const scoresNow = evaluate(p, factor, points, labels);
    const count = factor.filter((f) => f !== 0).length;
    fields.kept.textContent = `${count} of ${kept.length}`;
    fields.acc.textContent = fixed(scoresNow.accuracy, 3);
    fields.loss.textContent = fixed(scoresNow.loss, 3);

    cells.replaceChildren();
    const width = 316 / kept.length;
    kept.forEach((_, j) => {
      cells.append(svg("rect", { x: 2 + j * width, y: 4, width: Math.max(width - 1, 1), height: 26, fill: factor[j] !== 0 ? COLOURS.value : "#ffffff", stroke: COLOURS.frame }));
    });

    const ctx = regions.getContext("2d");
    const grid = regionGrid(p, factor, CELLS, LO, HI);
    const cell = SIZE / CELLS;
    for (let row = 0; row < CELLS; row++) {
      for (let col = 0; col < CELLS; col++) {
        ctx.fillStyle = COLOURS.regions[grid[row * CELLS + col]];
        ctx.fillRect(col * cell, row * cell, cell + 0.5, cell + 0.5);
      }
    }
    for (let i = 0; i < points.length; i++) {
      const x = toPixel(points[i][0]);
      const y = SIZE - toPixel(points[i][1]);
      ctx.beginPath();
      ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
      ctx.fillStyle = COLOURS.classes[labels[i]];
      ctx.fill();
      if (argmax(scores(p, factor, points[i])) !== labels[i]) {
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
  }

  const stop = listen(model, ["kept", "dropout_on", "rate", "w1"], draw);
  draw();
  return stop;
}

export default { render };
