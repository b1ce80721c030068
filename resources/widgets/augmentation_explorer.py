"""The augmentation explorer of chapter 13: a small training set and its rotated copies.

``AugmentationExplorer`` is an anywidget. Its JavaScript (``augmentation_explorer.js``) draws
the original points (outlined) and ``copies`` rotated copies, each point of copy ``c`` turned
about the origin by ``angle_std * unit_angles[c][i]``. The unit angles are standard-normal
draws made once, here, so the browser and Python rotate by exactly the same angles; the
sliders live in the browser, so the explorer also works on the static HTML page.

From Python, ``augmented()`` builds the same training set with ``resources.data.rotate`` (the
reference the JavaScript is tested against) and ``share_beyond()`` gives the share of copies
turned by more than half the gap between the two closest spiral arms.
"""

import anywidget
import numpy as np
import traitlets

from resources.data import rotate
from resources.widgets.prelude import css, esm

# At equal radius the arms of spiral_data sit 10 rad apart per class; modulo a full turn the
# closest two are 20 - 6 pi = 1.150 rad apart.
HALF_GAP = (20 - 6 * np.pi) / 2


class AugmentationExplorer(anywidget.AnyWidget):
    """``AugmentationExplorer(X, y, max_copies=10, angle_std=0.25, copies=7, seed=13)``.

    ``X`` is (n, 2), ``y`` its n class indices (0, 1, 2). ``seed`` fixes the unit angles,
    a (max_copies, n) array of standard-normal draws from ``np.random.default_rng(seed)``.
    """

    _esm = esm("augmentation_explorer.js")
    _css = css("augmentation_explorer.css")

    points = traitlets.List().tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    unit_angles = traitlets.List().tag(sync=True)
    angle_std = traitlets.Float(0.25).tag(sync=True)
    copies = traitlets.Int(7).tag(sync=True)

    def __init__(self, X, y, max_copies=10, angle_std=0.25, copies=7, seed=13, **kwargs):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n_samples, 2), got {X.shape}")
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must be {X.shape[0]} integer class indices, got {y.shape}")
        if isinstance(max_copies, bool) or not isinstance(max_copies, int) or max_copies < 1:
            raise ValueError(f"max_copies must be a positive integer, got {max_copies!r}")
        unit_angles = np.random.default_rng(seed).standard_normal((max_copies, X.shape[0]))
        super().__init__(
            points=X.tolist(),
            labels=y.astype(int).tolist(),
            unit_angles=unit_angles.tolist(),
            angle_std=float(angle_std),
            copies=int(copies),
            **kwargs,
        )

    @traitlets.validate("angle_std")
    def _valid_std(self, proposal):
        if not proposal["value"] >= 0:
            raise traitlets.TraitError(f"angle_std must be >= 0, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("copies")
    def _valid_copies(self, proposal):
        if not 0 <= proposal["value"] <= len(self.unit_angles):
            raise traitlets.TraitError(
                f"copies must lie in [0, {len(self.unit_angles)}], got {proposal['value']}"
            )
        return proposal["value"]

    def angles(self):
        """The rotation angles in use, shape (copies, n)."""
        return self.angle_std * np.array(self.unit_angles)[: self.copies]

    def augmented(self):
        """``(X_augmented, y_augmented)``: the originals, then each rotated copy."""
        X = np.array(self.points)
        y = np.array(self.labels)
        parts = [X, *(rotate(X, a) for a in self.angles())]
        return np.concatenate(parts), np.tile(y, self.copies + 1)

    def share_beyond(self, limit=HALF_GAP):
        """Share of the rotated copies turned by more than ``limit`` radians."""
        angles = self.angles()
        return float(np.mean(np.abs(angles) > limit)) if angles.size else 0.0
