// The regularization explorer of chapter 14: chapter 14's network trained with L1 or L2
// penalties of several strengths (the runs are stored with the page). Pick the kind and the
// strength; see the decision regions with the training or validation points, a histogram of
// the 128 first-layer weights, and the accuracies.
//
// A run is {w1: [[...H], [...H]], b1: [...H], w2: [[...3] x H], b2: [...3]} for
// DenseLayer(2, H) -> ReLU -> DenseLayer(H, 3). Everything is computed here, in the browser;
// the named exports are the computations the tests compare with the engine.

import { COLOURS, canvas, choice, el, figure, fixed, listen, save, slider, svg, toggle } from "./prelude.js";

/** Class scores of one point [x1, x2]. */
export function scores(p, point) {
  const out = p.b2.slice();
  for (let j = 0; j < p.b1.length; j++) {
    const z = point[0] * p.w1[0][j] + point[1] * p.w1[1][j] + p.b1[j];
    if (z > 0) for (let k = 0; k < out.length; k++) out[k] += z * p.w2[j][k];
  }
  return out;
}

/** The predicted class of one point: the index of the largest score. */
export function predict(p, point) {
  const s = scores(p, point);
  let best = 0;
  for (let k = 1; k < s.length; k++) if (s[k] > s[best]) best = k;
  return best;
}

/** The share of points whose predicted class is their label. */
export function accuracy(p, points, labels) {
  let right = 0;
  for (let i = 0; i < points.length; i++) if (predict(p, points[i]) === labels[i]) right += 1;
  return right / points.length;
}

/** Predicted class on an n x n grid over [lo, hi]^2; row 0 is the top (largest x2). */
export function regionGrid(p, n, lo, hi) {
  const classes = new Array(n * n);
  for (let row = 0; row < n; row++) {
    const x2 = hi - ((row + 0.5) * (hi - lo)) / n;
    for (let col = 0; col < n; col++) {
      classes[row * n + col] = predict(p, [lo + ((col + 0.5) * (hi - lo)) / n, x2]);
    }
  }
  return classes;
}

/** Counts of ``values`` in ``bins`` equal bins over [lo, hi]; values outside go to the end bins. */
export function histogram(values, lo, hi, bins) {
  const counts = new Array(bins).fill(0);
  for (const v of values) {
    const index = Math.floor(((v - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, index))] += 1;
  }
  return counts;
}

/** The key of a stored run: "none" for strength 0, else e.g. "L2 0.0005". */
export function runKey(kind, strength) {
  return strength === 0 ? "none" : `${kind} ${Number(strength.toPrecision(6))}`;
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const LO = -1.1;
const HI = 1.1;
const SIZE = 300;
const CELLS = 90;
const BINS = 40;
const RANGE = 20;

function render({ model, el: host }) {
  const set = (key, value) => {
    model.set(key, value);
    save(model);
  };
  const kind = choice({
    label: "penalty",
    testid: "reg-kind",
    options: [["L2", "L2 (sum of squares)"], ["L1", "L1 (sum of absolute values)"]],
    onChange: (value) => set("kind", value),
  });
  const strength = slider({
    label: "strength λ",
    name: "penalty strength",
    testid: "reg-strength",
    values: model.get("strengths"),
    format: (v) => (v === 0 ? "0 (none)" : String(v)),
    onInput: (value) => set("strength", value),
  });
  const showValidation = toggle({
    label: "show validation points (else training points)",
    testid: "reg-show-val",
    onChange: (checked) => set("show_validation", checked),
  });
  const fields = {};
  const readout = el(
    "div",
    { class: "reg-readout", testid: "reg-readout" },
    [
      ["train-acc", "training acc"],
      ["val-acc", "validation acc"],
      ["gap", "gap"],
      ["max-w", "largest |w|"],
    ].map(([name, text]) => {
      fields[name] = el("b", { testid: `reg-${name}` });
      return el("span", { class: "reg-field" }, [`${text}: `, fields[name]]);
    }),
  );
  const regions = canvas({ size: SIZE, label: "decision regions of the chosen run, with the data points", testid: "reg-regions" });
  const chart = figure({ width: 320, height: SIZE, label: "histogram of the 128 first-layer weights of the chosen run", testid: "reg-histogram" });
  const bars = svg("g");
  chart.append(bars);
  const root = el("div", { class: "explorer reg-explorer" }, [
    el("div", { class: "explorer-controls" }, [kind.root, strength.root, showValidation.root]),
    readout,
    el("div", { class: "reg-pictures" }, [regions, chart]),
  ]);
  host.appendChild(root);

  const toPixel = (value) => ((value - LO) / (HI - LO)) * SIZE;

  function drawHistogram(weights) {
    bars.replaceChildren();
    const counts = histogram(weights, -RANGE, RANGE, BINS);
    const left = 36;
    const right = 312;
    const top = 16;
    const bottom = SIZE - 40;
    const peak = Math.max(...counts, 1);
    const width = (right - left) / BINS;
    bars.append(svg("rect", { x: left, y: top, width: right - left, height: bottom - top, fill: "#fafafa", stroke: COLOURS.frame }));
    counts.forEach((count, i) => {
      const h = ((bottom - top) * count) / peak;
      bars.append(svg("rect", { x: left + i * width, y: bottom - h, width: Math.max(width - 1, 1), height: h, fill: COLOURS.line }));
    });
    for (const [value, anchor, x, y, baseline] of [
      [`-${RANGE}`, "middle", left, bottom + 4, "hanging"],
      ["0", "middle", (left + right) / 2, bottom + 4, "hanging"],
      [`${RANGE}`, "middle", right, bottom + 4, "hanging"],
      ["first-layer weight", "middle", (left + right) / 2, SIZE - 4, "auto"],
      [String(peak), "end", left - 4, top, "middle"],
      ["0", "end", left - 4, bottom, "middle"],
    ]) {
      bars.append(svg("text", { x, y, "text-anchor": anchor, "dominant-baseline": baseline, fill: COLOURS.text, text: value }));
    }
  }

  function draw() {
    const run = model.get("runs")[runKey(model.get("kind"), model.get("strength"))];
    if (!run) return;
    kind.set(model.get("kind"));
    strength.set(model.get("strength"));
    const validation = model.get("show_validation");
    showValidation.set(validation);
    const train = accuracy(run, model.get("points"), model.get("labels"));
    const val = accuracy(run, model.get("val_points"), model.get("val_labels"));
    const weights = run.w1.flat();
    fields["train-acc"].textContent = fixed(train, 3);
    fields["val-acc"].textContent = fixed(val, 3);
    fields.gap.textContent = fixed(train - val, 3);
    fields["max-w"].textContent = fixed(Math.max(...weights.map(Math.abs)), 2);

    const points = model.get(validation ? "val_points" : "points");
    const labels = model.get(validation ? "val_labels" : "labels");
    const ctx = regions.getContext("2d");
    const grid = regionGrid(run, CELLS, LO, HI);
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
      if (predict(run, points[i]) !== labels[i]) {
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
    drawHistogram(weights);
  }

  const stop = listen(model, ["kind", "strength", "show_validation", "runs"], draw);
  draw();
  return stop;
}

export default { render };
