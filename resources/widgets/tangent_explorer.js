// Tangent explorer: a curve, a point x on it, and a step size h.
// Everything is computed here, in the browser, so the widget works on a static page.
// The pure functions are named exports so that tests can compare them with Python.

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

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 520;
const HEIGHT = 320;
const PAD = 36;
const PLOT_X_MIN = -2.2;
const PLOT_X_MAX = 2.2;

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

// The part of the plane each curve is drawn in: the whole x range, with room around it.
const Y_RANGES = { square: [-1, 8.6], cubic: [-6.6, 6.6], sine: [-1.4, 1.4], relu: [-0.6, 2.4] };

function yRange(name) {
  curveOf(name);
  return Y_RANGES[name];
}

function formatNumber(value) {
  if (value === 0) return "0";
  const size = Math.abs(value);
  if (size < 1e-3 || size >= 1e5) return value.toExponential(3);
  return value.toFixed(6);
}

let instances = 0;

function render({ model, el }) {
  const uid = ++instances;
  const root = document.createElement("div");
  root.className = "tangent-explorer";
  el.appendChild(root);

  const controls = document.createElement("div");
  controls.className = "tangent-explorer-controls";
  root.appendChild(controls);

  const select = document.createElement("select");
  select.dataset.testid = "tangent-curve";
  for (const [key, curve] of Object.entries(CURVES)) {
    const option = document.createElement("option");
    option.value = key;
    option.textContent = curve.label;
    select.appendChild(option);
  }

  const xInput = document.createElement("input");
  Object.assign(xInput, { type: "range", min: X_MIN, max: X_MAX, step: 0.01 });
  xInput.dataset.testid = "tangent-x";

  const hInput = document.createElement("input");
  Object.assign(hInput, { type: "range", min: LOG_H_MIN, max: LOG_H_MAX, step: 0.1 });
  hInput.dataset.testid = "tangent-log-h";

  const xLabel = document.createElement("span");
  const hLabel = document.createElement("span");
  for (const [text, input, label] of [
    ["curve", select, null],
    ["point x", xInput, xLabel],
    ["step h", hInput, hLabel],
  ]) {
    const row = document.createElement("label");
    row.className = "tangent-explorer-row";
    const name = document.createElement("span");
    name.className = "tangent-explorer-name";
    name.textContent = text;
    row.append(name, input);
    if (label) row.appendChild(label);
    controls.appendChild(row);
  }

  const plot = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: "img",
    "aria-label": "the curve, the point and its tangent line",
  });
  plot.dataset.testid = "tangent-plot";
  root.appendChild(plot);

  const readout = document.createElement("table");
  readout.className = "tangent-explorer-readout";
  const cells = {};
  for (const [key, text] of [
    ["value", "f(x)"],
    ["numerical_slope", "numerical slope (f(x+h) − f(x−h)) / 2h"],
    ["analytical_slope", "analytical slope f′(x)"],
    ["error", "|numerical − analytical|"],
  ]) {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = text;
    const value = document.createElement("td");
    value.dataset.testid = `tangent-${key.replace("_", "-")}`;
    row.append(name, value);
    readout.appendChild(row);
    cells[key] = value;
  }
  root.appendChild(readout);

  function draw() {
    const name = model.get("curve");
    const x = model.get("x");
    const h = model.get("h");
    const state = explorerState(name, x, h);
    const f = curveOf(name).f;
    const [yLow, yHigh] = yRange(name);
    const sx = (v) => PAD + ((v - PLOT_X_MIN) / (PLOT_X_MAX - PLOT_X_MIN)) * (WIDTH - 2 * PAD);
    const sy = (v) => HEIGHT - PAD - ((v - yLow) / (yHigh - yLow)) * (HEIGHT - 2 * PAD);

    select.value = name;
    xInput.value = x;
    hInput.value = Math.log10(h);
    xLabel.textContent = ` ${x.toFixed(2)}`;
    hLabel.textContent = ` ${h.toExponential(1)}`;
    for (const key of Object.keys(cells)) cells[key].textContent = formatNumber(state[key]);

    plot.replaceChildren();
    const clip = svg("clipPath", { id: `tangent-clip-${uid}` });
    clip.appendChild(svg("rect", { x: PAD, y: PAD, width: WIDTH - 2 * PAD, height: HEIGHT - 2 * PAD }));
    const defs = svg("defs");
    defs.appendChild(clip);
    plot.appendChild(defs);
    plot.appendChild(
      svg("rect", {
        x: PAD, y: PAD, width: WIDTH - 2 * PAD, height: HEIGHT - 2 * PAD,
        fill: "none", stroke: "#bbb",
      }),
    );
    const layer = svg("g", { "clip-path": `url(#${clip.getAttribute("id")})` });
    plot.appendChild(layer);
    // Axes through zero, when zero is on screen.
    if (yLow < 0 && yHigh > 0) {
      layer.appendChild(svg("line", { x1: PAD, x2: WIDTH - PAD, y1: sy(0), y2: sy(0), stroke: "#999" }));
    }
    layer.appendChild(svg("line", { x1: sx(0), x2: sx(0), y1: PAD, y2: HEIGHT - PAD, stroke: "#999" }));
    // The curve.
    const points = [];
    for (let i = 0; i <= 300; i++) {
      const v = PLOT_X_MIN + ((PLOT_X_MAX - PLOT_X_MIN) * i) / 300;
      points.push(`${sx(v).toFixed(2)},${sy(f(v)).toFixed(2)}`);
    }
    layer.appendChild(svg("polyline", { points: points.join(" "), fill: "none", stroke: "#1f77b4", "stroke-width": 2.5 }));
    // The tangent line (analytical slope) and the secant line (numerical slope).
    const line = (slope, through, y0, attributes) =>
      svg("line", {
        x1: sx(PLOT_X_MIN), y1: sy(y0 + slope * (PLOT_X_MIN - through)),
        x2: sx(PLOT_X_MAX), y2: sy(y0 + slope * (PLOT_X_MAX - through)),
        ...attributes,
      });
    const tangent = line(state.analytical_slope, x, state.value, { stroke: "#d62728", "stroke-width": 2 });
    tangent.dataset.testid = "tangent-line";
    layer.appendChild(tangent);
    const secant = line(state.numerical_slope, x - h, f(x - h), {
      stroke: "#2ca02c", "stroke-width": 2, "stroke-dasharray": "6 4",
    });
    secant.dataset.testid = "secant-line";
    layer.appendChild(secant);
    for (const v of [x - h, x + h]) {
      layer.appendChild(svg("circle", { cx: sx(v), cy: sy(f(v)), r: 3.5, fill: "#2ca02c" }));
    }
    layer.appendChild(svg("circle", { cx: sx(x), cy: sy(state.value), r: 5, fill: "#d62728" }));
    // Axis labels.
    const text = (content, attributes) => {
      const node = svg("text", { "font-size": 12, fill: "#333", ...attributes });
      node.textContent = content;
      plot.appendChild(node);
    };
    for (const v of [-2, -1, 0, 1, 2]) text(String(v), { x: sx(v) - 4, y: HEIGHT - PAD + 16 });
    text("x", { x: WIDTH - PAD + 8, y: HEIGHT - PAD + 4 });
    text(yHigh.toFixed(1), { x: 2, y: PAD + 4 });
    text(yLow.toFixed(1), { x: 2, y: HEIGHT - PAD + 4 });
    text("— tangent, slope f′(x)", { x: PAD, y: PAD - 12, fill: "#d62728" });
    text("- - secant through x ± h, slope (f(x+h) − f(x−h)) / 2h", {
      x: PAD + 150, y: PAD - 12, fill: "#2ca02c",
    });
  }

  const update = (key, value) => {
    model.set(key, value);
    model.save_changes();
    draw();
  };
  select.addEventListener("change", () => update("curve", select.value));
  xInput.addEventListener("input", () => update("x", Number(xInput.value)));
  hInput.addEventListener("input", () => update("h", 10 ** Number(hInput.value)));
  model.on("change:curve", draw);
  model.on("change:x", draw);
  model.on("change:h", draw);
  draw();
  return () => {
    model.off("change:curve", draw);
    model.off("change:x", draw);
    model.off("change:h", draw);
  };
}

export default { render };
