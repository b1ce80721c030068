"""The neuron explorer of chapter 9: Python through the engine, its JS under Node, the stand-in
page (keyboard, 390 px) and the built static page.

``NeuronExplorer`` computes through the engine (``DenseLayer``, ``ReLU``, ``SGD``), and is
itself checked against a numerical gradient; every other check compares with it, so the
neuron's arithmetic is written once here.
"""

import numpy as np
import pytest

from resources.widgets import NeuronExplorer
from resources.widgets.neuron_explorer import LOG_LR_RANGE, W_RANGE, NeuronGraph
from tests.conftest import open_offline_page
from tests.explorers.node_harness import run_js
from tests.explorers.stand_in import (
    SCREENSHOTS,
    axe_violations,
    check_controls,
    keyboard_walk,
    narrow_screen,
    open_built_page,
    press_on,
    screenshot,
    stand_in_page,
)

X = [1.0, -2.0, 3.0]
FIELDS = ("output", "dw0", "dw1", "dw2", "db")
PARAMETERS = ("w0", "w1", "w2", "b")


def reference(w, b, lr=0.001):
    """What the page must show for these parameters: ``NeuronExplorer`` (the engine)."""
    explorer = NeuronExplorer(weights=w, bias=b, learning_rate=lr)
    return {"output": explorer.output, **explorer.gradients()}


# ---------------------------------------------------------------------------
# Driven from Python
# ---------------------------------------------------------------------------


def test_starts_at_six_with_the_chapter_gradients():
    explorer = NeuronExplorer()
    assert explorer.output == pytest.approx(6.0)
    assert explorer.gradients() == {"dw0": 1.0, "dw1": -2.0, "dw2": 3.0, "db": 1.0}
    assert isinstance(explorer.graph, NeuronGraph)
    assert explorer.graph.x == X
    assert explorer.graph.lr == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("w", "b"), [([-3.0, -1.0, 2.0], 1.0), ([2.0, -1.5, 0.5], 0.25), ([0.4, 0.3, -0.2], -0.1)]
)
def test_engine_gradients_pass_a_numerical_check(w, b):
    explorer = NeuronExplorer(weights=w, bias=b)
    analytic = explorer.gradients()
    h = 1e-6
    for i, name in enumerate(("dw0", "dw1", "dw2", "db")):
        params = [*w, b]
        up, down = list(params), list(params)
        up[i] += h
        down[i] -= h
        slope = (
            NeuronExplorer(weights=up[:3], bias=up[3]).output
            - NeuronExplorer(weights=down[:3], bias=down[3]).output
        ) / (2 * h)
        assert analytic[name] == pytest.approx(slope, abs=1e-6), name


def test_one_step_gives_5_985():
    explorer = NeuronExplorer()
    assert explorer.step() == pytest.approx(5.985, abs=1e-12)
    assert f"{explorer.output:.3f}" == "5.985"
    np.testing.assert_allclose(
        [*explorer.weights, explorer.bias], [-3.001, -0.998, 1.997, 0.999], atol=1e-12
    )
    assert explorer.graph.steps == 1


def test_each_step_lowers_the_output_by_lr_times_squared_norm():
    # dy/dw = x and dy/db = 1, so one step changes y by -lr * (|x|^2 + 1) = -0.015 at lr 0.001.
    explorer = NeuronExplorer()
    outputs = [explorer.output] + [explorer.step() for _ in range(50)]
    np.testing.assert_allclose(np.diff(outputs), -0.001 * (1 + 4 + 9 + 1), atol=1e-9)


def test_many_steps_reach_zero_and_stay_there():
    explorer = NeuronExplorer()
    outputs = [explorer.step() for _ in range(600)]
    first_zero = next(i for i, y in enumerate(outputs) if y == 0.0)
    assert 395 <= first_zero <= 405  # 6.0 / 0.015 = 400 steps
    assert all(y == 0.0 for y in outputs[first_zero:])
    assert explorer.gradients() == {"dw0": 0.0, "dw1": 0.0, "dw2": 0.0, "db": 0.0}
    frozen = [*explorer.weights, explorer.bias]
    explorer.step()
    assert [*explorer.weights, explorer.bias] == frozen


def test_reset_returns_to_six():
    explorer = NeuronExplorer()
    for _ in range(10):
        explorer.step()
    assert explorer.reset() == pytest.approx(6.0)
    assert [*explorer.weights, explorer.bias] == [-3.0, -1.0, 2.0, 1.0]
    assert explorer.graph.steps == 0


def test_graph_traits_drive_the_engine_view():
    explorer = NeuronExplorer()
    explorer.graph.w2 = 2.5
    assert explorer.output == pytest.approx(-3.0 + 2.0 + 7.5 + 1.0)
    explorer.graph.lr = 0.01
    before = explorer.output
    assert explorer.step() == pytest.approx(before - 0.01 * 15)


def test_dead_neuron_from_python():
    explorer = NeuronExplorer(weights=[-3.0, -1.0, 2.0], bias=-5.0)  # z = -1
    assert explorer.output == 0.0
    assert explorer.step() == 0.0
    assert explorer.bias == -5.0


def test_explorer_does_not_touch_numpy_random_state():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    explorer = NeuronExplorer()
    explorer.step()
    explorer.gradients()
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="3 weights"):
        NeuronExplorer(weights=[1.0, 2.0])


# ---------------------------------------------------------------------------
# The JavaScript agrees with the engine (under Node)
# ---------------------------------------------------------------------------

DRIVER = """
out({
  ranges: [m.W_RANGE, m.LOG_LR_RANGE],
  results: data.map((job) => {
    if (job.kind === "point") {
      const g = m.backward(job.x, job.w, job.b);
      return { output: g.y, z: g.z, dw: g.dw, db: g.db, dx: g.dx };
    }
    let w = job.w, b = job.b;
    const path = [];
    for (let i = 0; i < job.steps; i++) {
      ({ w, b } = m.step(job.x, w, b, job.lr));
      path.push({ w, b, y: m.forward(job.x, w, b).y });
    }
    return path;
  }),
});
"""


def grid():
    rng = np.random.default_rng(9)
    points = [([-3.0, -1.0, 2.0], 1.0), ([0.0, 0.0, 0.0], 0.0), ([1.0, 1.0, 1.0], -2.0)]
    for values in np.linspace(-5, 5, 5):
        points.append(([values, -values / 2, values / 3], values / 4))
    points += [(list(rng.uniform(-5, 5, 3)), float(rng.uniform(-5, 5))) for _ in range(300)]
    return points


def test_js_ranges_are_the_python_ranges():
    js = run_js("neuron_explorer.js", DRIVER, [])
    assert js["ranges"] == [list(W_RANGE), list(LOG_LR_RANGE)]


def test_js_forward_and_backward_match_the_engine():
    points = grid()
    jobs = [{"kind": "point", "x": X, "w": w, "b": b} for w, b in points]
    results = run_js("neuron_explorer.js", DRIVER, jobs)["results"]
    for (w, b), js in zip(points, results, strict=True):
        explorer = NeuronExplorer(weights=w, bias=b)
        np.testing.assert_allclose(js["output"], explorer.output, rtol=1e-12, atol=1e-12)
        layer, _ = explorer._run()
        np.testing.assert_allclose(js["z"], layer.output[0, 0], rtol=1e-12, atol=1e-12)
        if abs(js["z"]) < 1e-9:
            continue  # on the kink the sign of a rounding error decides; see the next test
        expected = explorer.gradients()
        assert js["dw"] == [expected["dw0"], expected["dw1"], expected["dw2"]]
        assert js["db"] == expected["db"]
        np.testing.assert_array_equal(js["dx"], layer.dinputs[0])


def test_js_dead_on_the_kink_like_the_engine():
    # z exactly 0: the engine's ReLU passes no gradient there, and neither does the JS.
    jobs = [{"kind": "point", "x": X, "w": [1.0, 1.0, 1.0], "b": -2.0}]
    (js,) = run_js("neuron_explorer.js", DRIVER, jobs)["results"]
    assert js["z"] == 0.0
    assert js["dw"] == [0, 0, 0] and js["db"] == 0
    assert reference([1.0, 1.0, 1.0], -2.0) == {
        "output": 0.0,
        "dw0": 0.0,
        "dw1": 0.0,
        "dw2": 0.0,
        "db": 0.0,
    }


@pytest.mark.parametrize(
    ("w", "b", "lr", "steps"),
    [
        ([-3.0, -1.0, 2.0], 1.0, 0.001, 450),
        ([-3.0, -1.0, 2.0], 1.0, 0.01, 60),
        ([2.0, -1.5, 0.5], 0.25, 0.003, 200),
        ([0.5, 0.5, 0.5], 3.0, 0.0001, 100),
        ([-1.0, -1.0, 0.0], -1.5, 0.001, 20),  # z = -0.5: dead from the start
    ],
)
def test_js_steps_walk_with_the_engine(w, b, lr, steps):
    job = {"kind": "path", "x": X, "w": w, "b": b, "lr": lr, "steps": steps}
    (path,) = run_js("neuron_explorer.js", DRIVER, [job])["results"]
    explorer = NeuronExplorer(weights=w, bias=b, learning_rate=lr)
    for js in path:
        explorer.step()
        assert js["w"] == explorer.weights  # the same float64 operations: bit for bit
        assert js["b"] == explorer.bias
        assert js["y"] == pytest.approx(explorer.output, abs=1e-12)
    if (w, b, lr) == ([-3.0, -1.0, 2.0], 1.0, 0.001):
        assert f"{path[0]['y']:.3f}" == "5.985" and path[-1]["y"] == 0.0


# ---------------------------------------------------------------------------
# In Chromium: the widget's module with a stand-in model
# ---------------------------------------------------------------------------


@pytest.fixture
def page(tmp_path, browser):
    with stand_in_page(browser, tmp_path, NeuronExplorer().graph, static=True) as tab:
        yield tab


def text_of(page, testid):
    return page.get_by_test_id(testid).inner_text()


def shown(page):
    return {key: float(text_of(page, key)) for key in FIELDS}


def parameters(page):
    return page.evaluate("['w0', 'w1', 'w2', 'b'].map((k) => window.model.values[k])")


def assert_page_matches_engine(page):
    values = page.evaluate("window.model.values")
    expected = reference([values["w0"], values["w1"], values["w2"]], values["b"])
    for key in FIELDS:
        assert shown(page)[key] == pytest.approx(expected[key], abs=5e-4), key


def test_browser_renders_the_starting_neuron(page):
    assert shown(page) == {"output": 6.0, "dw0": 1.0, "dw1": -2.0, "dw2": 3.0, "db": 1.0}
    assert "dead" not in text_of(page, "message")
    assert page.locator("svg [data-edge]").count() == 12  # 3 x (input, weight, product), b, z, y
    for name, value in zip(PARAMETERS, [-3.0, -1.0, 2.0, 1.0], strict=True):
        assert float(page.get_by_test_id(f"slider-{name}").input_value()) == value
        assert page.get_by_test_id(f"slider-{name}-value").input_value() == f"{value:.3f}"


def test_browser_step_walk_down_and_reset(page):
    page.get_by_test_id("step").click()
    assert text_of(page, "output") == "5.985"
    np.testing.assert_allclose(parameters(page), [-3.001, -0.998, 1.997, 0.999], atol=1e-12)
    assert page.get_by_test_id("slider-w0-value").input_value() == "-3.001"
    # 405 more presses (dispatched in the page: Playwright's own clicks take ~0.1 s each)
    page.evaluate(
        "for (let i = 0; i < 405; i++) document.querySelector('[data-testid=step]').click()"
    )
    assert text_of(page, "output") == "0.000"
    assert [text_of(page, k) for k in ("dw0", "dw1", "dw2", "db")] == ["0.000"] * 4
    assert "dead" in text_of(page, "message")
    frozen = parameters(page)
    page.get_by_test_id("step").click()
    assert parameters(page) == frozen
    page.get_by_test_id("reset").click()
    assert text_of(page, "output") == "6.000"
    assert "dead" not in text_of(page, "message")


def test_browser_follows_python_changes(page):
    page.evaluate("window.pythonSets('w2', 2.5)")
    assert text_of(page, "output") == "7.500"
    assert float(page.get_by_test_id("slider-w2").input_value()) == 2.5
    page.evaluate("window.pythonSets('b', -10)")
    assert text_of(page, "output") == "0.000"
    assert "dead" in text_of(page, "message")
    page.get_by_test_id("reset").click()
    assert text_of(page, "output") == "6.000"


def test_typed_values_and_a_grid_agree_with_the_engine(page):
    for w0, w2, b in [(0.5, -2.5, -4.0), (2.25, 2.0, 4.5), (-3.0, 1.5, 5.0), (-5.0, -5.0, -5.0)]:
        for name, value in (("w0", w0), ("w2", w2), ("b", b)):
            page.get_by_test_id(f"slider-{name}-value").fill(str(value))
            page.get_by_test_id(f"slider-{name}-value").press("Enter")
        assert parameters(page) == [w0, -1.0, w2, b]
        assert_page_matches_engine(page)
    page.get_by_test_id("slider-b-value").fill("12")  # beyond the range: held at its end
    page.get_by_test_id("slider-b-value").press("Enter")
    assert parameters(page)[3] == W_RANGE[1]


def test_keyboard_alone_works_the_explorer(page):
    walk = keyboard_walk(page)
    expected = []
    for name in (*PARAMETERS, "lr"):
        expected += [f"slider-{name}", f"slider-{name}-value"]
    assert [c["testid"] for c in walk] == [*expected, "step", "reset"]
    assert check_controls(walk) == []
    names = [c["name"] for c in walk]
    assert names[0] == "weight w0" and names[6] == "bias b" and names[8] == "learning rate"
    assert names[1] == "weight w0 (type a value)"
    # Arrow keys: 0.01 per press for a weight (not the old 0.001), a tenth of a decade for lr.
    after = press_on(page, "slider-w2", "ArrowRight")
    assert after["testid"] == "slider-w2" and after["valuetext"] == "2.010"
    assert float(after["valuenow"]) == pytest.approx(2.01)
    assert text_of(page, "output") == "6.030"
    page.keyboard.press("PageDown")
    assert parameters(page)[2] == pytest.approx(1.91)
    assert_page_matches_engine(page)
    after = press_on(page, "slider-lr", "ArrowUp")
    assert page.evaluate("window.model.values.lr") == pytest.approx(10**-2.9)
    assert after["valuetext"] == "0.0013"
    page.keyboard.press("End")
    assert page.evaluate("window.model.values.lr") == pytest.approx(0.1)
    page.keyboard.press("Home")
    assert page.evaluate("window.model.values.lr") == pytest.approx(1e-4)
    page.keyboard.press("End")
    page.keyboard.press("PageDown")  # a decade down: 0.01
    # The buttons keep focus when pressed, so a reader can press Enter again and again.
    after = press_on(page, "step", "Enter")
    assert after["testid"] == "step"
    page.keyboard.press("Enter")
    page.keyboard.press(" ")
    assert page.evaluate("window.model.values.steps") == 3
    assert page.evaluate("document.activeElement.dataset.testid") == "step"
    after = press_on(page, "reset", "Enter")
    assert after["testid"] == "reset" and text_of(page, "output") == "6.000"
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [390, 1000])
def test_graph_labels_stay_readable(tmp_path, browser, width):
    with stand_in_page(browser, tmp_path, NeuronExplorer().graph, width=width) as tab:
        report = narrow_screen(tab)
        screenshot(tab, f"neuron-explorer-{width}px")
        layout = tab.locator("svg.neuron-graph").get_attribute("data-layout")
        assert layout == ("narrow" if width == 390 else "wide")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report
        tab.get_by_test_id("step").click()
        assert text_of(tab, "output") == "5.985"
        assert tab.get_by_test_id("edge-y-value").text_content() == "5.985"


# ---------------------------------------------------------------------------
# On chapter 9's built page: no kernel, no network
# ---------------------------------------------------------------------------


@pytest.fixture
def chapter_9(offline_page, site_url):
    open_built_page(offline_page, site_url, "09_backpropagation", "output")
    yield offline_page
    assert not offline_page.log.problems(), offline_page.log.problems()


def wait_for(page, key, text):
    page.wait_for_function(
        "([key, text]) => document.querySelector(`[data-testid=${key}]`).textContent === text",
        arg=[key, text],
        timeout=10_000,
    )


def test_static_page_starts_at_the_worked_example_and_steps(chapter_9):
    page = chapter_9
    wait_for(page, "output", "6.000")
    assert shown(page) == {"output": 6.0, "dw0": 1.0, "dw1": -2.0, "dw2": 3.0, "db": 1.0}
    page.get_by_test_id("step").click()
    wait_for(page, "output", "5.985")
    values = [float(page.get_by_test_id(f"slider-{n}-value").input_value()) for n in PARAMETERS]
    assert values == [-3.001, -0.998, 1.997, 0.999]
    page.get_by_test_id("reset").click()
    wait_for(page, "output", "6.000")


def test_static_page_follows_keys_and_typing_like_the_engine(chapter_9):
    page = chapter_9
    wait_for(page, "output", "6.000")
    page.get_by_test_id("slider-w2").focus()
    page.keyboard.press("ArrowRight")
    wait_for(page, "output", "6.030")
    assert page.evaluate("document.activeElement.dataset.testid") == "slider-w2"
    current = {"w0": -3.0, "w1": -1.0, "w2": 2.01, "b": 1.0}
    for setting in [(0.5, -1.0, -2.5, -4.0), (2.25, 1.75, 2.0, 4.5), (-3.0, -1.0, -3.0, 1.0)]:
        for name, value in zip(PARAMETERS, setting, strict=True):
            if current[name] != value:
                box = page.get_by_test_id(f"slider-{name}-value")
                box.fill(str(value))
                box.press("Enter")
                current[name] = value
        expected = reference(setting[:3], setting[3])
        wait_for(page, "output", f"{expected['output']:.3f}")
        for key in FIELDS:
            assert shown(page)[key] == pytest.approx(expected[key], abs=5e-4), (setting, key)
    assert "dead" in page.get_by_test_id("message").inner_text()  # the last setting: z = -8


def contrast(rgb_a, rgb_b):
    """WCAG contrast ratio of two ``rgb(r, g, b)`` strings."""

    def luminance(text):
        channels = [
            int(v) / 255 for v in text[text.index("(") + 1 : text.index(")")].split(",")[:3]
        ]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(rgb_a), luminance(rgb_b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_static_page_in_dark_mode_keeps_a_light_panel_with_readable_red(chapter_9):
    page = chapter_9
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    colours = page.evaluate(
        """() => ({
          panel: getComputedStyle(document.querySelector('.neuron-explorer')).backgroundColor,
          gradient: getComputedStyle(document.querySelector('[data-testid=edge-w0-grad]')).fill,
          message: getComputedStyle(document.querySelector('[data-testid=message]')).color,
        })"""
    )
    assert colours["panel"] == "rgb(255, 255, 255)"
    assert contrast(colours["gradient"], colours["panel"]) >= 4.5
    assert contrast(colours["message"], colours["panel"]) >= 4.5


def test_static_page_explorer_fits_390_px(browser, site_url):
    # The explorer only: the page's own width (headings, theme) is the site's tests' concern.
    page = open_offline_page(browser, viewport={"width": 390, "height": 844})
    try:
        open_built_page(page, site_url, "09_backpropagation", "output")
        page.wait_for_timeout(200)
        report = narrow_screen(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".neuron-explorer").screenshot(
            path=str(SCREENSHOTS / "neuron-explorer-built-390px.png")
        )
        assert report["offscreen"] == [] and report["small"] == [], report
        assert page.locator("svg.neuron-graph").get_attribute("data-layout") == "narrow"
        assert not page.log.problems(), page.log.problems()
    finally:
        page.context.close()
