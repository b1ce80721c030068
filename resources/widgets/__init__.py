"""The book's interactive explorers (anywidgets whose logic runs in the browser)."""

from resources.widgets.optimizer_explorer import OptimizerExplorer as OptimizerExplorer
