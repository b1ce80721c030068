"""Interactive explorers whose logic runs in the browser (anywidget), mirrored in Python."""

from resources.widgets.tangent_explorer import TangentExplorer  # noqa: F401
