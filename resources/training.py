"""The book's small spiral classifiers, built and trained through the one training loop.

Chapter 10 teaches the training loop by writing it out, and chapters 14-17 write their
variations of it; chapter 18 puts it into ``Model.train`` (``resources/model.py``). Whatever
trains a network without teaching the loop (the explorers, the benchmark, the tests,
chapters 11-13) builds a ``Model`` with these helpers and calls ``Model.train``.

The network is chapter 10's: ``DenseLayer(n_inputs, n_hidden)``, ``ReLU``,
``DenseLayer(n_hidden, n_classes)``, softmax with categorical cross-entropy.
"""

import numpy as np

from resources.classes import CategoricalCrossEntropy, DenseLayer, ReLU, SoftMax
from resources.model import CategoricalAccuracy, Model


def dense_layer(weights, biases):
    """A ``DenseLayer`` holding copies of ``weights`` (n_inputs, n_neurons) and ``biases``
    (1, n_neurons); NumPy's global random generator is left where it was."""
    weights, biases = np.array(weights), np.array(biases)
    if weights.ndim != 2:
        raise ValueError(f"weights must be 2-D (n_inputs, n_neurons), got {weights.shape}")
    state = np.random.get_state()  # DenseLayer draws weights that we replace at once
    layer = DenseLayer(*weights.shape)
    np.random.set_state(state)
    layer.weights, layer.biases = weights, biases
    return layer


def initial_parameters(n_inputs, n_hidden, n_classes, rng=None):
    """Starting ``(weights_1, biases_1, weights_2, biases_2)``, drawn as ``DenseLayer`` draws.

    Weights are ``0.01`` times standard normal draws, biases zeros. With ``rng`` (a
    ``numpy.random.Generator``) the draws come from it, in float64. Without it they come from
    NumPy's global generator, exactly as two ``DenseLayer`` calls would draw them (which is what
    reproduces a chapter's numbers after ``nnfs.init()``).
    """
    if rng is None:
        first, second = DenseLayer(n_inputs, n_hidden), DenseLayer(n_hidden, n_classes)
        return first.weights, first.biases, second.weights, second.biases
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return (
        0.01 * rng.standard_normal((n_inputs, n_hidden)),
        np.zeros((1, n_hidden)),
        0.01 * rng.standard_normal((n_hidden, n_classes)),
        np.zeros((1, n_classes)),
    )


def classifier(parameters, optimizer):
    """A finalized ``Model``: dense, ReLU, dense, softmax, from ``parameters`` (copied).

    ``parameters`` is ``(weights_1, biases_1, weights_2, biases_2)`` as
    ``initial_parameters`` returns them.
    """
    weights_1, biases_1, weights_2, biases_2 = parameters
    model = Model()
    model.add(dense_layer(weights_1, biases_1))
    model.add(ReLU())
    model.add(dense_layer(weights_2, biases_2))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=optimizer, accuracy=CategoricalAccuracy())
    model.finalize()
    return model


def train_classifier(X, y, optimizer, epochs, n_hidden=64, rng=None, parameters=None):
    """Train chapter 10's network on ``X`` (n_samples, n_features), ``y`` (n_samples,).

    The whole set is one batch each epoch, as in chapters 10-17. Starting parameters come from
    ``parameters`` if given, else from ``initial_parameters(..., rng)``. Returns the trained
    ``Model``; its ``history`` holds each epoch's accuracy and loss (before that epoch's update)
    and learning rate.
    """
    if parameters is None:
        n_classes = int(np.max(y)) + 1
        parameters = initial_parameters(np.shape(X)[1], n_hidden, n_classes, rng)
    model = classifier(parameters, optimizer)
    model.train(X, y, epochs=epochs, print_every=None)
    return model
