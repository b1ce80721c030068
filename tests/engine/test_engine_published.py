"""The shared engine still reproduces the published numbers of chapters 3, 4, 5 and 9.

After ``nnfs.init()``, these numbers (from the book plan) must not move by more than one
float32 unit in the last place (ULP). With the plain engine, whose products go through
``nnfs.init()``'s ``np.dot``, two of chapter 9's gradient entries still sit 1 ULP away
(``dense1.dbiases[0, 2]``, ``dense2.dweights[1, 2]``): a sum of a float32 column gives the
same digit whichever order this machine adds it in, so the difference comes from float32
``exp``/``log``/sums upstream, which vary between NumPy builds and CPUs. The module also checks
the engine's gradients numerically and its clear errors for bad input.
"""

import nnfs
import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import (
    CategoricalCrossEntropy,
    DenseLayer,
    ReLU,
    SoftMax,
    SoftMaxCategoricalCrossEntropy,
)


def ulps(got, want):
    got = np.asarray(got, dtype=np.float32)
    want = np.asarray(want, dtype=np.float32)
    assert got.shape == want.shape
    as_int = lambda a: a.view(np.int32).astype(np.int64)  # noqa: E731
    return int(np.abs(as_int(got) - as_int(want)).max())


@pytest.fixture
def spiral():
    nnfs.init()
    return spiral_data(samples=100, classes=3)


@pytest.fixture
def network(spiral):
    X, y = spiral
    dense1, activation1, dense2 = DenseLayer(2, 3), ReLU(), DenseLayer(3, 3)
    loss_activation = SoftMaxCategoricalCrossEntropy()
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    loss = loss_activation.forward(dense2.output, y)
    loss_activation.backward(loss_activation.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    return dense1, dense2, loss_activation, loss


def test_chapter_3_dense_layer_rows(spiral):
    X, _ = spiral
    dense1 = DenseLayer(2, 3)
    dense1.forward(X)
    assert dense1.output.dtype == np.float32
    expected = [[0, 0, 0], [-1.0475188e-04, 1.1395361e-04, -4.7983500e-05]]
    assert ulps(dense1.output[:2], expected) <= 1


def test_chapter_4_and_5_untrained_network(spiral):
    X, y = spiral
    dense1, activation1, dense2, softmax = DenseLayer(2, 3), ReLU(), DenseLayer(3, 3), SoftMax()
    dense1.forward(X)
    activation1.forward(dense1.output)
    dense2.forward(activation1.output)
    softmax.forward(dense2.output)
    assert ulps(softmax.output[0], [0.33333334] * 3) <= 1
    loss = CategoricalCrossEntropy().calculate(softmax.output, y)
    assert ulps(loss, 1.0986104) <= 1
    assert np.mean(np.argmax(softmax.output, axis=1) == y) == 0.34


def test_chapter_9_spiral_gradients(network):
    dense1, dense2, _, loss = network
    assert ulps(loss, 1.0986104) <= 1
    published = {
        "dense1.dweights": (
            dense1.dweights,
            [[1.5766357e-04, 7.8368583e-05, 4.7324400e-05],
             [1.8161038e-04, 1.1045573e-05, -3.3096312e-05]],
        ),
        "dense1.dbiases": (dense1.dbiases, [[-3.6055347e-04, 9.6611722e-05, -1.0367140e-04]]),
        "dense2.dweights": (
            dense2.dweights,
            [[5.4410946e-05, 1.0741142e-04, -1.6182236e-04],
             [-4.0791343e-05, -7.1678092e-05, 1.1246945e-04],
             [-5.3011299e-05, 8.5817293e-05, -3.2805991e-05]],
        ),
        "dense2.dbiases": (dense2.dbiases, [[-1.0729185e-05, -9.4610732e-06, 2.0027859e-05]]),
    }  # fmt: skip
    for name, (got, want) in published.items():
        assert ulps(got, want) <= 1, name


def numerical_gradient(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = f()
        array[index] = saved - eps
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


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
        np.testing.assert_allclose(got, numerical_gradient(loss, param), rtol=1e-5, atol=1e-8)


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


def test_float32_in_float32_out(spiral):
    X, y = spiral
    layer = DenseLayer(2, 4)
    layer.forward(X)
    layer.backward(np.ones_like(layer.output))
    for array in (layer.output, layer.dweights, layer.dbiases, layer.dinputs):
        assert array.dtype == np.float32


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: DenseLayer(2, 3).forward([[1.0, 2.0, 3.0]]), ValueError),
        (lambda: DenseLayer(2, 3).forward([1.0, 2.0]), ValueError),
        (lambda: DenseLayer(2, 3).forward(np.zeros((0, 2))), ValueError),
        (lambda: DenseLayer(2, 3).forward([["a", "b"]]), TypeError),
        (lambda: DenseLayer(2, 3).forward([[np.nan, 1.0]]), ValueError),
        (lambda: DenseLayer(3, 1).forward([[np.nan, 1.0, 2.0]]), ValueError),
        (lambda: DenseLayer(2, 3).backward(np.ones((1, 3))), ValueError),
        (lambda: DenseLayer(0, 3), ValueError),
        (lambda: DenseLayer(2.5, 3), TypeError),
        (lambda: ReLU().forward([[1.0, np.nan]]), ValueError),
        (lambda: SoftMax().forward([[1.0, np.nan, 2.0]]), ValueError),
        (lambda: CategoricalCrossEntropy().calculate([[0.5, 0.5]], [2]), ValueError),
        (lambda: CategoricalCrossEntropy().calculate([[0.5, np.nan]], [0]), ValueError),
        (lambda: CategoricalCrossEntropy().calculate([[1.5, -0.5]], [0]), ValueError),
        (lambda: CategoricalCrossEntropy().calculate([[0.5, 0.5]], [0.0]), TypeError),
        (lambda: SoftMaxCategoricalCrossEntropy().forward([[1.0, 2.0]], [0, 1]), ValueError),
        (lambda: SoftMaxCategoricalCrossEntropy().forward([[1.0, 2.0]], [-1]), ValueError),
        (lambda: SoftMaxCategoricalCrossEntropy().forward([[1.0, 2.0]], [[1, 1]]), ValueError),
    ],
)
def test_bad_input_gives_a_clear_error(call, error):
    with pytest.raises(error):
        call()


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


def test_float64_biases_give_a_float64_output(spiral):
    X, _ = spiral
    layer = DenseLayer(2, 3)
    layer.biases = np.array([[2.0, 3.0, 0.5]])  # float64, while weights and X are float32
    layer.forward(X)
    assert layer.output.dtype == np.float64


def test_nnfs_init_inside_a_test(spiral):
    assert np.zeros(1).dtype == np.float32  # the spiral fixture ran nnfs.init()


def test_nnfs_init_does_not_leak_into_the_next_test():
    # conftest puts NumPy's own functions back after every test: float64 again.
    assert np.zeros(1).dtype == np.float64 and np.random.randn(1).dtype == np.float64
