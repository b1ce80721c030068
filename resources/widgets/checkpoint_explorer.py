"""The checkpoint explorer of chapter 11: a trained network, checkpoint by checkpoint.

``CheckpointExplorer`` is an anywidget. Its JavaScript (``checkpoint_explorer.js``) draws the
decision regions of the chosen checkpoint with the training or the test points (mistakes
ringed), prints its loss and accuracy on both sets, and marks it on the training and test loss
curves. The slider and the checkbox live in the browser, so the explorer also works on the
static HTML page.

The network is ``DenseLayer(2, H)``, ``ReLU``, ``DenseLayer(H, 3)``, softmax. From Python,
``evaluate(index)`` measures a checkpoint with the book's engine (``resources.classes``), the
reference the JavaScript is tested against, and ``show_epoch(epoch)`` moves the slider.
"""

import anywidget
import numpy as np
import traitlets

from resources.classes import ReLU, SoftMaxCategoricalCrossEntropy
from resources.training import dense_layer
from resources.widgets.prelude import css, esm


def _as_points(points, labels, name):
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{name} points must have shape (n_samples, 2), got {points.shape}")
    if labels.shape != (points.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} labels must be {points.shape[0]} integer class indices, got shape "
            f"{labels.shape} of dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 2):
        raise ValueError(f"{name} labels must be 0, 1 or 2")
    return points.tolist(), labels.astype(int).tolist()


def _as_checkpoint(parameters, decimals):
    try:
        w1, b1, w2, b2 = (np.asarray(p, dtype=np.float64) for p in parameters)
    except (TypeError, ValueError) as error:
        raise TypeError(
            "a checkpoint is four arrays: weights (2, H), biases (1, H), weights (H, 3), "
            "biases (1, 3)"
        ) from error
    hidden = w1.shape[-1] if w1.ndim == 2 else -1
    expected = {"w1": (2, hidden), "b1": (1, hidden), "w2": (hidden, 3), "b2": (1, 3)}
    for name, array in zip(expected, (w1, b1, w2, b2), strict=True):
        if hidden < 1 or array.shape != expected[name]:
            raise ValueError(
                f"checkpoint {name} must have shape {expected[name]}, got {array.shape}"
            )
    return {
        "w1": np.round(w1, decimals).tolist(),
        "b1": np.round(b1[0], decimals).tolist(),
        "w2": np.round(w2, decimals).tolist(),
        "b2": np.round(b2[0], decimals).tolist(),
    }


class CheckpointExplorer(anywidget.AnyWidget):
    """Decision regions, scores and loss curves of a network's stored checkpoints.

    ``CheckpointExplorer(epochs, checkpoints, X, y, X_test, y_test)``: ``epochs`` is a list of
    epoch numbers; ``checkpoints`` a list of the same length, each
    ``[dense1.weights, dense1.biases, dense2.weights, dense2.biases]`` with shapes (2, H),
    (1, H), (H, 3), (1, 3); ``X`` and ``X_test`` are (n, 2) points, ``y`` and ``y_test``
    their class indices 0, 1, 2. Parameters are stored rounded to ``decimals`` places (this
    keeps the page small); ``evaluate`` uses the stored values, as the browser does.
    """

    _esm = esm("checkpoint_explorer.js")
    _css = css("checkpoint_explorer.css")

    epochs = traitlets.List(traitlets.Int()).tag(sync=True)
    checkpoints = traitlets.List(traitlets.Dict()).tag(sync=True)
    train_points = traitlets.List().tag(sync=True)
    train_labels = traitlets.List(traitlets.Int()).tag(sync=True)
    test_points = traitlets.List().tag(sync=True)
    test_labels = traitlets.List(traitlets.Int()).tag(sync=True)
    index = traitlets.Int(0).tag(sync=True)
    show_test = traitlets.Bool(True).tag(sync=True)

    def __init__(self, epochs, checkpoints, X, y, X_test, y_test, decimals=6, **kwargs):
        epochs = [int(e) for e in epochs]
        checkpoints = list(checkpoints)
        if not epochs or len(epochs) != len(checkpoints):
            raise ValueError(
                f"need one epoch number per checkpoint, got {len(epochs)} epochs and "
                f"{len(checkpoints)} checkpoints"
            )
        stored = [_as_checkpoint(p, decimals) for p in checkpoints]
        train_points, train_labels = _as_points(X, y, "training")
        test_points, test_labels = _as_points(X_test, y_test, "test")
        super().__init__(
            epochs=epochs,
            checkpoints=stored,
            train_points=train_points,
            train_labels=train_labels,
            test_points=test_points,
            test_labels=test_labels,
            **kwargs,
        )

    @traitlets.validate("index")
    def _valid_index(self, proposal):
        index = proposal["value"]
        if not 0 <= index < len(self.checkpoints):
            raise traitlets.TraitError(
                f"index must lie in [0, {len(self.checkpoints) - 1}], got {index}"
            )
        return index

    def show_epoch(self, epoch):
        """Move to the checkpoint stored at ``epoch``; returns its index."""
        if epoch not in self.epochs:
            raise ValueError(f"no checkpoint at epoch {epoch}; stored: {self.epochs}")
        self.index = self.epochs.index(epoch)
        return self.index

    def _network(self, index):
        p = self.checkpoints[index]
        dense1 = dense_layer(np.array(p["w1"]), np.array([p["b1"]]))
        dense2 = dense_layer(np.array(p["w2"]), np.array([p["b2"]]))
        return dense1, ReLU(), dense2, SoftMaxCategoricalCrossEntropy()

    def predict(self, points, index=None):
        """Predicted classes of ``points`` (n, 2) at checkpoint ``index`` (default: shown one)."""
        dense1, relu, dense2, _ = self._network(self.index if index is None else index)
        dense1.forward(np.asarray(points, dtype=np.float64))
        relu.forward(dense1.output)
        dense2.forward(relu.output)
        return np.argmax(dense2.output, axis=1)

    def evaluate(self, index=None):
        """``{"train_loss", "train_accuracy", "test_loss", "test_accuracy"}`` by the engine."""
        dense1, relu, dense2, loss_activation = self._network(
            self.index if index is None else index
        )
        result = {}
        for name, points, labels in (
            ("train", self.train_points, self.train_labels),
            ("test", self.test_points, self.test_labels),
        ):
            dense1.forward(np.array(points))
            relu.forward(dense1.output)
            dense2.forward(relu.output)
            labels = np.array(labels)
            loss = loss_activation.forward(dense2.output, labels)
            accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == labels)
            result[f"{name}_loss"] = float(loss)
            result[f"{name}_accuracy"] = float(accuracy)
        return result
