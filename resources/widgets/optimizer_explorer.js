// The optimizer explorer: training curves and decision regions of chapter 10's network.
//
// The runs were trained in Python with the book's engine, one per setting on a small grid,
// and arrive in the widget's state. This module only looks the chosen run up and draws it,
// so it responds at once, also on a static page with no kernel. The pure functions are
// exported so that tests can run them under Node and compare them with the Python side.

import { COLOURS, canvas, chart, choice, el, listen, nearestIndex, save, slider, svg } from "./prelude.js";

// ---------------------------------------------------------------------------
// Pure computation
// ---------------------------------------------------------------------------

/** Index of the grid value nearest `value` (on a log scale if `log`): the prelude's. */
export { nearestIndex };

/** The key of the stored run nearest the settings, e.g. "Adam|3|0|0" (grid indices). */
export function runKey(grid, optimizer, learningRate, decay, momentum) {
  const lrIndex = nearestIndex(grid.learning_rates[optimizer], learningRate, true);
  const decayIndex = nearestIndex(grid.decays, decay);
  const momentumIndex = optimizer === "SGD" ? nearestIndex(grid.momentums, momentum) : 0;
  return `${optimizer}|${lrIndex}|${decayIndex}|${momentumIndex}`;
}

/** The decision map string ("0120...") as rows of class numbers, top row first. */
export function decodeRegions(regions, size) {
  const rows = [];
  for (let r = 0; r < size; r++) {
    rows.push(Array.from(regions.slice(r * size, (r + 1) * size), Number));
  }
  return rows;
}

/**
 * SVG polyline points for a curve recorded every `recordEvery` epochs, in a box of
 * `width` x `height` pixels: epochs 0..`lastEpoch` left to right, values 0..`yMax` bottom up.
 */
export function curvePoints(values, recordEvery, lastEpoch, yMax, width, height) {
  return values
    .map((v, i) => {
      const x = (i * recordEvery * width) / lastEpoch;
      const y = height - (Math.min(v, yMax) * height) / yMax;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

/** The text under the plots: the last recorded accuracy and loss of a run. */
export function summary(run, grid) {
  const last = run.loss.length - 1;
  const epoch = last * grid.record_every;
  return `epoch ${epoch}: acc ${run.accuracy[last].toFixed(3)}, loss ${run.loss[last].toFixed(3)}`;
}

/** Map a data point (x, y) in [-extent, extent]^2 to pixel coordinates of a square of `size`. */
export function toPixels(x, y, extent, size) {
  return [((x + extent) / (2 * extent)) * size, ((extent - y) / (2 * extent)) * size];
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

const W = 260; // the plotting box of a curve chart
const H = 150;

function curveChart(title, yMax, ticks, recordEvery, lastEpoch) {
  const pad = { left: 40, right: 14, top: 24, bottom: 40 };
  const frame = chart({
    width: W + pad.left + pad.right,
    height: H + pad.top + pad.bottom,
    pad,
    x: [0, lastEpoch],
    y: [0, yMax],
    xTicks: [0, Math.round(lastEpoch / 2), lastEpoch],
    yTicks: ticks,
    xLabel: "epoch",
    title,
    label: `${title} during training, every ${recordEvery} epochs`,
    className: "oe-chart",
  });
  const line = svg("polyline", { class: "oe-curve", fill: "none", transform: `translate(${pad.left},${pad.top})` });
  frame.plot.append(line);
  return {
    root: frame.root,
    draw(values) {
      line.setAttribute("points", curvePoints(values, recordEvery, lastEpoch, yMax, W, H));
    },
  };
}

function regionsView(points, grid) {
  const size = 220;
  const picture = canvas({ size, label: "decision regions of the trained network, with the spiral data", testid: "regions" });
  const wrapper = el("div", { class: "oe-regions" }, [
    picture,
    el("div", { class: "oe-caption" }, "decision regions after training, with the spiral data"),
  ]);
  const ctx = picture.getContext("2d");
  return {
    node: wrapper,
    draw(regions) {
      const n = grid.map_size;
      const cell = size / n;
      decodeRegions(regions, n).forEach((row, r) =>
        row.forEach((c, col) => {
          ctx.fillStyle = COLOURS.regions[c % COLOURS.regions.length];
          ctx.fillRect(col * cell, r * cell, cell + 0.5, cell + 0.5);
        }),
      );
      points.x.forEach((x, i) => {
        const [px, py] = toPixels(x, points.y[i], grid.extent, size);
        ctx.fillStyle = COLOURS.classes[points.label[i] % COLOURS.classes.length];
        ctx.beginPath();
        ctx.arc(px, py, 2.2, 0, 2 * Math.PI);
        ctx.fill();
      });
    },
  };
}

function render({ model, el: host }) {
  const grid = model.get("grid");
  const runs = model.get("runs");
  const points = model.get("points");
  const lastEpoch = grid.epochs - 1 - ((grid.epochs - 1) % grid.record_every);
  const rates = () => grid.learning_rates[model.get("optimizer")];
  const set = (changes) => {
    for (const [k, v] of Object.entries(changes)) model.set(k, v);
    save(model);
    update();
  };

  const optimizer = choice({
    label: "optimizer",
    testid: "optimizer",
    options: grid.optimizers.map((name) => [name, name]),
    // Keep the learning rate's position on the new optimizer's own scale.
    onChange: (name) => set({ optimizer: name, learning_rate: grid.learning_rates[name][Number(lr.input.value)] }),
  });
  // The learning-rate slider picks an index: each optimizer has its own list of rates.
  const lr = slider({
    label: "learning rate",
    testid: "learning-rate",
    values: rates().map((_, i) => i),
    format: (i) => String(rates()[i]),
    onInput: (i) => set({ learning_rate: rates()[i] }),
  });
  const decay = slider({
    label: "decay",
    testid: "decay",
    values: grid.decays,
    onInput: (value) => set({ decay: value }),
  });
  const momentum = slider({
    label: "momentum",
    testid: "momentum",
    values: grid.momentums,
    format: (value) => (model.get("optimizer") === "SGD" ? String(value) : "n/a"),
    onInput: (value) => set({ momentum: value }),
  });

  const lossChart = curveChart("loss", 1.2, [0, 0.4, 0.8, 1.2], grid.record_every, lastEpoch);
  const accChart = curveChart("accuracy", 1, [0, 0.5, 1], grid.record_every, lastEpoch);
  const regions = regionsView(points, grid);
  const text = el("div", { class: "oe-summary", testid: "summary", "aria-live": "polite" });
  const root = el("div", { class: "explorer optimizer-explorer" }, [
    el("div", { class: "explorer-controls" }, [optimizer.root, lr.root, decay.root, momentum.root]),
    el("div", { class: "oe-plots" }, [lossChart.root, accChart.root, regions.node]),
    text,
  ]);
  host.appendChild(root);

  function update() {
    const name = model.get("optimizer");
    optimizer.set(name);
    lr.set(nearestIndex(rates(), model.get("learning_rate"), true));
    decay.set(grid.decays[nearestIndex(grid.decays, model.get("decay"))]);
    momentum.input.disabled = name !== "SGD";
    momentum.set(grid.momentums[nearestIndex(grid.momentums, model.get("momentum"))]);
    const key = runKey(grid, name, model.get("learning_rate"), model.get("decay"), model.get("momentum"));
    const run = runs[key];
    root.setAttribute("data-key", key);
    lossChart.draw(run.loss);
    accChart.draw(run.accuracy);
    regions.draw(run.regions);
    text.textContent = `${name}: ${summary(run, grid)}`;
  }

  const stop = listen(model, ["optimizer", "learning_rate", "decay", "momentum"], update);
  update();
  return stop;
}

export default { render };
