"""The noise ceiling of ``spiral_data`` (resources/data.py): the Bayes classifier and its
Monte Carlo accuracy, checked against a quadrature of the same probability and against the
generator's own points."""

import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.data import SPIRAL_ANGLE_NOISE, noise_ceiling, spiral_bayes_classes


def _exact_ceiling(classes=3):
    """P(the Bayes guess is right) for a point at a radius r > 0, by quadrature over the
    angle noise e ~ N(0, 0.5^2). At every r > 0 the arms' centres differ by 10 c (mod 2 pi),
    so the probability does not depend on r."""
    sigma = SPIRAL_ANGLE_NOISE
    noise = np.linspace(-8 * sigma, 8 * sigma, 200_001)
    weight = np.exp(-(noise**2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    step = noise[1] - noise[0]
    shifts = 10.0 * np.arange(classes)
    right = 0.0
    for true in range(classes):
        # density of every class at the angle (centre of `true`) + noise
        offsets = noise[:, None] + shifts[true] - shifts[None, :]
        wrapped = (offsets + np.pi) % (2 * np.pi) - np.pi
        wraps = 2 * np.pi * np.arange(-2, 3)
        density = np.exp(-((wrapped[:, :, None] + wraps) ** 2) / (2 * sigma**2)).sum(axis=2)
        wins = np.argmax(density, axis=1) == true
        right += np.sum(weight * wins) * step
    return right / classes


def test_the_monte_carlo_ceiling_agrees_with_the_quadrature():
    exact = _exact_ceiling()
    assert 0.90 < exact < 0.92
    accuracy, standard_error = noise_ceiling(samples=1000, draws=40, seed=3)
    # With 1000 samples per class one point in 1000 sits at r = 0 (the origin, all classes
    # alike: right one time in three).
    expected = (1 - 1 / 1000) * exact + (1 / 1000) / 3
    assert abs(accuracy - expected) < 4 * standard_error
    np.testing.assert_allclose(standard_error, np.sqrt(accuracy * (1 - accuracy) / 120_000))


def test_the_ceiling_of_small_sets_counts_the_origin():
    exact = _exact_ceiling()
    accuracy, standard_error = noise_ceiling(samples=25, draws=800, seed=1)
    expected = (1 - 1 / 25) * exact + (1 / 25) / 3
    assert abs(accuracy - expected) < 4 * standard_error
    assert accuracy < exact - 0.01


def test_noise_free_points_get_their_own_class_and_the_global_state_is_left_alone():
    r = np.linspace(0.05, 1, 50)
    for c in range(3):
        t = 4 * c + 4 * r
        X = np.column_stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)])
        assert np.all(spiral_bayes_classes(X) == c)
    np.random.seed(7)
    before = np.random.random(3)
    np.random.seed(7)
    noise_ceiling(samples=10, draws=2)
    np.testing.assert_array_equal(np.random.random(3), before)


def test_the_bayes_guess_beats_any_network_on_average_but_not_every_point():
    np.random.seed(0)
    X, y = spiral_data(samples=300, classes=3)
    right = np.mean(spiral_bayes_classes(X) == y)
    assert 0.85 < right < 0.96  # one draw of 900 points: standard error about 0.01


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: spiral_bayes_classes(np.zeros((4, 3))), ValueError),
        (lambda: spiral_bayes_classes(np.zeros(4)), ValueError),
        (lambda: spiral_bayes_classes([["a", "b"]]), TypeError),
        (lambda: spiral_bayes_classes(np.zeros((4, 2)), classes=1), ValueError),
        (lambda: noise_ceiling(samples=1), ValueError),
        (lambda: noise_ceiling(draws=0), ValueError),
        (lambda: noise_ceiling(samples=2.5), ValueError),
    ],
)
def test_bad_input_is_refused(call, error):
    with pytest.raises(error):
        call()


def test_the_origin_carries_no_angle_even_with_signed_zeros():
    # spiral_data puts r = 0 at (0 * sin, 0 * cos), which can be -0.0; arctan2 would read a
    # quadrant from the signs, information no network can use.
    origins = np.array([[0.0, 0.0], [-0.0, 0.0], [0.0, -0.0], [-0.0, -0.0]])
    assert len(set(spiral_bayes_classes(origins).tolist())) == 1
