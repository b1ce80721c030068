"""Chapter 21, saving and loading: what the executed chapter printed, checked.

The numbers come from the cells tagged ``out-...``. Expected values follow from arithmetic on
the digits model's shapes (64-64-10, 1,078 training images in batches of 32) or from the
chapter's own other outputs; the damaged-file cells must show the loader's specific messages.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from resources.classes import (
    Adam,
    CategoricalAccuracy,
    CategoricalCrossEntropy,
    DenseLayer,
    Model,
    ReLU,
    SoftMax,
)
from tests.notebooks import glued as glued_values
from tests.notebooks import numbers_in, output_of

ROOT = Path(__file__).resolve().parents[2]
STEPS_PER_EPOCH = math.ceil(1078 / 32)  # 60 % of the 1,797 digits, batches of 32


def unwrapped(text):
    """The chapter wraps long messages onto indented lines: join them back into one."""
    return " ".join(line.strip() for line in text.splitlines())


def glued(nb, name):
    """The value a cell stored with ``glue(name, ...)`` (its text form)."""
    values = glued_values(nb)
    assert name in values, f"expected a glued value {name!r}"
    return values[name]


@pytest.fixture(scope="module")
def ch21(executed):
    return executed("21_saving_and_loading")


def test_unpickling_ran_the_function_the_file_named(ch21):
    lines = output_of(ch21, "out-pickle-demo").splitlines()
    assert lines[1] == "This line was printed by pickle.loads, while loading."
    assert "returned None" in lines[2]  # print's return value, not the object we pickled


def test_the_digits_model_is_good_and_trained_for_20_epochs(ch21):
    steps, accuracy, loss = numbers_in(output_of(ch21, "out-trained"))
    assert steps == 20 * STEPS_PER_EPOCH == int(glued(ch21, "ch21_steps"))
    assert round(float(glued(ch21, "ch21_test_accuracy")), 3) == accuracy
    assert accuracy >= 0.95  # the issue: at least 0.95 on the test data
    assert 0 < loss < 0.3


def test_the_file_listing_adds_up(ch21):
    lines = output_of(ch21, "out-saved").splitlines()
    total = numbers_in(lines[0])[-1]
    members = {line.split()[0]: int(line.split()[1]) for line in lines[1:]}
    assert len(members) == 1 + 2 * 2 + 2 * 4  # architecture, 2 layers x (2 params + 4 Adam)
    header = 128  # an .npy header, padded to 128 bytes for these small dictionaries
    assert members["layer0.weights.npy"] == header + 64 * 64 * 8
    assert members["layer2.biases.npy"] == header + 10 * 8
    assert members["layer0.weight_cache.npy"] == members["layer0.weights.npy"]
    assert sum(members.values()) < total < sum(members.values()) + 3000  # zip bookkeeping
    assert int(glued(ch21, "ch21_file_bytes")) == total  # the number the prose quotes
    # "four fifths of it the three copies of the first layer's weights"
    copies = 3 * members["layer0.weights.npy"]
    assert 0.75 < copies / total < 0.85


def test_the_architecture_is_readable_json(ch21):
    text = output_of(ch21, "out-architecture")
    types = [line.split("'type': '")[1].split("'")[0] for line in text.splitlines()[:4]]
    assert types == ["DenseLayer", "ReLU", "DenseLayer", "SoftMax"]
    assert "'n_inputs': 64, 'n_neurons': 10" in text
    iterations = int(text.split("'iterations': ")[1].split(",")[0])
    assert iterations == 20 * STEPS_PER_EPOCH
    rate = float(text.split("'current_learning_rate': ")[1].split("}")[0])
    assert rate == pytest.approx(0.005 / (1 + 1e-3 * (iterations - 1)), rel=1e-12)


def test_the_loaded_model_predicts_identically(ch21):
    text = output_of(ch21, "out-loaded")
    assert "identical predictions on 359 test images: True" in text
    original, loaded = (numbers_in(line)[-1] for line in text.splitlines()[1:3])
    assert original == loaded == numbers_in(output_of(ch21, "out-trained"))[1]


def test_resuming_equals_training_without_a_break(ch21):
    resumed_steps, straight_steps, difference = numbers_in(output_of(ch21, "out-resumed"))
    assert resumed_steps == straight_steps == 30 * STEPS_PER_EPOCH
    assert difference == 0.0


def test_a_fresh_optimizer_gives_a_different_run(ch21):
    lines = output_of(ch21, "out-restarted").splitlines()
    assert numbers_in(lines[0])[0] > 0.01
    accuracies = [numbers_in(line)[-1] for line in lines[1:]]
    assert accuracies[0] == accuracies[1]  # straight and resumed: the same model
    assert all(accuracy >= 0.95 for accuracy in accuracies)
    # the prose: the runs differ by "a few of the 359 test images", too few to call (noise)
    assert 0 < round(abs(accuracies[2] - accuracies[0]) * 359) <= 5


def test_parameters_alone_restore_the_predictions(ch21):
    text = output_of(ch21, "out-parameters")
    size, before, after = numbers_in(text.splitlines()[0])
    assert after == numbers_in(output_of(ch21, "out-trained"))[1]
    assert before < after
    assert size < numbers_in(output_of(ch21, "out-saved").splitlines()[0])[-1] / 2
    assert text.splitlines()[1] == "same predictions as the original: True"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("truncated", "truncated.npz is damaged (truncated or corrupted): "),
        ("corrupted", "corrupted.npz is damaged (truncated or corrupted): Bad CRC-32 for file"),
        ("empty", "empty.npz is empty (0 bytes): not a saved model"),
        ("pickle", "pickled-model.npz is a pickle file; this book never unpickles"),
        ("not-npz", "notes.npz is not an .npz archive (it starts with b'weight')"),
        ("unknown-layer", "unknown-layer.npz: layer 1 has an unknown type 'Conv2D'"),
        ("wrong-shape", "'layer2.weights' has shape (64, 9), but its layer needs (64, 10)"),
        ("missing", "missing.npz is missing the array 'layer0.biases'"),
        ("class-names", "nine-names.npz: 'class_names' has 9 names, but the last layer has 10"),
        ("class-names", "bad-rule.npz: 'input' field 'scaled_to' must be [low, high]"),
    ],
)
def test_each_damaged_file_fails_with_its_message(ch21, tag, message):
    text = unwrapped(output_of(ch21, f"out-damaged-{tag}"))
    assert text.startswith("ValueError: ") and message in text
    assert "/tmp" not in text  # the messages name the file, not the temporary folder


def test_a_failed_load_leaves_the_model_unchanged(ch21):
    text = output_of(ch21, "out-never-half-loaded")
    *error, last = text.splitlines()
    assert unwrapped("\n".join(error)).startswith(
        "ValueError: wrong-shape.npz: 'layer2.weights' has shape (64, 9)"
    )
    assert last == "the model is unchanged: True"


def test_exercise_2s_answer_is_what_the_loader_does(tmp_path):
    """The sealed answer "acd": (a), (c), (d) are refused, (b) and (e) load."""
    np.random.seed(0)
    model = Model()
    for layer in (DenseLayer(4, 5), ReLU(), DenseLayer(5, 3), SoftMax()):
        model.add(layer)
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    path = tmp_path / "m.npz"

    def variant(change_architecture=None, change_arrays=None):
        model.save(path)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        architecture = json.loads(str(arrays.pop("architecture")))
        if change_architecture:
            change_architecture(architecture)
        if change_arrays:
            change_arrays(arrays)
        np.savez(path, architecture=np.array(json.dumps(architecture)), **arrays)
        try:
            Model.load(path)
            return True
        except ValueError:
            return False

    def nan_bias(arrays):
        arrays["layer0.biases"] = arrays["layer0.biases"].copy()
        arrays["layer0.biases"][0, 1] = np.nan

    loads = {
        "a": variant(change_arrays=lambda a: a.update(extra=np.zeros(3))),
        "b": variant(
            change_arrays=lambda a: a.update(
                {"layer0.weights": a["layer0.weights"].astype(np.float32)}
            )
        ),
        "c": variant(lambda a: a["layers"][3].update(type="Sigmoid2")),
        "d": variant(change_arrays=nan_bias),
        "e": variant(lambda a: a["optimizer"].update(learning_rate=0.5)),
    }
    assert "".join(sorted(k for k, ok in loads.items() if not ok)) == "acd"


def test_the_file_holds_the_input_rule_and_class_names_and_load_gives_them_back(ch21):
    from resources.datasets import DIGITS_CLASS_NAMES, DIGITS_INPUT_RULE

    text = output_of(ch21, "out-architecture")
    assert f"input: {DIGITS_INPUT_RULE}" in text
    assert f"class_names: {DIGITS_CLASS_NAMES}" in text
    loaded = output_of(ch21, "out-loaded")
    assert f"input rule: {DIGITS_INPUT_RULE['description']}" in loaded
    assert "prepare_inputs with the loaded rule gives the training scaling: True" in loaded


def test_the_model_is_saved_beside_the_notebooks_where_chapter_22_looks(ch21):
    from resources.datasets import DIGITS_MODEL_FILE

    assert output_of(ch21, "out-saved").startswith(f"{DIGITS_MODEL_FILE}: ")
    source = "".join(c.source for c in ch21.cells if "out-saved" in c.metadata.get("tags", []))
    assert "Path(DIGITS_MODEL_FILE)" in source and "tempfile" not in source.split("model.save")[0]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "book/*.npz" in ignored


def test_the_file_carries_its_format_and_version(ch21):
    from resources.saving import FORMAT, VERSION

    assert f"format: {FORMAT}  version: {VERSION}" in output_of(ch21, "out-architecture")
    text = output_of(ch21, "out-damaged-version")
    assert text.startswith("ValueError:") and "format version 2;" in " ".join(text.split())
