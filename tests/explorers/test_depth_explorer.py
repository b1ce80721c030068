"""The depth explorer of chapter 23: its JS under Node against the engine (the same draws, the
same statistics), its draws against the engine's spreads, its per-layer factors against the
engine's on the engine's own draws, the Python side, and the stand-in page in Chromium
(controls, keyboard, 390 px)."""

import itertools

import numpy as np
import pytest

from resources.classes import DenseLayer, initial_weight_std
from resources.widgets import DepthExplorer
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

ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("small", "glorot", "he", "large")  # "large": "small" with weight_scale=0.5


def engine_start(init):
    """The engine's DenseLayer keywords for each of the explorer's starts."""
    if init == "large":
        return {"weight_init": "small", "weight_scale": 0.5}
    return {"weight_init": init}


def engine_std(init, n_in=32, n_out=32):
    return initial_weight_std(n_in, n_out, **engine_start(init))


DRAW_AND_MEASURE = """out(data.map((c) => {
  const network = m.drawNetwork(c);
  return { network, stats: m.measure(network, c.activation) };
}));"""


def test_js_agrees_with_the_engine_on_the_same_draws():
    """Seeded: the network the browser draws, measured by the browser and by the engine."""
    cases = [
        {"depth": depth, "width": width, "samples": 40, "init": init, "seed": seed, "activation": a}
        for (depth, width), a, init, seed in zip(
            itertools.cycle([(1, 5), (6, 16), (12, 32)]),
            [a for a in ACTIVATIONS for _ in INITS],
            INITS * 3,
            range(12),
            strict=False,
        )
    ]
    results = run_js("depth_explorer.js", DRAW_AND_MEASURE, cases)
    for case, got in zip(cases, results, strict=True):
        net = got["network"]
        assert np.shape(net["weights"]) == (case["depth"], case["width"], case["width"])
        assert np.shape(net["inputs"]) == np.shape(net["dvalues"]) == (40, case["width"])
        engine = DepthExplorer.engine_statistics(
            net["weights"], net["inputs"], net["dvalues"], case["activation"]
        )
        for key in ("spread", "between", "signal"):
            assert len(got["stats"][key]) == case["depth"]
            # a sigmoid's outputs sit near 0.5, where float64 numbers are 1e-16 apart: the
            # spread between samples is known to that much, whatever the summation order
            atol = 1e-15 if key == "between" else 0
            np.testing.assert_allclose(
                got["stats"][key], engine[key], rtol=1e-9, atol=atol, err_msg=key
            )


def test_js_draws_have_the_engines_spreads():
    """Distributional: the browser's normal draws, and each start's standard deviation."""
    got = run_js(
        "depth_explorer.js",
        "const draw = m.normals(m.uniforms(7));"
        "const xs = Array.from({ length: 200000 }, draw);"
        "const mean = xs.reduce((a, b) => a + b, 0) / xs.length;"
        "const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);"
        "const tail = xs.filter((x) => Math.abs(x) > 1.96).length / xs.length;"
        "const stds = data.map((init) => m.std(m.drawNetwork("
        "{ depth: 30, width: 32, samples: 1, init, seed: 1 }).weights.flat()));"
        "const exact = data.map((init) => m.initialStd(32, 32, init));"
        "out({ mean, sd, tail, stds, exact, same: m.uniforms(3)() === m.uniforms(3)() });",
        list(INITS),
    )
    # 200,000 standard normal draws: standard errors 0.0022 (mean), 0.0016 (sd), 0.0005 (tail)
    assert abs(got["mean"]) < 0.01 and abs(got["sd"] - 1) < 0.008
    assert abs(got["tail"] - 0.05) < 0.0025
    assert got["same"] is True
    for init, exact, measured in zip(INITS, got["exact"], got["stds"], strict=True):
        assert exact == pytest.approx(engine_std(init), rel=1e-12)
        assert measured == pytest.approx(exact, rel=0.01)  # 30,720 draws: SE 0.4 %


def engine_factors(activation, init, seeds=range(4), depth=12, width=32, samples=100):
    """Per-layer factors measured by the engine on its own draws (DenseLayer's weight_init)."""
    forward, backward = [], []
    for seed in seeds:
        np.random.seed(seed)
        start = engine_start(init)
        weights = [DenseLayer(width, width, **start).weights for _ in range(depth)]
        inputs, dvalues = np.random.randn(samples, width), np.random.randn(samples, width)
        stats = DepthExplorer.engine_statistics(weights, inputs, dvalues, activation)
        forward.append((stats["between"][-1] / stats["between"][0]) ** (1 / (depth - 1)))
        backward.append((stats["signal"][0] / stats["signal"][-1]) ** (1 / (depth - 1)))
    return np.mean(forward), np.mean(backward)


def test_js_factors_match_the_engines_on_its_own_draws():
    """The browser's curves have the engine's slopes, for every activation and start."""
    cases = [
        {"depth": 12, "width": 32, "samples": 100, "init": init, "seed": seed, "activation": a}
        for a in ACTIVATIONS
        for init in INITS
        for seed in range(4)
    ]
    script = """out(data.map((c) => {
      const s = m.measure(m.drawNetwork(c), c.activation);
      return [m.perLayer(s.between), 1 / m.perLayer(s.signal), m.perLayer(s.spread)];
    }));"""
    results = np.array(run_js("depth_explorer.js", script, cases)).reshape(3, 4, 4, 3)
    for (i, a), (j, init) in itertools.product(enumerate(ACTIVATIONS), enumerate(INITS)):
        js_forward, js_backward, _ = results[i, j].mean(axis=0)
        forward, backward = engine_factors(a, init)
        # four draws each: the factors agree to a few per cent
        assert js_forward == pytest.approx(forward, rel=0.08), (a, init)
        assert js_backward == pytest.approx(backward, rel=0.08), (a, init)
    # and the derivation's factors for ReLU, sqrt(n Var(w) / 2), on the std of all activations
    # (the second moment the derivation follows)
    for j, init in enumerate(INITS):
        predicted = np.sqrt(32 * engine_std(init) ** 2 / 2)
        assert results[0, j, :, 2].mean() == pytest.approx(predicted, rel=0.06), init


def test_short_numbers():
    got = run_js("depth_explorer.js", "out(data.map(m.short));", [0.48123, 12.5, 3.2e-15, 2048.0])
    assert got == ["0.48", "13", "3.2e-15", "2.0e+3"]


def test_python_side_and_bad_input():
    explorer = DepthExplorer()
    state = explorer.get_state()
    assert (state["depth"], state["activation"], state["weight_init"]) == (10, "relu", "small")
    assert 'from "./prelude.js"' not in state["_esm"]  # one module, the prelude joined in
    assert "export function measure" in state["_esm"]
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        DepthExplorer(depth=0)
    with pytest.raises(ValueError, match="depth must be at most 50"):
        DepthExplorer(depth=51)
    with pytest.raises(ValueError, match=r"activation must be one of .*got 'elu'"):
        DepthExplorer(activation="elu")
    assert DepthExplorer(weight_init="large").weight_init == "large"
    with pytest.raises(ValueError, match=r"weight_init must be one of .*got 'xavier'"):
        DepthExplorer(weight_init="xavier")
    with pytest.raises(TypeError, match="width must be a positive integer"):
        DepthExplorer(width=3.5)


def test_engine_statistics_by_hand():
    """The reference itself, against the passes written out for a two-layer ReLU stack."""
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(0, 0.3, (4, 4)), rng.normal(0, 0.3, (4, 4))
    x, d = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    z1 = x @ w1
    a1 = np.maximum(0, z1)
    a2 = np.maximum(0, a1 @ w2)
    back = ((a2 > 0) * d) @ w2.T
    stats = DepthExplorer.engine_statistics([w1, w2], x, d, "relu")
    np.testing.assert_allclose(stats["spread"], [np.std(a1), np.std(a2)])
    np.testing.assert_allclose(
        stats["between"], [np.std(a1, axis=0).mean(), np.std(a2, axis=0).mean()]
    )
    np.testing.assert_allclose(stats["signal"], [np.std(back), np.std(d)])
    np.random.seed(3)
    state = np.random.get_state()[1].copy()
    tanh = DepthExplorer.engine_statistics([w1], x, d, "tanh")
    assert np.array_equal(np.random.get_state()[1], state), "NumPy's generator left alone"
    assert tanh["spread"] == [pytest.approx(np.std(np.tanh(z1)))]


# --- in Chromium: the widget's module with a stand-in model ----------------------------------


@pytest.fixture(scope="module")
def explorer():
    return DepthExplorer()


@pytest.fixture
def page(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer) as tab:
        yield tab


READOUTS = ("last-spread", "first-signal", "forward-factor", "backward-factor")


def shown(page):
    return {name: page.get_by_test_id(f"de-{name}").inner_text() for name in READOUTS}


def expected_readout(values):
    """What the page should show for ``values``, measured under Node by the same module."""
    case = {
        "depth": values["depth"],
        "width": values["width"],
        "samples": values["samples"],
        "init": values["weight_init"],
        "seed": values["seed"],
        "activation": values["activation"],
    }
    (got,) = run_js("depth_explorer.js", DRAW_AND_MEASURE, [case])
    net = got["network"]
    stats = DepthExplorer.engine_statistics(
        net["weights"], net["inputs"], net["dvalues"], case["activation"]
    )
    return stats


def assert_agrees(page):
    values = page.evaluate("window.model.values")
    stats = expected_readout(values)
    text = shown(page)
    assert float(text["last-spread"]) == pytest.approx(stats["between"][-1], rel=0.06)
    assert float(text["first-signal"]) == pytest.approx(stats["signal"][0], rel=0.06)
    n = values["depth"]
    if n > 1:
        forward = (stats["between"][-1] / stats["between"][0]) ** (1 / (n - 1))
        backward = (stats["signal"][0] / stats["signal"][-1]) ** (1 / (n - 1))
        assert float(text["forward-factor"].split()[-1]) == pytest.approx(forward, abs=6e-4)
        assert float(text["backward-factor"].split()[-1]) == pytest.approx(backward, abs=6e-4)
    assert page.locator("[data-testid=de-chart] circle").count() == 3 * n
    return values


def test_controls_redraw_and_agree_with_the_engine(page):
    values = assert_agrees(page)
    assert float(shown(page)["forward-factor"].split()[-1]) == pytest.approx(0.04, rel=0.15)
    page.get_by_test_id("de-init").select_option("he")
    assert_agrees(page)
    page.get_by_test_id("de-activation").select_option("sigmoid")
    assert_agrees(page)
    page.get_by_test_id("de-init").select_option("large")
    assert_agrees(page)
    page.get_by_test_id("de-depth").fill("30")
    values = assert_agrees(page)
    assert values["depth"] == 30
    seed = values["seed"]
    page.click("[data-testid=de-new-draw]")
    assert assert_agrees(page)["seed"] == seed + 1
    page.get_by_test_id("de-depth").fill("1")
    assert shown(page)["forward-factor"] == "(one layer)"
    assert_agrees(page)


def test_python_changes_reach_the_page(page):
    page.evaluate("window.pythonSets('activation', 'tanh')")
    assert page.get_by_test_id("de-activation").input_value() == "tanh"
    assert_agrees(page)


def test_works_with_no_kernel(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer, static=True) as tab:
        tab.get_by_test_id("de-init").select_option("glorot")
        assert tab.evaluate("window.model.values.weight_init") == "glorot"
        assert_agrees(tab)


def test_keyboard_alone_works_the_explorer(page):
    walk = keyboard_walk(page)
    assert [c["testid"] for c in walk] == ["de-depth", "de-activation", "de-init", "de-new-draw"]
    assert check_controls(walk) == []
    press_on(page, "de-depth", "ArrowRight")
    assert page.evaluate("window.model.values.depth") == 11
    saved = page.evaluate("window.model.saved")
    press_on(page, "de-new-draw", "Enter")
    assert page.evaluate("window.model.saved") == saved + 1
    assert_agrees(page)
    assert axe_violations(page) == []


def test_fits_a_390_px_screen(tmp_path, browser, explorer):
    with stand_in_page(browser, tmp_path, explorer, width=390) as tab:
        report = narrow_screen(tab)
        screenshot(tab, "depth-explorer-390px")
        assert report["scrollWidth"] <= report["width"], report
        assert report["offscreen"] == [] and report["small"] == [], report


# --- on the built page (static HTML, offline, no kernel) -------------------------------------


def test_depth_explorer_works_on_the_static_page(offline_page, site_url):
    tab = offline_page
    open_built_page(tab, site_url, "23_initialization", "de-chart")
    assert tab.get_by_test_id("de-chart").count() == 1  # one explorer is displayed

    def factors():
        return [
            float(tab.get_by_test_id(f"de-{name}").inner_text().split()[-1])
            for name in ("forward-factor", "backward-factor")
        ]

    # The chapter's start: ten ReLU layers from 0.01, about 0.04 per layer both ways.
    assert factors() == [pytest.approx(0.04, rel=0.15)] * 2
    tab.get_by_test_id("de-init").select_option("he")
    assert factors() == [pytest.approx(1, abs=0.15)] * 2
    tab.get_by_test_id("de-activation").select_option("sigmoid")
    tab.get_by_test_id("de-depth").fill("30")
    forward, backward = factors()
    assert backward < np.sqrt(2) / 4  # the sigmoid's slope of at most 1/4, chapter 4
    assert forward < np.sqrt(2) / 4  # the spread between samples fades like the gradient
    tab.get_by_test_id("de-activation").select_option("relu")
    tab.get_by_test_id("de-init").select_option("large")
    assert factors() == [pytest.approx(2, rel=0.15)] * 2  # 0.5 explodes both ways
    assert tab.locator("[data-testid=de-chart] circle").count() == 90


def test_what_the_chapter_asks_the_reader_to_try():
    """Chapter 23's "Try ...": 30 layers, four draws each, as the explorer measures them."""
    pairs = [("sigmoid", "glorot"), ("sigmoid", "he"), ("tanh", "glorot"), ("relu", "large")]
    cases = [
        {"depth": 30, "width": 32, "samples": 100, "init": init, "seed": seed, "activation": a}
        for a, init in pairs
        for seed in range(4)
    ]
    script = """out(data.map((c) => {
      const s = m.measure(m.drawNetwork(c), c.activation);
      return [m.perLayer(s.spread), m.perLayer(s.between), 1 / m.perLayer(s.signal)];
    }));"""
    results = np.array(run_js("depth_explorer.js", script, cases)).reshape(4, 4, 3)
    for sigmoid in results[:2]:
        # the std of all activations stays while the spread between samples falls
        assert np.all(sigmoid[:, 0] > 0.95) and np.all(sigmoid[:, 1] < 0.4)
        assert np.all(sigmoid[:, 2] < np.sqrt(2) / 4)
    tanh = results[2]
    assert np.all((0.9 < tanh[:, 1:]) & (tanh[:, 1:] < 0.98))  # "a slow decline"
    assert np.all(results[3, :, 1:] > 1.7)  # 0.5 explodes both ways
