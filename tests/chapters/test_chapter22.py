"""Chapter 22, prediction: predictions on new samples, the preprocessing they need, drawings
reduced to 8x8 digits, inputs that are no digits, and the drawing pad's stored state.

Expected values are recomputed here with ``train_digits_model(seed=0)`` (the chapter's model)
and ``resources.datasets``; the drawing pad in a browser is tested in
``tests/explorers/test_drawing_pad.py``.
"""

import base64

import numpy as np
import pytest

from resources.datasets import (
    DIGITS_CLASS_NAMES,
    DIGITS_INPUT_RULE,
    DIGITS_MODEL_FILE,
    INK_GRID,
    MARGIN,
    scale_pixels,
    split_digits,
    strokes_to_image,
    train_digits_model,
)
from tests.chapters.test_chapter19 import rows
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


def test_the_model_comes_from_chapter_21s_file_or_is_trained_and_saved(ch22):
    text = output_of(ch22, "out-model-file")
    loaded = text.startswith(f"loaded {DIGITS_MODEL_FILE}, the model chapter 21 saved")
    trained = "training the model as chapter 21 did, and saving it there" in text
    assert loaded != trained  # one or the other, said so
    assert f"input rule: {DIGITS_INPUT_RULE['description']}" in text
    assert f"class names: {DIGITS_CLASS_NAMES}" in text


def test_the_dataset_shape_statistics(ch22):
    from resources.datasets import load_digits_dataset

    X, y = load_digits_dataset()
    inked = X.reshape(-1, 8, 8) > 0
    text = output_of(ch22, "out-dataset-shape")
    lines = text.splitlines()
    row0, row7, col0, col7 = (numbers_in(line)[-1] for line in lines[:4])
    width, height = numbers_in(lines[4])
    change = numbers_in(" ".join(lines[6:-1]))
    # "normalised in both directions": almost every digit, zeros included, is six columns wide
    six, zeros_six, zeros = numbers_in(lines[-1])
    widths = inked.any(axis=1).sum(axis=1)
    assert six == round(100 * np.mean(widths == 6)) >= 70
    assert (zeros_six, zeros) == (np.sum(widths[y == 0] == 6), np.sum(y == 0))
    assert zeros_six >= 0.95 * zeros
    assert (row0, row7) == (100, 100)  # "every digit touches the top and the bottom rows"
    assert inked[:, 0, :].any(axis=1).all() and inked[:, 7, :].any(axis=1).all()
    assert col0 == round(100 * inked[:, :, 0].any(axis=1).mean(), 1) and col0 < 2
    assert width == round(inked.any(axis=1).sum(axis=1).mean(), 1) < height == 8.0
    # the drawings' ink against the dataset's, per digit
    drawn = [strokes_to_image(s, 224).sum() for s in _drawings(ch22).values()]
    means = [X[y == k].sum(axis=1).mean() for k in range(10)]
    expected = np.round([100 * (d / m - 1) for d, m in zip(drawn, means, strict=True)])
    assert change == expected.tolist()


def _drawings(nb):
    """The chapter's ``drawings`` dict, from the cell that defines it."""
    import math

    (source,) = [c.source for c in nb.cells if c.source.startswith("def arc(")]
    namespace = {"math": math, "np": np, "seven": SEVEN}
    exec(source, namespace)
    return namespace["drawings"]


def test_a_round_zero_is_misread_and_narrow_ones_are_not(ch22):
    lines = [numbers_in(line) for line in output_of(ch22, "out-round-zero").splitlines()]
    # "ellipse 55:85, 6 columns inked: read as 0 (100%), p(0) = 1.00": the 0 of p(0) is 6th
    (
        (rx1, ry1, cols1, read1, _, _, p1),
        (_, _, _, read2, _, _, p2),
        (rx3, ry3, cols3, read3, *_, p3),
    ) = lines
    assert (rx1, ry1, cols1, read1) == (55, 85, 6, 0) and p1 >= 0.95
    assert read2 == 0 and p2 < 0.9  # still a 0, less sure
    assert rx3 == ry3 and cols3 == 8 and read3 == 2 and p3 < 0.5  # the round 0, read as a 2


def test_the_margin_equals_the_pen_radius_so_ink_reaches_the_edges(ch22):
    from resources.datasets import PEN_RADIUS

    assert MARGIN == PEN_RADIUS  # the prose says so
    image = np.array(rows(output_of(ch22, "out-reduction"))[:8])
    assert image[0].any() and image[7].any()  # the tall seven touches the top and bottom rows


def test_the_my_handwriting_cell_handles_an_empty_collection(ch22):
    assert output_of(ch22, "out-my-handwriting").startswith("No drawings kept yet")


def run_with_solutions_in(folder, monkeypatch):
    """Chapter 22 with its folded solutions, run in ``folder``; the executed notebook."""
    import os
    import re

    import nbformat
    from nbclient import NotebookClient

    from tests.chapters.test_chapter19 import ROOT
    from tests.notebooks import tagged_cells

    nb = nbformat.read(ROOT / "book" / f"{CHAPTER}.ipynb", as_version=4)
    for k in (1, 2, 3, 4):
        (solution,) = tagged_cells(nb, f"solution-{k}")
        (answer,) = tagged_cells(nb, f"answer-{k}")
        answer.source = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1)
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def test_chapter_22_loads_chapter_21s_file_and_the_solutions_pass(tmp_path, monkeypatch):
    # A file that is NOT the book's model (another seed, one epoch): chapter 22 must use it.
    other = train_digits_model(seed=3, epochs=1).model
    other.save(tmp_path / DIGITS_MODEL_FILE)
    nb = run_with_solutions_in(tmp_path, monkeypatch)
    assert output_of(nb, "out-model-file").startswith(f"loaded {DIGITS_MODEL_FILE}")
    _, (X_val, _), (X_test, _) = split_digits(0)
    p = other.predict(X_test[:8])
    first = rows(output_of(nb, "out-predictions"))[1]
    assert first[3] == pytest.approx(p[0].max(), abs=5e-4)
    for k in (1, 2, 3, 4):
        assert output_of(nb, f"check-{k}").strip() == f"Exercise {k}: correct!"
    # exercise 4 saved a variant, which loads with its rule and names
    from resources.classes import Model

    mine = Model.load(tmp_path / "my-digits-model.npz")
    assert mine.class_names == DIGITS_CLASS_NAMES and mine.layers[0].weights.shape == (64, 32)


def test_a_damaged_file_is_replaced_by_a_trained_and_saved_model(tmp_path, monkeypatch):
    """The chapter's first cells alone, run where a damaged file lies."""
    import nbformat
    from nbclient import NotebookClient

    from tests.chapters.test_chapter19 import ROOT

    (tmp_path / DIGITS_MODEL_FILE).write_bytes(b"not a model")
    nb = nbformat.read(ROOT / "book" / f"{CHAPTER}.ipynb", as_version=4)
    end = next(i for i, c in enumerate(nb.cells) if "out-model-file" in c.metadata.get("tags", []))
    nb.cells = nb.cells[: end + 1]
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = output_of(nb, "out-model-file")
    assert "could not be loaded" in text and "not an .npz archive" in text
    from resources.classes import Model

    saved = Model.load(tmp_path / DIGITS_MODEL_FILE)
    _, _, (X_test, _) = split_digits(0)
    book_model = train_digits_model(seed=0).model
    np.testing.assert_array_equal(saved.predict(X_test), book_model.predict(X_test))
    assert not list(tmp_path.glob("*.part"))  # no temporary file left
