"""The dropout explorer of chapter 15: the trained network, whole or as one sub-network.

``DropoutExplorer`` is an anywidget. Its JavaScript (``dropout_explorer.js``) draws the
decision regions of ``DenseLayer(2, H)``, ``ReLU``, ``Dropout``, ``DenseLayer(H, 3)`` on the
validation points, either with every hidden neuron (inference, dropout off) or with the mask
``kept`` (one sub-network that training could have drawn; kept neurons are scaled by
1 / (1 - rate)). "New mask" and the rate slider draw new masks in the browser, so the
explorer also works on the static HTML page.

From Python, ``evaluate()`` measures the shown network with the book's engine
(``resources.classes``): the reference the JavaScript is tested against.
"""

import anywidget
import numpy as np
import traitlets

from resources.checks import hyperparameter
from resources.classes import ReLU, SoftMaxCategoricalCrossEntropy
from resources.training import dense_layer
from resources.widgets.prelude import css, esm


class DropoutExplorer(anywidget.AnyWidget):
    """``DropoutExplorer(dense1, dense2, X, y, rate=0.1, seed=0, decimals=6)``.

    ``dense1`` (2 -> H) and ``dense2`` (H -> 3) are trained layers; ``X`` (n, 2) and ``y``
    (class indices 0-2) the points shown. The first mask is drawn from ``seed``; parameters
    are stored rounded to ``decimals`` places (``evaluate`` uses the stored values too).
    """

    _esm = esm("dropout_explorer.js")
    _css = css("dropout_explorer.css")

    w1 = traitlets.List().tag(sync=True)
    b1 = traitlets.List().tag(sync=True)
    w2 = traitlets.List().tag(sync=True)
    b2 = traitlets.List().tag(sync=True)
    points = traitlets.List().tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    rate = traitlets.Float(0.1).tag(sync=True)
    kept = traitlets.List(traitlets.Bool()).tag(sync=True)
    dropout_on = traitlets.Bool(True).tag(sync=True)

    def __init__(self, dense1, dense2, X, y, rate=0.1, seed=0, decimals=6, **kwargs):
        w1, b1 = np.asarray(dense1.weights, float), np.asarray(dense1.biases, float)
        w2, b2 = np.asarray(dense2.weights, float), np.asarray(dense2.biases, float)
        hidden = w1.shape[1] if w1.ndim == 2 else -1
        if w1.shape != (2, hidden) or b1.shape != (1, hidden) or w2.shape != (hidden, 3):
            raise ValueError(
                "DropoutExplorer needs layers 2 -> H and H -> 3, got weights of shapes "
                f"{w1.shape} and {w2.shape}"
            )
        X, y = np.asarray(X, float), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),) or y.dtype.kind not in "iu":
            raise ValueError(
                f"points must have shape (n, 2) with n integer labels, got {X.shape} and {y.shape}"
            )
        rate = hyperparameter(rate, "rate", 0, 1)
        kept = np.random.default_rng(seed).random(hidden) < 1 - rate
        super().__init__(
            w1=np.round(w1, decimals).tolist(),
            b1=np.round(b1[0], decimals).tolist(),
            w2=np.round(w2, decimals).tolist(),
            b2=np.round(b2[0], decimals).tolist(),
            points=X.tolist(),
            labels=y.astype(int).tolist(),
            rate=rate,
            kept=kept.tolist(),
            **kwargs,
        )

    def evaluate(self, kept=None, dropout_on=None, rate=None):
        """``{"accuracy", "loss"}`` on the points, by the engine, for the shown network
        (or for the given mask ``kept``, ``dropout_on`` and ``rate``)."""
        kept = np.array(self.kept if kept is None else kept, dtype=bool)
        dropout_on = self.dropout_on if dropout_on is None else dropout_on
        rate = self.rate if rate is None else rate
        dense1 = dense_layer(np.array(self.w1), np.array([self.b1]))
        dense2 = dense_layer(np.array(self.w2), np.array([self.b2]))
        relu, loss_activation = ReLU(), SoftMaxCategoricalCrossEntropy()
        labels = np.array(self.labels)
        dense1.forward(np.array(self.points))
        relu.forward(dense1.output)
        # Dropout's forward pass with this one mask for every point: kept / (1 - rate).
        mask = kept / (1 - rate) if dropout_on else np.ones(len(kept))
        dense2.forward(relu.output * mask)
        loss = loss_activation.forward(dense2.output, labels)
        accuracy = np.mean(np.argmax(loss_activation.output, axis=1) == labels)
        return {"accuracy": float(accuracy), "loss": float(loss)}
