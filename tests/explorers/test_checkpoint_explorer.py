"""The checkpoint explorer of chapter 11: its JS under Node against the engine, the Python side,
and the stand-in page in Chromium (slider, keyboard, 390 px). The built page is checked in
``tests/chapters/test_chapters_11_13_static.py``.
"""

import numpy as np
import pytest

from resources.widgets import CheckpointExplorer
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
from tests.notebooks import numbers_in


def random_explorer(seed, hidden, n_checkpoints=3, n_points=60):
    rng = np.random.default_rng(seed)
    checkpoints = [
        [
            rng.normal(0, 2, (2, hidden)),
            rng.normal(0, 0.5, (1, hidden)),
            rng.normal(0, 2, (hidden, 3)),
            rng.normal(0, 0.5, (1, 3)),
        ]
        for _ in range(n_checkpoints)
    ]
    return CheckpointExplorer(
        epochs=[100 * i for i in range(n_checkpoints)],
        checkpoints=checkpoints,
        X=rng.uniform(-1, 1, (n_points, 2)),
        y=rng.integers(0, 3, n_points),
        X_test=rng.uniform(-1, 1, (n_points, 2)),
        y_test=rng.integers(0, 3, n_points),
    )


CELLS = 25
DRIVER = f"""out(data.map((c) => ({{
  curves: m.curves(c.checkpoints, c.train, c.trainLabels, c.test, c.testLabels),
  grids: c.checkpoints.map((p) => m.regionGrid(p, {CELLS}, -1.1, 1.1)),
  probabilities: m.probabilities(c.checkpoints[0], c.train[0]),
}})));"""


def test_js_agrees_with_the_engine():
    explorers = [random_explorer(seed, hidden) for seed, hidden in enumerate([1, 4, 16, 64])]
    payload = [
        {
            "checkpoints": e.checkpoints,
            "train": e.train_points,
            "trainLabels": e.train_labels,
            "test": e.test_points,
            "testLabels": e.test_labels,
        }
        for e in explorers
    ]
    browser = run_js("checkpoint_explorer.js", DRIVER, payload)
    centres = (np.arange(CELLS) + 0.5) * 2.2 / CELLS
    grid_x1, grid_x2 = np.meshgrid(-1.1 + centres, 1.1 - centres)  # row 0 at the top
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    for explorer, js in zip(explorers, browser, strict=True):
        n = len(explorer.train_labels)
        for index, scores in enumerate(js["curves"]):
            engine = explorer.evaluate(index)
            for part in ("train", "test"):
                np.testing.assert_allclose(
                    scores[part]["loss"], engine[f"{part}_loss"], rtol=1e-5, atol=1e-6
                )
                assert abs(scores[part]["accuracy"] - engine[f"{part}_accuracy"]) <= 1 / n
            mismatches = np.sum(np.array(js["grids"][index]) != explorer.predict(grid, index))
            assert mismatches <= 1, f"{mismatches} grid cells disagree"
        np.testing.assert_allclose(sum(js["probabilities"]), 1.0, rtol=1e-12)


def test_python_side():
    explorer = random_explorer(seed=9, hidden=5)
    assert explorer.show_epoch(200) == 2 and explorer.index == 2
    with pytest.raises(ValueError, match="no checkpoint at epoch"):
        explorer.show_epoch(150)
    with pytest.raises(Exception, match="index must lie"):
        explorer.index = 3
    # evaluate() is the engine's forward pass on the stored parameters (checked by hand here).
    p = explorer.checkpoints[1]
    X, y = np.array(explorer.test_points), np.array(explorer.test_labels)
    scores = np.maximum(0, X @ np.array(p["w1"]) + p["b1"]) @ np.array(p["w2"]) + p["b2"]
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected_loss = -np.mean(np.log(np.clip(probabilities[np.arange(len(y)), y], 1e-7, 1)))
    engine = explorer.evaluate(1)
    np.testing.assert_allclose(engine["test_loss"], expected_loss, rtol=1e-5)
    assert engine["test_accuracy"] == np.mean(probabilities.argmax(axis=1) == y)


def test_bad_input_is_refused():
    good = [np.zeros((2, 4)), np.zeros((1, 4)), np.zeros((4, 3)), np.zeros((1, 3))]
    X, y = np.zeros((5, 2)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="one epoch number per checkpoint"):
        CheckpointExplorer([0, 1], [good], X, y, X, y)
    with pytest.raises(ValueError, match="w2 must have shape"):
        CheckpointExplorer([0], [[good[0], good[1], np.zeros((3, 3)), good[3]]], X, y, X, y)
    with pytest.raises(ValueError, match="points must have shape"):
        CheckpointExplorer([0], [good], np.zeros((5, 3)), y, X, y)
    with pytest.raises(ValueError, match="labels"):
        CheckpointExplorer([0], [good], X, y + 3, X, y)


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture(scope="module")
def explorer():
    return random_explorer(seed=4, hidden=16, n_checkpoints=4)


@pytest.fixture
def page(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer) as tab:
        yield tab


def assert_shows(page, explorer, index):
    assert page.evaluate("window.model.values.index") == index
    engine = explorer.evaluate(index)
    for key in ("train_accuracy", "train_loss", "test_accuracy", "test_loss"):
        testid = "ckpt-" + key.replace("_", "-").replace("accuracy", "acc")
        assert float(page.get_by_test_id(testid).inner_text()) == pytest.approx(
            engine[key], abs=6e-4
        ), key
    assert numbers_in(page.get_by_test_id("ckpt-epoch").inner_text()) == [explorer.epochs[index]]


def test_renders_and_follows_the_slider(page, explorer):
    for index in (0, 3, 1):
        page.get_by_test_id("ckpt-slider").fill(str(index))
        assert_shows(page, explorer, index)
    page.click("[data-testid=ckpt-show-test]")
    assert page.evaluate("window.model.values.show_test") is False
    assert page.locator("[data-testid=ckpt-curve] path").count() == 2


def test_keyboard_alone_works_the_explorer(page, explorer):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["ckpt-slider", "ckpt-show-test"]
    assert check_controls(walk) == []
    assert walk[0]["name"] == "checkpoint"
    assert walk[1]["name"] == "show test points (else training points)"
    page.get_by_test_id("ckpt-slider").fill("0")
    after = press_on(page, "ckpt-slider", "ArrowRight")
    assert after["testid"] == "ckpt-slider" and after["valuetext"] == "epoch 100"
    assert_shows(page, explorer, 1)
    page.keyboard.press("End")
    assert_shows(page, explorer, 3)
    page.keyboard.press("ArrowRight")  # held at the last checkpoint
    assert_shows(page, explorer, 3)
    after = press_on(page, "ckpt-show-test", "Space")
    assert after["testid"] == "ckpt-show-test"
    assert page.evaluate("window.model.values.show_test") is False
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "checkpoint-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
