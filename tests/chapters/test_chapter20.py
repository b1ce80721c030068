"""Chapter 20, model evaluation: the confusion matrix, per-class precision and recall, their
averages, the mistakes, the confidence and its calibration, checked against scikit-learn's
metrics on the same predictions.

The analysis runs on the validation data; the test data are evaluated once, at the end. The
predictions are recomputed here with ``train_digits_model(seed=0)``, the chapter's model (the
same seed gives the same model); the chapter's printed numbers must match them.
"""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from resources.datasets import train_digits_model
from tests.chapters.test_chapter19 import rows, solutions_pass
from tests.notebooks import glued, numbers_in, output_of

CHAPTER = "20_model_evaluation"


@pytest.fixture(scope="module")
def ch20(executed):
    return executed(CHAPTER)


@pytest.fixture(scope="module")
def run():
    return train_digits_model(seed=0)


@pytest.fixture(scope="module")
def predictions(run):
    probabilities = run.model.predict(run.X_val)
    return run.y_val, np.argmax(probabilities, axis=1), np.max(probabilities, axis=1)


def test_the_chapter_evaluates_the_model_on_validation_data(ch20, predictions):
    y_val, predicted, _ = predictions
    val_acc, val_loss, n = numbers_in(output_of(ch20, "out-validation"))
    assert n == len(y_val) == 360
    assert val_acc == round(np.mean(predicted == y_val), 3) and val_acc >= 0.93
    true_row, predicted_row, confidence_row = rows(output_of(ch20, "out-first-predictions"))
    assert true_row == y_val[:12].tolist() and predicted_row == predicted[:12].tolist()
    np.testing.assert_allclose(confidence_row, predictions[2][:12], atol=5e-4)


def test_the_test_set_is_evaluated_once_at_the_end(ch20, run):
    test_acc, test_loss, n, _, macro_f1 = numbers_in(output_of(ch20, "out-test"))  # _: "F1"
    predicted = np.argmax(run.model.predict(run.X_test), axis=1)
    assert n == 359 and test_acc == round(np.mean(predicted == run.y_test), 3)
    f1 = precision_recall_fscore_support(run.y_test, predicted, average="macro")[2]
    assert macro_f1 == pytest.approx(f1, abs=5e-4)
    sources = [c.source for c in ch20.cells if c.cell_type == "code"]
    assert sum("X_test" in s for s in sources) == 1, "the test data appear in one cell"


def test_the_confusion_matrix_is_scikit_learns(ch20, predictions):
    y_val, predicted, _ = predictions
    lines = rows(output_of(ch20, "out-confusion"))
    assert lines[0] == list(range(10))  # the header: predicted classes
    assert [line[0] for line in lines[1:]] == list(range(10))
    printed = np.array([line[1:] for line in lines[1:]])
    np.testing.assert_array_equal(printed, confusion_matrix(y_val, predicted, labels=range(10)))


def test_precision_recall_f1_and_the_three_averages_are_scikit_learns(ch20, predictions):
    y_val, predicted, _ = predictions
    header, *lines = rows(output_of(ch20, "out-scores"))
    assert header == [1]  # the "F1" of the header line
    table = np.array(lines[:10])
    assert table[:, 0].tolist() == list(range(10))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_val, predicted, labels=range(10), zero_division=0
    )
    np.testing.assert_allclose(table[:, 1], precision, atol=5e-4)
    np.testing.assert_allclose(table[:, 2], recall, atol=5e-4)
    np.testing.assert_allclose(table[:, 3], f1, atol=5e-4)
    np.testing.assert_array_equal(table[:, 4], support)
    for line, average in zip(lines[10:13], ("macro", "weighted", "micro"), strict=True):
        expected = precision_recall_fscore_support(
            y_val, predicted, labels=range(10), average=average, zero_division=0
        )
        np.testing.assert_allclose(line[:3], expected[:3], atol=5e-4)
        assert line[3] == len(y_val)
    # micro = accuracy for single-label data, as the prose says
    assert lines[12][0] == round(np.mean(predicted == y_val), 3)
    text = output_of(ch20, "out-report")
    assert "macro avg" in text and "weighted avg" in text
    assert "scikit-learn's report equals ours" in text


def test_the_mistakes_listed_are_the_off_diagonal_entries(ch20, predictions):
    y_val, predicted, _ = predictions
    text = output_of(ch20, "out-confused-pairs")
    *pairs, (mistakes, n_pairs) = rows(text)
    wrong = predicted != y_val
    assert mistakes == wrong.sum() and n_pairs == len(pairs)
    counted = {(t, p): c for c, t, p in pairs}
    expected = confusion_matrix(y_val, predicted, labels=range(10))
    np.fill_diagonal(expected, 0)
    assert counted == {(i, j): expected[i, j] for i, j in zip(*np.nonzero(expected), strict=True)}
    assert [c for c, _, _ in pairs] == sorted((c for c, _, _ in pairs), reverse=True)


def test_the_weak_checkpoint_shows_a_systematic_confusion_that_training_shrinks(ch20):
    text = output_of(ch20, "out-checkpoint").splitlines()
    (_, accuracy) = numbers_in(text[0])
    pairs = [numbers_in(line) for line in text if "taken for" in line]
    (share, true_class, predicted_class) = numbers_in(next(t for t in text if "% of" in t))
    assert 0.8 < accuracy < 0.93
    (count, true_8, read_1), (second, _, _) = pairs[0], pairs[1]
    # the prose: eights read as ones, twice the next largest pair
    assert (true_8, read_1) == (8, 1) == (true_class, predicted_class)
    assert count >= 2 * second and share >= 15
    glue = glued(ch20)
    assert int(glue["ch20_early_count"]) == count
    # the final model: the same pair is the largest, and smaller
    final = rows(output_of(ch20, "out-confused-pairs"))[0]
    assert (final[1], final[2]) == (8, 1) and final[0] < count
    # and the weakest recall is the eights'
    assert glue["ch20_worst_recall_digit"] == "8"
    # "several images below every other class's": more than two images' steps
    recalls = sorted(np.array(rows(output_of(ch20, "out-scores"))[1:11])[:, 2])
    step = 100 / min(np.array(rows(output_of(ch20, "out-scores"))[1:11])[:, 4])
    assert recalls[1] - recalls[0] > 2 * step / 100


def test_the_model_is_less_sure_of_its_mistakes(ch20, predictions):
    y_val, predicted, confidence = predictions
    lines = rows(output_of(ch20, "out-confidence"))
    (n_right, conf_right), (n_wrong, conf_wrong) = lines[0], lines[1]
    right = predicted == y_val
    assert (n_right, n_wrong) == (right.sum(), (~right).sum())
    assert conf_right == pytest.approx(confidence[right].mean(), abs=5e-4)
    assert conf_wrong == pytest.approx(confidence[~right].mean(), abs=5e-4)
    assert conf_wrong < conf_right - 0.1
    for (threshold, share, above, below), limit in zip(lines[2:4], (0.9, 0.99), strict=True):
        sure = confidence >= limit
        assert threshold == limit
        assert share == pytest.approx(100 * sure.mean(), abs=0.051)
        assert above == pytest.approx(np.mean(right[sure]), abs=5e-4)
        assert below == pytest.approx(np.mean(right[~sure]), abs=5e-4) and below < above
    assert lines[4][0] == pytest.approx(confidence[~right].max(), abs=5e-4)
    # the prose gives it to one decimal, so 0.995 is not rounded to "100 %"
    assert any("ch20_surest_mistake:.1f" in c.source for c in ch20.cells)


def test_the_reliability_table(ch20, predictions):
    y_val, predicted, confidence = predictions
    right = predicted == y_val
    *groups, (n, mean_confidence, accuracy) = rows(output_of(ch20, "out-reliability"))
    assert n == 360 and sum(g[2] for g in groups) == 360
    assert mean_confidence == pytest.approx(confidence.mean(), abs=5e-4)
    for low, high, count, group_confidence, group_accuracy in groups:
        group = (confidence >= low) & ((confidence < high) | (high == 1.0))
        assert count == group.sum()
        assert group_accuracy == pytest.approx(right[group].mean(), abs=5e-4)
        # "roughly as often right as it claims, give or take the noise": within 2 standard
        # errors (or the group is too small to say anything: 2 images or fewer)
        se = np.sqrt(max(group_confidence * (1 - group_confidence), 0.01) / count)
        assert count <= 2 or abs(group_accuracy - group_confidence) <= 2 * se + 5e-3
    top = groups[-1]
    assert top[0] == 0.99 and abs(top[3] - top[4]) < 0.01  # "the two agree" above 99 %
    assert abs(mean_confidence - accuracy) < 0.02  # "sits near the accuracy"


def test_folded_solutions_pass_their_checks(tmp_path, monkeypatch):
    verdicts = solutions_pass(CHAPTER, tmp_path, monkeypatch)
    assert verdicts == [f"Exercise {k}: correct!" for k in (1, 2, 3)]
