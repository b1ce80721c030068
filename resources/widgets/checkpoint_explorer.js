// The checkpoint explorer of chapter 11: pick a stored checkpoint of the spiral network and
// see its decision regions with the training or the test points, its loss and accuracy on
// both sets, and where it sits on the training and test loss curves.
//
// The network is DenseLayer(2, H) -> ReLU -> DenseLayer(H, 3) -> softmax. A checkpoint is
// {w1: [[...H], [...H]], b1: [...H], w2: [[...3] x H], b2: [...3]}. Everything is computed
// here, in the browser, so the explorer works on a static page. The named exports below are
// the pure computations; the tests compare them with the book's Python engine.

import { COLOURS, canvas, el, figure, listen, save, slider, svg, toggle } from "./prelude.js";

const CLIP = 1e-7;

/** Class scores (before softmax) of one point [x1, x2]. */
export function scores(p, point) {
  const hidden = p.b1.length;
  const out = p.b2.slice();
  for (let j = 0; j < hidden; j++) {
    const z = point[0] * p.w1[0][j] + point[1] * p.w1[1][j] + p.b1[j];
    if (z > 0) {
      for (let k = 0; k < out.length; k++) out[k] += z * p.w2[j][k];
    }
  }
  return out;
}

/** Softmax probabilities of one point (the row's maximum is subtracted first). */
export function probabilities(p, point) {
  const s = scores(p, point);
  const top = Math.max(...s);
  const e = s.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** The predicted class of one point: the index of the largest score. */
export function predict(p, point) {
  const s = scores(p, point);
  let best = 0;
  for (let k = 1; k < s.length; k++) if (s[k] > s[best]) best = k;
  return best;
}

/** Mean clipped cross-entropy and accuracy of a checkpoint on points with labels. */
export function evaluate(p, points, labels) {
  let loss = 0;
  let right = 0;
  for (let i = 0; i < points.length; i++) {
    const probs = probabilities(p, points[i]);
    const correct = Math.min(Math.max(probs[labels[i]], CLIP), 1 - CLIP);
    loss -= Math.log(correct);
    let best = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
    if (best === labels[i]) right += 1;
  }
  return { loss: loss / points.length, accuracy: right / points.length };
}

/** Predicted class on an n x n grid over [lo, hi]^2; row 0 is the top (largest x2). */
export function regionGrid(p, n, lo, hi) {
  const classes = new Array(n * n);
  for (let row = 0; row < n; row++) {
    const x2 = hi - ((row + 0.5) * (hi - lo)) / n;
    for (let col = 0; col < n; col++) {
      const x1 = lo + ((col + 0.5) * (hi - lo)) / n;
      classes[row * n + col] = predict(p, [x1, x2]);
    }
  }
  return classes;
}

/** Training and test loss/accuracy of every checkpoint (for the curves). */
export function curves(checkpoints, train, trainLabels, test, testLabels) {
  return checkpoints.map((p) => ({
    train: evaluate(p, train, trainLabels),
    test: evaluate(p, test, testLabels),
  }));
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const LO = -1.1;
const HI = 1.1;
const SIZE = 300;
const CHART_WIDTH = 340;
const CELLS = 100;
const TRAIN_COLOUR = "#1f77b4";
const TEST_COLOUR = "#c2560a"; // 4.6:1 on white

function render({ model, el: host }) {
  let cache = null; // curves, computed once per set of checkpoints
  const set = (key, value) => {
    model.set(key, value);
    save(model);
  };
  const epochs = () => model.get("epochs");
  const picker = slider({
    label: "checkpoint",
    testid: "ckpt-slider",
    min: 0,
    max: Math.max(model.get("checkpoints").length - 1, 0),
    step: 1,
    format: (i) => `epoch ${epochs()[i]}`,
    onInput: (i) => set("index", Math.round(i)),
  });
  const epochLabel = el("span", { class: "ckpt-epoch", testid: "ckpt-epoch" });
  const showTest = toggle({
    label: "show test points (else training points)",
    testid: "ckpt-show-test",
    onChange: (checked) => set("show_test", checked),
  });
  const fields = {};
  const readout = el(
    "div",
    { class: "ckpt-readout", testid: "ckpt-readout" },
    [
      ["train-acc", "training acc"],
      ["train-loss", "training loss"],
      ["test-acc", "test acc"],
      ["test-loss", "test loss"],
    ].map(([name, text]) => {
      fields[name] = el("b", { testid: `ckpt-${name}` });
      return el("span", { class: "ckpt-field" }, [`${text}: `, fields[name]]);
    }),
  );
  const regions = canvas({ size: SIZE, label: "decision regions of the checkpoint, with the data points; circled points are misclassified", testid: "ckpt-regions" });
  const chart = figure({ width: CHART_WIDTH, height: SIZE, label: "training and test loss at every checkpoint; the dashed line marks the chosen one", testid: "ckpt-curve" });
  const curves_ = svg("g");
  chart.append(curves_);
  const root = el("div", { class: "explorer ckpt-explorer" }, [
    el("div", { class: "explorer-controls" }, [picker.root, epochLabel, showTest.root]),
    readout,
    el("div", { class: "ckpt-pictures" }, [regions, chart]),
  ]);
  host.appendChild(root);

  const toPixel = (value) => ((value - LO) / (HI - LO)) * SIZE;

  function drawRegions(p, points, labels) {
    const ctx = regions.getContext("2d");
    const grid = regionGrid(p, CELLS, LO, HI);
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
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fillStyle = COLOURS.classes[labels[i]];
      ctx.fill();
      if (predict(p, points[i]) !== labels[i]) {
        ctx.beginPath();
        ctx.arc(x, y, 6, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1.2;
        ctx.stroke();
      }
    }
  }

  function drawChart(index) {
    curves_.replaceChildren();
    const e = epochs();
    const left = 46;
    const right = CHART_WIDTH - 12;
    const top = 30;
    const bottom = SIZE - 40;
    const maxLoss = Math.max(...cache.flatMap((c) => [c.train.loss, c.test.loss])) * 1.05;
    const lastEpoch = e[e.length - 1] || 1;
    const xOf = (epoch) => left + ((right - left) * epoch) / lastEpoch;
    const yOf = (loss) => bottom - ((bottom - top) * loss) / maxLoss;
    curves_.append(svg("rect", { x: left, y: top, width: right - left, height: bottom - top, fill: "#fafafa", stroke: COLOURS.frame }));
    for (const [key, colour, label, offset] of [
      ["train", TRAIN_COLOUR, "training loss", 0],
      ["test", TEST_COLOUR, "test loss", 140],
    ]) {
      const path = cache.map((c, i) => `${i ? "L" : "M"}${xOf(e[i]).toFixed(1)},${yOf(c[key].loss).toFixed(1)}`);
      curves_.append(svg("path", { d: path.join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
      curves_.append(svg("line", { x1: left + offset, y1: 12, x2: left + offset + 18, y2: 12, stroke: colour, "stroke-width": 3 }));
      curves_.append(svg("text", { x: left + offset + 22, y: 12, "dominant-baseline": "middle", fill: COLOURS.text, text: label }));
    }
    const marker = xOf(e[index]);
    curves_.append(svg("line", { x1: marker, y1: top, x2: marker, y2: bottom, stroke: "#444", "stroke-dasharray": "4 3" }));
    for (const [value, anchor, x, y, baseline] of [
      ["0", "middle", left, bottom + 4, "hanging"],
      [String(lastEpoch), "end", right, bottom + 4, "hanging"],
      ["epoch", "middle", (left + right) / 2, SIZE - 3, "auto"],
      ["0", "end", left - 4, bottom, "middle"],
      [maxLoss.toFixed(2), "end", left - 4, top, "middle"],
      ["loss", "start", 2, (top + bottom) / 2, "middle"],
    ]) {
      curves_.append(svg("text", { x, y, "text-anchor": anchor, "dominant-baseline": baseline, fill: COLOURS.text, text: value }));
    }
  }

  function draw() {
    const checkpoints = model.get("checkpoints");
    if (!checkpoints.length) return;
    if (cache === null || cache.length !== checkpoints.length) {
      cache = curves(checkpoints, model.get("train_points"), model.get("train_labels"), model.get("test_points"), model.get("test_labels"));
    }
    const index = Math.min(Math.max(model.get("index"), 0), checkpoints.length - 1);
    const test = model.get("show_test");
    picker.set(index);
    showTest.set(test);
    epochLabel.textContent = ` epoch ${epochs()[index]}`;
    const scores = cache[index];
    fields["train-acc"].textContent = scores.train.accuracy.toFixed(3);
    fields["train-loss"].textContent = scores.train.loss.toFixed(3);
    fields["test-acc"].textContent = scores.test.accuracy.toFixed(3);
    fields["test-loss"].textContent = scores.test.loss.toFixed(3);
    const p = checkpoints[index];
    if (test) drawRegions(p, model.get("test_points"), model.get("test_labels"));
    else drawRegions(p, model.get("train_points"), model.get("train_labels"));
    drawChart(index);
  }

  const stopDrawing = listen(model, ["index", "show_test"], draw);
  const stopReset = listen(model, ["checkpoints"], () => {
    cache = null;
    draw();
  });
  draw();
  return () => {
    stopDrawing();
    stopReset();
  };
}

export default { render };
