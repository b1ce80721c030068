"""The book's neural-network engine, written with NumPy only.

Every piece follows the same conventions:

* ``forward(inputs)`` remembers what the backward pass needs and sets ``self.output``;
* ``backward(dvalues)`` receives the gradient of the loss with respect to ``self.output``
  and sets ``self.dinputs`` (a layer also sets ``self.dweights`` and ``self.dbiases``).

A batch is a 2-D array of shape ``(n_samples, n_features)``: one row per sample.
Labels are either sparse, shape ``(n_samples,)`` with integer class indices, or one-hot,
shape ``(n_samples, n_classes)``.

Bad input raises a ``ValueError`` or ``TypeError`` that names what was expected and what
arrived (the checks are in ``resources/checks.py``, one call at the top of a method).

Matrix products go through ``np.dot``, as in the NNFS book. Without ``nnfs.init()`` everything
is plain float64. After it, arrays default to float32 and ``np.dot`` sums in float64 and rounds
the result to float32: the products then depend far less on the order in which a CPU adds up
a long sum, which is what lets a chapter reproduce the book's published digits. ``exp``, ``log``
and other sums are still computed in float32, and their last digit can differ between NumPy
builds and CPUs.
"""

import numpy as np

from resources.checks import (
    as_batch,
    as_gradient,
    binary_labels,
    check_dense_parameters,
    class_indices,
    hyperparameter,
    positive_int,
    probabilities,
    regularized_layer,
    targets_like,
    trainable_layer,
)
from resources.schedules import learning_rate_schedule

__all__ = [
    "DenseLayer",
    "ReLU",
    "Dropout",
    "BatchNorm",
    "SoftMax",
    "Sigmoid",
    "Linear",
    "Loss",
    "CategoricalCrossEntropy",
    "SoftMaxCategoricalCrossEntropy",
    "BinaryCrossEntropy",
    "SigmoidBinaryCrossEntropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "SGD",
    "AdaGrad",
    "RMSProp",
    "Adam",
    "AdamW",
]


# ---------------------------------------------------------------------------
# Layers and activations
# ---------------------------------------------------------------------------


WEIGHT_INITS = ("small", "glorot", "he")


def initial_weight_std(n_inputs, n_neurons, weight_init="small", weight_scale=None):
    """The standard deviation of a new layer's weights under ``weight_init`` (see DenseLayer)."""
    if weight_init not in WEIGHT_INITS:
        raise ValueError(f"weight_init must be one of {WEIGHT_INITS}, got {weight_init!r}")
    if weight_init != "small":
        if weight_scale is not None:
            raise ValueError(
                f"weight_scale sets the spread of weight_init='small' only; got weight_scale="
                f"{weight_scale!r} with weight_init={weight_init!r}"
            )
        fan = n_inputs + n_neurons if weight_init == "glorot" else n_inputs
        return np.sqrt(2.0 / fan)
    if weight_scale is None:
        return 0.01
    return hyperparameter(weight_scale, "weight_scale", 0, low_open=True)


class DenseLayer:
    """A fully connected layer: ``output = inputs . weights + biases``.

    Shapes: ``weights`` (n_inputs, n_neurons), ``biases`` (1, n_neurons),
    ``inputs`` (n_samples, n_inputs), ``output`` (n_samples, n_neurons).

    The four regularizer strengths (chapter 14) add ``l1 * sum(|w|)`` and ``l2 * sum(w**2)``
    for the weights and for the biases to the loss (``Loss.regularization_loss``) and their
    gradients ``l1 * sign(w)`` and ``2 * l2 * w`` to ``dweights`` and ``dbiases``.

    The weights are drawn from a normal distribution with mean 0 and a standard deviation set
    by ``weight_init``: ``"small"`` (the default) uses ``weight_scale`` (0.01 unless given;
    chapter 17 shows why the scale matters), ``"glorot"`` uses ``sqrt(2 / (n_inputs +
    n_neurons))`` and ``"he"`` uses ``sqrt(2 / n_inputs)`` (part six derives both).
    """

    def __init__(
        self,
        n_inputs,
        n_neurons,
        weight_regularizer_l1=0,
        weight_regularizer_l2=0,
        bias_regularizer_l1=0,
        bias_regularizer_l2=0,
        weight_scale=None,
        weight_init="small",
    ):
        n_inputs = positive_int(n_inputs, "n_inputs")
        n_neurons = positive_int(n_neurons, "n_neurons")
        std = initial_weight_std(n_inputs, n_neurons, weight_init, weight_scale)
        self.weights = std * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = hyperparameter(
            weight_regularizer_l1, "weight_regularizer_l1", 0
        )
        self.weight_regularizer_l2 = hyperparameter(
            weight_regularizer_l2, "weight_regularizer_l2", 0
        )
        self.bias_regularizer_l1 = hyperparameter(bias_regularizer_l1, "bias_regularizer_l1", 0)
        self.bias_regularizer_l2 = hyperparameter(bias_regularizer_l2, "bias_regularizer_l2", 0)
        self.output = None

    def forward(self, inputs):
        check_dense_parameters(self.weights, self.biases)
        self.inputs = as_batch(inputs, "DenseLayer inputs", width=self.weights.shape[0])
        self.output = np.dot(self.inputs, self.weights) + self.biases

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "DenseLayer")
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        # The penalties' gradients (chapter 14). np.sign(0) is 0: a parameter at exactly 0
        # gets no L1 push (the NNFS book pushes it by +l1).
        if self.weight_regularizer_l1 > 0:
            self.dweights += self.weight_regularizer_l1 * np.sign(self.weights)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l1 > 0:
            self.dbiases += self.bias_regularizer_l1 * np.sign(self.biases)
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class ReLU:
    """Rectified linear unit, element by element: ``output = max(0, inputs)``."""

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        self.inputs = as_batch(inputs, "ReLU inputs")
        self.output = np.maximum(0, self.inputs)

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "ReLU")
        # The slope is 1 where the input was positive and 0 elsewhere (0 at exactly 0, too):
        # dvalues, with zeros where the input was not positive.
        self.dinputs = np.where(self.inputs <= 0, 0, dvalues)


class Dropout:
    """Inverted dropout (chapter 15): in training, each input is zeroed with probability
    ``rate`` and the kept ones are divided by the share kept, so the expected output is the input.

    ``self.rate`` is the share *kept*, ``1 - rate``, as in the NNFS book. A unit is kept where
    a uniform draw from NumPy's global generator is below it: for a share kept above 0.5 that
    is exactly the mask ``np.random.binomial(1, self.rate, size)`` draws.
    ``forward(inputs, training=False)`` (inference) keeps every unit, unscaled.
    Shapes: ``inputs``, ``binary_mask`` and ``output`` are all (n_samples, n_features).
    """

    def __init__(self, rate):
        self.rate = 1 - hyperparameter(rate, "Dropout rate", 0, 1)
        self.output = None

    def forward(self, inputs, training=True):
        self.inputs = as_batch(inputs, "Dropout inputs")
        if not isinstance(training, (bool, np.bool_)):
            raise TypeError(f"Dropout training must be True or False, got {training!r}")
        if training:
            self.binary_mask = (np.random.random_sample(self.inputs.shape) < self.rate) / self.rate
        else:
            self.binary_mask = np.ones_like(self.inputs)
        self.output = self.inputs * self.binary_mask

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "Dropout")
        # output = inputs * mask, so the gradient flows through the kept units, scaled alike.
        self.dinputs = dvalues * self.binary_mask


class BatchNorm:
    """Batch normalization (part six): each feature normalized over the batch, then scaled
    by ``gamma`` and shifted by ``beta``, both learned.

    In training, with ``mean`` and ``variance`` (the biased one, dividing by n) of each
    feature over the batch::

        normalized = (inputs - mean) / sqrt(variance + epsilon)
        output = gamma * normalized + beta

    and the running estimates used at inference move towards the batch's statistics:
    ``running = momentum * running + (1 - momentum) * batch statistic``. The running mean
    takes the batch mean; the running variance takes the unbiased variance,
    ``variance * n / (n - 1)``, as ``torch.nn.BatchNorm1d`` does (PyTorch's ``momentum`` is
    our ``1 - momentum``: its default 0.1 is our 0.9). They start at 0 and 1.
    ``forward(inputs, training=False)`` normalizes with ``running_mean`` and ``running_var``
    instead and changes nothing.

    Shapes: ``inputs``, ``normalized`` and ``output`` (n_samples, n_features); ``gamma``,
    ``beta``, ``running_mean`` and ``running_var`` (1, n_features).
    """

    def __init__(self, n_features, momentum=0.9, epsilon=1e-5):
        self.n_features = positive_int(n_features, "n_features")
        self.momentum = hyperparameter(momentum, "BatchNorm momentum", 0, 1)
        self.epsilon = hyperparameter(epsilon, "BatchNorm epsilon", 0, low_open=True)
        self.gamma = np.ones((1, self.n_features))
        self.beta = np.zeros((1, self.n_features))
        self.running_mean = np.zeros((1, self.n_features))
        self.running_var = np.ones((1, self.n_features))
        self.output = None

    def forward(self, inputs, training=True):
        self.inputs = as_batch(inputs, "BatchNorm inputs", width=self.n_features)
        if not np.all(np.isfinite(self.inputs)):
            raise ValueError("BatchNorm inputs must be finite numbers, got NaN or inf")
        if not isinstance(training, (bool, np.bool_)):
            raise TypeError(f"BatchNorm training must be True or False, got {training!r}")
        n = len(self.inputs)
        if training and n < 2:
            raise ValueError(
                "BatchNorm in training needs a batch of at least 2 samples (the variance of "
                "one sample is 0), got 1; use forward(inputs, training=False) for one sample"
            )
        self.training = bool(training)
        if training:
            mean = np.mean(self.inputs, axis=0, keepdims=True)
            variance = np.var(self.inputs, axis=0, keepdims=True)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * variance * n / (n - 1)
        else:
            mean, variance = self.running_mean, self.running_var
        self.std = np.sqrt(variance + self.epsilon)
        self.normalized = (self.inputs - mean) / self.std
        self.output = self.gamma * self.normalized + self.beta

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "BatchNorm")
        self.dgamma = np.sum(dvalues * self.normalized, axis=0, keepdims=True)
        self.dbeta = np.sum(dvalues, axis=0, keepdims=True)
        dnormalized = dvalues * self.gamma
        if not self.training:  # mean and std are constants: only the division remains
            self.dinputs = dnormalized / self.std
            return
        # In training the mean and the variance depend on every input of the batch too;
        # the chapter derives this compact form of their three paths.
        self.dinputs = (
            dnormalized
            - np.mean(dnormalized, axis=0, keepdims=True)
            - self.normalized * np.mean(dnormalized * self.normalized, axis=0, keepdims=True)
        ) / self.std

    # Every optimizer updates ``layer.weights`` and ``layer.biases`` from ``layer.dweights``
    # and ``layer.dbiases`` and keeps its momentums and caches on the layer. Answering to
    # those four names (gamma and beta are the weights and biases of this layer) lets SGD,
    # AdaGrad, RMSProp, Adam and AdamW train gamma and beta without a line changed in them.
    @property
    def weights(self):
        return self.gamma

    @weights.setter
    def weights(self, value):
        self.gamma = value

    @property
    def biases(self):
        return self.beta

    @biases.setter
    def biases(self, value):
        self.beta = value

    @property
    def dweights(self):
        return self.dgamma

    @property
    def dbiases(self):
        return self.dbeta


class SoftMax:
    """Turns each row of scores into probabilities that are positive and sum to 1.

    Shapes: ``inputs`` and ``output`` are both (n_samples, n_classes).
    """

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        inputs = as_batch(inputs, "SoftMax inputs")
        # Subtracting each row's maximum changes nothing mathematically and keeps exp finite.
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "SoftMax")
        # Row by row this is the Jacobian product (diag(s) - s s^T) . dvalues, written
        # without building the (n_classes, n_classes) matrix: s * dvalues - s * (s . dvalues).
        s = self.output
        self.dinputs = s * (dvalues - np.sum(dvalues * s, axis=1, keepdims=True))


class Sigmoid:
    """The logistic function, element by element: ``output = 1 / (1 + exp(-inputs))``.

    Each output lies in (0, 1): the probability of class 1 in a binary classifier (chapter 16).
    Shapes: ``inputs`` and ``output`` are both (n_samples, n_outputs).
    """

    # exp(-z) overflows float32 for z below about -88 (float64 below -709). There the output
    # is 0 to within 1e-38 anyway, so inputs are clipped to [-LIMIT, LIMIT] first.
    LIMIT = 88

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        self.inputs = as_batch(inputs, "Sigmoid inputs")
        z = np.clip(self.inputs, -self.LIMIT, self.LIMIT)
        self.output = 1 / (1 + np.exp(-z))

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "Sigmoid")
        # d sigmoid(z) / dz = sigmoid(z) * (1 - sigmoid(z)), from the stored output.
        self.dinputs = dvalues * (1 - self.output) * self.output


class Linear:
    """The identity, ``output = inputs``: the output activation of a regression (chapter 17).

    Shapes: ``inputs`` and ``output`` are both (n_samples, n_outputs).
    """

    def __init__(self):
        self.output = None

    def forward(self, inputs):
        self.inputs = as_batch(inputs, "Linear inputs")
        self.output = self.inputs

    def backward(self, dvalues):
        dvalues = as_gradient(dvalues, self.output, "Linear")
        # The derivative of the identity is 1: the gradient passes through unchanged.
        self.dinputs = dvalues.copy()


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


class Loss:
    """Base class of the losses: ``calculate`` averages the per-sample losses of ``forward``."""

    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        return np.mean(sample_losses)

    def regularization_loss(self, layer):
        """The penalty of one ``DenseLayer``: ``l1 * sum(|p|) + l2 * sum(p**2)`` over its
        weights and its biases, with the layer's four strengths (chapter 14)."""
        regularized_layer(layer)
        regularization_loss = 0
        if layer.weight_regularizer_l1 > 0:
            regularization_loss += layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))
        if layer.weight_regularizer_l2 > 0:
            regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights**2)
        if layer.bias_regularizer_l1 > 0:
            regularization_loss += layer.bias_regularizer_l1 * np.sum(np.abs(layer.biases))
        if layer.bias_regularizer_l2 > 0:
            regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases**2)
        return regularization_loss


class CategoricalCrossEntropy(Loss):
    """Cross-entropy ``-log(p of the correct class)`` for predicted probabilities.

    Shapes: ``y_pred`` (n_samples, n_classes); ``y_true`` sparse (n_samples,) or
    one-hot (n_samples, n_classes); the per-sample losses are (n_samples,).
    """

    CLIP = 1e-7

    def forward(self, y_pred, y_true):
        y_pred = probabilities(y_pred)
        labels = class_indices(y_true, *y_pred.shape)
        # Clipping keeps log() finite when a probability is exactly 0 (and symmetric at 1).
        y_pred_clipped = np.clip(y_pred, self.CLIP, 1 - self.CLIP)
        correct_confidences = y_pred_clipped[np.arange(len(y_pred)), labels]
        return -np.log(correct_confidences)

    def backward(self, dvalues, y_true):
        dvalues = probabilities(dvalues)
        n_samples, n_classes = dvalues.shape
        labels = class_indices(y_true, n_samples, n_classes)
        y_true_one_hot = np.eye(n_classes, dtype=dvalues.dtype)[labels]
        # d(-log p_k)/dp = -y/p; dividing by n makes it the gradient of the mean loss.
        self.dinputs = -y_true_one_hot / np.clip(dvalues, self.CLIP, None) / n_samples


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))``, averaged over the outputs.

    Each output is an independent yes/no probability ``p`` (a sigmoid's), each label ``y`` is
    0 or 1. Shapes: ``y_pred`` and ``y_true`` both (n_samples, n_outputs), so (n_samples, 1)
    for one output; the per-sample losses are (n_samples,).
    """

    CLIP = 1e-7

    def forward(self, y_pred, y_true):
        y_pred = probabilities(y_pred)
        y_true = binary_labels(y_true, y_pred)
        # Clipping keeps both logs finite when a probability is exactly 0 or 1.
        y_pred_clipped = np.clip(y_pred, self.CLIP, 1 - self.CLIP)
        sample_losses = -(
            y_true * np.log(y_pred_clipped) + (1 - y_true) * np.log(1 - y_pred_clipped)
        )
        return np.mean(sample_losses, axis=-1)

    def backward(self, dvalues, y_true):
        dvalues = probabilities(dvalues)
        y_true = binary_labels(y_true, dvalues)
        n_samples, n_outputs = dvalues.shape
        clipped_dvalues = np.clip(dvalues, self.CLIP, 1 - self.CLIP)
        # dL/dp = -(y / p - (1 - y) / (1 - p)), averaged over outputs, then over samples.
        self.dinputs = (
            -(y_true / clipped_dvalues - (1 - y_true) / (1 - clipped_dvalues))
            / n_outputs
            / n_samples
        )


class MeanSquaredError(Loss):
    """Squared error ``(y - y_hat)**2``, averaged over the outputs (the L2 loss, chapter 17).

    Shapes: ``y_pred`` and ``y_true`` both (n_samples, n_outputs); the per-sample losses are
    (n_samples,).
    """

    def forward(self, y_pred, y_true):
        y_pred = as_batch(y_pred, "predictions")
        y_true = targets_like(y_true, y_pred)
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        dvalues = as_batch(dvalues, "predictions")
        y_true = targets_like(y_true, dvalues)
        n_samples, n_outputs = dvalues.shape
        # d(y - y_hat)**2 / d y_hat = -2 (y - y_hat), averaged over outputs, then over samples.
        self.dinputs = -2 * (y_true - dvalues) / n_outputs / n_samples


class MeanAbsoluteError(Loss):
    """Absolute error ``|y - y_hat|``, averaged over the outputs (the L1 loss, chapter 17).

    Shapes: ``y_pred`` and ``y_true`` both (n_samples, n_outputs); the per-sample losses are
    (n_samples,).
    """

    def forward(self, y_pred, y_true):
        y_pred = as_batch(y_pred, "predictions")
        y_true = targets_like(y_true, y_pred)
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues, y_true):
        dvalues = as_batch(dvalues, "predictions")
        y_true = targets_like(y_true, dvalues)
        n_samples, n_outputs = dvalues.shape
        # d|y - y_hat| / d y_hat = -sign(y - y_hat) (0 where y_hat = y, as np.sign(0) is 0),
        # averaged over outputs, then over samples. The NNFS book drops the minus sign.
        self.dinputs = -np.sign(y_true - dvalues) / n_outputs / n_samples


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
        dvalues = as_gradient(dvalues, self.output, "SoftMaxCategoricalCrossEntropy")
        n_samples, n_classes = dvalues.shape
        labels = class_indices(y_true, n_samples, n_classes)
        self.dinputs = dvalues.copy()
        self.dinputs[np.arange(n_samples), labels] -= 1
        self.dinputs = self.dinputs / n_samples


class SigmoidBinaryCrossEntropy:
    """Sigmoid followed by binary cross-entropy, computed from the scores ``z`` (chapter 16).

    With ``p = sigmoid(z)``, the loss of one output ``-(y log p + (1 - y) log(1 - p))`` equals
    ``max(z, 0) - z * y + log(1 + exp(-|z|))``, which never overflows and needs no clipping;
    as in ``BinaryCrossEntropy`` it is averaged over the outputs of a sample, then over the
    samples. The gradient with respect to the scores is ``(p - y) / n_outputs / n_samples``.
    Shapes: ``inputs`` (n_samples, n_outputs) scores and ``y_true`` the same, 0 or 1;
    ``output`` the sigmoid probabilities, (n_samples, n_outputs).
    """

    def __init__(self):
        self.activation = Sigmoid()
        self.loss = BinaryCrossEntropy()  # for regularization_loss, as in the softmax class
        self.output = None

    def forward(self, inputs, y_true):
        """Return the mean loss over the batch and set ``self.output`` to the probabilities."""
        z = as_batch(inputs, "SigmoidBinaryCrossEntropy scores")
        y_true = binary_labels(y_true, z)
        self.activation.forward(z)
        self.output = self.activation.output
        element_losses = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
        sample_losses = np.mean(element_losses, axis=-1)
        return np.mean(sample_losses)

    def backward(self, dvalues, y_true):
        """``dvalues`` is ``self.output``, the probabilities (as in the softmax class)."""
        dvalues = as_gradient(dvalues, self.output, "SigmoidBinaryCrossEntropy")
        y_true = binary_labels(y_true, dvalues)
        n_samples, n_outputs = dvalues.shape
        # d loss / d z = (sigmoid(z) - y), averaged over outputs, then over samples.
        self.dinputs = (dvalues - y_true) / n_outputs / n_samples


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------
#
# Each optimizer changes a layer's parameters in place (``+=``); the state an optimizer keeps
# (momentums, caches) lives on the layer, under the names of the NNFS book.


class Optimizer:
    """Shared learning-rate schedule: ``lr = learning_rate / (1 + decay * iterations)``.

    Or, with ``schedule=`` (chapter 25, ``resources/schedules.py``), the rate that
    ``schedule(iterations, learning_rate)`` returns; ``decay`` and ``schedule`` are two ways
    of choosing the rate, so only one may be given.

    Call ``pre_update_params()`` once, ``update_params(layer)`` for every layer, then
    ``post_update_params()`` once per training step.
    """

    def __init__(self, learning_rate, decay=0.0, schedule=None):
        self.learning_rate = hyperparameter(learning_rate, "learning_rate", 0, low_open=True)
        self.decay = hyperparameter(decay, "decay", 0)
        self.schedule = learning_rate_schedule(schedule, self.decay)
        self.current_learning_rate = self.learning_rate
        self.iterations = 0

    def pre_update_params(self):
        if self.schedule is not None:
            self.current_learning_rate = self.schedule(self.iterations, self.learning_rate)
        elif self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)

    def post_update_params(self):
        self.iterations += 1


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    Plain: ``parameter += -lr * gradient``. With momentum each layer remembers its last
    update ``u`` (``weight_momentums``, ``bias_momentums``) and steps by
    ``u = momentum * u - lr * gradient``.
    """

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0, *, schedule=None):
        super().__init__(learning_rate, decay, schedule)
        self.momentum = hyperparameter(momentum, "momentum", 0, 1)

    def update_params(self, layer):
        trainable_layer(layer)
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

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7, *, schedule=None):
        super().__init__(learning_rate, decay, schedule)
        self.epsilon = hyperparameter(epsilon, "epsilon", 0, low_open=True)

    def update_params(self, layer):
        trainable_layer(layer)
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache = self.new_cache(layer.weight_cache, layer.dweights)
        layer.bias_cache = self.new_cache(layer.bias_cache, layer.dbiases)
        lr, epsilon = self.current_learning_rate, self.epsilon
        layer.weights += -lr * layer.dweights / (np.sqrt(layer.weight_cache) + epsilon)
        layer.biases += -lr * layer.dbiases / (np.sqrt(layer.bias_cache) + epsilon)

    def new_cache(self, cache, gradient):
        cache += gradient**2
        return cache


class RMSProp(AdaGrad):
    """AdaGrad whose cache is a moving average of squared gradients instead of their sum.

    ``cache = rho * cache + (1 - rho) * gradient**2``; the step is AdaGrad's.
    """

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9, *, schedule=None):
        super().__init__(learning_rate, decay, epsilon, schedule=schedule)
        self.rho = hyperparameter(rho, "rho", 0, 1)

    def new_cache(self, cache, gradient):
        return self.rho * cache + (1 - self.rho) * gradient**2


class Adam(Optimizer):
    """Momentum plus RMSProp's cache, both corrected for starting at zero.

    With ``t = iterations + 1``:
    ``m = beta_1 * m + (1 - beta_1) * gradient``, ``v = beta_2 * v + (1 - beta_2) * gradient**2``,
    ``m_hat = m / (1 - beta_1**t)``, ``v_hat = v / (1 - beta_2**t)``,
    ``parameter += -lr * m_hat / (sqrt(v_hat) + epsilon)``.
    The layer keeps ``m`` in ``weight_momentums``/``bias_momentums`` and ``v`` in
    ``weight_cache``/``bias_cache``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        decay=0.0,
        epsilon=1e-7,
        beta_1=0.9,
        beta_2=0.999,
        *,
        schedule=None,
    ):
        super().__init__(learning_rate, decay, schedule)
        self.epsilon = hyperparameter(epsilon, "epsilon", 0, low_open=True)
        self.beta_1 = hyperparameter(beta_1, "beta_1", 0, 1)
        self.beta_2 = hyperparameter(beta_2, "beta_2", 0, 1)

    def update_params(self, layer):
        trainable_layer(layer)
        if not hasattr(layer, "weight_cache"):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_momentums, layer.weight_cache = self.step(
            layer.weights, layer.dweights, layer.weight_momentums, layer.weight_cache
        )
        layer.bias_momentums, layer.bias_cache = self.step(
            layer.biases, layer.dbiases, layer.bias_momentums, layer.bias_cache
        )

    def step(self, parameter, gradient, m, v):
        """Update ``parameter`` in place; return its new momentum ``m`` and cache ``v``."""
        t = self.iterations + 1
        m = self.beta_1 * m + (1 - self.beta_1) * gradient
        v = self.beta_2 * v + (1 - self.beta_2) * gradient**2
        m_hat = m / (1 - self.beta_1**t)
        v_hat = v / (1 - self.beta_2**t)
        parameter += -self.current_learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
        return m, v


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``.

    Each step first shrinks every parameter, the weights ``(n_inputs, n_neurons)`` and the
    biases ``(1, n_neurons)`` alike (as PyTorch does by default), in proportion to its size:
    ``parameter -= lr * weight_decay * parameter``, with ``lr`` the current learning rate.
    Then Adam takes its step with the data gradient alone; the decay never enters ``m`` or
    ``v``. (An L2 penalty in the loss instead adds ``2 * lambda * parameter`` to the gradient,
    which Adam then divides by ``sqrt(v_hat)``: a different update.) The layer keeps Adam's
    state under Adam's names. ``weight_decay`` lies in ``[0, inf)``, with
    ``learning_rate * weight_decay < 1`` so that a step shrinks a parameter without flipping it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        decay=0.0,
        epsilon=1e-7,
        beta_1=0.9,
        beta_2=0.999,
        weight_decay=0.01,
        *,
        schedule=None,
    ):
        super().__init__(learning_rate, decay, epsilon, beta_1, beta_2, schedule=schedule)
        self.weight_decay = hyperparameter(weight_decay, "weight_decay", 0)
        if self.learning_rate * self.weight_decay >= 1:
            raise ValueError(
                "weight_decay times learning_rate must be below 1 (a step would flip the "
                f"parameters' signs), got {self.weight_decay} * {self.learning_rate}"
            )

    def step(self, parameter, gradient, m, v):
        """Decay ``parameter`` in place, then take Adam's step; return the new ``m`` and ``v``."""
        parameter -= self.current_learning_rate * self.weight_decay * parameter
        return super().step(parameter, gradient, m, v)


# ---------------------------------------------------------------------------
# The Model and the accuracy classes (chapter 18)
# ---------------------------------------------------------------------------
#
# They live in resources/model.py, which builds on the classes above. So that readers can
# import them from here like every other piece, this module hands them out on first use
# (a module-level __getattr__): no import cycle, whichever of the two modules loads first.
# The module-level __dir__ lists them, so that dir() and tab completion show them too.

_FROM_MODEL = ("Model", "Accuracy", "CategoricalAccuracy", "BinaryAccuracy", "RegressionAccuracy")
__all__.extend(_FROM_MODEL)


def __getattr__(name):
    if name in _FROM_MODEL:
        from resources import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_MODEL))
