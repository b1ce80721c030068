"""The regularization explorer of chapter 14: its stored runs against fresh training, its JS
under Node against the engine, the Python side, and the stand-in page in Chromium (controls,
keyboard, 390 px)."""

import json

import numpy as np
import pytest

from resources.widgets import RegularizationExplorer
from resources.widgets import regularization_explorer as rx
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    press_on,
    screenshot,
    stand_in_page,
)


@pytest.fixture(scope="module")
def explorer():
    return RegularizationExplorer()


def test_every_kind_and_strength_is_stored(explorer):
    keys = {rx.run_key(kind, s) for kind in rx.KINDS for s in rx.STRENGTHS}
    assert set(explorer.runs) == keys and len(keys) == 11
    assert explorer.strengths == list(rx.STRENGTHS)
    assert len(explorer.points) == len(explorer.val_points) == 300
    size = len(json.dumps({k: v for k, v in explorer.get_state().items() if k != "_esm"}))
    assert size < 300_000, f"the page holds {size} bytes of state"


@pytest.mark.parametrize("kind, strength", [("L2", 5e-4), ("L1", 1e-3)])
def test_stored_runs_match_a_fresh_training_run(explorer, kind, strength):
    data = rx.chapter_data()
    first, second = rx.train_run(kind, strength, data)
    X, y, X_val, y_val, _ = data
    train_acc, _ = rx.measure(first, second, X, y)
    val_acc, val_loss = rx.measure(first, second, X_val, y_val)
    stored = explorer.evaluate(kind, strength)
    # Rounded to 5 decimals when stored; long float32 runs may drift a little across CPUs.
    assert abs(stored["train_accuracy"] - train_acc) <= 2 / 300
    assert abs(stored["val_accuracy"] - val_acc) <= 2 / 300
    assert stored["val_loss"] == pytest.approx(val_loss, rel=0.02)
    assert stored["max_weight"] == pytest.approx(np.abs(first.weights).max(), rel=0.02)


def test_the_stored_runs_tell_the_chapters_story(explorer):
    none = explorer.evaluate("L2", 0.0)
    l2 = [explorer.evaluate("L2", s) for s in rx.STRENGTHS]
    assert l2[0] == none
    weights = [r["max_weight"] for r in l2]
    assert weights == sorted(weights, reverse=True), "stronger L2, smaller weights"
    assert l2[-1]["train_accuracy"] < none["train_accuracy"], "too strong a penalty underfits"
    chapter_run = explorer.evaluate("L2", 5e-4)  # the chapter's run: 0.95 and 0.84 here
    assert chapter_run["train_accuracy"] - chapter_run["val_accuracy"] < (
        none["train_accuracy"] - none["val_accuracy"]
    )


CELLS = 20
DRIVER = f"""out(data.runs.map((p) => ({{
  train: m.accuracy(p, data.points, data.labels),
  val: m.accuracy(p, data.valPoints, data.valLabels),
  grid: m.regionGrid(p, {CELLS}, -1.1, 1.1),
  histogram: m.histogram(p.w1.flat(), -20, 20, 40),
}})));"""


def test_js_agrees_with_the_engine(explorer):
    keys = sorted(explorer.runs)
    payload = {
        "runs": [explorer.runs[k] for k in keys],
        "points": explorer.points,
        "labels": explorer.labels,
        "valPoints": explorer.val_points,
        "valLabels": explorer.val_labels,
    }
    results = run_js("regularization_explorer.js", DRIVER, payload)
    centres = (np.arange(CELLS) + 0.5) * 2.2 / CELLS
    grid_x1, grid_x2 = np.meshgrid(-1.1 + centres, 1.1 - centres)
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    for key, js in zip(keys, results, strict=True):
        kind, strength = ("L2", 0.0) if key == "none" else (key.split()[0], float(key.split()[1]))
        engine = explorer.evaluate(kind, strength)
        assert abs(js["train"] - engine["train_accuracy"]) <= 1 / 300
        assert abs(js["val"] - engine["val_accuracy"]) <= 1 / 300
        first, second = explorer.layers(kind, strength)
        first.forward(grid)
        predicted = np.argmax(
            np.dot(np.maximum(0, first.output), second.weights) + second.biases, 1
        )
        assert np.sum(np.array(js["grid"]) != predicted) <= 1
        w = np.array(explorer.runs[key]["w1"]).ravel()
        expected = np.histogram(np.clip(w, -20, 20 - 1e-9), bins=40, range=(-20, 20))[0]
        assert js["histogram"] == expected.tolist()


def test_run_keys_agree_between_python_and_js():
    cases = [[kind, s] for kind in rx.KINDS for s in rx.STRENGTHS]
    keys = run_js("regularization_explorer.js", "out(data.map(([k, s]) => m.runKey(k, s)));", cases)
    assert keys == [rx.run_key(k, s) for k, s in cases]


def test_python_side_refuses_unknown_choices(explorer):
    with pytest.raises(ValueError, match="kind must be one of"):
        rx.run_key("L3", 5e-4)
    with pytest.raises(ValueError, match="strength must be one of"):
        explorer.evaluate("L2", 2e-4)
    with pytest.raises(Exception, match="strength must be one of"):
        RegularizationExplorer(strength=0.3)


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture
def page(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer) as tab:
        yield tab


def assert_shows(page, explorer):
    values = page.evaluate("window.model.values")
    engine = explorer.evaluate(values["kind"], values["strength"])
    shown = {
        n: float(page.get_by_test_id(f"reg-{n}").inner_text()) for n in ("train-acc", "val-acc")
    }
    assert shown["train-acc"] == pytest.approx(engine["train_accuracy"], abs=6e-4)
    assert shown["val-acc"] == pytest.approx(engine["val_accuracy"], abs=6e-4)
    assert float(page.get_by_test_id("reg-max-w").inner_text()) == pytest.approx(
        engine["max_weight"], abs=6e-3
    )
    return values


def test_controls_choose_the_run(page, explorer):
    assert_shows(page, explorer)
    page.get_by_test_id("reg-strength").fill("0")
    assert assert_shows(page, explorer)["strength"] == 0
    page.get_by_test_id("reg-kind").select_option("L1")
    page.get_by_test_id("reg-strength").fill("5")
    values = assert_shows(page, explorer)
    assert (values["kind"], values["strength"]) == ("L1", 1e-2)
    page.click("[data-testid=reg-show-val]")
    assert page.evaluate("window.model.values.show_validation") is False
    assert page.locator("[data-testid=reg-histogram] rect").count() == 41


def test_keyboard_alone_works_the_explorer(page, explorer):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["reg-kind", "reg-strength", "reg-show-val"]
    assert check_controls(walk) == []
    start = page.evaluate("window.model.values.strength")
    press_on(page, "reg-strength", "ArrowRight")
    after = page.evaluate("window.model.values.strength")
    assert rx.STRENGTHS.index(after) == rx.STRENGTHS.index(start) + 1
    assert_shows(page, explorer)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "regularization-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
