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
from resources.gradients import numerical_gradient
from tests.notebooks import glued, numbers_in
from tests.notebooks import output_of as _output_of


def output_of(nb, tag):
    """What the tagged cell printed, without the text stand-ins of its figures."""
    return re.sub(r"<Figure size [^>]*>\n?", "", _output_of(nb, tag))


ROOT = Path(__file__).resolve().parents[2]


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


def new_bests(text):
    match = re.search(r"new bests at attempts \[([0-9, ]+)\]", text)
    assert match, text
    return [int(n) for n in match.group(1).split(",")]


def glued_number(nb, key):
    return float(glued(nb)[key].strip("'\""))


def test_ch6_random_search_is_limited_by_its_draw_scale(ch6):
    small_text = output_of(ch6, "out-random-search")
    large_text = output_of(ch6, "out-random-scale")
    small_loss, small_acc = loss_and_accuracy(small_text)
    large_loss, large_acc = loss_and_accuracy(large_text)
    # Scale 0.05: every draw predicts about 1/3 per class; the best barely beats ln 3.
    assert 1.0 < small_loss < math.log(3) + 1e-3
    assert small_acc < 0.4
    low, high = (
        float(v) for v in re.search(r"losses between (\S+) and (\S+)", small_text).groups()
    )
    assert math.log(3) - 0.01 < low <= high < math.log(3) + 0.01  # "within 0.01 of it"
    # Scale 1, nothing else changed: far better networks are within reach.
    assert large_loss < small_loss - 0.2
    assert large_acc > small_acc + 0.2
    for text, key in [(small_text, "small"), (large_text, "large")]:
        attempts = new_bests(text)
        assert attempts[0] == 1 and attempts == sorted(set(attempts))
        assert glued_number(ch6, f"ch06_{key}_last") == attempts[-1]
        assert glued_number(ch6, f"ch06_{key}_new_bests") == len(attempts)
    assert glued_number(ch6, "ch06_small_loss") == small_loss
    assert glued_number(ch6, "ch06_large_accuracy") == large_acc


def test_ch6_new_bests_are_as_rare_as_the_harmonic_number_says(ch6):
    text = output_of(ch6, "out-harmonic")
    k = np.arange(1, 2001)
    expected, sd = np.sum(1 / k), np.sqrt(np.sum(1 / k * (1 - 1 / k)))
    match = re.search(r"attempts: ([0-9.]+) \+- ([0-9.]+)", text)
    assert abs(float(match.group(1)) - expected) < 0.005
    assert abs(float(match.group(2)) - sd) < 0.005
    assert expected == pytest.approx(math.log(2000) + 0.5772, abs=1e-3)
    # "Within the spread that chance allows": both counts within two standard deviations.
    for key in ["ch06_small_new_bests", "ch06_large_new_bests"]:
        assert abs(glued_number(ch6, key) - expected) < 2 * sd
    # Exercise 3: H_4000 - H_2000 is ln 2 to within 1e-3.
    assert np.sum(1 / np.arange(2001, 4001)) == pytest.approx(math.log(2), abs=1e-3)


def test_ch6_nudges_add_up_improvements_on_vertical_data(ch6):
    text = output_of(ch6, "out-nudge")
    loss, acc = loss_and_accuracy(text)
    large_loss, _ = loss_and_accuracy(output_of(ch6, "out-random-scale"))
    assert loss < 0.3 and acc > 0.85
    assert loss < large_loss - 0.3  # far below both random searches
    kept = int(re.search(r"(\d+) of 2000 nudges lowered the loss", text).group(1))
    assert glued_number(ch6, "ch06_nudge_kept") == kept
    # Many times the handful of new bests of random search.
    most_new_bests = max(glued_number(ch6, f"ch06_{k}_new_bests") for k in ["small", "large"])
    assert kept > 10 * most_new_bests
    # Hill climbing starts on a flat region: dozens of attempts before the best loss falls
    # 0.01 below ln 3.
    plateau = int(re.search(r"fell 0.01 below ln 3 at attempt (\d+)", text).group(1))
    assert 20 <= plateau < 2000
    assert glued_number(ch6, "ch06_nudge_plateau") == plateau
    text = "".join(c.source for c in ch6.cells if c.cell_type == "markdown")
    assert "**hill\nclimbing**" in text or "**hill climbing**" in text
    assert "local" in text and "flat region" in text


def test_ch6_accuracy_ceiling_of_vertical_data(ch6):
    import statistics

    import nnfs
    from nnfs.datasets import vertical_data

    text = output_of(ch6, "out-ceiling")
    # Independently: the nearest-centre rule errs past 5/3 standard deviations (class 0 and 2
    # on one side, class 1 on both), so its accuracy is 1 - 4/3 P(Z > 5/3).
    ceiling = 1 - 4 / 3 * (1 - statistics.NormalDist().cdf(5 / 3))
    assert ceiling == pytest.approx(0.9363, abs=1e-4)
    assert value_after(text, "ceiling, closed form:") == pytest.approx(ceiling, abs=1e-4)
    simulated = float(re.search(r"new points: ([0-9.]+)", text).group(1))
    assert simulated == pytest.approx(ceiling, abs=0.002)  # 600,000 points: sd 0.0003
    nnfs.init()
    X, y = vertical_data(samples=100, classes=3)
    rule = np.mean(np.clip(np.round(3 * X[:, 0]), 0, 2) == y)
    assert float(re.search(r"rule on our 300 points: ([0-9.]+)", text).group(1)) == round(rule, 3)
    nudged = float(re.search(r"nudged network on our 300 points:\s+([0-9.]+)", text).group(1))
    _, nudge_acc = loss_and_accuracy(output_of(ch6, "out-nudge"))
    assert nudged == nudge_acc
    standard_error = math.sqrt(ceiling * (1 - ceiling) / 300)
    assert value_after(text, "standard error of an accuracy on 300 points:") == round(
        standard_error, 3
    )
    # On 300 points the network is less than one standard error from the ceiling.
    assert abs(nudged - ceiling) < standard_error
    assert glued_number(ch6, "ch06_gap_to_ceiling") == round(ceiling - nudged, 3)
    # The network edges out the rule; only the points where they disagree count (a paired
    # comparison), and the split is well within chance: a two-sided binomial test.
    only_network, only_rule = (
        int(n)
        for n in re.search(r"only by the network: (\d+), only by the rule: (\d+)", text).groups()
    )
    assert only_network - only_rule == round((nudged - rule) * 300) > 0
    disagree = only_network + only_rule
    tail = sum(math.comb(disagree, k) for k in range(only_network, disagree + 1)) / 2**disagree
    assert min(1.0, 2 * tail) > 0.2
    assert glued_number(ch6, "ch06_disagree") == disagree
    assert glued_number(ch6, "ch06_only_network") == only_network
    assert glued_number(ch6, "ch06_only_rule") == only_rule
    # On 30,000 new points: within half a percentage point of the ceiling, but more than two
    # standard errors below it ("small but real").
    new = value_after(text, "nudged network on 30,000 new points:")
    new_error = value_after(text, "standard error of an accuracy on 30,000 points:")
    assert new_error == pytest.approx(math.sqrt(new * (1 - new) / 30_000), abs=5e-5)
    assert 0.0014 <= new_error < 0.0015 + 5e-5  # "about 0.0015 for 30,000"
    gap = value_after(text, "below the ceiling:")
    assert gap == pytest.approx(ceiling - new, abs=1e-4)
    assert 0.004 <= gap <= 0.006  # "half a percentage point"
    assert gap > 2 * new_error
    assert glued_number(ch6, "ch06_new_accuracy") == new
    assert glued_number(ch6, "ch06_new_gap_errors") == round(gap / new_error)
    prose = "".join(c.source for c in ch6.cells if c.cell_type == "markdown")
    assert "to within one standard error" not in prose
    assert "nothing\nleft for any method" not in prose and "nothing left" not in prose


def spiral_runs(ch6):
    rows = re.findall(
        r"2-(\d+)-3, (random nudges|gradient steps)\s+loss: ([0-9.]+), acc: ([0-9.]+) "
        r"\((?:(\d+) nudges kept|loss after 333 steps: ([0-9.]+))\)",
        output_of(ch6, "out-spirals"),
    )
    assert len(rows) == 4
    return {
        (int(n), method.split()[0]): (float(loss), float(acc), extra_1 or extra_2)
        for n, method, loss, acc, extra_1, extra_2 in rows
    }


def test_ch6_spirals_need_a_large_network_and_gradients(ch6):
    runs = spiral_runs(ch6)
    # The 2-3-3 network fails whatever the method: under half right, loss near ln 3.
    for method in ["random", "gradient"]:
        loss, acc, _ = runs[3, method]
        assert acc < 0.5 and loss > 1.0
    # The 2-64-3 network learns the spirals with gradient steps, not with nudges.
    gradient_loss, gradient_acc, third_loss = runs[64, "gradient"]
    nudge_loss, nudge_acc, kept = runs[64, "random"]
    assert gradient_acc > 0.8 and gradient_loss < 0.5
    assert nudge_acc < 0.5 and nudge_loss > 1.0
    # A third of the budget of gradient steps already beats every nudge run by far.
    assert float(third_loss) < min(runs[3, "random"][0], nudge_loss) - 0.3
    assert glued_number(ch6, "ch06_spiral_64_gradient_third_loss") == float(third_loss)
    # Few nudges kept on either network (under 10% of 1,000).
    assert int(kept) < 100 and int(runs[3, "random"][2]) < 100
    for (n, method), (loss, acc, _) in runs.items():
        assert glued_number(ch6, f"ch06_spiral_{n}_{method}_accuracy") == acc
        assert glued_number(ch6, f"ch06_spiral_{n}_{method}_loss") == loss


def test_ch6_a_three_neuron_network_cannot_learn_spirals_with_longer_training():
    """The chapter says "whatever the method": longer gradient runs do no better."""
    import nnfs
    from nnfs.datasets import spiral_data

    from resources.classes import SGD, Adam, SoftMaxCategoricalCrossEntropy

    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    for seed, optimizer in [(1, Adam(0.02)), (2, SGD(1.0, momentum=0.9))]:
        np.random.seed(seed)
        dense1, relu, dense2 = DenseLayer(2, 3), ReLU(), DenseLayer(3, 3)
        loss_and_softmax = SoftMaxCategoricalCrossEntropy()
        for _ in range(5000):
            dense1.forward(X)
            relu.forward(dense1.output)
            dense2.forward(relu.output)
            loss_and_softmax.forward(dense2.output, y)
            loss_and_softmax.backward(loss_and_softmax.output, y)
            dense2.backward(loss_and_softmax.dinputs)
            relu.backward(dense2.dinputs)
            dense1.backward(relu.dinputs)
            optimizer.pre_update_params()
            optimizer.update_params(dense1)
            optimizer.update_params(dense2)
            optimizer.post_update_params()
        accuracy = np.mean(np.argmax(loss_and_softmax.output, axis=1) == y)
        assert accuracy < 0.5, (seed, accuracy)


def test_ch6_shorter_nudges_do_not_rescue_the_large_network():
    """The chapter says smaller nudge scales (0.02, 0.01, 0.005) also end under half right."""
    import nnfs
    from nnfs.datasets import spiral_data

    from resources.classes import CategoricalCrossEntropy, SoftMax

    # A nudge draws each of d parameters with scale 0.05: length about 0.05 sqrt(d).
    for n_hidden, d, length in [(3, 21, 0.23), (64, 387, 0.98)]:
        assert 2 * n_hidden + n_hidden + n_hidden * 3 + 3 == d
        assert round(0.05 * math.sqrt(d), 2) == length
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    relu, softmax, loss_function = ReLU(), SoftMax(), CategoricalCrossEntropy()

    def evaluate(layers):
        dense1, dense2 = layers
        dense1.forward(X)
        relu.forward(dense1.output)
        dense2.forward(relu.output)
        softmax.forward(dense2.output)
        accuracy = np.mean(np.argmax(softmax.output, axis=1) == y)
        return loss_function.calculate(softmax.output, y), accuracy

    for seed, scale in [(3, 0.02), (4, 0.01), (5, 0.005)]:
        np.random.seed(seed)
        layers = [DenseLayer(2, 64), DenseLayer(64, 3)]
        best_loss, best_accuracy = evaluate(layers)
        best = [p.copy() for layer in layers for p in (layer.weights, layer.biases)]
        for _ in range(1000):
            for layer in layers:
                layer.weights = layer.weights + scale * np.random.randn(*layer.weights.shape)
                layer.biases = layer.biases + scale * np.random.randn(*layer.biases.shape)
            loss, accuracy = evaluate(layers)
            if loss < best_loss:
                best_loss, best_accuracy = loss, accuracy
                best = [p.copy() for layer in layers for p in (layer.weights, layer.biases)]
            else:
                for layer, (weights, biases) in zip(layers, [best[0:2], best[2:4]], strict=True):
                    layer.weights, layer.biases = weights.copy(), biases.copy()
        assert best_accuracy < 0.5 and best_loss > 1.0, (scale, best_loss, best_accuracy)


def test_ch6_spiral_colours_match_chapter_3(ch6):
    code = "".join(c.source for c in ch6.cells if c.cell_type == "code")
    assert 'ListedColormap(["tab:red", "tab:green", "tab:blue"])' in code


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
    assert 3e-7 <= best_central <= 1e-4  # "around 1e-6 to 1e-5"


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
    assert len(gaps) == 7  # the six rules and the power rule for x^-1
    assert max(gaps) < 1e-8
    assert "d/dx x^-1 = -x^-2" in output_of(ch7, "out-rules")
    text = "".join(c.source for c in ch7.cells if c.cell_type == "markdown")
    assert "$(x+h)^2 - x^2 = 2xh + h^2$" in text  # the power rule derived from the limit
    assert "one nonlinear layer" not in text  # softmax is nonlinear too
    assert "below $h \\approx 10^{-5}$" not in text  # the best central step is below 1e-5
    assert "As the preview in {doc}`chapter 6" in text


@pytest.mark.parametrize("n", [-1, -2, 0.5, 2.5])
def test_ch7_power_rule_for_other_powers(n):
    for x in np.linspace(0.3, 3, 10):  # x > 0: x^n is defined for every real n
        numerical = numerical_gradient(lambda v: v[0] ** n, [x])[0]
        assert numerical == pytest.approx(n * x ** (n - 1), rel=1e-6)


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
        numerical = numerical_gradient(lambda v: f(v[0]), [x])[0]
        assert numerical == pytest.approx(derivative(x), rel=1e-6, abs=1e-6)


def test_ch7_relu_derivative(ch7):
    text = output_of(ch7, "out-relu")
    np.testing.assert_allclose(numbers_in(text.splitlines()[1]), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(numbers_in(text.splitlines()[2]), [0, 0, 0.5, 1, 1], atol=1e-9)
    for x in [-1.5, -0.3, 0.2, 1.7]:
        relu = ReLU()
        relu.forward([[x]])
        relu.backward([[1.0]])
        numerical = numerical_gradient(lambda v: max(v[0], 0.0), [x])[0]
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
        assert numerical_gradient(lambda v: v[0] * v[1], [x, y]) == pytest.approx([y, x])
        assert numerical_gradient(lambda v: v[0] + v[1], [x, y]) == pytest.approx([1, 1])
        assert numerical_gradient(lambda v: max(v[0], v[1]), [x, y]) == pytest.approx(
            [float(x > y), float(y > x)], abs=1e-9
        )


def test_ch8_gradient(ch8):
    def f(v):
        return 3 * v[0] ** 3 - v[1] ** 2 + 5 * v[2] + 2

    expected = numerical_gradient(f, [1.0, 2.0, 3.0])
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
        (lambda v: v[0] ** 2 + v[1] * v[2], lambda v: [2 * v[0], v[2], v[1]]),
        (lambda v: (3 * v[0] + 1) ** 2, lambda v: [6 * (3 * v[0] + 1)]),  # exercise 3
        (  # exercise 2: g J with g = [1, -1] is the gradient of y1 - y2
            lambda v: v[0] + v[1] ** 2 - 3 * v[0] * v[1],
            lambda v: [1 - 3 * v[1], 2 * v[1] - 3 * v[0]],
        ),
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
        numerical = numerical_gradient(f, point)  # unused trailing inputs get partial 0
        expected = np.zeros(3, dtype=np.float64)
        expected[: len(gradient(point))] = gradient(point)
        np.testing.assert_allclose(numerical, expected, rtol=1e-6, atol=1e-8)


def test_ch8_chain_rule(ch8):
    rows = np.reshape(numbers_in(output_of(ch8, "out-chain")), (-1, 3))
    for x, chain, numerical in rows:
        exact = 15 * (2 * x**2) ** 4 * 4 * x
        independent = numerical_gradient(lambda v: 3 * (2 * v[0] ** 2) ** 5, [x])[0]
        assert chain == pytest.approx(exact, rel=1e-6)
        assert numerical == pytest.approx(independent, rel=1e-6)


# The neuron of chapter 8, the seed of chapter 9 (its inputs, not its outputs, are copied here).
X = np.array([1.0, -2.0, 3.0])
W = np.array([-3.0, -1.0, 2.0])
B = 1.0


def neuron(parameters):
    return max(float(np.sum(parameters[0:3] * parameters[3:6])) + parameters[6], 0.0)


def test_ch8_neuron_gradient(ch8):
    numerical = numerical_gradient(neuron, np.concatenate([X, W, [B]]))
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
    numerical = numerical_gradient(neuron, np.concatenate([X, W, [B]]))
    np.testing.assert_allclose(layer.dinputs.ravel(), numerical[0:3], rtol=1e-7)
    np.testing.assert_allclose(layer.dweights.ravel(), numerical[3:6], rtol=1e-7)
    np.testing.assert_allclose(layer.dbiases.ravel(), numerical[6:], rtol=1e-7)

    printed = numbers_in(output_of(ch8, "out-neuron-engine"))
    np.testing.assert_allclose(
        printed, np.concatenate([[6.0], numerical[3:6], numerical[0:3], numerical[6:]]), rtol=1e-6
    )


def test_ch8_dead_neuron(ch8):
    text = output_of(ch8, "out-dead-neuron")
    np.testing.assert_allclose(value_after(text, "z ="), float(np.sum(X * W)) - 7.0)
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
    assert list(d) == [2, 10, 21, 100, 387, 1000]
    # Half of all directions go downhill in any dimension (2000 draws: sd about 0.011).
    assert np.all(np.abs(downhill - 0.5) < 0.05)
    np.testing.assert_allclose(inverse_root, 1 / np.sqrt(d), atol=1e-3)
    # E|cos| for a random unit vector: sqrt(2 / (pi d)) for large d (2/pi exactly at d = 2).
    np.testing.assert_allclose(mean_cos[1:], np.sqrt(2 / (np.pi * d[1:])), rtol=0.1)
    assert np.all(np.diff(helps) < 0.02) and helps[0] > 0.4 and helps[-1] < 0.1
    for dimension, share in zip(d, helps, strict=True):
        if f"ch06_helps_{int(dimension)}" in glued(ch6):
            assert glued_number(ch6, f"ch06_helps_{int(dimension)}") == share
    text = "".join(c.source for c in ch6.cells if c.cell_type == "markdown")
    assert "the less likely it is that a random direction goes downhill" not in text
    assert "almost perfectly" not in text  # the classes of vertical_data overlap
    assert "{doc}`chapter 2 <02_coding_our_first_neurons>`" in text  # norms and the cosine


def test_ch7_exp_and_log_derivatives(ch7):
    text = output_of(ch7, "out-exp-log")
    factors = [float(f) for f in re.findall(r"\(e\^h - 1\) / h = (\S+)", text)]
    for h, factor in zip([1e-1, 1e-3, 1e-5], factors, strict=True):
        assert factor == pytest.approx(math.expm1(h) / h, rel=1e-7)
    gaps = [float(g) for g in re.findall(r"largest relative gap (\S+)", text)]
    assert len(gaps) == 2 and max(gaps) < 1e-7
    for x in [-2.0, 0.5, 3.0]:
        assert numerical_gradient(lambda v: math.exp(v[0]), [x])[0] == pytest.approx(math.exp(x))
        assert numerical_gradient(lambda v: math.log(v[0]), [abs(x)])[0] == pytest.approx(
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


def test_ch7_hand_built_derivative_is_the_books(ch7):
    text = output_of(ch7, "out-shared-derivative")
    differences = [float(d) for d in re.findall(r"largest difference (\S+)", text)]
    assert differences == [0.0, 0.0, 0.0]
    headings = [
        line
        for c in ch7.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    # The exponential and the logarithm come before ReLU's derivative, not in its middle.
    assert headings.index("## The exponential and the logarithm") + 1 == headings.index(
        "## The derivative of ReLU"
    )
    text = "".join(c.source for c in ch7.cells if c.cell_type == "markdown")
    assert text.index("**second") < text.index("f''(x)$, the central")


def test_ch7_best_forward_step_is_near_1e_minus_8(ch7):
    best_forward = value_after(output_of(ch7, "out-step-size"), "best step, forward difference:")
    assert 1e-9 <= best_forward <= 1e-7


def test_ch8_hand_built_gradient_is_the_books(ch8):
    text = output_of(ch8, "out-shared-gradient")
    differences = [float(d) for d in re.findall(r"largest difference (\S+)", text)]
    assert differences == [0.0, 0.0, 0.0]


def test_ch8_linear_approximation_and_steepest_ascent(ch8):
    text = output_of(ch8, "out-linear")
    gradient = numerical_gradient(lambda v: 3 * v[0] ** 3 - v[1] ** 2 + 5 * v[2] + 2, [1, 2, 3])
    length = math.sqrt(np.sum(gradient**2))
    assert value_after(text, "length of the gradient:") == pytest.approx(length, abs=1e-4)
    gap = value_after(text, "largest |change - gradient . step|:")
    # Half the second derivative along x (18x = 18 at x = 1) times the length squared: 9e-6.
    assert gap == pytest.approx(0.5 * 18 * 1e-6, rel=0.05)
    fastest = value_after(text, "fastest rate in 1000 directions:")
    along = value_after(text, "rate along the gradient:")
    assert fastest < along and fastest > 0.99 * along
    assert abs(along - length) < 0.01  # within a few thousandths
    assert value_after(text, "steps towards -gradient that lower f:") == 1.0


def test_ch8_jacobian_and_vector_jacobian_product(ch8):
    def two_outputs(x):
        return np.array([x[0] * x[1], 2 * x[0] + x[1] ** 2])

    point = np.array([3.0, -1.0])
    jacobian = np.array(
        [numerical_gradient(lambda v, i=i: two_outputs(v)[i], point) for i in range(2)]
    )
    np.testing.assert_allclose(jacobian, [[-1, 3], [2, -2]], atol=1e-8)
    printed = numbers_in(output_of(ch8, "out-jacobian"))
    np.testing.assert_allclose(printed[:8], [-1, 3, 2, -2, -1, 3, 2, -2], atol=1e-8)

    loss_gradient = numerical_gradient(lambda v: two_outputs(v)[0] ** 2 + two_outputs(v)[1], point)
    np.testing.assert_allclose(loss_gradient, [8, -20], rtol=1e-8)
    np.testing.assert_allclose(np.array([-6, 1]) @ jacobian, [8, -20], rtol=1e-8)
    text = output_of(ch8, "out-vjp")
    np.testing.assert_allclose(numbers_in(text), [-3, 7, -6, 1, 8, -20, 8, -20], rtol=1e-8)


def test_ch8_targets_for_chapter_9(ch8):
    sources = [c.source for c in ch8.cells if c.cell_type == "markdown"]
    for target, heading in [
        ("(ch08-jacobian)=", "## Functions with several outputs"),
        ("(ch08-seed-neuron)=", "## A whole neuron"),
    ]:
        (cell,) = [s for s in sources if target in s]
        lines = cell.splitlines()
        assert lines[lines.index(target) + 1].startswith(heading)
    text = "\n".join(sources)
    assert "for the first time we *ran* the `backward` methods" not in text
    assert "for the first time we ran `DenseLayer.backward`" not in text
    assert "for the first time we *checked* `DenseLayer.backward`" in text
    # The summary's values come in the order of its formulas: dy/dw = x, dy/dx = w, dy/db = 1.
    summary = text[text.index("## Summary") :]
    assert summary.index(r"\partial y/\partial w_i") < summary.index(r"\partial y/\partial x_i")
    assert "$[1, -2, 3]$, $[-3, -1, 2]$ and 1" in summary
    assert "steps of size 0.1" not in text and "step of size 0.1" not in text
    assert "right angles" in text


def test_ch8_gradient_is_perpendicular_to_contours():
    """Along a contour of x^2 + 2y^2 (tangent [-4y, 2x]) the gradient's dot product is 0."""
    rng = np.random.default_rng(2)
    for x, y in rng.uniform(-2, 2, size=(10, 2)):
        gradient = numerical_gradient(lambda v: v[0] ** 2 + 2 * v[1] ** 2, [x, y])
        tangent = np.array([-4 * y, 2 * x])
        assert abs(gradient @ tangent) < 1e-6
        # f does not change to first order along the tangent
        step = 1e-4 * tangent / np.linalg.norm(tangent)
        change = (x + step[0]) ** 2 + 2 * (y + step[1]) ** 2 - (x**2 + 2 * y**2)
        assert abs(change) < 1e-7
