"""Chapter 15 (Dropout): the numbers the page shows, from the executed notebook.

Published facts (book plan, "Facts for chapters 14-22"): the run on ``spiral_data(1000, 3)``
with Dropout(0.1) after the ReLU starts ``epoch: 0, acc: 0.324, loss: 1.099 (data_loss: 1.099,
reg_loss: 0.000), lr: 0.05`` (its accuracy depends on the first dropout mask) and prints the
learning rates 0.04975371909050202 at epoch 100 and 0.03333444448148271 at epoch 10000. The
chapter trains 501 of the book's 10001 epochs (the rate at epoch 10000 comes from the schedule
alone), next to its control (the same network without dropout) and a sweep of the rate; their
accuracies are checked with thresholds and inequalities (long float32 runs differ between CPUs),
and every claim the prose makes about them is checked here.
"""

import contextlib
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.notebooks import glued, numbers_in, output_of, tagged_cells

NAME = "15_dropout"
LINE = re.compile(
    r"^epoch: (\d+), acc: ([\d.]+), loss: ([\d.]+) \(data_loss: ([\d.]+), "
    r"reg_loss: ([\d.]+)\), lr: (\S+)$",
    re.M,
)


# After 501 epochs the engine measured 0.647 (dropout on), 0.700 (training data, dropout off)
# and 0.683 (3000 validation points); without dropout 0.847 and 0.840.
TRAIN_LOW, TRAIN_HIGH = 0.58, 0.71
VAL_LOW, VAL_HIGH = 0.62, 0.75
EPOCHS = 501


@pytest.fixture(scope="module")
def chapter(executed):
    return executed(NAME)


def run_lines(nb):
    return [tuple(float(v) for v in match) for match in LINE.findall(output_of(nb, "out-run"))]


def test_the_run_starts_at_the_published_line(chapter):
    first = output_of(chapter, "out-run").splitlines()[0]
    assert (
        first == "epoch: 0, acc: 0.324, loss: 1.099 (data_loss: 1.099, reg_loss: 0.000), lr: 0.05"
    )


def test_the_run_reports_every_100_epochs_with_its_schedule(chapter):
    lines = run_lines(chapter)
    assert [int(line[0]) for line in lines] == list(range(0, EPOCHS, 100))
    for epoch, accuracy, loss, data_loss, reg_loss, lr in lines:
        assert 0 <= accuracy <= 1 and reg_loss >= 0
        assert loss == pytest.approx(data_loss + reg_loss, abs=1.5e-3)
        expected = 0.05 if epoch == 0 else 0.05 / (1 + 5e-5 * (epoch - 1))
        assert lr == pytest.approx(expected, rel=1e-15)


def test_published_learning_rates(chapter):
    numbers = numbers_in(output_of(chapter, "out-lr"))
    assert numbers == [100, 0.04975371909050202, 10000, 0.03333444448148271]
    assert run_lines(chapter)[1][5] == 0.04975371909050202
    assert 0.03333444448148271 == 0.05 / (1 + 5e-5 * 9_999)
    assert numbers[3] / 0.05 == pytest.approx(2 / 3, abs=1e-4), "down by a third, to two thirds"


def validation_numbers(nb):
    # train acc, train loss, val acc, val loss, standard error
    return numbers_in(output_of(nb, "out-validation"))


def test_final_accuracies(chapter):
    *_, (epoch, accuracy, loss, *_rest) = run_lines(chapter)
    assert epoch == EPOCHS - 1
    assert TRAIN_LOW <= accuracy <= TRAIN_HIGH  # with dropout on; measured here: 0.647
    train_acc, train_loss, val_acc, val_loss, se = validation_numbers(chapter)
    assert train_acc > accuracy, "the printed accuracy understates the full network's"
    assert VAL_LOW <= val_acc <= VAL_HIGH  # measured here: 0.683
    assert abs(train_acc - val_acc) < 0.03, "training and validation accuracy are close"
    assert se == pytest.approx(np.sqrt(val_acc * (1 - val_acc) / 3000), abs=6e-4)
    assert se < 0.01, "below 0.01, as the text says"
    glued_values = glued(chapter)
    assert float(glued_values["ch15_last_acc"]) == pytest.approx(accuracy, abs=5e-4)


def test_the_control_without_dropout_is_better(chapter):
    lines = output_of(chapter, "out-control").splitlines()
    run = numbers_in(lines[1].split(")", 1)[1])  # after "dropout 0.1 (the run)"
    control = numbers_in(lines[2])
    train_acc, _, val_acc, val_loss, se = validation_numbers(chapter)
    assert run == [train_acc, val_acc, se, val_loss]
    control_train, control_val, control_se, control_loss = control
    assert control_se == pytest.approx(np.sqrt(control_val * (1 - control_val) / 3000), abs=6e-4)
    assert control_train > train_acc and control_val > val_acc, "better on both"
    assert control_loss < val_loss
    assert abs(control_train - control_val) < 0.03, "without dropout no overfitting either"
    difference, ses = numbers_in(lines[3])
    assert difference == pytest.approx(control_val - val_acc, abs=1.5e-3)
    assert ses == pytest.approx(difference / np.hypot(se, control_se), abs=1.5)
    assert ses > 5, "far beyond noise"
    paired_difference, paired_se, paired_ses = numbers_in(lines[4])
    assert paired_difference == pytest.approx(difference, abs=1.5e-3)
    assert paired_ses == pytest.approx(paired_difference / paired_se, abs=1)
    # a paired standard error is at most the square root of (share of points the two
    # networks disagree on) / n, at most that of the sum of their error rates
    assert paired_se <= np.sqrt(((1 - val_acc) + (1 - control_val)) / 3000) + 5e-5
    assert paired_se < np.hypot(se, control_se), "pairing shrinks the standard error"
    assert paired_ses > 10
    glued_values = glued(chapter)
    assert float(glued_values["ch15_difference"]) == pytest.approx(difference, abs=5e-4)
    assert float(glued_values["ch15_control_val"]) == pytest.approx(control_val, abs=5e-4)
    assert float(glued_values["ch15_paired_se"]) == pytest.approx(paired_se, abs=5e-5)
    assert float(glued_values["ch15_paired_ses"]) == pytest.approx(paired_ses, abs=0.5)


def sweep_rows(nb):
    # (hidden, rate, train acc, val acc, standard error): the sweep, then the narrow controls
    lines = output_of(nb, "out-sweep").splitlines()
    assert lines[4] == "best on validation data: rate 0.0"
    assert lines[5].startswith("without dropout, only as many neurons")
    return [numbers_in(line) for line in lines[1:4]], [numbers_in(line) for line in lines[6:]]


def test_the_sweep_chooses_no_dropout(chapter):
    full, _narrow = sweep_rows(chapter)
    assert [row[:2] for row in full] == [[64, 0.0], [64, 0.1], [64, 0.5]]
    rows = [row[1:] for row in full]
    validation = [row[2] for row in rows]
    for _rate, _train_acc, val_acc, se in rows:
        assert se == pytest.approx(np.sqrt(val_acc * (1 - val_acc) / 3000), abs=6e-4)
    gap_se = np.hypot(rows[0][3], rows[1][3])
    assert validation[0] - validation[1] > 5 * gap_se, "rate 0 far ahead, beyond noise"
    assert all(np.diff(validation) < 0), "the larger the rate, the fewer points right"
    assert rows[0][1] - rows[0][2] > 0.03, "on 300 points the network without dropout overfits"
    # measured here: 0.883 / 0.790, 0.720 / 0.685 and 0.523 / 0.494 (train / validation)
    assert 0.72 <= validation[0] <= 0.86 and 0.80 <= rows[0][1] <= 0.95
    assert all(0.40 <= train <= 0.80 for _rate, train, _val, _se in rows[1:])
    glued_values = glued(chapter)
    assert float(glued_values["ch15_best_rate"]) == 0.0
    assert float(glued_values["ch15_runner_up"]) == 0.1
    assert float(glued_values["ch15_best_val"]) == pytest.approx(validation[0], abs=5e-4)
    assert float(glued_values["ch15_runner_up_val"]) == pytest.approx(validation[1], abs=5e-4)
    assert float(glued_values["ch15_sweep_train_0"]) == pytest.approx(rows[0][1], abs=5e-4)
    assert float(glued_values["ch15_sweep_val_0"]) == pytest.approx(validation[0], abs=5e-4)
    assert float(glued_values["ch15_sweep_val_half"]) == pytest.approx(validation[2], abs=5e-4)


def test_fewer_neurons_do_not_explain_the_cost(chapter):
    """Networks as narrow as a mask leaves them, without dropout, beat the rates far."""
    full, narrow = sweep_rows(chapter)
    assert [row[:2] for row in narrow] == [[58, 0.0], [32, 0.0]]
    assert round(64 * 0.9) == 58 and round(64 * 0.5) == 32, "the neurons a mask keeps"
    for (_h, _r, _t, narrow_val, narrow_se), (_h2, _r2, _t2, rate_val, rate_se) in zip(
        narrow, full[1:], strict=True
    ):
        assert 0 <= narrow_se < 0.01
        assert narrow_val - rate_val > 5 * np.hypot(narrow_se, rate_se), "far more"
    # measured here: 0.784 and 0.731, against 0.685 and 0.494
    glued_values = glued(chapter)
    assert float(glued_values["ch15_narrow_58"]) == pytest.approx(narrow[0][3], abs=5e-4)
    assert float(glued_values["ch15_narrow_32"]) == pytest.approx(narrow[1][3], abs=5e-4)


def test_inference_is_the_mean_of_all_sub_networks(chapter):
    text = output_of(chapter, "out-ensemble")
    blocks = text.split("rate ")[1:3]
    for block in blocks:
        numbers = numbers_in(block)
        assert numbers[1] == 1024 and numbers[2] == 1.0
        mean_logits, inference = numbers[3:6], numbers[6:9]
        assert mean_logits == inference
        logit_gap, softmax_gap = numbers[9:11]
        assert logit_gap < 1e-12 and softmax_gap < 1e-12
    relu_gap = numbers_in(text.splitlines()[-1])[-1]
    assert relu_gap > 0.05, "with a ReLU after the dropout layer the mean is not exact"


def test_monte_carlo_dropout(chapter):
    lines = output_of(chapter, "out-monte-carlo").splitlines()
    passes, mc_accuracy = numbers_in(lines[0])
    inference = numbers_in(lines[1])[-1]
    assert passes == 100 and inference == validation_numbers(chapter)[2]
    assert abs(mc_accuracy - inference) < 0.02, "about what inference does"
    agree_right, agree_wrong = numbers_in(lines[3])[-1], numbers_in(lines[4])[-1]
    assert agree_right > agree_wrong + 0.03, "the passes disagree more on the wrong points"
    assert 0 < agree_wrong < agree_right <= 1
    assert lines[5].startswith("accuracy on the third of points")
    agreement, confidence = numbers_in(lines[6]), numbers_in(lines[7])
    assert "agreement" in lines[6] and "largest probability" in lines[7]
    for low, middle, high, chance in (agreement, confidence):
        assert low < middle < high and 0.5 < chance < 1, "each carries a signal"
    # both are measured on the same 3000 points; the third is an upper share of ~1000
    assert confidence[3] > agreement[3] + 0.04, "the plain confidence ranks better"
    assert confidence[2] > agreement[2] + 0.05, "and its most trusted third is more often right"
    glued_values = glued(chapter)
    assert float(glued_values["ch15_agree_chance"]) == pytest.approx(agreement[3], abs=5e-4)
    assert float(glued_values["ch15_confidence_chance"]) == pytest.approx(confidence[3], abs=5e-4)
    assert float(glued_values["ch15_agree_top"]) == pytest.approx(agreement[2], abs=5e-4)
    assert float(glued_values["ch15_confidence_top"]) == pytest.approx(confidence[2], abs=5e-4)


def test_dropout_left_on_is_random_and_worse(chapter):
    text = output_of(chapter, "out-left-on")
    left_on = [numbers_in(line)[-2:] for line in text.splitlines() if "left on, draw" in line]
    right_line = next(line for line in text.splitlines() if "dropout off" in line)
    right_acc, right_loss = numbers_in(right_line)
    assert len(left_on) == 5
    assert all(acc < right_acc and loss > right_loss for acc, loss in left_on)
    assert len({tuple(pair) for pair in left_on}) > 1, "different draws, different answers"
    assert right_acc == validation_numbers(chapter)[2]
    scores = np.array(
        [numbers_in(line) for line in text.split("dropout on:")[1].splitlines() if line.strip()]
    )
    assert scores.shape == (5, 3) and len({tuple(row) for row in scores}) == 5


def test_the_hand_built_mask(chapter):
    text = output_of(chapter, "out-by-hand")
    mask_text, output_text = text.split("output:")
    mask = np.array(numbers_in(mask_text)).reshape(2, 5)
    x = np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.0, 1.5, 2.5, 3.0]])
    assert set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_allclose(
        np.array(numbers_in(output_text)).reshape(2, 5), x * mask / 0.6, atol=1e-7
    )
    expectation = numbers_in(output_of(chapter, "out-expectation"))
    assert expectation[0] == 20_000
    means = np.array(expectation[1:11]).reshape(2, 5)
    np.testing.assert_allclose(means, x, atol=0.1)  # 20000 masks: standard error <= 0.03
    dropped = expectation[11]
    assert abs(dropped - (0.4 * 9 + 1) / 10) < 0.01  # one of the ten inputs is 0 anyway


def test_gradient_check_and_engine_agree(chapter):
    assert numbers_in(output_of(chapter, "out-gradient-check"))[0] < 1e-8
    text = output_of(chapter, "out-engine-check")
    assert text.count("True") == 3 and "False" not in text


def test_the_uniform_mask_is_the_binomial_mask(chapter):
    assert output_of(chapter, "out-same-mask").strip() == (
        "the same three masks from the same seed: True"
    )


def test_no_timing_or_thread_tuning_in_the_chapter(chapter):
    for cell in chapter.cells:
        for word in ("threadpool", "perf_counter", "BLAS"):
            assert word not in cell.source, (word, cell.source[:80])


def test_the_run_parameters_sit_in_one_cell(chapter):
    (cell,) = tagged_cells(chapter, "run-parameters")
    for text in (
        "SAMPLES, CLASSES = 1000, 3",
        "DROPOUT_RATE = 0.1",
        "0.05, 5e-5",
        f"EPOCHS = {EPOCHS}",
    ):
        assert text in cell.source


def test_the_prose_names_the_run_length_it_trains(chapter):
    prose = " ".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    assert f"We train for {EPOCHS}:" in prose
    lengths = {int(n) for n in re.findall(r"\b(\d+)\s+epochs", prose)}
    assert lengths == {EPOCHS, 10001}, "every run length the prose names is the run's or the book's"
    assert "twenty times longer" in prose and round(10001 / EPOCHS) == 20


def test_nnfs_init_is_called_once(chapter):
    calls = sum(
        cell.source.count("nnfs.init()") for cell in chapter.cells if cell.cell_type == "code"
    )
    assert calls == 1


@pytest.mark.parametrize("n", [1, 2, 3])
def test_exercise_solutions_pass_their_checks(chapter, n):
    """Each folded solution, run with the chapter's imports, makes its check say correct."""
    imports = next(
        c.source
        for c in chapter.cells
        if c.cell_type == "code" and "resources.exercises" in c.source
    )
    (solution,) = tagged_cells(chapter, f"solution-{n}")
    code = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1)
    (check_cell,) = tagged_cells(chapter, f"check-{n}")
    namespace = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(imports, namespace)
        exec(code, namespace)
        exec(check_cell.source, namespace)
    assert output.getvalue().strip() == f"Exercise {n}: correct!"
    (answer_cell,) = tagged_cells(chapter, f"answer-{n}")
    assert answer_cell.source.startswith(f"answer_{n} = None")
    assert "not answered yet" in output_of(chapter, f"check-{n}")


def test_stored_without_outputs():
    path = Path(__file__).resolve().parents[2] / "book" / f"{NAME}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_the_explorer_agrees_with_the_chapter(chapter):
    lines = output_of(chapter, "out-explorer").splitlines()
    inference, engine = numbers_in(lines[0])[-1], numbers_in(lines[1])[-1]
    kept, hidden, sub_network = numbers_in(lines[2])
    assert abs(inference - engine) <= 1 / 300
    assert hidden == 64 and 40 <= kept <= 64 and 0 <= sub_network <= 1


def test_the_first_accuracy_depends_on_the_mask(chapter):
    first, second = output_of(chapter, "out-start").splitlines()
    (without,) = numbers_in(first.split(":", 1)[1])
    assert without == 0.323, "the same start without dropout: the plan's 0.324 is the mask's"
    with_mask, without_mask = numbers_in(second)
    assert (with_mask, without_mask) == (972, 969), "0.324 and 0.323 of 3000: three points"
    glued_values = glued(chapter)
    assert int(glued_values["ch15_mask_points"]) == 3
    assert int(glued_values["ch15_mask_right"]) == 972
    assert int(glued_values["ch15_start_right"]) == 969


def test_the_loss_shows_the_masks_the_accuracy_does_not(chapter):
    lines = output_of(chapter, "out-curves").split("to the next:")[1].strip().splitlines()
    assert "dropout 0.1" in lines[0] and "no dropout" in lines[1]
    run_acc, run_loss = numbers_in(lines[0].replace("dropout 0.1", ""))
    control_acc, control_loss = numbers_in(lines[1])
    assert run_loss > 3 * control_loss, "the dropout run's loss is jagged, the control's smooth"
    assert control_acc >= run_acc, "the control's accuracy jumps at least as much"
    glued_values = glued(chapter)
    for key, value in [
        ("run_acc", run_acc),
        ("run_loss", run_loss),
        ("control_acc", control_acc),
        ("control_loss", control_loss),
    ]:
        assert float(glued_values[f"ch15_{key}_jitter"]) == pytest.approx(value, abs=5e-5)
