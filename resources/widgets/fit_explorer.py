"""The fit explorer (chapter 17): slide through training and watch the fitted curve.

The chapter's training loops store each network's predictions at a few checkpoint epochs
(computed by the engine); the explorer keeps them for a subset of the points and the browser
(``fit_explorer.js``) draws them over the targets and measures them. ``scores(run, epoch)``
measures the same stored numbers with the engine (``MeanSquaredError``, and the regression
accuracy, the share within ``precision``): the reference the tests hold the browser to.
"""

import anywidget
import numpy as np
import traitlets

from resources.classes import MeanSquaredError
from resources.widgets.prelude import css, esm


class FitExplorer(anywidget.AnyWidget):
    """Targets ``y`` at inputs ``x`` (both (n,)); per run, predictions (n,) at some epochs.

    ``runs``: a list of ``(name, epochs, predictions)`` with ``predictions`` shaped
    (len(epochs), n); ``precision``: the tolerance of the accuracy (``std(y) / 250`` in the
    chapter). The slider moves over every epoch that any run has.
    """

    _esm = esm("fit_explorer.js")
    _css = css("fit_explorer.css")

    x = traitlets.List().tag(sync=True)
    targets = traitlets.List().tag(sync=True)
    runs = traitlets.List().tag(sync=True)
    epochs = traitlets.List().tag(sync=True)
    precision = traitlets.Float(0.0).tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)

    def __init__(self, x, y, runs, precision, digits=5):
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if x.shape != y.shape or x.size == 0:
            raise ValueError(f"x and y must be the same non-empty length, got {x.shape}, {y.shape}")
        if not (isinstance(precision, (int, float)) and precision > 0):
            raise ValueError(f"precision must be a positive number, got {precision!r}")
        stored, all_epochs = [], set()
        for name, epochs, predictions in runs:
            predictions = np.asarray(predictions, dtype=float)
            if predictions.shape != (len(epochs), len(x)):
                raise ValueError(
                    f"run {name!r}: predictions must have shape (epochs, points) = "
                    f"{(len(epochs), len(x))}, got {predictions.shape}"
                )
            stored.append(
                {
                    "name": str(name),
                    "epochs": [int(e) for e in epochs],
                    "predictions": np.round(predictions, digits).tolist(),
                }
            )
            all_epochs.update(int(e) for e in epochs)
        epochs = sorted(all_epochs)
        super().__init__(
            x=np.round(x, digits).tolist(),
            targets=np.round(y, digits).tolist(),
            runs=stored,
            epochs=epochs,
            precision=float(precision),
            epoch=epochs[-1],
        )

    @traitlets.validate("epoch")
    def _check_epoch(self, proposal):
        if proposal["value"] not in self.epochs:
            raise traitlets.TraitError(f"no checkpoint at epoch {proposal['value']}")
        return proposal["value"]

    def scores(self, run, epoch):
        """``(mean squared error, accuracy)`` of run number ``run`` at ``epoch``, by the engine;
        ``None`` if that run has no checkpoint there."""
        stored = self.runs[run]
        if epoch not in stored["epochs"]:
            return None
        predictions = np.array(stored["predictions"][stored["epochs"].index(epoch)])
        targets = np.array(self.targets)
        loss = MeanSquaredError().calculate(predictions[:, None], targets[:, None])
        accuracy = np.mean(np.absolute(predictions - targets) < self.precision)
        return float(loss), float(accuracy)
