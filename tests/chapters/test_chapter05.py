"""Chapter 5, what it added: why cross-entropy, the one-hot remark, the ln C check.

The published numbers of chapter 5 are tested in test_chapters_05_08.py. Expected values here
come from mathematics or an independent computation, never from a copy of a run.
"""

import math
import re

import numpy as np
import pytest

from tests.notebooks import glued, numbers_in
from tests.notebooks import output_of as _output_of


def output_of(nb, tag):
    return re.sub(r"<Figure size [^>]*>\n?", "", _output_of(nb, tag))


@pytest.fixture(scope="module")
def ch5(executed):
    return executed("05_loss")


def test_squared_error_is_bounded_and_cross_entropy_is_not(ch5):
    lines = output_of(ch5, "out-mse-vs-ce").strip().splitlines()
    rows = [numbers_in(line) for line in lines[:3]]
    for (p, squared, cross), p_expected in zip(rows, (0.5, 0.1, 0.01), strict=True):
        assert p == p_expected
        rest = (1 - p) / 2
        np.testing.assert_allclose(squared, (1 - p) ** 2 + 2 * rest**2, atol=5e-4)
        np.testing.assert_allclose(cross, -math.log(p), atol=5e-4)
        assert squared <= 2  # the bound the prose states
    # "From p = 0.1 to p = 0.01 the squared error grows by a fifth, the cross-entropy doubles."
    assert 1.15 < rows[2][1] / rows[1][1] < 1.25
    assert rows[2][2] / rows[1][2] == pytest.approx(2, rel=1e-3)
    # 3^-300 is about 1e-143 in float64 and 0 in float32.
    likelihood = numbers_in(lines[3])[-1]
    assert likelihood == pytest.approx(3.0**-300, rel=1e-12)
    assert -144 < math.log10(likelihood) < -143
    assert numbers_in(lines[4])[-1] == 0.0
    # "0.375 at p = 0.5, about four times that at p = 0.01", capped at 2.
    assert rows[0][1] == pytest.approx(0.375, abs=5e-4)
    assert 3.5 < rows[2][1] / rows[0][1] < 4.5


def softmax_costs(scores):
    y_hat = np.exp(scores) / np.sum(np.exp(scores))
    return np.sum((y_hat - [1.0, 0.0, 0.0]) ** 2), -np.log(y_hat[0])


def test_a_helpful_nudge_barely_moves_the_squared_error_of_a_confident_mistake(ch5):
    lines = output_of(ch5, "out-mse-vs-ce").strip().splitlines()[5:8]
    drops = {}
    for line, p in zip(lines, (0.5, 0.1, 0.01), strict=True):
        p_printed, squared_drop, cross_drop = numbers_in(line)
        assert p_printed == p
        # Independent computation, twice: the exact change, and to first order
        # d(cost)/d(z_0) * 0.01 (squared error through softmax: -2 p SE; cross-entropy: p - 1).
        scores = np.log([p, (1 - p) / 2, (1 - p) / 2])
        before, after = softmax_costs(scores), softmax_costs(scores + [0.01, 0.0, 0.0])
        exact = (before[0] - after[0], before[1] - after[1])
        np.testing.assert_allclose([squared_drop, cross_drop], exact, atol=5.1e-6)
        rest = (1 - p) / 2
        se = (1 - p) ** 2 + 2 * rest**2
        np.testing.assert_allclose(exact, [0.01 * 2 * p * se, 0.01 * (1 - p)], rtol=0.02)
        drops[p] = exact
    ratio = float(glued(ch5)["ch05_nudge_se_ratio"])
    assert ratio == pytest.approx(drops[0.5][0] / drops[0.01][0], rel=1e-9)
    assert round(ratio) == 13
    # "The cross-entropy falls by almost the full 0.01 there, about twice what it falls at 0.5."
    assert 0.0095 < drops[0.01][1] < 0.01
    assert 1.9 < drops[0.01][1] / drops[0.5][1] < 2.1
    # The squared error's response shrinks as the mistake grows; the cross-entropy's grows.
    assert drops[0.5][0] > drops[0.1][0] > drops[0.01][0]
    assert drops[0.5][1] < drops[0.1][1] < drops[0.01][1]


def test_cross_entropy_is_entropy_plus_kl_and_kl_for_one_hot():
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.dirichlet(np.ones(4))
        y_hat = rng.dirichlet(np.ones(4))
        cross = -np.sum(y * np.log(y_hat))
        entropy = -np.sum(y * np.log(y))
        kl = np.sum(y * np.log(y / y_hat))
        assert cross == pytest.approx(entropy + kl, rel=1e-12)
        assert kl >= 0
    one_hot, y_hat = np.array([0.0, 1.0, 0.0]), np.array([0.2, 0.5, 0.3])
    kl = np.sum(one_hot[1] * np.log(one_hot[1] / y_hat[1]))  # 0 log 0 counts as 0
    assert kl == pytest.approx(-np.sum(one_hot * np.log(y_hat)), rel=1e-12)


def test_one_hot_sum_inside_the_log_equals_the_formula_as_written(ch5):
    text = output_of(ch5, "out-batch-onehot")
    mean = sum(-math.log(p) for p in (0.7, 0.5, 0.9)) / 3
    as_written = float(re.search(r"formula as written:\s*(\S+)", text).group(1))
    assert as_written == pytest.approx(mean, rel=1e-12)
    # With soft labels the two differ, as the prose says: the log of a sum is not a sum of logs.
    y_hat, soft = np.array([0.7, 0.1, 0.2]), np.array([0.9, 0.05, 0.05])
    assert abs(-np.log(np.sum(soft * y_hat)) - -np.sum(soft * np.log(y_hat))) > 0.05


def test_untrained_loss_is_ln_c_and_accuracy_near_chance(ch5):
    text = output_of(ch5, "out-spiral")
    loss = float(re.search(r"^loss: (\S+)", text, re.MULTILINE).group(1))
    acc = float(re.search(r"^acc: (\S+)", text, re.MULTILINE).group(1))
    assert abs(loss - math.log(3)) < 1e-4  # "within 0.0001 of ln 3"
    assert float(glued(ch5)["ch05_acc"]) == acc == 0.34
    # The accuracy is about 1/3 because the network predicts class 2 almost everywhere and the
    # classes are equally frequent: "predicts class 2 for 292 of the 300 points".
    sizes = numbers_in(re.search(r"points per class:(.*)", text).group(1))
    predicted = numbers_in(re.search(r"predictions per class:(.*)", text).group(1))
    assert sizes == [100, 100, 100]
    assert sum(predicted) == 300
    assert int(glued(ch5)["ch05_n_pred_2"]) == predicted[2] == 292
    assert max(predicted) == predicted[2]
    # A constant guess of one class scores 100/300; this network is within 0.01 of that.
    assert abs(acc - 100 / 300) < 0.01
    check = output_of(ch5, "out-spiral-check")
    assert float(re.search(r"chance accuracy: (\S+)", check).group(1)) == pytest.approx(
        1 / 3, abs=1e-4
    )


def test_softmax_of_equal_scores_gives_loss_ln_c():
    # The derivation of the initial-loss check, for several class counts C.
    from resources.classes import CategoricalCrossEntropy, SoftMax

    for c in (2, 3, 10):
        softmax = SoftMax()
        softmax.forward(np.zeros((4, c)))
        loss = CategoricalCrossEntropy().calculate(softmax.output, np.arange(4) % c)
        assert loss == pytest.approx(-math.log(1 / c), rel=1e-12)


def test_the_hesitant_batch_costs_more_than_twice_as_much(ch5):
    # "with only 0.4 on each right answer its loss is more than twice as high"
    confident, hesitant = (
        numbers_in(line) for line in output_of(ch5, "out-hesitant").strip().splitlines()
    )
    assert confident[0] == hesitant[0] == 1.0
    assert hesitant[1] > 2 * confident[1]


def test_the_engine_refuses_soft_labels():
    # "our function accepts them, the engine raises a ValueError"
    from resources.classes import CategoricalCrossEntropy

    with pytest.raises(ValueError, match="one-hot"):
        CategoricalCrossEntropy().calculate(
            np.array([[0.7, 0.1, 0.2]]), np.array([[0.9, 0.05, 0.05]])
        )
