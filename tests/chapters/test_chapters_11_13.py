"""Chapters 11-13: out-of-sample testing, validation data, the training dataset.

The numbers come from the notebooks as the strict build executed them (cells tagged
``out-...``). Expected values come from the book plan, from mathematics, or from recomputing a
printed quantity from the other printed quantities; long training runs are checked with
thresholds, not exact values, because float32 kernels differ between machines.
"""

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from resources.data import RangeScaler, split_dataset
from tests.notebooks import glued, numbers_in, output_of, tagged_cells

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["11_out_of_sample_data", "12_validation_data", "13_training_dataset"]


def rows(text):
    """The numbers of each non-empty line of ``text`` that holds any."""
    return [numbers_in(line) for line in text.splitlines() if numbers_in(line)]


# ---------------------------------------------------------------------------
# Chapter 11: testing with out-of-sample data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ch11(executed):
    return executed("11_out_of_sample_data")


def test_ch11_training_starts_and_schedules_like_chapter_10(ch11):
    lines = rows(output_of(ch11, "out-training"))
    assert len(lines) == 11, "progress is printed every 1000 epochs, 0 to 10000"
    epoch, acc, loss, lr = lines[0]
    assert (epoch, acc, loss, lr) == (0, 0.360, 1.099, 0.05)  # the plan's epoch-0 line
    epochs = [line[0] for line in lines]
    assert epochs == list(range(0, 10_001, 1000))
    for epoch, _, _, lr in lines:
        # lr = lr0 / (1 + decay * iterations); the plan gives 0.04975126853296942 at 10000.
        np.testing.assert_allclose(lr, 0.05 / (1 + 5e-7 * epoch), atol=6e-6)
    assert 0.94 <= lines[-1][1] <= 0.99  # the plan: accuracy about 0.96-0.98


def test_ch11_test_accuracy_about_080_and_well_below_training(ch11):
    train_acc, train_loss, test_acc, test_loss, gap_acc, gap_loss = numbers_in(
        output_of(ch11, "out-test")
    )
    assert 0.70 <= test_acc <= 0.90  # the plan: validation accuracy about 0.80
    assert train_acc >= 0.93
    assert train_acc - test_acc >= 0.10
    assert test_loss > 3 * train_loss
    np.testing.assert_allclose(gap_acc, train_acc - test_acc, atol=1.5e-3)
    np.testing.assert_allclose(gap_loss, test_loss - train_loss, atol=1.5e-3)


def test_ch11_standard_error_follows_from_the_binomial(ch11):
    test_acc, standard_error, m = numbers_in(output_of(ch11, "out-standard-error"))
    assert m == 300
    np.testing.assert_allclose(standard_error, np.sqrt(test_acc * (1 - test_acc) / m), atol=1e-3)
    train_acc, _, test_acc_again, *_ = numbers_in(output_of(ch11, "out-test"))
    assert test_acc == test_acc_again
    assert train_acc - test_acc > 4 * standard_error, "the gap is many times larger"


def test_ch11_test_loss_turns_up_while_training_loss_falls(ch11):
    best, final = rows(output_of(ch11, "out-curves"))
    best_loss, best_epoch, best_acc, best_train_loss = best
    final_loss, final_epoch, final_acc, final_train_loss = final
    assert final_epoch == 10_000
    assert best_epoch % 100 == 0 and 200 <= best_epoch <= 1000  # "the first few hundred epochs"
    assert final_loss >= 1.3 * best_loss
    assert final_train_loss < 0.5 * best_train_loss
    final_test_acc = numbers_in(output_of(ch11, "out-test"))[2]
    np.testing.assert_allclose(final_acc, final_test_acc, atol=0.02)


def test_ch11_mistakes_grow_more_confident(ch11):
    best, final = rows(output_of(ch11, "out-mistakes"))[-2:]
    # (epoch, n wrong, mean probability of the correct class, share of the loss in percent)
    assert final[0] == 10_000
    assert final[2] < best[2], "the correct class gets less probability on the mistakes"
    assert final[3] > best[3], "mistakes carry a larger share of the test loss"
    assert 0 < best[1] < 300 and 0 < final[1] < 300


def test_ch11_reads_the_run_against_the_noise_ceiling(ch11):
    lines = rows(output_of(ch11, "out-ceiling"))
    (ceiling, error, points), (bayes_train,), (bayes_test,) = lines[:3]
    assert points == 60_000
    # The Monte Carlo of resources/data.py (tested against a quadrature in tests/engine):
    # about 0.905 for 100 points per class, over 60000 points.
    assert 0.895 <= ceiling <= 0.915
    np.testing.assert_allclose(error, np.sqrt(ceiling * (1 - ceiling) / 60_000), atol=1e-3)
    train_acc, _, test_acc, *_ = numbers_in(output_of(ch11, "out-test"))
    test_error = np.sqrt(test_acc * (1 - test_acc) / 300)
    # "above the ceiling on its training data and below it on new data", by several errors
    assert train_acc >= ceiling + 0.03
    assert test_acc <= ceiling - 2 * test_error
    # the Bayes rule on the very same 300 test points does better than the network
    assert bayes_test > test_acc and 0.8 <= bayes_train <= 1.0
    values = glued(ch11)
    np.testing.assert_allclose(float(values["ch11_ceiling"]), 100 * ceiling, atol=0.06)
    np.testing.assert_allclose(
        float(values["ch11_above_ceiling"]), 100 * (train_acc - ceiling), atol=0.2
    )
    np.testing.assert_allclose(
        float(values["ch11_below_ceiling"]), 100 * (ceiling - test_acc), atol=0.2
    )


def test_ch11_the_ceiling_depends_on_the_size_through_the_points_at_the_origin(ch11):
    lines = rows(output_of(ch11, "out-ceiling"))
    (ceiling, _, _), (at_origin, hits) = lines[0], lines[3]
    (small_n, small), (large_n, large) = lines[4][:2], lines[5][:2]
    assert (at_origin, hits) == (3, 1), "one point per class at r = 0, one of them right"
    assert (small_n, large_n) == (25, 1000)
    # "depends slightly on the size": 25 < 100 < 1000 per class, each +- 0.0013 (Monte Carlo)
    assert small + 0.01 < ceiling < large
    # ... and the origin explains it: a ceiling c away from the origin, (1 - 1/N) c + 1/(3N)
    rest = [
        (c - 1 / (3 * n)) / (1 - 1 / n) for c, n in [(small, 25), (ceiling, 100), (large, 1000)]
    ]
    assert max(rest) - min(rest) < 0.006
    # the cost of the origin is (c - 1/3) / N, c the ceiling away from it (about 0.58 / N), not
    # 2 / (3N): the 25 and 1000 per class ceilings differ as that predicts, within Monte Carlo
    # error (each ceiling +- 0.0013, so their difference +- 0.002)
    apart, predicted = lines[6][2:]
    np.testing.assert_allclose(apart, large - small, atol=1.5e-3)
    np.testing.assert_allclose(predicted, (large - 1 / 3) * (1 / 25 - 1 / 1000), atol=1.5e-3)
    assert abs(apart - predicted) < 0.005
    assert abs(apart - 2 / 3 * (1 / 25 - 1 / 1000)) > abs(apart - predicted)
    values = glued(ch11)
    np.testing.assert_allclose(float(values["ch11_ceiling_cost"]), large - 1 / 3, atol=1e-3)
    prose = "".join(c.source for c in ch11.cells if c.cell_type == "markdown")
    assert "tfrac{2}{3N}" not in prose and "$(c - \\tfrac13)/N$" in prose
    np.testing.assert_allclose(float(values["ch11_ceiling_small"]), 100 * small, atol=0.06)
    np.testing.assert_allclose(float(values["ch11_ceiling_large"]), 100 * large, atol=0.06)


def test_ch11_loss_bursts_last_many_epochs_and_test_accuracy_stays_flat(ch11):
    text = output_of(ch11, "out-bursts")
    bursts = [numbers_in(line) for line in text.splitlines() if "loss up to" in line]
    # (first epoch, last epoch, length, peak, settled level)
    assert len(bursts) >= 3, "Adam at 0.05 shows recurring bursts, not a single spike"
    for first, last, length, peak, settled in bursts:
        assert length == last - first + 1
        assert length > 1, "a burst is not one bad step"
        assert peak > 2 * settled
    assert max(peak / settled for *_, peak, settled in bursts) > 10  # "many times over"
    values = glued(ch11)
    assert int(values["ch11_bursts"]) == len(bursts)
    assert int(values["ch11_burst_shortest"]) == min(row[2] for row in bursts)
    assert int(values["ch11_burst_longest"]) == max(row[2] for row in bursts)
    low, high = float(values["ch11_late_test_low"]), float(values["ch11_late_test_high"])
    ceiling = numbers_in(output_of(ch11, "out-ceiling"))[0]
    assert 0.7 <= low <= high < ceiling, "test accuracy stays under the ceiling"
    assert high - low <= 0.1, "and barely moves"
    # the checkpoints catch one burst, at a dip of both accuracy curves
    caught = numbers_in(next(line for line in text.splitlines() if "inside a burst" in line))
    assert len(caught) == 1 and int(values["ch11_caught"]) == 1
    assert int(values["ch11_caught_epoch"]) == caught[0]
    assert any(first <= caught[0] <= last for first, last, *_ in bursts)
    before, at, after, train_before, train_at, train_after, *test = numbers_in(
        text.splitlines()[-1]
    )
    assert (before, at, after) == (caught[0] - 100, caught[0], caught[0] + 100)
    assert train_at < min(train_before, train_after)
    assert test[1] < min(test[0], test[2])
    # the training accuracy: above the ceiling from an early checkpoint on, and still rising
    above_from = int(values["ch11_train_above_from"])
    assert above_from % 100 == 0 and above_from <= 1000
    progress = rows(output_of(ch11, "out-training"))
    late = [acc for epoch, acc, *_ in progress if epoch >= 1000]
    assert min(late) > ceiling and late[-1] > late[0]


def test_ch11_exercise_2_solution_counts_the_whole_test_set():
    nb = nbformat.read(ROOT / "book" / "11_out_of_sample_data.ipynb", as_version=4)
    solution = next(c.source for c in nb.cells if "M \\ge 0.16 / 0.0001 = 1600" in c.source)
    assert "about 5.3 times our\n$M = 300$" in solution and "sixteen times" not in solution
    np.testing.assert_allclose(1600 / 300, 5.33, atol=0.01)
    np.testing.assert_allclose(np.sqrt(1600 / 300), 2.3, atol=0.01)
    np.testing.assert_allclose(np.sqrt(0.8 * 0.2 / 300), 0.023, atol=5e-4)
    np.testing.assert_allclose(np.sqrt(0.8 * 0.2 / 1600), 0.010, atol=5e-4)


def test_ch11_exercise_2_accepts_the_ceiling_computed_in_floating_point(capsys):
    from resources.exercises import check, sealed

    nb = nbformat.read(ROOT / "book" / "11_out_of_sample_data.ipynb", as_version=4)
    (cell,) = tagged_cells(nb, "check-2")
    natural = int(np.ceil(0.8 * 0.2 / 0.01**2))
    assert natural == 1601, "the float quotient is 1600.0000000000002, as the solution says"
    solution = next(c.source for c in nb.cells if "answer_2 = int(np.ceil(" in c.source)
    assert "`1600.0000000000002`" in solution
    verdicts = {}
    for answer in [1600, 1600.0, natural, np.ceil(0.8 * 0.2 / 0.01**2), 1599, 1602, 1601.5]:
        exec(cell.source, {"check": check, "sealed": sealed, "answer_2": answer, "np": np})
        verdicts[answer] = capsys.readouterr().out
    for answer in [1600, 1600.0, natural, np.ceil(0.8 * 0.2 / 0.01**2)]:
        assert verdicts[answer] == "Exercise 2: correct!\n", (answer, verdicts[answer])
    for answer in [1599, 1602, 1601.5]:
        assert verdicts[answer].startswith("Exercise 2: not quite."), answer


# ---------------------------------------------------------------------------
# Chapter 12: validation data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ch12(executed):
    return executed("12_validation_data")


def test_ch12_best_of_many_guessers_is_optimistic(ch12):
    lines = rows(output_of(ch12, "out-selection"))
    true_acc, mean_acc, chosen_acc, fresh_acc = (line[-1] for line in lines)
    np.testing.assert_allclose(true_acc, 1 / 3, atol=5e-4)
    # 50 guessers: the mean stays near 1/3 (standard error of the mean about 0.005) ...
    assert abs(mean_acc - 1 / 3) < 0.02
    # ... while the maximum of 50 scores with standard error 0.038 lies well above it.
    assert chosen_acc >= 1 / 3 + 0.05
    assert abs(fresh_acc - 1 / 3) < 0.12


def test_ch12_slicing_in_order_unbalances_and_shuffling_fixes_it(ch12):
    naive = rows(output_of(ch12, "out-naive-split"))
    # spiral_data sorts by class: 250 per class, cut at 450 and 600 (pure arithmetic).
    assert naive == [[250, 200, 0], [0, 50, 100], [0, 0, 150]]
    # The prose quotes these counts from the output (glue), not from memory.
    prose = "".join(c.source for c in ch12.cells if c.cell_type == "markdown")
    for part in ("train", "val", "test"):
        assert "{glue:text}`ch12_sorted_" + part + "`" in prose
    assert "validation and test slices hold only\nclass 2" not in prose
    split = rows(output_of(ch12, "out-split"))
    assert [line[0] for line in split] == [450, 150, 150]
    for size, *counts in split:
        assert sum(counts) == size
        assert min(counts) >= size / 3 - 0.15 * size  # roughly balanced after the shuffle
    assert numbers_in(output_of(ch12, "out-split-engine")) == [450, 150, 150]


def test_ch12_choice_is_the_argmax_of_the_validation_column(ch12):
    text = output_of(ch12, "out-search")
    assert "test" not in text.lower(), "the search table must not show test scores"
    table = rows(text)
    assert len(table) == 6 and all(len(row) == 5 for row in table)
    widths = sorted({row[0] for row in table})
    rates = sorted({row[1] for row in table})
    assert (widths, rates) == ([32, 128], [0.005, 0.02, 0.05])  # the prose: two times three
    for _, _, train_acc, val_acc, val_loss in table:
        assert 1 / 3 - 0.1 <= val_acc <= train_acc + 0.1 and 0 < val_loss < 1.2
        assert train_acc <= 1.0
    # The rule stated in the chapter: highest validation accuracy, ties to the lower val loss.
    best = max(table, key=lambda row: (row[3], -row[4]))
    width, rate, val_acc, val_loss = numbers_in(output_of(ch12, "out-choice"))
    assert (width, rate) == (best[0], best[1])
    assert (val_acc, val_loss) == (best[3], best[4])


def test_ch12_a_winner_on_the_edge_of_the_grid_is_looked_beyond(ch12):
    table = rows(output_of(ch12, "out-search"))
    first_width = numbers_in(output_of(ch12, "out-choice"))[0]
    extension = output_of(ch12, "out-extend")
    if first_width == max(row[0] for row in table):
        assert "sits on the edge" in extension
        wider = numbers_in(extension.splitlines()[0])[0]
        assert wider == 2 * first_width
        train_acc, val_acc, val_loss = numbers_in(extension.splitlines()[1])
        best = max(table, key=lambda row: (row[3], -row[4]))
        chosen = numbers_in(extension.splitlines()[-1])
        expected = [wider, best[1]] if (val_acc, -val_loss) > (best[3], -best[4]) else best[:2]
        assert chosen == expected
        # The prose calls the step's gain far below a validation score's noise (about 0.03).
        assert abs(val_acc - best[3]) < 0.03
    else:
        assert "inside the grid" in extension


def test_ch12_test_data_are_evaluated_once_after_the_choice(ch12):
    code = [cell for cell in ch12.cells if cell.cell_type == "code"]
    evaluations = [
        i for i, cell in enumerate(code) if re.search(r"evaluate\([^)]*X_test", cell.source)
    ]
    assert len(evaluations) == 1
    final_cell = code[evaluations[0]]
    assert "out-final-test" in final_cell.metadata.get("tags", [])
    choice_index = next(
        i for i, cell in enumerate(code) if "out-choice" in cell.metadata.get("tags", [])
    )
    assert choice_index < evaluations[0]
    # Every decision, cross-validation included, comes before the one look at the test set.
    for tag in ("out-kfold", "out-one-se", "out-early-stopping"):
        index = next(i for i, cell in enumerate(code) if tag in cell.metadata.get("tags", []))
        assert index < evaluations[0], f"{tag} decides, so it comes before the test look"
    for cell in code:
        assert not re.search(r"train_network\([^)]*X_test", cell.source)
        assert not re.search(r"X_dev = .*X_test", cell.source)
    # Exactly one printed test score in the whole executed chapter.
    printed = [
        cell
        for cell in code
        if "test accuracy" in "".join(o.get("text", "") for o in cell.get("outputs", [])).lower()
    ]
    assert printed == [final_cell]
    test_acc, test_loss = numbers_in(output_of(ch12, "out-final-test").splitlines()[-1])
    chosen = numbers_in(output_of(ch12, "out-one-se").splitlines()[-1])
    width, rate, best_epoch = numbers_in(output_of(ch12, "out-final-test").splitlines()[0])
    assert [width, rate] == chosen, "the one-standard-error choice goes to the test set"
    early = rows(output_of(ch12, "out-early-stopping"))
    assert best_epoch == early[-3][0], "... as the checkpoint early stopping kept"
    val_acc = early[-2][1]
    assert 0.65 <= test_acc <= 1.0
    assert abs(test_acc - val_acc) <= 0.15
    assert 0 < test_loss < 1.1
    ceiling = numbers_in(output_of(ch12, "out-ceiling"))[-2]
    assert test_acc < ceiling
    values = glued(ch12)
    np.testing.assert_allclose(float(values["ch12_test_acc"]), test_acc, atol=6e-4)
    np.testing.assert_allclose(
        float(values["ch12_test_error"]), np.sqrt(test_acc * (1 - test_acc) / 150), atol=1e-3
    )
    # closing the loop: the validation score that chose the network lies above its test score,
    # by less than two standard errors of the difference (the prose: one split cannot tell)
    drop, drop_error = (
        float(values["ch12_val_minus_test"]),
        float(values["ch12_val_minus_test_error"]),
    )
    np.testing.assert_allclose(drop, val_acc - test_acc, atol=1.5e-3)
    expected_error = np.sqrt((val_acc * (1 - val_acc) + test_acc * (1 - test_acc)) / 150)
    np.testing.assert_allclose(drop_error, expected_error, atol=1e-3)
    assert 0 < drop < 2 * drop_error
    # the prose: the loss, which chose the epoch, hardly moves from validation to test
    np.testing.assert_allclose(float(values["ch12_test_loss"]), test_loss, atol=6e-4)
    assert abs(test_loss - early[-2][0]) < 0.02
    # the advice to retrain on training plus validation data comes before the test look
    retrain = next(
        i
        for i, cell in enumerate(ch12.cells)
        if cell.cell_type == "markdown" and "retraining the chosen setting" in cell.source
    )
    assert retrain < ch12.cells.index(final_cell)


def _ch12_candidates(ch12):
    """The search table plus the extension, as (width, rate, train acc, val acc, val loss)."""
    table = rows(output_of(ch12, "out-search"))
    extension = output_of(ch12, "out-extend").splitlines()
    if "sits on the edge" in extension[0]:
        wider = numbers_in(extension[0])[0]
        best_rate = numbers_in(output_of(ch12, "out-choice").splitlines()[0])[1]
        table.append([wider, best_rate, *numbers_in(extension[1])])
    return table


def test_ch12_reads_the_grid_against_the_ceiling(ch12):
    ceiling, error = numbers_in(output_of(ch12, "out-ceiling"))[-2:]  # after "chapter 11"
    assert 0.895 <= ceiling <= 0.915 and error < 0.002
    table = rows(output_of(ch12, "out-search"))
    # underfitting: width 32, and the smallest learning rate, far below the ceiling on both sets
    for width, rate, train_acc, val_acc, _ in table:
        if width == 32 or rate == 0.005:
            assert train_acc < ceiling - 0.15 and val_acc < ceiling - 0.25
    # the prose: no candidate reaches the ceiling even in training (the best one is glued)
    best_train = max(row[2] for row in table)
    assert best_train < ceiling
    np.testing.assert_allclose(float(glued(ch12)["ch12_grid_best_train"]), best_train, atol=6e-4)
    # the winner of the grid, widest at a middle learning rate, trains well
    width, rate, val_acc, _ = numbers_in(output_of(ch12, "out-choice"))
    train_acc = next(row[2] for row in table if row[:2] == [width, rate])
    assert width == max(row[0] for row in table) and train_acc >= ceiling - 0.1


def test_ch12_one_standard_error_rule_takes_the_simplest_close_candidate(ch12):
    lines = output_of(ch12, "out-one-se").splitlines()
    best_acc, error = numbers_in(lines[0])
    np.testing.assert_allclose(error, np.sqrt(best_acc * (1 - best_acc) / 150), atol=1e-3)
    candidates = _ch12_candidates(ch12)
    assert best_acc == max(row[3] for row in candidates)
    within = [numbers_in(line) for line in lines[2:-1]]
    expected = [row for row in candidates if row[3] >= best_acc - error - 1e-9]
    assert sorted(row[:2] for row in within) == sorted(row[:2] for row in expected)
    chosen = numbers_in(lines[-1])
    assert chosen[0] == min(row[0] for row in within)
    # the prose: the widest network's lead is within the noise, so a narrower one is chosen
    best_width = numbers_in(output_of(ch12, "out-extend").splitlines()[-1])[0]
    assert chosen[0] < best_width
    values = glued(ch12)
    assert int(values["ch12_within"]) == len(within)
    assert int(values["ch12_chosen_width"]) == chosen[0]


def test_ch12_the_best_and_the_chosen_candidate_compared_point_by_point(ch12):
    (disagree, n), (lead, lead_error) = rows(output_of(ch12, "out-one-se-paired"))
    assert n == 150 and 0 < disagree <= n
    candidates = _ch12_candidates(ch12)
    best_acc = numbers_in(output_of(ch12, "out-one-se").splitlines()[0])[0]
    chosen = numbers_in(output_of(ch12, "out-one-se").splitlines()[-1])
    chosen_acc = next(row[3] for row in candidates if row[:2] == chosen)
    np.testing.assert_allclose(lead, best_acc - chosen_acc, atol=1.5e-3)
    # each point's difference is +1, 0 or -1: its squares sum to the disagreements
    expected_error = np.sqrt((disagree - n * lead**2) / (n - 1) / n)
    np.testing.assert_allclose(lead_error, expected_error, atol=1.5e-3)
    # the prose: the lead is smaller than its paired standard error, noise
    assert abs(lead) < lead_error
    values = glued(ch12)
    assert int(values["ch12_lead_disagree"]) == disagree
    np.testing.assert_allclose(float(values["ch12_lead"]), lead, atol=6e-4)
    np.testing.assert_allclose(float(values["ch12_lead_error"]), lead_error, atol=6e-4)


def test_ch12_early_stopping_keeps_the_lowest_validation_loss(ch12):
    lines = rows(output_of(ch12, "out-early-stopping"))
    checks, (best_epoch, last_epoch), restored, (epochs, *fixed) = lines[:-3], *lines[-3:]
    assert epochs == 500
    prose = "".join(c.source for c in ch12.cells if c.cell_type == "markdown")
    assert "with a modest 500 epochs" in prose
    assert int(glued(ch12)["ch12_fixed_epochs"]) == epochs
    checks = {epoch: (loss, acc) for epoch, loss, acc in checks}
    # stopped when the patience (500 epochs) ran out, or at the most, 3000
    assert last_epoch - best_epoch == 500 or last_epoch == 3000
    assert last_epoch < 3000, "it stopped early"
    assert best_epoch in checks and last_epoch in checks
    assert checks[best_epoch][0] == min(loss for loss, _ in checks.values())
    assert restored == list(checks[best_epoch]), "the best checkpoint is put back"
    # the first 1000 epochs are the search's run of the same setting (same start, same data)
    chosen = numbers_in(output_of(ch12, "out-one-se").splitlines()[-1])
    row = next(r for r in _ch12_candidates(ch12) if r[:2] == chosen)
    assert fixed == [row[4], row[3]]
    assert checks[500] == (row[4], row[3])
    # the restored loss cannot be higher: epoch 500 was one of the checkpoints
    assert restored[0] <= fixed[0]
    values = glued(ch12)
    assert int(values["ch12_best_epoch"]) == best_epoch
    assert int(values["ch12_last_epoch"]) == last_epoch
    assert best_epoch > 500, "the prose: early stopping kept a later epoch than the search"
    # the prose: the printed curve falls at every row from epoch 500 to the best epoch
    printed = [loss for epoch, (loss, _) in sorted(checks.items()) if 500 <= epoch <= best_epoch]
    assert len(printed) >= 3 and np.all(np.diff(printed) < 0)
    np.testing.assert_allclose(float(values["ch12_stopped_val_loss"]), restored[0], atol=6e-4)
    np.testing.assert_allclose(float(values["ch12_stopped_val_acc"]), restored[1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch12_fixed_val_loss"]), fixed[0], atol=6e-4)
    np.testing.assert_allclose(float(values["ch12_fixed_val_acc"]), fixed[1], atol=6e-4)
    # the prose: after the best epoch the printed losses stay within a few hundredths of it
    after = [loss for epoch, (loss, _) in checks.items() if epoch > best_epoch]
    assert after and max(after) - restored[0] < 0.05
    # ... and the last check has a higher accuracy than the checkpoint, by less than one
    # standard error of an accuracy
    last_acc = checks[last_epoch][1]
    assert last_acc > restored[1]
    error = numbers_in(output_of(ch12, "out-one-se").splitlines()[0])[1]
    assert last_acc - restored[1] < error
    np.testing.assert_allclose(float(values["ch12_last_val_acc"]), last_acc, atol=6e-4)
    points = int(values["ch12_last_minus_restored_points"])
    np.testing.assert_allclose(points, (last_acc - restored[1]) * 150, atol=0.3)


def test_ch12_early_stopping_against_the_fixed_run_point_by_point(ch12):
    early = rows(output_of(ch12, "out-early-stopping"))
    restored, (_, *fixed) = early[-2], early[-1]
    (
        (loss_diff, loss_error),
        (acc_diff, acc_error),
        (n_restored, restored_wrong_loss),
        (
            n_fixed,
            fixed_wrong_loss,
        ),
        (n_both, both_restored, both_fixed, both_difference, both_error),
    ) = rows(output_of(ch12, "out-early-paired"))
    np.testing.assert_allclose(loss_diff, restored[0] - fixed[0], atol=1.5e-3)
    np.testing.assert_allclose(acc_diff, restored[1] - fixed[1], atol=1.5e-3)
    assert n_restored == round((1 - restored[1]) * 150)
    assert n_fixed == round((1 - fixed[1]) * 150)
    # a paired error is at most the error of one score; with two discordant points it is
    # at least sqrt(2) / 150
    assert 0 < acc_error <= np.sqrt(fixed[1] * (1 - fixed[1]) / 150) + 1e-3
    # the prose: the accuracy lead is smaller than its standard error (noise); the loss lead,
    # a lower loss, is more than twice its standard error
    assert abs(acc_diff) < acc_error
    assert loss_diff < 0 and abs(loss_diff) > 2 * loss_error
    # a mistake gives the true class at most probability 1/2: a loss of at least log 2
    assert min(restored_wrong_loss, fixed_wrong_loss) >= np.log(2) - 1e-3
    assert min(both_restored, both_fixed) >= np.log(2) - 1e-3
    values = glued(ch12)
    for key, value in [
        ("loss_difference", loss_diff),
        ("loss_error", loss_error),
        ("accuracy_difference", acc_diff),
        ("accuracy_error", acc_error),
    ]:
        np.testing.assert_allclose(float(values[f"ch12_early_{key}"]), value, atol=6e-4)
    np.testing.assert_allclose(
        float(values["ch12_early_loss_ratio"]), abs(loss_diff) / loss_error, rtol=0.15
    )
    np.testing.assert_allclose(
        float(values["ch12_early_accuracy_ratio"]), abs(acc_diff) / acc_error, rtol=0.15
    )
    assert int(values["ch12_restored_wrong"]) == n_restored
    assert int(values["ch12_fixed_wrong"]) == n_fixed
    # the fair comparison of the mistakes: on the points both networks get wrong, paired
    assert 0 < n_both <= min(n_restored, n_fixed)
    np.testing.assert_allclose(both_difference, both_restored - both_fixed, atol=1.5e-3)
    # the prose: the sign agrees with chapter 11 (surer of the shared mistakes), at under
    # two standard errors: too weak to count as evidence
    assert both_difference > 0 and both_difference / both_error < 2
    assert int(values["ch12_both_wrong"]) == n_both
    for key, value in [
        ("restored", both_restored),
        ("fixed", both_fixed),
        ("difference", both_difference),
        ("error", both_error),
    ]:
        np.testing.assert_allclose(float(values[f"ch12_both_wrong_{key}"]), value, atol=6e-4)
    np.testing.assert_allclose(
        float(values["ch12_both_wrong_ratio"]), both_difference / both_error, rtol=0.15
    )
    prose = "".join(c.source for c in ch12.cells if c.cell_type == "markdown")
    assert "ch12_restored_wrong_loss" not in prose, "means over different mistakes are not quoted"
    assert "under twice its standard error" in prose and "too weak to count as evidence" in prose


def test_ch12_kfold_means_follow_from_the_fold_scores(ch12):
    table = rows(output_of(ch12, "out-kfold"))[:-1]
    assert len(table) == 2
    for _width, _rate, *rest in table:
        folds, mean, std = rest[:-2], rest[-2], rest[-1]
        assert len(folds) == 3
        np.testing.assert_allclose(mean, np.mean(folds), atol=1e-3)
        np.testing.assert_allclose(std, np.std(folds, ddof=1), atol=1e-3)
        assert all(0.5 <= f <= 1.0 for f in folds)
    difference, error = rows(output_of(ch12, "out-kfold"))[-1]
    (_, _, *first), (_, _, *second) = table
    paired = np.subtract(first[:3], second[:3])
    np.testing.assert_allclose(difference, paired.mean(), atol=1.5e-3)
    np.testing.assert_allclose(error, np.std(paired, ddof=1) / np.sqrt(3), atol=1.5e-3)
    assert abs(difference) < error, "the prose calls the difference noise"


# ---------------------------------------------------------------------------
# Chapter 13: the training dataset
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ch13(executed):
    return executed("13_training_dataset")


def test_ch13_more_data_raises_test_accuracy_and_closes_the_gap(ch13):
    lines = rows(output_of(ch13, "out-sizes"))
    (ceiling, error), (small_n, small_ceiling), *table = lines[:6]
    single_runs, (spread_printed, largest_step), (test_sd, first_n, second_n, step) = (
        lines[6:14],
        lines[14],
        lines[15],
    )
    assert 0.9 <= ceiling <= 0.92 and error < 0.002
    # the ceiling of a 25-per-class set is lower: 3 of its 75 points sit at the origin
    assert small_n == 25 and 0.875 <= small_ceiling <= ceiling - 0.01
    assert [row[0] for row in table] == [25, 50, 100, 200]
    for _, train_acc, test_acc, gap in table:
        np.testing.assert_allclose(gap, train_acc - test_acc, atol=1.5e-3)
    smallest, largest = table[0], table[-1]
    assert largest[2] >= smallest[2] + 0.08
    # the summary: the test accuracy rises as the set grows (the wiggles are in training)
    test_accs = [row[2] for row in table]
    assert test_accs == sorted(test_accs)
    assert smallest[3] >= largest[3] + 0.1
    assert largest[3] < 0.06
    # "falls overall": the largest sets train lower than the smallest
    assert largest[1] < smallest[1] - 0.05
    # read against the ceiling: the smallest above it (overfitting), the largest below
    assert smallest[1] > ceiling and largest[1] < ceiling - 0.03
    assert smallest[1] > small_ceiling, "above the ceiling of its own size too"
    values = glued(ch13)
    np.testing.assert_allclose(float(values["ch13_ceiling_small"]), small_ceiling, atol=6e-4)
    # the single runs: (per class, run, train acc, test acc, best rule on its own points)
    assert [row[:2] for row in single_runs] == [[n, r] for n in (25, 50, 100, 200) for r in (0, 1)]
    by_size = np.array(single_runs).reshape(4, 2, 5)
    np.testing.assert_allclose(by_size[:, :, 2].mean(axis=1), [r[1] for r in table], atol=1.5e-3)
    np.testing.assert_allclose(by_size[:, :, 3].mean(axis=1), [r[2] for r in table], atol=1.5e-3)
    assert np.all((0.8 < by_size[:, :, 4]) & (by_size[:, :, 4] < 0.97))
    # the runs of one size scatter by more than every step between neighbouring sizes
    spread = float(values["ch13_run_spread"])
    np.testing.assert_allclose(spread, np.max(np.ptp(by_size[:, :, 2], axis=1)), atol=1.5e-3)
    np.testing.assert_allclose(spread, spread_printed, atol=6e-4)
    control = rows(output_of(ch13, "out-epochs-control"))[:-1]
    pair = [row[4] for row in control if row[0] == 200 and row[2] == 1000]
    assert len(pair) == 2 and spread >= abs(pair[0] - pair[1]) - 1e-3
    steps = np.abs(np.diff([row[1] for row in table]))
    np.testing.assert_allclose(largest_step, steps.max(), atol=1.5e-3)
    assert spread > steps.max(), "the prose: more than any step of the mean training curve"
    np.testing.assert_allclose(float(values["ch13_largest_train_step"]), largest_step, atol=6e-4)
    # the test curve: a step between two means of two runs has the standard error of one
    # run's (pooled) standard deviation; the step from 25 to 50 is smaller: noise
    pooled = np.sqrt(np.mean(np.var(by_size[:, :, 3], axis=1, ddof=1)))
    np.testing.assert_allclose(test_sd, pooled, atol=1.5e-3)
    assert (first_n, second_n) == (25, 50)
    np.testing.assert_allclose(step, table[1][2] - table[0][2], atol=1.5e-3)
    assert abs(step) < test_sd, "the prose calls the step from 25 to 50 noise"
    assert table[2][2] - table[0][2] > 2 * test_sd, "the overall trend is resolved"
    np.testing.assert_allclose(float(values["ch13_test_run_sd"]), test_sd, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_first_test_step"]), step, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_test_small"]), smallest[2], atol=6e-4)
    # overfitting, paired: each network at 25 per class beats the best possible rule on its
    # own training points; the means alone lie under two binomial standard errors apart
    for r in (0, 1):
        network, rule = by_size[0, r, 2], by_size[0, r, 4]
        assert network > rule
        np.testing.assert_allclose(float(values[f"ch13_net_small_{r}"]), network, atol=6e-4)
        np.testing.assert_allclose(float(values[f"ch13_rule_small_{r}"]), rule, atol=6e-4)
    set_error = np.sqrt(small_ceiling * (1 - small_ceiling) / 75)
    np.testing.assert_allclose(float(values["ch13_small_set_error"]), set_error, atol=1e-3)
    mean_error = float(values["ch13_small_mean_error"])
    np.testing.assert_allclose(mean_error, set_error / np.sqrt(2), atol=1e-3)
    assert 0 < smallest[1] - small_ceiling < 2 * mean_error
    np.testing.assert_allclose(float(values["ch13_gap_small"]), smallest[3], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_gap_large"]), largest[3], atol=6e-4)
    prose = "".join(c.source for c in ch13.cells if c.cell_type == "markdown")
    assert "with 200 points per class" in prose and "With 200 per class" in prose
    assert "from 25 to 200 points per class" in prose and "500 per class" not in prose
    np.testing.assert_allclose(float(values["ch13_ceiling"]), ceiling, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_train_small"]), smallest[1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_train_large"]), largest[1], atol=6e-4)
    # the prose: below the ceiling at every size from 50 per class on, not in order of size
    first_below = int(values["ch13_first_below"])
    assert first_below == 50
    assert all(row[1] < ceiling for row in table if row[0] >= first_below)
    highest = max(row[1] for row in table if row[0] >= first_below)
    np.testing.assert_allclose(float(values["ch13_highest_below"]), highest, atol=6e-4)
    below = [row[1] for row in table if row[0] >= first_below]
    assert below != sorted(below, reverse=True), "not in order of size"


def test_ch13_the_epochs_control_shows_the_large_sets_undertrained(ch13):
    lines = rows(output_of(ch13, "out-epochs-control"))
    table, (first_rise, second_rise, mean_rise, rise_error) = lines[:-1], lines[-1]
    runs = {}
    losses = {}
    for n, repeat, epochs, train_loss, train_acc, test_acc in table:
        runs.setdefault((n, repeat), {})[epochs] = (train_acc, test_acc)
        losses[repeat, epochs] = train_loss
    # "had not finished learning": the training loss still falls in both runs
    assert all(losses[r, 2000] < losses[r, 1000] - 0.01 for r in (0, 1))
    # the control where it matters: the two runs of the largest size only
    assert sorted(runs) == [(200, 0), (200, 1)]
    assert all(sorted(runs[key]) == [1000, 2000] for key in runs)
    sizes = {row[0]: (row[1], row[2]) for row in rows(output_of(ch13, "out-sizes"))[2:6]}
    assert max(sizes) == 200
    # the 1000-epoch rows are the runs of the size table (its means)
    means = np.mean([runs[200, r][1000] for r in (0, 1)], axis=0)
    np.testing.assert_allclose(means, sizes[200], atol=1.5e-3)
    rises = [runs[200, r][2000][1] - runs[200, r][1000][1] for r in (0, 1)]
    np.testing.assert_allclose([first_rise, second_rise], rises, atol=1.5e-3)
    np.testing.assert_allclose(mean_rise, np.mean(rises), atol=1.5e-3)
    # the paired standard error: the spread of the two runs' rises
    np.testing.assert_allclose(rise_error, np.std(rises, ddof=1) / np.sqrt(2), atol=1.5e-3)
    for r in (0, 1):
        assert rises[r] > 0, "higher on the test points in both runs"
    assert mean_rise > rise_error, "the prose: a rise larger than its standard error"
    values = glued(ch13)
    np.testing.assert_allclose(float(values["ch13_control_rise"]), np.mean(rises), atol=2e-3)
    np.testing.assert_allclose(float(values["ch13_control_error"]), rise_error, atol=6e-4)
    np.testing.assert_allclose(
        float(values["ch13_control_ratio"]), mean_rise / rise_error, rtol=0.15
    )
    # the prose: the extra steps raise the training accuracy only a little, and it stays
    # below the ceiling, so the step budget is a small part of the underfitting
    ceiling = rows(output_of(ch13, "out-sizes"))[0][0]
    train_rises = sorted(runs[200, r][2000][0] - runs[200, r][1000][0] for r in (0, 1))
    np.testing.assert_allclose(float(values["ch13_train_rise_low"]), train_rises[0], atol=2e-3)
    np.testing.assert_allclose(float(values["ch13_train_rise_high"]), train_rises[1], atol=2e-3)
    assert -0.03 < train_rises[0] <= train_rises[1] < 0.03, "changes it by only a little"
    assert all(runs[200, r][2000][0] < ceiling - 0.02 for r in (0, 1))
    # the prose names what the control varied: the steps, not the width
    prose = "".join(c.source for c in ch13.cells if c.cell_type == "markdown")
    assert "fit their training points better *and*" not in prose
    assert "ch13_train_rise_low:+.3f" in prose, "a change that may be negative, signed"
    if min(train_rises) < 0:
        assert "extra steps raise" not in prose
    assert "plain\ncause" not in prose and "runs do not show one plain cause" in prose
    prose = " ".join(prose.split())
    assert "not by the size of the network" not in prose
    assert "varied the number of steps and nothing else" in prose
    # one doubling of the steps says nothing about many more: no claim beyond it
    assert "accounts for a small part of the underfitting" not in prose
    assert "close only a small part of the distance to it" in prose
    for r in (0, 1):  # "a small part": under a third of each run's distance to the ceiling
        distance = ceiling - runs[200, r][1000][0]
        assert runs[200, r][2000][0] - runs[200, r][1000][0] < distance / 3


def test_ch13_unscaled_millimetres_stall_and_scaling_recovers(ch13):
    original, unscaled, scaled, (*_, seed_a, seed_b, seed_c, change, error) = rows(
        output_of(ch13, "out-scaling")
    )
    # the seed control: scaled minus original over seeds 0, 1, 2, paired by seed
    np.testing.assert_allclose(seed_a, scaled[1] - original[1], atol=1.5e-3)
    np.testing.assert_allclose(change, np.mean([seed_a, seed_b, seed_c]), atol=1.5e-3)
    np.testing.assert_allclose(
        error, np.std([seed_a, seed_b, seed_c], ddof=1) / np.sqrt(3), atol=1.5e-3
    )
    assert abs(change) < error, "the prose calls the difference noise"
    values = glued(ch13)
    np.testing.assert_allclose(float(values["ch13_scaling_change"]), change, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_scaled_val"]), scaled[1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_original_val"]), original[1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_scaling_error"]), error, atol=6e-4)
    assert original[1] >= 0.6
    assert unscaled[1] <= 0.5, "in millimetres the network should barely learn"
    assert scaled[1] >= unscaled[1] + 0.2
    assert abs(scaled[1] - original[1]) <= 0.12
    # (train acc, val acc, val loss, live neurons, 64): in millimetres the ReLUs die and the
    # network can only predict the class frequencies, loss ln 3.
    assert unscaled[3] == 0 and scaled[3] > 5, "the prose: no hidden neuron is still alive"
    # within a few Adam steps, from three starting weights: none left after the third step
    header, *dying = rows(output_of(ch13, "out-dying"))
    assert header == [64, 1, 5] and [row[0] for row in dying] == [0, 1, 2]
    for _, *counts in dying:
        assert len(counts) == 5 and counts[0] > 0 and counts[2:] == [0, 0, 0]
    assert unscaled[4] == scaled[4] == 64
    np.testing.assert_allclose(unscaled[2], np.log(3), atol=0.01)
    ceiling = rows(output_of(ch13, "out-sizes"))[0][0]
    assert all(row[1] < ceiling - 0.1 for row in (original, unscaled, scaled))  # val acc


def test_ch13_first_pass_in_millimetres_is_already_off_scale(ch13):
    original, unscaled = rows(output_of(ch13, "out-first-pass"))
    # (initial loss, mean |z|, the "1" of "dense1", mean |dense1.dweights|)
    np.testing.assert_allclose(original[0], np.log(3), atol=0.01)  # tiny weights: no opinion
    assert unscaled[0] > np.log(3) + 0.2
    assert unscaled[1] > 1000 * original[1]
    assert unscaled[-1] > 10_000 * original[-1]  # "a factor of tens of thousands"


def test_ch13_augmentation_choice_comes_from_validation(ch13):
    lines = rows(output_of(ch13, "out-augment-search"))
    table, chosen, summary = lines[:4], lines[4], lines[5]
    (*_, d_none, d_none_error), (*_, d_runner, d_runner_error) = lines[6:8]
    widest_row, widest_sd, binomial = lines[8]
    assert [row[0] for row in table] == [0.0, 0.25, 0.5, 2.0]
    means = sorted(row[4] for row in table)
    np.testing.assert_allclose(summary[:2], [means[-1], means[-2]], atol=1e-3)
    for row in table:
        np.testing.assert_allclose(row[4], np.mean(row[1:4]), atol=1e-3)
    best = max(table, key=lambda row: row[4])
    assert chosen == [best[0]]
    assert chosen[0] > 0, "on small sets some rotation should beat none"
    # paired differences against no augmentation and against the runner-up
    runner = next(row for row in table if row[0] == summary[2])
    for other, mean_of, error in [
        (table[0], d_none, d_none_error),
        (runner, d_runner, d_runner_error),
    ]:
        differences = np.subtract(best[1:4], other[1:4])
        np.testing.assert_allclose(mean_of, differences.mean(), atol=1.5e-3)
        np.testing.assert_allclose(error, np.std(differences, ddof=1) / np.sqrt(3), atol=1.5e-3)
        assert mean_of > error, "the prose: both differences are larger than their errors"
    # the runs along a row scatter far more than the binomial error of one score
    np.testing.assert_allclose(widest_row, max(np.ptp(row[1:4]) for row in table), atol=1.5e-3)
    np.testing.assert_allclose(binomial, np.sqrt(best[4] * (1 - best[4]) / 300), atol=1e-3)
    assert widest_row > 3 * binomial
    sds = [np.std(row[1:4], ddof=1) for row in table]
    np.testing.assert_allclose(widest_sd, max(sds), atol=1.5e-3)
    assert 1.7 < widest_sd / binomial < 2.7, "the prose: about twice"
    values = glued(ch13)
    np.testing.assert_allclose(float(values["ch13_widest_sd"]), widest_sd, atol=6e-4)
    # the two columns on the right: copies turned past 1.15 rad, the best rule's agreement
    # with the training labels; s = 2 washes the arms out, towards a third
    turned = [row[5] for row in table]
    agree = [row[6] for row in table]
    assert turned[0] == 0 and turned == sorted(turned) and turned[-1] > 0.5
    assert agree == sorted(agree, reverse=True) and agree[0] > 0.8 and agree[-1] < 0.55
    np.testing.assert_allclose(float(values["ch13_turned_widest"]), turned[-1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_agree_none"]), agree[0], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_agree_widest"]), agree[-1], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_val_se"]), d_none_error, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_val_runner_up_se"]), d_runner_error, atol=6e-4)
    # the prose: the ratios, surer against no augmentation than against the neighbour
    none_ratio = float(values["ch13_val_none_ratio"])
    runner_ratio = float(values["ch13_val_runner_up_ratio"])
    np.testing.assert_allclose(none_ratio, d_none / d_none_error, rtol=0.1)
    np.testing.assert_allclose(runner_ratio, d_runner / d_runner_error, rtol=0.1)
    assert none_ratio > runner_ratio > 1
    prose = "".join(c.source for c in ch13.cells if c.cell_type == "markdown")
    assert "the best of four spreads" in prose
    assert float(values["ch13_chosen_std"]) == best[0]
    assert float(values["ch13_runner_up_std"]) == summary[2]
    np.testing.assert_allclose(float(values["ch13_best_val"]), best[4], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_runner_up_val"]), runner[4], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_val_none"]), table[0][4], atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_widest_row"]), widest_row, atol=6e-4)
    np.testing.assert_allclose(float(values["ch13_binomial_se"]), binomial, atol=6e-4)
    # s = 2, where most copies turn beyond 1.15 radians: the lowest of the column
    np.testing.assert_allclose(float(values["ch13_val_widest"]), table[-1][4], atol=6e-4)
    assert table[-1][4] == min(row[4] for row in table)


def test_ch13_augmentation_on_the_test_set_is_read_with_its_standard_error(ch13):
    lines = rows(output_of(ch13, "out-augment-test"))
    (plain_acc, plain_loss), (_, aug_acc, aug_loss) = lines[:2]
    accuracy, loss, (_, *plain_conf), (_, *aug_conf) = lines[2:]
    # (changes of the three runs, mean, standard error)
    for changes, mean_of, error in [(accuracy[:3], *accuracy[3:]), (loss[:3], *loss[3:])]:
        np.testing.assert_allclose(mean_of, np.mean(changes), atol=1.5e-3)
        np.testing.assert_allclose(error, np.std(changes, ddof=1) / np.sqrt(3), atol=1.5e-3)
    np.testing.assert_allclose(accuracy[3], aug_acc - plain_acc, atol=1.5e-3)
    np.testing.assert_allclose(loss[3], aug_loss - plain_loss, atol=1.5e-3)
    # the prose: the accuracy rises by more than its error, in every set; the loss falls
    # by more than its error
    assert accuracy[3] > accuracy[4] and all(change > 0 for change in accuracy[:3])
    assert loss[3] < -loss[4]
    ceiling = rows(output_of(ch13, "out-sizes"))[0][0]
    assert aug_acc < ceiling - 0.1 and plain_acc < ceiling - 0.1
    # the mistakes: the augmented networks are less confidently wrong, in every set
    assert len(plain_conf) == len(aug_conf) == 3
    assert all(a > p for a, p in zip(aug_conf, plain_conf, strict=True))
    values = glued(ch13)
    np.testing.assert_allclose(float(values["ch13_mistakes_none"]), np.mean(plain_conf), atol=1e-3)
    np.testing.assert_allclose(float(values["ch13_mistakes_aug"]), np.mean(aug_conf), atol=1e-3)
    for name, (mean_of, error) in [("acc", accuracy[3:]), ("loss", loss[3:])]:
        np.testing.assert_allclose(float(values[f"ch13_aug_{name}_change"]), mean_of, atol=6e-4)
        np.testing.assert_allclose(float(values[f"ch13_aug_{name}_error"]), error, atol=6e-4)
    prose = "".join(c.source for c in ch13.cells if c.cell_type == "markdown")
    assert "untouched test set" not in prose
    assert "as far as accuracy goes this is noise" not in prose


# ---------------------------------------------------------------------------
# Hidden state and exercise 2 of chapter 13 (the exercises themselves: test_exercises.py)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS[1:])
def test_train_network_uses_the_one_loop_and_leaves_the_global_generator_alone(chapter):
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if "def train_network(" in c.source]
    assert "train_classifier(" in cell.source and "np.random.seed" not in cell.source
    assert "for _ in range(epochs)" not in cell.source  # no loop of its own
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "np.random.seed(" not in code
    assert len(re.findall(r"^\s*nnfs\.init\(\)", code, re.M)) == 1


def _arm(c, r):
    """Noise-free points of class c at radii r, drawn as nnfs.datasets.spiral_data draws."""
    t = 4 * c + 4 * r
    return np.column_stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)])


def test_ch13_rotating_class_0_by_the_answer_lands_on_class_1():
    from resources.data import rotate
    from resources.exercises import sealed

    nb = nbformat.read(ROOT / "book" / "13_training_dataset.ipynb", as_version=4)
    (check,) = tagged_cells(nb, "check-2")
    token = re.search(r'sealed\("([^"]+)"\)', check.source).group(1)
    answer = sealed(token).value
    assert 0 <= answer < 2 * np.pi
    r = np.linspace(0.05, 1, 40)
    landed = rotate(_arm(0, r), np.full(len(r), answer))
    np.testing.assert_allclose(landed, _arm(1, r), atol=1e-9)
    # The old answer, 10 - 2 pi, turns the arm the wrong way: it does not land on class 1.
    wrong = rotate(_arm(0, r), np.full(len(r), 10 - 2 * np.pi))
    assert np.max(np.abs(wrong - _arm(1, r))) > 0.5
    # And class 2 lies 1.15 rad clockwise of class 0: the closest pair of arms; counter-
    # clockwise that is -20 + 8 pi = 5.133 (the solution's number), not 6 pi - 20 = -1.150.
    np.testing.assert_allclose(
        rotate(_arm(0, r), np.full(len(r), -(20 - 6 * np.pi))), _arm(2, r), atol=1e-9
    )
    np.testing.assert_allclose(
        rotate(_arm(0, r), np.full(len(r), 8 * np.pi - 20)), _arm(2, r), atol=1e-9
    )
    np.testing.assert_allclose([8 * np.pi - 20, 20 - 6 * np.pi], [5.133, 1.150], atol=5e-4)
    solution = next(c.source for c in nb.cells if "answer_2 = 4 * np.pi - 10" in c.source)
    assert "8\\pi - 20 \\approx 5.133" in solution and "6\\pi - 20 \\approx" not in solution


def test_notebooks_use_the_python3_kernel():
    for chapter in CHAPTERS:
        meta = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())["metadata"]
        assert meta["kernelspec"]["name"] == "python3"


# ---------------------------------------------------------------------------
# resources/data.py
# ---------------------------------------------------------------------------


def test_split_dataset_is_a_shuffled_partition():
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.arange(100)
    parts = split_dataset(X, y, (0.6, 0.2, 0.2), seed=1)
    assert [len(p[1]) for p in parts] == [60, 20, 20]
    labels = np.concatenate([p[1] for p in parts])
    assert sorted(labels.tolist()) == list(range(100))
    assert not np.array_equal(labels, y), "the samples must be shuffled"
    for Xp, yp in parts:
        np.testing.assert_array_equal(Xp[:, 0], 2 * yp)  # every row keeps its label
    again = split_dataset(X, y, (0.6, 0.2, 0.2), seed=1)
    for (_, a), (_, b) in zip(parts, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_split_dataset_uses_the_global_state_without_a_seed():
    X = np.zeros((30, 2))
    y = np.arange(30)
    np.random.seed(5)
    expected = np.random.permutation(30)
    np.random.seed(5)
    (_, a), (_, b) = split_dataset(X, y, (0.5, 0.5))
    np.testing.assert_array_equal(np.concatenate([a, b]), expected)


@given(n=st.integers(3, 400), cut=st.floats(0.05, 0.95))
@settings(max_examples=60, deadline=None)
def test_split_dataset_never_loses_or_repeats_a_sample(n, cut):
    y = np.arange(n)
    X = np.zeros((n, 1))
    try:
        parts = split_dataset(X, y, (cut, 1 - cut), seed=0)
    except ValueError as error:
        assert "too few" in str(error)
        return
    joined = np.concatenate([p[1] for p in parts])
    assert sorted(joined.tolist()) == list(range(n))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((np.zeros((10, 2)), np.zeros(10), (0.5, 0.4)), ValueError),
        ((np.zeros((10, 2)), np.zeros(10), (1.2, -0.2)), ValueError),
        ((np.zeros((10, 2)), np.zeros(9), (0.5, 0.5)), ValueError),
        ((np.zeros(10), np.zeros(10), (0.5, 0.5)), ValueError),
        ((np.zeros((3, 2)), np.zeros(3), (0.1, 0.9)), ValueError),
        ((np.array([["a", "b"]]), np.zeros(1), (1.0,)), TypeError),
        ((np.zeros((10, 2)), np.zeros(10), ("half", "half")), TypeError),
    ],
)
def test_split_dataset_rejects_bad_input(args, error):
    with pytest.raises(error):
        split_dataset(*args)


def test_split_dataset_rejects_a_bad_seed():
    with pytest.raises(TypeError):
        split_dataset(np.zeros((4, 1)), np.zeros(4), (0.5, 0.5), seed=1.5)


def test_range_scaler_maps_the_training_range_and_reuses_it():
    train = np.array([[2.0, -5.0], [10.0, 5.0], [6.0, 0.0]])
    scaler = RangeScaler(-1, 1).fit(train)
    np.testing.assert_allclose(scaler.transform(train), [[-1, -1], [1, 1], [0, 0]])
    # The exercise of chapter 13: 12 in a feature trained on [2, 10] lands at 1.5.
    np.testing.assert_allclose(scaler.transform([[12.0, 10.0]]), [[1.5, 2.0]])
    np.testing.assert_allclose(RangeScaler(0, 1).fit_transform(train)[:, 0], [0, 1, 0.5])


def test_range_scaler_constant_column_goes_to_the_middle():
    scaled = RangeScaler(0, 4).fit_transform([[3.0, 1.0], [3.0, 2.0]])
    np.testing.assert_allclose(scaled, [[2, 0], [2, 4]])


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 4)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, width=64),
    )
)
@settings(max_examples=60, deadline=None)
def test_range_scaler_output_lies_in_the_range(data):
    scaled = RangeScaler(-1, 1).fit_transform(data)
    assert np.all(scaled >= -1 - 1e-9) and np.all(scaled <= 1 + 1e-9)
    spans = np.ptp(data, axis=0) > 0
    np.testing.assert_allclose(scaled.min(axis=0)[spans], -1, atol=1e-9)
    np.testing.assert_allclose(scaled.max(axis=0)[spans], 1, atol=1e-9)


def test_range_scaler_rejects_bad_use():
    with pytest.raises(ValueError, match="before fit"):
        RangeScaler().transform([[1.0]])
    with pytest.raises(ValueError, match="low must be smaller"):
        RangeScaler(1, 1)
    with pytest.raises(TypeError):
        RangeScaler("0", 1)
    scaler = RangeScaler().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="2 features"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        scaler.fit(np.zeros((0, 2)))
    with pytest.raises(TypeError):
        scaler.fit([["a"], ["b"]])


# The explorers of chapters 11 and 13 are tested in tests/explorers.


def test_rotate_rejects_bad_input():
    from resources.data import rotate

    with pytest.raises(ValueError, match="one angle per point"):
        rotate(np.zeros((3, 2)), [0.1, 0.2])
    with pytest.raises(ValueError, match="shape"):
        rotate(np.zeros((3, 3)), 0.1)
    with pytest.raises(TypeError):
        rotate(np.zeros((3, 2)), ["a", "b", "c"])
    np.testing.assert_allclose(rotate([[1.0, 0.0]], np.pi / 2), [[0.0, 1.0]], atol=1e-15)


def test_ch11_trains_through_the_package_loop_with_checkpoints_between():
    nb = nbformat.read(ROOT / "book" / "11_out_of_sample_data.ipynb", as_version=4)
    (cell,) = tagged_cells(nb, "out-training")
    assert "model.train(" in cell.source and "checkpoints.append(" in cell.source
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert ".backward(" not in code and "update_params(" not in code
