"""Sigmoid and binary cross-entropy (chapter 16): gradients, the combined shortcut, bad input.

Every ``backward`` is compared with central differences in float64 on random shapes and values
(hypothesis). Bad input must raise a ValueError/TypeError whose message says what was expected
and what arrived; extreme but legal input must stay finite.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from resources.classes import BinaryCrossEntropy, DenseLayer, Sigmoid, SigmoidBinaryCrossEntropy
from resources.gradients import numerical_gradient as shared_numerical_gradient
from tests.engine.test_engine import matrices, numerical_gradient, sizes

SETTINGS = settings(max_examples=40, deadline=None)


def reference_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_bce(p, y):
    """Mean over outputs, then over samples, of -(y log p + (1 - y) log(1 - p)), unclipped."""
    return np.mean(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1))


@st.composite
def binary_cases(draw, low=0.02, high=0.98):
    """Probabilities (n, k) away from 0 and 1 and labels of 0 and 1 of the same shape."""
    n, k = draw(sizes), draw(sizes)
    p = draw(matrices(n, k, low, high))
    y = draw(arrays(np.int64, (n, k), elements=st.integers(0, 1)))
    return p, y


# ---------------------------------------------------------------------------
# Numerical gradient checks
# ---------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_sigmoid_forward_and_backward(data):
    n, k = data.draw(sizes), data.draw(sizes)
    z = data.draw(matrices(n, k, -8, 8))
    dvalues = data.draw(matrices(n, k, -1, 1))
    sigmoid = Sigmoid()
    sigmoid.forward(z)
    np.testing.assert_allclose(sigmoid.output, reference_sigmoid(z), rtol=1e-14)
    sigmoid.backward(dvalues)
    numeric = numerical_gradient(lambda x: np.sum(dvalues * reference_sigmoid(x)), z)
    np.testing.assert_allclose(sigmoid.dinputs, numeric, rtol=1e-6, atol=1e-9)
    # The derivative from the stored output: sigma' = sigma (1 - sigma).
    s = reference_sigmoid(z)
    np.testing.assert_allclose(sigmoid.dinputs, dvalues * s * (1 - s), rtol=1e-12, atol=1e-15)


@SETTINGS
@given(binary_cases())
def test_binary_cross_entropy_forward_and_backward(case):
    p, y = case
    loss = BinaryCrossEntropy()
    assert loss.calculate(p, y) == pytest.approx(reference_bce(p, y), rel=1e-12)
    sample_losses = loss.forward(p, y)
    assert sample_losses.shape == (len(p),)
    loss.backward(p, y)
    numeric = numerical_gradient(lambda q: reference_bce(q, y), p)
    np.testing.assert_allclose(loss.dinputs, numeric, rtol=1e-5, atol=1e-8)
    assert loss.dinputs.shape == p.shape


@SETTINGS
@given(st.data())
def test_sigmoid_and_bce_chain_equals_the_combined_gradient(data):
    """dL/dz through BCE then sigmoid equals (sigmoid(z) - y) / (n_outputs * n_samples)."""
    n, k = data.draw(sizes), data.draw(sizes)
    z = data.draw(matrices(n, k, -6, 6))
    y = data.draw(arrays(np.int64, (n, k), elements=st.integers(0, 1)))
    sigmoid, loss = Sigmoid(), BinaryCrossEntropy()
    sigmoid.forward(z)
    loss.backward(sigmoid.output, y)
    sigmoid.backward(loss.dinputs)
    combined = (reference_sigmoid(z) - y) / (k * n)
    np.testing.assert_allclose(sigmoid.dinputs, combined, rtol=1e-9, atol=1e-15)
    numeric = numerical_gradient(lambda x: reference_bce(reference_sigmoid(x), y), z)
    np.testing.assert_allclose(sigmoid.dinputs, numeric, rtol=1e-5, atol=1e-9)


@SETTINGS
@given(st.data())
def test_dense_sigmoid_bce_network_gradient(data):
    """The whole chain dense -> sigmoid -> BCE: dweights against central differences."""
    n, i = data.draw(sizes), data.draw(sizes)
    X = data.draw(matrices(n, i, -2, 2))
    weights = data.draw(matrices(i, 1, -1, 1))
    y = data.draw(arrays(np.int64, (n, 1), elements=st.integers(0, 1)))
    dense, sigmoid, loss = DenseLayer(i, 1), Sigmoid(), BinaryCrossEntropy()
    dense.weights = weights.copy()
    dense.forward(X)
    sigmoid.forward(dense.output)
    loss.backward(sigmoid.output, y)
    sigmoid.backward(loss.dinputs)
    dense.backward(sigmoid.dinputs)
    numeric = numerical_gradient(lambda w: reference_bce(reference_sigmoid(X @ w), y), weights)
    np.testing.assert_allclose(dense.dweights, numeric, rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------------------
# Extreme input stays finite
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_of_plus_minus_1000_is_finite_without_warnings(dtype):
    sigmoid = Sigmoid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        sigmoid.forward(np.array([[-1000.0, -100.0, 0.0, 100.0, 1000.0]], dtype=dtype))
        sigmoid.backward(np.ones((1, 5), dtype=dtype))
    assert np.all(np.isfinite(sigmoid.output)) and np.all(np.isfinite(sigmoid.dinputs))
    assert sigmoid.output[0, 0] < 1e-37 and sigmoid.output[0, 2] == 0.5
    assert sigmoid.output[0, 4] == 1.0
    assert sigmoid.output.dtype == dtype


def test_binary_cross_entropy_of_exact_zeros_and_ones_is_finite():
    p = np.array([[0.0], [1.0], [0.0], [1.0]])
    y = np.array([[0], [1], [1], [0]])
    loss = BinaryCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero, no log(0)
        sample_losses = loss.forward(p, y)
        loss.backward(p, y)
    assert np.all(np.isfinite(sample_losses)) and np.all(np.isfinite(loss.dinputs))
    # Right and sure: the clipped loss -log(1 - 1e-7) is about 1e-7; wrong and sure: -log(1e-7).
    np.testing.assert_allclose(sample_losses, [1e-7, 1e-7, -np.log(1e-7), -np.log(1e-7)], rtol=1e-6)
    assert loss.dinputs[2, 0] < 0 < loss.dinputs[3, 0]  # push p up for y = 1, down for y = 0


def test_binary_cross_entropy_keeps_float32_with_uint8_labels():
    """As in the NNFS run: float32 sigmoid outputs and spiral_data's uint8 labels."""
    p = np.array([[0.25], [0.5]], dtype=np.float32)
    y = np.array([[1], [0]], dtype=np.uint8)
    loss = BinaryCrossEntropy()
    assert loss.forward(p, y).dtype == np.float32
    loss.backward(p, y)
    assert loss.dinputs.dtype == np.float32
    np.testing.assert_allclose(loss.dinputs, [[-2.0], [1.0]], rtol=1e-6)  # -(1/0.25)/2, (1/0.5)/2


def test_boolean_labels_count_as_zeros_and_ones():
    p = np.array([[0.2], [0.9]])
    loss = BinaryCrossEntropy()
    assert loss.calculate(p, np.array([[False], [True]])) == pytest.approx(
        loss.calculate(p, np.array([[0], [1]])), rel=1e-15
    )


# ---------------------------------------------------------------------------
# Bad input: a clear error that says what was expected and what came
# ---------------------------------------------------------------------------

P = np.array([[0.2], [0.7], [0.5]])
Y = np.array([[0], [1], [1]])


def bce_calls(p, y):
    """Both entry points of the loss, for the same predictions and labels."""
    return [
        lambda: BinaryCrossEntropy().calculate(p, y),
        lambda: BinaryCrossEntropy().backward(p, y),
    ]


@pytest.mark.parametrize(
    ("p", "y", "error", "fragments"),
    [
        # (n,) labels against (n, 1) predictions: NumPy would broadcast into an (n, n) loss
        (P, np.array([0, 1, 1]), ValueError, ["(3, 1)", "(3,)", "reshape(-1, 1)"]),
        (P, np.array([[0, 1, 1]]), ValueError, ["(3, 1)", "(1, 3)"]),
        (P, np.array([[0], [1]]), ValueError, ["(3, 1)", "(2, 1)"]),
        # labels other than 0 and 1
        (P, np.array([[0], [2], [1]]), ValueError, ["0 or 1", "[2]"]),
        (P, np.array([[0.0], [0.5], [1.0]]), ValueError, ["0 or 1", "[0.5]"]),
        (P, np.array([[-1], [1], [1]]), ValueError, ["0 or 1", "[-1]"]),
        (P, np.array([[0.0], [np.nan], [1.0]]), ValueError, ["NaN"]),
        (P, np.array([["a"], ["b"], ["c"]]), TypeError, ["numbers", "<U1"]),
        # probabilities outside [0, 1], NaN, or not a batch
        (np.array([[1.5], [0.5], [0.5]]), Y, ValueError, ["[0, 1]", "1.5"]),
        (np.array([[-0.1], [0.5], [0.5]]), Y, ValueError, ["[0, 1]", "-0.1"]),
        (np.array([[np.nan], [0.5], [0.5]]), Y, ValueError, ["NaN"]),
        (np.array([0.2, 0.7, 0.5]), Y, ValueError, ["2-D", "(3,)"]),
        # an empty batch
        (np.ones((0, 1)), np.ones((0, 1)), ValueError, ["empty", "(0, 1)"]),
    ],
)
@pytest.mark.parametrize("entry", range(2))
def test_bce_bad_input_raises_a_clear_error(p, y, error, fragments, entry):
    with pytest.raises(error) as raised:
        bce_calls(p, y)[entry]()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    ("call", "error", "fragments"),
    [
        (lambda: Sigmoid().backward(np.ones((2, 1))), ValueError, ["before", "Sigmoid.forward"]),
        (lambda: Sigmoid().forward(np.ones(3)), ValueError, ["2-D", "(3,)"]),
        (lambda: Sigmoid().forward(np.ones((0, 1))), ValueError, ["empty", "(0, 1)"]),
        (lambda: Sigmoid().forward([[np.nan, 1.0]]), ValueError, ["NaN", "1 NaN"]),
        (lambda: Sigmoid().forward([["a"]]), TypeError, ["numbers", "<U1"]),
        (lambda: _forwarded_sigmoid().backward(np.ones((1, 2))), ValueError, ["(2, 1)", "(1, 2)"]),
    ],
)
def test_sigmoid_bad_input_raises_a_clear_error(call, error, fragments):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def _forwarded_sigmoid():
    sigmoid = Sigmoid()
    sigmoid.forward(np.zeros((2, 1)))
    return sigmoid


# -- the combined class, from the scores ------------------------------------------------------


def _combined_loss(z, y):
    return SigmoidBinaryCrossEntropy().forward(z, y)


@given(binary_cases())
@SETTINGS
def test_combined_class_equals_the_sigmoid_then_bce_chain(case):
    p, y = case
    z = np.log(p / (1 - p))  # the scores whose sigmoid is p (p is kept inside [0.02, 0.98])
    combined = SigmoidBinaryCrossEntropy()
    loss = combined.forward(z, y)
    sigmoid, bce = Sigmoid(), BinaryCrossEntropy()
    sigmoid.forward(z)
    np.testing.assert_allclose(loss, bce.calculate(sigmoid.output, y), rtol=1e-10)
    np.testing.assert_allclose(combined.output, sigmoid.output, rtol=1e-12)
    combined.backward(combined.output, y)
    bce.backward(sigmoid.output, y)
    sigmoid.backward(bce.dinputs)
    np.testing.assert_allclose(combined.dinputs, sigmoid.dinputs, rtol=1e-7, atol=1e-12)
    # and both are the numerical gradient of the mean loss with respect to the scores
    numerical = numerical_gradient(lambda scores: _combined_loss(scores, y), z)
    np.testing.assert_allclose(combined.dinputs, numerical, rtol=1e-5, atol=1e-9)


def test_combined_class_gradient_is_numerical_on_fixed_scores():
    z = np.array([[-3.0, 0.5, 12.0], [2.0, -0.1, -30.0]])
    y = np.array([[0, 1, 0], [1, 1, 0]])
    combined = SigmoidBinaryCrossEntropy()
    combined.forward(z, y)
    combined.backward(combined.output, y)
    expected = (reference_sigmoid(z) - y) / 3 / 2
    np.testing.assert_allclose(combined.dinputs, expected, rtol=1e-12)
    numerical = shared_numerical_gradient(lambda s: _combined_loss(s, y), z)
    np.testing.assert_allclose(combined.dinputs, numerical, rtol=1e-6, atol=1e-10)


def test_combined_class_equals_pytorch_binary_cross_entropy_with_logits():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    z = rng.normal(0, 5, size=(6, 3))
    y = rng.integers(0, 2, size=(6, 3))
    combined = SigmoidBinaryCrossEntropy()
    loss = combined.forward(z, y)
    combined.backward(combined.output, y)
    scores = torch.tensor(z, requires_grad=True)
    reference = torch.nn.functional.binary_cross_entropy_with_logits(
        scores, torch.tensor(y, dtype=torch.float64)
    )
    reference.backward()
    np.testing.assert_allclose(loss, reference.item(), rtol=1e-12)
    np.testing.assert_allclose(combined.dinputs, scores.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_combined_class_is_finite_at_huge_scores(dtype):
    z = np.array([[1000.0, -1000.0], [1000.0, -1000.0]], dtype=dtype)
    y = np.array([[1, 0], [0, 1]])  # right and sure, then wrong and sure
    combined = SigmoidBinaryCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        loss = combined.forward(z, y)
        combined.backward(combined.output, y)
    assert np.isfinite(loss)
    assert loss == pytest.approx(500.0)  # the four elements cost 0, 0, 1000 and 1000
    assert np.all(np.isfinite(combined.dinputs))
    # the wrong and sure answers keep their full gradient, (p - y) / (N J) = +-1/4
    np.testing.assert_allclose(combined.dinputs[1], [0.25, -0.25], atol=1e-12)
    np.testing.assert_allclose(combined.dinputs[0], [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize(
    ("z", "y", "error", "fragments"),
    [
        (np.zeros((3, 1)), np.array([[0], [2], [1]]), ValueError, ["0 or 1", "2"]),
        (np.zeros((3, 1)), np.array([[0], [0.5], [1]]), ValueError, ["0 or 1", "0.5"]),
        (np.zeros((3, 1)), np.array([0, 1, 1]), ValueError, ["(3, 1)", "(3,)", "reshape"]),
        (np.zeros((3, 2)), np.zeros((3, 1)), ValueError, ["(3, 2)", "(3, 1)"]),
        (np.zeros(3), np.zeros(3), ValueError, ["2-D", "(3,)"]),
        (np.zeros((3, 1)), np.array([["a"], ["b"], ["c"]]), TypeError, ["numbers", "<U1"]),
    ],
)
def test_combined_class_refuses_bad_labels(z, y, error, fragments):
    with pytest.raises(error) as raised:
        _combined_loss(z, y)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_combined_class_backward_refuses_bad_calls():
    with pytest.raises(ValueError, match="before"):
        SigmoidBinaryCrossEntropy().backward(np.zeros((2, 1)), np.zeros((2, 1)))
    combined = SigmoidBinaryCrossEntropy()
    combined.forward(np.zeros((2, 1)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="0 or 1"):
        combined.backward(combined.output, np.array([[3], [0]]))
