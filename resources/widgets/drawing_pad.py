"""The drawing pad of chapter 22: draw a digit, see what a trained model makes of it.

``DrawingPad(model)`` is an anywidget. Its JavaScript (``drawing_pad.js``) records the pen
strokes (mouse, finger, pen or the keyboard's arrow keys), reduces them to an 8x8 image with
the very steps of ``resources.datasets.strokes_to_image`` (the constants come from Python, in
the ``reduction`` trait), scales it with ``scale_pixels``'s rule and runs the model's forward
pass, with the weights stored in the widget state (float64, base64). It shows the 8x8 image
and the ten probabilities as bars, all in the browser: on the static page too, offline.

In a live notebook the page sends back ``strokes``, ``image`` and ``probabilities``;
``image_from_strokes()`` and ``predict()`` recompute them in Python, the reference the
browser is tested against. ``keep(label)`` stores the current drawing's image with the digit
it was meant to be, and ``kept()`` returns everything kept, for measuring a model on one's own
handwriting (chapter 22).
"""

import base64

import anywidget
import numpy as np
import traitlets

from resources import classes
from resources.datasets import (
    DIGITS_PIXEL_MAX,
    DIGITS_SIDE,
    INK_GRID,
    MARGIN,
    PEN_RADIUS,
    prepare_inputs,
    scale_pixels,
    strokes_to_image,
)
from resources.widgets.prelude import css, esm


def _encode(array):
    """A float64 array as base64 text of its little-endian bytes, row by row."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def _stored_layers(layers):
    """The model's layers as plain data the page can run: dense, relu and softmax only."""
    stored = []
    for layer in layers:
        if isinstance(layer, classes.DenseLayer):
            stored.append(
                {
                    "type": "dense",
                    "shape": list(layer.weights.shape),
                    "weights": _encode(layer.weights),
                    "biases": _encode(layer.biases.reshape(-1)),
                }
            )
        elif isinstance(layer, classes.ReLU):
            stored.append({"type": "relu"})
        elif isinstance(layer, classes.SoftMax):
            stored.append({"type": "softmax"})
        elif type(layer).__name__ == "Dropout":
            continue  # off outside training: the identity
        else:
            raise ValueError(
                "the drawing pad runs DenseLayer, ReLU, Dropout and SoftMax layers only, "
                f"got {type(layer).__name__}"
            )
    if not stored or stored[-1]["type"] != "softmax":
        raise ValueError("the drawing pad needs a model whose last layer is SoftMax")
    dense = [layer for layer in stored if layer["type"] == "dense"]
    if dense[0]["shape"][0] != DIGITS_SIDE * DIGITS_SIDE:
        raise ValueError(
            f"the model must take {DIGITS_SIDE * DIGITS_SIDE} pixels, "
            f"its first layer takes {dense[0]['shape'][0]}"
        )
    return stored


class DrawingPad(anywidget.AnyWidget):
    """``DrawingPad(model, size=224, strokes=None, labels=None)``.

    ``model``: a trained ``Model`` (64 inputs, softmax output), or a list of its layers.
    ``size``: the drawing area's side in canvas pixels. ``strokes``: a drawing to start with,
    a list of strokes, each a list of ``[x, y]`` points in canvas pixels. ``labels``: the
    classes' names (default: the model's ``class_names`` if it has them, else ``"0"`` to
    ``"9"``).
    """

    _esm = esm("drawing_pad.js")
    _css = css("drawing_pad.css")

    layers = traitlets.List().tag(sync=True)
    size = traitlets.Int(224).tag(sync=True)
    reduction = traitlets.Dict().tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    strokes = traitlets.List().tag(sync=True)
    image = traitlets.List().tag(sync=True)  # set by the page: the 8x8 counts, row by row
    probabilities = traitlets.List().tag(sync=True)  # set by the page

    def __init__(self, model, size=224, strokes=None, labels=None, **kwargs):
        layers = model.layers if hasattr(model, "layers") else list(model)
        stored = _stored_layers(layers)
        n_classes = [layer for layer in stored if layer["type"] == "dense"][-1]["shape"][1]
        if labels is None:
            labels = getattr(model, "class_names", None) or [str(k) for k in range(n_classes)]
        labels = list(labels)
        if len(labels) != n_classes:
            raise ValueError(f"need {n_classes} labels, got {len(labels)}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 32:
            raise ValueError(f"size must be an integer of at least 32 pixels, got {size!r}")
        strokes = [] if strokes is None else strokes
        strokes_to_image(strokes, size)  # refuses malformed strokes now, not in the browser
        strokes = [np.asarray(stroke, dtype=float).tolist() for stroke in strokes]
        self._model = model
        self._kept_images, self._kept_labels = [], []
        super().__init__(
            layers=stored,
            size=size,
            reduction={
                "grid": INK_GRID,
                "side": DIGITS_SIDE,
                "pen_radius": PEN_RADIUS,
                "margin": MARGIN,
                "pixel_max": DIGITS_PIXEL_MAX,
            },
            labels=labels,
            strokes=strokes,
            **kwargs,
        )

    def image_from_strokes(self):
        """The 8x8 image (counts 0-16) of the current strokes, computed in Python."""
        return strokes_to_image(self.strokes, self.size)

    def keep(self, label):
        """Keep the current drawing's 8x8 image with ``label`` (the class it was meant as).

        ``label`` is a class index (0-9 for the digits). An empty drawing is refused.
        Returns the number of drawings kept so far.
        """
        n_classes = len(self.labels)
        if isinstance(label, bool) or not isinstance(label, int | np.integer):
            raise TypeError(f"label must be a class index 0-{n_classes - 1}, got {label!r}")
        if not 0 <= label < n_classes:
            raise ValueError(f"label must be a class index 0-{n_classes - 1}, got {label}")
        image = self.image_from_strokes()
        if not image.any():
            raise ValueError("the pad is empty: draw the digit first, then keep it")
        self._kept_images.append(image)
        self._kept_labels.append(int(label))
        return len(self._kept_labels)

    def kept(self):
        """``(images, labels)``: the kept drawings, (n, 8, 8) counts 0-16 and (n,) ints.

        With nothing kept: arrays of shapes (0, 8, 8) and (0,).
        """
        images = np.array(self._kept_images, dtype=float).reshape(-1, DIGITS_SIDE, DIGITS_SIDE)
        return images, np.array(self._kept_labels, dtype=np.int64)

    def predict(self, image=None):
        """The model's probabilities (10,) for ``image`` (8x8 counts; default: the strokes').

        Scaled with the model's ``input_rule`` when it has one, else with ``scale_pixels``
        (the page's JavaScript always uses the digits' rule). ``model.predict`` for a
        ``Model``; for a list of layers, their forward passes in order
        (a ``Dropout`` is skipped: it is off outside training).
        """
        image = self.image_from_strokes() if image is None else np.asarray(image, dtype=float)
        flat = image.reshape(1, DIGITS_SIDE * DIGITS_SIDE)
        rule = getattr(self._model, "input_rule", None)
        values = scale_pixels(flat) if rule is None else prepare_inputs(flat, rule)
        if hasattr(self._model, "predict"):
            return self._model.predict(values)[0]
        for layer in self._model:
            if type(layer).__name__ == "Dropout":
                continue
            layer.forward(values)
            values = layer.output
        return values[0].copy()
