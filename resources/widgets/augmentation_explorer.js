// The augmentation explorer of chapter 13: a small spiral training set plus rotated copies.
// Copy c of point i is turned about the origin by angle_std * unit_angles[c][i], where the
// unit angles are fixed standard-normal draws made once in Python: moving the spread slider
// rescales the same draws, so the picture changes smoothly. Everything runs in the browser
// (it works on a static page); the named exports are the pure computations the tests compare
// with resources.data.rotate.

import { COLOURS, el, figure, listen, save, slider, svg } from "./prelude.js";

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
// Drawing
// ---------------------------------------------------------------------------------------------

const SIZE = 340;
const LO = -1.15;
const HI = 1.15;

function render({ model, el: host }) {
  const set = (key, value) => {
    model.set(key, value);
    save(model);
  };
  const spread = slider({
    label: "rotation spread s (rad)",
    testid: "aug-std",
    min: 0,
    max: 2,
    step: 0.05,
    format: (v) => v.toFixed(2),
    unit: "radians",
    onInput: (v) => set("angle_std", v),
  });
  const copies = slider({
    label: "rotated copies",
    testid: "aug-copies",
    min: 0,
    max: model.get("unit_angles").length,
    step: 1,
    format: (v) => String(v),
    onInput: (v) => set("copies", Math.round(v)),
  });
  const count = el("b", { testid: "aug-count" });
  const share = el("b", { testid: "aug-share" });
  const readout = el("div", { class: "aug-readout", testid: "aug-readout", "aria-live": "polite" }, [
    count,
    " training points; ",
    share,
    ` of the copies are turned by more than ${HALF_GAP.toFixed(3)} rad, half the gap between the two closest arms`,
  ]);
  const picture = figure({
    width: SIZE,
    height: SIZE,
    label: "the training points (outlined) and their rotated copies (faint), coloured by class",
    testid: "aug-picture",
  });
  const layer = svg("g");
  picture.append(svg("rect", { x: 0, y: 0, width: SIZE, height: SIZE, fill: "#fcfcfc", stroke: COLOURS.frame }), layer);
  const root = el("div", { class: "explorer aug-explorer" }, [
    el("div", { class: "explorer-controls" }, [spread.root, copies.root]),
    readout,
    picture,
  ]);
  host.appendChild(root);

  const toPixel = (v) => ((v - LO) / (HI - LO)) * SIZE;

  function draw() {
    const std = model.get("angle_std");
    const k = model.get("copies");
    const points = model.get("points");
    const labels = model.get("labels");
    const unitAngles = model.get("unit_angles");
    spread.set(std);
    copies.set(k);
    const result = augment(points, labels, unitAngles, std, k);
    count.textContent = String(result.points.length);
    share.textContent = `${(100 * shareBeyond(unitAngles, std, k)).toFixed(1)} %`;
    layer.replaceChildren();
    for (let i = points.length; i < result.points.length; i++) {
      const [x1, x2] = result.points[i];
      layer.append(
        svg("circle", {
          cx: toPixel(x1).toFixed(1),
          cy: (SIZE - toPixel(x2)).toFixed(1),
          r: 2,
          fill: COLOURS.classes[result.labels[i]],
          "fill-opacity": 0.45,
        }),
      );
    }
    for (let i = 0; i < points.length; i++) {
      const [x1, x2] = points[i];
      layer.append(
        svg("circle", {
          cx: toPixel(x1).toFixed(1),
          cy: (SIZE - toPixel(x2)).toFixed(1),
          r: 4,
          fill: COLOURS.classes[labels[i]],
          stroke: "#000",
          "stroke-width": 0.8,
        }),
      );
    }
  }

  const stop = listen(model, ["angle_std", "copies"], draw);
  draw();
  return stop;
}

export default { render };
