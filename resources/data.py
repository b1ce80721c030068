"""Preparing data before it meets a network: splitting it and scaling it.

* ``split_dataset(X, y, fractions)`` shuffles the samples once and cuts them into consecutive
  parts (for example training, validation and test data), chapter 12.
* ``RangeScaler`` learns each feature's minimum and maximum from the training data and maps
  any data with that same rule onto a target range such as ``[-1, 1]``, chapter 13.
* ``rotate(points, angles)`` turns 2-D points about the origin, the augmentation of chapter 13.
* ``spiral_bayes_classes(X)`` and ``noise_ceiling(samples)``: the best possible guess for a
  point of ``nnfs.datasets.spiral_data`` (three classes), and the accuracy that guess reaches,
  estimated by Monte Carlo with its standard error: the ceiling of chapters 11-13.

Shapes follow the engine: ``X`` is (n_samples, n_features), ``y`` is (n_samples,) or
(n_samples, n_classes).
"""

import numbers

import numpy as np

__all__ = ["split_dataset", "RangeScaler", "rotate", "spiral_bayes_classes", "noise_ceiling"]


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


# spiral_data (nnfs.datasets) draws class c's points at radii r = linspace(0, 1, samples) and
# angle parameters t = 4 c + 4 r + 0.2 randn, placed at (r sin 2.5 t, r cos 2.5 t). So at a
# radius r the arm of class c sits at the angle 10 c + 10 r, with Gaussian noise of standard
# deviation 2.5 * 0.2 = 0.5 radians; the radius itself carries no noise.
SPIRAL_ANGLE_NOISE = 2.5 * 0.2


def spiral_bayes_classes(X, classes=3):
    """The most probable class of each point (n, 2) under ``spiral_data``'s own process.

    The radius ``r = |x|`` is exact, so only the angle tells the classes apart: class ``c``
    puts the point at angle ``10 c + 10 r`` plus normal noise (standard deviation 0.5 rad),
    taken modulo ``2 pi``. Every class has the same share of points at every radius, so the
    best guess is the class whose wrapped normal density is largest at the observed angle.
    Returns (n,) integer classes.
    """
    X = _features(X, "X")
    if X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 2:
        raise ValueError(f"classes must be an integer of at least 2, got {classes!r}")
    X = X.astype(np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0: the origin has no angle
    radius = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 0], X[:, 1])  # the point is (r sin a, r cos a)
    centres = 10 * np.arange(classes) + 10 * radius[:, None]  # (n, classes)
    offset = (angle[:, None] - centres + np.pi) % (2 * np.pi) - np.pi  # in [-pi, pi)
    wraps = 2 * np.pi * np.arange(-2, 3)  # the noise (0.5 rad) never wraps further
    distance = offset[:, :, None] + wraps
    density = np.exp(-(distance**2) / (2 * SPIRAL_ANGLE_NOISE**2)).sum(axis=2)
    return np.argmax(density, axis=1)


def noise_ceiling(samples=100, classes=3, draws=200, seed=0):
    """Monte Carlo estimate of the best accuracy any model can reach on ``spiral_data``.

    Draws ``draws`` data sets ``spiral_data(samples, classes)`` (the package's own function,
    from a generator seeded with ``seed``; NumPy's global random state is restored afterwards,
    so a chapter's random stream is untouched), labels every point with
    ``spiral_bayes_classes`` and counts the hits. Returns ``(accuracy, standard_error)``, the
    standard error being the binomial ``sqrt(a (1 - a) / n)`` over all ``n`` points drawn.
    """
    from nnfs.datasets import spiral_data

    for name, value, low in (("samples", samples, 2), ("draws", draws, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer of at least {low}, got {value!r}")
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        hits = total = 0
        for _ in range(draws):
            X, y = spiral_data(samples=samples, classes=classes)
            hits += int(np.sum(spiral_bayes_classes(X, classes) == y))
            total += len(y)
    finally:
        np.random.set_state(state)
    accuracy = hits / total
    return accuracy, float(np.sqrt(accuracy * (1 - accuracy) / total))
