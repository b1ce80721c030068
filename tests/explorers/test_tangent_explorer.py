"""The tangent explorer: its JS (run under Node) agrees with Python, and Python can drive it."""

import itertools
import math

import numpy as np
import pytest

from resources.classes import ReLU
from resources.widgets import TangentExplorer
from resources.widgets.tangent_explorer import CURVES, SettingError, explorer_state
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

KEYS = ["value", "numerical_slope", "analytical_slope", "error", "intercept"]
GRID_X = [-2.0, -1.3, -0.5, -1e-3, 0.0, 1e-3, 0.25, 1.0, 1.7, 2.0]
GRID_H = [1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.1, 0.5, 1.0]

JS_STATES = """out({
  curves: Object.keys(m.CURVES),
  out: data.map(([c, x, h]) => m.explorerState(c, x, h)),
  range: [m.X_MIN, m.X_MAX, m.LOG_H_MIN, m.LOG_H_MAX],
});"""


def test_js_and_python_agree_over_a_grid():
    settings = [list(s) for s in itertools.product(CURVES, GRID_X, GRID_H)]
    js = run_js("tangent_explorer.js", JS_STATES, settings)
    assert js["curves"] == list(CURVES)
    for (curve, x, h), from_js in zip(settings, js["out"], strict=True):
        from_python = explorer_state(curve, x, h)
        for key in KEYS:
            # Same float64 operations in the same order: they agree to the last bits
            # (sin may differ by an ulp between libraries, which 1/h can magnify).
            np.testing.assert_allclose(
                from_js[key],
                from_python[key],
                rtol=1e-12,
                atol=1e-15 / h,
                err_msg=f"{key} for {curve} at x={x}, h={h}",
            )


def test_js_ranges_match_python():
    from resources.widgets import tangent_explorer as py

    js = run_js("tangent_explorer.js", JS_STATES, [])
    assert js["range"] == [py.X_MIN, py.X_MAX, math.log10(py.H_MIN), math.log10(py.H_MAX)]


@pytest.mark.parametrize("x", GRID_X)
def test_relu_curve_is_the_engine(x):
    relu = ReLU()
    relu.forward([[x]])
    relu.backward([[1.0]])
    state = explorer_state("relu", x, 1e-3)
    assert state["value"] == relu.output[0, 0]
    assert state["analytical_slope"] == relu.dinputs[0, 0]


@pytest.mark.parametrize("curve", list(CURVES))
def test_analytical_slopes_match_a_numerical_check(curve):
    # Away from ReLU's kink, the central difference with a moderate step is within O(h^2).
    for x in [-1.7, -0.6, 0.3, 1.2]:
        state = explorer_state(curve, x, 1e-5)
        assert abs(state["numerical_slope"] - state["analytical_slope"]) < 1e-8


def test_python_side_drives_the_widget():
    explorer = TangentExplorer(curve="square", x=1.0, h=1e-3)
    assert explorer.value == 2.0
    assert explorer.analytical_slope == 4.0
    # 2x^2 is a parabola: the central difference is exact up to round-off.
    assert explorer.numerical_slope == pytest.approx(4.0, abs=1e-9)

    state = explorer.step(0.5)
    assert explorer.x == 1.5
    assert state["analytical_slope"] == explorer.analytical_slope == 6.0
    assert explorer.value == pytest.approx(4.5)

    explorer.step(10)  # stops at the right end of the range
    assert explorer.x == 2.0

    explorer.curve = "cubic"
    assert explorer.analytical_slope == pytest.approx(3 * 2.0**2 - 1)
    # For x^3 - x the central difference is off by exactly h^2 (the third derivative is 6).
    explorer.h = 0.1
    assert explorer.error == pytest.approx(0.1**2, rel=1e-9)

    explorer.curve = "relu"
    explorer.x = 0.0
    assert explorer.analytical_slope == 0.0  # the engine's convention at the kink
    assert explorer.numerical_slope == pytest.approx(0.5)  # the secant straddles the kink


def test_tangent_line_touches_the_curve():
    for curve in CURVES:
        state = explorer_state(curve, 0.7, 1e-4)
        assert state["analytical_slope"] * 0.7 + state["intercept"] == pytest.approx(state["value"])


@pytest.mark.parametrize(
    "setting, value",
    [("curve", "tan"), ("x", 3.0), ("x", -2.5), ("h", 0.0), ("h", -1e-3), ("h", 2.0)],
)
def test_bad_settings_are_refused_clearly(setting, value):
    assert issubclass(SettingError, ValueError)
    explorer = TangentExplorer()
    with pytest.raises(SettingError, match=setting if setting != "curve" else "unknown curve"):
        setattr(explorer, setting, value)


def test_state_is_synced_to_the_page():
    explorer = TangentExplorer(curve="sine", x=0.5, h=1e-2)
    state = explorer.get_state()
    for key in ["curve", "x", "h", "value", "numerical_slope", "analytical_slope", "error"]:
        assert key in state
    assert state["curve"] == "sine"
    assert state["analytical_slope"] == pytest.approx(math.cos(0.5))
    assert "_esm" in state and "explorerState" in state["_esm"]


# ---------------------------------------------------------------------------------------------
# In a real browser: the widget's render() with a stand-in for the widget model
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def page(tmp_path, browser):
    """The widget's own module in Chromium with a stand-in model (see ``stand_in.py``)."""
    with stand_in_page(browser, tmp_path, TangentExplorer(curve="square", x=1.0, h=1e-3)) as tab:
        yield tab


def readouts(tab):
    keys = ["value", "numerical-slope", "analytical-slope", "error"]
    return {k: float(tab.get_by_test_id(f"tangent-{k}").inner_text()) for k in keys}


def assert_page_matches_python(tab):
    values = tab.evaluate("window.model.values")
    expected = explorer_state(values["curve"], values["x"], values["h"])
    shown = readouts(tab)
    for key in ["value", "numerical_slope", "analytical_slope", "error"]:
        # The page rounds to 6 decimals or 4 significant digits.
        assert shown[key.replace("_", "-")] == pytest.approx(expected[key], rel=1e-3, abs=1e-6), key
    return values


def move(tab, test_id, value):
    tab.get_by_test_id(test_id).evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value
    )


def test_page_responds_to_the_controls(page):
    assert page.get_by_test_id("tangent-plot").is_visible()
    assert page.get_by_test_id("tangent-line").count() == 1
    assert page.get_by_test_id("secant-line").count() == 1
    assert_page_matches_python(page)
    assert readouts(page)["analytical-slope"] == 4.0

    move(page, "tangent-x", "-1.5")
    values = assert_page_matches_python(page)
    assert values["x"] == -1.5
    assert readouts(page)["analytical-slope"] == -6.0

    page.get_by_test_id("tangent-curve").select_option("cubic")
    move(page, "tangent-log-h", "-1")
    values = assert_page_matches_python(page)
    assert values["curve"] == "cubic" and values["h"] == pytest.approx(0.1)
    assert readouts(page)["error"] == pytest.approx(0.01, rel=1e-3)  # h^2 for x^3 - x
    assert page.evaluate("window.model.saved") == 3  # every change was sent to the kernel

    page.get_by_test_id("tangent-curve").select_option("relu")
    move(page, "tangent-x", "0")
    assert_page_matches_python(page)
    assert readouts(page)["numerical-slope"] == 0.5


def test_page_follows_python_changes(page):
    page.evaluate("window.pythonSets('curve', 'sine')")
    page.evaluate("window.pythonSets('x', 0.75)")
    assert_page_matches_python(page)
    assert page.get_by_test_id("tangent-x").input_value() == "0.75"
    assert page.get_by_test_id("tangent-curve").input_value() == "sine"


def test_keyboard_alone_works_the_explorer(page):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["tangent-curve", "tangent-x", "tangent-log-h"]
    assert check_controls(walk) == []
    assert [c["name"] for c in walk] == ["curve", "point x", "step h"]
    # One arrow press is one step of 0.01 in x, of 0.1 in log10 h; focus stays on the slider.
    after = press_on(page, "tangent-x", "ArrowRight")
    assert after["testid"] == "tangent-x" and after["valuetext"] == "1.01"
    assert page.evaluate("window.model.values.x") == pytest.approx(1.01)
    assert float(after["valuenow"]) == pytest.approx(1.01)
    press_on(page, "tangent-x", "PageDown")
    assert page.evaluate("window.model.values.x") == pytest.approx(0.91)
    after = press_on(page, "tangent-log-h", "ArrowLeft")
    assert after["valuetext"] == "7.9e-4"  # 10 ** -3.1
    assert page.evaluate("Math.log10(window.model.values.h)") == pytest.approx(-3.1)
    assert_page_matches_python(page)
    after = press_on(page, "tangent-curve", "ArrowDown")
    assert after["testid"] == "tangent-curve"
    assert page.evaluate("window.model.values.curve") == "cubic"
    assert_page_matches_python(page)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser):
    explorer = TangentExplorer(curve="cubic", x=-1.0, h=0.1)
    with stand_in_page(browser, tmp_path, explorer, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "tangent-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
        assert_page_matches_python(tab)


# ---------------------------------------------------------------------------------------------
# On the built static page (chapter 7), offline and with no kernel
# ---------------------------------------------------------------------------------------------


def test_tangent_explorer_works_on_the_static_page(offline_page, site_url):
    tab = offline_page
    open_built_page(tab, site_url, "07_derivatives", "tangent-plot")
    assert tab.get_by_test_id("tangent-plot").count() == 1  # one explorer is displayed

    def shown_state():
        return {
            "curve": tab.get_by_test_id("tangent-curve").input_value(),
            "x": float(tab.get_by_test_id("tangent-x").input_value()),
            "h": 10 ** float(tab.get_by_test_id("tangent-log-h").input_value()),
        }

    def assert_matches_python():
        state = shown_state()
        expected = explorer_state(state["curve"], state["x"], state["h"])
        shown = readouts(tab)
        for key in ["value", "numerical_slope", "analytical_slope", "error"]:
            assert shown[key.replace("_", "-")] == pytest.approx(
                expected[key], rel=1e-3, abs=1e-6
            ), (key, state)
        return state

    # The page starts where the chapter's Python cell left it: 2x^2 at x = 1, h = 1e-3.
    assert assert_matches_python() == {"curve": "square", "x": 1.0, "h": pytest.approx(1e-3)}
    for curve in CURVES:
        tab.get_by_test_id("tangent-curve").select_option(curve)
        for x in ["-1.7", "-0.25", "0", "1.3"]:
            move(tab, "tangent-x", x)
            for log_h in ["-6", "-2", "0"]:
                move(tab, "tangent-log-h", log_h)
                assert_matches_python()
    assert not tab.log.problems(), tab.log.problems()
