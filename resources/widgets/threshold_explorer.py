"""The threshold explorer (chapter 16): move the cut-off of a binary classifier's probability.

A sigmoid output ``p`` is the network's probability of class 1; the class it predicts is 1
where ``p > t``. The engine computes ``p`` (``threshold_explorer`` runs the network's forward
pass on a grid over the plane and on the points); the explorer stores those numbers, and the
browser (``threshold_explorer.js``) recolours the plane and counts the four outcomes for any
``t``. ``confusion(t)`` is the same count in NumPy, the reference the tests hold the browser to.
"""

import anywidget
import numpy as np
import traitlets

from resources.widgets.prelude import css, esm

T_MIN, T_MAX = 0.01, 0.99


class ThresholdExplorer(anywidget.AnyWidget):
    """Points with labels 0/1, their probabilities ``probs`` and a probability map ``grid``.

    ``grid`` (rows, columns): p at the centres of square cells covering ``extent`` x ``extent``,
    row 0 at the top. ``points`` (n, 2), ``labels`` (n,) of 0 and 1, ``probs`` (n,) in [0, 1].
    """

    _esm = esm("threshold_explorer.js")
    _css = css("threshold_explorer.css")

    grid = traitlets.List().tag(sync=True)
    extent = traitlets.List([-1.0, 1.0]).tag(sync=True)
    points = traitlets.List().tag(sync=True)
    labels = traitlets.List().tag(sync=True)
    probs = traitlets.List().tag(sync=True)
    threshold = traitlets.Float(0.5).tag(sync=True)

    def __init__(self, grid, points, labels, probs, extent=(-1.0, 1.0), threshold=0.5):
        grid = np.asarray(grid, dtype=float)
        points = np.asarray(points, dtype=float)
        labels = np.asarray(labels).reshape(-1)
        probs = np.asarray(probs, dtype=float).reshape(-1)
        if grid.ndim != 2 or grid.size == 0:
            raise ValueError(f"grid must be a 2-D array of probabilities, got shape {grid.shape}")
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), got {points.shape}")
        if labels.shape != (len(points),) or probs.shape != (len(points),):
            raise ValueError(
                f"need one label and one probability per point ({len(points)}), "
                f"got {labels.shape} and {probs.shape}"
            )
        if not np.all((labels == 0) | (labels == 1)):
            raise ValueError("labels must be 0 or 1")
        for name, values in (("grid", grid), ("probs", probs)):
            if not np.all((values >= 0) & (values <= 1)):
                raise ValueError(f"{name} must hold probabilities in [0, 1]")
        super().__init__(
            grid=np.round(grid, 4).tolist(),
            extent=[float(extent[0]), float(extent[1])],
            points=np.round(points, 4).tolist(),
            labels=[int(v) for v in labels],
            probs=probs.tolist(),
            threshold=threshold,
        )

    @traitlets.validate("threshold")
    def _check_threshold(self, proposal):
        t = proposal["value"]
        if not T_MIN <= t <= T_MAX:
            raise traitlets.TraitError(f"threshold must lie in [{T_MIN}, {T_MAX}], got {t}")
        return t

    def confusion(self, threshold=None):
        """``{"tp", "fp", "tn", "fn", "accuracy"}`` at ``threshold`` (default: the current one)."""
        t = self.threshold if threshold is None else threshold
        predicted = np.asarray(self.probs) > t
        labels = np.asarray(self.labels) == 1
        counts = {
            "tp": int(np.sum(predicted & labels)),
            "fp": int(np.sum(predicted & ~labels)),
            "tn": int(np.sum(~predicted & ~labels)),
            "fn": int(np.sum(~predicted & labels)),
        }
        counts["accuracy"] = float(np.mean(predicted == labels))
        return counts


def threshold_explorer(predict, X, y, extent=(-1.0, 1.0), cells=50):
    """A ``ThresholdExplorer`` for the network ``predict`` (inputs (n, 2) -> p (n, 1)).

    ``predict`` is called on the centres of ``cells`` x ``cells`` squares covering the plane
    and on the points ``X`` (labels ``y``).
    """
    low, high = extent
    centres = low + (np.arange(cells) + 0.5) * (high - low) / cells
    grid_x1, grid_x2 = np.meshgrid(centres, centres[::-1])  # row 0 at the top
    grid = np.asarray(predict(np.column_stack([grid_x1.ravel(), grid_x2.ravel()])))
    probs = np.asarray(predict(np.asarray(X)))
    return ThresholdExplorer(
        grid.reshape(cells, cells), X, np.asarray(y).reshape(-1), probs, extent=extent
    )
