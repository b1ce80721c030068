"""Chapter 16 (binary logistic regression): the numbers the page shows, from the executed notebook.

Published facts (book plan, "Facts for chapters 14-22"): the two-class spiral run starts
``epoch: 0, acc: 0.500, loss: 0.693 (data_loss: 0.693, reg_loss: 0.000), lr: 0.001`` and prints
the learning rates 0.0009999505024501287 at epoch 100 and 0.0009950253706593885 at epoch 10000;
it ends near train accuracy 0.945-0.965 and validation accuracy 0.92-0.945 (thresholds: long
float32 runs differ between CPUs, so the bounds are a little wider). The hand-computed values
are recomputed here from the chapter's inputs.
"""

import math
import re

import numpy as np
import pytest

from resources.exercises import sealed
from tests.notebooks import glued, numbers_in, output_of, tagged_cells

NAME = "16_binary_logistic_regression"
LINE = re.compile(
    r"^epoch: (\d+), acc: ([\d.]+), loss: ([\d.]+) \(data_loss: ([\d.]+), "
    r"reg_loss: ([\d.]+)\), lr: (\S+)$",
    re.M,
)


@pytest.fixture(scope="module")
def chapter(executed):
    return executed(NAME)


def run_lines(nb):
    return [tuple(float(v) for v in match) for match in LINE.findall(output_of(nb, "out-run"))]


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def test_sigmoid_values_and_derivative(chapter):
    values = numbers_in(output_of(chapter, "out-sigmoid-values"))
    z, s = values[:5], values[5:]
    assert z == [-4, -1, 0, 1, 4]
    np.testing.assert_allclose(s, sigmoid(z), atol=5e-5)
    derivative = numbers_in(output_of(chapter, "out-sigmoid-derivative"))
    analytical, numerical, largest = derivative[:5], derivative[5:10], derivative[10]
    np.testing.assert_allclose(analytical, sigmoid(z) * (1 - sigmoid(z)), atol=5e-7)
    np.testing.assert_allclose(numerical, analytical, atol=1e-6)
    assert largest < 1e-8


def test_engine_sigmoid_is_finite_at_plus_minus_1000(chapter):
    text = output_of(chapter, "out-sigmoid-engine")
    engine = numbers_in(text.split("by hand")[0])  # the array may wrap over two lines
    assert len(engine) == 5 and all(np.isfinite(engine))
    assert 0 < engine[0] < 1e-37 and engine[2] == 0.5 and engine[4] == 1.0
    assert "agrees" in text


def test_binary_cross_entropy_by_hand(chapter):
    p, y = np.array([0.9, 0.2, 0.6]), np.array([1, 0, 0])
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    values = numbers_in(output_of(chapter, "out-bce-by-hand"))
    np.testing.assert_allclose(values[:3], expected, atol=5e-5)
    assert values[3] == pytest.approx(expected.mean(), abs=5e-5)
    gradient = -(y / p - (1 - y) / (1 - p)) / 3
    rows = [numbers_in(line) for line in output_of(chapter, "out-bce-gradient").splitlines()]
    for row in rows[:3]:  # by hand, numerical, engine
        np.testing.assert_allclose(row, gradient, atol=5e-7)
    assert rows[3][0] == pytest.approx(expected.mean(), abs=5e-5)


def test_the_shape_trap_is_shown_and_refused(chapter):
    text = output_of(chapter, "out-shape-trap")
    shape_n, shape_m, wrong, right = numbers_in(text.splitlines()[0])
    assert (shape_n, shape_m) == (3, 3)
    p, y = np.array([[0.9], [0.2], [0.6]]), np.array([1, 0, 0])
    assert wrong == pytest.approx(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))), abs=5e-5)
    assert right == pytest.approx(0.4149, abs=5e-5) and abs(wrong - right) > 0.1
    assert "reshape(-1, 1)" in text and "(3, 1)" in text


def test_the_combined_gradient_matches_the_chain_and_the_numbers(chapter):
    chain_vs_shortcut, chain_vs_numerical = numbers_in(output_of(chapter, "out-combined"))
    assert chain_vs_shortcut < 1e-12
    assert chain_vs_numerical < 1e-7


def test_saturation_loses_the_chain_gradient(chapter):
    (z5, chain5, short5), (z20, chain20, short20) = [
        numbers_in(line) for line in output_of(chapter, "out-saturation").splitlines()
    ]
    assert (z5, z20) == (5, 20)
    assert chain5 == pytest.approx(short5, abs=1e-4) == pytest.approx(sigmoid(5), abs=1e-4)
    # The chain divides by the clipped 1 - p (1e-7) and multiplies by sigma'(20).
    expected = sigmoid(20) * (1 - sigmoid(20)) / 1e-7
    assert chain20 == pytest.approx(expected, abs=1e-4)
    assert short20 == 1.0 and chain20 < 0.05


def test_the_untrained_network_predicts_class_0_everywhere(chapter):
    range_line, share_line = output_of(chapter, "out-initial").splitlines()
    low, high = numbers_in(range_line)
    share = numbers_in(share_line)[-1]  # "share predicted class 1 (p > 0.5): 0.000"
    assert 0.499 < low <= high <= 0.5 and share == 0.0


def test_the_run_starts_at_the_published_line(chapter):
    first = output_of(chapter, "out-run").splitlines()[0]
    assert first == (
        "epoch: 0, acc: 0.500, loss: 0.693 (data_loss: 0.693, reg_loss: 0.000), lr: 0.001"
    )


def test_published_learning_rates_and_the_schedule(chapter):
    lines = run_lines(chapter)
    epochs = [int(line[0]) for line in lines]
    assert epochs == [0, 100, *range(1000, 10_001, 1000)]
    by_epoch = {int(line[0]): line[5] for line in lines}
    assert by_epoch[100] == 0.0009999505024501287
    assert by_epoch[10_000] == 0.0009950253706593885
    for epoch, accuracy, loss, data_loss, reg_loss, lr in lines:
        assert 0 <= accuracy <= 1
        assert loss == pytest.approx(data_loss + reg_loss, abs=1.5e-3)  # rounded to 3 decimals
        expected = 0.001 if epoch == 0 else 0.001 / (1 + 5e-7 * (epoch - 1))
        assert lr == pytest.approx(expected, rel=1e-15)


def test_the_network_learns_both_spirals(chapter):
    lines = run_lines(chapter)
    final_accuracy, final_loss = lines[-1][1], lines[-1][2]
    assert 0.935 <= final_accuracy <= 0.975  # the plan: 0.945-0.965
    assert final_loss < 0.35 and final_loss < lines[0][2] / 2
    assert lines[-1][4] > 0.01  # the L2 penalty is really there
    val_accuracy, val_loss = numbers_in(output_of(chapter, "out-validation"))
    assert 0.905 <= val_accuracy <= 0.955  # the plan: 0.92-0.945
    assert val_loss < 0.4


def coin_toss_probability(wins, losses):
    wins, losses = int(wins), int(losses)
    n, gap = wins + losses, abs(wins - losses)
    return sum(math.comb(n, k) for k in range(n + 1) if abs(2 * k - n) >= gap) / 2**n


def test_the_threshold_table(chapter):
    text = output_of(chapter, "out-thresholds")
    rows = [numbers_in(line) for line in text.splitlines()]
    at_half = rows[0][1]
    assert rows[0][0] == 0.5
    assert at_half == numbers_in(output_of(chapter, "out-validation"))[0]
    best, best_t = rows[1]
    assert best >= at_half and 0.05 <= best_t <= 0.95
    gain, gain_points, n_val = rows[2]
    assert gain == pytest.approx(best - at_half, abs=1.5e-3) and n_val == 200
    assert gain_points == round(gain * 200)
    standard_error = rows[3][-1]
    assert standard_error == pytest.approx(np.sqrt(at_half * (1 - at_half) / 200), abs=1e-3)
    assert gain < standard_error  # the prose calls the gain noise and keeps t = 0.5
    # the paired count: the changed points explain the gain, and a fair coin splits them so
    made_right, made_wrong = rows[4]
    assert made_right - made_wrong == gain_points
    chance = rows[5][-1]
    assert chance == pytest.approx(coin_toss_probability(made_right, made_wrong), abs=5e-4)
    assert chance > 0.2  # noise, in the prose's words
    ends = {row[0]: row[1:] for row in rows[6:10]}  # t: (false negatives, false positives)
    assert list(ends) == [0.01, 0.1, 0.9, 0.99]
    assert ends[0.1][0] < ends[0.9][0] and ends[0.1][1] > ends[0.9][1]  # misses for alarms
    for fn, fp in ends.values():
        assert fn + fp <= 200
    # at the explorer's ends almost every point goes one way, but not every one
    (fn_low, fp_low), (fn_high, fp_high) = ends[0.01], ends[0.99]
    assert 80 <= fp_low < 100 and fn_low <= 2
    assert 80 <= fn_high < 100 and fp_high <= 2
    glue = glued(chapter)
    assert [int(glue[f"ch16_{key}"]) for key in ("fp_low_end", "fn_low_end")] == [fp_low, fn_low]
    assert [int(glue[f"ch16_{key}"]) for key in ("fn_high_end", "fp_high_end")] == [
        fn_high,
        fp_high,
    ]
    assert [int(glue["ch16_made_right"]), int(glue["ch16_made_wrong"])] == [made_right, made_wrong]
    assert float(glue["ch16_threshold_chance"]) == pytest.approx(chance, abs=5e-4)


def test_confident_far_from_the_data(chapter):
    lines = output_of(chapter, "out-far-confidence").splitlines()
    farthest = numbers_in(lines[0])[-1]
    far_share, near_share = numbers_in(lines[1])[-1], numbers_in(lines[2])[-1]
    mean_confidence, accuracy = numbers_in(lines[3])
    gap = numbers_in(lines[4])[-1]
    corners = numbers_in(" ".join(lines[5:]))[-4:]
    assert farthest <= 1  # "all spiral points lie within distance 1 of the centre"
    assert far_share > near_share  # the prose: more confident where there are no data
    assert accuracy == numbers_in(output_of(chapter, "out-validation"))[0]
    assert 0.5 <= mean_confidence <= 1
    error = np.sqrt(accuracy * (1 - accuracy) / 200)
    assert gap == pytest.approx((accuracy - mean_confidence) / error, abs=0.06)
    assert gap > 2  # less sure than right, by more than noise
    assert all(p < 0.01 or p > 0.99 for p in corners)  # deep red or deep blue corners
    glue = glued(chapter)
    assert float(glue["ch16_far_confident"]) == pytest.approx(far_share, abs=5e-4)
    assert float(glue["ch16_near_confident"]) == pytest.approx(near_share, abs=5e-4)
    assert float(glue["ch16_mean_confidence"]) == pytest.approx(mean_confidence, abs=5e-4)
    assert float(glue["ch16_confidence_gap"]) == pytest.approx(gap, abs=0.05)


def test_the_stable_loss_from_the_scores(chapter):
    lines = output_of(chapter, "out-stable").splitlines()
    stable, chain = numbers_in(lines[0])
    assert stable == pytest.approx(chain, abs=2e-6)
    assert numbers_in(lines[1])[0] < 1e-8  # against the numerical gradient
    loss, *gradient = numbers_in(lines[2])
    assert loss == pytest.approx((1000 + 1000 + 20) / 3, abs=1e-3)
    np.testing.assert_allclose(gradient, [1 / 3, -1 / 3, 1 / 3], atol=1e-4)
    chain_loss, *chain_gradient = numbers_in(lines[3])
    assert chain_loss == pytest.approx(-np.log(1e-7), abs=1e-3)  # every mistake clipped
    assert chain_gradient[:2] == [0, 0] and 0 < chain_gradient[2] < 0.01


def test_mse_on_a_sigmoid_vanishes_on_confident_mistakes(chapter):
    rows = [numbers_in(line) for line in output_of(chapter, "out-mse-sigmoid").splitlines()[1:]]
    for z, p, bce, mse, numerical in rows:
        assert p == pytest.approx(sigmoid(z), abs=1e-6) and bce == p
        exact = sigmoid(z)
        assert mse == pytest.approx(2 * exact * exact * (1 - exact), abs=1e-6) and numerical == mse
    assert [row[0] for row in rows] == [0, 2, 5, 10]
    assert rows[-1][3] < 1e-3 * rows[-1][2]  # confident and wrong: almost no gradient
    share = float(glued(chapter)["ch16_mse_share_10"])
    assert share == pytest.approx(rows[-1][3] / rows[-1][2], rel=0.01)


def test_logistic_regression_stays_near_chance_on_the_spirals(chapter):
    lines = output_of(chapter, "out-logistic").splitlines()
    train, val, hidden = (numbers_in(line)[-1] for line in lines[1:4])
    assert train < 0.7 and val < 0.7  # a straight line cannot follow the spirals
    assert hidden == numbers_in(output_of(chapter, "out-validation"))[0]
    assert hidden - val > 0.2
    assert float(glued(chapter)["ch16_logistic_val_acc"]) == pytest.approx(val, abs=1e-3)
    assert float(glued(chapter)["ch16_logistic_train_acc"]) == pytest.approx(train, abs=1e-3)
    assert val < 0.65  # "little more than half of the points right"


def test_the_control_run_with_the_combined_class(chapter):
    lines = output_of(chapter, "out-control").splitlines()
    assert numbers_in(lines[0])[-1] < 1e-6  # the same gradients up to rounding at epoch 0
    chain_train, chain_val = numbers_in(lines[1])
    combined_train, combined_val = numbers_in(lines[2])
    assert chain_train == run_lines(chapter)[-1][1]
    assert chain_val == numbers_in(output_of(chapter, "out-validation"))[0]
    assert 0.88 <= combined_train <= 0.98 and 0.86 <= combined_val <= 0.96
    weight_difference = numbers_in(lines[3])[-1]
    assert weight_difference > 0.05  # yet not the same training
    difference_error = numbers_in(lines[4])[-1]
    expected = np.sqrt((chain_val * (1 - chain_val) + combined_val * (1 - combined_val)) / 200)
    assert difference_error == pytest.approx(expected, abs=1e-3)
    assert abs(chain_val - combined_val) < difference_error  # the prose calls it noise
    only_chain, only_combined = numbers_in(lines[5])
    assert abs(only_chain - only_combined) == round(abs(chain_val - combined_val) * 200)
    chance = numbers_in(lines[6])[-1]
    assert chance == pytest.approx(coin_toss_probability(only_chain, only_combined), abs=5e-4)
    assert chance > 0.2  # noise, either way
    largest_score = numbers_in(lines[7])[-1]
    clip_score = np.log((1 - 1e-7) / 1e-7)  # where p leaves [1e-7, 1 - 1e-7]
    assert largest_score < clip_score - 2  # the clipping never acted in the chain run
    glue = glued(chapter)
    assert float(glue["ch16_largest_score"]) == pytest.approx(largest_score, abs=5e-3)
    assert float(glue["ch16_clip_score"]) == pytest.approx(clip_score)
    assert [int(glue["ch16_only_chain"]), int(glue["ch16_only_combined"])] == [
        only_chain,
        only_combined,
    ]
    assert float(glue["ch16_control_chance"]) == pytest.approx(chance, abs=5e-4)


def test_the_multi_label_example(chapter):
    lines = output_of(chapter, "out-multilabel").splitlines()
    assert numbers_in(lines[0])[-1] < 0.1  # the training loss
    values = numbers_in(lines[1])  # x1, x2, the first accuracy, 0.6, the second
    first, second = values[2], values[4]
    assert first > 0.9 and second > 0.9
    n_answers, element_wise = numbers_in(lines[2])
    assert n_answers == 400 and element_wise == pytest.approx((first + second) / 2, abs=1e-3)
    both = numbers_in(lines[3])[-1]
    assert both <= min(first, second)
    labels = [numbers_in(line)[-2:] for line in lines[4:7]]
    assert [1, 1] in labels  # a point with two yes answers: not one-hot
    assert "one-hot" in lines[7] and "BinaryAccuracy" in lines[7]


def test_no_cell_tunes_the_machine_or_times_itself(chapter):
    for cell in chapter.cells:
        for word in ("threadpool", "perf_counter", "mallopt"):
            assert word not in cell.source


def test_the_explorer_state_is_small_and_counts_what_the_chapter_measured(chapter):
    import json

    states = chapter.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (state,) = [w["state"] for w in states.values() if "probs" in w["state"]]
    assert len(json.dumps(state)) < 300_000
    probs, labels = np.array(state["probs"]), np.array(state["labels"])
    assert probs.shape == labels.shape == (200,) and state["threshold"] == 0.5
    val_accuracy = numbers_in(output_of(chapter, "out-validation"))[0]
    assert np.mean((probs > 0.5) == (labels == 1)) == pytest.approx(val_accuracy, abs=5e-4)
    grid = np.array(state["grid"])
    assert grid.shape == (50, 50) and grid.min() >= 0 and grid.max() <= 1
    assert grid.min() < 0.05 and grid.max() > 0.95  # both classes have confident regions


@pytest.mark.parametrize("n", [1, 2, 3])
def test_exercises_have_answer_check_and_solution(chapter, n):
    assert len(tagged_cells(chapter, f"answer-{n}")) == 1
    (check_cell,) = tagged_cells(chapter, f"check-{n}")
    assert "remove-input" in check_cell.metadata["tags"]
    text = "".join(o.get("text", "") for o in check_cell.outputs)
    assert text.startswith(f"Exercise {n}: not answered yet.")
    assert len(tagged_cells(chapter, f"solution-{n}")) == 1


def test_the_solutions_pass_their_checks():
    """Run each folded solution through its own check cell, in a namespace like the chapter's."""
    import contextlib
    import io
    from pathlib import Path

    import nbformat

    from resources.classes import BinaryCrossEntropy
    from resources.exercises import check, check_function, numerical_derivative

    nb = nbformat.read(Path(__file__).parents[2] / "book" / f"{NAME}.ipynb", as_version=4)
    namespace = {
        "np": np,
        "sigmoid": sigmoid,
        "BinaryCrossEntropy": BinaryCrossEntropy,
        "check": check,
        "check_function": check_function,
        "numerical_derivative": numerical_derivative,
        "sealed": sealed,
    }
    for n in (1, 2, 3):
        (solution,) = tagged_cells(nb, f"solution-{n}")
        code = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1)
        exec(code, namespace)
        (check_cell,) = tagged_cells(nb, f"check-{n}")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(check_cell.source, namespace)
        assert printed.getvalue().startswith(f"Exercise {n}: correct!"), printed.getvalue()
