"""The regularization explorer of chapter 14: one network trained with many penalties.

``RegularizationExplorer`` is an anywidget. It holds chapter 14's network (``DenseLayer(2,
64)``, ``ReLU``, ``DenseLayer(64, 3)``, softmax), trained from the same start on the same 300
spiral points for 10001 epochs with Adam(0.02, decay 5e-7), once for each penalty in
``STRENGTHS`` (L1 or L2, on the first layer's weights and biases). Its JavaScript
(``regularization_explorer.js``) draws, for the chosen kind and strength, the decision regions
with the training or validation points, a histogram of the 128 first-layer weights, and the
accuracies, all computed in the browser from the stored parameters, so the explorer also works
on the static HTML page.

Training the runs takes a minute, too long for a page build, so they are stored with the
package (``regularization_runs.json``, written by ``store_runs()``, i.e.
``python -m resources.widgets.regularization_explorer``); a test retrains some and compares.
``evaluate(kind, strength)`` measures a stored run with the book's engine: the reference the
JavaScript is tested against.
"""

import json
import pathlib

import anywidget
import numpy as np
import traitlets
from nnfs.datasets import spiral_data

from resources.classes import Adam, DenseLayer, ReLU, SoftMaxCategoricalCrossEntropy
from resources.nnfs_numpy import nnfs_numpy
from resources.training import classifier, dense_layer
from resources.widgets.prelude import css, esm

STORED_RUNS = pathlib.Path(__file__).with_name("regularization_runs.json")
KINDS = ("L1", "L2")
STRENGTHS = (0.0, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2)
EPOCHS = 10_001
DECIMALS = 5


def run_key(kind, strength):
    """``"none"`` for strength 0, else e.g. ``"L2 0.0005"``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if strength not in STRENGTHS:
        raise ValueError(f"strength must be one of {STRENGTHS}, got {strength!r}")
    return "none" if strength == 0 else f"{kind} {strength:g}"


def chapter_data():
    """Chapter 14's training and validation points and starting layers, as it draws them
    after ``nnfs.init()`` (NumPy's functions and random state are restored afterwards)."""
    with nnfs_numpy():
        X, y = spiral_data(samples=100, classes=3)
        start = DenseLayer(2, 64), DenseLayer(64, 3)
        X_val, y_val = spiral_data(samples=100, classes=3)
        start = [p.copy() for layer in start for p in (layer.weights, layer.biases)]
    return X, y, X_val, y_val, start


def train_run(kind, strength, data=None):
    """Train chapter 14's network with the penalty ``kind`` (``"L1"``/``"L2"``) of ``strength``
    on the first layer; return its two layers."""
    run_key(kind, strength)
    X, y, _, _, start = chapter_data() if data is None else data
    with nnfs_numpy():  # float32 products summed in float64, as in the chapter
        model = classifier(start, Adam(learning_rate=0.02, decay=5e-7))
        first = model.layers[0]
        if strength:
            setattr(first, f"weight_regularizer_{kind.lower()}", float(strength))
            setattr(first, f"bias_regularizer_{kind.lower()}", float(strength))
        model.train(X, y, epochs=EPOCHS, print_every=None)
    return model.layers[0], model.layers[2]


def measure(first, second, X, y):
    """``(accuracy, mean cross-entropy)`` of the two layers on ``X``, ``y``, by the engine."""
    relu, loss_activation = ReLU(), SoftMaxCategoricalCrossEntropy()
    first.forward(X)
    relu.forward(first.output)
    second.forward(relu.output)
    loss = loss_activation.forward(second.output, y)
    return float(np.mean(np.argmax(loss_activation.output, axis=1) == y)), float(loss)


def store_runs():
    """Train every run and write ``regularization_runs.json`` (about a minute)."""
    data = chapter_data()
    X, y, X_val, y_val, _ = data
    runs = {}
    for kind in KINDS:
        for strength in STRENGTHS:
            key = run_key(kind, strength)
            if key in runs:
                continue
            first, second = train_run(kind, strength, data)
            runs[key] = {
                "w1": np.round(first.weights, DECIMALS).tolist(),
                "b1": np.round(first.biases[0], DECIMALS).tolist(),
                "w2": np.round(second.weights, DECIMALS).tolist(),
                "b2": np.round(second.biases[0], DECIMALS).tolist(),
            }
    stored = {
        "epochs": EPOCHS,
        "strengths": list(STRENGTHS),
        "points": np.round(X, DECIMALS).tolist(),
        "labels": y.astype(int).tolist(),
        "val_points": np.round(X_val, DECIMALS).tolist(),
        "val_labels": y_val.astype(int).tolist(),
        "runs": runs,
    }
    STORED_RUNS.write_text(json.dumps(stored, separators=(",", ":")) + "\n")
    return stored


class RegularizationExplorer(anywidget.AnyWidget):
    """The stored runs of chapter 14's network under L1 and L2 penalties of several strengths.

    ``kind`` (``"L1"``/``"L2"``) and ``strength`` (one of ``STRENGTHS``) choose the run shown;
    ``show_validation`` shows the validation points instead of the training points.
    """

    _esm = esm("regularization_explorer.js")
    _css = css("regularization_explorer.css")

    strengths = traitlets.List(traitlets.Float()).tag(sync=True)
    runs = traitlets.Dict().tag(sync=True)
    points = traitlets.List().tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    val_points = traitlets.List().tag(sync=True)
    val_labels = traitlets.List(traitlets.Int()).tag(sync=True)
    kind = traitlets.Unicode("L2").tag(sync=True)
    strength = traitlets.Float(5e-4).tag(sync=True)
    show_validation = traitlets.Bool(True).tag(sync=True)

    def __init__(self, **kwargs):
        stored = json.loads(STORED_RUNS.read_text())
        super().__init__(
            strengths=stored["strengths"],
            runs=stored["runs"],
            points=stored["points"],
            labels=stored["labels"],
            val_points=stored["val_points"],
            val_labels=stored["val_labels"],
            **kwargs,
        )

    @traitlets.validate("kind")
    def _valid_kind(self, proposal):
        if proposal["value"] not in KINDS:
            raise traitlets.TraitError(f"kind must be one of {KINDS}, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("strength")
    def _valid_strength(self, proposal):
        if proposal["value"] not in STRENGTHS:
            raise traitlets.TraitError(
                f"strength must be one of {STRENGTHS}, got {proposal['value']!r}"
            )
        return proposal["value"]

    def layers(self, kind=None, strength=None):
        """The stored run's two layers (``DenseLayer``s holding its rounded parameters)."""
        run = self.runs[run_key(kind or self.kind, self.strength if strength is None else strength)]
        return (
            dense_layer(np.array(run["w1"]), np.array([run["b1"]])),
            dense_layer(np.array(run["w2"]), np.array([run["b2"]])),
        )

    def evaluate(self, kind=None, strength=None):
        """``{"train_accuracy", "val_accuracy", "val_loss", "max_weight"}`` by the engine."""
        first, second = self.layers(kind, strength)
        train_accuracy, _ = measure(first, second, np.array(self.points), np.array(self.labels))
        val_accuracy, val_loss = measure(
            first, second, np.array(self.val_points), np.array(self.val_labels)
        )
        return {
            "train_accuracy": train_accuracy,
            "val_accuracy": val_accuracy,
            "val_loss": val_loss,
            "max_weight": float(np.abs(first.weights).max()),
        }


if __name__ == "__main__":
    store_runs()
