"""The package's training helpers build chapter 10's network and train it with Model.train."""

import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import Adam, DenseLayer
from resources.nnfs_numpy import PATCHED, nnfs_numpy, numpy_functions
from resources.training import dense_layer, initial_parameters, train_classifier
from tests.engine.test_model import hand_written_run


def test_train_classifier_equals_the_hand_written_loop():
    with nnfs_numpy():  # the loop draws its layers after the data, as chapter 10 does
        X, y = spiral_data(samples=100, classes=3)
        losses, accuracies, rates, _, (dense1, dense2) = hand_written_run(X, y, 300)
    with nnfs_numpy():
        X, y = spiral_data(samples=100, classes=3)
        start = initial_parameters(2, 64, 3)
    with nnfs_numpy():
        model = train_classifier(X, y, Adam(0.05, decay=5e-7), 300, parameters=start)
    np.testing.assert_array_equal(model.history["data_loss"], losses)
    np.testing.assert_array_equal(model.history["accuracy"], accuracies)
    np.testing.assert_array_equal(model.history["learning_rate"], rates)
    np.testing.assert_array_equal(model.layers[0].weights, dense1.weights)
    np.testing.assert_array_equal(model.layers[2].biases, dense2.biases)
    assert f"{losses[0]:.3f}" == "1.099" and f"{accuracies[0]:.3f}" == "0.360"


def test_initial_parameters_from_the_global_generator_are_dense_layer_draws():
    with nnfs_numpy():
        expected = DenseLayer(2, 5).weights, DenseLayer(5, 3).weights
    with nnfs_numpy():
        weights_1, biases_1, weights_2, biases_2 = initial_parameters(2, 5, 3)
    np.testing.assert_array_equal(weights_1, expected[0])
    np.testing.assert_array_equal(weights_2, expected[1])
    assert not biases_1.any() and biases_2.shape == (1, 3)


def test_a_generator_leaves_the_global_random_state_alone():
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = initial_parameters(2, 4, 3, rng=np.random.default_rng(1))
    again = initial_parameters(2, 4, 3, rng=np.random.default_rng(1))
    dense_layer(np.ones((2, 4)), np.zeros((1, 4)))
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_nnfs_numpy_puts_numpy_back():
    before = numpy_functions()
    state = np.random.get_state()[1].copy()
    with nnfs_numpy():
        assert np.zeros(2).dtype == np.float32
        assert any(new is not old for new, old in zip(numpy_functions(), before, strict=True))
    assert all(new is old for new, old in zip(numpy_functions(), before, strict=True))
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert np.zeros(2).dtype == np.float64 and len(PATCHED) == 4


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="Generator"):
        initial_parameters(2, 4, 3, rng=3)
    with pytest.raises(ValueError, match="2-D"):
        dense_layer(np.ones(3), np.zeros((1, 3)))
