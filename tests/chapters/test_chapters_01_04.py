"""Chapters 1-4: the numbers they print, read from the strict build's executed notebooks.

Expected values come from the book plan (published numbers) or from an independent computation
here; none is copied from a run. The exercises are tested in test_exercises.py.
"""

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.notebooks import numbers_in, output_of, tagged_cells

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = [
    "01_introducing_neural_networks",
    "02_coding_our_first_neurons",
    "03_adding_layers",
    "04_activation_functions",
]

# The plan's published numbers.
PLAN_BATCH = [[4.8, 1.21, 2.385], [8.9, -1.81, 0.2], [1.41, 1.051, 0.026]]
PLAN_INPUTS = [[1, 2, 3, 2.5], [2, 5, -1, 2], [-1.5, 2.7, 3.3, -0.8]]
PLAN_WEIGHTS = [[0.2, 0.8, -0.5, 1], [0.5, -0.91, 0.26, -0.5], [-0.26, -0.27, 0.17, 0.87]]
PLAN_BIASES = [2, 3, 0.5]
PLAN_DENSE1_ROWS = [[0.0, 0.0, 0.0], [-1.0475188e-04, 1.1395361e-04, -4.7983500e-05]]
PLAN_SOFTMAX_ROW = [0.33333334, 0.33333334, 0.33333334]


def matrix(text, n_cols):
    values = numbers_in(text)
    assert len(values) % n_cols == 0, f"cannot read a {n_cols}-column matrix from {text!r}"
    return np.array(values).reshape(-1, n_cols)


# ---------------------------------------------------------------------------------------------
# Chapter 1
# ---------------------------------------------------------------------------------------------


def test_ch01_neuron(executed):
    nb = executed("01_introducing_neural_networks")
    z = 0.5 * 0.8 + (-1.2) * 0.1 + 3.0 * (-0.4) + 1.5
    np.testing.assert_allclose(numbers_in(output_of(nb, "out-neuron")), [z, max(0.0, z)], atol=5e-3)


def test_ch01_parameter_counts(executed):
    nb = executed("01_introducing_neural_networks")
    text = output_of(nb, "out-parameters")
    counts = [int(line.split(":")[1].split()[0]) for line in text.strip().splitlines()]
    # Independent: count the entries of actual weight and bias arrays.
    expected = []
    for sizes in ([3, 4, 4, 2], [2, 3, 3], [784, 128, 10]):
        expected.append(
            sum(
                np.zeros((a, b)).size + np.zeros(b).size
                for a, b in zip(sizes, sizes[1:], strict=False)
            )
        )
    assert counts == expected == [46, 21, 101770]


def test_ch01_loss(executed):
    nb = executed("01_introducing_neural_networks")
    rows = matrix(output_of(nb, "out-loss"), 3)
    np.testing.assert_allclose(rows[:, 2], [-math.log(p) for p in (0.7, 0.2, 0.1)], atol=5e-4)


# ---------------------------------------------------------------------------------------------
# Chapter 2
# ---------------------------------------------------------------------------------------------


def test_ch02_one_neuron_and_layer(executed):
    nb = executed("02_coding_our_first_neurons")
    np.testing.assert_allclose(numbers_in(output_of(nb, "out-one-neuron")), [4.8])
    np.testing.assert_allclose(numbers_in(output_of(nb, "out-layer-python")), PLAN_BATCH[0])
    np.testing.assert_allclose(numbers_in(output_of(nb, "out-dot")), [4.8, 4.8])
    layer = numbers_in(output_of(nb, "out-layer-numpy"))
    assert layer[:2] == [4, 3]  # the weights' shape (4, 3)
    np.testing.assert_allclose(layer[2:], PLAN_BATCH[0])


def test_ch02_published_batch_output(executed):
    nb = executed("02_coding_our_first_neurons")
    independent = np.array(PLAN_INPUTS) @ np.array(PLAN_WEIGHTS).T + np.array(PLAN_BIASES)
    for tag in ("out-batch", "out-batch-python"):
        printed = matrix(output_of(nb, tag), 3)
        np.testing.assert_allclose(printed, PLAN_BATCH, atol=1e-9, err_msg=tag)
        np.testing.assert_allclose(printed, independent, atol=1e-9, err_msg=tag)


def test_ch02_transpose(executed):
    nb = executed("02_coding_our_first_neurons")
    by_hand = output_of(nb, "out-transpose-python")
    np.testing.assert_allclose(matrix(by_hand.split("same")[0], 3), np.array(PLAN_WEIGHTS).T)
    assert by_hand.strip().endswith("True")
    text = output_of(nb, "out-transpose")
    a, b = np.array([[1, 2, 3]]), np.array([[2, 3, 4]])
    assert numbers_in(text) == [1, 3, 3, 1, float((a @ b.T)[0, 0]), 3, 3]


# ---------------------------------------------------------------------------------------------
# Chapter 3
# ---------------------------------------------------------------------------------------------


def test_ch03_two_layers_and_their_collapse(executed):
    nb = executed("03_adding_layers")
    x = np.array(PLAN_INPUTS, dtype=float)
    w1, b1 = np.array(PLAN_WEIGHTS).T, np.array(PLAN_BIASES, dtype=float)
    w2 = np.array([[0.1, -0.14, 0.5], [-0.5, 0.12, -0.33], [-0.44, 0.73, -0.13]]).T
    b2 = np.array([-1.0, 2.0, -0.5])
    hidden = x @ w1 + b1
    out = hidden @ w2 + b2
    printed = matrix(
        output_of(nb, "out-two-layers").replace("layer output H", "").replace("layer output Y", ""),
        3,
    )
    np.testing.assert_allclose(printed, np.vstack([hidden, out]), atol=1e-9)
    collapse = output_of(nb, "out-collapse")
    np.testing.assert_allclose(matrix(collapse.split("same")[0], 3), out, atol=1e-9)
    assert "same as the two layers: True" in collapse


def test_ch03_published_dense1_rows(executed):
    nb = executed("03_adding_layers")
    for tag in ("out-dense1", "out-hand-dense"):
        text = output_of(nb, tag)
        if tag == "out-hand-dense":
            text = text.split("\n", 1)[1]  # skip the "output shape" line
        rows = matrix(text, 3)
        assert rows.shape == (5, 3), tag
        np.testing.assert_allclose(rows[:2], PLAN_DENSE1_ROWS, rtol=1e-6, atol=1e-12, err_msg=tag)
    assert output_of(nb, "out-engine-agrees").count("True") == 2


def test_ch03_spiral_and_engine_errors(executed):
    nb = executed("03_adding_layers")
    assert numbers_in(output_of(nb, "out-spiral"))[:3] == [300, 2, 300]
    error = output_of(nb, "out-error")
    assert "ValueError" in error and "2-D" in error
    assert numbers_in(output_of(nb, "out-dense2"))[-2:] == [300, 3]


# ---------------------------------------------------------------------------------------------
# Chapter 4
# ---------------------------------------------------------------------------------------------


def test_ch04_published_softmax_row(executed):
    nb = executed("04_activation_functions")
    rows = matrix(output_of(nb, "out-softmax"), 3)
    assert rows.shape == (5, 3)
    np.testing.assert_allclose(rows[0], PLAN_SOFTMAX_ROW, rtol=1e-7)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(rows, 1 / 3, atol=1e-5)  # an untrained net hardly prefers a class


def _softmax(row):
    exps = [math.exp(v - max(row)) for v in row]
    return [e / sum(exps) for e in exps]


def test_ch04_softmax_by_hand_and_overflow(executed):
    nb = executed("04_activation_functions")
    python = output_of(nb, "out-softmax-python").splitlines()
    np.testing.assert_allclose(numbers_in(python[1]), _softmax([4.8, 1.21, 2.385]), atol=1e-8)
    lines = output_of(nb, "out-softmax-batch").splitlines()
    batch = matrix("\n".join(lines[1:-1]), 3)  # between "row sums shape" and "each row sums"
    expected = [_softmax(r) for r in PLAN_BATCH]
    np.testing.assert_allclose(batch, expected, atol=1e-7)
    overflow = output_of(nb, "out-overflow")
    assert "inf" in overflow and "nan" in overflow
    fixed = [
        numbers_in(line.split(":", 1)[1])
        for line in output_of(nb, "out-overflow-fixed").strip().splitlines()
    ]
    np.testing.assert_allclose(fixed, [_softmax([2, 1, 0])] * 2, atol=1e-7)
    engine = output_of(nb, "out-softmax-engine")
    assert "agrees with softmax() above: True" in engine


def test_ch04_relu(executed):
    nb = executed("04_activation_functions")
    inputs = [0.0, 2.0, -1.0, 3.3, -2.7, 1.1, 2.2, -100.0]
    relu = [max(0.0, v) for v in inputs]
    np.testing.assert_allclose(numbers_in(output_of(nb, "out-relu")), relu * 2)
    engine = output_of(nb, "out-relu-engine")
    np.testing.assert_allclose(numbers_in(engine), relu)
    assert engine.strip().endswith("True")


def test_ch04_linear_fit_and_relu_pieces(executed):
    nb = executed("04_activation_functions")
    x = np.arange(1000) / 1000
    sine = np.sin(2 * np.pi * x)
    slope, intercept = np.polyfit(x, sine, 1)
    line_mse = np.mean((slope * x + intercept - sine) ** 2)
    printed = numbers_in(output_of(nb, "out-linear-fit"))
    np.testing.assert_allclose(printed[-3:], [slope, intercept, line_mse], atol=6e-4)
    # The hand-made fit joins the sine's values at 0, 1/8, ..., 1 by straight lines.
    knots = np.linspace(0, 1, 9)
    broken_line_mse = np.mean((np.interp(x, knots, np.sin(2 * np.pi * knots)) - sine) ** 2)
    hand_text = output_of(nb, "out-hand-fit")
    hand_fit = numbers_in(hand_text.split("8-piece fit:")[1].splitlines()[0])
    np.testing.assert_allclose(hand_fit[-1], broken_line_mse, atol=6e-6)
    ratio = numbers_in(hand_text.split("the line's error is")[1])[0]
    assert ratio == pytest.approx(line_mse / broken_line_mse, rel=0.01)  # the prose's glue
    assert "agree: True" in output_of(nb, "out-engine-fit")
    explorer = numbers_in(output_of(nb, "out-explorer"))
    np.testing.assert_allclose(explorer[:2], [broken_line_mse] * 2, atol=6e-6)
    np.testing.assert_allclose(explorer[-1], np.mean(sine**2), atol=6e-6)  # all zero: mean sin^2


def test_ch04_slope_formula_gradient_check(executed):
    nb = executed("04_activation_functions")
    text = output_of(nb, "out-slope-check")
    assert text.strip().endswith("True")
    rows = [numbers_in(line) for line in text.strip().splitlines()[:-1]]
    assert len(rows) == 5
    for x, numerical, formula in rows:
        # Independent: the slope of the sine's secant on the eighth that holds x.
        j = int(x * 8)
        secant = 8 * (np.sin(2 * np.pi * (j + 1) / 8) - np.sin(2 * np.pi * j / 8))
        np.testing.assert_allclose([numerical, formula], [secant, secant], atol=1e-5)


def test_ch04_explorer_is_displayed_as_a_widget(executed):
    nb = executed("04_activation_functions")
    views = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert len(views) == 1


# ---------------------------------------------------------------------------------------------
# What chapters 1 and 4 now say (the exercises of every chapter: test_exercises.py)
# ---------------------------------------------------------------------------------------------


def test_ch01_contents_are_read_from_the_table_of_contents(executed):
    import yaml

    nb = executed("01_introducing_neural_networks")
    (cell,) = tagged_cells(nb, "out-contents")
    table = next(
        o["data"]["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {})
    )
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    rows = [line for line in table.splitlines() if line.startswith("| **")]
    assert len(rows) == len(toc["parts"])
    for number, file in enumerate(files, start=1):
        first = nbformat.read(ROOT / f"{file}.ipynb", as_version=4).cells[0].source
        title = first.splitlines()[0].removeprefix("# ")
        assert f"{number} {title}" in table
    text = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "22 chapters." not in text and "The book has 22" not in text


def test_ch04_float32_overflow(executed):
    text = output_of(executed("04_activation_functions"), "out-overflow")
    limit = float(re.search(r"overflows above ([\d.]+)", text).group(1))
    assert limit == pytest.approx(math.log(np.finfo(np.float32).max), abs=1e-4)
    assert 88.72 < limit < 88.73
    assert "np.exp(89) = inf" in text and "np.exp(710) = inf" in text
    assert "np.exp(88) = inf" not in text and "np.exp(709) = inf" not in text
