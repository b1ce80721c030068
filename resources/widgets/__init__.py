"""The book's interactive explorers (anywidgets whose logic runs in the browser)."""

from resources.widgets.neuron_explorer import NeuronExplorer as NeuronExplorer
