"""An explorer in Chromium on a stand-in page, and the checks every explorer must pass there.

``stand_in_page(browser, folder, widget)`` writes the widget's own ES module and style sheet
(exactly the strings its state holds) and a page whose ``model`` stands in for anywidget's
(``get``, ``set``, ``on``, ``off``, ``save_changes``; ``set`` fires ``change:<key>`` like
Backbone), renders it, and yields the Playwright page (served by ``tests.conftest.harness_page``,
which fails the test on any page error). In the page, ``window.model.values`` is the state,
``window.model.saved`` counts ``save_changes`` calls and ``window.pythonSets(key, value)`` is a
change made by Python. ``width`` reloads the page at that viewport width.

The accessibility checks (issue 13): ``axe_violations`` (axe-core on the explorer),
``keyboard_walk`` (Tab reaches every control, each has a name, arrow keys move sliders one
step with aria-valuenow following, focus stays put) and ``narrow_screen`` (at 390 px nothing
is off screen or scrolls sideways, no text below 11 px), with screenshots saved to
``test-artifacts/screenshots/explorers/``.
"""

import contextlib
import json

from tests.conftest import ARTIFACTS, ROOT, harness_page

SCREENSHOTS = ARTIFACTS / "screenshots" / "explorers"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MIN_FONT_PX = 11

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 0; padding: 16px; font-family: sans-serif; }}</style>
<link rel="stylesheet" href="./explorer.css">
</head><body><main><h1 style="font-size: 18px">{title}</h1><div id="root"></div></main>
<script type="application/json" id="state">{state}</script>
<script type="module">
import widget from "./explorer.mjs";
const values = JSON.parse(document.getElementById("state").textContent);
const listeners = {{}};
const fire = (key) => {{ for (const f of [...(listeners["change:" + key] || [])]) f(); }};
window.model = {{
  values, saved: 0,
  get: (key) => values[key],
  set(key, value) {{
    const changed = JSON.stringify(values[key]) !== JSON.stringify(value);
    values[key] = value;
    if (changed) fire(key);
  }},
  save_changes() {{ this.saved += 1; {save} }},
  on: (event, f) => {{ (listeners[event] ||= []).push(f); }},
  off: (event, f) => {{
    listeners[event] = (listeners[event] || []).filter((g) => g !== f);
  }},
}};
// What Python does when it changes a trait: set it and notify the page.
window.pythonSets = (key, value) => {{ values[key] = value; fire(key); }};
widget.render({{ model: window.model, el: document.getElementById("root") }});
window.rendered = true;
</script></body></html>
"""


def page_state(widget, **overrides):
    """The widget's synced state without anywidget's private keys, plus ``overrides``."""
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
    return {**json.loads(json.dumps(state)), **overrides}


@contextlib.contextmanager
def stand_in_page(browser, folder, widget, state=None, width=None, static=False):
    """``widget`` rendered in Chromium with a stand-in model holding ``state``.

    ``state`` defaults to the widget's synced state; ``static=True`` makes ``save_changes``
    throw, as on a page with no kernel.
    """
    full = widget.get_state()
    (folder / "explorer.mjs").write_text(full["_esm"])
    (folder / "explorer.css").write_text(full.get("_css", ""))
    state = page_state(widget) if state is None else state
    save = 'throw new Error("no kernel on a static page");' if static else ""
    title = type(widget).__name__
    text = json.dumps(state).replace("</", "<\\/")
    (folder / "index.html").write_text(PAGE.format(title=title, state=text, save=save))
    with harness_page(browser, folder) as page:
        if width is not None:
            page.set_viewport_size({"width": width, "height": 844})
            page.reload()
            page.wait_for_function("window.rendered === true")
        page.wait_for_timeout(50)  # one frame for the drawings to fit their text
        yield page


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, selector=".explorer"):
    """axe-core's violations (id, impact, nodes) inside ``selector``."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (selector) => {
          const result = await axe.run(selector, { resultTypes: ["violations"] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")),
          }));
        }""",
        selector,
    )


# Accessible name, role and state of the focused element (a small subset of the AccName rules,
# enough for the controls explorers use: aria-label, <label>, own text).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const byIds = (e.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent || "").join(" ");
  let fromLabel = "";
  if (e.labels && e.labels.length) {
    const copy = e.labels[0].cloneNode(true);
    copy.querySelectorAll("input, select, output, textarea").forEach((c) => c.remove());
    fromLabel = copy.textContent;
  }
  const label = e.getAttribute("aria-label") || byIds || fromLabel
    || (e.tagName === "BUTTON" ? e.textContent : "");
  const box = e.getBoundingClientRect();
  const style = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(), type: e.type || "", testid: e.dataset.testid || "",
    name: label.replace(/\\s+/g, " ").trim(), value: e.value ?? null,
    valuenow: e.getAttribute("aria-valuenow"), valuetext: e.getAttribute("aria-valuetext"),
    height: box.height,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    inExplorer: Boolean(e.closest(".explorer")),
  };
}"""


def keyboard_walk(page, limit=60):
    """Tab through the page; return what had focus, in order (only controls in the explorer)."""
    page.locator("body").focus()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or not focused["inExplorer"]:
            if seen:
                break
            continue
        if seen and focused == seen[0]:
            break
        seen.append(focused)
    return seen


def focus_on(page, testid):
    page.get_by_test_id(testid).focus()
    return page.evaluate(FOCUSED)


def press_on(page, testid, key):
    """Press ``key`` with ``testid`` focused; return the focused element's state afterwards."""
    page.get_by_test_id(testid).focus()
    page.keyboard.press(key)
    return page.evaluate(FOCUSED)


def check_controls(walk):
    """Every control reached by Tab is named, visibly focused, and sliders are >= 24 px tall."""
    problems = []
    for control in walk:
        where = control["testid"] or control["tag"]
        if not control["name"]:
            problems.append(f"{where} has no accessible name")
        if not control["outline"]:
            problems.append(f"{where} shows no focus outline")
        if control["type"] == "range":
            if control["height"] < 24:
                problems.append(f"{where} is {control['height']} px tall")
            if control["valuenow"] is None or control["valuetext"] is None:
                problems.append(f"{where} has no aria-valuenow/aria-valuetext")
    return problems


NARROW = """(minFont) => {
  const root = document.querySelector(".explorer");
  const width = document.documentElement.clientWidth;
  const out = {
    scrollWidth: document.documentElement.scrollWidth, width, offscreen: [], small: [],
  };
  for (const e of root.querySelectorAll("input, select, button, canvas, svg, output, table")) {
    const box = e.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
      out.offscreen.push(`${e.tagName} ${e.dataset.testid || ""} ${box.left}..${box.right}`);
    }
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!node.textContent.trim() || !parent || parent.closest("title, style, script")) continue;
    const svg = parent.closest("svg");
    let size = parseFloat(getComputedStyle(parent).fontSize);
    if (svg) {
      const view = svg.viewBox.baseVal;
      const drawn = svg.getBoundingClientRect().width;
      if (view && view.width && drawn) size *= drawn / view.width;
    }
    const box = parent.getBoundingClientRect();
    if (!box.width) continue; // hidden
    const text = node.textContent.trim().slice(0, 30);
    if (size < minFont - 0.05) out.small.push(`${size.toFixed(1)} px: ${text}`);
    if (box.left < -0.5 || box.right > width + 0.5) {
      out.offscreen.push(`text ${text} ${box.left}..${box.right}`);
    }
  }
  return out;
}"""


def narrow_screen(page):
    """At the page's current width: sideways scroll, elements off screen, too-small text."""
    return page.evaluate(NARROW, MIN_FONT_PX)


# -- on the built site ---------------------------------------------------------------------

NEAR_THE_EXPLORER = """() => {
  const view = document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]');
  if (view) view.parentElement.scrollIntoView({ block: "center" });
}"""


def open_built_page(page, site_url, chapter, testid, timeout=60_000):
    """Open ``book/<chapter>.html``, scroll to its first widget (the site loads the widget
    manager only when a reader nears one) and wait until ``testid`` is shown."""
    page.goto(f"{site_url}book/{chapter}.html")
    page.wait_for_load_state("load")
    page.evaluate(NEAR_THE_EXPLORER)
    page.get_by_test_id(testid).first.wait_for(timeout=timeout)
    page.get_by_test_id(testid).first.scroll_into_view_if_needed()
    return page
