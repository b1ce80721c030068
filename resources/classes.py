"""The book's neural-network engine, written with NumPy only.

Every piece follows the same conventions:

* ``forward(inputs)`` remembers what the backward pass needs and sets ``self.output``;
* ``backward(dvalues)`` receives the gradient of the loss with respect to ``self.output``
  and sets ``self.dinputs`` (a layer also sets ``self.dweights`` and ``self.dbiases``).

A batch is a 2-D array of shape ``(n_samples, n_features)``: one row per sample.
Labels are either sparse, shape ``(n_samples,)`` with integer class indices, or one-hot,
shape ``(n_samples, n_classes)``.

Bad input raises a ``ValueError`` or ``TypeError`` that names what was expected and what
arrived, instead of a broadcasting error from deep inside NumPy.
"""

import numbers

import numpy as np

__all__ = [
    "DenseLayer",
    "ReLU",
    "SoftMax",
    "Loss",
    "CategoricalCrossEntropy",
    "SoftMaxCategoricalCrossEntropy",
    "SGD",
    "AdaGrad",
    "RMSProp",
    "Adam",
]


# ---------------------------------------------------------------------------
# Input checks shared by every class
# ---------------------------------------------------------------------------
#
# The checks run on every call, thousands of times in a training loop, so the usual case (a
# float array of the right shape) is recognised with a few cheap attribute look-ups, and the
# slower conversions and messages only run when something is unusual.


def _as_batch(values, name, width=None, check_nan=True):
    """Return ``values`` as a 2-D float array ``(n_samples, width)``, or raise a clear error.

    ``check_nan=False`` leaves the search for NaN to the caller, who may know a cheaper place.
    """
    if type(values) is not np.ndarray or values.dtype.kind != "f":
        values = _to_float_array(values, name)
    if values.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, shape (n_samples, n_features), got shape {values.shape}"
        )
    if values.shape[0] == 0:
        raise ValueError(
            f"{name} is an empty batch (shape {values.shape}): need at least one sample"
        )
    if width is not None and values.shape[1] != width:
        raise ValueError(
            f"{name} must have {width} columns (one per input), got shape {values.shape}"
        )
    if check_nan:
        _refuse_nan(values, name)
    return values


def _refuse_nan(values, name):
    if np.isnan(values).any():
        count = int(np.isnan(values).sum())
        raise ValueError(
            f"{name} must be numbers, not NaN: got {count} NaN of {values.size} values"
        )


def _to_float_array(values, name):
    """Convert lists, integer and boolean arrays to floats; refuse anything else."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind not in "biu":
        raise TypeError(f"{name} must be numbers, got an array of dtype {array.dtype}")
    return array.astype(np.float64)


def _check_gradient(dvalues, expected_shape, owner):
    """Return ``dvalues`` as an array of ``expected_shape`` (the shape of the forward output)."""
    if expected_shape is None:
        raise ValueError(f"{owner}.backward() was called before {owner}.forward()")
    if type(dvalues) is not np.ndarray or dvalues.dtype.kind != "f":
        dvalues = np.asarray(dvalues)
        if dvalues.dtype.kind not in "biuf":
            raise TypeError(
                f"{owner}.backward() needs numeric gradients, got dtype {dvalues.dtype}"
            )
    if dvalues.shape != expected_shape:
        raise ValueError(
            f"{owner}.backward() needs gradients shaped like the forward output "
            f"{expected_shape}, got shape {dvalues.shape}"
        )
    return dvalues


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _sparse_labels(y_true, n_samples, n_classes):
    """Return class indices ``(n_samples,)`` from sparse or one-hot labels, checking both."""
    labels = y_true if type(y_true) is np.ndarray else np.asarray(y_true)
    if labels.ndim == 2:
        return _one_hot_to_sparse(labels, n_samples, n_classes)
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be 1-D class indices or 2-D one-hot rows, got shape {labels.shape}"
        )
    if labels.dtype.kind not in "biu":
        raise TypeError(f"class indices must be integers, got dtype {labels.dtype}")
    if labels.dtype.kind == "b":  # True/False as classes 1/0, not as a mask when indexing
        labels = labels.astype(np.intp)
    if labels.shape[0] != n_samples:
        raise ValueError(f"got {labels.shape[0]} labels for {n_samples} samples")
    # Unsigned integers (spiral_data's uint8 labels) cannot be negative: one check is enough.
    if labels.max() >= n_classes or (labels.dtype.kind == "i" and labels.min() < 0):
        raise ValueError(
            f"class indices must lie in [0, {n_classes - 1}], "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


def _one_hot_to_sparse(labels, n_samples, n_classes):
    if labels.shape != (n_samples, n_classes):
        raise ValueError(
            f"one-hot labels must have shape (n_samples, n_classes) = "
            f"{(n_samples, n_classes)}, got {labels.shape}"
        )
    if not np.all((labels == 0) | (labels == 1)) or not np.all(labels.sum(axis=1) == 1):
        raise ValueError("one-hot labels must hold exactly one 1 per row and 0 elsewhere")
    return labels.argmax(axis=1)


def _float64(array):
    """A float64 copy of a float32 array, for the matrix products below; others as they are."""
    return array.astype(np.float64) if array.dtype == np.float32 else array


def _dot(a, b, a64, b64):
    """The matrix product ``a @ b``, with its sums accumulated in float64.

    ``nnfs.init()`` makes arrays float32 and patches ``np.dot`` to multiply in float64 and
    round the result back to float32, so that results do not depend on the order in which a
    CPU adds up a long sum. We do the same here directly, whether or not ``nnfs.init()`` was
    called: float32 in, float32 out. The caller passes ``a64`` and ``b64``, the factors as
    ``_float64`` returns them, so that an array used in two products is converted only once.
    """
    product = a64 @ b64
    if a.dtype == np.float32 and b.dtype == np.float32:
        return product.astype(np.float32)
    return product


def _shape(output):
    return None if output is None else output.shape


# NumPy reduces a 2-D array along axis 1 one row at a time; with rows as short as a handful of
# classes (3 for the spiral data) that per-row overhead is most of the work. For fewer than 8
# columns, these two helpers go through the columns instead, a few whole-column operations.
# The results are the same: NumPy, too, adds up rows shorter than 8 numbers from left to right
# (longer rows it adds pairwise, in its own order, so for them we let NumPy do it).
FEW_COLUMNS = 8


def _row_max(values):
    """``values.max(axis=1)`` (NaN if a row holds a NaN)."""
    n_columns = values.shape[1]
    if n_columns == 1 or n_columns >= FEW_COLUMNS:
        return values.max(axis=1)
    row_max = np.maximum(values[:, 0], values[:, 1])
    for column in range(2, n_columns):
        np.maximum(row_max, values[:, column], out=row_max)
    return row_max


def _row_sum(values):
    """``values.sum(axis=1)``, with the same rounding."""
    n_columns = values.shape[1]
    if n_columns == 1 or n_columns >= FEW_COLUMNS:
        return values.sum(axis=1)
    row_sum = values[:, 0] + values[:, 1]
    for column in range(2, n_columns):
        row_sum += values[:, column]
    return row_sum


# ---------------------------------------------------------------------------
# Layers and activations
# ---------------------------------------------------------------------------


class DenseLayer:
    """A fully connected layer: ``output = inputs @ weights + biases``.

    Shapes: ``weights`` (n_inputs, n_neurons), ``biases`` (1, n_neurons),
    ``inputs`` (n_samples, n_inputs), ``output`` (n_samples, n_neurons).
    """

    def __init__(self, n_inputs, n_neurons):
        n_inputs = _positive_int(n_inputs, "n_inputs")
        n_neurons = _positive_int(n_neurons, "n_neurons")
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.output = None

    def forward(self, inputs):
        # weights and biases may have been replaced: NumPy would broadcast wrong shapes silently
        if self.weights.ndim != 2 or np.shape(self.biases) != (1, self.weights.shape[1]):
            raise ValueError(
                "DenseLayer needs weights of shape (n_inputs, n_neurons) and biases of shape "
                f"(1, n_neurons), got {self.weights.shape} and {np.shape(self.biases)}"
            )
        self.inputs = _as_batch(
            inputs, "DenseLayer inputs", width=self.weights.shape[0], check_nan=False
        )
        inputs64, weights64 = _float64(self.inputs), _float64(self.weights)
        self.output = _dot(self.inputs, self.weights, inputs64, weights64) + self.biases
        # A NaN anywhere in a sample's inputs makes that sample's whole output row NaN, so it
        # is enough to search the smaller of the two arrays (the message counts the inputs').
        smaller = self.inputs if self.inputs.size <= self.output.size else self.output
        if np.isnan(smaller).any():
            _refuse_nan(self.inputs, "DenseLayer inputs")

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "DenseLayer")
        dvalues64 = _float64(dvalues)  # converted once, used in both products
        weights64 = _float64(self.weights)
        # (n_inputs, n_neurons), (1, n_neurons) and (n_samples, n_inputs):
        self.dweights = _dot(self.inputs.T, dvalues, _float64(self.inputs.T), dvalues64)
        self.dbiases = dvalues.sum(axis=0, keepdims=True)  # (the method is faster than np.sum)
        self.dinputs = _dot(dvalues, self.weights.T, dvalues64, weights64.T)


class ReLU:
    """Rectified linear unit, element by element: ``output = max(0, inputs)``."""

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        self.inputs = _as_batch(inputs, "ReLU inputs")
        self.output = np.maximum(self.inputs, 0)

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "ReLU")
        # The slope is 1 where the input was positive and 0 elsewhere (0 at exactly 0, too).
        # Multiplying by the True/False mask is the fastest way to apply it; adding 0
        # turns the -0.0 that a negative gradient times False gives into a plain 0.0.
        self.dinputs = dvalues * (self.inputs > 0)
        self.dinputs += 0


class SoftMax:
    """Turns each row of scores into probabilities that are positive and sum to 1.

    Shapes: ``inputs`` and ``output`` are both (n_samples, n_classes).
    """

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        inputs = _as_batch(inputs, "SoftMax inputs", check_nan=False)
        # Subtracting each row's maximum changes nothing mathematically and keeps exp finite.
        row_max = _row_max(inputs)
        if np.isnan(row_max).any():  # the maximum of a row with a NaN in it is NaN
            _refuse_nan(inputs, "SoftMax inputs")
        exponentials = np.exp(inputs - row_max[:, np.newaxis])
        exponentials /= _row_sum(exponentials)[:, np.newaxis]
        self.output = exponentials

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "SoftMax")
        # Row by row this is the Jacobian product (diag(s) - s s^T) @ dvalues,
        # written without building the (n_classes, n_classes) matrix.
        s = self.output
        self.dinputs = s * (dvalues - np.sum(dvalues * s, axis=1, keepdims=True))


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


class Loss:
    """Base class of the losses: ``calculate`` averages the per-sample losses of ``forward``."""

    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        return np.mean(sample_losses)


class CategoricalCrossEntropy(Loss):
    """Cross-entropy ``-log(p of the correct class)`` for predicted probabilities.

    Shapes: ``y_pred`` (n_samples, n_classes); ``y_true`` sparse (n_samples,) or
    one-hot (n_samples, n_classes); the per-sample losses are (n_samples,).
    """

    CLIP = 1e-7

    def forward(self, y_pred, y_true):
        y_pred = _as_batch(y_pred, "predicted probabilities", check_nan=False)
        # Written with `not` so that NaN, for which every comparison is False, is refused too.
        if not (y_pred.min() >= 0 and y_pred.max() <= 1):
            _refuse_nan(y_pred, "predicted probabilities")
            raise ValueError("predicted probabilities must lie in [0, 1]")
        labels = _sparse_labels(y_true, *y_pred.shape)
        return self._sample_losses(y_pred, labels)

    def _sample_losses(self, y_pred, labels):
        """``-log`` of each sample's probability for its correct class (inputs checked)."""
        # Clipping keeps log() finite when a probability is exactly 0 (and symmetric at 1).
        # Only the correct class's probability enters the loss, so pick it first, then clip.
        correct_confidences = y_pred[np.arange(len(y_pred)), labels]
        return -np.log(correct_confidences.clip(self.CLIP, 1 - self.CLIP))

    def backward(self, dvalues, y_true):
        dvalues = _as_batch(dvalues, "predicted probabilities")
        n_samples, n_classes = dvalues.shape
        labels = _sparse_labels(y_true, n_samples, n_classes)
        one_hot = np.eye(n_classes, dtype=dvalues.dtype)[labels]
        # d(-log p_k)/dp = -y/p; dividing by n makes it the gradient of the mean loss.
        self.dinputs = -one_hot / np.clip(dvalues, self.CLIP, None) / n_samples


class SoftMaxCategoricalCrossEntropy:
    """Softmax followed by cross-entropy, with the short combined gradient ``(s - y) / n``.

    Shapes: ``inputs`` (n_samples, n_classes) scores; ``output`` the softmax probabilities.
    """

    def __init__(self):
        self.activation = SoftMax()
        self.loss = CategoricalCrossEntropy()
        self.output = None

    def forward(self, inputs, y_true):
        """Return the mean loss over the batch and set ``self.output`` to the probabilities."""
        self.activation.forward(inputs)
        self.output = self.activation.output
        labels = _sparse_labels(y_true, *self.output.shape)
        # The probabilities come straight from our softmax: the loss need not check them.
        sample_losses = self.loss._sample_losses(self.output, labels)
        # The mean, computed as np.mean computes it (same result), minus np.mean's overhead.
        return sample_losses.sum() / len(sample_losses)

    def backward(self, dvalues, y_true):
        dvalues = _check_gradient(dvalues, _shape(self.output), "SoftMaxCategoricalCrossEntropy")
        n_samples, n_classes = dvalues.shape
        labels = _sparse_labels(y_true, n_samples, n_classes)
        # A float copy: integer dvalues (e.g. one-hot-like lists) must not make the divide fail.
        if dvalues.dtype.kind == "f":
            self.dinputs = dvalues.copy()
        else:
            self.dinputs = dvalues.astype(np.result_type(dvalues.dtype, np.float32))
        self.dinputs[np.arange(n_samples), labels] -= 1
        self.dinputs /= n_samples


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------
#
# Each optimizer changes a layer's parameters *in place* (``+=``, ``*=``): the arrays keep
# their identity and no new arrays are allocated, which matters when a training loop calls
# ``update_params`` tens of thousands of times.


def _hyperparameter(value, name, low, high=None, low_open=False):
    """Return ``value`` as a float if it lies in its allowed range, or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    below = value <= low if low_open else value < low
    above = high is not None and value >= high
    if below or above or np.isnan(value):
        interval = f"{'(' if low_open else '['}{low}, {'inf' if high is None else high})"
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return value


def _check_layer(layer):
    """Refuse a layer without gradients, or with parameters and gradients that do not match.

    The updates change ``weights`` and ``biases`` in place, so both must be float arrays, and
    each gradient must have its parameter's shape (NumPy would otherwise broadcast a gradient
    of the wrong shape into a wrong update without a word).
    """
    if not hasattr(layer, "weights"):
        raise TypeError(f"update_params needs a layer with weights, got {type(layer).__name__}")
    if not hasattr(layer, "dweights"):
        raise ValueError("update_params(layer) needs layer.backward() to have run first")
    for name in ("weights", "biases"):
        parameter, gradient = getattr(layer, name), getattr(layer, "d" + name)
        if type(parameter) is not np.ndarray or parameter.dtype.kind != "f":
            raise TypeError(
                f"layer.{name} must be a float array (the update changes it in place), "
                f"got {type(parameter).__name__} of dtype {np.asarray(parameter).dtype}"
            )
        if type(gradient) is not np.ndarray or gradient.dtype.kind not in "iuf":
            raise TypeError(
                f"layer.d{name} must be a numeric array, "
                f"got {type(gradient).__name__} of dtype {np.asarray(gradient).dtype}"
            )
        if gradient.shape != parameter.shape:
            raise ValueError(
                f"layer.d{name} must have the shape of layer.{name}, {parameter.shape}, "
                f"got {gradient.shape}"
            )


class Optimizer:
    """Shared learning-rate schedule: ``lr = learning_rate / (1 + decay * iterations)``.

    Call ``pre_update_params()`` once, ``update_params(layer)`` for every layer, then
    ``post_update_params()`` once per training step.
    """

    def __init__(self, learning_rate, decay=0.0):
        self.learning_rate = _hyperparameter(learning_rate, "learning_rate", 0, low_open=True)
        self.decay = _hyperparameter(decay, "decay", 0)
        self.current_learning_rate = self.learning_rate
        self.iterations = 0

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)

    def post_update_params(self):
        self.iterations += 1


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    Plain: ``parameter += -lr * gradient``. With momentum each layer remembers its last
    update ``u`` (``weight_momentums``, ``bias_momentums``) and steps by
    ``u = momentum * u - lr * gradient``.
    """

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        super().__init__(learning_rate, decay)
        self.momentum = _hyperparameter(momentum, "momentum", 0, 1)

    def update_params(self, layer):
        _check_layer(layer)
        lr = self.current_learning_rate
        if not self.momentum:
            layer.weights += -lr * layer.dweights
            layer.biases += -lr * layer.dbiases
            return
        if not hasattr(layer, "weight_momentums"):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
        layer.weight_momentums = self.momentum * layer.weight_momentums - lr * layer.dweights
        layer.bias_momentums = self.momentum * layer.bias_momentums - lr * layer.dbiases
        layer.weights += layer.weight_momentums
        layer.biases += layer.bias_momentums


class AdaGrad(Optimizer):
    """Per-parameter step sizes from the running sum of squared gradients.

    ``cache += gradient**2``; ``parameter += -lr * gradient / (sqrt(cache) + epsilon)``.
    """

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = _hyperparameter(epsilon, "epsilon", 0, low_open=True)

    def update_params(self, layer):
        _check_layer(layer)
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        self._step(layer.weights, layer.dweights, layer.weight_cache)
        self._step(layer.biases, layer.dbiases, layer.bias_cache)

    def _step(self, parameter, gradient, cache):
        """Update one parameter array and its cache, both in place."""
        cache += gradient**2
        parameter += -self.current_learning_rate * gradient / (np.sqrt(cache) + self.epsilon)


class RMSProp(Optimizer):
    """Like AdaGrad, but the cache is a moving average of squared gradients.

    ``cache = rho * cache + (1 - rho) * gradient**2``;
    ``parameter += -lr * gradient / (sqrt(cache) + epsilon)``.
    """

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay)
        self.epsilon = _hyperparameter(epsilon, "epsilon", 0, low_open=True)
        self.rho = _hyperparameter(rho, "rho", 0, 1)

    def update_params(self, layer):
        _check_layer(layer)
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        self._step(layer.weights, layer.dweights, layer.weight_cache)
        self._step(layer.biases, layer.dbiases, layer.bias_cache)

    def _step(self, parameter, gradient, cache):
        """Update one parameter array and its cache, both in place."""
        cache *= self.rho
        cache += (1 - self.rho) * gradient**2
        parameter += -self.current_learning_rate * gradient / (np.sqrt(cache) + self.epsilon)


class Adam(Optimizer):
    """Momentum plus RMSProp's cache, both corrected for starting at zero.

    With ``t = iterations + 1``:
    ``m = beta_1 * m + (1 - beta_1) * gradient``, ``v = beta_2 * v + (1 - beta_2) * gradient**2``,
    ``m_hat = m / (1 - beta_1**t)``, ``v_hat = v / (1 - beta_2**t)``,
    ``parameter += -lr * m_hat / (sqrt(v_hat) + epsilon)``.
    The layer keeps ``m`` in ``weight_momentums``/``bias_momentums`` and ``v`` in
    ``weight_cache``/``bias_cache``.
    """

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay)
        self.epsilon = _hyperparameter(epsilon, "epsilon", 0, low_open=True)
        self.beta_1 = _hyperparameter(beta_1, "beta_1", 0, 1)
        self.beta_2 = _hyperparameter(beta_2, "beta_2", 0, 1)

    def update_params(self, layer):
        _check_layer(layer)
        if not hasattr(layer, "weight_cache"):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
            layer.bias_cache = np.zeros_like(layer.biases)
        self._step(layer.weights, layer.dweights, layer.weight_momentums, layer.weight_cache)
        self._step(layer.biases, layer.dbiases, layer.bias_momentums, layer.bias_cache)

    def _step(self, parameter, gradient, momentum, cache):
        """Update one parameter array, its momentum and its cache, all in place."""
        t = self.iterations + 1
        momentum *= self.beta_1
        momentum += (1 - self.beta_1) * gradient
        cache *= self.beta_2
        cache += (1 - self.beta_2) * gradient**2
        momentum_corrected = momentum / (1 - self.beta_1**t)
        cache_corrected = cache / (1 - self.beta_2**t)
        parameter += (
            -self.current_learning_rate
            * momentum_corrected
            / (np.sqrt(cache_corrected) + self.epsilon)
        )
