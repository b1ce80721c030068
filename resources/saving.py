"""Saving a ``Model`` to one ``.npz`` file and loading it back, safely (chapter 21).

The file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) that holds

* ``architecture``: one string, a JSON text that describes the model as data: the layers in
  order with their settings, the loss, the accuracy, (optionally) the optimizer with its
  settings and step count, and what a prediction needs besides the weights: ``input``, the
  rule that turns a raw input into the model's row of features (``model.input_rule``, e.g.
  ``{"shape": [8, 8], "layout": "row-major", "pixel_range": [0, 16], "scaled_to": [-1, 1]}``)
  and ``class_names``, one name per output (``model.class_names``); either may be null;
* ``layer<i>.weights`` and ``layer<i>.biases`` for every layer ``i`` that has parameters
  (for a ``BatchNorm``: ``layer<i>.gamma``, ``layer<i>.beta`` and its running statistics
  ``layer<i>.running_mean``, ``layer<i>.running_var``, which its predictions need);
* optionally the optimizer's state on each layer, ``layer<i>.weight_momentums``,
  ``layer<i>.weight_cache`` and so on, so that training resumes exactly where it stopped
  (with the mini-batch shuffler's state in the JSON). Not saved: ``model.history`` (a loaded
  model counts its epochs from 0 again) and NumPy's global generator, which draws dropout's
  masks: a run with dropout resumes exactly only if that generator is in the same state too
  (set it with ``np.random.seed`` before resuming, or accept a different run).

Loading reads it with ``allow_pickle=False``: only plain numbers and text, never pickled
Python objects (unpickling can run arbitrary code). Everything is checked before anything is
built or assigned; a damaged or unexpected file raises a ``ValueError`` that says what is
wrong, and never leaves a half-loaded model behind.
"""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from resources import classes
from resources.model import CategoricalAccuracy, Model, RegressionAccuracy, parameter_names

FORMAT = "nn-from-scratch model"
PARAMETERS_FORMAT = "nn-from-scratch parameters"
VERSION = 1

# What each class needs to be built again: the names of its constructor's settings.
LAYER_SETTINGS = {
    "DenseLayer": (
        "weight_regularizer_l1",
        "weight_regularizer_l2",
        "bias_regularizer_l1",
        "bias_regularizer_l2",
    ),
    "Dropout": ("rate",),
    "BatchNorm": ("momentum", "epsilon"),
    "ReLU": (),
    "SoftMax": (),
    "Sigmoid": (),
    "Linear": (),
}
LOSSES = ("CategoricalCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError", "MeanAbsoluteError")
OPTIMIZER_SETTINGS = {
    "SGD": ("learning_rate", "decay", "momentum"),
    "AdaGrad": ("learning_rate", "decay", "epsilon"),
    "RMSProp": ("learning_rate", "decay", "epsilon", "rho"),
    "Adam": ("learning_rate", "decay", "epsilon", "beta_1", "beta_2"),
    "AdamW": ("learning_rate", "decay", "epsilon", "beta_1", "beta_2", "weight_decay"),
}
OPTIMIZER_STATE = ("weight_momentums", "weight_cache", "bias_momentums", "bias_cache")
# The input rule: the entries it must have (see _checked_input_rule).
INPUT_RULE_FIELDS = ("shape", "layout", "pixel_range", "scaled_to")


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def save_model(model, path, optimizer=True):
    """Write ``model`` (finalized) to the ``.npz`` file ``path``; with its optimizer's state."""
    if not getattr(model, "finalized", False):
        raise ValueError("call model.finalize() before saving the model")
    architecture = {
        "format": FORMAT,
        "version": VERSION,
        "layers": [_describe_layer(layer) for layer in model.layers],
        "loss": type(model.loss).__name__,
        "accuracy": _describe_accuracy(model.accuracy),
        "optimizer": None,
        "shuffle_generator": None,
        # through JSON and back: tuples become lists, as loading will see them
        "input": json.loads(json.dumps(getattr(model, "input_rule", None))),
        "class_names": json.loads(json.dumps(getattr(model, "class_names", None))),
    }
    where = "the model"  # the same checks as loading, so that no file is written that fails
    _checked_input_rule(architecture["input"], model.layers, where)
    _checked_class_names(architecture["class_names"], model.layers, where)
    if architecture["loss"] not in LOSSES:
        raise ValueError(f"cannot save a model with the loss {architecture['loss']}")
    arrays = _parameter_arrays(model)
    if optimizer and model.optimizer is not None:
        architecture["optimizer"] = _describe_optimizer(model.optimizer)
        for i, layer in enumerate(model.layers):
            for name in OPTIMIZER_STATE:
                if hasattr(layer, "weights") and hasattr(layer, name):
                    arrays[f"layer{i}.{name}"] = getattr(layer, name)
        if model.rng is not None:
            architecture["shuffle_generator"] = model.rng.bit_generator.state
    _write(path, architecture, arrays)


def save_parameters(model, path):
    """Write only the parameters of ``model``'s layers to the ``.npz`` file ``path``."""
    arrays = _parameter_arrays(model)
    shapes = {name: list(array.shape) for name, array in arrays.items()}
    _write(path, {"format": PARAMETERS_FORMAT, "version": VERSION, "shapes": shapes}, arrays)


def _parameter_arrays(model):
    arrays = {}
    for i, layer in enumerate(model.layers):
        if hasattr(layer, "weights"):
            for name in parameter_names(layer):
                arrays[f"layer{i}.{name}"] = getattr(layer, name)
    return arrays


def _write(path, architecture, arrays):
    """Write to a temporary file first, then rename: an interrupted save leaves no half file.

    The temporary file has a name of its own (two programs saving to one path at once do not
    write into each other's), and ``os.replace`` swaps it in whole: a reader of ``path`` sees
    the old file or the new one, never a mixture.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, architecture=np.array(json.dumps(architecture)), **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _describe_layer(layer):
    name = type(layer).__name__
    if name not in LAYER_SETTINGS or not isinstance(layer, getattr(classes, name)):
        raise ValueError(f"cannot save a layer of type {name}: it is not one of the engine's")
    description = {"type": name}
    if name == "DenseLayer":
        description["n_inputs"], description["n_neurons"] = (int(n) for n in layer.weights.shape)
    if name == "BatchNorm":
        description["n_features"] = int(layer.n_features)
    for setting in LAYER_SETTINGS[name]:
        description[setting] = float(getattr(layer, setting))
    if name == "Dropout":  # the layer keeps the share kept, 1 - rate (as in the NNFS book)
        description["rate"] = 1 - layer.rate
    return description


def _describe_accuracy(accuracy):
    if isinstance(accuracy, RegressionAccuracy):
        return {"type": "RegressionAccuracy", "precision": accuracy.precision}
    if isinstance(accuracy, CategoricalAccuracy):
        return {"type": "CategoricalAccuracy"}
    raise ValueError(f"cannot save an accuracy of type {type(accuracy).__name__}")


def _describe_optimizer(optimizer):
    name = type(optimizer).__name__
    if name not in OPTIMIZER_SETTINGS:
        raise ValueError(f"cannot save an optimizer of type {name}")
    if getattr(optimizer, "schedule", None) is not None:
        raise ValueError(
            "cannot save an optimizer with a learning-rate schedule (the file has no place "
            "for it): save(path, optimizer=False) saves the model without its optimizer"
        )
    description = {"type": name}
    for setting in OPTIMIZER_SETTINGS[name]:
        description[setting] = float(getattr(optimizer, setting))
    description["iterations"] = int(optimizer.iterations)
    description["current_learning_rate"] = float(optimizer.current_learning_rate)
    return description


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_model(path):
    """Build the model saved in ``path``, finalized and ready to predict or train on."""
    architecture, arrays = _read(path, FORMAT)
    where = Path(path).name  # messages name the file
    layer_descriptions = _field(architecture, "layers", list, where)
    layers = _build_layers(layer_descriptions, where)
    loss = _build_loss(_field(architecture, "loss", str, where), where)
    accuracy = _build_accuracy(_field(architecture, "accuracy", dict, where), where)
    optimizer_description = architecture.get("optimizer")
    optimizer = None
    if optimizer_description is not None:
        optimizer = _build_optimizer(optimizer_description, where)

    input_rule = _checked_input_rule(_present(architecture, "input", where), layers, where)
    class_names = _checked_class_names(_present(architecture, "class_names", where), layers, where)
    expected = _expected_shapes(layers, optimizer is not None)
    _check_arrays(arrays, expected, where, optional=OPTIMIZER_STATE)

    # Everything is checked: now build.
    model = Model()
    for layer in layers:
        model.add(layer)
    model.set(loss=loss, accuracy=accuracy)
    if optimizer is not None:
        model.set(optimizer=optimizer)
    _assign(model.layers, arrays)
    model.finalize()
    model.input_rule, model.class_names = input_rule, class_names
    generator_state = architecture.get("shuffle_generator")
    if generator_state is not None and optimizer is not None:
        model.rng = _build_generator(generator_state, where)
    return model


def load_parameters(model, path):
    """Put the parameters saved in ``path`` into ``model``'s layers (shapes must fit)."""
    _, arrays = _read(path, PARAMETERS_FORMAT, FORMAT)
    # A whole saved model may also hold the optimizer's state: only the parameters matter here.
    arrays = {
        name: array for name, array in arrays.items() if _attribute(name) not in OPTIMIZER_STATE
    }
    _check_arrays(arrays, _expected_shapes(model.layers, with_optimizer=False), Path(path).name)
    _assign(model.layers, arrays)


def _read(path, *formats):
    """The header and the arrays of a file this module wrote, or a ValueError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    with open(path, "rb") as file:
        head = file.read(6)
    name = path.name  # the messages name the file
    if not head:
        raise ValueError(f"{name} is empty (0 bytes): not a saved model")
    if head[:1] == b"\x80":
        raise ValueError(
            f"{name} is a pickle file; this book never unpickles (unpickling can run code)"
        )
    if head == b"\x93NUMPY":
        raise ValueError(f"{name} is a single .npy array, not a saved model (.npz archive)")
    if head[:4] != b"PK\x03\x04":
        raise ValueError(f"{name} is not an .npz archive (it starts with {head!r})")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:  # an object array inside: pickled data
        raise ValueError(f"{name} holds pickled data, which is never loaded ({error})") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
        raise ValueError(f"{name} is damaged (truncated or corrupted): {error}") from None

    if "architecture" not in arrays:
        raise ValueError(f"{name} has no 'architecture' entry: not a saved model")
    text = arrays.pop("architecture")
    if text.shape != () or text.dtype.kind != "U":
        raise ValueError(f"{name}: 'architecture' must be one JSON string")
    try:
        architecture = json.loads(str(text))
    except json.JSONDecodeError as error:
        raise ValueError(f"{name}: 'architecture' is not valid JSON ({error})") from None
    if not isinstance(architecture, dict) or architecture.get("format") not in formats:
        raise ValueError(f"{name} is not a {formats[0]} file")
    if architecture.get("version") != VERSION:
        raise ValueError(
            f"{name} has format version {architecture.get('version')!r}; "
            f"this engine reads version {VERSION}"
        )
    return architecture, arrays


def _field(mapping, key, kind, where):
    if key not in mapping or not isinstance(mapping[key], kind):
        raise ValueError(f"{where}: the architecture needs '{key}' as {kind.__name__}")
    return mapping[key]


def _present(mapping, key, where):
    """``mapping[key]``, which may be null but must be there (a file from this module has it)."""
    if key not in mapping:
        raise ValueError(f"{where}: the architecture has no '{key}' entry (null if unknown)")
    return mapping[key]


def _dense_widths(layers):
    """(inputs of the first dense layer, outputs of the last), or None without dense layers."""
    dense = [layer for layer in layers if isinstance(layer, classes.DenseLayer)]
    if not dense:
        return None
    return dense[0].weights.shape[0], dense[-1].weights.shape[1]


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, int | float) and np.isfinite(value)


def _checked_input_rule(rule, layers, where):
    """The input rule (a JSON object, or None), checked field by field against the layers.

    ``shape``: the raw input's shape, whole numbers whose product is the first layer's inputs;
    ``layout``: how it is flattened, ``"row-major"``; ``pixel_range``: ``[low, high]`` of the
    raw values; ``scaled_to``: ``[low, high]`` they are mapped onto linearly. An optional
    ``description`` (text) says it in words.
    """
    if rule is None:
        return None
    if not isinstance(rule, dict):
        raise ValueError(f"{where}: 'input' must be a JSON object (or null), got {rule!r}")
    missing = [key for key in INPUT_RULE_FIELDS if key not in rule]
    if missing:
        raise ValueError(f"{where}: 'input' lacks the field(s) {missing}")
    unknown = sorted(set(rule) - set(INPUT_RULE_FIELDS) - {"description"})
    if unknown:
        raise ValueError(f"{where}: 'input' has unknown field(s) {unknown}")
    shape = rule["shape"]
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)
    ):
        raise ValueError(
            f"{where}: 'input' field 'shape' must be positive whole numbers, got {shape!r}"
        )
    widths = _dense_widths(layers)
    if widths is not None and int(np.prod(shape)) != widths[0]:
        raise ValueError(
            f"{where}: 'input' field 'shape' {shape} holds {int(np.prod(shape))} values, "
            f"but the first layer takes {widths[0]} inputs"
        )
    if rule["layout"] != "row-major":
        raise ValueError(
            f"{where}: 'input' field 'layout' must be \"row-major\", got {rule['layout']!r}"
        )
    for key in ("pixel_range", "scaled_to"):
        pair = rule[key]
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_number, pair))) or not (
            pair[0] < pair[1]
        ):
            raise ValueError(
                f"{where}: 'input' field '{key}' must be [low, high] with low < high, got {pair!r}"
            )
    if not isinstance(rule.get("description", ""), str):
        raise ValueError(f"{where}: 'input' field 'description' must be text")
    return rule


def _checked_class_names(names, layers, where):
    """The class names (a list of distinct, non-empty strings, one per output), or None."""
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(
            f"{where}: 'class_names' must be a list of non-empty strings, got {names!r}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: 'class_names' has repeated names: {names}")
    widths = _dense_widths(layers)
    if widths is not None and len(names) != widths[1]:
        raise ValueError(
            f"{where}: 'class_names' has {len(names)} names, but the last layer has "
            f"{widths[1]} outputs"
        )
    return list(names)


def _engine_class(name, allowed, what, where):
    if not isinstance(name, str) or name not in allowed or not hasattr(classes, name):
        known = ", ".join(name for name in allowed if hasattr(classes, name))
        raise ValueError(f"{where}: {what} has an unknown type {name!r} (known: {known})")
    return getattr(classes, name)


def _build_layers(descriptions, where):
    layers = []
    # Building a DenseLayer draws random weights; loading must not move NumPy's generator.
    random_state = np.random.get_state()
    try:
        for i, description in enumerate(descriptions):
            if not isinstance(description, dict):
                raise ValueError(f"{where}: layer {i} must be described by a JSON object")
            name = description.get("type")
            layer_class = _engine_class(name, LAYER_SETTINGS, f"layer {i}", where)
            settings = {key: value for key, value in description.items() if key != "type"}
            allowed = (
                set(LAYER_SETTINGS[name])
                | ({"n_inputs", "n_neurons"} if name == "DenseLayer" else set())
                | ({"n_features"} if name == "BatchNorm" else set())
            )
            unknown = sorted(set(settings) - allowed)
            if unknown:
                raise ValueError(f"{where}: layer {i} ({name}) has unknown settings {unknown}")
            try:
                layers.append(layer_class(**settings))
            except (TypeError, ValueError) as error:
                raise ValueError(f"{where}: layer {i} ({name}): {error}") from None
    finally:
        np.random.set_state(random_state)
    return layers


def _build_loss(name, where):
    return _engine_class(name, LOSSES, "the loss", where)()


def _build_accuracy(description, where):
    name = description.get("type")
    if name == "CategoricalAccuracy":
        return CategoricalAccuracy()
    if name == "RegressionAccuracy":
        try:
            return RegressionAccuracy(precision=description.get("precision"))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: the accuracy: {error}") from None
    raise ValueError(
        f"{where}: the accuracy has an unknown type {name!r} "
        "(known: CategoricalAccuracy, RegressionAccuracy)"
    )


def _build_optimizer(description, where):
    if not isinstance(description, dict):
        raise ValueError(f"{where}: the optimizer must be described by a JSON object")
    name = description.get("type")
    optimizer_class = _engine_class(name, OPTIMIZER_SETTINGS, "the optimizer", where)
    try:
        settings = {key: description[key] for key in OPTIMIZER_SETTINGS[name]}
        optimizer = optimizer_class(**settings)
        iterations, current = description["iterations"], description["current_learning_rate"]
    except KeyError as error:
        raise ValueError(f"{where}: the optimizer ({name}) lacks the setting {error}") from None
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: the optimizer ({name}): {error}") from None
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"{where}: the optimizer's iterations must be a count, got {iterations!r}")
    if isinstance(current, bool) or not isinstance(current, int | float) or not current > 0:
        raise ValueError(
            f"{where}: the optimizer's learning rate must be positive, got {current!r}"
        )
    optimizer.iterations = iterations
    optimizer.current_learning_rate = float(current)
    return optimizer


def _build_generator(state, where):
    try:
        generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{where}: the shuffling generator's state is invalid ({error})") from None
    return generator


def _expected_shapes(layers, with_optimizer):
    """Every array name the layers need, with its shape."""
    expected = {}
    for i, layer in enumerate(layers):
        if hasattr(layer, "weights"):
            shapes = {name: getattr(layer, name).shape for name in parameter_names(layer)}
            if with_optimizer:
                shapes.update(
                    weight_momentums=layer.weights.shape,
                    weight_cache=layer.weights.shape,
                    bias_momentums=layer.biases.shape,
                    bias_cache=layer.biases.shape,
                )
            for name, shape in shapes.items():
                expected[f"layer{i}.{name}"] = shape
    return expected


def _attribute(name):
    return name.rsplit(".", 1)[-1]


def _check_arrays(arrays, expected, where, optional=()):
    """Refuse missing, unexpected, misshapen, non-float or non-finite arrays."""
    for name, shape in expected.items():
        if name not in arrays:
            if _attribute(name) in optional:
                continue  # e.g. momentums that plain SGD never made
            raise ValueError(f"{where} is missing the array '{name}'")
        array = arrays[name]
        if array.dtype.kind != "f":
            raise ValueError(f"{where}: '{name}' must hold floats, got dtype {array.dtype}")
        if array.shape != shape:
            raise ValueError(
                f"{where}: '{name}' has shape {array.shape}, but its layer needs {shape}"
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{where}: '{name}' holds NaN or infinite values")
        if _attribute(name).endswith(("_cache", "_var")) and np.any(array < 0):
            # a cache (or a variance) is a mean of squares: negative, sqrt(< 0) follows
            raise ValueError(f"{where}: '{name}' holds negative values (it is never < 0)")
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise ValueError(f"{where} holds arrays no layer uses: {extra}")


def _assign(layers, arrays):
    for name, array in arrays.items():
        index, attribute = name.removeprefix("layer").split(".")
        setattr(layers[int(index)], attribute, array.copy())
