// The checkpoint explorer of chapter 11: pick a stored checkpoint of the spiral network and
// see its decision regions with the training or the test points, its loss and accuracy on
// both sets, and where it sits on the training and test loss curves.
//
// The network is DenseLayer(2, H) -> ReLU -> DenseLayer(H, 3) -> softmax. A checkpoint is
// {w1: [[...H], [...H]], b1: [...H], w2: [[...3] x H], b2: [...3]}. Everything is computed
// here, in the browser, so the explorer works on a static page. The named exports below are
// the pure computations; the tests compare them with the book's Python engine.

const CLIP = 1e-7;
const REGION_COLOURS = ["#f7c6c2", "#c6d8ef", "#cbe8c4"];
const POINT_COLOURS = ["#d62728", "#1f77b4", "#2ca02c"];

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

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function render({ model, el }) {
  const LO = -1.1;
  const HI = 1.1;
  const SIZE = 300;
  const CHART_WIDTH = 340;
  const CELLS = 100;

  const root = document.createElement("div");
  root.className = "ckpt-explorer";

  const controls = document.createElement("div");
  controls.className = "ckpt-controls";
  const sliderLabel = document.createElement("label");
  sliderLabel.textContent = "checkpoint ";
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "0";
  slider.step = "1";
  slider.dataset.testid = "ckpt-slider";
  slider.setAttribute("aria-label", "checkpoint");
  sliderLabel.appendChild(slider);
  const epochLabel = document.createElement("span");
  epochLabel.dataset.testid = "ckpt-epoch";
  epochLabel.className = "ckpt-epoch";
  const toggleLabel = document.createElement("label");
  const toggle = document.createElement("input");
  toggle.type = "checkbox";
  toggle.dataset.testid = "ckpt-show-test";
  toggleLabel.appendChild(toggle);
  toggleLabel.appendChild(document.createTextNode(" show test points (else training points)"));
  controls.append(sliderLabel, epochLabel, toggleLabel);

  const readout = document.createElement("div");
  readout.className = "ckpt-readout";
  readout.dataset.testid = "ckpt-readout";
  const fields = {};
  for (const [name, text] of [
    ["train-acc", "training acc"],
    ["train-loss", "training loss"],
    ["test-acc", "test acc"],
    ["test-loss", "test loss"],
  ]) {
    const item = document.createElement("span");
    item.className = "ckpt-field";
    const value = document.createElement("b");
    value.dataset.testid = `ckpt-${name}`;
    item.append(`${text}: `, value);
    readout.appendChild(item);
    fields[name] = value;
  }

  const pictures = document.createElement("div");
  pictures.className = "ckpt-pictures";
  const canvas = document.createElement("canvas");
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.dataset.testid = "ckpt-regions";
  canvas.setAttribute("aria-label", "decision regions with data points");
  const chart = svgElement("svg", {
    width: CHART_WIDTH,
    height: SIZE,
    viewBox: `0 0 ${CHART_WIDTH} ${SIZE}`,
    "data-testid": "ckpt-curve",
  });
  pictures.append(canvas, chart);
  root.append(controls, readout, pictures);
  el.appendChild(root);

  let cache = null; // curves, computed once per set of checkpoints

  function data() {
    return {
      checkpoints: model.get("checkpoints"),
      epochs: model.get("epochs"),
      train: model.get("train_points"),
      trainLabels: model.get("train_labels"),
      test: model.get("test_points"),
      testLabels: model.get("test_labels"),
    };
  }

  function toPixel(value) {
    return ((value - LO) / (HI - LO)) * SIZE;
  }

  function drawRegions(p, points, labels) {
    const ctx = canvas.getContext("2d");
    const grid = regionGrid(p, CELLS, LO, HI);
    const cell = SIZE / CELLS;
    for (let row = 0; row < CELLS; row++) {
      for (let col = 0; col < CELLS; col++) {
        ctx.fillStyle = REGION_COLOURS[grid[row * CELLS + col]];
        ctx.fillRect(col * cell, row * cell, cell + 0.5, cell + 0.5);
      }
    }
    for (let i = 0; i < points.length; i++) {
      const x = toPixel(points[i][0]);
      const y = SIZE - toPixel(points[i][1]);
      const wrong = predict(p, points[i]) !== labels[i];
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fillStyle = POINT_COLOURS[labels[i]];
      ctx.fill();
      if (wrong) {
        ctx.beginPath();
        ctx.arc(x, y, 6, 0, 2 * Math.PI);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1.2;
        ctx.stroke();
      }
    }
  }

  function drawChart(d, index) {
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    const left = 46;
    const right = CHART_WIDTH - 12;
    const top = 24;
    const bottom = SIZE - 36;
    const losses = cache.flatMap((c) => [c.train.loss, c.test.loss]);
    const maxLoss = Math.max(...losses) * 1.05;
    const lastEpoch = d.epochs[d.epochs.length - 1] || 1;
    const xOf = (epoch) => left + ((right - left) * epoch) / lastEpoch;
    const yOf = (loss) => bottom - ((bottom - top) * loss) / maxLoss;
    chart.appendChild(
      svgElement("rect", { x: left, y: top, width: right - left, height: bottom - top, fill: "#fafafa", stroke: "#999" }),
    );
    for (const [key, colour, label, offset] of [
      ["train", "#1f77b4", "training loss", 0],
      ["test", "#ff7f0e", "test loss", 110],
    ]) {
      const path = cache.map((c, i) => `${i ? "L" : "M"}${xOf(d.epochs[i]).toFixed(1)},${yOf(c[key].loss).toFixed(1)}`);
      chart.appendChild(svgElement("path", { d: path.join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
      chart.appendChild(svgElement("line", { x1: left + offset, y1: 12, x2: left + offset + 18, y2: 12, stroke: colour, "stroke-width": 3 }));
      const text = svgElement("text", { x: left + offset + 22, y: 16, "font-size": 12 });
      text.textContent = label;
      chart.appendChild(text);
    }
    const marker = xOf(d.epochs[index]);
    chart.appendChild(svgElement("line", { x1: marker, y1: top, x2: marker, y2: bottom, stroke: "#444", "stroke-dasharray": "4 3" }));
    for (const [value, anchor, x, y] of [
      ["0", "middle", left, bottom + 16],
      [String(lastEpoch), "end", right, bottom + 16],
      ["epoch", "middle", (left + right) / 2, bottom + 30],
      ["0", "end", left - 4, bottom + 4],
      [maxLoss.toFixed(2), "end", left - 4, top + 4],
      ["loss", "middle", 14, (top + bottom) / 2],
    ]) {
      const text = svgElement("text", { x, y, "font-size": 12, "text-anchor": anchor });
      text.textContent = value;
      chart.appendChild(text);
    }
  }

  function draw() {
    const d = data();
    if (!d.checkpoints.length) return;
    if (cache === null || cache.length !== d.checkpoints.length) {
      cache = curves(d.checkpoints, d.train, d.trainLabels, d.test, d.testLabels);
    }
    const index = Math.min(Math.max(model.get("index"), 0), d.checkpoints.length - 1);
    const showTest = model.get("show_test");
    slider.max = String(d.checkpoints.length - 1);
    slider.value = String(index);
    toggle.checked = showTest;
    epochLabel.textContent = ` epoch ${d.epochs[index]}`;
    const scores = cache[index];
    fields["train-acc"].textContent = scores.train.accuracy.toFixed(3);
    fields["train-loss"].textContent = scores.train.loss.toFixed(3);
    fields["test-acc"].textContent = scores.test.accuracy.toFixed(3);
    fields["test-loss"].textContent = scores.test.loss.toFixed(3);
    const p = d.checkpoints[index];
    if (showTest) drawRegions(p, d.test, d.testLabels);
    else drawRegions(p, d.train, d.trainLabels);
    drawChart(d, index);
  }

  slider.addEventListener("input", () => {
    model.set("index", Number(slider.value));
    model.save_changes();
  });
  toggle.addEventListener("change", () => {
    model.set("show_test", toggle.checked);
    model.save_changes();
  });
  const redraw = () => draw();
  const reset = () => {
    cache = null;
    draw();
  };
  model.on("change:index", redraw);
  model.on("change:show_test", redraw);
  model.on("change:checkpoints", reset);
  draw();
  return () => {
    model.off("change:index", redraw);
    model.off("change:show_test", redraw);
    model.off("change:checkpoints", reset);
  };
}

export default { render };
