"""The optimizer explorer: its stored runs come from the engine, and its JavaScript agrees.

The Python side trains each grid setting with ``resources.classes``; here a small grid is
trained again by an independent loop and compared. The JavaScript module is imported under
Node (skipped if ``node`` is missing) and its pure functions are compared with Python's over a
grid of settings, including settings between grid values.
"""

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import nnfs
import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import SGD, Adam, DenseLayer, ReLU, SoftMaxCategoricalCrossEntropy
from resources.widgets import OptimizerExplorer
from resources.widgets import optimizer_explorer as oe

JS = Path(oe.__file__).with_name("optimizer_explorer.js")

SMALL_GRID = {
    "optimizers": ["SGD", "Adam"],
    "learning_rates": {"SGD": [0.5, 1.0], "Adam": [0.01, 0.05]},
    "decays": [0.0, 1e-2],
    "momentums": [0.0, 0.9],
    "epochs": 41,
    "record_every": 10,
    "map_size": 8,
    "extent": 1.1,
}


@pytest.fixture(scope="module")
def explorer():
    return OptimizerExplorer(grid=SMALL_GRID)


def independent_run(optimizer, epochs, record_every):
    """Chapter 10's loop, written out again, from the weights nnfs.init() gives."""
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    dense1, relu, dense2 = DenseLayer(2, 64), ReLU(), DenseLayer(64, 3)
    head = SoftMaxCategoricalCrossEntropy()
    losses, accuracies = [], []
    for epoch in range(epochs):
        dense1.forward(X)
        relu.forward(dense1.output)
        dense2.forward(relu.output)
        loss = head.forward(dense2.output, y)
        if epoch % record_every == 0:
            losses.append(float(loss))
            accuracies.append(float(np.mean(head.output.argmax(axis=1) == y)))
        head.backward(head.output, y)
        dense2.backward(head.dinputs)
        relu.backward(dense2.dinputs)
        dense1.backward(relu.dinputs)
        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    return losses, accuracies, (dense1, relu, dense2)


def test_every_grid_setting_has_a_run(explorer):
    # SGD: 2 rates x 2 decays x 2 momentums; Adam: 2 x 2 (no momentum).
    assert len(explorer.runs) == 8 + 4
    for run in explorer.runs.values():
        assert len(run["loss"]) == len(run["accuracy"]) == 5  # epochs 0, 10, 20, 30, 40
        assert len(run["regions"]) == 8 * 8 and set(run["regions"]) <= {"0", "1", "2"}


@pytest.mark.parametrize(
    "key, optimizer",
    [
        ("SGD|1|1|1", SGD(learning_rate=1.0, decay=1e-2, momentum=0.9)),
        ("SGD|0|0|0", SGD(learning_rate=0.5)),
        ("Adam|1|0|0", Adam(learning_rate=0.05)),
        ("Adam|0|1|0", Adam(learning_rate=0.01, decay=1e-2)),
    ],
)
def test_stored_runs_match_an_independent_engine_run(explorer, key, optimizer):
    losses, accuracies, layers = independent_run(optimizer, 41, 10)
    run = explorer.runs[key]
    np.testing.assert_allclose(run["loss"], losses, atol=6e-4)  # stored to 3 decimals
    np.testing.assert_allclose(run["accuracy"], accuracies, atol=6e-4)
    dense1, relu, dense2 = layers
    dense1.forward(oe.map_points(8, 1.1))
    relu.forward(dense1.output)
    dense2.forward(relu.output)
    assert run["regions"] == "".join(map(str, dense2.output.argmax(axis=1)))


def test_every_run_starts_where_chapter_10_starts(explorer):
    for run in explorer.runs.values():
        assert (f"{run['accuracy'][0]:.3f}", f"{run['loss'][0]:.3f}") == ("0.360", "1.099")


def test_starting_point_leaves_the_readers_numpy_as_it_was():
    functions = (np.dot, np.zeros, np.eye, np.random.randn)
    np.random.seed(1234)
    expected_draw = np.random.rand()
    np.random.seed(1234)
    X, y, (weights1, biases1, weights2, biases2) = oe.starting_point()
    assert (np.dot, np.zeros, np.eye, np.random.randn) == functions
    assert np.random.rand() == expected_draw  # the reader's random sequence goes on unchanged
    # ... while the explorer still got chapter 10's float32 data and starting weights.
    nnfs.init()
    np.testing.assert_array_equal(X, spiral_data(samples=100, classes=3)[0])
    np.testing.assert_array_equal(weights1, DenseLayer(2, 64).weights)
    assert weights1.dtype == biases1.dtype == weights2.dtype == np.float32
    assert weights2.shape == (64, 3) and biases2.shape == (1, 3) and y.shape == (300,)
    np.dot, np.zeros, np.eye, np.random.randn = functions


def test_map_points_run_top_left_to_bottom_right():
    points = oe.map_points(3, 1.0)
    np.testing.assert_array_equal(points[0], [-1.0, 1.0])
    np.testing.assert_array_equal(points[2], [1.0, 1.0])
    np.testing.assert_array_equal(points[-1], [1.0, -1.0])


def test_select_moves_to_the_nearest_stored_run(explorer):
    run = explorer.select(optimizer="SGD", learning_rate=0.9, decay=0.004, momentum=0.8)
    assert explorer.key == "SGD|1|0|1"
    assert run is explorer.runs["SGD|1|0|1"]
    explorer.select(optimizer="Adam", learning_rate=0.02)
    assert explorer.key == "Adam|0|0|0"  # log scale: 0.02 is nearer 0.01 than 0.05
    explorer.momentum = 0.9  # Adam has no momentum: the key ignores it
    assert explorer.key == "Adam|0|0|0"


def test_select_refuses_unknown_optimizers(explorer):
    with pytest.raises(ValueError, match="optimizer"):
        explorer.select(optimizer="Nesterov")
    with pytest.raises(ValueError, match="learning_rate"):
        oe.run_key(SMALL_GRID, "SGD", 0.0, 0.0, 0.0)


def test_widget_state_is_json_and_small_enough(explorer):
    state = explorer.get_state()
    assert json.loads(json.dumps({k: state[k] for k in ("grid", "runs", "points")}))
    assert explorer.payload_bytes() < 20_000


# --- the JavaScript, under Node --------------------------------------------------------------

NODE = shutil.which("node")


def run_node(tmp_path, script):
    module = tmp_path / "optimizer_explorer.mjs"
    module.write_text(JS.read_text())
    main = tmp_path / "main.mjs"
    main.write_text(f"import * as oe from {json.dumps(module.as_uri())};\n{script}")
    result = subprocess.run([NODE, str(main)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_js_run_key_agrees_with_python_on_and_between_grid_values(tmp_path):
    grid = oe.DEFAULT_GRID
    cases = []
    for name in grid["optimizers"]:
        rates = grid["learning_rates"][name]
        between = [rates[0] / 3, rates[-1] * 3] + [
            (a * b) ** 0.5 * 1.01 for a, b in zip(rates, rates[1:], strict=False)
        ]
        decays = grid["decays"] + [4e-4, 6e-3, 1.0]
        momentums = grid["momentums"] + [0.2, 0.75, 0.99]
        for lr, decay, momentum in itertools.product(rates + between, decays, momentums):
            cases.append([name, lr, decay, momentum])
    got = run_node(
        tmp_path,
        f"const grid = {json.dumps(grid)};\nconst cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(c => oe.runKey(grid, ...c))));",
    )
    expected = [oe.run_key(grid, *case) for case in cases]
    assert got == expected
    assert len(cases) > 500


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_js_drawing_helpers(tmp_path, explorer):
    run = explorer.runs["Adam|1|0|0"]
    got = run_node(
        tmp_path,
        f"const run = {json.dumps(run)};\nconst grid = {json.dumps(SMALL_GRID)};\n"
        "console.log(JSON.stringify({\n"
        "  regions: oe.decodeRegions(run.regions, grid.map_size),\n"
        "  summary: oe.summary(run, grid),\n"
        "  points: oe.curvePoints([0, 0.5, 1, 2], 10, 30, 1, 300, 100),\n"
        "  pixels: [oe.toPixels(-1.1, 1.1, 1.1, 220), oe.toPixels(0, 0, 1.1, 220)],\n"
        "}));",
    )
    expected_rows = [[int(c) for c in run["regions"][r * 8 : (r + 1) * 8]] for r in range(8)]
    assert got["regions"] == expected_rows
    assert got["summary"] == f"epoch 40: acc {run['accuracy'][-1]:.3f}, loss {run['loss'][-1]:.3f}"
    # epochs 0, 10, 20, 30 over a 300 px wide box; values above y_max are clipped to the top
    assert got["points"] == "0.0,100.0 100.0,50.0 200.0,0.0 300.0,0.0"
    assert got["pixels"] == [[0, 0], [110, 110]]


# --- what the build stored on the chapter's page -----------------------------------------------


def test_chapter_page_stores_the_explorer(executed):
    nb = executed("10_optimizers")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    explorers = [s["state"] for s in state.values() if "runs" in s.get("state", {})]
    assert len(explorers) == 1
    stored = explorers[0]
    expected_keys = {key for key, *_ in oe.all_settings(stored["grid"])}
    assert set(stored["runs"]) == expected_keys
    size = len(json.dumps(stored))
    assert size < 400_000, f"the explorer adds {size} bytes to the page"
