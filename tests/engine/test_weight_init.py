"""DenseLayer's weight_init: today's small draws by default, Glorot's and He's scales on request."""

import numpy as np
import pytest

from resources.classes import DenseLayer, initial_weight_std


def test_the_default_is_the_small_draw_of_every_published_run():
    np.random.seed(7)
    layer = DenseLayer(3, 4)
    np.random.seed(7)
    np.testing.assert_array_equal(layer.weights, 0.01 * np.random.randn(3, 4))


@pytest.mark.parametrize(
    "weight_init, n_inputs, n_neurons, std",
    [("glorot", 300, 100, np.sqrt(2 / 400)), ("he", 300, 100, np.sqrt(2 / 300))],
)
def test_glorot_and_he_draws_have_the_stated_spread(weight_init, n_inputs, n_neurons, std):
    np.random.seed(0)
    weights = DenseLayer(n_inputs, n_neurons, weight_init=weight_init).weights
    assert initial_weight_std(n_inputs, n_neurons, weight_init) == pytest.approx(std)
    # 30,000 normal draws: the sample std is within about 0.4 % of the true one (1 SE).
    assert weights.std() == pytest.approx(std, rel=0.02)
    assert abs(weights.mean()) < 4 * std / np.sqrt(weights.size)
    np.testing.assert_array_equal(
        DenseLayer(2, 3, weight_init=weight_init).biases, np.zeros((1, 3))
    )


def test_weight_scale_keeps_working_with_the_small_draw():
    np.random.seed(1)
    layer = DenseLayer(4, 5, weight_scale=0.5, weight_init="small")
    np.random.seed(1)
    np.testing.assert_array_equal(layer.weights, 0.5 * np.random.randn(4, 5))


def test_unknown_init_and_a_scale_beside_glorot_or_he_are_refused():
    with pytest.raises(ValueError, match=r"weight_init must be one of .*got 'xavier'"):
        DenseLayer(2, 3, weight_init="xavier")
    with pytest.raises(ValueError, match="weight_scale sets the spread of weight_init='small'"):
        DenseLayer(2, 3, weight_init="he", weight_scale=0.1)
