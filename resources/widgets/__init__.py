"""The book's interactive explorers (anywidgets whose logic runs in the browser)."""

from resources.widgets.augmentation_explorer import AugmentationExplorer as AugmentationExplorer
from resources.widgets.checkpoint_explorer import CheckpointExplorer as CheckpointExplorer
from resources.widgets.depth_explorer import DepthExplorer as DepthExplorer
from resources.widgets.drawing_pad import DrawingPad as DrawingPad
from resources.widgets.dropout_explorer import DropoutExplorer as DropoutExplorer
from resources.widgets.fit_explorer import FitExplorer as FitExplorer
from resources.widgets.neuron_explorer import NeuronExplorer as NeuronExplorer
from resources.widgets.optimizer_explorer import OptimizerExplorer as OptimizerExplorer
from resources.widgets.regularization_explorer import (
    RegularizationExplorer as RegularizationExplorer,
)
from resources.widgets.relu_pieces import ReluPiecesExplorer as ReluPiecesExplorer
from resources.widgets.tangent_explorer import TangentExplorer as TangentExplorer
from resources.widgets.threshold_explorer import ThresholdExplorer as ThresholdExplorer
