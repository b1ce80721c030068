// The explorers' shared prelude: DOM and SVG builders, labelled controls, colours, number
// formatting and a chart frame. Every explorer uses it; there is one spelling of each helper.
//
// How an explorer uses it
// -----------------------
// 1. Its first line imports what it needs, by name, from this file:
//
//        import { el, svg, slider, button, chart, COLOURS, fixed } from "./prelude.js";
//
//    It must not declare a name the prelude exports (the joined module would not parse).
// 2. Its Python class takes the module and the style sheet from ``resources.widgets.prelude``:
//
//        from resources.widgets.prelude import css, esm
//        class MyExplorer(anywidget.AnyWidget):
//            _esm = esm("my_explorer.js")
//            _css = css("my_explorer.css")   # or css() when it has no style sheet of its own
//
//    ``esm`` replaces that import line with this file (its ``export`` keywords dropped), so
//    the widget's state holds ONE self-contained module: on the static HTML page, offline and
//    with no kernel, there is no relative file to fetch. ``css`` puts ``prelude.css`` first.
// 3. Its root element gets the class ``explorer`` (``el("div", { class: "explorer my-x" })``):
//    a light panel, focus rings, 24 px tall sliders, controls that wrap at 390 px.
// 4. Tests run the joined module: ``tests/explorers/node_harness.py`` under Node and
//    ``tests/explorers/stand_in.py`` in Chromium with a stand-in widget model.
//
// Accessibility rules the helpers keep (issue 13): every control has an accessible name (a
// <label> around it, or aria-label); a slider's arrow keys move one sensible ``step`` (Page
// Up/Down ten steps, Home/End the ends) and aria-valuenow/aria-valuetext follow the value;
// every chart is role="img" with an aria-label and a <title>; SVG text is kept at least
// ``MIN_FONT_PX`` on screen however narrow the chart is drawn (``chart``/``fitText``); update
// controls in place instead of rebuilding them, so that keyboard focus stays where it was.

export const SVG_NS = "http://www.w3.org/2000/svg";

/** The smallest on-screen size (CSS px) of any text an explorer draws. */
export const MIN_FONT_PX = 11;

/** One colour list for every explorer (all at least 4.5:1 on white where used for text). */
export const COLOURS = {
  text: "#222222",
  muted: "#555555",
  frame: "#999999",
  grid: "#e5e5e5",
  axis: "#999999",
  panel: "#ffffff",
  value: "#1f4e99", // forward values (8.0:1 on white)
  gradient: "#a8231b", // gradients, warnings (7.2:1 on white; 6.3:1 on #f0f0f0)
  line: "#1f77b4",
  secant: "#237a23", // 5.4:1 on white
  target: "#767676",
  focus: "#1a5fb4",
  // Class colours for points and, lighter, for decision regions (class 0, 1, 2, ...).
  classes: ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"],
  regions: ["#f6c9c9", "#c6dbef", "#c7e9c0", "#dadaeb", "#fdd0a2"],
  // One colour per piece of a sum (ReLU pieces).
  pieces: ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"],
};

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "testid") node.setAttribute("data-testid", value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  if (children === undefined || children === null) return node;
  for (const child of Array.isArray(children) ? children : [children]) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

/**
 * An SVG element: ``svg("circle", { cx: 3, cy: 4, r: 5 })``. ``attrs`` are set as attributes,
 * except ``text`` (the text content), ``testid`` (data-testid) and ``on<event>`` (a listener);
 * ``children`` is a node, a string or a list of them.
 */
export function svg(tag, attrs = {}, children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** An HTML element, with the same ``attrs`` and ``children`` rules as ``svg``. */
export function el(tag, attrs = {}, children) {
  return fill(document.createElement(tag), attrs, children);
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/** ``value.toFixed(digits)``, but never "-0.000": a reader should see 0.000. */
export function fixed(value, digits = 3) {
  const text = Number(value).toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** Six decimals, or four significant digits in exponent form for tiny or huge values. */
export function formatNumber(value) {
  if (value === 0) return "0";
  const size = Math.abs(value);
  if (size < 1e-3 || size >= 1e5) return value.toExponential(3);
  return value.toFixed(6);
}

/** The grid value's index nearest ``value`` (on a log scale if ``log``); first one on ties. */
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

let ids = 0;
/** A page-unique id for ``aria-labelledby`` and clip paths. */
export function uniqueId(prefix = "explorer") {
  ids += 1;
  return `${prefix}-${ids}-${Math.random().toString(36).slice(2, 7)}`;
}

function decimalsOf(step) {
  const text = String(step);
  if (text.includes("e-")) return Number(text.split("e-")[1]);
  return text.includes(".") ? text.split(".")[1].length : 0;
}

// ---------------------------------------------------------------------------------------------
// The widget model
// ---------------------------------------------------------------------------------------------

/** ``model.save_changes()``; on a static page (no kernel) the change still applies in the page. */
export function save(model) {
  try {
    model.save_changes();
  } catch (error) {
    // No kernel to sync with.
  }
}

/** Call ``callback`` on every ``change:<name>``; returns the function that stops listening. */
export function listen(model, names, callback) {
  for (const name of names) model.on(`change:${name}`, callback);
  return () => {
    for (const name of names) model.off(`change:${name}`, callback);
  };
}

// ---------------------------------------------------------------------------------------------
// Controls
// ---------------------------------------------------------------------------------------------

/**
 * A labelled slider: ``slider({ label, testid, min, max, step, value, onInput })``.
 *
 * Returns ``{ root, input, readout, set(value), get() }``. ``root`` is a <label> holding the
 * name, the range input and the shown value (an <output>, or a number box with
 * ``typed: true`` for typing an exact value). Arrow keys move ``step`` (Page Up/Down ten
 * steps, Home/End the ends) from the current value, whatever its rounding; ``set`` moves the
 * control without calling ``onInput`` (for changes that come from the model) and keeps
 * aria-valuenow and aria-valuetext on the value.
 *
 * Options: ``values`` (a list: the slider picks an index, the value is ``values[index]``),
 * ``log: true`` (the slider moves log10 of the value; ``min``/``max``/``step`` in log10
 * units), ``format(value)`` (the shown text; also aria-valuetext), ``unit`` (added to the
 * spoken value), ``name`` (the accessible name when ``label`` is short or a symbol).
 */
export function slider(options) {
  const {
    label,
    testid,
    values = null,
    log = false,
    typed = false,
    unit = "",
    onInput = () => {},
  } = options;
  const min = values ? 0 : options.min;
  const max = values ? values.length - 1 : options.max;
  const step = values ? 1 : options.step;
  const digits = decimalsOf(step);
  const format =
    options.format ||
    (values ? (v) => String(v) : log ? (v) => Number(v.toPrecision(3)).toString() : (v) => fixed(v, digits));
  const toPosition = (value) =>
    values ? nearestIndex(values, value, false) : log ? Math.log10(value) : value;
  const fromPosition = (position) => (values ? values[position] : log ? 10 ** position : position);

  const input = el("input", {
    type: "range",
    min,
    max,
    // "any": the value stays exact (e.g. -3.001 after a step of size 0.001); keys move by step.
    step: values ? 1 : "any",
    testid,
    "aria-label": options.name || undefined,
  });
  const readout = typed
    ? el("input", {
        type: "number",
        step: log ? "any" : step,
        min: log ? undefined : min,
        max: log ? undefined : max,
        class: "explorer-number",
        testid: testid && `${testid}-value`,
        "aria-label": `${options.name || label} (type a value)`,
      })
    : el("output", { class: "explorer-readout", testid: testid && `${testid}-value` });
  // The visible text names the slider exactly (aria-labelledby), unless ``name`` is given.
  const labelId = uniqueId("explorer-label");
  if (!options.name) input.setAttribute("aria-labelledby", labelId);
  const root = el("label", { class: "explorer-control" }, [
    el("span", { class: "explorer-label", id: labelId }, label),
    input,
  ]);
  const wrapper = typed ? el("span", { class: "explorer-slider" }, [root, readout]) : root;
  if (!typed) root.append(readout);

  let current = options.value ?? fromPosition(min);

  function show(value) {
    current = value;
    const position = Math.min(max, Math.max(min, toPosition(value)));
    input.value = String(position);
    const text = format(value);
    input.setAttribute("aria-valuenow", String(position));
    input.setAttribute("aria-valuetext", unit ? `${text} ${unit}` : text);
    if (typed) {
      if (document.activeElement !== readout) readout.value = text;
    } else readout.textContent = text;
  }

  function change(value) {
    show(value);
    onInput(value);
  }

  // A drag lands on the grid of steps (typing in the number box gives any value).
  const snap = (position) => (values ? position : Number((Math.round(position / step) * step).toFixed(digits)));
  input.addEventListener("input", () => change(fromPosition(snap(Number(input.value)))));
  input.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
    let position;
    if (event.key in moves) {
      // Count in steps; from a value between two grid values the first press lands on one.
      const steps = moves[event.key];
      const here = toPosition(current) / step;
      const onGrid = Math.abs(here - Math.round(here)) < 1e-9;
      const from = onGrid ? Math.round(here) : steps > 0 ? Math.floor(here) : Math.ceil(here);
      position = Number(((from + steps) * step).toFixed(digits));
    } else if (event.key === "Home") position = min;
    else if (event.key === "End") position = max;
    else return;
    event.preventDefault();
    change(fromPosition(Math.min(max, Math.max(min, position))));
  });
  if (typed) {
    readout.addEventListener("change", () => {
      const typedValue = Number(readout.value);
      if (readout.value === "" || !Number.isFinite(typedValue)) return show(current);
      const low = fromPosition(min);
      const high = fromPosition(max);
      change(Math.min(high, Math.max(low, typedValue)));
    });
  }
  show(current);
  return { root: wrapper, input, readout, set: show, get: () => current };
}

/** A labelled <select>: ``choice({ label, testid, options: [[value, text], ...], onChange })``. */
export function choice({ label, testid, options, value, onChange = () => {} }) {
  const select = el(
    "select",
    { testid },
    options.map(([v, text]) => el("option", { value: v }, text)),
  );
  if (value !== undefined) select.value = value;
  select.addEventListener("change", () => onChange(select.value));
  const labelId = uniqueId("explorer-label");
  select.setAttribute("aria-labelledby", labelId);
  const root = el("label", { class: "explorer-control" }, [
    el("span", { class: "explorer-label", id: labelId }, label),
    select,
  ]);
  return { root, select, set: (v) => (select.value = v) };
}

/** A labelled checkbox: ``toggle({ label, testid, checked, onChange })``. */
export function toggle({ label, testid, checked = false, onChange = () => {} }) {
  const box = el("input", { type: "checkbox", testid });
  box.checked = checked;
  box.addEventListener("change", () => onChange(box.checked));
  const root = el("label", { class: "explorer-control explorer-toggle" }, [box, label]);
  return { root, box, set: (v) => (box.checked = v) };
}

/**
 * A push button: ``button("Reset", { testid, onClick })``; with ``pressed`` (true/false) it is
 * a toggle button (aria-pressed). The text is its accessible name unless ``name`` is given.
 */
export function button(text, { testid, onClick, pressed, name } = {}) {
  const node = el("button", { type: "button", class: "explorer-button", testid, "aria-label": name }, text);
  if (pressed !== undefined) node.setAttribute("aria-pressed", String(Boolean(pressed)));
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

/**
 * Keep the SVG's text at least ``MIN_FONT_PX`` on screen: the root's font-size (in viewBox
 * units, which its text inherits: give text no size, or 1em and larger) becomes
 * max(``base``, MIN_FONT_PX * viewBox width / drawn width), updated as the drawing resizes.
 * ``onScale(k, size)`` (optional) hears the factor, for layouts that make room for larger
 * text. Returns a function that stops following the size.
 */
export function fitText(root, viewWidth, base = 12, onScale = null) {
  let observer = null;
  const apply = () => {
    const drawn = root.getBoundingClientRect().width;
    if (!drawn) return;
    const k = viewWidth / drawn;
    const size = Math.max(base, MIN_FONT_PX * k * 1.02);
    root.style.fontSize = `${size.toFixed(2)}px`;
    if (onScale) onScale(k, size);
  };
  root.style.fontSize = `${base}px`;
  if (typeof ResizeObserver !== "undefined") {
    observer = new ResizeObserver(apply);
    observer.observe(root);
  }
  requestAnimationFrame(apply);
  // Call the returned function to stop following the size (before dropping the drawing).
  return () => observer && observer.disconnect();
}

/**
 * A named, scalable SVG: ``figure({ width, height, label, testid })`` gives an <svg> drawn by
 * its viewBox at up to ``width`` px and narrower when the column is, with role="img", an
 * aria-label and a <title> (``label``), and its text kept readable (``fitText``; call
 * ``root.stopFitting()`` before dropping a figure that is replaced).
 */
export function figure({ width, height, label, testid, base = 12, className = "" }) {
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: `explorer-figure ${className}`.trim(),
    role: "img",
    "aria-label": label,
    testid,
    style: `max-width: ${width}px`,
  });
  root.append(svg("title", { text: label }));
  root.stopFitting = fitText(root, width, base);
  return root;
}

/**
 * A chart frame: axes over ``x: [lo, hi]`` and ``y: [lo, hi]`` in a ``figure``.
 *
 * ``chart({ width, height, pad: {left, right, top, bottom}, x, y, xTicks, yTicks, xLabel,
 * yLabel, title, label, testid, className })`` returns ``{ root, plot, sx, sy, clip }``: ``sx``/``sy``
 * map data to viewBox coordinates, ``plot`` is a group clipped to the frame for curves.
 */
export function chart(options) {
  const { width, height, x, y, xTicks = [], yTicks = [], xLabel, yLabel, title, label, testid } =
    options;
  const className = options.className || "";
  const pad = { left: 44, right: 12, top: 12, bottom: 34, ...(options.pad || {}) };
  const root = figure({ width, height, label: label || title, testid, className });
  const sx = (v) => pad.left + ((v - x[0]) / (x[1] - x[0])) * (width - pad.left - pad.right);
  const sy = (v) => height - pad.bottom - ((v - y[0]) / (y[1] - y[0])) * (height - pad.top - pad.bottom);
  const box = { x: pad.left, y: pad.top, width: width - pad.left - pad.right, height: height - pad.top - pad.bottom };
  const id = uniqueId("explorer-clip");
  root.append(svg("defs", {}, svg("clipPath", { id }, svg("rect", box))));
  root.append(svg("rect", { ...box, fill: COLOURS.panel, stroke: COLOURS.frame }));
  const tickText = (content, attrs) =>
    root.append(svg("text", { fill: COLOURS.muted, ...attrs, text: content }));
  for (const t of yTicks) {
    root.append(svg("line", { x1: box.x, x2: box.x + box.width, y1: sy(t), y2: sy(t), stroke: COLOURS.grid }));
    tickText(String(t), { x: pad.left - 5, y: sy(t), "dominant-baseline": "middle", "text-anchor": "end" });
  }
  for (const t of xTicks) {
    tickText(String(t), { x: sx(t), y: height - pad.bottom + 4, "dominant-baseline": "hanging", "text-anchor": "middle" });
  }
  if (xLabel) {
    root.append(svg("text", { x: box.x + box.width / 2, y: height - 3, "text-anchor": "middle", fill: COLOURS.text, text: xLabel }));
  }
  if (yLabel) {
    root.append(svg("text", { x: 3, y: box.y, "dominant-baseline": "hanging", fill: COLOURS.text, text: yLabel }));
  }
  if (title) {
    root.append(svg("text", { x: box.x, y: 2, "dominant-baseline": "hanging", "font-weight": 600, fill: COLOURS.text, text: title }));
  }
  const plot = svg("g", { "clip-path": `url(#${id})` });
  root.append(plot);
  return { root, plot, sx, sy, box };
}

/** SVG path data through the points (xs[i], ys[i]) mapped by ``sx``/``sy``. */
export function pathOf(xs, ys, sx, sy) {
  return xs.map((x, i) => `${i ? "L" : "M"}${sx(x).toFixed(2)},${sy(ys[i]).toFixed(2)}`).join("");
}

/** A legend in HTML (it wraps on small screens): ``legend([[colour, "text", dashed], ...])``. */
export function legend(entries, attrs = {}) {
  return el(
    "div",
    { class: "explorer-legend", ...attrs },
    entries.map(([colour, text, dashed]) =>
      el("span", { class: "explorer-key" }, [
        el("span", {
          class: "explorer-swatch",
          "aria-hidden": "true",
          style: `border-top: 3px ${dashed ? "dashed" : "solid"} ${colour}`,
        }),
        text,
      ]),
    ),
  );
}

/** A <canvas> drawn at ``size`` px (smaller when the column is), named for screen readers. */
export function canvas({ size, label, testid }) {
  const node = el("canvas", { width: size, height: size, role: "img", "aria-label": label, testid, class: "explorer-canvas" });
  node.style.maxWidth = `${size}px`;
  return node;
}
