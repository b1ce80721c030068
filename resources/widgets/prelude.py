"""Join the explorers' shared prelude into each explorer's ES module and style sheet.

anywidget stores a widget's ES module in the widget state as one string, and a static HTML
page has no file next to it to import. So an explorer's ``.js`` file starts with

    import { el, svg, slider } from "./prelude.js";

(which Node and a stand-in page can follow), and ``esm("name.js")`` returns the module with
that line replaced by ``prelude.js`` itself (its ``export`` keywords dropped, so the names
become the module's own): one self-contained module. ``css("name.css")`` puts
``prelude.css`` in front of the explorer's own sheet.
"""

import functools
import pathlib
import re

HERE = pathlib.Path(__file__).parent
IMPORT = re.compile(r'^import\s*\{(?P<names>[^}]*)\}\s*from\s*"\./prelude\.js";[ \t]*$', re.M)
EXPORTED = re.compile(r"^export (?:async )?(?:function\*?|const|let|class) (\w+)", re.M)


@functools.cache
def prelude_names():
    """The names ``prelude.js`` exports."""
    return tuple(EXPORTED.findall((HERE / "prelude.js").read_text()))


def _inlined_prelude():
    """``prelude.js`` without ``export`` and without its comments (each page holds a copy)."""
    text = (HERE / "prelude.js").read_text()
    text = re.sub(r"^[ \t]*/\*\*.*?\*/[ \t]*\n", "", text, flags=re.M | re.S)
    text = re.sub(r"^[ \t]*//.*\n", "", text, flags=re.M)
    return re.sub(r"^export ", "", text, flags=re.M)


def esm(name):
    """The explorer ``name`` (a file in this folder) as one ES module, the prelude inlined.

    Raises ``ValueError`` if the file does not import from the prelude exactly once, or if it
    imports a name the prelude does not export.
    """
    source = (HERE / name).read_text()
    found = IMPORT.findall(source)
    if len(found) != 1:
        raise ValueError(
            f'{name} must import from "./prelude.js" exactly once (one line), found {len(found)}'
        )
    wanted = [n.strip() for n in found[0].split(",") if n.strip()]
    unknown = sorted(set(wanted) - set(prelude_names()))
    if unknown:
        raise ValueError(f"{name} imports {unknown} which prelude.js does not export")
    prelude = _inlined_prelude()
    header = f"// ---- prelude.js (joined in by resources/widgets/prelude.py) ----\n{prelude}"
    return IMPORT.sub(lambda _: header + f"// ---- {name} ----", source, count=1)


def css(name=None):
    """``prelude.css`` followed by the explorer's own sheet ``name`` (if given)."""
    sheets = [(HERE / "prelude.css").read_text()]
    if name is not None:
        sheets.append((HERE / name).read_text())
    return "\n".join(sheets)
