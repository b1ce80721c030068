// Tangent explorer: a curve, a point x on it, and a step size h.
// Everything is computed here, in the browser, so the widget works on a static page.
// The pure functions are named exports so that tests can compare them with Python.
import { COLOURS, chart, choice, el, formatNumber, legend, listen, save, slider, svg } from "./prelude.js";

export const X_MIN = -2;
export const X_MAX = 2;
export const LOG_H_MIN = -12;
export const LOG_H_MAX = 0;

export const CURVES = {
  square: {
    label: "f(x) = 2x²",
    f: (x) => 2 * x * x,
    df: (x) => 4 * x,
  },
  cubic: {
    label: "f(x) = x³ − x",
    f: (x) => x * x * x - x,
    df: (x) => 3 * x * x - 1,
  },
  sine: {
    label: "f(x) = sin x",
    f: (x) => Math.sin(x),
    df: (x) => Math.cos(x),
  },
  relu: {
    label: "f(x) = ReLU(x) = max(0, x)",
    f: (x) => Math.max(0, x),
    // The book's convention (and the engine's): slope 1 for x > 0, and 0 for x <= 0.
    df: (x) => (x > 0 ? 1 : 0),
  },
};

function curveOf(name) {
  const curve = CURVES[name];
  if (!curve) {
    throw new Error(`unknown curve ${name}; choose one of ${Object.keys(CURVES).join(", ")}`);
  }
  return curve;
}

export function curveValue(name, x) {
  return curveOf(name).f(x);
}

export function analyticalSlope(name, x) {
  return curveOf(name).df(x);
}

// Central difference: the slope of the line through (x - h, f(x - h)) and (x + h, f(x + h)).
export function centralDifference(name, x, h) {
  const f = curveOf(name).f;
  return (f(x + h) - f(x - h)) / (2 * h);
}

// Every number the explorer shows, for one setting.
export function explorerState(name, x, h) {
  const value = curveValue(name, x);
  const numerical = centralDifference(name, x, h);
  const analytical = analyticalSlope(name, x);
  return {
    value,
    numerical_slope: numerical,
    analytical_slope: analytical,
    error: Math.abs(numerical - analytical),
    // The tangent line is y = analytical * x + intercept.
    intercept: value - analytical * x,
  };
}

// ---------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------

const WIDTH = 520;
const HEIGHT = 320;
const PLOT_X = [-2.2, 2.2];

// The part of the plane each curve is drawn in: the whole x range, with room around it.
const Y_RANGES = { square: [-1, 8.6], cubic: [-6.6, 6.6], sine: [-1.4, 1.4], relu: [-0.6, 2.4] };

function yRange(name) {
  curveOf(name);
  return Y_RANGES[name];
}

function frame(name) {
  const [yLow, yHigh] = yRange(name);
  return chart({
    width: WIDTH,
    height: HEIGHT,
    pad: { left: 40, right: 24, top: 12, bottom: 34 },
    x: PLOT_X,
    y: [yLow, yHigh],
    xTicks: [-2, -1, 0, 1, 2],
    yTicks: [Number(yLow.toFixed(1)), 0, Number(yHigh.toFixed(1))],
    xLabel: "x",
    label: `${CURVES[name].label}: the curve, the point x, its tangent line and the secant through x ± h`,
  });
}

function render({ model, el: host }) {
  const update = (key, value) => {
    model.set(key, value);
    save(model);
    draw();
  };
  const curve = choice({
    label: "curve",
    testid: "tangent-curve",
    options: Object.entries(CURVES).map(([key, c]) => [key, c.label]),
    onChange: (value) => update("curve", value),
  });
  const xControl = slider({
    label: "point x",
    testid: "tangent-x",
    min: X_MIN,
    max: X_MAX,
    step: 0.01,
    format: (v) => v.toFixed(2),
    onInput: (value) => update("x", value),
  });
  const hControl = slider({
    label: "step h",
    testid: "tangent-log-h",
    log: true,
    min: LOG_H_MIN,
    max: LOG_H_MAX,
    step: 0.1,
    format: (v) => v.toExponential(1),
    onInput: (value) => update("h", value),
  });
  const holder = el("div", { testid: "tangent-plot" });
  const cells = {};
  const rows = [
    ["value", "f(x)"],
    ["numerical_slope", "numerical slope (f(x+h) − f(x−h)) / 2h"],
    ["analytical_slope", "analytical slope f′(x)"],
    ["error", "|numerical − analytical|"],
  ].map(([key, text]) => {
    cells[key] = el("td", { testid: `tangent-${key.replace("_", "-")}` });
    return el("tr", {}, [el("td", {}, text), cells[key]]);
  });
  const root = el("div", { class: "explorer tangent-explorer" }, [
    el("div", { class: "explorer-controls" }, [curve.root, xControl.root, hControl.root]),
    holder,
    legend([
      [COLOURS.gradient, "tangent, slope f′(x)"],
      [COLOURS.secant, "secant through x ± h, slope (f(x+h) − f(x−h)) / 2h", true],
    ]),
    el("table", { class: "tangent-explorer-readout" }, rows),
  ]);
  host.appendChild(root);

  let shown = null; // { name, frame } of the drawn curve's chart

  function draw() {
    const name = model.get("curve");
    const x = model.get("x");
    const h = model.get("h");
    const state = explorerState(name, x, h);
    const f = curveOf(name).f;
    if (!shown || shown.name !== name) {
      if (shown) shown.frame.root.stopFitting();
      shown = { name, frame: frame(name) };
      holder.replaceChildren(shown.frame.root);
    }
    const { plot, sx, sy } = shown.frame;

    curve.set(name);
    xControl.set(x);
    hControl.set(h);
    for (const key of Object.keys(cells)) cells[key].textContent = formatNumber(state[key]);

    plot.replaceChildren();
    const [yLow, yHigh] = yRange(name);
    if (yLow < 0 && yHigh > 0) {
      plot.append(svg("line", { x1: sx(PLOT_X[0]), x2: sx(PLOT_X[1]), y1: sy(0), y2: sy(0), stroke: COLOURS.axis }));
    }
    plot.append(svg("line", { x1: sx(0), x2: sx(0), y1: sy(yLow), y2: sy(yHigh), stroke: COLOURS.axis }));
    const points = [];
    for (let i = 0; i <= 300; i++) {
      const v = PLOT_X[0] + ((PLOT_X[1] - PLOT_X[0]) * i) / 300;
      points.push(`${sx(v).toFixed(2)},${sy(f(v)).toFixed(2)}`);
    }
    plot.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: COLOURS.line, "stroke-width": 2.5 }));
    // The tangent line (analytical slope) and the secant line (numerical slope).
    const line = (slope, through, y0, attrs) =>
      svg("line", {
        x1: sx(PLOT_X[0]),
        y1: sy(y0 + slope * (PLOT_X[0] - through)),
        x2: sx(PLOT_X[1]),
        y2: sy(y0 + slope * (PLOT_X[1] - through)),
        ...attrs,
      });
    plot.append(line(state.analytical_slope, x, state.value, { stroke: COLOURS.gradient, "stroke-width": 2, testid: "tangent-line" }));
    plot.append(
      line(state.numerical_slope, x - h, f(x - h), {
        stroke: COLOURS.secant,
        "stroke-width": 2,
        "stroke-dasharray": "6 4",
        testid: "secant-line",
      }),
    );
    for (const v of [x - h, x + h]) plot.append(svg("circle", { cx: sx(v), cy: sy(f(v)), r: 3.5, fill: COLOURS.secant }));
    plot.append(svg("circle", { cx: sx(x), cy: sy(state.value), r: 5, fill: COLOURS.gradient }));
  }

  const stop = listen(model, ["curve", "x", "h"], draw);
  draw();
  return stop;
}

export default { render };
