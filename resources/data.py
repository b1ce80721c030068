"""Preparing data before it meets a network: splitting it and scaling it.

* ``split_dataset(X, y, fractions)`` shuffles the samples once and cuts them into consecutive
  parts (for example training, validation and test data), chapter 12.
* ``RangeScaler`` learns each feature's minimum and maximum from the training data and maps
  any data with that same rule onto a target range such as ``[-1, 1]``, chapter 13.
* ``rotate(points, angles)`` turns 2-D points about the origin, the augmentation of chapter 13.

Shapes follow the engine: ``X`` is (n_samples, n_features), ``y`` is (n_samples,) or
(n_samples, n_classes).
"""

import numbers

import numpy as np

__all__ = ["split_dataset", "RangeScaler", "rotate"]


def _features(X, name):
    array = np.asarray(X)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D, shape (n_samples, n_features), got {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}): need at least one sample")
    return array


def split_dataset(X, y, fractions, seed=None):
    """Shuffle ``(X, y)`` once, then cut it into parts of the given ``fractions``.

    ``fractions`` are positive and sum to 1, e.g. ``(0.6, 0.2, 0.2)``. Part ``i`` gets
    ``round(cumulative fraction * n)`` minus what the earlier parts took, so no sample is lost
    or used twice. The shuffle uses ``np.random.permutation`` (the global random state, which
    ``nnfs.init()`` seeds) unless an integer ``seed`` is given, which uses its own generator.

    Returns a list ``[(X_0, y_0), (X_1, y_1), ...]``, one pair per fraction.
    """
    X = _features(X, "X")
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must hold one label (or one-hot row) per sample: X has {X.shape[0]} samples, "
            f"y has shape {y.shape}"
        )
    try:
        fractions = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"fractions must be numbers, got {fractions!r}") from error
    if fractions.ndim != 1 or fractions.size == 0:
        raise ValueError("fractions must be a flat sequence such as (0.6, 0.2, 0.2)")
    if np.any(fractions <= 0) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"fractions must be positive and sum to 1, got {fractions.tolist()}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer or None, got {seed!r}")

    n_samples = X.shape[0]
    if seed is None:
        order = np.random.permutation(n_samples)
    else:
        order = np.random.default_rng(seed).permutation(n_samples)
    ends = np.round(np.cumsum(fractions) * n_samples).astype(int)
    ends[-1] = n_samples
    starts = np.concatenate([[0], ends[:-1]])
    if np.any(ends <= starts):
        raise ValueError(
            f"{n_samples} samples are too few for the fractions {fractions.tolist()}: "
            "some part would be empty"
        )
    return [(X[order[a:b]], y[order[a:b]]) for a, b in zip(starts, ends, strict=True)]


class RangeScaler:
    """Map every feature linearly onto ``[low, high]`` using the training data's range.

    ``fit(X_train)`` remembers each column's minimum and maximum; ``transform(X)`` applies
    ``low + (high - low) * (X - minimum) / (maximum - minimum)`` to any data with the same
    columns. Data outside the training range lands outside ``[low, high]``, as it should: the
    rule is learned once, from training data only. A column that is constant in the training
    data is mapped to the middle of the range.

    Shapes: ``minimum`` and ``maximum`` are (1, n_features).
    """

    def __init__(self, low=-1.0, high=1.0):
        if not isinstance(low, numbers.Real) or not isinstance(high, numbers.Real):
            raise TypeError(f"low and high must be numbers, got {low!r} and {high!r}")
        if not low < high:
            raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
        self.low = low
        self.high = high
        self.minimum = None
        self.maximum = None

    def fit(self, X):
        X = _features(X, "RangeScaler.fit data")
        self.minimum = X.min(axis=0, keepdims=True)
        self.maximum = X.max(axis=0, keepdims=True)
        return self

    def transform(self, X):
        if self.minimum is None:
            raise ValueError("RangeScaler.transform() was called before fit()")
        X = _features(X, "RangeScaler.transform data")
        if X.shape[1] != self.minimum.shape[1]:
            raise ValueError(
                f"the scaler was fitted on {self.minimum.shape[1]} features, got shape {X.shape}"
            )
        span = self.maximum - self.minimum
        constant = span == 0
        unit = (X - self.minimum) / np.where(constant, 1, span)
        unit = np.where(constant, 0.5, unit)
        return self.low + (self.high - self.low) * unit

    def fit_transform(self, X):
        return self.fit(X).transform(X)


def rotate(points, angles):
    """Rotate each 2-D point about the origin by its own angle (radians, counter-clockwise).

    ``points`` is (n, 2), ``angles`` is (n,) or a single number; returns (n, 2):
    ``x1' = cos(a) x1 - sin(a) x2`` and ``x2' = sin(a) x1 + cos(a) x2``.
    """
    points = _features(points, "points")
    if points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {points.shape}")
    angles = np.asarray(angles)
    if not np.issubdtype(angles.dtype, np.number):
        raise TypeError(f"angles must be numbers, got dtype {angles.dtype}")
    angles = np.broadcast_to(angles, (points.shape[0],)) if angles.ndim == 0 else angles
    if angles.shape != (points.shape[0],):
        raise ValueError(f"need one angle per point ({points.shape[0]}), got {angles.shape}")
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = points[:, 0], points[:, 1]
    return np.column_stack([cos * x1 - sin * x2, sin * x1 + cos * x2])
