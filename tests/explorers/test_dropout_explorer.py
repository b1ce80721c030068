"""The dropout explorer of chapter 15: its JS under Node against the engine, the Python side,
and the stand-in page in Chromium (new masks, inference mode, the rate slider, keyboard,
390 px)."""

import numpy as np
import pytest

from resources.classes import DenseLayer
from resources.widgets import DropoutExplorer
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


def random_explorer(seed, hidden, n_points=60, rate=0.3):
    rng = np.random.default_rng(seed)
    dense1, dense2 = DenseLayer(2, hidden), DenseLayer(hidden, 3)
    dense1.weights, dense1.biases = rng.normal(0, 2, (2, hidden)), rng.normal(0, 0.5, (1, hidden))
    dense2.weights, dense2.biases = rng.normal(0, 2, (hidden, 3)), rng.normal(0, 0.5, (1, 3))
    X, y = rng.uniform(-1, 1, (n_points, 2)), rng.integers(0, 3, n_points)
    return DropoutExplorer(dense1, dense2, X, y, rate=rate, seed=seed)


CELLS = 20
DRIVER = f"""out(data.map((c) => c.cases.map(([kept, rate, on]) => {{
  const f = m.factors(kept, rate, on);
  const scores = m.evaluate(c.p, f, c.points, c.labels);
  return {{ scores, grid: m.regionGrid(c.p, f, {CELLS}, -1.1, 1.1) }};
}})));"""


def cases(explorer, rng):
    hidden = len(explorer.kept)
    masks = [explorer.kept, [True] * hidden, (rng.random(hidden) < 0.5).tolist()]
    return [
        [mask, rate, on] for mask in masks for rate, on in ((0.3, True), (0.6, True), (0.3, False))
    ]


def test_js_agrees_with_the_engine():
    rng = np.random.default_rng(0)
    explorers = [random_explorer(seed, hidden) for seed, hidden in enumerate([1, 5, 64])]
    payload = [
        {
            "p": {"w1": e.w1, "b1": e.b1, "w2": e.w2, "b2": e.b2},
            "points": e.points,
            "labels": e.labels,
            "cases": cases(e, rng),
        }
        for e in explorers
    ]
    results = run_js("dropout_explorer.js", DRIVER, payload)
    centres = (np.arange(CELLS) + 0.5) * 2.2 / CELLS
    grid_x1, grid_x2 = np.meshgrid(-1.1 + centres, 1.1 - centres)
    grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
    for explorer, case_list, js in zip(explorers, payload, results, strict=True):
        for (kept, rate, on), got in zip(case_list["cases"], js, strict=True):
            engine = explorer.evaluate(kept=kept, dropout_on=on, rate=rate)
            np.testing.assert_allclose(got["scores"]["loss"], engine["loss"], rtol=1e-6)
            assert abs(got["scores"]["accuracy"] - engine["accuracy"]) <= 1 / 60
            # the grid's predictions, by the engine's forward pass with the same mask
            w1, b1 = np.array(explorer.w1), np.array(explorer.b1)
            w2, b2 = np.array(explorer.w2), np.array(explorer.b2)
            mask = np.array(kept) / (1 - rate) if on else np.ones(len(kept))
            expected = np.argmax(np.maximum(0, grid @ w1 + b1) * mask @ w2 + b2, axis=1)
            assert np.sum(np.array(got["grid"]) != expected) <= 1


def test_masks_keep_the_share_asked_for():
    share = run_js(
        "dropout_explorer.js",
        "let kept = 0;"
        "for (let i = 0; i < 200; i++) kept += m.drawMask(100, 0.3).filter(Boolean).length;"
        "const f = (on) => m.factors([true, false], 0.25, on);"
        "out([kept / 20000, f(true), f(false)]);",
    )
    assert abs(share[0] - 0.7) < 0.02  # 20000 draws: standard error 0.003
    assert share[1] == [pytest.approx(4 / 3), 0] and share[2] == [1, 1]


def test_python_side():
    explorer = random_explorer(seed=3, hidden=8)
    assert len(explorer.kept) == 8 and explorer.rate == 0.3
    everything = explorer.evaluate(dropout_on=False)
    assert everything == explorer.evaluate(kept=[False] * 8, dropout_on=False), "off: mask unused"
    # With dropout on and every neuron kept, the scale 1 / 0.7 changes the scores.
    scaled = explorer.evaluate(kept=[True] * 8, dropout_on=True)
    assert scaled["loss"] != everything["loss"]
    # The engine's evaluate equals the forward pass written out here.
    X, y = np.array(explorer.points), np.array(explorer.labels)
    mask = np.array(explorer.kept) / 0.7
    hidden = np.maximum(0, X @ np.array(explorer.w1) + explorer.b1) * mask
    s = hidden @ np.array(explorer.w2) + explorer.b2
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    engine = explorer.evaluate()
    np.testing.assert_allclose(
        engine["loss"], -np.mean(np.log(np.clip(p[np.arange(60), y], 1e-7, 1))), rtol=1e-6
    )
    assert engine["accuracy"] == np.mean(p.argmax(axis=1) == y)


def test_bad_input_is_refused():
    good1, good2 = DenseLayer(2, 4), DenseLayer(4, 3)
    X, y = np.zeros((5, 2)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="layers 2 -> H and H -> 3"):
        DropoutExplorer(DenseLayer(3, 4), good2, X, y)
    with pytest.raises(ValueError, match="points must have shape"):
        DropoutExplorer(good1, good2, np.zeros((5, 3)), y)
    with pytest.raises(ValueError, match=r"rate must lie in \[0, 1\)"):
        DropoutExplorer(good1, good2, X, y, rate=1.0)


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture(scope="module")
def explorer():
    return random_explorer(seed=4, hidden=16)


@pytest.fixture
def page(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer) as tab:
        yield tab


def shown(page):
    values = page.evaluate("window.model.values")
    return values, {
        name: page.get_by_test_id(f"do-{name}").inner_text() for name in ("kept", "acc", "loss")
    }


def assert_agrees(page, explorer):
    values, text = shown(page)
    engine = explorer.evaluate(
        kept=values["kept"], dropout_on=values["dropout_on"], rate=values["rate"]
    )
    assert float(text["acc"]) == pytest.approx(engine["accuracy"], abs=6e-4)
    assert float(text["loss"]) == pytest.approx(engine["loss"], abs=6e-4)
    count = sum(values["kept"]) if values["dropout_on"] else len(values["kept"])
    assert text["kept"] == f"{count} of {len(values['kept'])}"
    return values


def test_new_masks_inference_and_rate(page, explorer):
    first = assert_agrees(page, explorer)
    masks = {tuple(first["kept"])}
    for _ in range(4):
        page.click("[data-testid=do-new-mask]")
        masks.add(tuple(assert_agrees(page, explorer)["kept"]))
    assert len(masks) > 1, "new masks differ"
    page.click("[data-testid=do-on]")  # off: inference, every neuron
    values = assert_agrees(page, explorer)
    assert values["dropout_on"] is False
    assert page.get_by_test_id("do-new-mask").is_disabled()
    page.click("[data-testid=do-on]")
    page.get_by_test_id("do-rate").fill("0.8")
    values = assert_agrees(page, explorer)
    assert values["rate"] == pytest.approx(0.8)
    assert page.locator("[data-testid=do-mask] rect").count() == 16


def test_python_changes_reach_the_page(page, explorer):
    page.evaluate("window.pythonSets('kept', Array(16).fill(true))")
    assert shown(page)[1]["kept"] == "16 of 16"
    assert_agrees(page, explorer)


def test_keyboard_alone_works_the_explorer(page, explorer):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["do-new-mask", "do-on", "do-rate"]
    assert check_controls(walk) == []
    saved = page.evaluate("window.model.saved")
    after = press_on(page, "do-new-mask", "Enter")
    assert after["testid"] == "do-new-mask"
    assert page.evaluate("window.model.saved") == saved + 1, "Enter draws a new mask"
    rate = page.evaluate("window.model.values.rate")
    press_on(page, "do-rate", "ArrowRight")
    assert page.evaluate("window.model.values.rate") == pytest.approx(rate + 0.1)
    assert_agrees(page, explorer)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "dropout-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
