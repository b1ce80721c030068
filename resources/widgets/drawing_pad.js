import { el, button, COLOURS, fixed, save, listen } from "./prelude.js";

// The drawing pad of chapter 22: the reader draws a digit, the page reduces the drawing to an
// 8x8 image exactly as resources/datasets.py does (strokes_to_ink, strokes_to_image,
// scale_pixels), runs the trained model's forward pass and shows the ten probabilities as
// bars. Everything runs in the browser, so it also works on the static page with no kernel.
// The named exports are the pure computations; the tests compare them with the Python ones.

/** Decode base64 little-endian float64 numbers (how the widget stores the weights). */
export function decodeFloat64(text) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return Array.from(new Float64Array(bytes.buffer));
}

/**
 * The grid of inked cells (grid x grid, 0 or 1, row by row) for pen strokes on a size x size
 * canvas: the same steps, in the same order, as strokes_to_ink in resources/datasets.py.
 */
export function strokesToInk(strokes, size, reduction) {
  const { grid, pen_radius: penRadius, margin } = reduction;
  const ink = new Array(grid * grid).fill(0);
  const used = strokes.filter((stroke) => stroke.length > 0);
  if (used.length === 0) return ink;
  let xLow = Infinity;
  let yLow = Infinity;
  let xHigh = -Infinity;
  let yHigh = -Infinity;
  for (const stroke of used) {
    for (const [x, y] of stroke) {
      xLow = Math.min(xLow, x);
      yLow = Math.min(yLow, y);
      xHigh = Math.max(xHigh, x);
      yHigh = Math.max(yHigh, y);
    }
  }
  const side = Math.max(xHigh - xLow, yHigh - yLow, size / 4);
  const scale = (grid - 2 * margin) / side;
  const xCentre = (xLow + xHigh) / 2;
  const yCentre = (yLow + yHigh) / 2;
  const halfGrid = grid / 2;
  const radiusSquared = penRadius * penRadius;
  for (const stroke of used) {
    const gx = stroke.map(([x]) => (x - xCentre) * scale + halfGrid);
    const gy = stroke.map(([, y]) => (y - yCentre) * scale + halfGrid);
    const segments = stroke.length === 1 ? 1 : stroke.length - 1;
    for (let s = 0; s < segments; s++) {
      const ax = gx[s];
      const ay = gy[s];
      const bx = stroke.length === 1 ? gx[s] : gx[s + 1];
      const by = stroke.length === 1 ? gy[s] : gy[s + 1];
      const dx = bx - ax;
      const dy = by - ay;
      const lengthSquared = dx * dx + dy * dy;
      for (let i = 0; i < grid; i++) {
        const cy = i + 0.5;
        for (let j = 0; j < grid; j++) {
          const cx = j + 0.5;
          let t = 0;
          if (lengthSquared > 0) {
            t = ((cx - ax) * dx + (cy - ay) * dy) / lengthSquared;
            t = Math.min(Math.max(t, 0), 1);
          }
          const nearestX = ax + t * dx;
          const nearestY = ay + t * dy;
          const distanceSquared = (cx - nearestX) * (cx - nearestX) + (cy - nearestY) * (cy - nearestY);
          if (distanceSquared <= radiusSquared) ink[i * grid + j] = 1;
        }
      }
    }
  }
  return ink;
}

/** The side x side image (row by row): each pixel counts the inked cells of its block. */
export function inkToImage(ink, reduction) {
  const { grid, side } = reduction;
  const block = grid / side;
  const image = new Array(side * side).fill(0);
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      image[Math.floor(i / block) * side + Math.floor(j / block)] += ink[i * grid + j];
    }
  }
  return image;
}

/** Pixel counts 0..pixel_max onto [-1, 1], as scale_pixels does: (x - m / 2) / (m / 2). */
export function scalePixels(image, reduction) {
  const half = reduction.pixel_max / 2;
  return image.map((value) => (value - half) / half);
}

/**
 * The model's forward pass on one sample: dense layers (``weights`` n_inputs x n_neurons row
 * by row, ``biases`` n_neurons), ReLU and softmax, in order. Returns the last output.
 */
export function forward(layers, inputs) {
  let values = inputs;
  for (const layer of layers) {
    if (layer.type === "dense") {
      const [nIn, nOut] = layer.shape;
      const out = new Array(nOut);
      for (let j = 0; j < nOut; j++) {
        let sum = 0;
        for (let i = 0; i < nIn; i++) sum += values[i] * layer.w[i * nOut + j];
        out[j] = sum + layer.b[j];
      }
      values = out;
    } else if (layer.type === "relu") {
      values = values.map((v) => Math.max(0, v));
    } else if (layer.type === "softmax") {
      const top = Math.max(...values);
      const exps = values.map((v) => Math.exp(v - top));
      const total = exps.reduce((a, b) => a + b, 0);
      values = exps.map((e) => e / total);
    } else {
      throw new Error(`drawing pad: unknown layer type ${layer.type}`);
    }
  }
  return values;
}

/** The stored layers with their weights decoded (done once per render). */
export function decodeLayers(stored) {
  return stored.map((layer) =>
    layer.type === "dense" ? { ...layer, w: decodeFloat64(layer.weights), b: decodeFloat64(layer.biases) } : layer,
  );
}

/** Everything the pad shows for some strokes: the 8x8 image and the probabilities. */
export function readDrawing(strokes, size, reduction, layers) {
  const image = inkToImage(strokesToInk(strokes, size, reduction), reduction);
  const blank = image.every((v) => v === 0);
  const probabilities = blank ? null : forward(layers, scalePixels(image, reduction));
  return { image, probabilities };
}

// ---------------------------------------------------------------------------------------------

const KEY_STEP = 8; // canvas pixels per arrow key press (Shift: 2)

function render({ model, el: host }) {
  const size = model.get("size");
  const reduction = model.get("reduction");
  const labels = model.get("labels");
  const layers = decodeLayers(model.get("layers"));
  let strokes = model.get("strokes").map((stroke) => stroke.map(([x, y]) => [x, y]));
  let current = null; // the stroke being drawn
  let pen = { x: size / 2, y: size / 2, down: false, shown: false };

  const pad = el("canvas", {
    width: size,
    height: size,
    tabindex: 0,
    class: "pad-canvas",
    testid: "pad-canvas",
    role: "application",
    "aria-roledescription": "drawing pad",
    "aria-label":
      "Drawing area. Draw a digit with the mouse, a finger or a pen. " +
      "Keyboard: arrow keys move the pen, Space lowers or lifts it, Delete clears.",
  });
  pad.style.maxWidth = `${size}px`;
  const context = pad.getContext("2d");

  const side = reduction.side;
  const preview = el("div", {
    class: "pad-preview",
    testid: "pad-preview",
    role: "img",
    style: `grid-template-columns: repeat(${side}, 1fr)`,
  });
  const cells = [];
  for (let k = 0; k < side * side; k++) {
    const cell = el("span", { class: "pad-cell" });
    cells.push(cell);
    preview.append(cell);
  }

  const verdict = el("p", { class: "pad-verdict", testid: "pad-verdict", "aria-live": "polite" });
  const bars = el("div", { class: "pad-bars", testid: "pad-bars" });
  const rows = labels.map((label, k) => {
    const fillBar = el("span", { class: "pad-bar-fill", "aria-hidden": "true" });
    const value = el("span", { class: "pad-bar-value", "aria-hidden": "true" });
    const meter = el("span", {
      class: "pad-bar",
      role: "meter",
      "aria-label": `probability of ${label}`,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      testid: `pad-bar-${k}`,
    }, fillBar);
    const row = el("div", { class: "pad-bar-row" }, [el("span", { class: "pad-bar-label", "aria-hidden": "true" }, label), meter, value]);
    bars.append(row);
    return { meter, fillBar, value };
  });

  const clear = button("Clear", { testid: "pad-clear", onClick: () => setStrokes([]) });
  const undo = button("Undo stroke", { testid: "pad-undo", onClick: () => setStrokes(strokes.slice(0, -1)) });
  const root = el("div", { class: "explorer drawing-pad", testid: "drawing-pad" }, [
    el("div", { class: "pad-left" }, [
      el("p", { class: "pad-caption" }, "Draw a digit (0-9) in the box:"),
      pad,
      el("div", { class: "explorer-controls" }, [clear, undo]),
    ]),
    el("div", { class: "pad-right" }, [
      el("p", { class: "pad-caption" }, `What the model sees (${side} x ${side}):`),
      preview,
      verdict,
      bars,
    ]),
  ]);
  host.append(root);

  function paint() {
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, size, size);
    context.strokeStyle = "#111111";
    context.fillStyle = "#111111";
    context.lineWidth = size / 16;
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const stroke of current ? [...strokes, current] : strokes) {
      if (stroke.length === 1) {
        context.beginPath();
        context.arc(stroke[0][0], stroke[0][1], size / 32, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.beginPath();
      stroke.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
      context.stroke();
    }
    if (pen.shown) {
      context.strokeStyle = pen.down ? COLOURS.gradient : COLOURS.focus;
      context.lineWidth = 2;
      context.beginPath();
      context.arc(pen.x, pen.y, 6, 0, 2 * Math.PI);
      context.stroke();
    }
  }

  function show() {
    const drawn = current ? [...strokes, current] : strokes;
    const { image, probabilities } = readDrawing(drawn, size, reduction, layers);
    image.forEach((value, k) => {
      const shade = Math.round(255 * (1 - value / reduction.pixel_max));
      cells[k].style.background = `rgb(${shade}, ${shade}, ${shade})`;
    });
    pad.dataset.strokes = JSON.stringify(drawn);
    preview.dataset.image = JSON.stringify(image);
    preview.setAttribute("aria-label", `the drawing reduced to ${side} by ${side} pixels`);
    bars.dataset.probabilities = JSON.stringify(probabilities);
    if (!probabilities) {
      verdict.textContent = "Nothing drawn yet.";
      rows.forEach(({ meter, fillBar, value }) => {
        fillBar.style.width = "0%";
        value.textContent = "";
        meter.setAttribute("aria-valuenow", "0");
        meter.setAttribute("aria-valuetext", "nothing drawn");
      });
      return { image, probabilities };
    }
    let best = 0;
    probabilities.forEach((p, k) => {
      if (p > probabilities[best]) best = k;
      const percent = 100 * p;
      rows[k].fillBar.style.width = `${percent.toFixed(1)}%`;
      rows[k].value.textContent = `${fixed(percent, 1)} %`;
      rows[k].meter.setAttribute("aria-valuenow", fixed(percent, 1));
      rows[k].meter.setAttribute("aria-valuetext", `${fixed(percent, 1)} percent`);
    });
    rows.forEach(({ meter }, k) => meter.classList.toggle("pad-best", k === best));
    verdict.textContent = `The model reads ${labels[best]} (${fixed(100 * probabilities[best], 1)} % sure).`;
    return { image, probabilities };
  }

  function publish() {
    const { image, probabilities } = show();
    model.set("strokes", strokes);
    model.set("image", image);
    model.set("probabilities", probabilities || []);
    save(model);
  }

  function setStrokes(next) {
    strokes = next;
    current = null;
    paint();
    publish();
  }

  // -- pointer: mouse, touch and pen --------------------------------------------------------
  const round = (v) => Math.round(v * 100) / 100;
  function position(event) {
    const box = pad.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * size;
    const y = ((event.clientY - box.top) / box.height) * size;
    return [round(Math.min(size, Math.max(0, x))), round(Math.min(size, Math.max(0, y)))];
  }
  let frame = 0;
  function later() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      paint();
      show();
    });
  }
  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture?.(event.pointerId);
    current = [position(event)];
    later();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    const point = position(event);
    const last = current[current.length - 1];
    if (point[0] !== last[0] || point[1] !== last[1]) current.push(point);
    later();
  });
  function finish() {
    if (!current) return;
    const stroke = current;
    current = null;
    setStrokes([...strokes, stroke]);
  }
  pad.addEventListener("pointerup", finish);
  pad.addEventListener("pointercancel", finish);

  // -- keyboard: a pen moved with the arrow keys ---------------------------------------------
  pad.addEventListener("focus", () => {
    pen.shown = true;
    paint();
  });
  pad.addEventListener("blur", () => {
    pen.shown = false;
    if (pen.down) {
      pen.down = false;
      finish();
    }
    paint();
  });
  pad.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 2 : KEY_STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key in moves) {
      const [dx, dy] = moves[event.key];
      pen.x = Math.min(size, Math.max(0, pen.x + dx));
      pen.y = Math.min(size, Math.max(0, pen.y + dy));
      if (pen.down && current) current.push([pen.x, pen.y]);
      later();
    } else if (event.key === " " || event.key === "Enter") {
      pen.down = !pen.down;
      if (pen.down) current = [[pen.x, pen.y]];
      else finish();
      later();
    } else if (event.key === "Delete" || event.key === "Backspace" || event.key === "Escape") {
      pen.down = false;
      setStrokes([]);
    } else return;
    event.preventDefault();
  });

  const stop = listen(model, ["strokes"], () => {
    const stored = model.get("strokes");
    if (JSON.stringify(stored) === JSON.stringify(strokes)) return;
    strokes = stored.map((stroke) => stroke.map(([x, y]) => [x, y]));
    paint();
    show();
  });
  paint();
  show();
  root.dataset.ready = "true";
  return stop;
}

export default { render };
