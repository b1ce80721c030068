"""The neuron explorer of chapter 9, driven from Python and, for its JavaScript, from Node.

The engine (``resources.classes``) is the reference: the explorer's Python side uses it, and
the pure functions of ``neuron_explorer.js`` must agree with it.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from resources.classes import SGD, DenseLayer, ReLU
from resources.widgets import NeuronExplorer
from resources.widgets.neuron_explorer import NeuronGraph

JS = Path(__file__).resolve().parents[2] / "resources" / "widgets" / "neuron_explorer.js"
X = [1.0, -2.0, 3.0]

DRIVER = """
import { readFileSync } from "node:fs";
const mod = await import(process.argv[2]);
const jobs = JSON.parse(readFileSync(process.argv[3], "utf8"));
const results = jobs.map((job) => {
  if (job.kind === "point") {
    const g = mod.backward(job.x, job.w, job.b);
    return { z: g.z, y: g.y, dw: g.dw, db: g.db, dx: g.dx };
  }
  let w = job.w, b = job.b;
  const path = [];
  for (let i = 0; i < job.steps; i++) {
    const next = mod.step(job.x, w, b, job.lr);
    w = next.w;
    b = next.b;
    path.push({ w, b, y: mod.forward(job.x, w, b).y });
  }
  return path;
});
console.log(JSON.stringify(results));
"""


@pytest.fixture(scope="module")
def run_js(tmp_path_factory):
    """Run a list of jobs through the explorer's JavaScript under Node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    folder = tmp_path_factory.mktemp("js")
    module = folder / "neuron_explorer.mjs"
    shutil.copy(JS, module)
    driver = folder / "driver.mjs"
    driver.write_text(DRIVER)

    def run(jobs):
        job_file = folder / "jobs.json"
        job_file.write_text(json.dumps(jobs))
        result = subprocess.run(
            [node, str(driver), module.as_uri(), str(job_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    return run


def engine_neuron(w, b):
    """Forward and backward of the neuron through the engine (incoming gradient 1.0)."""
    layer = DenseLayer(3, 1)
    layer.weights = np.array(w, dtype=np.float64).reshape(3, 1)
    layer.biases = np.array([[b]], dtype=np.float64)
    relu = ReLU()
    layer.forward(np.array([X]))
    relu.forward(layer.output)
    relu.backward(np.ones_like(relu.output))
    layer.backward(relu.dinputs)
    return layer, relu


# ---------------------------------------------------------------------------
# Driven from Python
# ---------------------------------------------------------------------------


def test_starts_at_six_with_the_chapter_gradients():
    explorer = NeuronExplorer()
    assert explorer.output == pytest.approx(6.0)
    assert explorer.gradients() == {"dw0": 1.0, "dw1": -2.0, "dw2": 3.0, "db": 1.0}
    assert set(explorer.sliders) == {"w0", "w1", "w2", "b", "lr"}
    assert explorer.sliders["lr"].value == pytest.approx(0.001)
    assert isinstance(explorer.graph, NeuronGraph)
    assert explorer.graph.x == X


def test_one_step_gives_5_985_and_moves_the_sliders():
    explorer = NeuronExplorer()
    assert explorer.step() == pytest.approx(5.985, abs=1e-12)
    assert f"{explorer.output:.3f}" == "5.985"
    np.testing.assert_allclose(
        [explorer.sliders[name].value for name in ("w0", "w1", "w2", "b")],
        [-3.001, -0.998, 1.997, 0.999],
        atol=1e-12,
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
    assert [explorer.sliders[n].value for n in ("w0", "w1", "w2", "b")] == [-3.0, -1.0, 2.0, 1.0]
    assert explorer.graph.steps == 0


def test_sliders_and_graph_stay_linked_both_ways():
    explorer = NeuronExplorer()
    explorer.sliders["w2"].value = 2.5
    assert explorer.graph.w2 == 2.5
    assert explorer.output == pytest.approx(-3.0 + 2.0 + 7.5 + 1.0)
    explorer.graph.b = -0.5
    assert explorer.sliders["b"].value == -0.5
    explorer.sliders["lr"].value = 0.01
    assert explorer.graph.lr == pytest.approx(0.01)
    before = explorer.output
    after = explorer.step()
    assert after == pytest.approx(before - 0.01 * 15)


def test_sliders_are_jslinked_to_the_graph_for_static_pages():
    explorer = NeuronExplorer()
    links = [link for link in explorer._links if hasattr(link, "source")]
    pairs = {(link.source[1], link.target[1]) for link in links if hasattr(link, "_model_name")}
    assert pairs == {("value", name) for name in ("w0", "w1", "w2", "b", "lr")}
    slider = explorer.sliders["w0"]
    assert (slider.min, slider.max, slider.step, slider.readout_format) == (-5, 5, 0.001, ".3f")


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


# ---------------------------------------------------------------------------
# The JavaScript agrees with the engine
# ---------------------------------------------------------------------------


def grid():
    rng = np.random.default_rng(9)
    points = [([-3.0, -1.0, 2.0], 1.0), ([0.0, 0.0, 0.0], 0.0), ([1.0, 1.0, 1.0], -2.0)]
    for values in np.linspace(-5, 5, 5):
        points.append(([values, -values / 2, values / 3], values / 4))
    points += [(list(rng.uniform(-5, 5, 3)), float(rng.uniform(-5, 5))) for _ in range(300)]
    return points


def test_js_forward_and_backward_match_the_engine(run_js):
    points = grid()
    results = run_js([{"kind": "point", "x": X, "w": w, "b": b} for w, b in points])
    for (w, b), js in zip(points, results, strict=True):
        layer, relu = engine_neuron(w, b)
        z = layer.output[0, 0]
        np.testing.assert_allclose(js["z"], z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(js["y"], relu.output[0, 0], rtol=1e-12, atol=1e-12)
        if abs(z) < 1e-9:
            continue  # on the kink the sign of a rounding error decides; skip it
        np.testing.assert_array_equal(js["dw"], layer.dweights[:, 0])
        assert js["db"] == layer.dbiases[0, 0]
        np.testing.assert_array_equal(js["dx"], layer.dinputs[0])


def test_js_dead_on_the_kink_like_the_engine(run_js):
    # z exactly 0: the engine's ReLU passes no gradient there, and neither does the JS.
    (js,) = run_js([{"kind": "point", "x": X, "w": [1.0, 1.0, 1.0], "b": -2.0}])
    layer, _ = engine_neuron([1.0, 1.0, 1.0], -2.0)
    assert js["z"] == 0.0 == layer.output[0, 0]
    assert js["dw"] == [0, 0, 0] and js["db"] == 0
    assert layer.dbiases[0, 0] == 0


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
def test_js_steps_match_the_engine(run_js, w, b, lr, steps):
    (path,) = run_js([{"kind": "path", "x": X, "w": w, "b": b, "lr": lr, "steps": steps}])
    optimizer = SGD(learning_rate=lr)
    for js in path:
        layer, _ = engine_neuron(w, b)
        optimizer.update_params(layer)
        w, b = layer.weights[:, 0].copy(), layer.biases[0, 0]
        layer, relu = engine_neuron(w, b)
        np.testing.assert_array_equal(js["w"], layer.weights[:, 0])
        assert js["b"] == layer.biases[0, 0]
        np.testing.assert_allclose(js["y"], relu.output[0, 0], rtol=1e-12, atol=1e-12)


def test_js_and_python_explorer_walk_down_together(run_js):
    (path,) = run_js(
        [{"kind": "path", "x": X, "w": [-3.0, -1.0, 2.0], "b": 1.0, "lr": 0.001, "steps": 420}]
    )
    explorer = NeuronExplorer()
    for js in path:
        explorer.step()
        assert js["w"] == explorer.weights
        assert js["b"] == explorer.bias
        assert js["y"] == pytest.approx(explorer.output, abs=1e-12)
    assert f"{path[0]['y']:.3f}" == "5.985"
    assert path[-1]["y"] == 0.0


def test_js_module_has_a_default_render_export():
    text = JS.read_text()
    assert "export default { render }" in text
    for name in ("forward", "backward", "step"):
        assert f"export function {name}(" in text
    for testid in ("output", "dw0", "dw1", "dw2", "db", "step", "reset", "message"):
        assert f'"{testid}"' in text
    # Plain DOM and SVG: the module imports nothing (a static page may be offline).
    assert re.search(r"^\s*import\s", text, re.MULTILINE) is None


# ---------------------------------------------------------------------------
# The rendered widget in a browser (the ES module with a stand-in for the widget model)
# ---------------------------------------------------------------------------

PAGE = """<!doctype html><html><body><div id="root"></div><script type="module">
import widget from "./neuron_explorer.js";
const state = {x: [1, -2, 3], w0: -3, w1: -1, w2: 2, b: 1, lr: 0.001, steps: 0,
               w_init: [-3, -1, 2], b_init: 1};
const handlers = {};
window.model = {
  get: (key) => state[key],
  set: (key, value) => {
    state[key] = value;
    for (const handler of handlers[`change:${key}`] || []) handler();
  },
  on: (event, handler) => { (handlers[event] = handlers[event] || []).push(handler); },
  off: () => {},
  save_changes: () => { throw new Error("no kernel on a static page"); },
};
widget.render({ model: window.model, el: document.getElementById("root") });
window.rendered = true;
</script></body></html>"""


@pytest.fixture(scope="module")
def page(browser):
    files = {
        "/page.html": (PAGE, "text/html"),
        "/neuron_explorer.js": (JS.read_text(), "text/javascript"),
    }
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def serve(route):
        body, content_type = files[route.request.url.removeprefix("http://explorer.test")]
        route.fulfill(status=200, body=body, content_type=content_type)

    page.route("http://explorer.test/**", serve)
    page.goto("http://explorer.test/page.html")
    page.wait_for_function("window.rendered === true")
    page.errors = errors
    yield page
    page.close()


def text_of(page, testid):
    return page.get_by_test_id(testid).inner_text()


def test_browser_renders_the_starting_neuron(page):
    assert text_of(page, "output") == "6.000"
    assert [text_of(page, k) for k in ("dw0", "dw1", "dw2", "db")] == [
        "1.000",
        "-2.000",
        "3.000",
        "1.000",
    ]
    assert "dead" not in text_of(page, "message")
    assert page.locator("svg line").count() == 12  # 3 x (input, weight, product), b, z, y
    assert page.errors == []


def test_browser_step_walk_down_and_reset(page):
    page.get_by_test_id("step").click()
    assert text_of(page, "output") == "5.985"
    assert page.evaluate("window.model.get('w0')") == pytest.approx(-3.001)
    # 405 more presses (dispatched in the page: Playwright's own clicks take ~0.1 s each)
    page.evaluate(
        "for (let i = 0; i < 405; i++) document.querySelector('[data-testid=step]').click()"
    )
    assert text_of(page, "output") == "0.000"
    assert [text_of(page, k) for k in ("dw0", "dw1", "dw2", "db")] == ["0.000"] * 4
    assert "dead" in text_of(page, "message")
    frozen = page.evaluate("[window.model.get('w0'), window.model.get('b')]")
    page.get_by_test_id("step").click()
    assert page.evaluate("[window.model.get('w0'), window.model.get('b')]") == frozen
    page.get_by_test_id("reset").click()
    assert text_of(page, "output") == "6.000"
    assert "dead" not in text_of(page, "message")
    assert page.errors == []


def test_browser_follows_model_changes_like_a_jslinked_slider(page):
    page.evaluate("window.model.set('w2', 2.5)")
    assert text_of(page, "output") == "7.500"
    page.evaluate("window.model.set('b', -10)")
    assert text_of(page, "output") == "0.000"
    assert "dead" in text_of(page, "message")
    page.get_by_test_id("reset").click()
    assert text_of(page, "output") == "6.000"
