"""The ReLU-pieces explorer's ``render`` in a real browser, with a stand-in for the widget model.

The page imports the very ES module the widget ships and renders it with a minimal model (the
``get``/``set``/``save_changes``/``on`` subset that anywidget provides), starting from the
Python widget's synced state. Clicking and sliding must update the model and the drawing, and
the error shown must be the one the engine computes for the same parameters.
"""

import json
from pathlib import Path

import pytest

from resources.widgets import ReluPiecesExplorer
from tests.conftest import harness_page

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "resources" / "widgets" / "relu_pieces.js"
PAGE = """<!doctype html>
<html><body><div id="root"></div>
<script type="module">
import widget from "./relu_pieces.mjs";
const state = STATE;
const listeners = {};
const model = {
  get: (key) => state[key],
  set: (key, value) => {
    state[key] = value;
    for (const callback of listeners[`change:${key}`] || []) callback();
  },
  save_changes: () => { window.saves += 1; },
  on: (event, callback) => { (listeners[event] ||= []).push(callback); },
  off: (event, callback) => {
    listeners[event] = (listeners[event] || []).filter((c) => c !== callback);
  },
};
window.saves = 0;
window.state = state;
widget.render({ model, el: document.getElementById("root") });
window.ready = true;
</script></body></html>
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("relu_page")
    (folder / "relu_pieces.mjs").write_text(JS.read_text())
    synced = ReluPiecesExplorer(n_hidden=8, preset="sine").get_state()
    state = {key: value for key, value in synced.items() if not key.startswith("_")}
    (folder / "index.html").write_text(PAGE.replace("STATE", json.dumps(state)))
    with harness_page(browser, folder, ready="window.ready === true") as tab:
        yield tab, tab.errors


def _state(tab):
    return tab.evaluate("JSON.parse(JSON.stringify(window.state))")


def _engine_mse(state):
    explorer = ReluPiecesExplorer(n_hidden=len(state["w1"]), preset="zero")
    explorer.w1, explorer.b1, explorer.w2, explorer.b2 = (
        state["w1"],
        state["b1"],
        state["w2"],
        state["b2"],
    )
    explorer.n_error = state["n_error"]
    return explorer.mse()


def _shown_mse(tab):
    return float(tab.get_by_test_id("relu-mse").inner_text().split(":")[1])


def test_renders_the_hand_made_fit(page):
    tab, errors = page
    assert errors == []
    assert tab.get_by_test_id("relu-curve").get_attribute("d").startswith("M")
    assert tab.get_by_test_id("relu-target").get_attribute("d").startswith("M")
    assert tab.locator("[data-testid^=relu-neuron-]").count() == 9  # 8 buttons + readout
    assert tab.locator("[data-testid^=relu-piece-]").count() == 8
    assert _shown_mse(tab) == pytest.approx(_engine_mse(_state(tab)), abs=1e-5)


def test_sliders_move_the_selected_neuron(page):
    tab, errors = page
    tab.get_by_test_id("relu-neuron-3").click()
    assert _state(tab)["selected"] == 3
    saves = tab.evaluate("window.saves")
    tab.get_by_test_id("relu-w2").fill("-1.5")
    tab.get_by_test_id("relu-b1").fill("-0.6")
    state = _state(tab)
    assert state["w2"][3] == -1.5 and state["b1"][3] == -0.6
    assert tab.evaluate("window.saves") == saves + 2
    assert (
        "-1.50 * max(0, 1.00 * x - 0.60)" in tab.get_by_test_id("relu-neuron-readout").inner_text()
    )
    assert "x = 0.600" in tab.get_by_test_id("relu-neuron-readout").inner_text()
    assert _shown_mse(tab) == pytest.approx(_engine_mse(state), abs=1e-5)
    tab.get_by_test_id("relu-b2").fill("0.3")
    assert _state(tab)["b2"] == 0.3
    assert _shown_mse(tab) == pytest.approx(_engine_mse(_state(tab)), abs=1e-5)
    assert errors == []


def test_presets_and_pieces_toggle(page):
    tab, errors = page
    tab.get_by_test_id("relu-preset-zero").click()
    state = _state(tab)
    assert state["w1"] == [0] * 8 and state["b2"] == 0
    assert _shown_mse(tab) == pytest.approx(0.5, abs=1e-5)
    tab.get_by_test_id("relu-preset-sine").click()
    assert _shown_mse(tab) == pytest.approx(ReluPiecesExplorer().mse(), abs=1e-5)
    tab.get_by_test_id("relu-show-pieces").uncheck()
    assert _state(tab)["show_pieces"] is False
    assert tab.locator("[data-testid^=relu-piece-]").count() == 0
    tab.get_by_test_id("relu-show-pieces").check()
    assert tab.locator("[data-testid^=relu-piece-]").count() == 8
    assert errors == []
