"""Chapter 20, model evaluation: the confusion matrix, per-class precision and recall, the
mistakes and the confidence, checked against scikit-learn's metrics on the same predictions.

The predictions are recomputed here with ``train_digits_model(seed=0)``, the chapter's model
(the same seed gives the same model); the chapter's printed test accuracy must match them.
"""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from resources.datasets import train_digits_model
from tests.chapters.test_chapter19 import rows, solutions_pass
from tests.notebooks import numbers_in, output_of

CHAPTER = "20_model_evaluation"


@pytest.fixture(scope="module")
def ch20(executed):
    return executed(CHAPTER)


@pytest.fixture(scope="module")
def predictions():
    run = train_digits_model(seed=0)
    probabilities = run.model.predict(run.X_test)
    return run.y_test, np.argmax(probabilities, axis=1), np.max(probabilities, axis=1)


def test_the_chapter_evaluates_the_model_these_predictions_come_from(ch20, predictions):
    y_test, predicted, _ = predictions
    test_acc, test_loss, n = numbers_in(output_of(ch20, "out-test"))
    assert n == len(y_test) == 359
    assert test_acc == round(np.mean(predicted == y_test), 3) and test_acc >= 0.95
    true_row, predicted_row, confidence_row = rows(output_of(ch20, "out-first-predictions"))
    assert true_row == y_test[:12].tolist() and predicted_row == predicted[:12].tolist()
    np.testing.assert_allclose(confidence_row, predictions[2][:12], atol=5e-4)


def test_the_confusion_matrix_is_scikit_learns(ch20, predictions):
    y_test, predicted, _ = predictions
    lines = rows(output_of(ch20, "out-confusion"))
    assert lines[0] == list(range(10))  # the header: predicted classes
    assert [line[0] for line in lines[1:]] == list(range(10))
    printed = np.array([line[1:] for line in lines[1:]])
    np.testing.assert_array_equal(printed, confusion_matrix(y_test, predicted, labels=range(10)))


def test_precision_recall_and_f1_are_scikit_learns(ch20, predictions):
    y_test, predicted, _ = predictions
    header, *lines = rows(output_of(ch20, "out-scores"))
    assert header == [1]  # the "F1" of the header line
    table = np.array(lines[:10])
    assert table[:, 0].tolist() == list(range(10))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_test, predicted, labels=range(10), zero_division=0
    )
    np.testing.assert_allclose(table[:, 1], precision, atol=5e-4)
    np.testing.assert_allclose(table[:, 2], recall, atol=5e-4)
    np.testing.assert_allclose(table[:, 3], f1, atol=5e-4)
    np.testing.assert_array_equal(table[:, 4], support)
    macro = precision_recall_fscore_support(
        y_test, predicted, labels=range(10), average="macro", zero_division=0
    )
    np.testing.assert_allclose(lines[10][:3], macro[:3], atol=5e-4)
    assert lines[10][3] == len(y_test)


def test_the_mistakes_listed_are_the_off_diagonal_entries(ch20, predictions):
    y_test, predicted, _ = predictions
    text = output_of(ch20, "out-confused-pairs")
    *pairs, (mistakes, n_pairs) = rows(text)
    wrong = predicted != y_test
    assert mistakes == wrong.sum() and n_pairs == len(pairs)
    counted = {(t, p): c for c, t, p in pairs}
    expected = confusion_matrix(y_test, predicted, labels=range(10))
    np.fill_diagonal(expected, 0)
    assert counted == {(i, j): expected[i, j] for i, j in zip(*np.nonzero(expected), strict=True)}
    assert [c for c, _, _ in pairs] == sorted((c for c, _, _ in pairs), reverse=True)


def test_the_model_is_less_sure_of_its_mistakes(ch20, predictions):
    y_test, predicted, confidence = predictions
    lines = rows(output_of(ch20, "out-confidence"))
    (n_right, conf_right), (n_wrong, conf_wrong) = lines[0], lines[1]
    right = predicted == y_test
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


def test_folded_solutions_pass_their_checks(tmp_path, monkeypatch):
    verdicts = solutions_pass(CHAPTER, tmp_path, monkeypatch)
    assert verdicts == [f"Exercise {k}: correct!" for k in (1, 2, 3)]
