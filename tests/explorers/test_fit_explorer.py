"""The fit explorer (chapter 17): its JS loss and accuracy agree with the engine's on the stored
predictions; it renders and follows its slider in Chromium, by mouse and keyboard, at 390 px."""

import numpy as np
import pytest

from resources.classes import MeanSquaredError
from resources.model import RegressionAccuracy
from resources.widgets import FitExplorer
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

PRECISION = 0.01


def _explorer(n=60):
    x = np.arange(n) / n
    y = np.sin(2 * np.pi * x)
    rng = np.random.default_rng(5)
    long_epochs, short_epochs = [0, 10, 100, 1000, 5000], [0, 10, 100]
    long_run = [y * (1 - 1 / (1 + e)) + rng.normal(0, 0.01, n) for e in long_epochs]
    short_run = [0.5 * y * (e > 0) + rng.normal(0, 0.01, n) for e in short_epochs]
    return FitExplorer(
        x,
        y,
        runs=[("long", long_epochs, long_run), ("short", short_epochs, short_run)],
        precision=PRECISION,
    )


def test_js_scores_agree_with_the_engine():
    explorer = _explorer()
    js = run_js(
        "fit_explorer.js",
        """out(data.runs.map((run) => data.epochs.map((e) => {
          const p = m.predictionsAt(run, e);
          return p === null ? null
            : [m.meanSquaredError(p, data.targets), m.accuracy(p, data.targets, data.precision)];
        })));""",
        {
            "runs": explorer.runs,
            "epochs": explorer.epochs,
            "targets": explorer.targets,
            "precision": explorer.precision,
        },
    )
    accuracy = RegressionAccuracy(precision=PRECISION)
    targets = np.array(explorer.targets)[:, None]
    for run_index, run in enumerate(explorer.runs):
        for epoch, from_js in zip(explorer.epochs, js[run_index], strict=True):
            engine = explorer.scores(run_index, epoch)
            if epoch not in run["epochs"]:
                assert from_js is None and engine is None
                continue
            np.testing.assert_allclose(from_js[0], engine[0], rtol=1e-12)
            assert from_js[1] == engine[1]
            predictions = np.array(run["predictions"][run["epochs"].index(epoch)])[:, None]
            assert engine[0] == pytest.approx(
                MeanSquaredError().calculate(predictions, targets), rel=1e-15
            )
            assert engine[1] == accuracy.calculate(predictions, targets)


def test_python_side_refuses_bad_input():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="same non-empty length"):
        FitExplorer(x, x[:4], runs=[], precision=0.1)
    with pytest.raises(ValueError, match=r"\(epochs, points\)"):
        FitExplorer(x, x, runs=[("a", [0, 1], np.zeros((2, 4)))], precision=0.1)
    with pytest.raises(ValueError, match="precision"):
        FitExplorer(x, x, runs=[("a", [0], np.zeros((1, 5)))], precision=0)
    explorer = FitExplorer(x, x, runs=[("a", [0, 7], np.zeros((2, 5)))], precision=0.1)
    assert explorer.epochs == [0, 7] and explorer.epoch == 7
    with pytest.raises(Exception, match="no checkpoint at epoch 3"):
        explorer.epoch = 3


def _shown(page, i):
    return (
        page.inner_text(f"[data-testid=fit-loss-{i}]"),
        page.inner_text(f"[data-testid=fit-acc-{i}]"),
    )


def test_renders_and_follows_the_slider(tmp_path, browser):
    explorer = _explorer()
    with stand_in_page(browser, tmp_path, explorer) as page:
        for index in (0, 3, 2):
            page.fill("[data-testid=fit-epoch]", str(index))
            page.dispatch_event("[data-testid=fit-epoch]", "input")
            epoch = explorer.epochs[index]
            assert page.evaluate("window.model.get('epoch')") == epoch
            for run in (0, 1):
                loss, acc = _shown(page, run)
                engine = explorer.scores(run, epoch)
                path = page.get_attribute(f"[data-testid=fit-curve-{run}]", "d")
                if engine is None:
                    assert loss == "not run this far" and path == ""
                    continue
                assert float(loss) == pytest.approx(engine[0], rel=6e-3)
                assert float(acc) == pytest.approx(engine[1], abs=5e-4)
                assert path.count("L") == len(explorer.x) - 1
        state = press_on(page, "fit-epoch", "ArrowRight")  # from epoch 100 to 1000
        assert state["valuetext"] == "1000"
        assert page.evaluate("window.model.get('epoch')") == 1000
        assert check_controls(keyboard_walk(page)) == []
        assert axe_violations(page) == []
        screenshot(page, "fit_explorer")


def test_fits_a_narrow_screen(tmp_path, browser):
    with stand_in_page(browser, tmp_path, _explorer(), width=390) as page:
        report = narrow_screen(page)
        screenshot(page, "fit_explorer_390")
    assert report["scrollWidth"] <= report["width"]
    assert report["offscreen"] == [] and report["small"] == []


# ---------------------------------------------------------------------------------------------
# On the built static page (chapter 17), offline and with no kernel
# ---------------------------------------------------------------------------------------------


SCROLL_TO_WIDGET = """() => {
  const type = "application/vnd.jupyter.widget-view+json";
  document.querySelector(`script[type="${type}"]`).parentElement.scrollIntoView();
}"""


def stored_state(nb):
    """The fit explorer's state as the executed chapter stores it."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (state,) = [w["state"] for w in states.values() if "runs" in w["state"]]
    return state


def check_static_page(tab, url, state):
    """Drive the explorer on the built page at ``url``; its scores must be the engine's."""
    tab.goto(url)
    tab.evaluate(SCROLL_TO_WIDGET)  # the widget manager loads as a reader nears an explorer
    tab.wait_for_selector("[data-testid=fit-plot]", timeout=30_000)
    assert tab.get_by_test_id("fit-plot").count() == 1
    targets = np.array(state["targets"])[:, None]
    epochs = state["epochs"]
    assert int(tab.get_by_test_id("fit-epoch-value").inner_text()) == 200  # as the chapter set
    for index in (0, epochs.index(300), epochs.index(1000), len(epochs) - 1):
        tab.fill("[data-testid=fit-epoch]", str(index))
        tab.dispatch_event("[data-testid=fit-epoch]", "input")
        for i, run in enumerate(state["runs"]):
            loss, acc = _shown(tab, i)
            if epochs[index] not in run["epochs"]:
                assert loss == "not run this far"
                continue
            predictions = np.array(run["predictions"][run["epochs"].index(epochs[index])])
            engine = MeanSquaredError().calculate(predictions[:, None], targets)
            assert float(loss) == pytest.approx(engine, rel=6e-3)
            hits = np.absolute(predictions[:, None] - targets) < state["precision"]
            assert float(acc) == pytest.approx(np.mean(hits), abs=5e-4)
    assert not tab.log.problems(), tab.log.problems()


def test_fit_explorer_works_on_the_static_page(offline_page, site_url, executed):
    state = stored_state(executed("17_regression"))
    check_static_page(offline_page, site_url + "book/17_regression.html", state)
