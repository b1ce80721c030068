"""Saving and loading a Model (``resources/saving.py``): round trips, resuming, damaged files.

A saved model must predict exactly as the original, resume training exactly as if it had never
stopped, and a file that is damaged or not what it claims must fail with a ValueError that says
what is wrong, leaving no half-loaded model behind.
"""

import json
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nnfs.datasets import spiral_data

from resources.classes import (
    SGD,
    Adam,
    AdamW,
    CategoricalAccuracy,
    CategoricalCrossEntropy,
    DenseLayer,
    Dropout,
    Model,
    ReLU,
    SoftMax,
)


def spiral_model(optimizer=None):
    model = Model()
    model.add(DenseLayer(2, 16))
    model.add(ReLU())
    model.add(DenseLayer(16, 3))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=optimizer or Adam(learning_rate=0.02, decay=1e-3),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    return model


@pytest.fixture
def data():
    np.random.seed(0)
    return spiral_data(samples=40, classes=3)


@pytest.fixture
def trained(data):
    np.random.seed(1)
    model = spiral_model()
    model.train(*data, epochs=30, batch_size=32, print_every=None, seed=5)
    return model


@pytest.fixture
def saved(trained, tmp_path):
    path = tmp_path / "model.npz"
    trained.save(path)
    return path


def parameters(model):
    return [array for layer in model.trainable_layers for array in (layer.weights, layer.biases)]


# -- round trips ------------------------------------------------------------------------


def test_a_loaded_model_predicts_exactly_as_the_saved_one(trained, saved, data):
    loaded = Model.load(saved)
    np.testing.assert_array_equal(loaded.predict(data[0]), trained.predict(data[0]))
    assert loaded.evaluate(*data) == trained.evaluate(*data)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in trained.layers]
    assert loaded.finalized and loaded.softmax_classifier_output is not None


def test_the_file_is_plain_arrays_and_a_json_architecture(saved):
    with zipfile.ZipFile(saved) as archive:
        names = sorted(archive.namelist())
    assert "architecture.npy" in names and "layer0.weights.npy" in names
    with np.load(saved, allow_pickle=False) as arrays:  # nothing in it needs pickle
        architecture = json.loads(str(arrays["architecture"]))
        assert arrays["layer2.weights"].shape == (16, 3)
        assert all(arrays[name].dtype.kind in "fU" for name in arrays.files)
    assert [layer["type"] for layer in architecture["layers"]] == [
        "DenseLayer",
        "ReLU",
        "DenseLayer",
        "SoftMax",
    ]
    assert architecture["layers"][0]["n_inputs"] == 2
    assert architecture["loss"] == "CategoricalCrossEntropy"
    assert architecture["optimizer"]["type"] == "Adam"
    assert architecture["optimizer"]["iterations"] == 30 * 4  # 120 samples in batches of 32


def test_dropout_and_regularizer_settings_survive_the_round_trip(data, tmp_path):
    model = Model()
    model.add(DenseLayer(2, 8, weight_regularizer_l1=1e-4, weight_regularizer_l2=5e-4,
                         bias_regularizer_l1=2e-4, bias_regularizer_l2=5e-4))  # fmt: skip
    model.add(ReLU())
    model.add(Dropout(0.1))
    model.add(DenseLayer(8, 3))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    model.save(tmp_path / "dropout.npz")
    loaded = Model.load(tmp_path / "dropout.npz")
    assert loaded.layers[2].rate == model.layers[2].rate == 0.9  # the share kept
    for name in ("weight_regularizer_l1", "weight_regularizer_l2", "bias_regularizer_l1",
                 "bias_regularizer_l2"):  # fmt: skip
        assert getattr(loaded.layers[0], name) == getattr(model.layers[0], name)
    assert loaded.regularization_loss() == model.regularization_loss()
    np.testing.assert_array_equal(loaded.predict(data[0]), model.predict(data[0]))


def test_loading_does_not_move_numpys_random_generator(saved):
    np.random.seed(3)
    expected = np.random.rand(3)
    np.random.seed(3)
    Model.load(saved)
    np.testing.assert_array_equal(np.random.rand(3), expected)


@pytest.mark.parametrize("batch_size", [None, 32])
def test_training_resumes_exactly_where_it_stopped(data, tmp_path, batch_size):
    np.random.seed(1)
    straight = spiral_model()
    straight.train(*data, epochs=40, batch_size=batch_size, print_every=None, seed=9)

    np.random.seed(1)
    first_half = spiral_model()
    first_half.train(*data, epochs=20, batch_size=batch_size, print_every=None, seed=9)
    first_half.save(tmp_path / "halfway.npz")
    resumed = Model.load(tmp_path / "halfway.npz")
    resumed.train(*data, epochs=20, batch_size=batch_size, print_every=None)

    assert resumed.optimizer.iterations == straight.optimizer.iterations
    assert resumed.optimizer.current_learning_rate == straight.optimizer.current_learning_rate
    for mine, theirs in zip(parameters(resumed), parameters(straight), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_without_the_optimizer_a_loaded_model_predicts_but_cannot_train(
    trained, saved, data, tmp_path
):
    trained.save(tmp_path / "small.npz", optimizer=False)
    loaded = Model.load(tmp_path / "small.npz")
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.predict(data[0]), trained.predict(data[0]))
    with pytest.raises(ValueError, match="train needs an optimizer"):
        loaded.train(*data)
    assert (tmp_path / "small.npz").stat().st_size < (tmp_path / "model.npz").stat().st_size


def test_sgd_without_momentum_saves_no_state_and_resumes(data, tmp_path):
    np.random.seed(1)
    model = spiral_model(optimizer=SGD(learning_rate=0.5, decay=0.01))
    model.train(*data, epochs=5, print_every=None)
    model.save(tmp_path / "sgd.npz")
    loaded = Model.load(tmp_path / "sgd.npz")
    model.train(*data, epochs=5, print_every=None)
    loaded.train(*data, epochs=5, print_every=None)
    for mine, theirs in zip(parameters(loaded), parameters(model), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_adamw_saves_its_weight_decay_and_state_and_resumes_exactly(data, tmp_path):
    np.random.seed(1)
    straight = spiral_model(optimizer=AdamW(learning_rate=0.02, decay=1e-3, weight_decay=0.5))
    straight.train(*data, epochs=20, print_every=None)

    np.random.seed(1)
    model = spiral_model(optimizer=AdamW(learning_rate=0.02, decay=1e-3, weight_decay=0.5))
    model.train(*data, epochs=10, print_every=None)
    model.save(tmp_path / "adamw.npz")
    with np.load(tmp_path / "adamw.npz", allow_pickle=False) as arrays:
        described = json.loads(str(arrays["architecture"]))["optimizer"]
        assert "layer0.weight_momentums" in arrays.files and "layer2.bias_cache" in arrays.files
    assert described["type"] == "AdamW" and described["weight_decay"] == 0.5
    loaded = Model.load(tmp_path / "adamw.npz")
    assert isinstance(loaded.optimizer, AdamW) and loaded.optimizer.weight_decay == 0.5
    assert loaded.optimizer.iterations == 10
    for mine, theirs in zip(loaded.trainable_layers, model.trainable_layers, strict=True):
        for name in ("weight_momentums", "weight_cache", "bias_momentums", "bias_cache"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))
    loaded.train(*data, epochs=10, print_every=None)
    for mine, theirs in zip(parameters(loaded), parameters(straight), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_bad_saved_weight_decay_is_refused(data, tmp_path):
    model = spiral_model(optimizer=AdamW(learning_rate=0.02, weight_decay=0.5))
    model.train(*data, epochs=1, print_every=None)
    model.save(tmp_path / "adamw.npz")
    rewrite(tmp_path / "adamw.npz", lambda a: a["optimizer"].update(weight_decay=-1.0))
    with pytest.raises(ValueError, match=r"the optimizer \(AdamW\): weight_decay must lie"):
        Model.load(tmp_path / "adamw.npz")
    rewrite(tmp_path / "adamw.npz", lambda a: a["optimizer"].pop("weight_decay"))
    with pytest.raises(ValueError, match=r"\(AdamW\) lacks the setting 'weight_decay'"):
        Model.load(tmp_path / "adamw.npz")


def test_parameters_alone_round_trip_into_a_model_of_the_same_shape(trained, data, tmp_path):
    trained.save_parameters(tmp_path / "parameters.npz")
    np.random.seed(2)
    fresh = spiral_model()
    fresh.load_parameters(tmp_path / "parameters.npz")
    np.testing.assert_array_equal(fresh.predict(data[0]), trained.predict(data[0]))


def test_parameters_can_also_come_from_a_whole_saved_model(trained, saved, data):
    fresh = spiral_model()
    fresh.load_parameters(saved)
    np.testing.assert_array_equal(fresh.predict(data[0]), trained.predict(data[0]))


def test_parameters_of_the_wrong_shape_are_refused_and_nothing_is_assigned(trained, tmp_path):
    trained.save_parameters(tmp_path / "parameters.npz")
    wider = Model()
    wider.add(DenseLayer(2, 16))  # fits the file
    wider.add(ReLU())
    wider.add(DenseLayer(16, 4))  # does not: the file has (16, 3)
    wider.add(SoftMax())
    wider.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    wider.finalize()
    before = wider.layers[0].weights.copy()
    with pytest.raises(ValueError, match=r"'layer2.weights' has shape \(16, 3\).*needs \(16, 4\)"):
        wider.load_parameters(tmp_path / "parameters.npz")
    np.testing.assert_array_equal(wider.layers[0].weights, before)  # the first layer untouched


def test_saving_refuses_what_it_cannot_describe(tmp_path):
    model = Model()
    model.add(DenseLayer(2, 3))
    with pytest.raises(ValueError, match="finalize"):
        model.save(tmp_path / "x.npz")

    class Custom(ReLU):
        pass

    model.add(Custom())
    model.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    model.finalize()
    with pytest.raises(ValueError, match="cannot save a layer of type Custom"):
        model.save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


# -- damaged and unexpected files -------------------------------------------------------


def rewrite(path, change_architecture=None, change_arrays=None):
    """Write ``path`` again with its architecture and/or arrays changed (as a tamperer might)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    architecture = json.loads(str(arrays.pop("architecture")))
    if change_architecture:
        change_architecture(architecture)
    if change_arrays:
        change_arrays(arrays)
    np.savez(path, architecture=np.array(json.dumps(architecture)), **arrays)


def test_a_truncated_file(saved):
    content = saved.read_bytes()
    saved.write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match="is damaged \\(truncated or corrupted\\)"):
        Model.load(saved)


def test_corrupted_bytes(saved):
    content = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("layer0.weights.npy")
    middle = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    content[middle : middle + 8] = b"\x00\xff" * 4
    saved.write_bytes(bytes(content))
    with pytest.raises(ValueError, match="is damaged.*CRC"):
        Model.load(saved)


def test_an_empty_file(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"is empty \(0 bytes\)"):
        Model.load(tmp_path / "empty.npz")


class Alarm:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_a_pickle_file_is_refused_without_running_it(tmp_path):
    alarm = tmp_path / "code-ran.txt"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": Alarm(alarm)}))
    with pytest.raises(ValueError, match="is a pickle file; this book never unpickles"):
        Model.load(path)
    assert not alarm.exists()
    pickle.loads(path.read_bytes())  # what unpickling would have done
    assert alarm.exists()


def test_an_npz_with_pickled_objects_inside_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, architecture=np.array([{"layers": []}], dtype=object))
    with pytest.raises(ValueError, match="holds pickled data"):
        Model.load(path)


def test_files_that_are_not_npz_archives(tmp_path, trained):
    text = tmp_path / "notes.npz"
    text.write_text("weights: 0.1 0.2\n")
    with pytest.raises(ValueError, match="is not an .npz archive"):
        Model.load(text)
    single = tmp_path / "weights.npy"
    np.save(single, trained.layers[0].weights)
    with pytest.raises(ValueError, match="is a single .npy array"):
        Model.load(single)
    other = tmp_path / "other.npz"
    np.savez(other, weights=trained.layers[0].weights)
    with pytest.raises(ValueError, match="has no 'architecture' entry"):
        Model.load(other)
    with pytest.raises(FileNotFoundError, match="no file at"):
        Model.load(tmp_path / "missing.npz")


def test_an_unknown_layer_type(saved):
    rewrite(saved, lambda a: a["layers"][1].update(type="os.system"))
    with pytest.raises(
        ValueError, match="layer 1 has an unknown type 'os.system' \\(known: DenseLayer, "
    ):
        Model.load(saved)


def test_unknown_settings_loss_accuracy_and_optimizer(saved):
    rewrite(saved, lambda a: a["layers"][0].update(activation="relu"))
    with pytest.raises(ValueError, match=r"layer 0 \(DenseLayer\) has unknown settings"):
        Model.load(saved)
    rewrite(saved, lambda a: (a["layers"][0].pop("activation"), a.update(loss="Hinge")))
    with pytest.raises(ValueError, match="the loss has an unknown type 'Hinge'"):
        Model.load(saved)
    rewrite(saved, lambda a: a.update(loss="CategoricalCrossEntropy", accuracy={"type": "F1"}))
    with pytest.raises(ValueError, match="the accuracy has an unknown type 'F1'"):
        Model.load(saved)
    rewrite(
        saved,
        lambda a: (
            a.update(accuracy={"type": "CategoricalAccuracy"}),
            a["optimizer"].pop("beta_2"),
        ),
    )
    with pytest.raises(ValueError, match=r"the optimizer \(Adam\) lacks the setting 'beta_2'"):
        Model.load(saved)


def test_bad_layer_settings(saved):
    rewrite(saved, lambda a: a["layers"][0].update(n_neurons=-4))
    with pytest.raises(ValueError, match=r"layer 0 \(DenseLayer\): n_neurons must be a positive"):
        Model.load(saved)


def test_a_parameter_whose_shape_does_not_fit_its_layer(saved):
    rewrite(saved, change_arrays=lambda arrays: arrays.update({"layer2.biases": np.zeros((1, 4))}))
    with pytest.raises(ValueError, match=r"'layer2.biases' has shape \(1, 4\).*needs \(1, 3\)"):
        Model.load(saved)


def test_a_missing_array(saved):
    rewrite(saved, change_arrays=lambda arrays: arrays.pop("layer0.biases"))
    with pytest.raises(ValueError, match="is missing the array 'layer0.biases'"):
        Model.load(saved)


def test_an_array_no_layer_uses(saved):
    rewrite(saved, change_arrays=lambda arrays: arrays.update({"layer1.weights": np.zeros(2)}))
    with pytest.raises(ValueError, match=r"holds arrays no layer uses: \['layer1.weights'\]"):
        Model.load(saved)


def test_nan_or_integer_parameters(saved):
    def poison(arrays):
        arrays["layer0.weights"] = arrays["layer0.weights"].copy()
        arrays["layer0.weights"][0, 0] = np.nan

    rewrite(saved, change_arrays=poison)
    with pytest.raises(ValueError, match="'layer0.weights' holds NaN or infinite values"):
        Model.load(saved)
    rewrite(
        saved,
        change_arrays=lambda arrays: arrays.update({"layer0.weights": np.zeros((2, 16), int)}),
    )
    with pytest.raises(ValueError, match="'layer0.weights' must hold floats"):
        Model.load(saved)


def test_bad_json_and_other_versions(saved):
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    np.savez(saved, **{**arrays, "architecture": np.array("{not json")})
    with pytest.raises(ValueError, match="'architecture' is not valid JSON"):
        Model.load(saved)
    np.savez(saved, **arrays)
    rewrite(saved, lambda a: a.update(version=2))
    with pytest.raises(ValueError, match="has format version 2; this engine reads version 1"):
        Model.load(saved)
    rewrite(saved, lambda a: a.update(version=1, format="something else"))
    with pytest.raises(ValueError, match="is not a nn-from-scratch model file"):
        Model.load(saved)


def test_regression_and_binary_models_round_trip(tmp_path):
    from resources.classes import (
        BinaryCrossEntropy,
        Linear,
        MeanAbsoluteError,
        RegressionAccuracy,
        Sigmoid,
    )

    np.random.seed(0)
    X = np.random.uniform(-1, 1, size=(40, 2))
    regression = Model()
    for layer in (DenseLayer(2, 8, weight_scale=0.1), ReLU(), DenseLayer(8, 1), Linear()):
        regression.add(layer)
    regression.set(loss=MeanAbsoluteError(), optimizer=Adam(0.01), accuracy=RegressionAccuracy())
    regression.finalize()
    targets = X[:, :1] * X[:, 1:]
    regression.train(X, targets, epochs=5, print_every=None)
    regression.save(tmp_path / "regression.npz")
    loaded = Model.load(tmp_path / "regression.npz")
    assert isinstance(loaded.loss, MeanAbsoluteError)
    assert loaded.accuracy.precision == regression.accuracy.precision  # kept, not re-derived
    assert loaded.evaluate(X, targets) == regression.evaluate(X, targets)

    binary = Model()
    for layer in (DenseLayer(2, 4), ReLU(), DenseLayer(4, 1), Sigmoid()):
        binary.add(layer)
    binary.set(loss=BinaryCrossEntropy(), optimizer=SGD(0.1), accuracy=CategoricalAccuracy())
    binary.finalize()
    binary.save(tmp_path / "binary.npz")
    loaded = Model.load(tmp_path / "binary.npz")
    assert isinstance(loaded.layers[-1], Sigmoid)
    # finalize combines a Sigmoid output with BinaryCrossEntropy, as after model.finalize()
    assert type(loaded.softmax_classifier_output) is type(binary.softmax_classifier_output)
    assert loaded.accuracy.binary
    np.testing.assert_array_equal(loaded.predict(X), binary.predict(X))


def test_a_parameters_file_is_not_a_model_file(trained, tmp_path):
    trained.save_parameters(tmp_path / "parameters.npz")
    with pytest.raises(ValueError, match="parameters.npz is not a nn-from-scratch model file"):
        Model.load(tmp_path / "parameters.npz")


@settings(max_examples=12, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    n_classes=st.integers(2, 4),
    dropout=st.booleans(),
    float32=st.booleans(),
)
def test_any_stack_of_layers_round_trips(tmp_path_factory, widths, n_classes, dropout, float32):
    rng = np.random.default_rng(0)
    sizes = [3, *widths, n_classes]
    model = Model()
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = DenseLayer(n_in, n_out, weight_regularizer_l2=1e-3 * i)
        layer.weights = rng.normal(size=layer.weights.shape)
        layer.biases = rng.normal(size=layer.biases.shape)
        if float32:  # what nnfs.init() produces
            layer.weights = layer.weights.astype(np.float32)
            layer.biases = layer.biases.astype(np.float32)
        model.add(layer)
        if i < len(sizes) - 2:
            model.add(ReLU())
            if dropout:
                model.add(Dropout(0.25))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    path = tmp_path_factory.mktemp("stack") / "model.npz"
    model.save(path)
    loaded = Model.load(path)
    X = rng.normal(size=(5, 3))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for mine, theirs in zip(parameters(loaded), parameters(model), strict=True):
        assert mine.dtype == theirs.dtype


# -- what a prediction needs besides the weights: the input rule and the class names -------

RULE = {"shape": [2], "layout": "row-major", "pixel_range": [-1, 1], "scaled_to": [-1, 1]}
NAMES = ["red", "green", "blue"]


def edited_copy(path, change_architecture=None, change_arrays=None):
    """A copy of the saved file ``path``, rewritten by ``rewrite``; the original unchanged."""
    copy = path.with_name("edited-" + path.name)
    copy.write_bytes(path.read_bytes())
    rewrite(copy, change_architecture, change_arrays)
    return copy


@pytest.fixture
def described(trained, tmp_path):
    trained.input_rule, trained.class_names = dict(RULE), list(NAMES)
    path = tmp_path / "described.npz"
    trained.save(path)
    return path


def test_the_input_rule_and_class_names_come_back(described, trained):
    loaded = Model.load(described)
    assert loaded.input_rule == RULE
    assert loaded.class_names == NAMES
    plain = spiral_model()
    assert plain.input_rule is None and plain.class_names is None


def test_the_digits_rule_round_trips_and_prepares_inputs_as_scale_pixels(tmp_path):
    from resources.datasets import (
        DIGITS_CLASS_NAMES,
        DIGITS_INPUT_RULE,
        load_digits_dataset,
        prepare_inputs,
        scale_pixels,
    )

    model = Model()
    model.add(DenseLayer(64, 10))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), accuracy=CategoricalAccuracy())
    model.finalize()
    model.input_rule, model.class_names = DIGITS_INPUT_RULE, DIGITS_CLASS_NAMES
    model.save(tmp_path / "digits.npz")
    loaded = Model.load(tmp_path / "digits.npz")
    assert loaded.input_rule == DIGITS_INPUT_RULE
    X, _ = load_digits_dataset()
    np.testing.assert_allclose(prepare_inputs(X[:50], loaded.input_rule), scale_pixels(X[:50]))
    as_images = X[:5].reshape(5, 8, 8)
    np.testing.assert_allclose(prepare_inputs(as_images, loaded.input_rule), scale_pixels(X[:5]))
    with pytest.raises(ValueError, match="pixel values must lie in"):
        prepare_inputs(X[:1] + 17, loaded.input_rule)


def test_a_file_without_the_entries_is_refused(described):
    for key in ("input", "class_names"):
        damaged = edited_copy(described, lambda a, key=key: a.pop(key))
        with pytest.raises(ValueError, match=f"no '{key}' entry"):
            Model.load(damaged)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(shape=[3]), "'shape' .* first layer takes 2"),
        (lambda r: r.update(shape=[2, 0]), "'shape' must be positive whole numbers"),
        (lambda r: r.update(shape="2"), "'shape' must be positive whole numbers"),
        (lambda r: r.pop("layout"), r"lacks the field\(s\) \['layout'\]"),
        (lambda r: r.update(layout="column-major"), "'layout' must be"),
        (lambda r: r.update(pixel_range=[16, 0]), "'pixel_range' must be \\[low, high\\]"),
        (lambda r: r.update(scaled_to=[0]), "'scaled_to' must be \\[low, high\\]"),
        (lambda r: r.update(scaled_to=[0, "1"]), "'scaled_to' must be \\[low, high\\]"),
        (lambda r: r.update(colour="grey"), r"unknown field\(s\) \['colour'\]"),
        (lambda r: r.update(description=7), "'description' must be text"),
    ],
)
def test_a_damaged_input_rule_is_refused_naming_the_field(described, change, message):
    def damage(architecture):
        change(architecture["input"])

    with pytest.raises(ValueError, match=message):
        Model.load(edited_copy(described, damage))


def test_a_non_object_input_rule_is_refused(described):
    damaged = edited_copy(described, lambda a: a.update(input=[8, 8]))
    with pytest.raises(ValueError, match="'input' must be a JSON object"):
        Model.load(damaged)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["red", "green"], "'class_names' has 2 names, but the last layer has 3 outputs"),
        (["a", "b", "c", "d"], "'class_names' has 4 names"),
        (["red", "red", "blue"], "'class_names' has repeated names"),
        (["red", "", "blue"], "'class_names' must be a list of non-empty strings"),
        ([0, 1, 2], "'class_names' must be a list of non-empty strings"),
        ("red green blue", "'class_names' must be a list of non-empty strings"),
    ],
)
def test_damaged_class_names_are_refused_naming_the_field(described, names, message):
    with pytest.raises(ValueError, match=message):
        Model.load(edited_copy(described, lambda a: a.update(class_names=names)))


def test_saving_refuses_a_rule_or_names_that_would_not_load(trained, tmp_path):
    trained.class_names = ["only", "two"]
    with pytest.raises(ValueError, match="'class_names' has 2 names"):
        trained.save(tmp_path / "bad.npz")
    trained.class_names, trained.input_rule = None, {**RULE, "shape": [8, 8]}
    with pytest.raises(ValueError, match="'shape'"):
        trained.save(tmp_path / "bad.npz")
    assert not list(tmp_path.iterdir())  # nothing written, no temporary file left


def test_a_negative_optimizer_cache_is_refused(saved):
    def negative(arrays):
        arrays["layer0.weight_cache"] = -np.abs(arrays["layer0.weight_cache"]) - 1e-3

    with pytest.raises(ValueError, match="'layer0.weight_cache' holds negative values"):
        Model.load(edited_copy(saved, change_arrays=negative))


def test_saving_twice_to_one_path_leaves_one_whole_file(trained, tmp_path):
    path = tmp_path / "model.npz"
    trained.save(path)
    trained.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    Model.load(path)
