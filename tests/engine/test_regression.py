"""Linear, mean squared error and mean absolute error (chapter 17): gradients and bad input.

Every ``backward`` is compared with central differences in float64 on random shapes and values
(hypothesis). Shapes of targets must equal the predictions' exactly: ``(n,)`` against
``(n, 1)`` would otherwise broadcast into an ``(n, n)`` loss without a word.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from resources.classes import DenseLayer, Linear, MeanAbsoluteError, MeanSquaredError, ReLU
from tests.engine.test_engine import matrices, numerical_gradient, sizes

SETTINGS = settings(max_examples=40, deadline=None)


def reference_mse(y_pred, y_true):
    return np.mean(np.mean((y_true - y_pred) ** 2, axis=-1))


def reference_mae(y_pred, y_true):
    return np.mean(np.mean(np.abs(y_true - y_pred), axis=-1))


@st.composite
def regression_cases(draw):
    n, k = draw(sizes), draw(sizes)
    return draw(matrices(n, k)), draw(matrices(n, k))


@SETTINGS
@given(st.data())
def test_linear_forward_and_backward(data):
    n, k = data.draw(sizes), data.draw(sizes)
    inputs, dvalues = data.draw(matrices(n, k)), data.draw(matrices(n, k))
    linear = Linear()
    linear.forward(inputs)
    np.testing.assert_array_equal(linear.output, inputs)
    linear.backward(dvalues)
    np.testing.assert_array_equal(linear.dinputs, dvalues)
    numeric = numerical_gradient(lambda x: np.sum(dvalues * x), inputs)
    np.testing.assert_allclose(linear.dinputs, numeric, rtol=1e-6, atol=1e-7)
    assert linear.dinputs is not dvalues  # a copy: changing it later cannot change dvalues


@SETTINGS
@given(regression_cases())
def test_mean_squared_error_forward_and_backward(case):
    y_pred, y_true = case
    loss = MeanSquaredError()
    assert loss.calculate(y_pred, y_true) == pytest.approx(reference_mse(y_pred, y_true))
    assert loss.forward(y_pred, y_true).shape == (len(y_pred),)
    loss.backward(y_pred, y_true)
    numeric = numerical_gradient(lambda p: reference_mse(p, y_true), y_pred)
    np.testing.assert_allclose(loss.dinputs, numeric, rtol=1e-5, atol=1e-8)


@SETTINGS
@given(regression_cases())
def test_mean_absolute_error_forward_and_backward(case):
    y_pred, y_true = case
    assume(np.all(np.abs(y_true - y_pred) > 1e-3))  # away from the kink at y_pred = y_true
    loss = MeanAbsoluteError()
    assert loss.calculate(y_pred, y_true) == pytest.approx(reference_mae(y_pred, y_true))
    loss.backward(y_pred, y_true)
    numeric = numerical_gradient(lambda p: reference_mae(p, y_true), y_pred)
    np.testing.assert_allclose(loss.dinputs, numeric, rtol=1e-5, atol=1e-8)


def test_mean_absolute_error_gradient_points_downhill():
    """A prediction below its target must be pushed up: the gradient is negative there.

    (The NNFS book's ``np.sign(y_true - dvalues)`` has the opposite sign; gradient descent with
    it would walk away from the targets.)
    """
    loss = MeanAbsoluteError()
    loss.backward(np.array([[0.0], [2.0], [1.0]]), np.array([[1.0], [1.0], [1.0]]))
    np.testing.assert_array_equal(loss.dinputs, [[-1 / 3], [1 / 3], [0.0]])
    before = loss.calculate(np.array([[0.0]]), np.array([[1.0]]))
    loss.backward(np.array([[0.0]]), np.array([[1.0]]))
    after = loss.calculate(np.array([[0.0]]) - 0.1 * loss.dinputs, np.array([[1.0]]))
    assert after < before


@SETTINGS
@given(st.data(), st.sampled_from([MeanSquaredError, MeanAbsoluteError]))
def test_regression_network_gradient(data, loss_class):
    """dense -> ReLU -> dense -> linear -> loss: the first layer's dweights numerically."""
    n = data.draw(sizes)
    X = data.draw(matrices(n, 1, -1, 1))
    y = data.draw(matrices(n, 1, -1, 1))
    w1, w2 = data.draw(matrices(1, 4, -1, 1)), data.draw(matrices(4, 1, -1, 1))
    b1 = data.draw(matrices(1, 4, -1, 1))

    def forward(w):
        hidden = np.maximum(0, X @ w + b1)
        return hidden @ w2

    reference = reference_mse if loss_class is MeanSquaredError else reference_mae
    pre = X @ w1 + b1
    assume(np.all(np.abs(pre) > 1e-3))  # no ReLU kink within the numerical step
    assume(np.all(np.abs(forward(w1) - y) > 1e-3))  # no MAE kink either
    dense1, relu, dense2, linear, loss = (
        DenseLayer(1, 4),
        ReLU(),
        DenseLayer(4, 1),
        Linear(),
        loss_class(),
    )
    dense1.weights, dense1.biases, dense2.weights = w1.copy(), b1.copy(), w2.copy()
    dense1.forward(X)
    relu.forward(dense1.output)
    dense2.forward(relu.output)
    linear.forward(dense2.output)
    loss.backward(linear.output, y)
    linear.backward(loss.dinputs)
    dense2.backward(linear.dinputs)
    relu.backward(dense2.dinputs)
    dense1.backward(relu.dinputs)
    numeric = numerical_gradient(lambda w: reference(forward(w), y), w1)
    np.testing.assert_allclose(dense1.dweights, numeric, rtol=1e-5, atol=1e-8)


def test_float32_predictions_with_float64_targets_as_in_the_nnfs_run():
    """sine_data's targets are float64, the network's output float32 after nnfs.init()."""
    y_pred = np.array([[0.5], [-0.25]], dtype=np.float32)
    y_true = np.array([[1.0], [0.0]])
    loss = MeanSquaredError()
    assert loss.calculate(y_pred, y_true) == pytest.approx((0.25 + 0.0625) / 2)
    loss.backward(y_pred, y_true)
    np.testing.assert_allclose(loss.dinputs, [[-0.5], [-0.25]])


# ---------------------------------------------------------------------------
# Bad input: a clear error that says what was expected and what came
# ---------------------------------------------------------------------------

PRED = np.array([[0.1], [0.4], [-0.3]])
TRUE = np.array([[0.0], [0.5], [-0.5]])


def loss_calls(y_pred, y_true):
    calls = []
    for loss_class in (MeanSquaredError, MeanAbsoluteError):
        calls.append(lambda c=loss_class: c().calculate(y_pred, y_true))
        calls.append(lambda c=loss_class: c().backward(y_pred, y_true))
    return calls


@pytest.mark.parametrize(
    ("y_pred", "y_true", "error", "fragments"),
    [
        (PRED, np.array([0.0, 0.5, -0.5]), ValueError, ["(3, 1)", "(3,)", "reshape(-1, 1)"]),
        (PRED, TRUE.T, ValueError, ["(3, 1)", "(1, 3)"]),
        (PRED, TRUE[:2], ValueError, ["(3, 1)", "(2, 1)"]),
        (PRED, np.array([[0.0], [np.nan], [1.0]]), ValueError, ["NaN"]),
        (PRED, np.array([["a"], ["b"], ["c"]]), TypeError, ["numbers", "<U1"]),
        (np.array([[np.nan], [0.5], [0.5]]), TRUE, ValueError, ["NaN"]),
        (np.array([0.1, 0.4, -0.3]), TRUE, ValueError, ["2-D", "(3,)"]),
        (np.ones((0, 1)), np.ones((0, 1)), ValueError, ["empty", "(0, 1)"]),
    ],
)
@pytest.mark.parametrize("entry", range(4))
def test_regression_losses_bad_input_raise_a_clear_error(y_pred, y_true, error, fragments, entry):
    with pytest.raises(error) as raised:
        loss_calls(y_pred, y_true)[entry]()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_one_sample_row_against_a_column_is_refused_not_broadcast():
    """The failure NumPy hides: (n,) targets with (n, 1) predictions give an (n, n) loss."""
    y_pred = np.zeros((4, 1))
    y_flat = np.arange(4.0)
    assert ((y_flat - y_pred) ** 2).shape == (4, 4)  # what would happen without the check
    with pytest.raises(ValueError, match="reshape"):
        MeanSquaredError().calculate(y_pred, y_flat)


@pytest.mark.parametrize(
    ("call", "error", "fragments"),
    [
        (lambda: Linear().backward(np.ones((2, 1))), ValueError, ["before", "Linear.forward"]),
        (lambda: Linear().forward(np.ones(3)), ValueError, ["2-D", "(3,)"]),
        (lambda: Linear().forward(np.ones((0, 1))), ValueError, ["empty", "(0, 1)"]),
        (lambda: Linear().forward([[np.nan]]), ValueError, ["NaN"]),
        (lambda: _forwarded_linear().backward(np.ones((1, 2))), ValueError, ["(2, 1)", "(1, 2)"]),
    ],
)
def test_linear_bad_input_raises_a_clear_error(call, error, fragments):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def _forwarded_linear():
    linear = Linear()
    linear.forward(np.zeros((2, 1)))
    return linear
