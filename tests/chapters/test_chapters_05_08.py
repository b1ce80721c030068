"""Chapters 5-8: the numbers they print and the derivatives they derive.

Expected values come from the book plan (published numbers), from mathematics, or from an
independent computation in this file; never from a copy of a previous run.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from resources.classes import DenseLayer, ReLU
from tests.notebooks import numbers_in
from tests.notebooks import output_of as _output_of


def output_of(nb, tag):
    """What the tagged cell printed, without the text stand-ins of its figures."""
    return re.sub(r"<Figure size [^>]*>\n?", "", _output_of(nb, tag))


ROOT = Path(__file__).resolve().parents[2]


def central_difference(f, x, h=1e-6):
    """Numerical partial derivatives of f at x (an array), one input at a time."""
    x = np.asarray(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = h
        gradient.flat[i] = (f(x + step) - f(x - step)) / (2 * h)
    return gradient


def value_after(text, label):
    """The number printed after ``label`` on its line, e.g. ``loss: 1.0986104``."""
    match = re.search(rf"^{re.escape(label)}\s*([-+0-9.eE]+|inf)", text, re.MULTILINE)
    assert match, f"no line starting with {label!r} in:\n{text}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def ch5(executed):
    return executed("05_loss")


@pytest.fixture(scope="module")
def ch6(executed):
    return executed("06_introducing_optimization")


@pytest.fixture(scope="module")
def ch7(executed):
    return executed("07_derivatives")


@pytest.fixture(scope="module")
def ch8(executed):
    return executed("08_gradients_and_the_chain_rule")


# ---------------------------------------------------------------------------------------------
# Chapter 5: loss
# ---------------------------------------------------------------------------------------------


def test_ch5_untrained_spiral_network_published_numbers(ch5):
    text = output_of(ch5, "out-spiral")
    assert "loss: 1.0986104" in text
    assert "acc: 0.34" in text
    np.testing.assert_allclose(value_after(text, "loss:"), 1.0986104, rtol=1e-7)
    np.testing.assert_allclose(value_after(text, "acc:"), 0.34)
    # The first row of softmax is the published [0.33333334 0.33333334 0.33333334].
    np.testing.assert_allclose(numbers_in(text)[:3], [0.33333334] * 3)
    # And the loss is close to ln 3, because all probabilities are close to 1/3.
    assert abs(value_after(text, "loss:") - math.log(3)) < 1e-5


def test_ch5_hand_built_loss_matches_engine_on_spirals(ch5):
    text = output_of(ch5, "out-spiral-check")
    np.testing.assert_allclose(value_after(text, "hand-built loss:"), 1.0986104, rtol=1e-6)
    np.testing.assert_allclose(value_after(text, "ln 3:"), math.log(3), rtol=1e-7)
    assert "agree on all 42 batches" in output_of(ch5, "out-engine-check")


def test_ch5_one_sample(ch5):
    np.testing.assert_allclose(
        numbers_in(output_of(ch5, "out-one-sample"))[::2], [-math.log(0.7)] * 2, rtol=1e-7
    )


def test_ch5_batch_with_sparse_and_one_hot_labels(ch5):
    confidences = [0.7, 0.5, 0.9]
    mean = sum(-math.log(p) for p in confidences) / 3
    sparse = output_of(ch5, "out-batch-sparse")
    np.testing.assert_allclose(numbers_in(sparse)[:3], confidences)
    np.testing.assert_allclose(numbers_in(sparse)[3:6], [-math.log(p) for p in confidences])
    np.testing.assert_allclose(value_after(sparse, "mean loss:"), mean, rtol=1e-12)
    one_hot = output_of(ch5, "out-batch-onehot")
    np.testing.assert_allclose(value_after(one_hot, "mean loss:"), mean, rtol=1e-12)
    hand_built = numbers_in(output_of(ch5, "out-hand-built"))
    np.testing.assert_allclose(hand_built, [mean, mean, -math.log(1e-7)], rtol=1e-12)


def test_ch5_clipping(ch5):
    text = output_of(ch5, "out-clip")
    assert value_after(text, "without clipping:") == math.inf
    np.testing.assert_allclose(value_after(text, "with clipping:"), -math.log(1e-7))
    np.testing.assert_allclose(
        value_after(text, "a certain, correct answer costs:"), -math.log(1 - 1e-7), rtol=1e-9
    )


def test_ch5_accuracy_and_hesitant_network(ch5):
    text = output_of(ch5, "out-accuracy")
    np.testing.assert_allclose(value_after(text, "accuracy, labels [0 1 1]:"), 1.0)
    np.testing.assert_allclose(value_after(text, "accuracy, one-hot labels:"), 1.0)
    np.testing.assert_allclose(value_after(text, "accuracy, labels [0 2 1]:"), 2 / 3)
    hesitant = output_of(ch5, "out-hesitant")
    confident_loss = sum(-math.log(p) for p in [0.7, 0.5, 0.9]) / 3
    np.testing.assert_allclose(
        numbers_in(hesitant), [1.0, confident_loss, 1.0, -math.log(0.4)], atol=5e-5
    )


# ---------------------------------------------------------------------------------------------
# Chapter 6: random search
# ---------------------------------------------------------------------------------------------


def loss_and_accuracy(text):
    match = re.search(r"loss: ([0-9.]+), acc: ([0-9.]+)", text)
    assert match, text
    return float(match.group(1)), float(match.group(2))


def test_ch6_nudging_beats_random_search_on_vertical_data(ch6):
    random_loss, random_acc = loss_and_accuracy(output_of(ch6, "out-random-search"))
    nudge_loss, nudge_acc = loss_and_accuracy(output_of(ch6, "out-nudge"))
    # Pure random search barely improves on the untrained ln 3 and stays near chance.
    assert 1.0 < random_loss < math.log(3) + 1e-3
    assert random_acc < 0.5
    # Nudging the best parameters gets far lower and classifies most points correctly.
    assert nudge_loss < 0.4
    assert nudge_acc > 0.85
    assert nudge_loss < random_loss - 0.5


def test_ch6_nudging_stays_poor_on_spirals(ch6):
    loss, acc = loss_and_accuracy(output_of(ch6, "out-spiral-nudge"))
    assert loss > 0.9
    assert acc < 0.6
    accepted = numbers_in(output_of(ch6, "out-accepted"))
    assert len(accepted) == 4 and accepted[1] == accepted[3] == 5000
    assert accepted[2] < accepted[0]  # fewer nudges help on spirals


# ---------------------------------------------------------------------------------------------
# Chapter 7: derivatives
# ---------------------------------------------------------------------------------------------


def test_ch7_slopes(ch7):
    assert numbers_in(output_of(ch7, "out-line-slope"))[2::3] == [2.0, 2.0, 2.0]
    # Secant slopes of 2x^2 between a and b are 2(a + b).
    assert numbers_in(output_of(ch7, "out-curve-slope"))[2::3] == [2.0, 6.0, 10.0]


def test_ch7_forward_and_central_differences(ch7):
    h1, forward1, central1, h2, forward2, central2 = numbers_in(output_of(ch7, "out-numerical"))
    # For 2x^2 at x = 1 the forward difference is 4 + 2h and the central one exactly 4.
    for h, forward, central in [(h1, forward1, central1), (h2, forward2, central2)]:
        np.testing.assert_allclose(forward, 4 + 2 * h, rtol=1e-9)
        np.testing.assert_allclose(central, 4.0, rtol=1e-9)


def test_ch7_step_size_shows_truncation_and_round_off(ch7):
    text = output_of(ch7, "out-step-size")
    errors = {
        float(h): float(e)
        for h, e in re.findall(r"central difference, h = (\S+): error (\S+)", text)
    }
    # Large step: the central difference is off by about h^2/6 * |f'''(1)| = h^2/6 * cos(1).
    np.testing.assert_allclose(errors[1e-1], 1e-2 / 6 * math.cos(1.0), rtol=0.05)
    assert errors[1e-5] < 1e-9
    # Tiny step: round-off dominates and the error grows again.
    assert errors[1e-12] > 100 * errors[1e-5]
    best_central = value_after(text, "best step, central difference:")
    assert 1e-7 <= best_central <= 1e-3


def test_ch7_tangent_lines(ch7):
    text = output_of(ch7, "out-tangents")
    for x0, m, b in re.findall(r"x =\s*(\S+): y = (\S+) x (\S+)", text):
        x0, m, b = float(x0), float(m), float(b)
        assert m == pytest.approx(4 * x0, abs=1e-4)  # d/dx 2x^2 = 4x
        assert b == pytest.approx(2 * x0**2 - 4 * x0 * x0, abs=1e-4)


def test_ch7_explorer_driven_from_python(ch7):
    rows = re.findall(
        r"x =\s*(\S+): f\(x\) =\s*(\S+), numerical slope\s*(\S+), "
        r"analytical slope\s*(\S+), gap (\S+)",
        output_of(ch7, "out-explorer"),
    )
    assert len(rows) == 5
    for x, value, numerical, analytical, gap in (map(float, row) for row in rows):
        assert value == pytest.approx(x**3 - x, abs=1e-4)
        assert analytical == pytest.approx(3 * x**2 - 1, abs=1e-4)
        # For x^3 - x the central difference is exactly h^2 = 0.01 too high.
        assert numerical == pytest.approx(3 * x**2 - 1 + 0.01, abs=1e-4)
        assert gap == pytest.approx(0.01, abs=1e-4)


def test_ch7_rules_agree_numerically_in_the_chapter(ch7):
    gaps = [
        float(g) for g in re.findall(r"largest relative gap (\S+)", output_of(ch7, "out-rules"))
    ]
    assert len(gaps) == 6
    assert max(gaps) < 1e-8


@pytest.mark.parametrize(
    "f, derivative",
    [
        (lambda x: 3.0 + 0 * x, lambda x: 0 * x),
        (lambda x: x**3, lambda x: 3 * x**2),
        (lambda x: x**7, lambda x: 7 * x**6),
        (lambda x: 2 * x**2, lambda x: 4 * x),
        (lambda x: x**3 + 2 * x**2, lambda x: 3 * x**2 + 4 * x),
        (lambda x: 5 * x**5 + 4 * x**3 - 5, lambda x: 25 * x**4 + 12 * x**2),
        (lambda x: 3 * x**2 + 2 * x, lambda x: 6 * x + 2),  # exercise 1
        (lambda x: 4 * x**3 - x, lambda x: 12 * x**2 - 1),  # exercise 2
    ],
)
def test_ch7_derivative_rules_numerically(f, derivative):
    for x in np.linspace(-2, 2, 17):
        numerical = central_difference(lambda v: f(v[0]), [x])[0]
        assert numerical == pytest.approx(derivative(x), rel=1e-6, abs=1e-6)


def test_ch7_relu_derivative(ch7):
    text = output_of(ch7, "out-relu")
    np.testing.assert_allclose(numbers_in(text.splitlines()[1]), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(numbers_in(text.splitlines()[2]), [0, 0, 0.5, 1, 1], atol=1e-9)
    for x in [-1.5, -0.3, 0.2, 1.7]:
        relu = ReLU()
        relu.forward([[x]])
        relu.backward([[1.0]])
        numerical = central_difference(lambda v: max(v[0], 0.0), [x])[0]
        assert relu.dinputs[0, 0] == pytest.approx(numerical, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Chapter 8: partial derivatives, gradient, chain rule
# ---------------------------------------------------------------------------------------------


def test_ch8_partials_of_sum_product_max(ch8):
    assert numbers_in(output_of(ch8, "out-sum"))[-2:] == pytest.approx([1.0, 1.0])
    for x, y, dx, dy in np.reshape(numbers_in(output_of(ch8, "out-product")), (-1, 4)):
        assert (dx, dy) == pytest.approx((y, x), abs=1e-6)  # the product swaps
    for x, y, dx, dy in np.reshape(numbers_in(output_of(ch8, "out-max")), (-1, 4)):
        assert (dx, dy) == ((1.0, 0.0) if x > y else (0.0, 1.0))
    # Independently, away from ties:
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(-3, 3, size=(20, 2)):
        assert central_difference(lambda v: v[0] * v[1], [x, y]) == pytest.approx([y, x])
        assert central_difference(lambda v: v[0] + v[1], [x, y]) == pytest.approx([1, 1])
        assert central_difference(lambda v: max(v[0], v[1]), [x, y]) == pytest.approx(
            [float(x > y), float(y > x)], abs=1e-9
        )


def test_ch8_gradient(ch8):
    def f(v):
        return 3 * v[0] ** 3 - v[1] ** 2 + 5 * v[2] + 2

    expected = central_difference(f, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(expected, [9, -4, 5], rtol=1e-6)
    printed = numbers_in(output_of(ch8, "out-gradient"))
    np.testing.assert_allclose(printed[:3], expected, rtol=1e-6)
    np.testing.assert_allclose(printed[3:6], expected, rtol=1e-6)


def test_ch8_steps_against_the_gradient_go_down(ch8):
    rows = np.reshape(numbers_in(output_of(ch8, "out-downhill")), (-1, 4))
    for _, x, y, f in rows:
        assert f == pytest.approx(x**2 + 2 * y**2, abs=1e-3)
    assert np.all(np.diff(rows[:, 3]) < 0)
    # One step of 0.1 against the gradient [2x, 4y] from (1.5, 1): (1.2, 0.6).
    assert rows[1, 1:3] == pytest.approx([1.5 * 0.8, 1.0 * 0.6])


@pytest.mark.parametrize(
    "f, gradient",
    [
        (lambda v: v[0] ** 2 + 2 * v[1] ** 2, lambda v: [2 * v[0], 4 * v[1]]),  # the bowl
        (lambda v: 2 * v[0] + 3 * v[1] ** 2, lambda v: [2, 6 * v[1]]),
        (lambda v: v[0] * v[1] + 3 * v[1], lambda v: [v[1], v[0] + 3]),  # exercise 1
        (lambda v: v[0] ** 2 + v[1] * v[2], lambda v: [2 * v[0], v[2], v[1]]),  # exercise 2
        (lambda v: (3 * v[0] + 1) ** 2, lambda v: [6 * (3 * v[0] + 1)]),  # exercise 3
        (
            lambda v: 3 * v[0] ** 3 - v[1] ** 2 + 5 * v[2] + 2,
            lambda v: [9 * v[0] ** 2, -2 * v[1], 5],
        ),
    ],
)
def test_ch8_derived_gradients_numerically(f, gradient):
    rng = np.random.default_rng(1)
    for _ in range(10):
        point = rng.uniform(-2, 2, size=3)
        numerical = central_difference(f, point)  # unused trailing inputs get partial 0
        expected = np.zeros(3, dtype=np.float64)
        expected[: len(gradient(point))] = gradient(point)
        np.testing.assert_allclose(numerical, expected, rtol=1e-6, atol=1e-8)


def test_ch8_chain_rule(ch8):
    rows = np.reshape(numbers_in(output_of(ch8, "out-chain")), (-1, 3))
    for x, chain, numerical in rows:
        exact = 15 * (2 * x**2) ** 4 * 4 * x
        independent = central_difference(lambda v: 3 * (2 * v[0] ** 2) ** 5, [x])[0]
        assert chain == pytest.approx(exact, rel=1e-6)
        assert numerical == pytest.approx(independent, rel=1e-6)


# The neuron of chapter 8 (its inputs, not its outputs, are copied here).
X = np.array([2.0, -1.0, 0.5])
W = np.array([0.5, -1.5, 2.0])
B = -0.5


def neuron(parameters):
    return max(float(np.sum(parameters[0:3] * parameters[3:6])) + parameters[6], 0.0)


def test_ch8_neuron_gradient(ch8):
    numerical = central_difference(neuron, np.concatenate([X, W, [B]]))
    dx, dw, db = numerical[0:3], numerical[3:6], numerical[6]
    np.testing.assert_allclose(dw, X, rtol=1e-7)  # dy/dw_i = ReLU'(z) x_i with z > 0
    np.testing.assert_allclose(dx, W, rtol=1e-7)
    np.testing.assert_allclose(db, 1.0, rtol=1e-7)

    text = output_of(ch8, "out-neuron")
    z = float(np.sum(X * W)) + B
    np.testing.assert_allclose(value_after(text, "z ="), z)
    np.testing.assert_allclose(numbers_in(text)[1], max(z, 0))
    np.testing.assert_allclose(numbers_in(text.splitlines()[1]), dw, rtol=1e-6)
    np.testing.assert_allclose(numbers_in(text.splitlines()[2]), dx, rtol=1e-6)
    np.testing.assert_allclose(numbers_in(text.splitlines()[3]), [db], rtol=1e-6)

    check = numbers_in(output_of(ch8, "out-neuron-check"))
    np.testing.assert_allclose(check, np.concatenate([dx, dw, [db]]), rtol=1e-6)


def test_ch8_engine_neuron_matches_numerical_gradient(ch8):
    layer = DenseLayer(3, 1)
    layer.weights = W.reshape(3, 1)
    layer.biases = np.array([[B]])
    activation = ReLU()
    layer.forward(X.reshape(1, 3))
    activation.forward(layer.output)
    activation.backward(np.ones((1, 1)))
    layer.backward(activation.dinputs)
    numerical = central_difference(neuron, np.concatenate([X, W, [B]]))
    np.testing.assert_allclose(layer.dinputs.ravel(), numerical[0:3], rtol=1e-7)
    np.testing.assert_allclose(layer.dweights.ravel(), numerical[3:6], rtol=1e-7)
    np.testing.assert_allclose(layer.dbiases.ravel(), numerical[6:], rtol=1e-7)

    printed = numbers_in(output_of(ch8, "out-neuron-engine"))
    np.testing.assert_allclose(
        printed, np.concatenate([[3.0], numerical[3:6], numerical[0:3], numerical[6:]]), rtol=1e-6
    )


def test_ch8_dead_neuron(ch8):
    text = output_of(ch8, "out-dead-neuron")
    np.testing.assert_allclose(value_after(text, "z ="), float(np.sum(X * W)) - 5.0)
    assert numbers_in(text)[1:] == [0.0] * 7


# ---------------------------------------------------------------------------------------------
# What chapters 5-8 added (the exercises of every chapter: test_exercises.py)
# ---------------------------------------------------------------------------------------------


def test_ch5_log_softmax_is_exact_where_clipping_caps(ch5):
    text = output_of(ch5, "out-log-softmax")
    clipped = numbers_in(text.split("loss with clipping:")[1].split("\n")[0])
    exact = numbers_in(text.split("loss from log-softmax:")[1])
    scores = np.array([[1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]])
    # Independent: float64 log-sum-exp of NumPy's own, minus the correct score.
    expected = [np.logaddexp.reduce(scores[0]) - scores[0, 1]]
    expected.append(np.logaddexp.reduce(scores[1]) - scores[1, 0])
    np.testing.assert_allclose(exact, expected, rtol=1e-8)
    np.testing.assert_allclose(clipped[0], -math.log(1e-7), rtol=1e-9)
    np.testing.assert_allclose(clipped[1], exact[1], rtol=1e-6)


def test_ch6_random_directions_by_dimension(ch6):
    rows = np.array(
        [numbers_in(line) for line in output_of(ch6, "out-dimensions").splitlines()[1:]]
    )
    d, downhill, mean_cos, inverse_root, helps = rows.T
    assert list(d) == [2, 10, 21, 100, 1000]
    # Half of all directions go downhill in any dimension (2000 draws: sd about 0.011).
    assert np.all(np.abs(downhill - 0.5) < 0.05)
    np.testing.assert_allclose(inverse_root, 1 / np.sqrt(d), atol=1e-3)
    # E|cos| for a random unit vector: sqrt(2 / (pi d)) for large d (2/pi exactly at d = 2).
    np.testing.assert_allclose(mean_cos[1:], np.sqrt(2 / (np.pi * d[1:])), rtol=0.1)
    assert np.all(np.diff(helps) < 0.02) and helps[0] > 0.4 and helps[-1] < 0.1
    text = "".join(c.source for c in ch6.cells if c.cell_type == "markdown")
    assert "the less likely it is that a random direction goes downhill" not in text


def test_ch6_expected_new_bests_of_random_search(ch6):
    found = numbers_in(output_of(ch6, "out-random-search").split("found")[1])[0]
    expected = np.sum(1 / np.arange(1, 5001))  # H_5000, the sum of P(attempt k is a new best)
    assert abs(found - expected) < 4 * np.sqrt(
        np.sum(1 / np.arange(1, 5001) * (1 - 1 / np.arange(1, 5001)))
    )


def test_ch7_exp_and_log_derivatives(ch7):
    text = output_of(ch7, "out-exp-log")
    factors = [float(f) for f in re.findall(r"\(e\^h - 1\) / h = (\S+)", text)]
    for h, factor in zip([1e-1, 1e-3, 1e-5], factors, strict=True):
        assert factor == pytest.approx(math.expm1(h) / h, rel=1e-7)
    gaps = [float(g) for g in re.findall(r"largest relative gap (\S+)", text)]
    assert len(gaps) == 2 and max(gaps) < 1e-7
    for x in [-2.0, 0.5, 3.0]:
        assert central_difference(lambda v: math.exp(v[0]), [x])[0] == pytest.approx(math.exp(x))
        assert central_difference(lambda v: math.log(v[0]), [abs(x)])[0] == pytest.approx(
            1 / abs(x)
        )


def test_ch7_prose_quotes_the_printed_errors(ch7):
    text = "".join(c.source for c in ch7.cells if c.cell_type == "markdown")
    assert "near $10^{-11}$" not in text and "{glue:text}`ch07_best_central_error" in text
    assert "first browser-side explorer" not in text
    assert "ReluPiecesExplorer" in text


def test_ch8_sum_over_paths(ch8):
    for x, paths, numerical in np.reshape(numbers_in(output_of(ch8, "out-paths")), (-1, 3)):
        exact = (math.exp(x) + 3) * 2 * x + x**2 * math.exp(x)  # d/dx (x^2 e^x + 3 x^2)
        assert paths == pytest.approx(exact, rel=1e-5, abs=1e-6)
        assert numerical == pytest.approx(exact, rel=1e-5, abs=1e-6)


def test_ch8_product_and_quotient_rules(ch8):
    text = output_of(ch8, "out-product-quotient")
    for line in text.strip().splitlines():
        x, product, product_numerical, quotient, quotient_numerical = numbers_in(line)
        assert product == pytest.approx((3 * x**2 + x**3) * math.exp(x), rel=1e-4, abs=1e-4)
        assert product_numerical == pytest.approx(product, rel=1e-4, abs=1e-4)
        exact = 2 * math.exp(x) / (math.exp(x) + 2) ** 2  # (e^x / (e^x + 2))'
        assert quotient == pytest.approx(exact, abs=1e-5)
        assert quotient_numerical == pytest.approx(exact, abs=1e-5)
