"""The depth explorer of chapter 23: the spread of activations and gradients, layer by layer.

``DepthExplorer`` is an anywidget. Its JavaScript (``depth_explorer.js``) draws a stack of
``depth`` layers ``DenseLayer(width, width)`` (biases 0) each followed by the hidden
activation (ReLU, sigmoid or tanh), with the weights of the chosen start (the engine's
``weight_init``: ``"small"``, ``"glorot"`` or ``"he"``, or ``"large"``: ``"small"`` with
``weight_scale=0.5``), sends ``samples`` random inputs forward and random gradients backward,
and plots per hidden layer the standard deviation of all the activations, their spread between
samples (each neuron's standard deviation over the samples, averaged over the neurons) and the
standard deviation of the gradient reaching them. The drawing and the arithmetic run in the
browser, so the explorer also works on the static HTML page.

``DepthExplorer.engine_statistics`` computes the same three lists with the book's engine
(``resources.classes``) for given weights, inputs and gradients: the reference the JavaScript
is tested against.
"""

import anywidget
import numpy as np
import traitlets

from resources.checks import positive_int
from resources.classes import WEIGHT_INITS, DenseLayer, ReLU, Sigmoid
from resources.training import dense_layer
from resources.widgets.prelude import css, esm

MAX_DEPTH = 50
STARTS = (*WEIGHT_INITS, "large")  # "large": weight_init="small" with weight_scale=0.5


class _Tanh:
    """tanh, element by element, in the engine's forward/backward form (chapter 4's slope)."""

    def forward(self, inputs):
        self.output = np.tanh(inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": _Tanh}


class DepthExplorer(anywidget.AnyWidget):
    """``DepthExplorer(depth=10, activation="relu", weight_init="small", width=32,
    samples=100, seed=0)``: the stack the page draws first (the reader changes depth,
    activation, start and draw)."""

    _esm = esm("depth_explorer.js")
    _css = css("depth_explorer.css")

    depth = traitlets.Int(10).tag(sync=True)
    activation = traitlets.Unicode("relu").tag(sync=True)
    weight_init = traitlets.Unicode("small").tag(sync=True)
    width = traitlets.Int(32).tag(sync=True)
    samples = traitlets.Int(100).tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)

    def __init__(
        self, depth=10, activation="relu", weight_init="small", width=32, samples=100, seed=0
    ):
        depth = positive_int(depth, "depth")
        if depth > MAX_DEPTH:
            raise ValueError(f"depth must be at most {MAX_DEPTH}, got {depth}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        if weight_init not in STARTS:
            raise ValueError(f"weight_init must be one of {STARTS}, got {weight_init!r}")
        super().__init__(
            depth=depth,
            activation=activation,
            weight_init=weight_init,
            width=positive_int(width, "width"),
            samples=positive_int(samples, "samples"),
            seed=int(seed),
        )

    @staticmethod
    def engine_statistics(weights, inputs, dvalues, activation):
        """``{"spread", "between", "signal"}`` by the engine: per hidden layer, the std of all
        its activations, their spread between samples (``np.std(output, axis=0).mean()``) and
        the std of the gradient that reaches them.

        ``weights``: a list of (width, width) arrays; ``inputs`` and ``dvalues``: (samples,
        width), the batch sent forward and the gradient arriving at the last layer's outputs.
        """
        layers = []
        for w in weights:
            w = np.asarray(w, dtype=float)
            layers += [dense_layer(w, np.zeros((1, w.shape[1]))), ACTIVATIONS[activation]()]
        x = np.asarray(inputs, dtype=float)
        for layer in layers:
            layer.forward(x)
            x = layer.output
        signal = []
        dvalues = np.asarray(dvalues, dtype=float)
        for layer in reversed(layers):
            if not isinstance(layer, DenseLayer):  # the gradient reaching an activation
                signal.append(float(np.std(dvalues)))
            layer.backward(dvalues)
            dvalues = layer.dinputs
        spread = [float(np.std(layer.output)) for layer in layers[1::2]]
        between = [float(np.std(layer.output, axis=0).mean()) for layer in layers[1::2]]
        return {"spread": spread, "between": between, "signal": signal[::-1]}
