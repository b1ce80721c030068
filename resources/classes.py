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


def _as_batch(values, name, width=None):
    """Return ``values`` as a 2-D float array ``(n_samples, width)``, or raise a clear error."""
    array = np.asarray(values)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, shape (n_samples, n_features), got shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"{name} is an empty batch (shape {array.shape}): need at least one sample"
        )
    if width is not None and array.shape[1] != width:
        raise ValueError(
            f"{name} must have {width} columns (one per input), got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if np.isnan(array).any():
        count = int(np.isnan(array).sum())
        raise ValueError(f"{name} must be numbers, not NaN: got {count} NaN of {array.size} values")
    return array


def _check_gradient(dvalues, expected_shape, owner):
    """Return ``dvalues`` as an array of ``expected_shape`` (the shape of the forward output)."""
    if expected_shape is None:
        raise ValueError(f"{owner}.backward() was called before {owner}.forward()")
    array = np.asarray(dvalues)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{owner}.backward() needs numeric gradients, got dtype {array.dtype}")
    if array.shape != expected_shape:
        raise ValueError(
            f"{owner}.backward() needs gradients shaped like the forward output "
            f"{expected_shape}, got shape {array.shape}"
        )
    return array


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _sparse_labels(y_true, n_samples, n_classes):
    """Return class indices ``(n_samples,)`` from sparse or one-hot labels, checking both."""
    labels = np.asarray(y_true)
    if labels.ndim == 2:
        if labels.shape != (n_samples, n_classes):
            raise ValueError(
                f"one-hot labels must have shape (n_samples, n_classes) = "
                f"{(n_samples, n_classes)}, got {labels.shape}"
            )
        if not np.all((labels == 0) | (labels == 1)) or not np.all(labels.sum(axis=1) == 1):
            raise ValueError("one-hot labels must hold exactly one 1 per row and 0 elsewhere")
        return labels.argmax(axis=1)
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be 1-D class indices or 2-D one-hot rows, got shape {labels.shape}"
        )
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        raise TypeError(f"class indices must be integers, got dtype {labels.dtype}")
    if labels.shape[0] != n_samples:
        raise ValueError(f"got {labels.shape[0]} labels for {n_samples} samples")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"class indices must lie in [0, {n_classes - 1}], "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


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
        self.inputs = _as_batch(inputs, "DenseLayer inputs", width=self.weights.shape[0])
        self.output = np.dot(self.inputs, self.weights) + self.biases

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "DenseLayer")
        self.dweights = np.dot(self.inputs.T, dvalues)  # (n_inputs, n_neurons)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)  # (1, n_neurons)
        self.dinputs = np.dot(dvalues, self.weights.T)  # (n_samples, n_inputs)


class ReLU:
    """Rectified linear unit, element by element: ``output = max(0, inputs)``."""

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        self.inputs = _as_batch(inputs, "ReLU inputs")
        self.output = np.maximum(0, self.inputs)

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "ReLU")
        # The slope is 1 where the input was positive and 0 elsewhere (0 at exactly 0, too).
        self.dinputs = np.where(self.inputs > 0, dvalues, 0)


class SoftMax:
    """Turns each row of scores into probabilities that are positive and sum to 1.

    Shapes: ``inputs`` and ``output`` are both (n_samples, n_classes).
    """

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        inputs = _as_batch(inputs, "SoftMax inputs")
        # Subtracting each row's maximum changes nothing mathematically and keeps exp finite.
        exponentials = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exponentials / np.sum(exponentials, axis=1, keepdims=True)

    def backward(self, dvalues):
        dvalues = _check_gradient(dvalues, _shape(self.output), "SoftMax")
        # Row by row this is the Jacobian product (diag(s) - s s^T) @ dvalues,
        # written without building the (n_classes, n_classes) matrix.
        s = self.output
        self.dinputs = s * (dvalues - np.sum(dvalues * s, axis=1, keepdims=True))


def _shape(output):
    return None if output is None else output.shape


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
        y_pred = _as_batch(y_pred, "predicted probabilities")
        if np.any(y_pred < 0) or np.any(y_pred > 1):
            raise ValueError("predicted probabilities must lie in [0, 1]")
        n_samples, n_classes = y_pred.shape
        labels = _sparse_labels(y_true, n_samples, n_classes)
        # Clipping keeps log() finite when a probability is exactly 0 (and symmetric at 1).
        clipped = np.clip(y_pred, self.CLIP, 1 - self.CLIP)
        correct_confidences = clipped[np.arange(n_samples), labels]
        return -np.log(correct_confidences)

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
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        dvalues = _check_gradient(dvalues, _shape(self.output), "SoftMaxCategoricalCrossEntropy")
        n_samples, n_classes = dvalues.shape
        labels = _sparse_labels(y_true, n_samples, n_classes)
        # A float copy: integer dvalues (e.g. one-hot-like lists) must not make the divide fail.
        self.dinputs = dvalues.astype(np.result_type(dvalues.dtype, np.float32), copy=True)
        self.dinputs[np.arange(n_samples), labels] -= 1
        self.dinputs /= n_samples


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------


class Optimizer:
    """Shared learning-rate schedule: ``lr = learning_rate / (1 + decay * iterations)``.

    Call ``pre_update_params()`` once, ``update_params(layer)`` for every layer, then
    ``post_update_params()`` once per training step.
    """

    def __init__(self, learning_rate, decay=0.0):
        if not isinstance(learning_rate, numbers.Real) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if not isinstance(decay, numbers.Real) or decay < 0:
            raise ValueError(f"decay must be a number >= 0, got {decay!r}")
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)

    def post_update_params(self):
        self.iterations += 1


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (a running sum of past steps)."""

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        super().__init__(learning_rate, decay)
        self.momentum = momentum

    def update_params(self, layer):
        if self.momentum:
            if not hasattr(layer, "weight_momentums"):
                layer.weight_momentums = np.zeros_like(layer.weights)
                layer.bias_momentums = np.zeros_like(layer.biases)
            weight_updates = (
                self.momentum * layer.weight_momentums - self.current_learning_rate * layer.dweights
            )
            bias_updates = (
                self.momentum * layer.bias_momentums - self.current_learning_rate * layer.dbiases
            )
            layer.weight_momentums = weight_updates
            layer.bias_momentums = bias_updates
        else:
            weight_updates = -self.current_learning_rate * layer.dweights
            bias_updates = -self.current_learning_rate * layer.dbiases
        layer.weights += weight_updates
        layer.biases += bias_updates


class AdaGrad(Optimizer):
    """Per-parameter step sizes: divide by the root of the running sum of squared gradients."""

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache += layer.dweights**2
        layer.bias_cache += layer.dbiases**2
        layer.weights += (
            -self.current_learning_rate
            * layer.dweights
            / (np.sqrt(layer.weight_cache) + self.epsilon)
        )
        layer.biases += (
            -self.current_learning_rate * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)
        )


class RMSProp(Optimizer):
    """Like AdaGrad, but the cache is a moving average (weight ``rho``) of squared gradients."""

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon
        self.rho = rho

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache = self.rho * layer.weight_cache + (1 - self.rho) * layer.dweights**2
        layer.bias_cache = self.rho * layer.bias_cache + (1 - self.rho) * layer.dbiases**2
        layer.weights += (
            -self.current_learning_rate
            * layer.dweights
            / (np.sqrt(layer.weight_cache) + self.epsilon)
        )
        layer.biases += (
            -self.current_learning_rate * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)
        )


class Adam(Optimizer):
    """Momentum plus RMSProp's cache, both corrected for starting at zero."""

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
            layer.bias_cache = np.zeros_like(layer.biases)
        step = self.iterations + 1
        layer.weight_momentums = (
            self.beta_1 * layer.weight_momentums + (1 - self.beta_1) * layer.dweights
        )
        layer.bias_momentums = (
            self.beta_1 * layer.bias_momentums + (1 - self.beta_1) * layer.dbiases
        )
        layer.weight_cache = (
            self.beta_2 * layer.weight_cache + (1 - self.beta_2) * layer.dweights**2
        )
        layer.bias_cache = self.beta_2 * layer.bias_cache + (1 - self.beta_2) * layer.dbiases**2
        weight_momentums_corrected = layer.weight_momentums / (1 - self.beta_1**step)
        bias_momentums_corrected = layer.bias_momentums / (1 - self.beta_1**step)
        weight_cache_corrected = layer.weight_cache / (1 - self.beta_2**step)
        bias_cache_corrected = layer.bias_cache / (1 - self.beta_2**step)
        layer.weights += (
            -self.current_learning_rate
            * weight_momentums_corrected
            / (np.sqrt(weight_cache_corrected) + self.epsilon)
        )
        layer.biases += (
            -self.current_learning_rate
            * bias_momentums_corrected
            / (np.sqrt(bias_cache_corrected) + self.epsilon)
        )
