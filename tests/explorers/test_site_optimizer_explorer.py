"""The optimizer explorer's JavaScript in Chromium: in a bare page, and on the built site.

The first test loads ``optimizer_explorer.js`` into a minimal page with a stand-in for the
widget model; the second opens chapter 10 of the built book offline (no kernel, no network)
and drives the explorer there. Both compare what the page shows with the runs the engine
computed (``resources.widgets.optimizer_explorer``).
"""

import json
from pathlib import Path

import pytest

from resources.widgets import OptimizerExplorer
from resources.widgets import optimizer_explorer as oe
from tests.conftest import harness_page
from tests.explorers.test_optimizer_explorer import SMALL_GRID

JS = Path(oe.__file__).with_name("optimizer_explorer.js")


@pytest.fixture(scope="module")
def explorer():
    return OptimizerExplorer(grid=SMALL_GRID)


HARNESS = """<!doctype html>
<html><body><div id="root"></div>
<script type="application/json" id="state">STATE</script>
<script type="module">
import widget from "./optimizer_explorer.js";
const state = JSON.parse(document.getElementById("state").textContent);
const handlers = {};
window.saved = 0;
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; },
  save_changes: () => { window.saved += 1; },
  on: (event, callback) => { (handlers[event] ||= []).push(callback); },
};
window.state = state;
widget.render({ model, el: document.getElementById("root") });
window.ready = true;
</script></body></html>
"""


@pytest.fixture
def stand_in_page(tmp_path, explorer, browser):
    state = {k: explorer.get_state()[k] for k in ("grid", "runs", "points")}
    state.update(optimizer="Adam", learning_rate=0.05, decay=0.0, momentum=0.0)
    (tmp_path / "optimizer_explorer.js").write_text(JS.read_text())
    (tmp_path / "index.html").write_text(HARNESS.replace("STATE", json.dumps(state)))
    with harness_page(browser, tmp_path, ready="window.ready === true") as page:
        yield page


def set_slider(page, testid, index):
    page.eval_on_selector(
        f"[data-testid={testid}]",
        "(el, i) => { el.value = String(i); el.dispatchEvent(new Event('input')); }",
        index,
    )


def shown(page):
    return page.get_attribute(".optimizer-explorer", "data-key"), page.inner_text(
        "[data-testid=summary]"
    )


def test_js_draws_and_follows_the_controls(stand_in_page, explorer):
    page = stand_in_page
    options = page.eval_on_selector_all(
        "[data-testid=optimizer] option", "els => els.map(e => e.value)"
    )
    assert options == SMALL_GRID["optimizers"]

    def expect(optimizer, lr, decay, momentum):
        key = oe.run_key(SMALL_GRID, optimizer, lr, decay, momentum)
        run = explorer.runs[key]
        text = f"{optimizer}: epoch 40: acc {run['accuracy'][-1]:.3f}, loss {run['loss'][-1]:.3f}"
        assert shown(page) == (key, text)

    expect("Adam", 0.05, 0.0, 0.0)
    page.select_option("[data-testid=optimizer]", "SGD")  # keeps the slider position: index 1
    expect("SGD", 1.0, 0.0, 0.0)
    set_slider(page, "momentum", 1)
    expect("SGD", 1.0, 0.0, 0.9)
    set_slider(page, "decay", 1)
    set_slider(page, "learning-rate", 0)
    expect("SGD", 0.5, 1e-2, 0.9)
    assert page.evaluate(
        "[window.state.learning_rate, window.state.decay, window.state.momentum]"
    ) == [0.5, 0.01, 0.9]
    assert page.evaluate("window.saved") == 4
    page.select_option("[data-testid=optimizer]", "Adam")
    expect("Adam", 0.01, 1e-2, 0.9)
    assert page.is_disabled("[data-testid=momentum]")
    # the decision map is painted: the canvas holds more than one color
    colors = page.eval_on_selector(
        "[data-testid=regions]",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set();
                  for (let i = 0; i < d.length; i += 4 * 97) {
                    seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
                  }
                  return seen.size; }""",
    )
    assert colors >= 3


# --- on the built static page, offline, with no kernel ---------------------------------------

CHAPTER_10 = "book/10_optimizers.html"


@pytest.fixture
def static_explorer(offline_page, site_url, executed):
    from tests.site.test_site_browser import settle

    offline_page.goto(site_url + CHAPTER_10)
    settle(offline_page)
    area = offline_page.locator(".optimizer-explorer")
    area.wait_for(timeout=30_000)
    nb = executed("10_optimizers")
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    stored = next(s["state"] for s in state.values() if "runs" in s.get("state", {}))
    return offline_page, stored


def test_static_page_explorer_follows_the_controls(static_explorer):
    page, stored = static_explorer
    grid, runs = stored["grid"], stored["runs"]
    last_epoch = (len(runs["Adam|3|0|0"]["loss"]) - 1) * grid["record_every"]

    def expect(optimizer, lr, decay, momentum):
        key = oe.run_key(grid, optimizer, lr, decay, momentum)
        run = runs[key]
        acc, loss = run["accuracy"][-1], run["loss"][-1]
        text = f"{optimizer}: epoch {last_epoch}: acc {acc:.3f}, loss {loss:.3f}"
        page.wait_for_function(
            "key => document.querySelector('.optimizer-explorer').dataset.key === key", arg=key
        )
        assert page.inner_text("[data-testid=summary]") == text

    # The page opens on the state the notebook left: Adam, learning rate 0.05, no decay.
    expect("Adam", 0.05, 0.0, 0.0)
    page.select_option("[data-testid=optimizer]", "SGD")  # same slider position: 1.0
    expect("SGD", 1.0, 0.0, 0.0)
    set_slider(page, "momentum", 2)
    expect("SGD", 1.0, 0.0, 0.9)
    set_slider(page, "decay", 1)
    set_slider(page, "learning-rate", 4)
    expect("SGD", 2.0, 1e-3, 0.9)
    assert page.inner_text("[data-testid=learning-rate-value]") == "2"
    page.select_option("[data-testid=optimizer]", "RMSProp")
    expect("RMSProp", 0.1, 1e-3, 0.0)
    assert page.is_disabled("[data-testid=momentum]")
    assert not page.log.problems(), page.log.problems()
