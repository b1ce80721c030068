"""The ReLU-pieces explorer of chapter 4: a 1-k-1 ReLU network fitting a sine on [0, 1].

The network is ``DenseLayer(1, k) -> ReLU -> DenseLayer(k, 1)``::

    y(x) = sum_j w2[j] * max(0, w1[j] * x + b1[j]) + b2

Each hidden neuron adds one "piece", a hinge that is flat until ``x = -b1 / w1`` and straight
after it; the sum of the pieces is a broken line. The sliders, the drawing and the error
readout run in the browser (``relu_pieces.js``), so the explorer also works on the static HTML
page. This class computes the same curve with the book's engine, which is the reference: the
tests compare the two.
"""

import anywidget
import numpy as np
import traitlets

from resources.classes import ReLU
from resources.training import dense_layer
from resources.widgets.prelude import css, esm

__all__ = ["ReluPiecesExplorer", "preset_params", "sample_grid", "plot_grid"]

PRESETS = ("sine", "zero")


def sample_grid(n):
    """``x_i = i / n`` for ``i = 0 .. n-1``, as a column (n, 1): the grid of ``sine_data(n)``."""
    return (np.arange(n) / n).reshape(-1, 1)


def plot_grid(n):
    """``n`` evenly spaced points from 0 to 1 inclusive, as a column (n, 1)."""
    return np.linspace(0.0, 1.0, n).reshape(-1, 1)


def preset_params(name, k):
    """Parameters of a preset as a dict ``w1, b1, w2`` (lists of length k) and ``b2``.

    ``"sine"`` joins the sine's values at ``x = 0, 1/k, ..., 1`` with straight lines: neuron j
    switches on at ``t_j = j / k`` (``w1 = 1``, ``b1 = -t_j``) and its output weight is the
    change of slope there, ``m_j - m_(j-1)``. ``"zero"`` sets every parameter to 0.
    """
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}, got {name!r}")
    if name == "zero":
        return {"w1": [0.0] * k, "b1": [0.0] * k, "w2": [0.0] * k, "b2": 0.0}
    knots = np.linspace(0.0, 1.0, k + 1)
    values = np.sin(2 * np.pi * knots)
    slopes = np.diff(values) * k  # m_j: the slope on [t_j, t_(j+1)]
    changes = np.diff(slopes, prepend=0.0)  # m_0, m_1 - m_0, m_2 - m_1, ...
    return {
        "w1": [1.0] * k,
        "b1": [0.0 - float(t) for t in knots[:k]],
        "w2": [float(c) for c in changes],
        "b2": float(values[0]),
    }


class ReluPiecesExplorer(anywidget.AnyWidget):
    """Sliders for every weight and bias of a 1-k-1 ReLU network, drawn over ``sin(2 pi x)``.

    ``explorer.output(x)`` evaluates the network with the engine's ``DenseLayer`` and ``ReLU``;
    ``load_preset("sine")`` loads a hand-made fit; ``set_neuron(j, w1=..., b1=..., w2=...)``
    moves one hidden neuron, exactly as its sliders do on the page.
    """

    _esm = esm("relu_pieces.js")
    _css = css("relu_pieces.css")

    w1 = traitlets.List(traitlets.Float()).tag(sync=True)
    b1 = traitlets.List(traitlets.Float()).tag(sync=True)
    w2 = traitlets.List(traitlets.Float()).tag(sync=True)
    b2 = traitlets.Float(0.0).tag(sync=True)
    selected = traitlets.Int(0).tag(sync=True)
    show_pieces = traitlets.Bool(True).tag(sync=True)
    n_plot = traitlets.Int(201).tag(sync=True)
    n_error = traitlets.Int(1000).tag(sync=True)
    weight_min = traitlets.Float(-8.0).tag(sync=True)
    weight_max = traitlets.Float(8.0).tag(sync=True)

    def __init__(self, n_hidden=8, preset="sine", **kwargs):
        if isinstance(n_hidden, bool) or not isinstance(n_hidden, int | np.integer):
            raise TypeError(f"n_hidden must be a positive integer, got {n_hidden!r}")
        if not 1 <= n_hidden <= 16:
            raise ValueError(f"n_hidden must lie in 1..16 (one button each), got {n_hidden}")
        self.n_hidden = int(n_hidden)
        # The explorer sets every parameter itself (the reader's random stream stays untouched).
        self._hidden = dense_layer(np.zeros((1, self.n_hidden)), np.zeros((1, self.n_hidden)))
        self._relu = ReLU()
        self._output_layer = dense_layer(np.zeros((self.n_hidden, 1)), np.zeros((1, 1)))
        super().__init__(**{**preset_params(preset, self.n_hidden), **kwargs})

    # -- validation of the synced traits ------------------------------------------------------

    def _check_list(self, proposal):
        values = proposal["value"]
        if len(values) != self.n_hidden:
            raise ValueError(
                f"{proposal['trait'].name} needs {self.n_hidden} values (one per hidden "
                f"neuron), got {len(values)}"
            )
        if not all(np.isfinite(values)):
            raise ValueError(f"{proposal['trait'].name} must be finite numbers")
        return [float(v) for v in values]

    @traitlets.validate("w1", "b1", "w2")
    def _valid_list(self, proposal):
        return self._check_list(proposal)

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        if not 0 <= proposal["value"] < self.n_hidden:
            raise ValueError(
                f"selected must be a neuron index in 0..{self.n_hidden - 1}, "
                f"got {proposal['value']}"
            )
        return proposal["value"]

    # -- driving it from Python ---------------------------------------------------------------

    def load_preset(self, name):
        """Load ``"sine"`` (the hand-made fit) or ``"zero"``, like the buttons on the page."""
        params = preset_params(name, self.n_hidden)
        with self.hold_trait_notifications():
            for key, value in params.items():
                setattr(self, key, value)

    def set_neuron(self, index, w1=None, b1=None, w2=None):
        """Set hidden neuron ``index``'s parameters (those given) and select it."""
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an integer, got {index!r}")
        if not 0 <= index < self.n_hidden:
            raise ValueError(f"index must lie in 0..{self.n_hidden - 1}, got {index}")
        for name, value in (("w1", w1), ("b1", b1), ("w2", w2)):
            if value is not None:
                values = list(getattr(self, name))
                values[index] = float(value)
                setattr(self, name, values)
        self.selected = int(index)

    def params(self):
        return {"w1": list(self.w1), "b1": list(self.b1), "w2": list(self.w2), "b2": self.b2}

    # -- the computation, with the engine -----------------------------------------------------

    def _load_layers(self):
        self._hidden.weights = np.array(self.w1, dtype=float).reshape(1, self.n_hidden)
        self._hidden.biases = np.array(self.b1, dtype=float).reshape(1, self.n_hidden)
        self._output_layer.weights = np.array(self.w2, dtype=float).reshape(self.n_hidden, 1)
        self._output_layer.biases = np.array([[self.b2]], dtype=float)

    def pieces(self, x):
        """What each hidden neuron adds at every x: shape (n_samples, n_hidden)."""
        self._load_layers()
        self._hidden.forward(np.asarray(x, dtype=float).reshape(-1, 1))
        self._relu.forward(self._hidden.output)
        return self._relu.output * self._output_layer.weights.T

    def output(self, x):
        """The network's output at every x (any shape holding n numbers): shape (n,)."""
        self._load_layers()
        self._hidden.forward(np.asarray(x, dtype=float).reshape(-1, 1))
        self._relu.forward(self._hidden.output)
        self._output_layer.forward(self._relu.output)
        return self._output_layer.output[:, 0]

    def mse(self):
        """Mean squared error against ``sin(2 pi x)`` on the grid of ``sine_data(n_error)``."""
        x = sample_grid(self.n_error)
        return float(np.mean((self.output(x) - np.sin(2 * np.pi * x[:, 0])) ** 2))

    def kinks(self):
        """Where each hidden neuron switches on, ``-b1 / w1`` (``None`` where ``w1 = 0``)."""
        return [None if w == 0 else -b / w for w, b in zip(self.w1, self.b1, strict=True)]
