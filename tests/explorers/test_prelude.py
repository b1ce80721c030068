"""The explorers' shared prelude: one spelling of the drawing helpers, joined into each module.

``resources/widgets/prelude.py`` replaces an explorer's one ``import ... from "./prelude.js"``
line with the prelude itself, so the widget's state holds one self-contained module (a static
page has no file next to it to import).
"""

import re
from pathlib import Path

import pytest

from resources.widgets import prelude
from tests.explorers.node_harness import run_js

WIDGETS = Path(prelude.__file__).parent
EXPLORERS = sorted(
    p.name for p in WIDGETS.glob("*.js") if p.name != "prelude.js" and "prelude.js" in p.read_text()
)
# The six explorers this prelude was made for; later ones join the list above by importing it.
FIRST_SIX = {
    "augmentation_explorer.js",
    "checkpoint_explorer.js",
    "neuron_explorer.js",
    "optimizer_explorer.js",
    "relu_pieces.js",
    "tangent_explorer.js",
}


def test_every_explorer_uses_the_prelude():
    assert FIRST_SIX <= set(EXPLORERS)


@pytest.mark.parametrize("name", EXPLORERS)
def test_joined_module_is_self_contained(name):
    joined = prelude.esm(name)
    assert re.search(r"^\s*import\s", joined, re.M) is None  # nothing left to fetch
    assert "export default { render }" in joined
    # The prelude's helpers are the module's own now, not exports of it.
    assert re.search(r"^export function svg\(", joined, re.M) is None
    assert re.search(r"^function svg\(", joined, re.M) is not None


@pytest.mark.parametrize("name", sorted(FIRST_SIX))
def test_no_private_copies_of_the_helpers(name):
    source = (WIDGETS / name).read_text()
    assert "createElementNS" not in source  # svg() and el() are the prelude's
    assert "http://www.w3.org/2000/svg" not in source
    for helper in prelude.prelude_names():
        assert re.search(rf"^(?:export )?(?:function|const|let) {helper}\b", source, re.M) is None


def test_joined_modules_load_under_node():
    for name in EXPLORERS:
        exports = run_js(name, "out(Object.keys(m));")
        assert "default" in exports, name


def test_the_widgets_ship_the_joined_module_and_sheet():
    from resources.widgets import NeuronExplorer, TangentExplorer

    state = TangentExplorer().get_state()
    assert state["_esm"] == prelude.esm("tangent_explorer.js")
    assert state["_css"].startswith((WIDGETS / "prelude.css").read_text())
    assert ".tangent-explorer" in state["_css"]
    assert NeuronExplorer().graph.get_state()["_esm"] == prelude.esm("neuron_explorer.js")


def test_esm_refuses_a_module_without_the_import(tmp_path, monkeypatch):
    monkeypatch.setattr(prelude, "HERE", tmp_path)
    (tmp_path / "prelude.js").write_text((WIDGETS / "prelude.js").read_text())
    (tmp_path / "bare.js").write_text("export default { render() {} };\n")
    with pytest.raises(ValueError, match="exactly once"):
        prelude.esm("bare.js")
    (tmp_path / "odd.js").write_text('import { svg, plotEverything } from "./prelude.js";\n')
    with pytest.raises(ValueError, match="plotEverything"):
        prelude.esm("odd.js")


NUMBERS = """
const p = await import(data.prelude);
out({
  fixed: [p.fixed(-0.0001), p.fixed(-0.0004, 3), p.fixed(2.5, 2), p.fixed(-1.25, 1), p.fixed(-0)],
  format: [p.formatNumber(0), p.formatNumber(1e-5), p.formatNumber(0.25), p.formatNumber(2e5)],
  nearest: [p.nearestIndex([0, 0.5, 0.9], 0.7), p.nearestIndex([0.001, 0.01, 0.1], 0.004, true)],
  names: Object.keys(p).sort(),
});
"""


def test_number_helpers(tmp_path):
    module = tmp_path / "prelude.mjs"
    module.write_text((WIDGETS / "prelude.js").read_text())
    got = run_js("tangent_explorer.js", NUMBERS, {"prelude": module.as_uri()})
    assert got["fixed"] == ["0.000", "0.000", "2.50", "-1.3", "0.000"]
    assert got["format"] == ["0", "1.000e-5", "0.250000", "2.000e+5"]
    assert got["nearest"] == [1, 1]  # 0.7 is nearer 0.5 than 0.9; log: 0.004 nearer 0.01
    assert got["names"] == sorted(prelude.prelude_names())
