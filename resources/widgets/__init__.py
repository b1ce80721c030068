"""The book's interactive explorers (anywidgets whose logic runs in the browser)."""

from resources.widgets.tangent_explorer import TangentExplorer as TangentExplorer
