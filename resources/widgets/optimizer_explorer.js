// The optimizer explorer: training curves and decision regions of chapter 10's network.
//
// The runs were trained in Python with the book's engine, one per setting on a small grid,
// and arrive in the widget's state. This module only looks the chosen run up and draws it,
// so it responds at once, also on a static page with no kernel. The pure functions are
// exported so that tests can run them under Node and compare them with the Python side.

const CLASS_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];
const REGION_COLORS = ["#f6c9c9", "#c6dbef", "#c7e9c0", "#dadaeb", "#fdd0a2"];
const SVG = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------
// Pure computation
// ---------------------------------------------------------------------------

/** Index of the grid value nearest `value` (on a log scale if `log`); first one on ties. */
export function nearestIndex(values, value, log = false) {
  let best = 0;
  let bestDistance = Infinity;
  values.forEach((v, i) => {
    const d = log ? Math.abs(Math.log10(v) - Math.log10(value)) : Math.abs(v - value);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}

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

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function chart(title, yMax, ticks, recordEvery, lastEpoch) {
  const W = 260;
  const H = 150;
  const pad = { left: 40, right: 10, top: 22, bottom: 32 };
  const svg = el("svg", {
    width: W + pad.left + pad.right,
    height: H + pad.top + pad.bottom,
    class: "oe-chart",
    role: "img",
  });
  svg.append(el("text", { x: pad.left, y: 15, class: "oe-title" }, title));
  const g = el("g", { transform: `translate(${pad.left},${pad.top})` });
  svg.append(g);
  g.append(el("rect", { width: W, height: H, class: "oe-frame" }));
  for (const t of ticks) {
    const y = H - (t * H) / yMax;
    g.append(el("line", { x1: 0, x2: W, y1: y, y2: y, class: "oe-grid" }));
    g.append(el("text", { x: -6, y: y + 4, class: "oe-tick", "text-anchor": "end" }, String(t)));
  }
  for (const e of [0, lastEpoch / 2, lastEpoch]) {
    const x = (e * W) / lastEpoch;
    g.append(
      el("text", { x, y: H + 14, class: "oe-tick", "text-anchor": "middle" }, String(Math.round(e))),
    );
  }
  g.append(el("text", { x: W / 2, y: H + 28, class: "oe-label", "text-anchor": "middle" }, "epoch"));
  const line = el("polyline", { class: "oe-curve", fill: "none" });
  g.append(line);
  return {
    svg,
    draw(values) {
      line.setAttribute("points", curvePoints(values, recordEvery, lastEpoch, yMax, W, H));
    },
  };
}

function regionsView(points, grid) {
  const size = 220;
  const wrapper = document.createElement("div");
  wrapper.className = "oe-regions";
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.setAttribute("data-testid", "regions");
  canvas.setAttribute("aria-label", "decision regions of the trained network");
  const caption = document.createElement("div");
  caption.className = "oe-caption";
  caption.textContent = "decision regions after training, with the spiral data";
  wrapper.append(canvas, caption);
  const ctx = canvas.getContext("2d");
  return {
    node: wrapper,
    draw(regions) {
      const n = grid.map_size;
      const cell = size / n;
      const rows = decodeRegions(regions, n);
      rows.forEach((row, r) =>
        row.forEach((c, col) => {
          ctx.fillStyle = REGION_COLORS[c % REGION_COLORS.length];
          ctx.fillRect(col * cell, r * cell, cell + 0.5, cell + 0.5);
        }),
      );
      points.x.forEach((x, i) => {
        const [px, py] = toPixels(x, points.y[i], grid.extent, size);
        ctx.fillStyle = CLASS_COLORS[points.label[i] % CLASS_COLORS.length];
        ctx.beginPath();
        ctx.arc(px, py, 2.2, 0, 2 * Math.PI);
        ctx.fill();
      });
    },
  };
}

function slider(label, testid, count) {
  const wrap = document.createElement("label");
  wrap.className = "oe-control";
  const name = document.createElement("span");
  name.textContent = label;
  const input = document.createElement("input");
  input.type = "range";
  input.min = "0";
  input.max = String(count - 1);
  input.step = "1";
  input.setAttribute("data-testid", testid);
  const value = document.createElement("output");
  value.setAttribute("data-testid", `${testid}-value`);
  wrap.append(name, input, value);
  return { wrap, input, value };
}

function render({ model, el: root }) {
  const grid = model.get("grid");
  const runs = model.get("runs");
  const points = model.get("points");
  const lastEpoch = (grid.epochs - 1) - ((grid.epochs - 1) % grid.record_every);

  root.classList.add("optimizer-explorer");
  const controls = document.createElement("div");
  controls.className = "oe-controls";
  const optLabel = document.createElement("label");
  optLabel.className = "oe-control";
  optLabel.append("optimizer ");
  const select = document.createElement("select");
  select.setAttribute("data-testid", "optimizer");
  for (const name of grid.optimizers) select.append(new Option(name, name));
  optLabel.append(select);
  const lr = slider("learning rate", "learning-rate", 5);
  const decay = slider("decay", "decay", grid.decays.length);
  const momentum = slider("momentum", "momentum", grid.momentums.length);
  controls.append(optLabel, lr.wrap, decay.wrap, momentum.wrap);

  const plots = document.createElement("div");
  plots.className = "oe-plots";
  const lossChart = chart("loss", 1.2, [0, 0.4, 0.8, 1.2], grid.record_every, lastEpoch);
  const accChart = chart("accuracy", 1, [0, 0.5, 1], grid.record_every, lastEpoch);
  const regions = regionsView(points, grid);
  plots.append(lossChart.svg, accChart.svg, regions.node);

  const text = document.createElement("div");
  text.className = "oe-summary";
  text.setAttribute("data-testid", "summary");
  root.append(controls, plots, text);

  function update() {
    const name = model.get("optimizer");
    const rates = grid.learning_rates[name];
    const lrIndex = nearestIndex(rates, model.get("learning_rate"), true);
    const decayIndex = nearestIndex(grid.decays, model.get("decay"));
    const momentumIndex = nearestIndex(grid.momentums, model.get("momentum"));
    select.value = name;
    lr.input.max = String(rates.length - 1);
    lr.input.value = String(lrIndex);
    lr.value.textContent = String(rates[lrIndex]);
    decay.input.value = String(decayIndex);
    decay.value.textContent = String(grid.decays[decayIndex]);
    momentum.input.value = String(momentumIndex);
    momentum.input.disabled = name !== "SGD";
    momentum.value.textContent = name === "SGD" ? String(grid.momentums[momentumIndex]) : "n/a";
    const key = runKey(grid, name, model.get("learning_rate"), model.get("decay"), model.get("momentum"));
    const run = runs[key];
    root.setAttribute("data-key", key);
    lossChart.draw(run.loss);
    accChart.draw(run.accuracy);
    regions.draw(run.regions);
    text.textContent = `${name}: ${summary(run, grid)}`;
  }

  function set(changes) {
    for (const [k, v] of Object.entries(changes)) model.set(k, v);
    model.save_changes();
    update();
  }

  select.addEventListener("change", () => {
    // Keep the learning rate's position on the new optimizer's own scale.
    const index = Number(lr.input.value);
    set({ optimizer: select.value, learning_rate: grid.learning_rates[select.value][index] });
  });
  lr.input.addEventListener("input", () =>
    set({ learning_rate: grid.learning_rates[model.get("optimizer")][Number(lr.input.value)] }),
  );
  decay.input.addEventListener("input", () => set({ decay: grid.decays[Number(decay.input.value)] }));
  momentum.input.addEventListener("input", () =>
    set({ momentum: grid.momentums[Number(momentum.input.value)] }),
  );
  for (const name of ["optimizer", "learning_rate", "decay", "momentum"]) {
    model.on(`change:${name}`, update);
  }
  update();
}

export default { render };
