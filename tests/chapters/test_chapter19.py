"""Chapter 19, a real dataset: the digits loaded, split, scaled, shuffled, batched and learned.

Numbers come from the executed notebook (cells tagged ``out-...``); expected values come from
the dataset itself, from arithmetic, or from the chapter's promises (a test accuracy of at
least 0.95). Training results are checked with thresholds.
"""

import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from resources.data import split_dataset
from resources.datasets import load_digits_dataset
from tests.notebooks import numbers_in, output_of, tagged_cells

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "19_a_real_dataset"


def rows(text):
    return [numbers_in(line) for line in text.splitlines() if numbers_in(line)]


def solutions_pass(chapter, tmp_path, monkeypatch, exercises=(1, 2, 3)):
    """Put each folded solution into its answer cell, run the chapter, return the verdicts."""
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    for k in exercises:
        (solution,) = tagged_cells(nb, f"solution-{k}")
        (answer,) = tagged_cells(nb, f"answer-{k}")
        answer.source = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1)
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    monkeypatch.setenv("PYTHONPATH", path)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    return [output_of(nb, f"check-{k}").strip() for k in exercises]


@pytest.fixture(scope="module")
def ch19(executed):
    return executed(CHAPTER)


def test_the_digits_are_loaded_whole(ch19):
    X, y = load_digits_dataset()
    head = output_of(ch19, "out-load").split("y:")[0]
    assert "dtype float64" in head
    n, width, low, high = numbers_in(head.replace("float64", ""))
    assert (n, width, low, high) == (1797, 64, 0, 16)
    counts = numbers_in(output_of(ch19, "out-load").split("per class:")[1])
    assert counts == np.bincount(y).tolist() and sum(counts) == len(X)
    first = numbers_in(output_of(ch19, "out-first-image"))
    assert first[0] == y[0] and first[1:] == X[0].tolist()


def test_the_split_is_60_20_20_and_every_class_is_in_every_part(ch19):
    lines = rows(output_of(ch19, "out-split"))
    assert [line[0] for line in lines] == [1078, 360, 359]  # round(0.6 n), round(0.8 n)
    X, y = load_digits_dataset()
    parts = split_dataset(X, y, (0.6, 0.2, 0.2), seed=0)
    for line, (_, labels) in zip(lines, parts, strict=True):
        assert line[1:] == np.bincount(labels, minlength=10).tolist()
        assert min(line[1:]) > 0


def test_a_per_pixel_scaler_would_blow_up_rarely_inked_pixels(ch19):
    text = output_of(ch19, "out-per-pixel")
    (_, always_zero, _), (_, narrow_count, _), line = rows(text)
    pixel, row, column, low, span, blown_up = line
    assert low == 0
    X, y = load_digits_dataset()
    (X_train, _), _, _ = split_dataset(X, y, (0.6, 0.2, 0.2), seed=0)
    spans = X_train.max(axis=0) - X_train.min(axis=0)
    assert always_zero == np.sum(spans == 0) and narrow_count == np.sum(spans < 16)
    assert (row, column) == divmod(pixel, 8) and span == spans[int(pixel)]
    assert blown_up == pytest.approx(-1 + 2 * 16 / span, abs=0.05) and blown_up > 3


def test_batches_by_hand(ch19):
    n, size, steps, *sizes, total = numbers_in(output_of(ch19, "out-batches"))
    assert (n, size, steps) == (1078, 32, 34)  # ceil(1078 / 32)
    assert sizes[-1] == 1078 - 33 * 32 and total == n


def test_small_batches_learn_more_in_the_same_epochs(ch19):
    lines = rows(output_of(ch19, "out-batch-sizes"))
    assert [(line[0], line[1]) for line in lines] == [(1078, 5), (32, 170), (1078, 50)]
    val_full, val_32, val_full_50 = lines[0][3], lines[1][3], lines[2][3]
    assert val_32 >= 0.93 and val_32 > val_full + 0.1
    # "full-batch training gets there too, with many more epochs"
    assert val_full_50 >= 0.93 and val_full_50 > val_full + 0.1


def test_sorted_batches_hold_one_class_and_ruin_training_without_shuffling(ch19):
    for line in rows(output_of(ch19, "out-sorted-batches")):
        assert len(line) == 2, "one class per batch"
    text = output_of(ch19, "out-shuffle")
    unshuffled, shuffled = (numbers_in(line) for line in text.splitlines() if "shuffle=" in line)
    biases = [numbers_in(line) for line in text.splitlines() if "output biases" in line]
    acc, *counts = unshuffled
    assert sum(counts) == 360 and acc < 0.4 and max(counts) >= 0.5 * 360
    # Adam, unshuffled: the FIRST class wins (the summary says so), and the output biases fall
    # from class 0 to class 9
    assert int(np.argmax(counts)) == 0
    assert biases[0][0] == max(biases[0]) and biases[0][-1] == min(biases[0])
    acc, *counts = shuffled
    assert sum(counts) == 360 and acc >= 0.7 and max(counts) < 0.3 * 360


def test_plain_sgd_on_sorted_data_answers_the_last_class(ch19):
    text = output_of(ch19, "out-shuffle-sgd")
    counts = numbers_in(text.splitlines()[0])
    assert sum(counts) == 360 and int(np.argmax(counts)) == 9 and max(counts) >= 0.9 * 360


def test_training_schedule_and_validation_every_epoch(ch19):
    text = output_of(ch19, "out-training")
    epochs = [line for line in rows(text) if len(line) == 6]
    assert [line[0] for line in epochs] == [0, 5, 10, 15, 20, 25]
    for epoch, _, _, _, _, lr in epochs:
        # lr = lr0 / (1 + decay * iterations), 34 steps per epoch; the line shows the rate as
        # the epoch began: the one the previous epoch's last step used (iterations 34 e - 1).
        assert lr == pytest.approx(0.005 / (1 + 1e-3 * max(0, 34 * epoch - 1)), rel=1e-12)
    assert epochs[0][1] < 0.8 < epochs[-1][1]
    validation = [numbers_in(line) for line in text.splitlines() if "validation" in line]
    assert len(validation) == 6 and all(acc >= 0.8 for acc, _ in validation)
    assert validation[-1][0] >= 0.93


def test_the_number_of_epochs_is_chosen_from_the_validation_curve(ch19):
    from resources.datasets import split_digits, train_digits_model

    lines = rows(output_of(ch19, "out-epochs"))
    best, best_epochs = lines[0]
    (se,) = lines[1]
    enough, at_enough = lines[2]
    low, high = lines[3]
    _, val_20 = lines[4]
    assert se == pytest.approx(np.sqrt(best * (1 - best) / 360), abs=1e-3)
    assert at_enough >= best - se - 1e-3 and enough <= 20 <= 30
    assert low <= val_20 <= high and high == best and low >= best - 3 * se
    # "a band about two standard errors wide"; 20 epochs "not within one standard error"
    assert 1.5 <= (high - low) / se <= 3
    assert val_20 < best - se
    # "the validation loss is still falling" at the rule's count of epochs
    assert lines[5][1] > lines[6][1] > lines[7][0]
    # no overfitting within 30 epochs: the lowest validation loss comes late
    *_, lowest_epochs = lines[7]
    assert lowest_epochs >= 20
    # the final model is the recipe's: its validation accuracy is the curve's value at 20
    (final,) = [n for n in numbers_in(output_of(ch19, "out-final-model")) if n < 1][:1]
    assert final == val_20
    run = train_digits_model(seed=0)
    _, (X_val, y_val), _ = split_digits(0)
    assert run.model.evaluate(X_val, y_val)[1] == pytest.approx(val_20, abs=1e-3)


def test_test_accuracy_is_at_least_095(ch19):
    test_acc, test_loss, n, standard_error = numbers_in(output_of(ch19, "out-test"))
    assert n == 359 and test_acc >= 0.95 and test_loss < 0.2
    assert standard_error == pytest.approx(np.sqrt(test_acc * (1 - test_acc) / n), abs=1e-3)
    # the prose calls test - validation noise: less than two standard errors of the difference
    val = numbers_in(output_of(ch19, "out-final-model"))[1]
    difference_se = np.sqrt(standard_error**2 + val * (1 - val) / 360)
    assert 0 < test_acc - val < 2 * difference_se
    assert "prediction for prediction" in output_of(ch19, "out-same-model")


def test_folded_solutions_pass_their_checks(tmp_path, monkeypatch):
    verdicts = solutions_pass(CHAPTER, tmp_path, monkeypatch)
    assert verdicts == [f"Exercise {k}: correct!" for k in (1, 2, 3)]


def test_no_control_characters_or_lost_escapes_in_the_text(ch19):
    import re

    for cell in ch19.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", cell.source), cell.source[:80]
