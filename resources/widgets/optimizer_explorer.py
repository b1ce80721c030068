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

import json
import math
import pathlib
import time

import anywidget
import numpy as np
import traitlets
from nnfs.datasets import spiral_data

from resources.classes import SGD, AdaGrad, Adam, RMSProp
from resources.nnfs_numpy import nnfs_numpy
from resources.training import classifier, initial_parameters
from resources.widgets.prelude import css, esm

# The default grid's runs, trained ahead of time by `store_default_runs()` (a test retrains
# some of them and compares), so that building the explorer in chapter 10 trains nothing.
STORED_RUNS = pathlib.Path(__file__).with_name("optimizer_runs.json")

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


def starting_point():
    """Chapter 10's data and starting weights: ``nnfs.init()``, then the same random draws."""
    with nnfs_numpy():
        X, y = spiral_data(samples=100, classes=3)
        start = initial_parameters(2, 64, 3)
    return X, y, start


def train_run(X, y, start, optimizer, epochs, record_every):
    """Train chapter 10's network from ``start``; return its curves and its layers.

    The curves hold the loss and accuracy every ``record_every`` epochs, each measured before
    that epoch's update, as chapter 10 prints them. The arithmetic is chapter 10's too: it runs
    with ``nnfs.init()``'s float64-summing ``np.dot``, and NumPy is put back afterwards.
    """
    model = classifier(start, optimizer)
    with nnfs_numpy():
        history = model.train(X, y, epochs=epochs, print_every=None)
    losses = [float(v) for v in history["data_loss"][::record_every]]
    accuracies = [float(v) for v in history["accuracy"][::record_every]]
    return losses, accuracies, tuple(model.layers[:3])


def map_points(size, extent):
    """The ``size * size`` points of the decision map, row by row from the top (y = extent)."""
    coords = np.linspace(-extent, extent, size)
    xs, ys = np.meshgrid(coords, coords[::-1])
    return np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float32)


def decision_map(layers, size, extent):
    """The predicted class at every map point, as a string of ``size * size`` digits."""
    dense1, activation1, dense2 = layers
    with nnfs_numpy():
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

    ``OptimizerExplorer()`` shows the default grid's runs, trained ahead of time with the engine
    and stored with the package (``optimizer_runs.json``); ``OptimizerExplorer(retrain=True)``
    trains them again here (about half a minute), and ``OptimizerExplorer(grid=...)`` trains a
    smaller or larger grid (same keys as ``DEFAULT_GRID``).
    ``select(optimizer=..., learning_rate=..., decay=..., momentum=...)`` moves the controls
    from Python; ``current_run()`` returns what is drawn.
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

    def __init__(self, grid=None, retrain=False, **kwargs):
        if grid is None and not retrain:
            stored = json.loads(STORED_RUNS.read_text())
            grid, runs, points = stored["grid"], stored["runs"], stored["points"]
            self.precompute_seconds = None  # nothing trained now
        else:
            grid = dict(DEFAULT_GRID if grid is None else grid)
            runs, points, self.precompute_seconds = precompute(grid)
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
        return len(json.dumps({"grid": self.grid, "runs": self.runs, "points": self.points}))


def store_default_runs():
    """Train the default grid and write it to ``STORED_RUNS`` (run when the engine changes)."""
    runs, points, seconds = precompute(DEFAULT_GRID)
    stored = {"grid": DEFAULT_GRID, "runs": runs, "points": points}
    STORED_RUNS.write_text(json.dumps(stored, separators=(",", ":")) + "\n")
    print(f"trained {len(runs)} runs in {seconds:.1f} s; wrote {STORED_RUNS}")
