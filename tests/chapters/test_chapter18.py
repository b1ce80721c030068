"""Chapter 18, the model object: what the executed chapter printed, checked.

The hand-written loops, the chapter's own SmallModel and the shared Model must print the same
lines and give equal loss curves; the epoch-0 lines and learning rates are the plan's (chapters
14, 15 and 16); the mini-batch runs must make the number of updates that arithmetic says.
"""

import math

import numpy as np
import pytest
from nnfs.datasets import spiral_data

from tests.notebooks import glued, numbers_in, output_of


@pytest.fixture(scope="module")
def ch18(executed):
    return executed("18_model_object")


def lines_of(nb, tag):
    return output_of(nb, tag).splitlines()


def test_chapter_14s_loop_starts_with_the_plans_line(ch18):
    lines = lines_of(ch18, "out-ch14-by-hand")
    assert lines[0] == (
        "epoch: 0, acc: 0.360, loss: 1.099 (data_loss: 1.099, reg_loss: 0.000), lr: 0.02"
    )
    assert [numbers_in(line)[0] for line in lines] == [0, 200, 400, 600, 800, 1000]
    for line in lines[1:]:
        epoch, *_, lr = numbers_in(line)
        # the rate the epoch started with: lr0 / (1 + decay * (epoch - 1)) after epoch updates
        assert lr == pytest.approx(0.02 / (1 + 5e-7 * (epoch - 1)), rel=1e-12)


def test_the_small_model_and_the_shared_model_print_the_hand_written_lines(ch18):
    by_hand = output_of(ch18, "out-ch14-by-hand")
    assert output_of(ch18, "out-ch14-small") == by_hand
    assert output_of(ch18, "out-ch14-model") == by_hand


def test_the_loss_curves_are_equal(ch18):
    assert numbers_in(output_of(ch18, "out-ch14-small-difference")) == [1001, 0.0]
    lines = lines_of(ch18, "out-ch14-model-check")
    assert numbers_in(lines[0])[0] <= 1e-6  # equal to float tolerance (here: exactly)
    assert lines[1] == "lr at epoch 100: 0.019999010049002574"  # the plan's value


def test_chapter_14_validation_after_1001_epochs(ch18):
    accuracy, loss = numbers_in(lines_of(ch18, "out-ch14-model-check")[2])
    assert 0.70 <= accuracy <= 0.90  # chapter 14's 10001 epochs reach about 0.84
    assert 0.2 < loss < 0.8


def test_chapter_15_through_the_model(ch18):
    lines = lines_of(ch18, "out-ch15")
    assert lines[0] == (
        "epoch: 0, acc: 0.324, loss: 1.099 (data_loss: 1.099, reg_loss: 0.000), lr: 0.05"
    )
    assert lines[1].startswith("epoch: 100, ")
    assert lines[1].endswith("lr: 0.04975371909050202")  # the plan's value
    assert numbers_in(lines[2])[0] <= 1e-6


def test_dropout_is_off_when_predicting(ch18):
    assert lines_of(ch18, "out-ch15-dropout-off") == [
        "two predictions of the same points are equal: True",
        "a training-mode pass gives other outputs: True",
    ]


def test_chapter_16_through_the_model(ch18):
    lines = lines_of(ch18, "out-ch16")
    assert lines[0] == (
        "epoch: 0, acc: 0.500, loss: 0.693 (data_loss: 0.693, reg_loss: 0.000), lr: 0.001"
    )
    epoch, *_, lr = numbers_in(lines[2])
    assert epoch == 1000 and lr == pytest.approx(0.001 / (1 + 5e-7 * 999), rel=1e-12)
    assert numbers_in(lines[3])[0] <= 1e-6
    assert lines[4] == "lr at epoch 100: 0.0009999505024501287"  # the plan's value
    assert lines[5] == "the model's combined output: SigmoidBinaryCrossEntropy"


def test_the_batch_model_equals_the_book_s_model(ch18):
    lines = lines_of(ch18, "out-batch-model")
    epochs = [numbers_in(line) for line in lines[:3]]
    assert [int(e[0]) for e in epochs] == [0, 1, 2]
    assert lines[3] == f"updates: {3 * math.ceil(3000 / 32)} and {3 * math.ceil(3000 / 32)}"
    assert numbers_in(lines[4]) == [0.0, 0.0]  # loss and accuracy histories equal
    assert lines[5] == "predict twice, the same outputs: True"
    accuracy, loss = numbers_in(lines[6])
    assert 0.33 < accuracy <= 1 and 0 < loss < 1.1


def test_chapter_17_through_the_model(ch18):
    lines = lines_of(ch18, "out-ch17")
    assert lines[0] == (
        "epoch: 0, acc: 0.003, loss: 0.496 (data_loss: 0.496, reg_loss: 0.000), lr: 0.005"
    )
    assert lines[1].startswith("epoch: 500, ")
    assert numbers_in(lines[1])[-1] == pytest.approx(0.005 / (1 + 1e-3 * 499), rel=1e-12)
    precision, model_precision = numbers_in(lines[2])[0], numbers_in(lines[2])[-1]
    assert precision == model_precision
    assert precision == pytest.approx(
        np.std(np.sin(2 * np.pi * np.arange(1000) / 1000)) / 250, abs=1e-6
    )
    assert numbers_in(lines[3]) == [0.0, 0.0]


def test_mini_batches_make_n_over_b_updates_per_epoch_and_learn_faster(ch18):
    rows = [numbers_in(line) for line in lines_of(ch18, "out-mini-batches")]
    (full_updates, full_acc, full_loss) = rows[0][-3:]
    (b300, updates_300, acc_300, loss_300), (b30, updates_30, acc_30, loss_30) = rows[1:3]
    assert full_updates == 20
    assert (b300, updates_300) == (300, 20 * 10) and (b30, updates_30) == (30, 20 * 100)
    assert loss_30 < loss_300 < full_loss  # per epoch, smaller batches get further
    assert acc_30 > full_acc


def test_per_update_larger_batches_lead_over_five_seeds(ch18):
    """The chapter's per-update claims, from the five-seed comparisons (mean and SE)."""
    lines = lines_of(ch18, "out-batch-seeds")
    assert numbers_in(lines[0]) == [5]
    glue = glued(ch18)
    pairs = {10: (None, 300), 20: (None, 300), 100: (300, 30), 200: (300, 30)}
    means, errors = {}, {}
    for k, (updates, (larger, smaller)) in enumerate(pairs.items()):
        means_line, difference_line = lines[1 + 2 * k], lines[2 + 2 * k]
        values = numbers_in(means_line)
        assert values[0] == updates
        mean_1, error_1, _, mean_2, error_2 = values[-5:]
        assert values[-3] == smaller and (larger is None) == ("one batch" in means_line)
        difference, error, *_, lower, n_seeds = numbers_in(difference_line)
        assert n_seeds == 5 and 0 < error_1 < 0.05 and 0 < error_2 < 0.05
        assert difference == pytest.approx(mean_1 - mean_2, abs=2e-4)
        # the prose: the larger batch leads in every seed, by more than its standard error
        assert lower == 5 and difference < 0 and abs(difference) > error
        assert float(glue[f"ch18_lead_{updates}"]) == pytest.approx(-difference, abs=1e-4)
        in_errors = float(glue[f"ch18_lead_in_errors_{updates}"])
        assert in_errors == pytest.approx(-difference / error, rel=0.15)
        # "the first three are clearly not noise, the last, at about two standard errors"
        assert in_errors > 4 if updates < 200 else 1.5 < in_errors < 3
        means[larger, updates], means[smaller, updates] = mean_1, mean_2
        errors[larger, updates], errors[smaller, updates] = error_1, error_2
    # "every run, in every seed, is still near the loss it starts from" (ln 3 = 1.099)
    low, high = float(glue["ch18_seed_loss_min"]), float(glue["ch18_seed_loss_max"])
    assert 1.0 < low <= min(means.values()) <= max(means.values()) <= high < math.log(3)
    # per epoch, five seeds: batches of 30 after 2 epochs below the whole set after 20, by far
    # more than the standard errors
    full_20, b30_2 = means[None, 20], means[30, 200]
    assert float(glue["ch18_full_20_mean"]) == pytest.approx(full_20, abs=1e-4)
    assert float(glue["ch18_b30_2_epochs_mean"]) == pytest.approx(b30_2, abs=1e-4)
    assert full_20 - b30_2 > 3 * (errors[None, 20] + errors[30, 200])
    rows = [numbers_in(line) for line in lines_of(ch18, "out-mini-batches")]
    assert float(glue["ch18_full_loss_20"]) == pytest.approx(rows[0][-1], abs=5e-4)
    assert float(glue["ch18_b30_loss_20"]) == pytest.approx(rows[2][-1], abs=5e-4)


def test_exercise_3_statement_c_holds_for_spiral_data():
    """Batches of 32 cut in order from spiral_data(1000, 3) hold one class, but two."""
    _, y = spiral_data(samples=1000, classes=3)
    batches = [y[start : start + 32] for start in range(0, len(y), 32)]
    mixed = [i for i, batch in enumerate(batches) if len(np.unique(batch)) > 1]
    assert len(batches) == 94 and len(mixed) == 2


def test_exercise_1_and_2_solutions_are_what_the_model_does():
    from resources.classes import (
        Adam,
        CategoricalAccuracy,
        CategoricalCrossEntropy,
        DenseLayer,
        Dropout,
        Model,
        ReLU,
        SoftMax,
    )

    X, y = spiral_data(samples=1000, classes=3)
    model = Model()
    for layer in (DenseLayer(2, 8), ReLU(), Dropout(0.1), DenseLayer(8, 3), SoftMax()):
        model.add(layer)
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    model.train(X, y, epochs=5, batch_size=128, print_every=None, seed=0)
    assert model.optimizer.iterations == 5 * 24  # exercise 1's solution
    positions = [i for i, layer in enumerate(model.layers) if layer in model.trainable_layers]
    assert positions == [0, 3]  # exercise 2's solution
