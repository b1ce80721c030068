"""Chapter 23, initialization and the depth problem: what the executed chapter printed, checked.

The per-layer tables are recomputed here with plain NumPy (the same seeds, so the same draws,
and the forward and backward passes written out as matrix products), the variance rules and
the derivation's predictions against their formulas, and the training runs against the claims
the prose makes (the NNFS start stays at ln 3 in every seed; He's learns in every seed).
"""

import re

import numpy as np
import pytest
from nnfs.datasets import spiral_data

from tests.notebooks import glued, numbers_in, output_of

STARTS = ("0.01", "Glorot", "He", "0.5")
DEPTH, WIDTH = 10, 32


@pytest.fixture(scope="module")
def ch23(executed):
    return executed("23_initialization")


def power_of_ten(text):
    """The number a glued "3 × 10⁻¹⁶" stands for."""
    mantissa, exponent = text.strip("'").split(" × 10")
    return float(mantissa) * 10 ** int(
        exponent.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    )


def lines_of(nb, tag):
    return output_of(nb, tag).splitlines()


def table(nb, tag, rows, columns):
    """The numbers of a printed table with ``rows`` rows: shape (rows, columns)."""
    lines = lines_of(nb, tag)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("layer"))
    body = [numbers_in(line) for line in lines[start + 1 : start + 1 + rows]]
    assert [row[0] for row in body] == list(range(1, rows + 1))
    return np.array([row[1:] for row in body]).reshape(rows, columns)


# -- an independent recomputation of the chapter's tables ---------------------------------


def data():
    np.random.seed(0)
    return spiral_data(samples=100, classes=3)


def stds(n_in, n_out, start):
    return {
        "0.01": 0.01,
        "Glorot": np.sqrt(2 / (n_in + n_out)),
        "He": np.sqrt(2 / n_in),
        "0.5": 0.5,
    }[start]


def recompute(start, activation="relu", seed=1):
    """The chapter's measure(), written as plain matrix products (DenseLayer's draw order).

    ``start`` is one of STARTS or a number, the standard deviation of every layer's weights."""
    X, y = data()
    np.random.seed(seed)
    sizes = [2] + [WIDTH] * DEPTH + [3]
    weights = [
        (start if isinstance(start, float) else stds(n_in, n_out, start))
        * np.random.randn(n_in, n_out)
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    f = {"relu": lambda z: np.maximum(0, z), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    slope = {"relu": lambda a: (a > 0) * 1.0, "sigmoid": lambda a: a * (1 - a)}
    inputs, outputs = [X], []
    for w in weights[:-1]:
        outputs.append(f[activation](inputs[-1] @ w))
        inputs.append(outputs[-1])
    scores = inputs[-1] @ weights[-1]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1 - 1e-7)))
    dz = (p - np.eye(3)[y]) / len(y)
    grads, signal = [], []
    for index in range(DEPTH, -1, -1):
        grads.append(np.linalg.norm(inputs[index].T @ dz))
        if index == 0:
            break
        dx = dz @ weights[index].T  # the gradient reaching hidden layer `index`
        signal.append(np.std(dx))
        dz = dx * slope[activation](outputs[index - 1])
    spread = [np.std(a) for a in outputs]
    between = [np.mean(np.std(a, axis=0)) for a in outputs]
    return {
        "spread": spread,
        "between": between,
        "grad": grads[::-1],
        "signal": signal[::-1],
        "loss": loss,
    }


@pytest.fixture(scope="module")
def relu_runs():
    return {start: recompute(start) for start in STARTS}


def factor(values):
    """The geometric mean of the nine factors from layer 1 to layer 10."""
    return (values[-1] / values[0]) ** (1 / (DEPTH - 1))


def test_setup_line(ch23):
    assert output_of(ch23, "out-setup") == "X (300, 2), y (300,); 10 hidden layers of 32 neurons\n"


def test_forward_table_is_the_networks_activations(ch23, relu_runs):
    printed = table(ch23, "out-forward", DEPTH, 4)
    expected = np.array([relu_runs[start]["spread"] for start in STARTS]).T
    np.testing.assert_allclose(printed, expected, rtol=6e-3)
    small, glorot, he, big = printed.T
    assert np.all(np.diff(small) < 0) and small[-1] < 1e-13  # about 1e-15 at the tenth
    ratios = small[1:] / small[:-1]
    assert np.all((0.02 < ratios) & (ratios < 0.07))  # "roughly the same factor"
    assert np.all((1.2 < big[2:] / big[1:-1]) & (big[2:] / big[1:-1] < 3))
    assert glorot[-1] < glorot[1] / 10
    assert np.all((0.2 < he) & (he < 0.7))  # level: no trend over ten layers
    assert big[-1] > 50 * big[1]


def test_forward_factors_match_the_derivation(ch23, relu_runs):
    *lines, loss_line, shape_line = lines_of(ch23, "out-forward-factor")
    loss, ln3 = numbers_in(loss_line.replace("0.01:", "").replace("ln 3", "ln"))
    assert loss == pytest.approx(relu_runs["0.01"]["loss"], abs=6e-5)
    assert ln3 == pytest.approx(np.log(3), abs=6e-5) and loss == ln3
    printed = dict(zip(STARTS, [numbers_in(line)[-1] for line in lines], strict=True))
    for start in STARTS:
        assert printed[start] == pytest.approx(factor(relu_runs[start]["spread"]), abs=6e-4)
    predicted = {"0.01": 0.04, "Glorot": np.sqrt(0.5), "He": 1.0, "0.5": 2.0}
    for start in STARTS:
        assert printed[start] == pytest.approx(predicted[start], rel=0.05), start
        # one draw scaled: each factor is He's times the ratio of the weights' stds, exactly
        scaled = printed["He"] * stds(WIDTH, WIDTH, start) / stds(WIDTH, WIDTH, "He")
        assert printed[start] == pytest.approx(scaled, abs=2e-3), start
    values = glued(ch23)
    assert float(values["ch23_small_factor"].strip("'")) == printed["0.01"]
    assert float(values["ch23_glorot_factor"].strip("'")) == printed["Glorot"]
    assert float(values["ch23_big_factor"].strip("'")) == pytest.approx(printed["0.5"], abs=6e-3)
    # "the ratio stayed between 0.87 and 0.92 in the He network above"
    assert numbers_in(shape_line.replace("layers 2 to 10", "")) == [0.87, 0.92]
    last = power_of_ten(values["ch23_small_last"])
    assert last == pytest.approx(relu_runs["0.01"]["spread"][-1], rel=0.5)
    assert 1e-16 < last < 1e-14  # "to about 1e-15 at the tenth"


def test_variance_rules(ch23):
    first, second, third = lines_of(ch23, "out-variance-rules")
    sum_var, sum_rule = numbers_in(first)
    product_var, product_rule = numbers_in(second.replace("x^2", "x"))
    wrong = numbers_in(third)[0]
    assert sum_rule == pytest.approx(0.09 + 1 / 3, abs=6e-4)
    assert product_rule == pytest.approx(0.09 * 4 / 3, abs=6e-4)
    assert wrong == pytest.approx(0.03, abs=6e-4)
    assert product_var == product_rule  # "agrees to three digits"
    assert abs(sum_var - sum_rule) == pytest.approx(0.001, abs=1e-9)  # "off by about 0.001"
    # a million draws: the variances' standard errors are about 0.0006 and 0.0002
    assert sum_var == pytest.approx(sum_rule, abs=0.003)
    assert product_var == pytest.approx(product_rule, abs=0.001)
    assert abs(product_var - wrong) > 0.08


def test_he_derivation_steps(ch23):
    lines = lines_of(ch23, "out-he-steps")
    second, predicted = numbers_in(lines[0].replace("z^2", "z").replace("x^2", "x"))
    assert second == pytest.approx(predicted, rel=0.03)
    relu_second, half = numbers_in(lines[1].replace("^2", "").replace("/ 2", ""))
    assert relu_second == pytest.approx(half, rel=0.03)
    assert half == pytest.approx(second / 2, rel=1e-3)
    forward = {
        start: numbers_in(line)[-1]
        for start, line in zip(STARTS, lines_of(ch23, "out-forward-factor")[:4], strict=True)
    }
    for start, line in zip(STARTS, lines[2:], strict=True):
        assert line.lstrip().startswith(start + ":")
        numbers = numbers_in(line.replace("Var(w) / 2", ""))
        std, prediction, measured = numbers[-3:]
        assert std == pytest.approx(stds(WIDTH, WIDTH, start), abs=6e-5)
        assert prediction == pytest.approx(
            np.sqrt(WIDTH * stds(WIDTH, WIDTH, start) ** 2 / 2), abs=6e-4
        )
        assert measured == forward[start]


def test_backward_derivation_steps(ch23):
    first, second = lines_of(ch23, "out-backward-steps")
    measured, predicted = numbers_in(first.replace("dz^2", "dz"))
    assert measured == pytest.approx(predicted, rel=0.03)
    (half,) = numbers_in(second.replace("dz^2", "dz").replace("incoming 1", "incoming"))
    assert 0.47 < half < 0.53  # "half of the incoming 1"


def test_backward_table_and_factors(ch23, relu_runs):
    printed = table(ch23, "out-backward", DEPTH + 1, 4)
    expected = np.array([relu_runs[start]["grad"] for start in STARTS]).T
    np.testing.assert_allclose(printed, expected, rtol=6e-3)
    small, glorot, he, big = printed.T
    assert np.all((1e-16 < small) & (small < 1e-15))  # "every layer about 1e-16"
    assert np.all((100 < big) & (big < 1000))  # "every gradient in the hundreds"
    assert glorot.max() < 1e-2 and he.min() > 0.05
    lines = lines_of(ch23, "out-backward")[-4:]
    factors = {start: numbers_in(line)[-1] for start, line in zip(STARTS, lines, strict=True)}
    forward = {
        start: numbers_in(line)[-1]
        for start, line in zip(STARTS, lines_of(ch23, "out-forward-factor")[:4], strict=True)
    }
    for start in STARTS:
        assert factors[start] == pytest.approx(1 / factor(relu_runs[start]["signal"]), abs=6e-4)
        assert factors[start] == pytest.approx(forward[start], rel=0.06)  # "close to"
    values = glued(ch23)
    assert power_of_ten(values["ch23_small_grad"]) == pytest.approx(small.max(), rel=0.2)
    assert float(values["ch23_he_grad"].strip("'")) == pytest.approx(he.min(), abs=6e-3)


def test_sigmoid_against_relu(ch23, relu_runs):
    printed = table(ch23, "out-sigmoid", DEPTH + 1, 4)
    sig = {
        "Glorot": recompute("Glorot", "sigmoid"),
        "He": recompute("He", "sigmoid"),
        "2.0": recompute(2.0, "sigmoid"),
    }
    runs = [sig["Glorot"], sig["He"], sig["2.0"], relu_runs["He"]]
    expected = np.array([run["grad"] for run in runs]).T
    np.testing.assert_allclose(printed, expected, rtol=6e-3)
    lines = lines_of(ch23, "out-sigmoid")
    start = lines.index(
        "at layer 10: std of all activations, spread between samples (forward factor)"
    )
    ratios = [numbers_in(line)[-2:] for line in lines[start - 4 : start]]
    layer10 = [numbers_in(line.replace("2.0:", ""))[-3:] for line in lines[start + 1 : start + 5]]
    for (ratio, back), (spread, between, forward), run, column in zip(
        ratios, layer10, runs, printed.T, strict=True
    ):
        assert ratio == pytest.approx(column[0] / column[-1], rel=0.06)
        assert back == pytest.approx(1 / factor(run["signal"]), abs=6e-4)
        assert spread == pytest.approx(run["spread"][-1], abs=6e-3)
        assert between == pytest.approx(run["between"][-1], rel=0.06)
        assert forward == pytest.approx(factor(run["between"]), abs=6e-4)
    (r1, f1), (r2, f2), (r_two, f_two), (r3, f3) = ratios
    (s1, b1, g1), (s2, b2, g2), (_, _, g_two), (_, _, g3) = layer10
    assert r1 < 1e-6 and r2 < 1e-6  # "millions of times smaller"
    assert f1 < 0.25 and f1 < f2 < np.sqrt(2) / 4  # He raises it, both under their bounds
    assert s1 > 0.1 and s2 > 0.1  # "stays above 0.1"
    assert b1 < 1e-7  # "the same activations to about eight digits"
    assert g1 == pytest.approx(f1, abs=0.02)  # the spread between samples falls "like the gradient"
    assert g2 < np.sqrt(2) / 4
    assert f_two == pytest.approx(1, abs=0.05) and r_two > 0.1  # the factor of 4 made up
    assert 0.8 < g_two < 1 and g_two > 3 * g1  # "falls only slowly"
    assert 0.05 < r3 < 0.2 and f3 == pytest.approx(1, abs=0.1) and g3 > 0.9  # "about a tenth"
    values = {k: v.strip("'") for k, v in glued(ch23).items()}
    assert power_of_ten(values["ch23_sigmoid_ratio"]) == pytest.approx(r1, rel=0.3)
    assert float(values["ch23_sigmoid_factor"]) == pytest.approx(f1, abs=6e-3)
    assert float(values["ch23_relu_ratio"]) == pytest.approx(r3, rel=0.06)
    assert power_of_ten(values["ch23_sigmoid_between"]) == pytest.approx(b1, rel=0.3)
    assert float(values["ch23_sigmoid_spread"]) == s1
    assert float(values["ch23_sigmoid_between_factor"]) == pytest.approx(g1, abs=6e-3)
    assert float(values["ch23_two_factor"]) == pytest.approx(f_two, abs=6e-3)
    assert float(values["ch23_two_between_factor"]) == pytest.approx(g_two, abs=6e-3)


def test_constant_weights_stay_symmetric(ch23):
    half, zero = lines_of(ch23, "out-symmetry")
    for line in (half, zero):
        assert "columns equal: True" in line and "have 1 distinct weight vector(s)" in line
    assert numbers_in(half)[-1] > 0.5  # the layer moved, all its neurons alike
    assert numbers_in(zero)[-1] == 0  # from all zeros the hidden layer never moves


def test_he_seeds_and_the_draw_by_hand(ch23):
    line = output_of(ch23, "out-he-seeds")
    factors = numbers_in(line.replace("seeds 1 to 5", ""))
    assert len(factors) == 5
    assert factors[0] == numbers_in(lines_of(ch23, "out-forward-factor")[2])[-1]
    for seed, printed in enumerate(factors, start=1):
        assert printed == pytest.approx(factor(recompute("He", seed=seed)["spread"]), abs=6e-4)
        assert printed == pytest.approx(1, abs=0.1)  # "within about 10 %"
    assert output_of(ch23, "out-he-by-hand") == "True\n"


def test_the_sigmoid_trains_from_a_large_start_only(ch23):
    lines = lines_of(ch23, "out-train-sigmoid")
    runs = [numbers_in(line.replace("2.0,", ""))[-2:] for line in lines]
    assert len(runs) == 4
    for accuracy, loss in runs[:2]:  # Glorot: stays at the guess
        assert accuracy == pytest.approx(1 / 3, abs=6e-4)
        assert loss == pytest.approx(np.log(3), abs=6e-5)
    for accuracy, loss in runs[2:]:  # 2.0: learns
        assert accuracy > 0.85 and loss < 0.4
    he = [numbers_in(line)[-2] for line in lines_of(ch23, "out-train") if line.startswith("  He,")]
    assert max(a for a, _ in runs[2:]) < min(he)  # "below He's ReLU network"
    shown = float(glued(ch23)["ch23_sigmoid_two_acc"].strip("'"))
    assert shown == pytest.approx(min(a for a, _ in runs[2:]), abs=6e-3)


def test_one_adam_step(ch23):
    small, he = lines_of(ch23, "out-one-step")
    small_gradient, small_change = numbers_in(small.replace("0.01:", ""))
    he_gradient, he_change = numbers_in(he)
    assert small_gradient < 1e-14 and small_change < 1e-9
    # Adam's first step is lr * g / (|g| + eps): about lr * g / eps for g far below eps
    assert small_change == pytest.approx(0.005 * small_gradient / 1e-7, rel=0.1)
    assert he_gradient > 1e-2 and he_change == pytest.approx(0.005, rel=0.02)
    assert power_of_ten(glued(ch23)["ch23_small_step"]) == pytest.approx(small_change, rel=0.2)


def test_the_nnfs_start_fails_and_hes_trains_in_every_seed(ch23):
    lines = lines_of(ch23, "out-train")
    runs = [line for line in lines if ", seed " in line]
    assert len(runs) == 6
    small = [numbers_in(line.replace("0.01,", ""))[-2:] for line in runs[:3]]
    he = [numbers_in(line)[-2:] for line in runs[3:]]
    for accuracy, loss in small:
        assert accuracy == pytest.approx(1 / 3, abs=6e-4) and loss == pytest.approx(
            np.log(3), abs=6e-5
        )
    for accuracy, loss in he:
        assert accuracy > 0.9 and loss < 0.3
    accuracies = np.array([a for a, _ in he])
    mean_small = numbers_in(lines[-2].replace("0.01:", ""))
    mean_he = numbers_in(lines[-1])
    assert mean_small == pytest.approx([1 / 3, 0, np.log(3)], abs=6e-4)
    se = np.std(accuracies, ddof=1) / np.sqrt(3)
    assert mean_he[0] == pytest.approx(accuracies.mean(), abs=1e-3)
    assert mean_he[1] == pytest.approx(se, abs=1e-3)
    assert mean_he[2] == pytest.approx(np.mean([loss for _, loss in he]), abs=1e-4)
    assert (mean_he[0] - 1 / 3) > 100 * mean_he[1]  # "hundreds of standard errors"
    values = {k: v.strip("'") for k, v in glued(ch23).items()}
    assert values["ch23_epochs"] == "200" and re.search(r"after 200 epochs", runs[0])
    assert float(values["ch23_small_acc"]) == pytest.approx(mean_small[0], abs=1e-3)
    assert float(values["ch23_small_loss"]) == pytest.approx(mean_small[2], abs=1e-4)
    assert values["ch23_ln3"] == "1.0986"
    assert float(values["ch23_he_acc"]) == pytest.approx(mean_he[0], abs=1e-3)
    assert float(values["ch23_he_se"]) == pytest.approx(mean_he[1], abs=1e-3)


def test_the_explorer_starts_as_the_prose_says(ch23):
    from resources.widgets import DepthExplorer

    explorer = DepthExplorer()
    assert (explorer.depth, explorer.activation, explorer.weight_init) == (10, "relu", "small")
    assert (explorer.width, explorer.samples) == (32, 100)
