// Threshold explorer (chapter 16): a binary classifier's probabilities, and where to cut them.
// The network's sigmoid outputs are computed in Python by the engine and stored in the state:
// p on a grid over the plane, and p at every point shown. Everything that depends on the
// threshold is computed here, in the browser, so the widget works on a static page.
import { COLOURS, chart, el, fixed, legend, listen, save, slider, svg } from "./prelude.js";

export const T_MIN = 0.01;
export const T_MAX = 0.99;

// Predicted class of each probability: 1 where p > t (0.5 gives the engine's accuracy).
export function predict(probs, t) {
  return probs.map((p) => (p > t ? 1 : 0));
}

// Counts of the four outcomes and the accuracy, for labels of 0 and 1.
export function confusion(probs, labels, t) {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  probs.forEach((p, i) => {
    const predicted = p > t ? 1 : 0;
    if (predicted === 1 && labels[i] === 1) tp += 1;
    else if (predicted === 1) fp += 1;
    else if (labels[i] === 0) tn += 1;
    else fn += 1;
  });
  const n = probs.length;
  return { tp, fp, tn, fn, accuracy: (tp + tn) / n };
}

function render({ model, el: host }) {
  const size = 340;
  const extent = model.get("extent");
  const control = slider({
    label: "threshold t",
    testid: "threshold-t",
    min: T_MIN,
    max: T_MAX,
    step: 0.01,
    format: (v) => v.toFixed(2),
    onInput: (value) => {
      model.set("threshold", value);
      save(model);
      draw();
    },
  });
  const frame = chart({
    width: size,
    height: size,
    x: extent,
    y: extent,
    xTicks: [-1, 0, 1],
    yTicks: [-1, 0, 1],
    xLabel: "x₁",
    yLabel: "x₂",
    pad: { left: 30, right: 8, top: 8, bottom: 34 },
    label: "The plane coloured by the predicted class at the chosen threshold, with the points",
    testid: "threshold-map",
  });
  const cells = {};
  const readout = el(
    "table",
    { class: "threshold-explorer-readout" },
    [
      ["accuracy", "accuracy"],
      ["tp", "class 1 predicted 1 (true positives)"],
      ["fn", "class 1 predicted 0 (false negatives)"],
      ["tn", "class 0 predicted 0 (true negatives)"],
      ["fp", "class 0 predicted 1 (false positives)"],
    ].map(([key, text]) => {
      cells[key] = el("td", { testid: `threshold-${key}` });
      return el("tr", {}, [el("td", {}, text), cells[key]]);
    }),
  );
  const root = el("div", { class: "explorer threshold-explorer" }, [
    el("div", { class: "explorer-controls" }, [control.root]),
    frame.root,
    legend([
      [COLOURS.classes[0], "class 0"],
      [COLOURS.classes[1], "class 1"],
    ]),
    el("p", { class: "threshold-explorer-note" }, "Ringed points are predicted wrong at this threshold."),
    readout,
  ]);
  host.appendChild(root);

  const grid = model.get("grid");
  const rows = grid.length;
  const columns = grid[0].length;
  const [low, high] = extent;
  const cellWidth = (high - low) / columns;
  const cellHeight = (high - low) / rows;
  const regions = svg("g", { testid: "threshold-regions" });
  const rects = [];
  grid.forEach((row, r) =>
    row.forEach((p, c) => {
      const x0 = frame.sx(low + c * cellWidth);
      const y0 = frame.sy(high - r * cellHeight); // row 0 is the top of the plane
      const rect = svg("rect", {
        x: x0.toFixed(2),
        y: y0.toFixed(2),
        width: (frame.sx(low + (c + 1) * cellWidth) - x0 + 0.5).toFixed(2),
        height: (frame.sy(high - (r + 1) * cellHeight) - y0 + 0.5).toFixed(2),
      });
      rects.push([rect, p]);
      regions.append(rect);
    }),
  );
  const dots = svg("g", { testid: "threshold-points" });
  const points = model.get("points");
  const labels = model.get("labels");
  const circles = points.map(([x1, x2], i) => {
    const circle = svg("circle", { cx: frame.sx(x1).toFixed(2), cy: frame.sy(x2).toFixed(2), r: 3.2, fill: COLOURS.classes[labels[i]] });
    dots.append(circle);
    return circle;
  });
  frame.plot.append(regions, dots);

  function draw() {
    const t = model.get("threshold");
    control.set(t);
    for (const [rect, p] of rects) rect.setAttribute("fill", COLOURS.regions[p > t ? 1 : 0]);
    const probs = model.get("probs");
    const predicted = predict(probs, t);
    circles.forEach((circle, i) => {
      const wrong = predicted[i] !== labels[i];
      circle.setAttribute("stroke", wrong ? COLOURS.text : "none");
      circle.setAttribute("stroke-width", wrong ? 1.6 : 0);
      circle.setAttribute("r", wrong ? 4.2 : 3.2);
    });
    const counts = confusion(probs, labels, t);
    cells.accuracy.textContent = fixed(counts.accuracy, 3);
    for (const key of ["tp", "fn", "tn", "fp"]) cells[key].textContent = String(counts[key]);
  }

  const stop = listen(model, ["threshold"], draw);
  draw();
  return stop;
}

export default { render };
