"""Inverted dropout in the engine (chapter 15): ``Dropout(rate)``.

``rate`` is the share dropped; the layer keeps ``self.rate = 1 - rate`` (the NNFS book's
convention) and scales kept units by ``1 / self.rate``. The backward pass is checked with
central differences on random shapes (hypothesis), with the mask held fixed by drawing it from
the same seed for every evaluation.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resources.classes import Dropout
from tests.engine.test_engine import SETTINGS, matrices, numerical_gradient

sizes = st.integers(min_value=1, max_value=6)


@st.composite
def dropout_cases(draw):
    n, k = draw(sizes), draw(sizes)
    rate = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.8]))
    seed = draw(st.integers(0, 2**31 - 1))
    return rate, seed, draw(matrices(n, k)), draw(matrices(n, k, -1, 1))


@SETTINGS
@given(dropout_cases())
def test_dropout_backward_with_a_fixed_mask(case):
    rate, seed, inputs, dvalues = case
    layer = Dropout(rate)
    np.random.seed(seed)
    layer.forward(inputs)
    layer.backward(dvalues)

    def f(values):
        probe = Dropout(rate)
        np.random.seed(seed)  # the same draws, so the same mask as above
        probe.forward(values)
        return np.sum(probe.output * dvalues)

    np.testing.assert_allclose(layer.dinputs, numerical_gradient(f, inputs), atol=1e-6)
    np.testing.assert_array_equal(layer.dinputs, dvalues * layer.binary_mask)


@SETTINGS
@given(dropout_cases())
def test_mask_is_zero_or_one_over_the_share_kept(case):
    rate, seed, inputs, _ = case
    layer = Dropout(rate)
    np.random.seed(seed)
    layer.forward(inputs)
    keep = 1 - rate
    assert layer.rate == pytest.approx(keep)
    assert set(np.unique(layer.binary_mask)) <= {0.0, 1 / keep}
    np.testing.assert_array_equal(layer.output, inputs * layer.binary_mask)


def test_share_dropped_and_mean_preserved():
    np.random.seed(0)
    layer = Dropout(0.1)
    inputs = np.ones((1000, 200))
    layer.forward(inputs)
    dropped = np.mean(layer.binary_mask == 0)
    assert abs(dropped - 0.1) < 0.005  # 200,000 draws: standard error 0.0007
    assert abs(layer.output.mean() - 1.0) < 0.01  # inverted scaling keeps the expectation


@pytest.mark.parametrize("keep", [0.9, 0.75, 0.6, 0.51])
def test_mask_equals_the_nnfs_binomial_mask_when_more_than_half_is_kept(keep):
    # For a share kept above 0.5, np.random.binomial(1, keep) draws one uniform per unit and
    # returns 1 where it is at most keep: the same mask as the engine's uniform draws.
    shape = (300, 64)
    np.random.seed(0)
    binomial = np.random.binomial(1, keep, size=shape) / keep
    next_binomial = np.random.binomial(1, keep, size=shape) / keep
    np.random.seed(0)
    layer = Dropout(1 - keep)
    layer.forward(np.ones(shape))
    first = layer.binary_mask.copy()
    layer.forward(np.ones(shape))
    np.testing.assert_array_equal(first, binomial)
    np.testing.assert_array_equal(layer.binary_mask, next_binomial)  # and the stream goes on alike


def test_inference_mode_is_the_identity():
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((7, 5))
    layer = Dropout(0.5)
    state = np.random.get_state()
    layer.forward(inputs, training=False)
    np.testing.assert_array_equal(layer.output, inputs)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2], "nothing drawn"
    dvalues = rng.standard_normal((7, 5))
    layer.backward(dvalues)
    np.testing.assert_array_equal(layer.dinputs, dvalues)


def test_float32_inputs():
    np.random.seed(0)
    layer = Dropout(0.1)
    layer.forward(np.ones((4, 3), dtype=np.float32))
    assert np.all(np.isfinite(layer.output))


@pytest.mark.parametrize(
    "rate, error, fragment",
    [
        (1.0, ValueError, "[0, 1)"),
        (1.5, ValueError, "[0, 1)"),
        (-0.1, ValueError, "[0, 1)"),
        (float("nan"), ValueError, "[0, 1)"),
        ("0.1", TypeError, "must be a number"),
        (None, TypeError, "must be a number"),
    ],
)
def test_bad_rates_are_refused(rate, error, fragment):
    with pytest.raises(error) as raised:
        Dropout(rate)
    assert "Dropout rate" in str(raised.value) and fragment in str(raised.value)


def test_backward_before_forward_is_refused():
    with pytest.raises(ValueError, match=r"Dropout.backward\(\) was called before"):
        Dropout(0.1).backward(np.ones((2, 2)))


def test_backward_with_the_wrong_shape_is_refused():
    layer = Dropout(0.1)
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shaped like the forward output \(2, 3\)"):
        layer.backward(np.ones((3, 2)))


@pytest.mark.parametrize(
    "inputs, error, fragment",
    [
        (np.ones(3), ValueError, "must be 2-D"),
        (np.ones((0, 3)), ValueError, "empty batch"),
        (np.array([[1.0, np.nan]]), ValueError, "NaN"),
        (np.array([["a", "b"]]), TypeError, "must be numbers"),
    ],
)
def test_bad_inputs_are_refused(inputs, error, fragment):
    with pytest.raises(error, match="Dropout inputs") as raised:
        Dropout(0.1).forward(inputs)
    assert fragment in str(raised.value)


def test_training_must_be_a_flag():
    with pytest.raises(TypeError, match="True or False"):
        Dropout(0.1).forward(np.ones((2, 2)), training="no")
