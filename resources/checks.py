"""The engine's input checks: each one short call at the top of a method.

A method that receives data starts with one of these, e.g.
``inputs = as_batch(inputs, "DenseLayer inputs", width=n_inputs)``. Each returns the value
ready to use (a list becomes a float array) or raises a ``ValueError`` / ``TypeError`` that
says what was expected and what came, instead of a broadcasting error from deep inside NumPy
or, worse, silently wrong numbers.
"""

import numbers

import numpy as np


def as_batch(values, name, width=None):
    """``values`` as a 2-D float array ``(n_samples, width)`` with no NaN, or a clear error."""
    values = as_float_array(values, name)
    if values.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, shape (n_samples, n_features), got shape {values.shape}"
        )
    if values.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {values.shape}): need one sample")
    if width is not None and values.shape[1] != width:
        raise ValueError(
            f"{name} must have {width} columns (one per input), got shape {values.shape}"
        )
    refuse_nan(values, name)
    return values


def as_float_array(values, name):
    """Lists, integer and boolean arrays as floats; float arrays as they are; else a TypeError."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind not in "biu":
        raise TypeError(f"{name} must be numbers, got an array of dtype {array.dtype}")
    return array.astype(np.float64)


def refuse_nan(values, name):
    if np.isnan(values).any():
        count = int(np.isnan(values).sum())
        raise ValueError(f"{name} must be numbers, not NaN: got {count} NaN of {values.size}")


def as_gradient(dvalues, output, owner):
    """``dvalues`` as a float array shaped like ``output`` (the forward pass's result).

    ``output`` is ``None`` until ``forward`` has run, and a backward pass needs it first.
    """
    if output is None:
        raise ValueError(f"{owner}.backward() was called before {owner}.forward()")
    dvalues = np.asarray(dvalues)
    if dvalues.dtype.kind not in "biuf":
        raise TypeError(f"{owner}.backward() needs numeric gradients, got dtype {dvalues.dtype}")
    if dvalues.dtype.kind != "f":
        dvalues = dvalues.astype(np.float64)
    if dvalues.shape != output.shape:
        raise ValueError(
            f"{owner}.backward() needs gradients shaped like the forward output "
            f"{output.shape}, got shape {dvalues.shape}"
        )
    return dvalues


def check_dense_parameters(weights, biases):
    """Weights ``(n_inputs, n_neurons)``, biases ``(1, n_neurons)``: a reader may replace them."""
    if np.ndim(weights) != 2 or np.shape(biases) != (1, np.shape(weights)[1]):
        raise ValueError(
            "DenseLayer needs weights of shape (n_inputs, n_neurons) and biases of shape "
            f"(1, n_neurons), got {np.shape(weights)} and {np.shape(biases)}"
        )


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def hyperparameter(value, name, low, high=None, low_open=False):
    """``value`` as a float in ``[low, high)`` (``(low, high)`` if ``low_open``), or an error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    below = value <= low if low_open else value < low
    above = high is not None and value >= high
    if below or above or np.isnan(value):
        interval = f"{'(' if low_open else '['}{low}, {'inf' if high is None else high})"
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return value


def probabilities(y_pred, name="predicted probabilities"):
    """A batch of probabilities: 2-D, every value in [0, 1] (NaN refused by ``as_batch``)."""
    y_pred = as_batch(y_pred, name)
    if y_pred.min() < 0 or y_pred.max() > 1:
        raise ValueError(
            f"{name} must lie in [0, 1], got values from {y_pred.min()} to {y_pred.max()}"
        )
    return y_pred


def class_indices(y_true, n_samples, n_classes):
    """Class indices ``(n_samples,)`` from sparse ``(n_samples,)`` or one-hot labels."""
    labels = np.asarray(y_true)
    if labels.ndim == 2:
        return one_hot_to_indices(labels, n_samples, n_classes)
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be 1-D class indices or 2-D one-hot rows, got shape {labels.shape}"
        )
    if labels.dtype.kind not in "biu":
        raise TypeError(f"class indices must be integers, got dtype {labels.dtype}")
    if labels.shape[0] != n_samples:
        raise ValueError(f"got {labels.shape[0]} labels for {n_samples} samples")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"class indices must lie in [0, {n_classes - 1}], "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.intp)  # True/False become classes 1/0, not a mask


def one_hot_to_indices(labels, n_samples, n_classes):
    if labels.shape != (n_samples, n_classes):
        raise ValueError(
            f"one-hot labels must have shape (n_samples, n_classes) = "
            f"{(n_samples, n_classes)}, got {labels.shape}"
        )
    if not np.all((labels == 0) | (labels == 1)) or not np.all(labels.sum(axis=1) == 1):
        raise ValueError("one-hot labels must hold exactly one 1 per row and 0 elsewhere")
    return labels.argmax(axis=1)


def trainable_layer(layer):
    """A layer ready for an optimizer: float parameters, gradients of the same shapes.

    The updates change ``weights`` and ``biases`` in place, and NumPy would broadcast a
    gradient of the wrong shape into a wrong update without a word.
    """
    if not hasattr(layer, "weights"):
        raise TypeError(f"update_params needs a layer with weights, got {type(layer).__name__}")
    if not hasattr(layer, "dweights"):
        raise ValueError("update_params(layer) needs layer.backward() to have run first")
    for name in ("weights", "biases"):
        parameter, gradient = getattr(layer, name), getattr(layer, "d" + name)
        if not isinstance(parameter, np.ndarray) or parameter.dtype.kind != "f":
            raise TypeError(
                f"layer.{name} must be a float array (the update changes it in place), "
                f"got {type(parameter).__name__} of dtype {np.asarray(parameter).dtype}"
            )
        if not isinstance(gradient, np.ndarray) or gradient.dtype.kind not in "iuf":
            raise TypeError(
                f"layer.d{name} must be a numeric array, "
                f"got {type(gradient).__name__} of dtype {np.asarray(gradient).dtype}"
            )
        if gradient.shape != parameter.shape:
            raise ValueError(
                f"layer.d{name} must have the shape of layer.{name}, {parameter.shape}, "
                f"got {gradient.shape}"
            )


def regularized_layer(layer):
    """A layer with the four regularizer strengths of ``DenseLayer`` (chapter 14)."""
    names = ("weight_regularizer_l1", "weight_regularizer_l2")
    if not all(hasattr(layer, name) for name in names) or not hasattr(layer, "weights"):
        raise TypeError(
            "regularization_loss(layer) needs a DenseLayer (weights and regularizer strengths), "
            f"got {type(layer).__name__}"
        )


def targets_like(y_true, y_pred, name="targets"):
    """Targets ``y_true`` as a numeric array shaped exactly like the predictions ``y_pred``.

    For one output that is ``(n_samples, 1)``: labels of shape ``(n_samples,)`` are refused,
    because NumPy would broadcast them against ``(n_samples, 1)`` into an
    ``(n_samples, n_samples)`` array and a loss that is silently wrong. Integer targets keep
    their dtype (as in the NNFS book); True/False become numbers of the predictions' dtype.
    """
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numbers, got an array of dtype {y_true.dtype}")
    if y_true.dtype.kind == "b":
        y_true = y_true.astype(y_pred.dtype)
    if y_true.shape != y_pred.shape:
        advice = ""
        if y_true.ndim == 1 and y_pred.shape == (len(y_true), 1):
            advice = " (make them a column with y.reshape(-1, 1))"
        raise ValueError(
            f"{name} must have the shape of the predictions, {y_pred.shape}, "
            f"got {y_true.shape}{advice}"
        )
    if y_true.dtype.kind == "f":
        refuse_nan(y_true, name)
    return y_true


def binary_labels(y_true, y_pred):
    """Labels for a binary loss: shaped like ``y_pred`` (``targets_like``), every value 0 or 1."""
    y_true = targets_like(y_true, y_pred, "binary labels")
    if not np.all((y_true == 0) | (y_true == 1)):
        others = np.unique(y_true[(y_true != 0) & (y_true != 1)])
        raise ValueError(f"binary labels must be 0 or 1, got also {others[:5].tolist()}")
    return y_true
