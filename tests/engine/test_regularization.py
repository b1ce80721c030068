"""L1 and L2 regularization in the engine (chapter 14): ``DenseLayer``'s four strengths,
the penalties' gradients in ``backward`` and ``Loss.regularization_loss``.

The gradients are compared with central differences in float64 on random shapes and values
(hypothesis), at parameters away from 0 where |w| is smooth. At exactly 0 the engine's L1
gradient is ``np.sign(0) = 0``, as the chapter says.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from resources.classes import DenseLayer, Loss, ReLU
from resources.nnfs_numpy import nnfs_numpy
from tests.engine.test_engine import numerical_gradient

H = 1e-6
SETTINGS = settings(max_examples=40, deadline=None)
STRENGTHS = (
    "weight_regularizer_l1",
    "weight_regularizer_l2",
    "bias_regularizer_l1",
    "bias_regularizer_l2",
)


sizes = st.integers(min_value=1, max_value=5)
strength = st.sampled_from([0.0, 1e-3, 0.05, 0.5])


def matrices(rows, cols, low=-5.0, high=5.0):
    return arrays(
        np.float64,
        (rows, cols),
        elements=st.floats(low, high, allow_nan=False, allow_infinity=False),
    )


def away_from_zero(draw, rows, cols):
    magnitudes = draw(matrices(rows, cols, 0.01, 2.0))
    signs = draw(arrays(np.bool_, (rows, cols)))
    return np.where(signs, magnitudes, -magnitudes)


@st.composite
def regularized_cases(draw):
    n, i, o = draw(sizes), draw(sizes), draw(sizes)
    strengths = {name: draw(strength) for name in STRENGTHS}
    return (
        strengths,
        draw(matrices(n, i)),
        away_from_zero(draw, i, o),
        away_from_zero(draw, 1, o),
        draw(matrices(n, o, -1, 1)),
    )


def regularized_layer(strengths, weights, biases):
    layer = DenseLayer(*weights.shape, **strengths)
    layer.weights, layer.biases = weights.copy(), biases.copy()
    return layer


@SETTINGS
@given(regularized_cases())
def test_regularized_backward_is_the_gradient_of_data_term_plus_penalty(case):
    strengths, inputs, weights, biases, dvalues = case
    layer = regularized_layer(strengths, weights, biases)
    layer.forward(inputs)
    layer.backward(dvalues)

    def objective(name):
        def f(values):
            probe = regularized_layer(strengths, weights, biases)
            setattr(probe, name, values)
            probe.forward(inputs)
            return np.sum(probe.output * dvalues) + Loss().regularization_loss(probe)

        return f

    np.testing.assert_allclose(
        layer.dweights, numerical_gradient(objective("weights"), weights), atol=1e-6
    )
    np.testing.assert_allclose(
        layer.dbiases, numerical_gradient(objective("biases"), biases), atol=1e-6
    )
    np.testing.assert_allclose(layer.dinputs, np.dot(dvalues, weights.T), atol=1e-12)


@SETTINGS
@given(regularized_cases())
def test_regularization_loss_is_the_four_sums(case):
    strengths, _, weights, biases, _ = case
    layer = regularized_layer(strengths, weights, biases)
    expected = (
        strengths["weight_regularizer_l1"] * np.abs(weights).sum()
        + strengths["weight_regularizer_l2"] * (weights**2).sum()
        + strengths["bias_regularizer_l1"] * np.abs(biases).sum()
        + strengths["bias_regularizer_l2"] * (biases**2).sum()
    )
    assert Loss().regularization_loss(layer) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_without_strengths_nothing_changes():
    rng = np.random.default_rng(0)
    layer = DenseLayer(3, 4)
    layer.weights = rng.standard_normal((3, 4))
    inputs, dvalues = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    layer.forward(inputs)
    layer.backward(dvalues)
    assert Loss().regularization_loss(layer) == 0
    np.testing.assert_array_equal(layer.dweights, np.dot(inputs.T, dvalues))
    np.testing.assert_array_equal(layer.dbiases, np.sum(dvalues, axis=0, keepdims=True))


def test_l1_gradient_at_exactly_zero_is_zero():
    # np.sign(0) = 0: a parameter at 0 gets no L1 push (the chapter's documented choice).
    layer = DenseLayer(2, 2, weight_regularizer_l1=0.5, bias_regularizer_l1=0.5)
    layer.weights = np.array([[0.0, 1.0], [-1.0, 0.0]])
    inputs, dvalues = np.zeros((1, 2)), np.zeros((1, 2))
    layer.forward(inputs)
    layer.backward(dvalues)
    np.testing.assert_array_equal(layer.dweights, [[0.0, 0.5], [-0.5, 0.0]])
    np.testing.assert_array_equal(layer.dbiases, [[0.0, 0.0]])  # the biases start at 0


def test_regularized_layer_draws_the_published_weights():
    # The strengths and weight_scale's default draw nothing extra: the same weights as before.
    with nnfs_numpy():
        plain = DenseLayer(2, 64).weights
    with nnfs_numpy():
        regularized = DenseLayer(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
    with nnfs_numpy():
        expected = 0.01 * np.random.randn(2, 64)
    np.testing.assert_array_equal(plain, expected)
    np.testing.assert_array_equal(regularized.weights, expected)
    assert regularized.weights.dtype == np.float32


def test_weight_scale_scales_the_draws():
    np.random.seed(3)
    layer = DenseLayer(4, 5, weight_scale=0.1)
    np.random.seed(3)
    np.testing.assert_allclose(layer.weights, 0.1 * np.random.randn(4, 5))


def test_penalty_of_the_published_start_is_tiny():
    # The plan's epoch-0 line prints reg_loss: 0.000 for L2 5e-4 on 0.01 * randn weights.
    with nnfs_numpy():
        layer = DenseLayer(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
    assert 0 < Loss().regularization_loss(layer) < 5e-4


@pytest.mark.parametrize("name", STRENGTHS)
@pytest.mark.parametrize(
    "value, error, fragment",
    [
        (-5e-4, ValueError, "[0, inf)"),
        (float("nan"), ValueError, "[0, inf)"),
        ("0.1", TypeError, "must be a number"),
        (None, TypeError, "must be a number"),
        (True, TypeError, "must be a number"),
    ],
)
def test_bad_strengths_are_refused(name, value, error, fragment):
    with pytest.raises(error) as raised:
        DenseLayer(2, 3, **{name: value})
    assert name in str(raised.value) and fragment in str(raised.value)


@pytest.mark.parametrize("value, error", [(0, ValueError), (-0.1, ValueError), ("big", TypeError)])
def test_bad_weight_scale_is_refused(value, error):
    with pytest.raises(error, match="weight_scale"):
        DenseLayer(2, 3, weight_scale=value)


def test_regularization_loss_refuses_a_layer_without_parameters():
    with pytest.raises(TypeError, match="needs a DenseLayer.*got ReLU"):
        Loss().regularization_loss(ReLU())
