"""The shared engine's backward passes and input checks (``resources/classes.py``).

Every ``backward`` is compared with central differences in float64 on random shapes and values
(hypothesis). Bad input must raise a ValueError/TypeError whose message says what was expected
and what arrived; extreme but legal input must stay finite.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from resources import gradients
from resources.classes import (
    CategoricalCrossEntropy,
    DenseLayer,
    ReLU,
    SoftMax,
    SoftMaxCategoricalCrossEntropy,
)

H = 1e-6
SETTINGS = settings(max_examples=40, deadline=None)


def numerical_gradient(f, values, h=H):
    """The book's central differences (``resources.gradients``), with the tests' step."""
    return gradients.numerical_gradient(f, values, h)


def of_entries(array, f):
    """``f()``, which reads ``array`` in place, as a function of ``array``'s entries."""

    def at(values):
        saved = array.copy()
        array[...] = values
        try:
            return f()
        finally:
            array[...] = saved

    return at


sizes = st.integers(min_value=1, max_value=5)


def matrices(rows, cols, low=-5.0, high=5.0):
    return arrays(
        np.float64,
        (rows, cols),
        elements=st.floats(low, high, allow_nan=False, allow_infinity=False),
    )


@st.composite
def dense_cases(draw):
    n, i, o = draw(sizes), draw(sizes), draw(sizes)
    return (
        draw(matrices(n, i)),
        draw(matrices(i, o, -1, 1)),
        draw(matrices(1, o, -1, 1)),
        draw(matrices(n, o, -1, 1)),
    )


@st.composite
def away_from_zero(draw):
    """A batch whose entries are at least 0.01 away from ReLU's kink, plus a gradient."""
    n, k = draw(sizes), draw(sizes)
    magnitudes = draw(matrices(n, k, 0.01, 5))
    signs = draw(arrays(np.bool_, (n, k)))
    return np.where(signs, magnitudes, -magnitudes), draw(matrices(n, k, -1, 1))


@st.composite
def classification_cases(draw, low=-5.0, high=5.0):
    n, k = draw(sizes), draw(st.integers(min_value=2, max_value=5))
    values = draw(matrices(n, k, low, high))
    labels = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    return values, labels


# ---------------------------------------------------------------------------
# Numerical gradient checks
# ---------------------------------------------------------------------------


@SETTINGS
@given(dense_cases())
def test_dense_layer_backward(case):
    inputs, weights, biases, dvalues = case
    layer = DenseLayer(*weights.shape)
    layer.weights, layer.biases = weights.copy(), biases.copy()
    layer.forward(inputs)
    layer.backward(dvalues)

    def loss(x, w, b):
        return np.sum(dvalues * (x @ w + b))  # a scalar whose gradient wrt output is dvalues

    tol = {"rtol": 1e-5, "atol": 1e-6}
    numeric_w = numerical_gradient(lambda w: loss(inputs, w, biases), weights)
    np.testing.assert_allclose(layer.dweights, numeric_w, **tol)
    numeric_b = numerical_gradient(lambda b: loss(inputs, weights, b), biases)
    np.testing.assert_allclose(layer.dbiases, numeric_b, **tol)
    numeric_x = numerical_gradient(lambda x: loss(x, weights, biases), inputs)
    np.testing.assert_allclose(layer.dinputs, numeric_x, **tol)
    assert layer.dweights.shape == weights.shape and layer.dbiases.shape == biases.shape


@SETTINGS
@given(away_from_zero())
def test_relu_backward(case):
    inputs, dvalues = case
    relu = ReLU()
    relu.forward(inputs)
    relu.backward(dvalues)
    numeric = numerical_gradient(lambda x: np.sum(dvalues * np.maximum(0, x)), inputs)
    np.testing.assert_allclose(relu.dinputs, numeric, rtol=1e-6, atol=1e-7)


def test_relu_gradient_is_zero_at_exactly_zero():
    relu = ReLU()
    relu.forward(np.array([[0.0, 1.0, -1.0]]))
    relu.backward(np.array([[5.0, 5.0, 5.0]]))
    np.testing.assert_array_equal(relu.dinputs, [[0.0, 5.0, 0.0]])


def reference_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@SETTINGS
@given(classification_cases(), st.data())
def test_softmax_backward(case, data):
    scores, _ = case
    dvalues = data.draw(matrices(*scores.shape, -1, 1))
    softmax = SoftMax()
    softmax.forward(scores)
    np.testing.assert_allclose(softmax.output, reference_softmax(scores), rtol=1e-12)
    softmax.backward(dvalues)
    numeric = numerical_gradient(lambda z: np.sum(dvalues * reference_softmax(z)), scores)
    np.testing.assert_allclose(softmax.dinputs, numeric, rtol=1e-5, atol=1e-8)
    # And the Jacobian form diag(s) - s s^T, sample by sample.
    for s, d, got in zip(softmax.output, dvalues, softmax.dinputs, strict=True):
        np.testing.assert_allclose(got, (np.diag(s) - np.outer(s, s)) @ d, atol=1e-14)


@SETTINGS
@given(classification_cases(low=0.05, high=0.95), st.booleans())
def test_categorical_cross_entropy_backward(case, one_hot):
    predictions, labels = case
    n, k = predictions.shape
    targets = np.eye(k)[labels] if one_hot else labels
    loss = CategoricalCrossEntropy()
    expected_loss = -np.mean(np.log(predictions[np.arange(n), labels]))
    assert loss.calculate(predictions, targets) == pytest.approx(expected_loss, rel=1e-12)
    loss.backward(predictions, targets)
    numeric = numerical_gradient(lambda p: loss.calculate(p, targets), predictions)
    np.testing.assert_allclose(loss.dinputs, numeric, rtol=1e-5, atol=1e-7)


@SETTINGS
@given(classification_cases(), st.booleans())
def test_softmax_cross_entropy_backward(case, one_hot):
    scores, labels = case
    n, k = scores.shape
    targets = np.eye(k)[labels] if one_hot else labels
    combined = SoftMaxCategoricalCrossEntropy()
    loss = combined.forward(scores, targets)
    probabilities = reference_softmax(scores)
    np.testing.assert_allclose(combined.output, probabilities, rtol=1e-12)
    clipped = np.clip(probabilities[np.arange(n), labels], 1e-7, 1 - 1e-7)
    assert loss == pytest.approx(-np.mean(np.log(clipped)), rel=1e-12)
    combined.backward(combined.output, targets)
    numeric = numerical_gradient(
        lambda z: SoftMaxCategoricalCrossEntropy().forward(z, labels), scores
    )
    np.testing.assert_allclose(combined.dinputs, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(
        combined.dinputs, (probabilities - np.eye(k)[labels]) / n, atol=1e-15
    )
    # The separate chain (cross-entropy, then softmax) gives the same in float64.
    separate_loss, separate_softmax = CategoricalCrossEntropy(), SoftMax()
    separate_softmax.forward(scores)
    separate_loss.backward(separate_softmax.output, targets)
    separate_softmax.backward(separate_loss.dinputs)
    np.testing.assert_allclose(separate_softmax.dinputs, combined.dinputs, atol=1e-12)


def test_combined_backward_accepts_integer_dvalues():
    # Regression: an integer array (here a plain list of lists) used to make the in-place
    # division fail with NumPy's "Cannot cast ufunc 'divide' output" error.
    combined = SoftMaxCategoricalCrossEntropy()
    combined.forward(np.zeros((2, 3)), [0, 1])
    combined.backward([[1, 0, 0], [0, 0, 1]], [0, 1])
    np.testing.assert_allclose(combined.dinputs, [[0.0, 0.0, 0.0], [0.0, -0.5, 0.5]])
    assert combined.dinputs.dtype == np.float64


def test_backward_keeps_float32_for_float32_dvalues():
    # nnfs.init() reproductions compute in float32; the combined backward must not upcast.
    combined = SoftMaxCategoricalCrossEntropy()
    scores = np.zeros((2, 3), dtype=np.float32)
    combined.forward(scores, [0, 1])
    combined.backward(combined.output, [0, 1])
    assert combined.dinputs.dtype == np.float32


# ---------------------------------------------------------------------------
# Bad input: a clear error that says what was expected and what came
# ---------------------------------------------------------------------------


def _with_parameter(**parameters):
    layer = DenseLayer(3, 2)
    for name, value in parameters.items():
        setattr(layer, name, value)
    return layer


def forwarded_layer():
    layer = DenseLayer(3, 2)
    layer.forward(np.ones((4, 3)))
    return layer


@pytest.mark.parametrize(
    ("call", "error", "fragments"),
    [
        # inputs of the wrong width, or not 2-D
        (lambda: DenseLayer(3, 2).forward(np.ones((4, 2))), ValueError, ["3 columns", "(4, 2)"]),
        (lambda: DenseLayer(3, 2).forward(np.ones(3)), ValueError, ["2-D", "(3,)"]),
        (lambda: DenseLayer(3, 2).forward(np.ones((1, 1, 3))), ValueError, ["2-D", "(1, 1, 3)"]),
        (lambda: ReLU().forward(np.ones(4)), ValueError, ["2-D", "(4,)"]),
        (lambda: SoftMax().forward(5.0), ValueError, ["2-D", "()"]),
        (lambda: DenseLayer(2, 2).forward([["a", "b"]]), TypeError, ["numbers", "<U1"]),
        # an empty batch
        (lambda: DenseLayer(3, 2).forward(np.ones((0, 3))), ValueError, ["empty", "(0, 3)"]),
        (lambda: SoftMax().forward(np.ones((0, 3))), ValueError, ["empty", "(0, 3)"]),
        (
            lambda: CategoricalCrossEntropy().calculate(np.ones((0, 3)), np.array([], dtype=int)),
            ValueError,
            ["empty", "(0, 3)"],
        ),
        # backward before forward
        (lambda: DenseLayer(3, 2).backward(np.ones((4, 2))), ValueError, ["before", "forward"]),
        (lambda: ReLU().backward(np.ones((4, 2))), ValueError, ["before", "ReLU.forward"]),
        (lambda: SoftMax().backward(np.ones((4, 2))), ValueError, ["before", "SoftMax.forward"]),
        (
            lambda: SoftMaxCategoricalCrossEntropy().backward(np.ones((2, 3)), [0, 1]),
            ValueError,
            ["before", "forward"],
        ),
        # gradients of the wrong shape
        (
            lambda: forwarded_layer().backward(np.ones((2, 4))),
            ValueError,
            ["(4, 2)", "(2, 4)"],
        ),
        (lambda: forwarded_layer().backward(np.ones(8)), ValueError, ["(4, 2)", "(8,)"]),
        (lambda: forwarded_layer().backward([["x", "y"]] * 4), TypeError, ["numeric", "<U1"]),
        # parameters replaced by arrays of the wrong shape
        (
            lambda: _with_parameter(biases=np.ones((4, 1))).forward(np.ones((4, 3))),
            ValueError,
            ["biases of shape (1, n_neurons)", "(3, 2) and (4, 1)"],
        ),
        (
            lambda: _with_parameter(weights=np.ones(3)).forward(np.ones((4, 3))),
            ValueError,
            ["weights of shape (n_inputs, n_neurons)", "(3,)"],
        ),
        # layer sizes that are not positive integers
        (lambda: DenseLayer(0, 3), ValueError, ["n_inputs", "positive integer", "0"]),
        (lambda: DenseLayer(3, -2), ValueError, ["n_neurons", "positive integer", "-2"]),
        (lambda: DenseLayer(2.5, 3), TypeError, ["n_inputs", "positive integer", "2.5"]),
        (lambda: DenseLayer("3", 3), TypeError, ["n_inputs", "positive integer", "'3'"]),
        (lambda: DenseLayer(True, 3), TypeError, ["n_inputs", "positive integer", "True"]),
        (lambda: DenseLayer(3, None), TypeError, ["n_neurons", "positive integer", "None"]),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, fragments):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


PROBABILITIES = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4]])


def loss_calls(labels):
    """Every public entry point that takes labels, for the same predictions."""
    scores = np.log(PROBABILITIES)

    def combined_forward():
        SoftMaxCategoricalCrossEntropy().forward(scores, labels)

    def combined_backward():
        combined = SoftMaxCategoricalCrossEntropy()
        combined.forward(scores, [0, 1])
        combined.backward(combined.output, labels)

    return [
        lambda: CategoricalCrossEntropy().calculate(PROBABILITIES, labels),
        lambda: CategoricalCrossEntropy().backward(PROBABILITIES, labels),
        combined_forward,
        combined_backward,
    ]


@pytest.mark.parametrize(
    ("labels", "error", "fragments"),
    [
        (np.array([0, 3]), ValueError, ["[0, 2]", "0 to 3"]),  # out of range
        (np.array([-1, 1]), ValueError, ["[0, 2]", "-1 to 1"]),  # negative
        (np.array([0.0, 1.5]), TypeError, ["integers", "float64"]),  # not integers
        (np.array([0, 1, 2]), ValueError, ["3 labels", "2 samples"]),  # wrong count
        (np.array([0]), ValueError, ["1 labels", "2 samples"]),
        (np.eye(4)[[0, 1]], ValueError, ["(2, 3)", "(2, 4)"]),  # one-hot of the wrong width
        (np.eye(3)[[0, 1, 2]], ValueError, ["(2, 3)", "(3, 3)"]),  # one-hot, wrong count
        (np.array([[1, 1, 0], [0, 1, 0]]), ValueError, ["one-hot", "exactly one 1"]),
        (np.zeros((2, 3, 1), dtype=int), ValueError, ["1-D", "one-hot", "(2, 3, 1)"]),
    ],
)
@pytest.mark.parametrize("entry", range(4))
def test_bad_labels_raise_a_clear_error(labels, error, fragments, entry):
    with pytest.raises(error) as raised:
        loss_calls(labels)[entry]()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    "call",
    [
        lambda: CategoricalCrossEntropy().calculate(np.array([[np.nan, 0.5, 0.5]]), [0]),
        lambda: CategoricalCrossEntropy().backward(np.array([[np.nan, 0.5, 0.5]]), [0]),
        lambda: SoftMaxCategoricalCrossEntropy().forward(np.array([[np.nan, 0.0, 1.0]]), [0]),
        lambda: SoftMax().forward(np.array([[1.0, np.nan]])),
        lambda: ReLU().forward(np.array([[np.nan]])),
        lambda: DenseLayer(2, 2).forward(np.array([[np.nan, 1.0]])),
    ],
)
def test_nan_input_is_rejected(call):
    with pytest.raises(ValueError) as raised:
        call()
    message = str(raised.value)
    assert "must be numbers, not NaN" in message and "got 1 NaN of" in message, message


def test_probabilities_outside_zero_one_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        CategoricalCrossEntropy().calculate(np.array([[1.5, -0.5]]), [0])


# ---------------------------------------------------------------------------
# Extreme input stays finite
# ---------------------------------------------------------------------------


def test_softmax_of_huge_logits_is_finite():
    scores = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    softmax = SoftMax()
    softmax.forward(scores)
    assert np.all(np.isfinite(softmax.output))
    np.testing.assert_allclose(softmax.output.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax.output[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(softmax.output[2], [0.5, 0.5, 0.0])
    softmax.backward(np.ones_like(scores))
    assert np.all(np.isfinite(softmax.dinputs))


def test_combined_loss_of_huge_logits_is_finite():
    scores = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    labels = np.array([1, 1])  # the first sample is confidently wrong: probability 0
    combined = SoftMaxCategoricalCrossEntropy()
    loss = combined.forward(scores, labels)
    assert np.isfinite(loss)
    # -log of the clip value 1e-7 for the wrong sample, about 0 for the right one, averaged.
    assert loss == pytest.approx((-np.log(1e-7) - np.log(1 - 1e-7)) / 2, rel=1e-9)
    combined.backward(combined.output, labels)
    assert np.all(np.isfinite(combined.dinputs))
    np.testing.assert_allclose(combined.dinputs[0], [0.5, -0.5, 0.0], atol=1e-15)


def test_cross_entropy_of_a_zero_probability_is_finite():
    predictions = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    labels = np.array([0, 0])
    loss = CategoricalCrossEntropy()
    value = loss.calculate(predictions, labels)
    assert np.isfinite(value)
    assert value == pytest.approx((-np.log(1e-7) - np.log(1 - 1e-7)) / 2, rel=1e-9)
    loss.backward(predictions, labels)
    assert np.all(np.isfinite(loss.dinputs))
    assert loss.dinputs[0, 0] == pytest.approx(-1 / 1e-7 / 2)


def test_dense_layer_and_relu_with_huge_inputs_stay_finite():
    layer, relu = DenseLayer(3, 4), ReLU()
    inputs = np.array([[1e6, -1e6, 3e5], [-1e8, 0.0, 1e8]])
    layer.forward(inputs)
    relu.forward(layer.output)
    relu.backward(np.ones_like(relu.output))
    layer.backward(relu.dinputs)
    for array in (layer.output, layer.dweights, layer.dbiases, layer.dinputs):
        assert np.all(np.isfinite(array))


# ---------------------------------------------------------------------------
# A whole network, the softmax Jacobian, labels and gradients of every kind
# ---------------------------------------------------------------------------


def test_whole_network_gradients_match_numerical_ones():
    # float64 data, so that central differences are accurate.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 2))
    y = rng.integers(0, 3, size=12)
    dense1, activation1, dense2 = DenseLayer(2, 5), ReLU(), DenseLayer(5, 3)
    dense1.weights = rng.normal(size=(2, 5))
    dense1.biases = rng.normal(size=(1, 5))
    dense2.weights = rng.normal(size=(5, 3))
    loss_activation = SoftMaxCategoricalCrossEntropy()

    def loss():
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        return loss_activation.forward(dense2.output, y)

    loss()
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    analytic = [dense1.dweights, dense1.dbiases, dense2.dweights, dense2.dbiases]
    params = [dense1.weights, dense1.biases, dense2.weights, dense2.biases]
    for got, param in zip(analytic, params, strict=True):
        np.testing.assert_allclose(
            got, numerical_gradient(of_entries(param, loss), param), rtol=1e-5, atol=1e-8
        )


def test_softmax_backward_matches_jacobian():
    rng = np.random.default_rng(2)
    scores, dvalues = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    softmax = SoftMax()
    softmax.forward(scores)
    softmax.backward(dvalues)
    for s, d, got in zip(softmax.output, dvalues, softmax.dinputs, strict=True):
        jacobian = np.diag(s) - np.outer(s, s)
        np.testing.assert_allclose(got, jacobian @ d, rtol=1e-12, atol=1e-15)


def test_relu_backward_gives_plain_zeros():
    relu = ReLU()
    relu.forward(np.array([[1.0, -2.0, 0.0, 3.0]]))
    relu.backward(np.array([[-5.0, -5.0, -5.0, -5.0]]))
    np.testing.assert_array_equal(relu.dinputs, [[-5.0, 0.0, 0.0, -5.0]])
    assert not np.signbit(relu.dinputs[0, 1:3]).any(), "masked gradients must be +0.0, not -0.0"


def test_one_hot_and_sparse_labels_agree():
    scores = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    a, b = SoftMaxCategoricalCrossEntropy(), SoftMaxCategoricalCrossEntropy()
    assert a.forward(scores, np.array([1, 2])) == b.forward(scores, np.eye(3)[[1, 2]])
    a.backward(a.output, np.array([1, 2]))
    b.backward(b.output, np.eye(3)[[1, 2]])
    np.testing.assert_array_equal(a.dinputs, b.dinputs)


def test_relu_backward_keeps_integer_gradients():
    relu = ReLU()
    relu.forward([[1, 2, -3, -4], [2, -7, -1, 3], [-1, 2, 5, -1]])
    relu.backward(np.arange(1, 13).reshape(3, 4))
    np.testing.assert_array_equal(relu.dinputs, [[1, 2, 0, 0], [5, 0, 0, 8], [0, 10, 11, 0]])


def test_boolean_labels_are_classes_not_a_mask():
    scores = np.array([[1.0, 2.0], [3.0, 1.0]])
    by_bool = SoftMaxCategoricalCrossEntropy().forward(scores, np.array([True, False]))
    by_int = SoftMaxCategoricalCrossEntropy().forward(scores, np.array([1, 0]))
    assert by_bool == by_int
