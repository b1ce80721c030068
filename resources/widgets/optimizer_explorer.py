"""The optimizer explorer of chapter 10: pick an optimizer and its settings, see how it trains.

Training a network takes far too long to redo on every slider move, and a static HTML page
has no Python at all. So the explorer trains chapter 10's network (``spiral_data(100, 3)``,
2 -> 64 -> 3, starting from the weights ``nnfs.init()`` gives) once for every setting on a
small grid, with the book's engine (``resources.classes``), and stores for each run

* the loss and accuracy every ``record_every`` epochs (the training curves), and
* the decision regions of the trained network: the predicted class on a ``map_size`` x
  ``map_size`` grid of points over the square ``[-extent, extent]^2``, as a string of digits.

The JavaScript half (``optimizer_explorer.js``) only looks runs up and draws them, so it
responds at once, also on the static page. ``run_key`` is computed the same way on both sides
(tests compare them); ``select()`` drives the explorer from Python.
"""

import contextlib
import math
import time

import anywidget
import nnfs
import numpy as np
import traitlets
from nnfs.datasets import spiral_data

from resources.classes import (
    SGD,
    AdaGrad,
    Adam,
    DenseLayer,
    ReLU,
    RMSProp,
    SoftMaxCategoricalCrossEntropy,
)
from resources.widgets.prelude import css, esm

OPTIMIZERS = {"SGD": SGD, "AdaGrad": AdaGrad, "RMSProp": RMSProp, "Adam": Adam}

DEFAULT_GRID = {
    "optimizers": ["SGD", "AdaGrad", "RMSProp", "Adam"],
    "learning_rates": {
        "SGD": [0.05, 0.2, 0.5, 1.0, 2.0],
        "AdaGrad": [0.05, 0.2, 0.5, 1.0, 2.0],
        "RMSProp": [0.001, 0.005, 0.02, 0.05, 0.1],
        "Adam": [0.001, 0.005, 0.02, 0.05, 0.1],
    },
    "decays": [0.0, 1e-3, 1e-2],
    "momentums": [0.0, 0.5, 0.9],  # only SGD has momentum; the others use the first value
    "epochs": 801,
    "record_every": 16,
    "map_size": 32,
    "extent": 1.1,
}


def nearest_index(values, value, log=False):
    """Index of the grid value nearest ``value`` (on a log scale if ``log``)."""
    if log:
        distances = [abs(math.log10(v) - math.log10(value)) for v in values]
    else:
        distances = [abs(v - value) for v in values]
    return distances.index(min(distances))


def run_key(grid, optimizer, learning_rate, decay, momentum):
    """The key of the stored run nearest these settings: ``"Adam|3|0|0"`` (grid indices)."""
    if optimizer not in grid["optimizers"]:
        raise ValueError(f"optimizer must be one of {grid['optimizers']}, got {optimizer!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    lr_index = nearest_index(grid["learning_rates"][optimizer], learning_rate, log=True)
    decay_index = nearest_index(grid["decays"], decay)
    momentum_index = nearest_index(grid["momentums"], momentum) if optimizer == "SGD" else 0
    return f"{optimizer}|{lr_index}|{decay_index}|{momentum_index}"


def all_settings(grid):
    """Every ``(key, optimizer, learning_rate, decay, momentum)`` on the grid."""
    for name in grid["optimizers"]:
        momentums = grid["momentums"] if name == "SGD" else grid["momentums"][:1]
        for lr_index, lr in enumerate(grid["learning_rates"][name]):
            for decay_index, decay in enumerate(grid["decays"]):
                for momentum_index, momentum in enumerate(momentums):
                    key = f"{name}|{lr_index}|{decay_index}|{momentum_index}"
                    yield key, name, lr, decay, momentum


def make_optimizer(name, learning_rate, decay, momentum):
    if name == "SGD":
        return SGD(learning_rate=learning_rate, decay=decay, momentum=momentum)
    return OPTIMIZERS[name](learning_rate=learning_rate, decay=decay)


@contextlib.contextmanager
def nnfs_numpy():
    """``nnfs.init()`` inside a ``with`` block only; afterwards NumPy is exactly as before.

    ``nnfs.init()`` changes NumPy for the whole kernel: float32 defaults, a float64
    ``np.dot``, a reseeded random generator (and another wrapper around the functions on every
    call). Building the explorer must not do that to the reader's notebook.
    """
    functions = (np.dot, np.zeros, np.eye, np.random.randn)
    random_state = np.random.get_state()
    nnfs.init()
    try:
        yield
    finally:
        np.dot, np.zeros, np.eye, np.random.randn = functions
        np.random.set_state(random_state)


def starting_point():
    """Chapter 10's data and starting weights: ``nnfs.init()``, then the same random draws."""
    with nnfs_numpy():
        X, y = spiral_data(samples=100, classes=3)
        dense1, dense2 = DenseLayer(2, 64), DenseLayer(64, 3)
    return X, y, (dense1.weights, dense1.biases, dense2.weights, dense2.biases)


def train_run(X, y, start, optimizer, epochs, record_every):
    """Train a fresh copy of the network from ``start``; return its curves and its layers."""
    dense1, activation1, dense2 = DenseLayer(2, 64), ReLU(), DenseLayer(64, 3)
    dense1.weights, dense1.biases, dense2.weights, dense2.biases = (p.copy() for p in start)
    loss_activation = SoftMaxCategoricalCrossEntropy()
    losses, accuracies = [], []
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)
        if not epoch % record_every:
            accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == y)
            losses.append(float(loss))
            accuracies.append(float(accuracy))
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    return losses, accuracies, (dense1, activation1, dense2)


def map_points(size, extent):
    """The ``size * size`` points of the decision map, row by row from the top (y = extent)."""
    coords = np.linspace(-extent, extent, size)
    xs, ys = np.meshgrid(coords, coords[::-1])
    return np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float32)


def decision_map(layers, size, extent):
    """The predicted class at every map point, as a string of ``size * size`` digits."""
    dense1, activation1, dense2 = layers
    dense1.forward(map_points(size, extent))
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    return "".join(str(c) for c in np.argmax(dense2.output, axis=1))


def precompute(grid=None):
    """Train every setting of ``grid`` with the engine; return ``(runs, points, seconds)``."""
    grid = dict(DEFAULT_GRID if grid is None else grid)
    started = time.perf_counter()
    X, y, start = starting_point()
    runs = {}
    for key, name, lr, decay, momentum in all_settings(grid):
        optimizer = make_optimizer(name, lr, decay, momentum)
        losses, accuracies, layers = train_run(
            X, y, start, optimizer, grid["epochs"], grid["record_every"]
        )
        runs[key] = {
            "loss": [round(v, 3) for v in losses],
            "accuracy": [round(v, 3) for v in accuracies],
            "regions": decision_map(layers, grid["map_size"], grid["extent"]),
        }
    points = {
        "x": [round(float(v), 4) for v in X[:, 0]],
        "y": [round(float(v), 4) for v in X[:, 1]],
        "label": [int(c) for c in y],
    }
    return runs, points, time.perf_counter() - started


class OptimizerExplorer(anywidget.AnyWidget):
    """Training curves and decision regions of chapter 10's network for a grid of settings.

    ``OptimizerExplorer()`` trains the whole default grid (a few seconds to a minute);
    ``OptimizerExplorer(grid=...)`` takes a smaller or larger one (same keys as
    ``DEFAULT_GRID``). ``select(optimizer=..., learning_rate=..., decay=..., momentum=...)``
    moves the controls from Python; ``current_run()`` returns what is drawn.
    """

    _esm = esm("optimizer_explorer.js")
    _css = css("optimizer_explorer.css")

    grid = traitlets.Dict().tag(sync=True)
    runs = traitlets.Dict().tag(sync=True)
    points = traitlets.Dict().tag(sync=True)
    optimizer = traitlets.Unicode("Adam").tag(sync=True)
    learning_rate = traitlets.Float(0.05).tag(sync=True)
    decay = traitlets.Float(0.0).tag(sync=True)
    momentum = traitlets.Float(0.0).tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)

    def __init__(self, grid=None, **kwargs):
        grid = dict(DEFAULT_GRID if grid is None else grid)
        runs, points, seconds = precompute(grid)
        self.precompute_seconds = seconds
        super().__init__(grid=grid, runs=runs, points=points, **kwargs)
        self.observe(self._update_key, names=["optimizer", "learning_rate", "decay", "momentum"])
        self._update_key()

    def _update_key(self, change=None):
        self.key = run_key(self.grid, self.optimizer, self.learning_rate, self.decay, self.momentum)

    def select(self, optimizer=None, learning_rate=None, decay=None, momentum=None):
        """Move the controls (unchanged where ``None``); return the run now shown."""
        with self.hold_trait_notifications():
            if optimizer is not None:
                if optimizer not in self.grid["optimizers"]:
                    raise ValueError(
                        f"optimizer must be one of {self.grid['optimizers']}, got {optimizer!r}"
                    )
                self.optimizer = optimizer
            if learning_rate is not None:
                self.learning_rate = float(learning_rate)
            if decay is not None:
                self.decay = float(decay)
            if momentum is not None:
                self.momentum = float(momentum)
        self._update_key()
        return self.current_run()

    def current_run(self):
        return self.runs[self.key]

    def payload_bytes(self):
        """Roughly what the stored runs add to a page (their JSON size)."""
        import json

        return len(json.dumps({"grid": self.grid, "runs": self.runs, "points": self.points}))
