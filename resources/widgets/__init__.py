"""Interactive explorers of the book: each computes in the browser and mirrors the engine."""

from resources.widgets.relu_pieces import ReluPiecesExplorer  # noqa: F401
