"""The threshold explorer (chapter 16): its JS counts agree with NumPy and the engine's accuracy;
it renders and follows its slider in Chromium, by mouse and keyboard, at 390 px too."""

import numpy as np
import pytest

from resources.classes import CategoricalAccuracy
from resources.widgets import ThresholdExplorer
from resources.widgets.threshold_explorer import threshold_explorer
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

THRESHOLDS = [0.01, 0.1, 0.25, 0.5, 0.73, 0.9, 0.99]


def _explorer(seed=3, n=80):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)

    def predict(points):
        return 1 / (1 + np.exp(-4 * points[:, 0] - points[:, 1]))

    return threshold_explorer(predict, X, y, cells=20)


def test_js_counts_agree_with_numpy_and_the_engine():
    explorer = _explorer()
    data = {"probs": explorer.probs, "labels": explorer.labels, "thresholds": THRESHOLDS}
    js = run_js(
        "threshold_explorer.js",
        "out(data.thresholds.map((t) => m.confusion(data.probs, data.labels, t)));",
        data,
    )
    labels = np.array(explorer.labels).reshape(-1, 1)
    for t, counts in zip(THRESHOLDS, js, strict=True):
        assert counts == pytest.approx(explorer.confusion(t))
        assert counts["tp"] + counts["fp"] + counts["tn"] + counts["fn"] == len(labels)
    # At 0.5 the count is the engine's binary accuracy (output > 0.5 against 0/1 labels).
    probs = np.array(explorer.probs).reshape(-1, 1)
    engine = CategoricalAccuracy().calculate(probs, labels)
    assert js[THRESHOLDS.index(0.5)]["accuracy"] == pytest.approx(engine, abs=1e-15)


def test_the_grid_is_the_network_at_the_cell_centres():
    explorer = _explorer()
    grid = np.array(explorer.grid)
    assert grid.shape == (20, 20)
    low, high = explorer.extent
    centres = low + (np.arange(20) + 0.5) * (high - low) / 20
    # row 0 is the top (largest x2), column 0 the left (smallest x1)
    expected_top_left = 1 / (1 + np.exp(-4 * centres[0] - centres[-1]))
    assert grid[0, 0] == pytest.approx(expected_top_left, abs=1e-4)
    expected = 1 / (1 + np.exp(-4 * centres[-1] - centres[0]))
    assert grid[-1, -1] == pytest.approx(expected, abs=1e-4)


def test_python_side_refuses_bad_input():
    good = {"grid": np.full((2, 2), 0.5), "points": np.zeros((3, 2)), "labels": [0, 1, 1]}
    with pytest.raises(ValueError, match="one label and one probability"):
        ThresholdExplorer(**good, probs=[0.1, 0.2])
    with pytest.raises(ValueError, match="0 or 1"):
        ThresholdExplorer(good["grid"], good["points"], [0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="probabilities in"):
        ThresholdExplorer(**good, probs=[0.1, 1.2, 0.3])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        ThresholdExplorer(good["grid"], np.zeros((3, 3)), [0, 1, 1], [0.1, 0.2, 0.3])
    explorer = ThresholdExplorer(**good, probs=[0.1, 0.6, 0.3])
    with pytest.raises(Exception, match="threshold must lie"):
        explorer.threshold = 1.5
    assert explorer.confusion(0.5) == {"tp": 1, "fp": 0, "tn": 1, "fn": 1, "accuracy": 2 / 3}


def _shown(page):
    keys = ("accuracy", "tp", "fn", "tn", "fp")
    return {k: float(page.inner_text(f"[data-testid=threshold-{k}]")) for k in keys}


def test_renders_and_follows_the_slider(tmp_path, browser):
    explorer = _explorer()
    with stand_in_page(browser, tmp_path, explorer) as page:
        assert page.locator("[data-testid=threshold-regions] rect").count() == 400
        assert page.locator("[data-testid=threshold-points] circle").count() == 80
        for t in (0.5, 0.2, 0.85):
            page.fill("[data-testid=threshold-t]", str(t))
            page.dispatch_event("[data-testid=threshold-t]", "input")
            assert page.evaluate("window.model.get('threshold')") == pytest.approx(t)
            counts = explorer.confusion(t)
            shown = _shown(page)
            assert shown["accuracy"] == pytest.approx(counts["accuracy"], abs=5e-4)
            for key in ("tp", "fn", "tn", "fp"):
                assert shown[key] == counts[key]
            ringed = page.locator("[data-testid=threshold-points] circle[stroke-width='1.6']")
            assert ringed.count() == counts["fp"] + counts["fn"]
        # the keyboard moves the threshold one step of 0.01
        state = press_on(page, "threshold-t", "ArrowRight")
        assert float(state["valuetext"]) == pytest.approx(0.86)
        assert _shown(page)["accuracy"] == pytest.approx(
            explorer.confusion(0.86)["accuracy"], abs=5e-4
        )
        assert check_controls(keyboard_walk(page)) == []
        assert axe_violations(page) == []
        screenshot(page, "threshold_explorer")


def test_fits_a_narrow_screen(tmp_path, browser):
    with stand_in_page(browser, tmp_path, _explorer(), width=390) as page:
        report = narrow_screen(page)
        screenshot(page, "threshold_explorer_390")
    assert report["scrollWidth"] <= report["width"]
    assert report["offscreen"] == [] and report["small"] == []


# ---------------------------------------------------------------------------------------------
# On the built static page (chapter 16), offline and with no kernel
# ---------------------------------------------------------------------------------------------


SCROLL_TO_WIDGET = """() => {
  const type = "application/vnd.jupyter.widget-view+json";
  document.querySelector(`script[type="${type}"]`).parentElement.scrollIntoView();
}"""


def stored_state(nb):
    """The threshold explorer's state as the executed chapter stores it."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (state,) = [w["state"] for w in states.values() if "probs" in w["state"]]
    return state


def check_static_page(tab, url, state):
    """Drive the explorer on the built page at ``url``; its counts must be NumPy's."""
    tab.goto(url)
    tab.evaluate(SCROLL_TO_WIDGET)  # the widget manager loads as a reader nears an explorer
    tab.wait_for_selector("[data-testid=threshold-map]", timeout=30_000)
    assert tab.get_by_test_id("threshold-map").count() == 1
    probs, labels = np.array(state["probs"]), np.array(state["labels"]) == 1
    for t in (0.5, 0.05, 0.3, 0.77, 0.99):
        if t != 0.5:
            tab.fill("[data-testid=threshold-t]", str(t))
            tab.dispatch_event("[data-testid=threshold-t]", "input")
        predicted = probs > t
        shown = _shown(tab)
        assert shown["accuracy"] == pytest.approx(np.mean(predicted == labels), abs=5e-4)
        assert shown["tp"] == np.sum(predicted & labels)
        assert shown["fp"] == np.sum(predicted & ~labels)
        assert shown["fn"] == np.sum(~predicted & labels)
    assert not tab.log.problems(), tab.log.problems()


def test_threshold_explorer_works_on_the_static_page(offline_page, site_url, executed):
    state = stored_state(executed("16_binary_logistic_regression"))
    check_static_page(offline_page, site_url + "book/16_binary_logistic_regression.html", state)
