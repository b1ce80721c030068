"""The ReLU-pieces explorer of chapter 4: Python vs the engine, its JS under Node, the stand-in
page (keyboard, 390 px) and the built static page.

The JS module is imported under Node (its pure functions are named exports) and evaluated on a
set of parameter settings; the Python class computes the same settings with ``DenseLayer`` and
``ReLU`` from the engine. In Chromium, clicking and sliding must update the model and the
drawing, and the error shown must be the one the engine computes for the same parameters.
"""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resources.classes import DenseLayer, ReLU
from resources.widgets import ReluPiecesExplorer
from resources.widgets.relu_pieces import plot_grid, preset_params, sample_grid
from tests.conftest import open_offline_page
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    open_built_page,
    press_on,
    screenshot,
    stand_in_page,
)

NODE_SCRIPT = """
const results = data.map(({ params, xs, n_error }) => ({
  output: m.networkOutput(params, xs),
  pieces: m.neuronPieces(params, xs),
  mse: m.meanSquaredError(params, n_error),
  kinks: params.w1.map((w, j) => m.kinkOf(w, params.b1[j])),
}));
const presets = {};
for (const k of [1, 2, 3, 5, 8, 16]) {
  presets[k] = { sine: m.presetParams("sine", k), zero: m.presetParams("zero", k) };
}
const grids = { sample: m.sampleGrid(7), plot: m.plotGrid(5) };
out({ results, presets, grids });
"""


def _settings():
    """Parameter settings: the presets, edge cases and random networks of several sizes."""
    rng = np.random.default_rng(42)
    xs = list(np.linspace(-0.25, 1.25, 61))  # also outside [0, 1], where pieces keep going
    settings = [
        {"params": preset_params("sine", 8), "xs": xs, "n_error": 1000},
        {"params": preset_params("zero", 8), "xs": xs, "n_error": 200},
        {"params": {"w1": [0.0], "b1": [0.7], "w2": [2.0], "b2": -0.3}, "xs": xs, "n_error": 50},
        {
            "params": {"w1": [-2.0, 3.0], "b1": [1.0, -1.5], "w2": [1.5, -0.5], "b2": 0.25},
            "xs": xs,
            "n_error": 333,
        },
    ]
    for k in (1, 3, 8, 16):
        params = {
            "w1": list(rng.uniform(-8, 8, k)),
            "b1": list(rng.uniform(-8, 8, k)),
            "w2": list(rng.uniform(-8, 8, k)),
            "b2": float(rng.uniform(-2, 2)),
        }
        settings.append({"params": params, "xs": xs, "n_error": 1000})
    return settings


@pytest.fixture(scope="module")
def js_results():
    settings = _settings()
    return settings, run_js("relu_pieces.js", NODE_SCRIPT, settings)


def _explorer_for(params, n_error=1000):
    explorer = ReluPiecesExplorer(n_hidden=len(params["w1"]), preset="zero", n_error=n_error)
    explorer.w1, explorer.b1, explorer.w2 = params["w1"], params["b1"], params["w2"]
    explorer.b2 = params["b2"]
    return explorer


def test_js_and_engine_agree_on_every_setting(js_results):
    settings, js = js_results
    assert len(js["results"]) == len(settings)
    for setting, result in zip(settings, js["results"], strict=True):
        explorer = _explorer_for(setting["params"], setting["n_error"])
        xs = np.array(setting["xs"])
        np.testing.assert_allclose(result["output"], explorer.output(xs), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            np.array(result["pieces"]).T, explorer.pieces(xs), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(result["mse"], explorer.mse(), rtol=1e-12)
        assert [k is None for k in result["kinks"]] == [k is None for k in explorer.kinks()]
        np.testing.assert_allclose(
            [k for k in result["kinks"] if k is not None],
            [k for k in explorer.kinks() if k is not None],
        )


def test_js_and_python_presets_and_grids_agree(js_results):
    _, js = js_results
    for k, presets in js["presets"].items():
        for name in ("sine", "zero"):
            py = preset_params(name, int(k))
            for key in ("w1", "b1", "w2"):
                np.testing.assert_allclose(presets[name][key], py[key], atol=1e-12)
            np.testing.assert_allclose(presets[name]["b2"], py["b2"], atol=1e-12)
    np.testing.assert_allclose(js["grids"]["sample"], sample_grid(7)[:, 0])
    np.testing.assert_allclose(js["grids"]["plot"], plot_grid(5)[:, 0])


def test_engine_mirror_is_the_engine():
    """The Python side equals an explicit DenseLayer -> ReLU -> DenseLayer forward pass."""
    explorer = ReluPiecesExplorer(n_hidden=8, preset="sine")
    explorer.set_neuron(2, w1=-1.5, b1=0.4, w2=2.5)
    x = sample_grid(100)
    hidden, relu, out = DenseLayer(1, 8), ReLU(), DenseLayer(8, 1)
    hidden.weights = np.array([explorer.w1])
    hidden.biases = np.array([explorer.b1])
    out.weights = np.array([explorer.w2]).T
    out.biases = np.array([[explorer.b2]])
    hidden.forward(x)
    relu.forward(hidden.output)
    out.forward(relu.output)
    np.testing.assert_allclose(explorer.output(x), out.output[:, 0])
    np.testing.assert_allclose(explorer.pieces(x).sum(axis=1) + explorer.b2, out.output[:, 0])


def test_hand_made_fit_joins_the_sine_points():
    """The "sine" preset is the broken line through (j/k, sin(2 pi j/k)), for any k."""
    for k in (2, 4, 8, 13):
        explorer = ReluPiecesExplorer(n_hidden=k, preset="sine")
        x = np.linspace(0, 1, 501)
        knots = np.linspace(0, 1, k + 1)
        np.testing.assert_allclose(
            explorer.output(x), np.interp(x, knots, np.sin(2 * np.pi * knots)), atol=1e-12
        )
    # Eight pieces fit well; the error falls like 1/k^4 as the pieces shorten.
    errors = [ReluPiecesExplorer(n_hidden=k).mse() for k in (4, 8, 16)]
    assert errors[1] < 0.002
    assert 10 < errors[0] / errors[1] < 20 and 10 < errors[1] / errors[2] < 20


def test_driving_the_python_side():
    explorer = ReluPiecesExplorer()
    assert explorer.n_hidden == 8 and explorer.selected == 0
    good = explorer.mse()
    explorer.set_neuron(4, w2=-2.0)
    assert explorer.selected == 4 and explorer.w2[4] == -2.0
    assert explorer.mse() > 10 * good
    explorer.set_neuron(4, w1=2.0, b1=-0.5)
    assert explorer.kinks()[4] == pytest.approx(0.25)
    explorer.load_preset("sine")
    assert explorer.mse() == pytest.approx(good)
    explorer.load_preset("zero")
    np.testing.assert_array_equal(explorer.output(plot_grid(11)), np.zeros(11))
    assert explorer.mse() == pytest.approx(0.5)  # the mean of sin^2 over a full period
    explorer.b2 = 0.5
    np.testing.assert_allclose(explorer.output(plot_grid(3)), 0.5)
    assert explorer.mse() == pytest.approx(0.75)  # mean of (0.5 - sin)^2 = 0.25 + 0.5


def test_synced_state_holds_what_the_page_needs():
    explorer = ReluPiecesExplorer(n_hidden=3)
    state = explorer.get_state()
    for key in ("w1", "b1", "w2", "b2", "selected", "show_pieces", "n_plot", "n_error", "_esm"):
        assert key in state, key
    assert "export default { render }" in state["_esm"]
    assert state["w1"] == [1.0, 1.0, 1.0]


def test_the_reader_random_stream_is_untouched():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    ReluPiecesExplorer(n_hidden=5)
    np.testing.assert_array_equal(np.random.rand(3), expected)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: ReluPiecesExplorer(n_hidden=0), ValueError),
        (lambda: ReluPiecesExplorer(n_hidden=2.5), TypeError),
        (lambda: ReluPiecesExplorer(n_hidden=True), TypeError),
        (lambda: ReluPiecesExplorer(preset="cosine"), ValueError),
        (lambda: setattr(ReluPiecesExplorer(), "w1", [1.0, 2.0]), ValueError),
        (lambda: setattr(ReluPiecesExplorer(), "b1", [float("nan")] * 8), ValueError),
        (lambda: setattr(ReluPiecesExplorer(), "selected", 8), ValueError),
        (lambda: ReluPiecesExplorer().set_neuron(8, w1=1.0), ValueError),
        (lambda: ReluPiecesExplorer().set_neuron("2", w1=1.0), TypeError),
    ],
)
def test_bad_input_gives_a_clear_error(make, error):
    with pytest.raises(error):
        make()


_value = st.floats(-8, 8, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            st.lists(_value, min_size=k, max_size=k),
            st.lists(_value, min_size=k, max_size=k),
            st.lists(_value, min_size=k, max_size=k),
            st.floats(-2, 2, allow_nan=False),
        )
    )
)
def test_output_is_the_sum_of_hinges(params):
    """Any parameters: the engine-backed output is the formula of chapter 4, term by term."""
    w1, b1, w2, b2 = params
    explorer = _explorer_for({"w1": w1, "b1": b1, "w2": w2, "b2": b2})
    x = np.linspace(-0.5, 1.5, 41)
    formula = b2 + sum(v * np.maximum(0.0, w * x + b) for w, b, v in zip(w1, b1, w2, strict=True))
    np.testing.assert_allclose(explorer.output(x), formula, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# In Chromium: the widget's module with a stand-in model
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def page(tmp_path, browser):
    with stand_in_page(browser, tmp_path, ReluPiecesExplorer(n_hidden=8, preset="sine")) as tab:
        yield tab


def _state(tab):
    return tab.evaluate("JSON.parse(JSON.stringify(window.model.values))")


def _shown_mse(tab):
    return float(tab.get_by_test_id("relu-mse").inner_text().split(":")[1])


def test_renders_the_hand_made_fit(page):
    assert page.get_by_test_id("relu-curve").get_attribute("d").startswith("M")
    assert page.get_by_test_id("relu-target").get_attribute("d").startswith("M")
    assert page.locator("[data-testid^=relu-neuron-]").count() == 9  # 8 buttons + readout
    assert page.locator("[data-testid^=relu-piece-]").count() == 8
    assert _shown_mse(page) == pytest.approx(_explorer_for(_state(page)).mse(), abs=1e-5)


def test_sliders_move_the_selected_neuron(page):
    page.get_by_test_id("relu-neuron-3").click()
    assert _state(page)["selected"] == 3
    saves = page.evaluate("window.model.saved")
    page.get_by_test_id("relu-w2").fill("-1.5")
    page.get_by_test_id("relu-b1").fill("-0.6")
    state = _state(page)
    assert state["w2"][3] == -1.5 and state["b1"][3] == -0.6
    assert page.evaluate("window.model.saved") == saves + 2
    readout = page.get_by_test_id("relu-neuron-readout").inner_text()
    assert "-1.50 * max(0, 1.00 * x - 0.60)" in readout
    assert "x = 0.600" in readout
    assert _shown_mse(page) == pytest.approx(_explorer_for(state).mse(), abs=1e-5)
    page.get_by_test_id("relu-b2").fill("0.3")
    assert _state(page)["b2"] == 0.3
    assert _shown_mse(page) == pytest.approx(_explorer_for(_state(page)).mse(), abs=1e-5)


def test_presets_and_pieces_toggle(page):
    page.get_by_test_id("relu-preset-zero").click()
    state = _state(page)
    assert state["w1"] == [0] * 8 and state["b2"] == 0
    assert _shown_mse(page) == pytest.approx(0.5, abs=1e-5)
    page.get_by_test_id("relu-preset-sine").click()
    assert _shown_mse(page) == pytest.approx(ReluPiecesExplorer().mse(), abs=1e-5)
    page.get_by_test_id("relu-show-pieces").uncheck()
    assert _state(page)["show_pieces"] is False
    assert page.locator("[data-testid^=relu-piece-]").count() == 0
    page.get_by_test_id("relu-show-pieces").check()
    assert page.locator("[data-testid^=relu-piece-]").count() == 8


def test_keyboard_alone_works_the_explorer(page):
    walk = keyboard_walk(page)
    expected = [
        "relu-preset-sine",
        "relu-preset-zero",
        "relu-show-pieces",
        *(f"relu-neuron-{j}" for j in range(8)),
        "relu-w1",
        "relu-b1",
        "relu-w2",
        "relu-b2",
    ]
    assert [c["testid"] for c in walk] == expected
    assert check_controls(walk) == []
    assert walk[3]["name"] == "neuron 1" and walk[-1]["name"] == "output bias b2 (shared)"
    # A neuron button keeps focus when pressed (it is updated in place, not rebuilt).
    after = press_on(page, "relu-neuron-4", "Enter")
    assert after["testid"] == "relu-neuron-4"
    assert _state(page)["selected"] == 4
    assert page.get_by_test_id("relu-neuron-4").get_attribute("aria-pressed") == "true"
    assert page.get_by_test_id("relu-neuron-0").get_attribute("aria-pressed") == "false"
    after = press_on(page, "relu-neuron-5", "Space")
    assert after["testid"] == "relu-neuron-5" and _state(page)["selected"] == 5
    # Arrow keys move the slider by 0.01, Page Up by 0.1; the value and ARIA follow. From a
    # value between two notches (the hand-made fit's 3.3137...) the first press lands on one.
    before = _state(page)["w2"][5]
    after = press_on(page, "relu-w2", "ArrowRight")
    assert after["testid"] == "relu-w2"
    assert _state(page)["w2"][5] == pytest.approx(math.ceil(before * 100) / 100)
    page.get_by_test_id("relu-w2").fill("1.5")
    page.keyboard.press("ArrowRight")
    assert _state(page)["w2"][5] == pytest.approx(1.51)
    page.keyboard.press("PageUp")
    assert _state(page)["w2"][5] == pytest.approx(1.61)
    page.keyboard.press("ArrowLeft")
    assert _state(page)["w2"][5] == pytest.approx(1.60)
    assert page.get_by_test_id("relu-w2").get_attribute("aria-valuetext") == "1.60"
    assert float(page.get_by_test_id("relu-w2").get_attribute("aria-valuenow")) == 1.6
    assert _shown_mse(page) == pytest.approx(_explorer_for(_state(page)).mse(), abs=1e-5)
    # The presets by keyboard: focus stays on the button.
    after = press_on(page, "relu-preset-zero", "Enter")
    assert after["testid"] == "relu-preset-zero" and _shown_mse(page) == pytest.approx(0.5)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser):
    with stand_in_page(browser, tmp_path, ReluPiecesExplorer(), width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "relu-pieces-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report


# ---------------------------------------------------------------------------------------------
# On chapter 4's built page: no kernel, no network
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapter_page(built_book, browser, site_url):
    site = Path(built_book) / "_build" / "html"
    assert (site / "vendor" / "html-manager").exists(), "the built site has no widget scripts"
    tab = open_offline_page(browser)
    open_built_page(tab, site_url, "04_activation_functions", "relu-mse")
    yield tab
    tab.context.close()


def test_explorer_renders_and_responds_on_the_static_page(chapter_page):
    tab = chapter_page
    reference = ReluPiecesExplorer(n_hidden=8, preset="sine")
    assert _shown_mse(tab) == pytest.approx(reference.mse(), abs=1e-5)
    assert tab.locator("[data-testid^=relu-piece-]").count() == 8

    curve = tab.get_by_test_id("relu-curve").get_attribute("d")
    tab.get_by_test_id("relu-neuron-4").click()
    tab.get_by_test_id("relu-w2").fill("-2")
    reference.set_neuron(4, w2=-2.0)
    assert tab.get_by_test_id("relu-curve").get_attribute("d") != curve
    assert _shown_mse(tab) == pytest.approx(reference.mse(), abs=1e-5)
    assert "switches on at x = 0.500" in tab.get_by_test_id("relu-neuron-readout").inner_text()

    tab.get_by_test_id("relu-preset-zero").click()
    assert _shown_mse(tab) == pytest.approx(0.5, abs=1e-5)
    tab.get_by_test_id("relu-preset-sine").click()
    assert _shown_mse(tab) == pytest.approx(ReluPiecesExplorer().mse(), abs=1e-5)
    # By keyboard on the page itself: a neuron button keeps focus and shows it (issue 13).
    after = press_on(tab, "relu-neuron-2", "Enter")
    assert after["testid"] == "relu-neuron-2" and after["outline"]
    assert tab.get_by_test_id("relu-neuron-2").get_attribute("aria-pressed") == "true"
    after = press_on(tab, "relu-w1", "ArrowLeft")
    assert after["testid"] == "relu-w1" and after["height"] >= 24 and after["outline"]
    assert "1.00 * x - 0.25" not in tab.get_by_test_id("relu-neuron-readout").inner_text()
    assert "0.99 * x - 0.25" in tab.get_by_test_id("relu-neuron-readout").inner_text()
    assert not tab.log.problems(), tab.log.problems()
