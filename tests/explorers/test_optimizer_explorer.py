"""The optimizer explorer: its stored runs come from the engine, and its JavaScript agrees.

Sections: Python vs the engine; the JS under Node; the stand-in page in Chromium (the controls,
keyboard, 390 px); the built static page of chapter 10, offline with no kernel.

The Python side trains each grid setting with ``resources.classes``; here a small grid is
trained again by an independent loop and compared. The JavaScript module is imported under
Node (skipped if ``node`` is missing) and its pure functions are compared with Python's over a
grid of settings, including settings between grid values.
"""

import itertools
import json

import nnfs
import numpy as np
import pytest
from nnfs.datasets import spiral_data

from resources.classes import SGD, Adam, DenseLayer, ReLU
from resources.widgets import OptimizerExplorer
from resources.widgets import optimizer_explorer as oe
from tests.engine.test_model import hand_written_run
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    open_built_page,
    page_state,
    press_on,
    screenshot,
    stand_in_page,
)

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
    """Chapter 10's loop as the tests write it, from the weights nnfs.init() gives."""
    nnfs.init()
    X, y = spiral_data(samples=100, classes=3)
    losses, accuracies, _, _, (dense1, dense2) = hand_written_run(X, y, epochs, optimizer)
    keep = slice(0, epochs, record_every)
    return (
        [float(v) for v in losses[keep]],
        [float(v) for v in accuracies[keep]],
        (
            dense1,
            ReLU(),
            dense2,
        ),
    )


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


def test_js_run_key_agrees_with_python_on_and_between_grid_values():
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
    got = run_js(
        "optimizer_explorer.js",
        "out(data.cases.map((c) => m.runKey(data.grid, ...c)));",
        {"grid": grid, "cases": cases},
    )
    expected = [oe.run_key(grid, *case) for case in cases]
    assert got == expected
    assert len(cases) > 500


def test_js_drawing_helpers(explorer):
    run = explorer.runs["Adam|1|0|0"]
    got = run_js(
        "optimizer_explorer.js",
        """out({
          regions: m.decodeRegions(data.run.regions, data.grid.map_size),
          summary: m.summary(data.run, data.grid),
          points: m.curvePoints([0, 0.5, 1, 2], 10, 30, 1, 300, 100),
          pixels: [m.toPixels(-1.1, 1.1, 1.1, 220), m.toPixels(0, 0, 1.1, 220)],
          nearest: [m.nearestIndex([1, 2, 3], 2.4), m.nearestIndex([0.01, 0.1, 1], 0.04, true)],
        });""",
        {"run": run, "grid": SMALL_GRID},
    )
    expected_rows = [[int(c) for c in run["regions"][r * 8 : (r + 1) * 8]] for r in range(8)]
    assert got["regions"] == expected_rows
    assert got["summary"] == f"epoch 40: acc {run['accuracy'][-1]:.3f}, loss {run['loss'][-1]:.3f}"
    # epochs 0, 10, 20, 30 over a 300 px wide box; values above y_max are clipped to the top
    assert got["points"] == "0.0,100.0 100.0,50.0 200.0,0.0 300.0,0.0"
    assert got["pixels"] == [[0, 0], [110, 110]]
    assert got["nearest"] == [oe.nearest_index([1, 2, 3], 2.4), 1]


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


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture
def stand_in(tmp_path, explorer, browser):
    state = page_state(explorer, optimizer="Adam", learning_rate=0.05, decay=0.0, momentum=0.0)
    with stand_in_page(browser, tmp_path, explorer, state=state) as page:
        yield page


def set_slider(page, testid, index):
    page.eval_on_selector(
        f"[data-testid={testid}]",
        "(el, i) => { el.value = String(i); el.dispatchEvent(new Event('input')); }",
        index,
    )


def shown(page):
    return page.get_attribute(".optimizer-explorer", "data-key"), page.inner_text(
        "[data-testid=summary]"
    )


def expect_run(page, runs, grid, optimizer, lr, decay, momentum):
    key = oe.run_key(grid, optimizer, lr, decay, momentum)
    run = runs[key]
    epoch = (len(run["loss"]) - 1) * grid["record_every"]
    text = f"{optimizer}: epoch {epoch}: acc {run['accuracy'][-1]:.3f}, loss {run['loss'][-1]:.3f}"
    page.wait_for_function(
        "key => document.querySelector('.optimizer-explorer').dataset.key === key", arg=key
    )
    assert shown(page) == (key, text)


def test_js_draws_and_follows_the_controls(stand_in, explorer):
    page = stand_in
    options = page.eval_on_selector_all(
        "[data-testid=optimizer] option", "els => els.map(e => e.value)"
    )
    assert options == SMALL_GRID["optimizers"]

    def expect(*setting):
        expect_run(page, explorer.runs, SMALL_GRID, *setting)

    expect("Adam", 0.05, 0.0, 0.0)
    page.select_option("[data-testid=optimizer]", "SGD")  # keeps the slider position: index 1
    expect("SGD", 1.0, 0.0, 0.0)
    set_slider(page, "momentum", 1)
    expect("SGD", 1.0, 0.0, 0.9)
    set_slider(page, "decay", 1)
    set_slider(page, "learning-rate", 0)
    expect("SGD", 0.5, 1e-2, 0.9)
    assert page.evaluate(
        "[window.model.values.learning_rate, window.model.values.decay,"
        " window.model.values.momentum]"
    ) == [0.5, 0.01, 0.9]
    assert page.evaluate("window.model.saved") == 4
    page.select_option("[data-testid=optimizer]", "Adam")
    expect("Adam", 0.01, 1e-2, 0.9)
    assert page.is_disabled("[data-testid=momentum]")
    assert page.inner_text("[data-testid=momentum-value]") == "n/a"
    # the decision map is painted: the canvas holds more than one color
    colors = page.eval_on_selector(
        "[data-testid=regions]",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set();
                  for (let i = 0; i < d.length; i += 4 * 97) {
                    seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
                  }
                  return seen.size; }""",
    )
    assert colors >= 3


def test_keyboard_alone_works_the_explorer(stand_in, explorer):
    page = stand_in
    page.select_option("[data-testid=optimizer]", "SGD")
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["optimizer", "learning-rate", "decay", "momentum"]
    assert check_controls(walk) == []
    assert [c["name"] for c in walk] == ["optimizer", "learning rate", "decay", "momentum"]
    # One arrow press is one grid value; the readout and aria-valuetext say the value itself.
    after = press_on(page, "learning-rate", "ArrowRight")
    assert after["testid"] == "learning-rate" and after["valuetext"] == "1"
    expect_run(page, explorer.runs, SMALL_GRID, "SGD", 1.0, 0.0, 0.0)
    after = press_on(page, "momentum", "ArrowRight")
    assert after["valuetext"] == "0.9" and after["valuenow"] == "1"
    expect_run(page, explorer.runs, SMALL_GRID, "SGD", 1.0, 0.0, 0.9)
    page.keyboard.press("Home")
    expect_run(page, explorer.runs, SMALL_GRID, "SGD", 1.0, 0.0, 0.0)
    after = press_on(page, "decay", "End")
    assert after["valuetext"] == "0.01"
    expect_run(page, explorer.runs, SMALL_GRID, "SGD", 1.0, 1e-2, 0.0)
    after = press_on(page, "optimizer", "ArrowDown")
    assert after["testid"] == "optimizer"
    expect_run(page, explorer.runs, SMALL_GRID, "Adam", 0.05, 1e-2, 0.0)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser, explorer):
    state = page_state(explorer, optimizer="SGD", learning_rate=1.0)
    with stand_in_page(browser, tmp_path, explorer, state=state, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "optimizer-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report


# --- on the built static page, offline, with no kernel ---------------------------------------


@pytest.fixture
def static_explorer(offline_page, site_url, executed):
    open_built_page(offline_page, site_url, "10_optimizers", "summary")
    nb = executed("10_optimizers")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    stored = next(s["state"] for s in state.values() if "runs" in s.get("state", {}))
    return offline_page, stored


def test_static_page_explorer_follows_the_controls(static_explorer):
    page, stored = static_explorer
    grid, runs = stored["grid"], stored["runs"]

    def expect(*setting):
        expect_run(page, runs, grid, *setting)

    # The page opens on the state the notebook left: Adam, learning rate 0.05, no decay.
    expect("Adam", 0.05, 0.0, 0.0)
    page.select_option("[data-testid=optimizer]", "SGD")  # same slider position: 1.0
    expect("SGD", 1.0, 0.0, 0.0)
    set_slider(page, "momentum", 2)
    expect("SGD", 1.0, 0.0, 0.9)
    set_slider(page, "decay", 1)
    set_slider(page, "learning-rate", 4)
    expect("SGD", 2.0, 1e-3, 0.9)
    assert page.inner_text("[data-testid=learning-rate-value]") == "2"
    page.get_by_test_id("learning-rate").focus()
    page.keyboard.press("ArrowLeft")
    expect("SGD", 1.0, 1e-3, 0.9)
    page.select_option("[data-testid=optimizer]", "RMSProp")
    expect("RMSProp", 0.05, 1e-3, 0.0)
    assert page.is_disabled("[data-testid=momentum]")
    assert not page.log.problems(), page.log.problems()
