"""Chapter 22, prediction: predictions on new samples, the preprocessing they need, drawings
reduced to 8x8 digits, inputs that are no digits, and the drawing pad's stored state.

Expected values are recomputed here with ``train_digits_model(seed=0)`` (the chapter's model)
and ``resources.datasets``; the drawing pad in a browser is tested in
``tests/explorers/test_drawing_pad.py``.
"""

import base64

import numpy as np
import pytest

from resources.datasets import INK_GRID, MARGIN, scale_pixels, strokes_to_image, train_digits_model
from tests.chapters.test_chapter19 import rows, solutions_pass
from tests.notebooks import numbers_in, output_of

CHAPTER = "22_prediction"
SEVEN = [[[60.0, 40.0], [170.0, 40.0], [100.0, 195.0]], [[85.0, 120.0], [150.0, 120.0]]]


@pytest.fixture(scope="module")
def ch22(executed):
    return executed(CHAPTER)


@pytest.fixture(scope="module")
def run():
    return train_digits_model(seed=0)


def test_predictions_on_new_samples(ch22, run):
    lines = rows(output_of(ch22, "out-predictions"))
    # "model.predict on 8 images: shape (8, 10), rows sum to [1. 1. ...]"
    assert lines[0][:3] == [8, 8, 10] and lines[0][3:] == [1.0] * 8
    probabilities = run.model.predict(run.X_test[:8])
    for k, (index, true, best, p_best, second, p_second) in enumerate(lines[1:]):
        order = np.argsort(probabilities[k])[::-1]
        assert (index, true, best, second) == (k, run.y_test[k], order[0], order[1])
        assert p_best == pytest.approx(probabilities[k, order[0]], abs=5e-4)
        assert p_second == pytest.approx(probabilities[k, order[1]], abs=5e-4)


def test_one_sample_must_be_a_batch_of_one(ch22, run):
    text = output_of(ch22, "out-single")
    assert "ValueError" in text and "(64,)" in text and "(1, 64)" in text
    assert numbers_in(text.splitlines()[-1])[-1] == np.argmax(run.model.predict(run.X_test[:1]))


def test_inputs_prepared_otherwise_are_read_wrongly_without_an_error(ch22):
    (scaled_acc, scaled_loss), raw, transposed = (
        line[-2:] for line in rows(output_of(ch22, "out-preprocessing"))[0:3]
    )
    raw_acc, raw_loss = raw
    transposed_acc, transposed_loss = transposed
    assert scaled_acc >= 0.95
    assert raw_acc < scaled_acc - 0.05 and raw_loss > 10 * scaled_loss
    assert transposed_acc < 0.3 and transposed_loss > raw_loss


def test_the_fit_and_the_reduction_by_hand(ch22):
    (x_low, y_low, x_high, y_high, side), (scale, x_centre, y_centre) = rows(
        output_of(ch22, "out-fit")
    )
    points = np.concatenate([np.array(s) for s in SEVEN])
    assert [x_low, y_low] == points.min(axis=0).tolist()
    assert [x_high, y_high] == points.max(axis=0).tolist()
    assert side == max(x_high - x_low, y_high - y_low)
    assert scale == pytest.approx((INK_GRID - 2 * MARGIN) / side, abs=5e-6)
    assert [x_centre, y_centre] == ((points.min(axis=0) + points.max(axis=0)) / 2).tolist()
    text = output_of(ch22, "out-reduction")
    image = np.array(rows(text)[:8])
    np.testing.assert_array_equal(image, strokes_to_image(SEVEN, 224))
    assert "agree" in text


def test_the_nearest_point_of_a_line_is_checked_numerically(ch22):
    (t_star, derivative), (step, t_best) = rows(output_of(ch22, "out-projection-check"))
    q, a, b = np.array([3.0, 5.0]), np.array([1.0, 1.0]), np.array([6.0, 2.0])
    assert t_star == pytest.approx(np.dot(q - a, b - a) / np.dot(b - a, b - a), abs=1e-6)
    assert abs(derivative) < 1e-6 and step == 1e-4
    assert t_best == pytest.approx(t_star, abs=1e-4)


def test_drawn_digits_are_mostly_read_right(ch22):
    lines = rows(output_of(ch22, "out-drawn"))
    assert [line[0] for line in lines] == list(range(10))
    right = sum(drawn == read for drawn, read, *_ in lines)
    assert right >= 8
    for _, _, p_best, _, p_second in lines:
        assert 0.1 <= p_best <= 1 and p_second <= p_best


def test_inputs_that_are_no_digits_still_get_an_answer(ch22):
    lines = output_of(ch22, "out-not-digits").splitlines()
    assert len(lines) == 3
    for line in lines:
        digit, confidence = numbers_in(line)
        assert digit in range(10) and 0.1 <= confidence <= 1


def _pad_state(nb):
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (state,) = [e["state"] for e in states.values() if "reduction" in e["state"]]
    return state


def test_the_pad_is_stored_with_the_chapters_model_and_drawing(ch22, run):
    state = _pad_state(ch22)
    assert state["strokes"] == SEVEN
    assert state["size"] == 224 and state["labels"] == [str(k) for k in range(10)]
    dense = [layer for layer in state["layers"] if layer["type"] == "dense"]
    trained = [layer for layer in run.model.layers if hasattr(layer, "weights")]
    for stored, layer in zip(dense, trained, strict=True):
        weights = np.frombuffer(base64.b64decode(stored["weights"]), dtype="<f8")
        np.testing.assert_array_equal(weights.reshape(stored["shape"]), layer.weights)
    probabilities = run.model.predict(scale_pixels(strokes_to_image(SEVEN, 224).reshape(1, 64)))
    assert f"read as {np.argmax(probabilities)}" in output_of(ch22, "out-pad")


def test_folded_solutions_pass_their_checks(tmp_path, monkeypatch):
    verdicts = solutions_pass(CHAPTER, tmp_path, monkeypatch)
    assert verdicts == [f"Exercise {k}: correct!" for k in (1, 2, 3)]
