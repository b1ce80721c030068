// The augmentation explorer of chapter 13: a small spiral training set plus rotated copies.
// Copy c of point i is turned about the origin by angle_std * unit_angles[c][i], where the
// unit angles are fixed standard-normal draws made once in Python: moving the spread slider
// rescales the same draws, so the picture changes smoothly. Everything runs in the browser
// (it works on a static page); the named exports are the pure computations the tests compare
// with resources.data.rotate.

const POINT_COLOURS = ["#d62728", "#1f77b4", "#2ca02c"];
// Half of the 1.15 rad between the two closest arms at equal radius (20 - 6 pi).
export const HALF_GAP = (20 - 6 * Math.PI) / 2;

/** Rotate each point [x1, x2] about the origin by its own angle (radians). */
export function rotate(points, angles) {
  return points.map(([x1, x2], i) => {
    const c = Math.cos(angles[i]);
    const s = Math.sin(angles[i]);
    return [c * x1 - s * x2, s * x1 + c * x2];
  });
}

/** The original points followed by `copies` rotated copies; labels repeat. */
export function augment(points, labels, unitAngles, angleStd, copies) {
  const outPoints = points.slice();
  const outLabels = labels.slice();
  for (let c = 0; c < copies; c++) {
    const angles = unitAngles[c].map((z) => angleStd * z);
    outPoints.push(...rotate(points, angles));
    outLabels.push(...labels);
  }
  return { points: outPoints, labels: outLabels };
}

/** Share of the rotated copies turned by more than `limit` radians (0 when there are none). */
export function shareBeyond(unitAngles, angleStd, copies, limit = HALF_GAP) {
  let beyond = 0;
  let total = 0;
  for (let c = 0; c < copies; c++) {
    for (const z of unitAngles[c]) {
      total += 1;
      if (Math.abs(angleStd * z) > limit) beyond += 1;
    }
  }
  return total ? beyond / total : 0;
}

// ---------------------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function slider(label, testid, min, max, step) {
  const wrapper = document.createElement("label");
  wrapper.className = "aug-control";
  const input = document.createElement("input");
  input.type = "range";
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.dataset.testid = testid;
  input.setAttribute("aria-label", label);
  const value = document.createElement("span");
  value.className = "aug-value";
  wrapper.append(`${label} `, input, value);
  return { wrapper, input, value };
}

function render({ model, el }) {
  const SIZE = 340;
  const LO = -1.15;
  const HI = 1.15;
  const root = document.createElement("div");
  root.className = "aug-explorer";
  const controls = document.createElement("div");
  controls.className = "aug-controls";
  const spread = slider("rotation spread s (rad)", "aug-std", 0, 2, 0.05);
  const copies = slider("rotated copies", "aug-copies", 0, model.get("unit_angles").length, 1);
  controls.append(spread.wrapper, copies.wrapper);
  const readout = document.createElement("div");
  readout.className = "aug-readout";
  readout.dataset.testid = "aug-readout";
  const count = document.createElement("b");
  count.dataset.testid = "aug-count";
  const share = document.createElement("b");
  share.dataset.testid = "aug-share";
  readout.append(
    count,
    " training points; ",
    share,
    ` of the copies are turned by more than ${HALF_GAP.toFixed(3)} rad, half the gap between the two closest arms`,
  );
  const picture = svgElement("svg", {
    width: SIZE,
    height: SIZE,
    viewBox: `0 0 ${SIZE} ${SIZE}`,
    "data-testid": "aug-picture",
  });
  root.append(controls, readout, picture);
  el.appendChild(root);

  const toPixel = (v) => ((v - LO) / (HI - LO)) * SIZE;

  function draw() {
    const std = model.get("angle_std");
    const k = model.get("copies");
    const points = model.get("points");
    const labels = model.get("labels");
    const unitAngles = model.get("unit_angles");
    spread.input.value = String(std);
    spread.value.textContent = std.toFixed(2);
    copies.input.value = String(k);
    copies.value.textContent = String(k);
    const result = augment(points, labels, unitAngles, std, k);
    count.textContent = String(result.points.length);
    share.textContent = `${(100 * shareBeyond(unitAngles, std, k)).toFixed(1)} %`;
    while (picture.firstChild) picture.removeChild(picture.firstChild);
    picture.appendChild(svgElement("rect", { x: 0, y: 0, width: SIZE, height: SIZE, fill: "#fcfcfc", stroke: "#999" }));
    for (let i = points.length; i < result.points.length; i++) {
      const [x1, x2] = result.points[i];
      picture.appendChild(
        svgElement("circle", {
          cx: toPixel(x1).toFixed(1),
          cy: (SIZE - toPixel(x2)).toFixed(1),
          r: 2,
          fill: POINT_COLOURS[result.labels[i]],
          "fill-opacity": 0.45,
        }),
      );
    }
    for (let i = 0; i < points.length; i++) {
      const [x1, x2] = points[i];
      picture.appendChild(
        svgElement("circle", {
          cx: toPixel(x1).toFixed(1),
          cy: (SIZE - toPixel(x2)).toFixed(1),
          r: 4,
          fill: POINT_COLOURS[labels[i]],
          stroke: "#000",
          "stroke-width": 0.8,
        }),
      );
    }
  }

  spread.input.addEventListener("input", () => {
    model.set("angle_std", Number(spread.input.value));
    model.save_changes();
  });
  copies.input.addEventListener("input", () => {
    model.set("copies", Number(copies.input.value));
    model.save_changes();
  });
  model.on("change:angle_std", draw);
  model.on("change:copies", draw);
  draw();
  return () => {
    model.off("change:angle_std", draw);
    model.off("change:copies", draw);
  };
}

export default { render };
