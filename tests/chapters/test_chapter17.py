"""Chapter 17 (regression): the numbers the page shows, from the executed notebook.

Published facts (book plan, "Facts for chapters 14-22"): the sine run with weights drawn as
``0.1 * randn`` starts ``epoch: 0, acc: 0.003, loss: 0.496 (data_loss: 0.496, reg_loss: 0.000),
lr: 0.005`` and prints the learning rate 0.004549590536851684 at epoch 100. The chapter stops
the run at epoch 3000 (the NNFS book's 10001 epochs do not fit the time budget), where its
regression accuracy is above 0.9 (a threshold: long float32 runs differ between CPUs).
Hand-computed values are recomputed here.
"""

import contextlib
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from resources.exercises import sealed
from tests.notebooks import glued, numbers_in, output_of, tagged_cells

NAME = "17_regression"
LINE = re.compile(
    r"^epoch: (\d+), acc: ([\d.]+), loss: ([\d.]+) \(data_loss: ([\d.]+), "
    r"reg_loss: ([\d.]+)\), lr: (\S+)$",
    re.M,
)
Y_HAT = np.array([0.5, 1.5, -1.0])
Y_TRUE = np.array([1.0, 1.0, 0.0])


@pytest.fixture(scope="module")
def chapter(executed):
    return executed(NAME)


def rows(nb, tag):
    return [numbers_in(line) for line in output_of(nb, tag).splitlines() if numbers_in(line)]


def test_linear_passes_values_and_gradients_through(chapter):
    output, dinputs = rows(chapter, "out-linear")
    assert output == [2.5, -0.75, 0.0] and dinputs == [0.1, 0.2, -0.3]


def test_mean_squared_error_and_its_gradient(chapter):
    (by_hand, engine), *gradients = rows(chapter, "out-mse")
    expected = np.mean((Y_TRUE - Y_HAT) ** 2)
    assert by_hand == pytest.approx(expected, abs=5e-5) and engine == by_hand
    for gradient in gradients:  # by hand, numerical, engine
        np.testing.assert_allclose(gradient, -2 * (Y_TRUE - Y_HAT) / 3, atol=5e-7)


def test_mean_absolute_error_and_its_sign(chapter):
    (loss,), *gradients = rows(chapter, "out-mae")
    assert loss == pytest.approx(np.mean(np.abs(Y_TRUE - Y_HAT)), abs=5e-5)
    for gradient in gradients[:3]:  # by hand, numerical, engine
        np.testing.assert_allclose(gradient, -np.sign(Y_TRUE - Y_HAT) / 3, atol=5e-7)
    np.testing.assert_allclose(gradients[3], np.sign(Y_TRUE - Y_HAT) / 3, atol=5e-7)


def test_the_data_and_the_precision(chapter):
    (n, one, n_y, one_y, std), (precision,) = rows(chapter, "out-data")
    assert (n, one, n_y, one_y) == (1000, 1, 1000, 1)
    y = np.sin(2 * np.pi * np.arange(1000) / 1000)
    assert std == pytest.approx(np.std(y), abs=5e-5)
    assert precision == pytest.approx(np.std(y) / 250, abs=5e-6)


def test_scales_follow_the_powers_of_s(chapter):
    text = output_of(chapter, "out-scales")
    big, small, ratios = rows(chapter, "out-scales")[-3:]
    assert big[0] == 0.1 and small[0] == 0.01
    spread_big, spread_small = np.array(big[1:4]), np.array(small[1:4])
    # hidden 1 by s, hidden 2 by s^2, output by s^3 (ReLU is positively homogeneous)
    np.testing.assert_allclose(spread_big / spread_small, [10, 100, 1000], rtol=0.01)
    gradient_big, gradient_small = np.array(big[4:]), np.array(small[4:])
    np.testing.assert_allclose(gradient_big / gradient_small, 100, rtol=0.1)
    assert ratios[:2] == [0.1, 0.01]  # the line starts "gradient ratio 0.1 / 0.01:"
    np.testing.assert_allclose(ratios[2:], 100, rtol=0.1)
    assert "gradient ratio" in text


def test_the_run_starts_at_the_published_line(chapter):
    first = output_of(chapter, "out-run").splitlines()[0]
    assert first == (
        "epoch: 0, acc: 0.003, loss: 0.496 (data_loss: 0.496, reg_loss: 0.000), lr: 0.005"
    )


def test_published_learning_rates_and_the_schedule(chapter):
    lines = [tuple(float(v) for v in m) for m in LINE.findall(output_of(chapter, "out-run"))]
    assert [int(line[0]) for line in lines] == [0, 100, 1000, 2000, 3000]
    by_epoch = {int(line[0]): line[5] for line in lines}
    assert by_epoch[100] == 0.004549590536851684
    for epoch, accuracy, loss, data_loss, reg_loss, lr in lines:
        assert 0 <= accuracy <= 1 and loss == data_loss and reg_loss == 0
        expected = 0.005 if epoch == 0 else 0.005 / (1 + 1e-3 * (epoch - 1))
        assert lr == pytest.approx(expected, rel=1e-15)
    assert lines[-1][1] >= 0.9  # the plan: about 0.98 after 10001 epochs
    assert lines[-1][2] == 0.0  # below what three decimals show


def compare_tables(nb):
    """The per-epoch table and the 50-epoch medians of the out-compare cell."""
    found = rows(nb, "out-compare")
    table = found[1:9]  # below the header "epoch   loss 0.1 ..."
    medians = {int(r[1]): r[2:] for r in found[10:12]}  # "251 to 300  big  small  ratio"
    return {int(r[0]): r[1:] for r in table}, medians


def burst_ranges(nb):
    # "epochs 1097-1153: 57 epochs, ...": the dash may read as a minus sign
    return [(int(r[0]), int(abs(r[1])), int(r[2])) for r in rows(nb, "out-bursts")]


def test_the_small_start_learns_far_more_slowly(chapter):
    by_epoch, medians = compare_tables(chapter)
    assert sorted(by_epoch) == [10, 50, 100, 200, 300, 500, 700, 1000]
    for epoch in (100, 200, 300, 500, 700, 1000):
        loss_big, loss_small, acc_big, acc_small = by_epoch[epoch]
        assert loss_small > loss_big
    # The accuracy lags while the small network is still coarse (the chapter's claim at epoch
    # 300). Later, both runs' accuracies spike up and down (a share within std(y) / 250 is a
    # sharp measure), so single epochs there say little.
    for epoch in (200, 300):
        assert by_epoch[epoch][3] < by_epoch[epoch][2]
    assert by_epoch[300][0] < 5e-4  # below what three decimals show within a few hundred epochs
    # the single epochs the prose warns about: epoch 500 lies in a burst of the 0.1 run, and at
    # epoch 1000 the 0.01 run's loss is up and its accuracy down against epoch 700
    assert any(first <= 500 <= last for first, last, _ in burst_ranges(chapter))
    assert by_epoch[1000][1] > by_epoch[700][1] and by_epoch[1000][3] < by_epoch[700][3] / 2
    # the comparison over 50-epoch windows: behind in both, late and not broken, control too
    assert sorted(medians) == [300, 1000]
    for big, small, ratio in medians.values():
        assert small > 2 * big and ratio == pytest.approx(small / big, rel=0.02)
    assert medians[1000][1] < medians[300][1] / 10  # the small start improves a lot
    assert medians[1000][0] < medians[300][0] / 10  # and so does the 0.1 start, the control
    glue = glued(chapter)
    for key, value in (
        ("ch17_loss_ratio_300", medians[300][1] / medians[300][0]),
        ("ch17_loss_ratio_1000", medians[1000][1] / medians[1000][0]),
        ("ch17_small_drop", medians[300][1] / medians[1000][1]),
        ("ch17_big_drop", medians[300][0] / medians[1000][0]),
    ):
        assert float(glue[key]) == pytest.approx(value, rel=0.02)
    # "not slow at first": behind at epoch 10, almost level by epoch 50, and the gap opens
    # later, the 0.1 run far below while the 0.01 run sits on its plateau at epoch 200
    assert by_epoch[10][1] > by_epoch[10][0]
    assert by_epoch[50][1] < 1.5 * by_epoch[50][0]
    assert by_epoch[200][1] > 10 * by_epoch[200][0]
    assert by_epoch[100][1] > by_epoch[200][1] > by_epoch[300][1]  # refined, slowly
    for epoch in (10, 50, 200):
        assert float(glue[f"ch17_big_loss_{epoch}"]) == pytest.approx(by_epoch[epoch][0], rel=0.01)
        assert float(glue[f"ch17_small_loss_{epoch}"]) == pytest.approx(
            by_epoch[epoch][1], rel=0.01
        )
    run = {int(m[0]): float(m[1]) for m in LINE.findall(output_of(chapter, "out-run"))}
    assert by_epoch[1000][2] == pytest.approx(run[1000], abs=5e-4)  # the same run


def test_the_loss_bursts_last_tens_of_epochs(chapter):
    bursts = burst_ranges(chapter)
    lengths = [length for _, _, length in bursts]
    for first, last, length in bursts:
        assert length == last - first + 1
    long_bursts = [length for length in lengths if length >= 10]
    glue = glued(chapter)
    assert int(glue["ch17_bursts"]) == len(bursts)
    assert int(glue["ch17_long_bursts"]) == len(long_bursts) >= 5
    assert int(glue["ch17_short_bursts"]) == len(bursts) - len(long_bursts) == 1  # "the other"
    assert int(glue["ch17_burst_shortest"]) == min(long_bursts) >= 15  # tens of epochs
    assert int(glue["ch17_burst_longest"]) == max(long_bursts)
    # "in each long burst the loss shoots up to between {rise_min} and {rise_max} times its lowest
    # level so far": the ratios of the printed table (rounded values, hence the tolerance)
    rises = [
        r[3] / r[4] for r in rows(chapter, "out-bursts") if r[2] >= 10
    ]  # [first, last, length, peak, lowest before, accuracy]
    assert float(glue["ch17_rise_min"]) == pytest.approx(min(rises), rel=0.12)
    assert float(glue["ch17_rise_max"]) == pytest.approx(max(rises), rel=0.12)
    assert float(glue["ch17_rise_min"]) < 20 < 100 < float(glue["ch17_rise_max"])
    # "the accuracy collapses with every burst"
    for line in output_of(chapter, "out-bursts").splitlines():
        if numbers_in(line)[2] >= 10:
            assert numbers_in(line)[-1] < 0.5


def test_plain_gradient_descent_stays_on_the_plateau_from_0_01(chapter):
    (big_scale, *big), (small_scale, *small) = rows(chapter, "out-plain-descent")[1:]
    assert (big_scale, small_scale) == (0.1, 0.01)
    assert big[-1] < big[0] / 2  # from 0.1 it learns, slowly
    assert small[-1] > 0.49  # from 0.01 it has hardly moved
    glue = glued(chapter)
    assert float(glue["ch17_plain_big_start"]) == pytest.approx(big[0], abs=1e-5)
    assert float(glue["ch17_plain_big_300"]) == pytest.approx(big[-1], abs=1e-5)
    assert float(glue["ch17_plain_small_300"]) == pytest.approx(small[-1], abs=1e-5)
    by_epoch, _ = compare_tables(chapter)
    assert by_epoch[300][1] < 0.5 / 100  # "Adam ... below a hundredth of its first value"


def test_mse_aims_at_the_mean_and_mae_at_the_median(chapter):
    (*targets, mean, median), (best_mse,), (best_mae,) = rows(chapter, "out-mean-median")
    assert targets == [0, 0, 0, 1, 10]
    assert mean == best_mse == pytest.approx(np.mean(targets)) and median == best_mae == 0

    # the prose: the MAE's derivative jumps from -1 just left of 0 to +0.2 just right of it
    def mae_derivative(c):
        return -np.mean(np.sign(np.array(targets) - c))

    assert mae_derivative(-1e-3) == -1 and mae_derivative(1e-3) == pytest.approx(0.2)


def test_rmse_and_r_squared_beside_the_accuracy(chapter):
    (rmse, mae, two, r_squared), (_, precision, within), (largest,) = rows(chapter, "out-metrics")
    assert two == 2  # "R^2"
    assert 0 < mae <= rmse <= largest and rmse < 0.01 and r_squared > 0.999
    assert r_squared == pytest.approx(1 - rmse**2 / 0.5, abs=1e-4)  # var(y) = 1/2
    assert rmse < precision < 5 * rmse  # the tolerance is of the order of the typical error
    run = {int(m[0]): float(m[1]) for m in LINE.findall(output_of(chapter, "out-run"))}
    assert within == pytest.approx(run[3000], abs=0.03)
    glue = glued(chapter)
    assert float(glue["ch17_unexplained"]) == pytest.approx(1 - r_squared, abs=1e-6)
    # from epoch 300 on the loss stays tiny in absolute terms while the accuracy swings widely
    assert float(glue["ch17_late_max_loss"]) < 2e-3
    assert float(glue["ch17_late_acc_min"]) < 0.2 and float(glue["ch17_late_acc_max"]) > 0.9


def test_out_of_sample_between_and_beyond(chapter):
    found = rows(chapter, "out-of-sample")
    train, between, left, right, slopes_left, slopes_right, kink = found
    rmse_train, rmse_between, rmse_left, rmse_right = train[-1], between[-1], left[-1], right[-1]
    assert rmse_between < 1.5 * rmse_train  # interpolation holds
    assert rmse_right > 10 * rmse_train and rmse_left > 10 * rmse_train  # extrapolation fails
    low, high = slopes_right[-2:]
    assert abs(high - low) < 1e-3  # one straight line beyond the data on the right
    assert abs(np.mean([low, high])) < 0.01  # and an almost flat one: it freezes
    assert slopes_left[-1] > 1  # on the left the line still rises towards the data
    assert -0.3 < kink[-1] < -0.01  # and its last kink lies outside the data
    assert float(glued(chapter)["ch17_left_kink"]) == pytest.approx(kink[-1], abs=1e-3)
    assert float(glued(chapter)["ch17_slope_right"]) == pytest.approx((low + high) / 2, abs=1e-3)
    assert float(glued(chapter)["ch17_rmse_right"]) == pytest.approx(rmse_right, rel=1e-3)


def test_the_small_start_is_behind_in_every_seed(chapter):
    table = rows(chapter, "out-seeds")[1:]  # below the header
    assert [int(r[0]) for r in table] == [0, 1, 2]
    for _, big, small, ratio in table:
        assert small > big and ratio == pytest.approx(small / big, rel=0.02)
    _, medians = compare_tables(chapter)
    assert table[0][1:3] == medians[300][:2]  # seed 0 is the run above
    glue = glued(chapter)
    assert float(glue["ch17_seed_ratio_min"]) == pytest.approx(min(r[3] for r in table), rel=0.01)
    assert float(glue["ch17_seed_ratio_max"]) == pytest.approx(max(r[3] for r in table), rel=0.01)


def test_no_cell_tunes_the_machine_or_times_itself(chapter):
    for cell in chapter.cells:
        for word in ("threadpool", "perf_counter", "mallopt", "ctypes"):
            assert word not in cell.source


def explorer_state(nb):
    """The fit explorer's synced state, as the executed notebook stores it."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (state,) = [w["state"] for w in states.values() if "runs" in w["state"]]
    return state


def test_the_explorer_holds_the_engine_s_first_predictions(chapter):
    """Small state; targets are the sine; epoch 0 of both runs is the engine's forward pass."""
    import json

    import nnfs  # noqa: F401  (nnfs_numpy needs it installed)

    from resources.classes import DenseLayer, Linear, ReLU
    from resources.nnfs_numpy import nnfs_numpy

    state = explorer_state(chapter)
    assert len(json.dumps(state)) < 300_000
    x, targets = np.array(state["x"]), np.array(state["targets"])
    assert len(x) == 200
    np.testing.assert_allclose(targets, np.sin(2 * np.pi * x), atol=1e-5)
    assert state["precision"] == pytest.approx(
        np.std(np.sin(2 * np.pi * np.arange(1000) / 1000)) / 250
    )
    for run, scale in zip(state["runs"], (0.1, 0.01), strict=True):
        with nnfs_numpy():
            layers = [
                DenseLayer(1, 64, weight_scale=scale),
                ReLU(),
                DenseLayer(64, 64, weight_scale=scale),
                ReLU(),
                DenseLayer(64, 1, weight_scale=scale),
                Linear(),
            ]
            inputs = x[:, None]
            for layer in layers:
                layer.forward(inputs)
                inputs = layer.output
        assert run["epochs"][0] == 0
        np.testing.assert_allclose(run["predictions"][0], inputs[:, 0], atol=1e-5)
    final = np.array(state["runs"][0]["predictions"][-1])
    assert state["runs"][0]["epochs"][-1] == 3000 and np.mean((final - targets) ** 2) < 1e-4
    assert state["runs"][1]["epochs"][-1] == 1000


@pytest.mark.parametrize("n", [1, 2, 3])
def test_exercises_have_answer_check_and_solution(chapter, n):
    assert len(tagged_cells(chapter, f"answer-{n}")) == 1
    (check_cell,) = tagged_cells(chapter, f"check-{n}")
    assert "remove-input" in check_cell.metadata["tags"]
    text = "".join(o.get("text", "") for o in check_cell.outputs)
    assert text.startswith(f"Exercise {n}: not answered yet.")
    assert len(tagged_cells(chapter, f"solution-{n}")) == 1


def test_the_solutions_pass_their_checks():
    from resources.classes import MeanAbsoluteError, MeanSquaredError
    from resources.exercises import check, check_function, numerical_derivative

    nb = nbformat.read(Path(__file__).parents[2] / "book" / f"{NAME}.ipynb", as_version=4)
    namespace = {
        "np": np,
        "MeanSquaredError": MeanSquaredError,
        "MeanAbsoluteError": MeanAbsoluteError,
        "check": check,
        "check_function": check_function,
        "numerical_derivative": numerical_derivative,
        "sealed": sealed,
    }
    for n in (1, 2, 3):
        (solution,) = tagged_cells(nb, f"solution-{n}")
        code = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1)
        exec(code, namespace)
        (check_cell,) = tagged_cells(nb, f"check-{n}")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(check_cell.source, namespace)
        assert printed.getvalue().startswith(f"Exercise {n}: correct!"), printed.getvalue()
