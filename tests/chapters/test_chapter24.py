"""Chapter 24 (Batch normalization): the numbers the page shows, from the executed notebook.

The small hand-worked arrays are recomputed here from the same seeds and compared digit for
digit; every step of the backward pass must agree with its numerical gradient; the deep
network's runs (float64, seeded) are checked with thresholds and with the inequalities the
prose states (which differences are beyond Student's t for six seeds, which are noise).
"""

import re

import numpy as np
import pytest

from tests.notebooks import glued, numbers_in, output_of

NAME = "24_batch_normalization"
EPSILON = 1e-5
ROW = re.compile(r"^\s*(\d+)\s+(with|without)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", re.M)
DIFFERENCE = re.compile(
    r"^\s+(loss half|loss end|train acc|val acc)\s+([-+][\d.]+) \(([\d.]+)\)$", re.M
)
COLUMNS = ("loss half", "loss end", "train acc", "val acc")


@pytest.fixture(scope="module")
def chapter(executed):
    return executed(NAME)


@pytest.fixture(scope="module")
def glue(chapter):
    return {key: float(value) for key, value in glued(chapter).items()}


def hand_batch():
    rng = np.random.default_rng(24)
    inputs = rng.normal(loc=[1.0, -2.0, 0.5], scale=[0.5, 2.0, 1.0], size=(5, 3))
    return rng, inputs


def line_numbers(text, start):
    """The numbers on the line of ``text`` that starts with ``start``."""
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return numbers_in(line[len(start) :])


def test_forward_by_hand(chapter):
    _, inputs = hand_batch()
    text = output_of(chapter, "out-forward")
    variance = inputs.var(axis=0)
    assert line_numbers(text, "column means of the inputs:") == list(inputs.mean(axis=0).round(3))
    assert line_numbers(text, "column means of normalized:") == [0.0, 0.0, 0.0]
    # "variance just under 1 (it is sigma^2 / (sigma^2 + epsilon))"
    shown = line_numbers(text, "column variances of normalized:")
    np.testing.assert_allclose(shown, variance / (variance + EPSILON), atol=6e-7)
    assert all(0.9999 < v < 1 for v in shown)
    # "mean beta and standard deviation |gamma|, up to that epsilon"
    assert line_numbers(text, "column means of the output:") == [0.1, -0.3, 2.0]
    np.testing.assert_allclose(
        line_numbers(text, "column std of the output:"), [1.5, 0.5, 1.0], atol=1e-4
    )
    assert output_of(chapter, "out-undo").strip().endswith("gives back the inputs: True")


def test_the_unbiased_variance_demo(chapter):
    draws = np.random.default_rng(0).normal(size=(100_000, 4))
    text = output_of(chapter, "out-unbiased")
    first, second = text.strip().splitlines()
    biased, ratio = numbers_in(first)[0], numbers_in(first)[-1]
    unbiased = numbers_in(second)[-1]
    assert biased == round(np.var(draws, axis=1).mean(), 3)
    assert unbiased == round(np.var(draws, axis=1, ddof=1).mean(), 3)
    assert ratio == 0.75
    # 100000 batches: the standard error of each mean is about 0.002
    assert abs(biased - 0.75) < 0.01 and abs(unbiased - 1) < 0.01


def test_running_statistics_by_hand(chapter):
    population = np.random.default_rng(1)
    mean, var, shown = 0.0, 1.0, []
    for step in range(1, 21):
        batch = population.normal(5.0, 2.0, size=(8, 1))
        mean = 0.9 * mean + 0.1 * batch.mean()
        var = 0.9 * var + 0.1 * batch.var(ddof=1)
        if step in (1, 5, 10, 20):
            shown += [step, round(mean, 3), round(var, 3)]
    numbers = numbers_in(output_of(chapter, "out-running"))
    assert numbers == shown
    means, variances = numbers[1::3], numbers[2::3]
    assert means == sorted(means) and means[-1] < 5, "creep from the start towards 5"
    assert variances == sorted(variances) and variances[-1] < 4, "and towards 4"
    assert round(0.9**20, 2) == 0.12


def test_the_running_statistics_miss_their_expected_values_by_noise(chapter, glue):
    """Expected after 20 batches: 5 (1 - 0.9^20) and 0.9^20 + 4 (1 - 0.9^20); the rest is noise."""
    start = 0.9**20
    assert glue["ch24_expected_mean"] == pytest.approx(5 * (1 - start))
    assert glue["ch24_expected_var"] == pytest.approx(start + 4 * (1 - start))
    assert round(glue["ch24_expected_mean"], 2) == 4.39
    assert round(glue["ch24_expected_var"], 2) == 3.64
    mean, var = numbers_in(output_of(chapter, "out-running"))[-2:]
    # the running value is a weighted sum of 20 independent batch statistics (weights
    # 0.1 * 0.9^j); a batch of 8 has a mean of variance 4 / 8 and an unbiased variance of
    # variance 2 * 4^2 / 7
    weights = 0.01 * np.sum(0.81 ** np.arange(20))
    sd_mean, sd_var = np.sqrt(weights * 4 / 8), np.sqrt(weights * 2 * 16 / 7)
    assert abs(mean - glue["ch24_expected_mean"]) < 2 * sd_mean, "noise of batches of 8"
    assert abs(var - glue["ch24_expected_var"]) < 2 * sd_var, "noise of batches of 8"


STEPS = {
    "out-step-1": ["dbeta", "dgamma", "dnormalized"],
    "out-step-2": ["dstd", "dvariance"],
    "out-step-3": ["dcentered", "dmean", "dinputs"],
}


def test_every_step_of_the_backward_pass_agrees_with_its_numerical_gradient(chapter, glue):
    differences = []
    for tag, names in STEPS.items():
        lines = output_of(chapter, tag).strip().splitlines()
        assert [line.split()[0] for line in lines] == names
        for line in lines:
            assert "largest difference from numerical:" in line
            differences.append(numbers_in(line)[-1])
    assert len(differences) == 8, "the prose says: over all eight"
    assert max(differences) < 1e-8
    assert glue["ch24_worst_step"] == pytest.approx(max(differences), rel=0.06)


def test_the_compact_formula(chapter):
    text = output_of(chapter, "out-compact")
    assert line_numbers(text, "compact against step by step:")[0] < 1e-14
    assert line_numbers(text, "compact against numerical:")[0] < 1e-8


def test_the_gradient_sums_to_zero_and_is_nearly_orthogonal_to_x_hat(chapter):
    text = output_of(chapter, "out-projection")
    sums = line_numbers(text, "sum over the batch of dinputs, per column:")
    assert len(sums) == 3 and max(abs(v) for v in sums) < 1e-12
    dots = line_numbers(text, "sum of dinputs * normalized, per column:")
    predicted = line_numbers(text, "the epsilon term, n mean(g x-hat) eps / (sigma^2 + eps) / s:")
    assert len(dots) == len(predicted) == 3
    assert max(abs(v) for v in dots) < 1e-3, "of order epsilon / sigma^2"
    np.testing.assert_allclose(dots, predicted, rtol=1e-6)


def test_the_engine_agrees(chapter):
    text = output_of(chapter, "out-engine")
    for start in ("output:", "dinputs:"):
        assert line_numbers(text, start)[0] < 1e-14
    assert max(line_numbers(text, "dgamma:")) < 1e-14
    assert line_numbers(text, "running mean after one batch:") == line_numbers(
        text, "0.1 * the batch mean:"
    )
    assert "weights is gamma: True" in text
    assert (
        line_numbers(output_of(chapter, "out-inference-gradient"), "dinputs at inference:")[0]
        < 1e-8
    )


def test_bad_input_is_refused(chapter):
    lines = output_of(chapter, "out-refused").strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("ValueError: BatchNorm in training needs a batch of at least 2")
    assert (
        lines[1]
        == "ValueError: BatchNorm inputs must have 4 columns (one per input), got shape (5, 3)"
    )


def test_training_mode_depends_on_the_batch_and_inference_does_not(chapter):
    lines = output_of(chapter, "out-depends").strip().splitlines()
    training, inference = (numbers_in(line) for line in lines)
    assert lines[0].startswith("training") and lines[1].startswith("inference")
    assert training[:3] != training[3:]
    assert inference[:3] == inference[3:]


def test_the_spread_and_the_gradients_at_the_start(chapter, glue):
    text = output_of(chapter, "out-spread")
    without = line_numbers(text, "without BatchNorm, spread:")
    with_bn = line_numbers(text, "with BatchNorm,    spread:")
    assert len(without) == len(with_bn) == 10
    assert without == sorted(without, reverse=True) and without[-1] < 1e-12
    ratio = numbers_in(text.splitlines()[-1])[-1]
    assert ratio == round(glue["ch24_spread_ratio"])
    assert 10 < ratio < 50
    assert glue["ch24_spread_last"] == pytest.approx(without[-1], rel=0.5)
    assert 0.4 < glue["ch24_spread_bn_low"] <= glue["ch24_spread_bn_high"] < 0.7
    assert all(0.4 < s < 0.7 for s in with_bn)
    assert np.sqrt(1 / 2 - 1 / (2 * np.pi)) == pytest.approx(0.58, abs=0.005)
    grads_without = line_numbers(text, "without BatchNorm, gradients:")
    grads_with = line_numbers(text, "with BatchNorm,    gradients:")
    assert len(grads_without) == len(grads_with) == 11
    assert max(grads_without) < 1e-15 and min(grads_with) > 0.01
    assert glue["ch24_grad_without_max"] == pytest.approx(max(grads_without), rel=0.5)
    assert glue["ch24_grad_with_min"] == pytest.approx(min(grads_with), rel=0.5)
    assert glue["ch24_adam_fraction"] == pytest.approx(glue["ch24_grad_without_max"] / 1e-7)
    assert glue["ch24_adam_fraction"] < 1e-8


def runs(text):
    """{(seed, with BatchNorm): (loss half, loss end, train acc, val acc)}, and the summary."""
    table = {
        (int(seed), flag == "with"): tuple(float(v) for v in values)
        for seed, flag, *values in ROW.findall(text)
    }
    summary = {name: (float(mean), float(se)) for name, mean, se in DIFFERENCE.findall(text)}
    assert list(summary) == list(COLUMNS)
    return table, summary


def check_summary(table, summary, seeds):
    for j, name in enumerate(COLUMNS):
        differences = np.array([table[s, True][j] - table[s, False][j] for s in seeds])
        mean, se = summary[name]
        # the table shows three decimals: recomputed from it, the summary agrees to rounding
        assert mean == pytest.approx(differences.mean(), abs=2e-3)
        assert se == pytest.approx(differences.std(ddof=1) / np.sqrt(len(seeds)), abs=2e-3)


def test_from_the_nnfs_start_only_batch_normalization_learns(chapter, glue):
    table, summary = runs(output_of(chapter, "out-nnfs-start"))
    seeds = [0, 1, 2]
    assert sorted(table) == [(s, b) for s in seeds for b in (False, True)]
    check_summary(table, summary, seeds)
    for seed in seeds:
        half, end, train, val = table[seed, False]
        assert half == end == round(np.log(3), 3) == 1.099, "ends where it began, at ln 3"
        assert train == val == 0.333
        half, end, train, val = table[seed, True]
        assert end < 0.3 and train > 0.7 and val > 0.7
    assert glue["ch24_nnfs_loss_without"] == pytest.approx(np.log(3), abs=1e-3)
    assert glue["ch24_nnfs_train_with_low"] == pytest.approx(
        min(table[s, True][2] for s in seeds), abs=5e-4
    )
    assert glue["ch24_nnfs_val_with_low"] == pytest.approx(
        min(table[s, True][3] for s in seeds), abs=5e-4
    )
    assert glue["ch24_epochs"] == 100 and glue["ch24_half"] == 50


def student_t_quantile(dof, level=0.975):
    """The t with P(T <= t) = level, by integrating the density of Student's t (NumPy only)."""
    grid = np.linspace(0, 40, 400_001)
    density = (1 + grid**2 / dof) ** (-(dof + 1) / 2)  # up to a constant factor
    area = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    # beyond the grid the density is close to (t^2 / dof)^(-(dof + 1) / 2): its tail area
    tail = dof ** ((dof + 1) / 2) * grid[-1] ** (-dof) / dof
    cdf = 0.5 + 0.5 * area / (area[-1] + tail)
    return np.interp(level, cdf, grid)


def test_the_t_quantile_for_six_paired_seeds(glue):
    assert student_t_quantile(5) == pytest.approx(2.5706, abs=2e-4)
    assert glue["ch24_t_5"] == pytest.approx(student_t_quantile(5), abs=2e-4)
    assert round(glue["ch24_t_5"], 2) == 2.57


def test_from_he_start_batch_normalization_fits_faster_but_not_better(chapter, glue):
    table, summary = runs(output_of(chapter, "out-he-start"))
    seeds = [0, 1, 2, 3, 4, 5]
    assert sorted(table) == [(s, b) for s in seeds for b in (False, True)]
    check_summary(table, summary, seeds)
    half, end, train, val = (summary[name] for name in COLUMNS)
    # "lower for every seed" halfway; the three training differences beyond Student's
    # t (5 degrees of freedom), "the validation difference well inside"
    t_5 = glue["ch24_t_5"]
    assert all(table[s, True][0] < table[s, False][0] for s in seeds)
    assert half[0] < 0 and -half[0] / half[1] > t_5
    assert end[0] < 0 and -end[0] / end[1] > t_5
    assert train[0] > 0 and train[0] / train[1] > t_5
    assert abs(val[0]) < val[1] < t_5 * val[1], "the validation difference is noise"
    # "Every one of these networks labels its training points better than the validation points"
    assert all(row[2] > row[3] for row in table.values())
    for key, j in (("half", 0), ("end", 1), ("train", 2), ("val", 3)):
        mean, se = summary[COLUMNS[j]]
        assert glue[f"ch24_he_{key}_diff"] == pytest.approx(abs(mean), abs=5e-4)
        assert glue[f"ch24_he_{key}_se"] == pytest.approx(se, abs=5e-4)
        ses = glue[f"ch24_he_{key}_diff"] / glue[f"ch24_he_{key}_se"]
        assert glue[f"ch24_he_{key}_ses"] == pytest.approx(ses, rel=1e-12)


def test_a_trained_network_in_the_wrong_mode(chapter, glue):
    lines = output_of(chapter, "out-modes").strip().splitlines()
    inference, whole, by_class, caught_up = (numbers_in(line)[-1] for line in lines[:4])
    assert [inference, whole, by_class, caught_up] == [
        round(glue[key], 3)
        for key in (
            "ch24_mode_inference",
            "ch24_mode_whole",
            "ch24_mode_by_class",
            "ch24_mode_caught_up",
        )
    ]
    assert by_class < 0.5 and by_class < inference - 0.2, "one class per batch: only a few right"
    assert whole > inference, "the running statistics lag behind"
    assert caught_up > inference, "caught up, the inference accuracy rises"


def test_what_the_lag_would_have_changed(chapter, glue):
    text = output_of(chapter, "out-modes")
    nnfs = line_numbers(text, "NNFS start + BatchNorm, mean validation accuracy over 3 seeds:")
    he = line_numbers(text, "He start + BatchNorm, mean validation accuracy over 6 seeds:")
    (he_difference,) = line_numbers(
        text, "He start, with minus without, validation accuracy, as left:"
    )
    assert nnfs == [round(glue["ch24_lag_nnfs_left"], 3), round(glue["ch24_lag_nnfs_caught"], 3)]
    assert nnfs[0] < nnfs[1] and he[0] < he[1], "caught up, the accuracies rise"
    assert he_difference == round(glue["ch24_he_val_left"], 3)
    # the caught-up means are the means of the tables' columns
    nnfs_table, _ = runs(output_of(chapter, "out-nnfs-start"))
    he_table, he_summary = runs(output_of(chapter, "out-he-start"))
    assert nnfs[1] == pytest.approx(np.mean([nnfs_table[s, True][3] for s in range(3)]), abs=1e-3)
    assert he[1] == pytest.approx(np.mean([he_table[s, True][3] for s in range(6)]), abs=1e-3)
    # as left, the He validation difference differs from the caught-up one
    assert he_difference != he_summary["val acc"][0]


def test_the_figure_read(chapter, glue):
    assert "out-figure" in {tag for cell in chapter.cells for tag in cell.metadata.get("tags", [])}
    assert glue["ch24_fig_below"] >= 0.9 * glue["ch24_epochs"]
    assert glue["ch24_fig_he_bn_lower"] >= 0.9 * glue["ch24_epochs"], "lies lower still"
    assert glue["ch24_rises_nnfs_bn"] >= 5 * glue["ch24_rises_he"]
    assert glue["ch24_rises_he_bn"] >= 5 * glue["ch24_rises_he"]
    assert glue["ch24_rises_first"] > 30, "jagged later in training"


def test_training_moves_the_spread_each_layer_hands_on(chapter, glue):
    text = output_of(chapter, "out-drift")
    before = line_numbers(text, "before training:")
    after = line_numbers(text, "after training:")
    assert len(before) == len(after) == 10
    assert before[-1] == round(glue["ch24_drift_before"], 2)
    assert after[-1] == round(glue["ch24_drift_after"], 2)
    assert after[-1] > 3 * before[-1]


def test_mini_batch_statistics_are_noisy(chapter, glue):
    lines = output_of(chapter, "out-minibatch").strip().splitlines()
    for line, size in zip(lines[:2], (4, 32), strict=True):
        assert line.startswith(f"batches of {size:3d}:")
        spread, bound = numbers_in(line.split(":", 1)[1])[0], numbers_in(line)[-1]
        assert bound == round(size**-0.5, 3)
        # "a little less" than sigma / sqrt(n): drawn without replacement from 300
        assert 0.9 * bound < spread < bound
        assert spread == pytest.approx(np.sqrt(1 / size - 1 / 300), abs=0.01)
    accuracies = {}
    for line in lines[2:6]:
        size, accuracy = numbers_in(line)
        accuracies[int(size)] = accuracy
    assert list(accuracies) == [4, 16, 64, 300]
    values = list(accuracies.values())
    assert values == sorted(values), "the smaller the batch, the noisier the answers"
    assert accuracies[4] < 0.4 and accuracies[64] < accuracies[300] - 0.2
    assert accuracies[4] == round(glue["ch24_small_batch_4"], 3)
    assert accuracies[64] == round(glue["ch24_small_batch_64"], 3)
    (inference,) = numbers_in(lines[6])
    he_table, _ = runs(output_of(chapter, "out-he-start"))
    assert inference == he_table[0, True][2], "the same network as the table's seed 0"
