"""The shared engine still reproduces the published numbers of chapters 3, 4, 5 and 9.

After ``nnfs.init()``, these numbers (from the book plan) must not move by more than one
float32 unit in the last place (ULP). With the plain engine, whose products go through
``nnfs.init()``'s ``np.dot``, two of chapter 9's gradient entries still sit 1 ULP away
(``dense1.dbiases[0, 2]``, ``dense2.dweights[1, 2]``). They come from float32 ``exp``, ``log``
and sums, whose last digit varies between NumPy builds and CPUs, not from the products. The
engine's gradient checks and bad-input cases are in ``test_engine.py``.
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


def test_float32_in_float32_out(spiral):
    X, y = spiral
    layer = DenseLayer(2, 4)
    layer.forward(X)
    layer.backward(np.ones_like(layer.output))
    for array in (layer.output, layer.dweights, layer.dbiases, layer.dinputs):
        assert array.dtype == np.float32


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
