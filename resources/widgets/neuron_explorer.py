"""The neuron explorer of chapter 9: one neuron ``y = ReLU(w . x + b)`` to poke at.

Two parts work together:

* ``NeuronGraph``, an anywidget whose JavaScript (``neuron_explorer.js``) draws the sliders
  for ``w0``, ``w1``, ``w2``, ``b`` and the learning rate, the neuron as a computational graph
  with the value and the gradient on every edge, and the *Take a step* and *Reset* buttons.
  Its arithmetic runs in the browser, so the explorer also works on the static HTML page,
  where no Python kernel is running.
* ``NeuronExplorer``, the ``VBox`` a chapter displays, which holds the graph and drives it from
  Python through the engine.

From Python, ``output``, ``gradients()`` and ``step()`` use the book's engine
(``DenseLayer``, ``ReLU``, ``SGD`` from ``resources.classes``), which is the reference the
JavaScript is tested against.
"""

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from resources.classes import SGD, ReLU
from resources.training import dense_layer
from resources.widgets.prelude import css, esm

X = (1.0, -2.0, 3.0)
W_START = (-3.0, -1.0, 2.0)
B_START = 1.0
LR_START = 0.001
PARAMETERS = ("w0", "w1", "w2", "b")
# The sliders' ranges (``W_RANGE`` and ``LOG_LR_RANGE`` in the JavaScript): arrow keys move a
# weight or the bias by 0.01 and the learning rate by a tenth of a decade.
W_RANGE = (-5.0, 5.0)
LOG_LR_RANGE = (-4.0, -1.0)


class NeuronGraph(anywidget.AnyWidget):
    """The drawn neuron: inputs ``x``, weights ``w0..w2``, bias ``b``, learning rate ``lr``."""

    _esm = esm("neuron_explorer.js")
    _css = css("neuron_explorer.css")

    x = traitlets.List(traitlets.Float(), default_value=list(X)).tag(sync=True)
    w0 = traitlets.Float(W_START[0]).tag(sync=True)
    w1 = traitlets.Float(W_START[1]).tag(sync=True)
    w2 = traitlets.Float(W_START[2]).tag(sync=True)
    b = traitlets.Float(B_START).tag(sync=True)
    lr = traitlets.Float(LR_START).tag(sync=True)
    steps = traitlets.Int(0).tag(sync=True)
    # Where Reset returns to.
    w_init = traitlets.List(traitlets.Float(), default_value=list(W_START)).tag(sync=True)
    b_init = traitlets.Float(B_START).tag(sync=True)


def _layer_with(weights, bias):
    """A ``DenseLayer(3, 1)`` holding these parameters, leaving NumPy's random state untouched."""
    weights = np.array(weights, dtype=np.float64).reshape(3, 1)
    return dense_layer(weights, np.array([[bias]], dtype=np.float64))


class NeuronExplorer(widgets.VBox):
    """The neuron's sliders, computational graph and buttons (all drawn by ``graph``).

    ``graph`` is the ``NeuronGraph``; its traits ``w0``, ``w1``, ``w2``, ``b`` and ``lr`` are
    what the sliders show, both ways.
    """

    def __init__(self, weights=W_START, bias=B_START, learning_rate=LR_START, **kwargs):
        weights = [float(w) for w in weights]
        if len(weights) != 3:
            raise ValueError(f"the neuron has 3 weights, got {len(weights)}")
        bias = float(bias)
        self.graph = NeuronGraph(
            w0=weights[0],
            w1=weights[1],
            w2=weights[2],
            b=bias,
            lr=float(learning_rate),
            w_init=weights,
            b_init=bias,
        )
        super().__init__(children=[self.graph], **kwargs)

    # -- the engine's view of the neuron ------------------------------------------------------

    @property
    def weights(self):
        return [self.graph.w0, self.graph.w1, self.graph.w2]

    @property
    def bias(self):
        return self.graph.b

    def _run(self):
        """Forward and backward through the engine, with an incoming gradient of 1.0."""
        layer = _layer_with(self.weights, self.bias)
        relu = ReLU()
        layer.forward(np.array([X]))
        relu.forward(layer.output)
        relu.backward(np.ones_like(relu.output))
        layer.backward(relu.dinputs)
        return layer, relu

    @property
    def output(self):
        """The neuron's output ``ReLU(w . x + b)``, computed by the engine."""
        _, relu = self._run()
        return float(relu.output[0, 0])

    def gradients(self):
        """``{"dw0", "dw1", "dw2", "db"}``: the output's gradient, from the engine's backward."""
        layer, _ = self._run()
        dw = layer.dweights[:, 0]
        return {
            "dw0": float(dw[0]),
            "dw1": float(dw[1]),
            "dw2": float(dw[2]),
            "db": float(layer.dbiases[0, 0]),
        }

    def step(self):
        """One step of the engine's SGD at the current learning rate; returns the new output."""
        layer, _ = self._run()
        SGD(learning_rate=self.graph.lr).update_params(layer)
        with self.graph.hold_sync():
            self.graph.w0, self.graph.w1, self.graph.w2 = (float(w) for w in layer.weights[:, 0])
            self.graph.b = float(layer.biases[0, 0])
            self.graph.steps += 1
        return self.output

    def reset(self):
        """Back to the starting weights and bias."""
        with self.graph.hold_sync():
            self.graph.w0, self.graph.w1, self.graph.w2 = self.graph.w_init
            self.graph.b = self.graph.b_init
            self.graph.steps = 0
        return self.output
