"""Run an explorer's JavaScript under Node: the very module its widget ships.

``run_js("tangent_explorer.js", script, data)`` writes the explorer's joined ES module
(``resources.widgets.prelude.esm``: the prelude inlined) to a temporary ``.mjs`` file and runs
``script`` after ``import * as m from <that module>``, with ``data`` (any JSON) bound to the
constant ``data``. The script reports with ``out(value)`` (JSON on stdout); ``run_js`` returns
that value. Without ``node`` on PATH the calling test is skipped.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from resources.widgets.prelude import esm

NODE = shutil.which("node")

MAIN = """import * as m from {module};
import {{ readFileSync }} from "node:fs";
const data = JSON.parse(readFileSync({data}, "utf8"));
const out = (value) => process.stdout.write(JSON.stringify(value));
{script}
"""


def run_js(name, script, data=None, timeout=120):
    """Run ``script`` against explorer ``name`` (e.g. ``"neuron_explorer.js"``); return ``out``."""
    if NODE is None:
        pytest.skip("node is not installed")
    with tempfile.TemporaryDirectory(prefix="explorer-js-") as folder:
        folder = Path(folder)
        module = folder / Path(name).with_suffix(".mjs").name
        module.write_text(esm(name))
        (folder / "data.json").write_text(json.dumps(data))
        main = folder / "main.mjs"
        main.write_text(
            MAIN.format(
                module=json.dumps(module.as_uri()),
                data=json.dumps(str(folder / "data.json")),
                script=script,
            )
        )
        done = subprocess.run(
            [NODE, str(main)], capture_output=True, text=True, timeout=timeout, cwd=folder
        )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
