"""The book's interactive explorers (anywidgets whose logic runs in the browser)."""

from resources.widgets.augmentation_explorer import AugmentationExplorer as AugmentationExplorer
from resources.widgets.checkpoint_explorer import CheckpointExplorer as CheckpointExplorer
