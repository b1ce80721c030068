// Fit explorer (chapter 17): a regression network's fitted curve, epoch by epoch.
// The predictions were computed in Python by the engine at a few checkpoints and are stored
// in the state; the browser draws them and measures them against the targets, so the widget
// works on a static page.
import { COLOURS, chart, el, fixed, legend, listen, pathOf, save, slider, svg } from "./prelude.js";

// Mean over the points of (target - prediction)^2, as MeanSquaredError computes it.
export function meanSquaredError(predictions, targets) {
  let sum = 0;
  predictions.forEach((p, i) => {
    sum += (targets[i] - p) ** 2;
  });
  return sum / predictions.length;
}

// Share of the predictions within ``precision`` of their targets (RegressionAccuracy).
export function accuracy(predictions, targets, precision) {
  let hits = 0;
  predictions.forEach((p, i) => {
    if (Math.abs(p - targets[i]) < precision) hits += 1;
  });
  return hits / predictions.length;
}

// The checkpoint of ``run`` at ``epoch``, or null if that run has none there.
export function predictionsAt(run, epoch) {
  const index = run.epochs.indexOf(epoch);
  return index < 0 ? null : run.predictions[index];
}

function render({ model, el: host }) {
  const epochs = model.get("epochs");
  const runs = model.get("runs");
  const x = model.get("x");
  const targets = model.get("targets");
  const precision = model.get("precision");
  const control = slider({
    label: "epoch",
    testid: "fit-epoch",
    values: epochs,
    onInput: (value) => {
      model.set("epoch", value);
      save(model);
      draw();
    },
  });
  const frame = chart({
    width: 460,
    height: 280,
    x: [0, 1],
    y: [-1.25, 1.25],
    xTicks: [0, 0.25, 0.5, 0.75, 1],
    yTicks: [-1, 0, 1],
    xLabel: "x",
    yLabel: "y",
    label: "The sine targets and each network's predictions at the chosen epoch",
    testid: "fit-plot",
  });
  const colours = [COLOURS.line, COLOURS.gradient];
  const target = svg("path", { d: pathOf(x, targets, frame.sx, frame.sy), fill: "none", stroke: COLOURS.target, "stroke-width": 5, opacity: 0.45 });
  const curves = runs.map((_, i) =>
    svg("path", { fill: "none", stroke: colours[i % 2], "stroke-width": 2, "stroke-dasharray": i ? "6 4" : null, testid: `fit-curve-${i}` }),
  );
  frame.plot.append(target, ...curves);
  const cells = runs.map((_, i) => ({
    loss: el("td", { testid: `fit-loss-${i}` }),
    acc: el("td", { testid: `fit-acc-${i}` }),
  }));
  const table = el("table", { class: "fit-explorer-readout" }, [
    el("tr", {}, [el("th", {}, "network"), el("th", {}, "mean squared error"), el("th", {}, "accuracy")]),
    ...runs.map((run, i) => el("tr", {}, [el("td", {}, run.name), cells[i].loss, cells[i].acc])),
  ]);
  const root = el("div", { class: "explorer fit-explorer" }, [
    el("div", { class: "explorer-controls" }, [control.root]),
    frame.root,
    legend([[COLOURS.target, "target sin(2πx)"], ...runs.map((run, i) => [colours[i % 2], run.name, i > 0])]),
    table,
  ]);
  host.appendChild(root);

  function draw() {
    const epoch = model.get("epoch");
    control.set(epoch);
    runs.forEach((run, i) => {
      const predictions = predictionsAt(run, epoch);
      if (predictions === null) {
        curves[i].setAttribute("d", "");
        cells[i].loss.textContent = "not run this far";
        cells[i].acc.textContent = "";
        return;
      }
      curves[i].setAttribute("d", pathOf(x, predictions, frame.sx, frame.sy));
      cells[i].loss.textContent = meanSquaredError(predictions, targets).toExponential(2);
      cells[i].acc.textContent = fixed(accuracy(predictions, targets, precision), 3);
    });
  }

  const stop = listen(model, ["epoch"], draw);
  draw();
  return stop;
}

export default { render };
