"""Chapter 25 (Schedules, early stopping, and where next): every number it prints, every claim.

The schedules' printed rates are their formulas; ``decay=`` stays chapter 10's formula bit
for bit. The comparison (six schedules, five seeds each, paired with the constant-rate
control) is checked through the claims the prose makes about it: warm-up clearly better, the
decays alone clearly worse in training loss, fewer dead ReLUs with warm-up, a quieter end with
a decay; every verdict printed follows the rule stated. Early stopping: the run stops
``patience`` checks after its best one, the restored model is the best check's and identical
to a run stopped by hand, a patience of 5 stops on the early bump; the test-set comparison
says what the prose says. The PyTorch cell compares when PyTorch is importable and says so
when it is not.
"""

import importlib.util
import math
import re
from pathlib import Path

import pytest
import yaml

from tests.notebooks import glued, numbers_in, output_of

NAME = "25_schedules_and_early_stopping"
ROOT = Path(__file__).resolve().parents[2]
LEARNING_RATE, EPOCHS, WARMUP = 0.15, 200, 10
NAMES = [
    "constant (control)",
    "1/t decay",
    "step decay",
    "cosine decay",
    "warm-up, then constant",
    "warm-up, then cosine",
]
CONTROL, WARM, WARM_COS = NAMES[0], NAMES[4], NAMES[5]
DECAYS = NAMES[1:4]


@pytest.fixture(scope="module")
def chapter(executed):
    return executed(NAME)


@pytest.fixture(scope="module")
def glue(chapter):
    return {key: float(value) for key, value in glued(chapter).items()}


def test_the_chapter_is_in_the_part_training_deeper_networks():
    parts = yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
    captions = [part["caption"] for part in parts]
    part = parts[captions.index("Training deeper networks")]
    assert part["numbered"] is True
    assert f"book/{NAME}" in [chapter["file"] for chapter in part["chapters"]]
    assert captions.index("Training deeper networks") == captions.index("Appendix") - 1


# --- the schedules ----------------------------------------------------------------------------


def test_decay_stays_chapter_10s_formula_bit_for_bit(chapter):
    lines = output_of(chapter, "out-default").splitlines()
    assert lines[0] == "decay= equals the formula, bit for bit:      True"
    assert lines[1] == "InverseTimeDecay equals decay=, bit for bit: True"
    assert lines[2] == "rate at step 9999: 0.04975126853296942"  # chapter 10's published rate
    assert 0.05 / (1 + 5e-7 * 9999) == 0.04975126853296942


def test_bad_schedules_are_refused_with_clear_messages(chapter):
    lines = output_of(chapter, "out-refused").splitlines()
    assert lines == [
        "ValueError: give decay or schedule, not both (got decay=0.001 and "
        "schedule=CosineDecay(steps=100, floor=0.0)); decay=d is the schedule "
        "InverseTimeDecay(d)",
        "TypeError: schedule must be a function of (k, learning_rate) such as "
        "CosineDecay(steps=1000), got 0.5",
        "ValueError: floor must lie in [0, 1), got 1.5",
    ]


def formulas():
    """Each printed schedule's formula, written out here (not the engine's code)."""
    lr = LEARNING_RATE

    def cosine(k, steps, start=lr, floor=0.1):
        low = floor * start
        return low if k >= steps else low + (start - low) * (1 + math.cos(math.pi * k / steps)) / 2

    return {
        "1/t decay": lambda k: lr / (1 + 0.045 * k),
        "step decay": lambda k: lr * 0.5 ** (k // 50),
        "cosine decay": lambda k: cosine(k, EPOCHS),
        "warm-up, then constant": lambda k: lr * (k + 1) / WARMUP if k < WARMUP else lr,
        "warm-up, then cosine": (
            lambda k: lr * (k + 1) / WARMUP if k < WARMUP else cosine(k - WARMUP, EPOCHS - WARMUP)
        ),
    }


def test_the_printed_rates_are_the_formulas(chapter):
    text = output_of(chapter, "out-shapes")
    lines = text.splitlines()
    assert lines[0] == "rates at steps 0, 9, 10, 100, 150, 199:"
    steps = [0, 9, 10, 100, 150, 199]
    expected = formulas()
    assert len(lines) == 1 + len(expected)
    for line, (name, formula) in zip(lines[1:], expected.items(), strict=True):
        assert line.strip().startswith(name)
        printed = numbers_in(line.strip()[len(name) :])
        assert printed == [round(formula(k), 4) for k in steps], name
    # what the prose says of the shapes: each decay ends between a tenth and an eighth
    for name in DECAYS:
        assert 0.099 <= expected[name](EPOCHS - 1) / LEARNING_RATE <= 0.126, name


# --- the comparison ---------------------------------------------------------------------------

ROW = re.compile(
    r"^(.{23}) +([\d.]+) ± ([\d.]+) +([\d.]+) ± ([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$", re.M
)


@pytest.fixture(scope="module")
def table(chapter):
    text = output_of(chapter, "out-comparison")
    assert text.splitlines()[0].split() == [
        "schedule",
        "train",
        "loss",
        "val",
        "acc",
        "dead@10",
        "dead@200",
        "swing",
    ]
    rows = {}
    for match in ROW.finditer(text):
        name, *numbers = match.groups()
        keys = ("loss", "loss_se", "acc", "acc_se", "dead_early", "dead", "swing")
        rows[name.strip()] = dict(zip(keys, map(float, numbers), strict=True))
    assert list(rows) == NAMES
    for row in rows.values():
        assert 0 < row["loss"] < 1.2 and 0 < row["loss_se"] < 0.2
        assert 1 / 3 - 0.1 < row["acc"] <= 1 and 0 < row["acc_se"] < 0.1
        assert 0 <= row["dead_early"] <= 64 and 0 <= row["dead"] <= 64
        assert row["swing"] >= 0
    return rows


PAIRED = re.compile(
    r"^  (.+):\n"
    r" +train loss ([-+][\d.]+) ± ([\d.]+)  (.+)\n"
    r" +val acc +([-+][\d.]+) ± ([\d.]+)  (.+)$",
    re.M,
)


@pytest.fixture(scope="module")
def paired(chapter):
    text = output_of(chapter, "out-paired")
    assert text.startswith("differences from the control, seed by seed (mean ± standard error):")
    found = {}
    for name, loss, loss_se, loss_verdict, acc, acc_se, acc_verdict in PAIRED.findall(text):
        found[name] = {
            "loss": (float(loss), float(loss_se), loss_verdict),
            "acc": (float(acc), float(acc_se), acc_verdict),
        }
    assert list(found) == NAMES[1:]
    return found


def rule(mean, se):
    if abs(mean) > 2 * se:
        return "clear"
    return "noise" if abs(mean) < se else "unclear (1-2 SE)"


def test_every_verdict_follows_the_stated_rule(paired):
    for differences in paired.values():
        for mean, se, verdict in differences.values():
            # the printed numbers are rounded: skip the rare case that sits on a boundary
            if min(abs(abs(mean) - se), abs(abs(mean) - 2 * se)) > 0.002:
                assert verdict == rule(mean, se), (mean, se, verdict)


def test_warm_up_is_clearly_better_than_the_control(table, paired, glue):
    for name in (WARM, WARM_COS):
        loss, loss_se, loss_verdict = paired[name]["loss"]
        acc, acc_se, acc_verdict = paired[name]["acc"]
        assert loss < 0 and loss_verdict == "clear"
        assert acc > 0 and acc_verdict == "clear"
    assert table[WARM]["loss"] < table[CONTROL]["loss"]
    assert glue["ch25_control_loss"] == pytest.approx(table[CONTROL]["loss"], abs=5e-4)
    assert glue["ch25_warm_loss"] == pytest.approx(table[WARM]["loss"], abs=5e-4)
    assert glue["ch25_warm_loss_diff"] == pytest.approx(paired[WARM]["loss"][0], abs=5e-4)
    assert glue["ch25_warm_loss_se"] == pytest.approx(paired[WARM]["loss"][1], abs=5e-4)
    assert glue["ch25_warm_acc_diff"] == pytest.approx(paired[WARM]["acc"][0], abs=5e-4)
    assert glue["ch25_warm_acc_se"] == pytest.approx(paired[WARM]["acc"][1], abs=5e-4)


def test_the_dead_relus_explain_it(table, glue):
    control, warm = table[CONTROL], table[WARM]
    # many dead after 10 epochs without warm-up, far fewer with it; most of the control's
    # losses in those first epochs; "fifteen times the starting weights" is 0.15 / 0.01
    assert control["dead_early"] > 2 * warm["dead_early"]
    assert control["dead"] > 2 * warm["dead"]
    assert control["dead_early"] > control["dead"] / 2
    assert LEARNING_RATE / 0.01 == pytest.approx(15)
    assert glue["ch25_dead_control_early"] == pytest.approx(control["dead_early"], abs=0.05)
    assert glue["ch25_dead_warm_early"] == pytest.approx(warm["dead_early"], abs=0.05)
    assert glue["ch25_dead_control"] == pytest.approx(control["dead"], abs=0.05)
    assert glue["ch25_dead_warm"] == pytest.approx(warm["dead"], abs=0.05)
    assert glue["ch25_alive_control"] == pytest.approx(64 - control["dead"], abs=0.05)
    assert glue["ch25_alive_warm"] == pytest.approx(64 - warm["dead"], abs=0.05)
    # the decays do little against the early deaths: all far above the warm-up's count
    decays = [table[name]["dead_early"] for name in DECAYS]
    assert glue["ch25_dead_decays_low"] == pytest.approx(min(decays), abs=0.05)
    assert glue["ch25_dead_decays_high"] == pytest.approx(max(decays), abs=0.05)
    assert min(decays) > 2 * warm["dead_early"]


def test_the_decays_alone_made_the_loss_worse_and_the_end_quieter(table, paired, glue):
    for key, name in [("inverse", "1/t decay"), ("step", "step decay"), ("cosine", "cosine decay")]:
        loss, loss_se, verdict = paired[name]["loss"]
        assert loss > 0 and verdict == "clear", name
        assert glue[f"ch25_{key}_loss_diff"] == pytest.approx(loss, abs=5e-4)
        assert glue[f"ch25_{key}_loss_se"] == pytest.approx(loss_se, abs=5e-4)
    # a quiet end: the decayed runs' losses swing less over the last 50 epochs
    assert table["cosine decay"]["swing"] < table[CONTROL]["swing"] / 2
    assert table[WARM_COS]["swing"] < table[WARM]["swing"] / 2
    assert glue["ch25_swing_control"] == pytest.approx(table[CONTROL]["swing"], abs=5e-4)
    assert glue["ch25_swing_cosine"] == pytest.approx(table["cosine decay"]["swing"], abs=5e-4)
    assert glue["ch25_swing_warm"] == pytest.approx(table[WARM]["swing"], abs=5e-4)
    assert glue["ch25_swing_warm_cos"] == pytest.approx(table[WARM_COS]["swing"], abs=5e-4)
    # warm-up then cosine: the warm-up's gain, less some of what the decay costs
    warm, warm_cos = paired[WARM]["loss"][0], paired[WARM_COS]["loss"][0]
    assert warm < warm_cos < 0
    assert glue["ch25_warm_cos_loss_diff"] == pytest.approx(warm_cos, abs=5e-4)
    assert glue["ch25_warm_cos_loss_se"] == pytest.approx(paired[WARM_COS]["loss"][1], abs=5e-4)


COSINE = re.compile(
    r"^  (.+) minus (.+):\n"
    r" +final train loss +([-+][\d.]+) ± ([\d.]+)  (.+)\n"
    r" +val acc +([-+][\d.]+) ± ([\d.]+)  (.+)\n"
    r" +swing +([-+][\d.]+) ± ([\d.]+)  (.+)\n"
    r" +lowest train loss +([-+][\d.]+) ± ([\d.]+)  (.+)$",
    re.M,
)


@pytest.fixture(scope="module")
def cosine(chapter):
    text = output_of(chapter, "out-cosine")
    assert text.startswith("cosine against constant, seed by seed (mean ± standard error):")
    found = {}
    for name, other, *rest in COSINE.findall(text):
        found[name, other] = {
            key: (float(rest[3 * i]), float(rest[3 * i + 1]), rest[3 * i + 2])
            for i, key in enumerate(("loss", "val_acc", "swing", "lowest"))
        }
    assert list(found) == [(WARM_COS, WARM), ("cosine decay", CONTROL)]
    return found


def test_cosine_against_constant_paired_as_the_prose_says(cosine, paired, glue):
    for differences in cosine.values():
        for mean, se, verdict in differences.values():
            if min(abs(abs(mean) - se), abs(abs(mean) - 2 * se)) > 0.002:
                assert verdict == rule(mean, se), (mean, se, verdict)
    with_warm, alone = cosine[WARM_COS, WARM], cosine["cosine decay", CONTROL]
    # the same comparison as the table of differences from the control
    assert alone["loss"][:2] == paired["cosine decay"]["loss"][:2]
    assert alone["val_acc"][:2] == paired["cosine decay"]["acc"][:2]
    # after a warm-up, cosine costs training loss (clear); its accuracy difference is noise
    assert with_warm["loss"][0] > 0 and with_warm["loss"][2] == "clear"
    assert with_warm["val_acc"][2] == "noise"
    # a quieter end, clearly, in both pairs; and no lower loss even at the run's lowest
    for pair, key in ((with_warm, "warm"), (alone, "cosine")):
        assert pair["swing"][0] < 0 and pair["swing"][2] == "clear"
        for field in ("loss", "val_acc", "swing", "lowest"):
            assert glue[f"ch25_{key}_vs_{field}"] == pytest.approx(pair[field][0], abs=5e-4)
            assert glue[f"ch25_{key}_vs_{field}_se"] == pytest.approx(pair[field][1], abs=5e-4)
    assert alone["lowest"][0] > 0 and alone["lowest"][2] == "clear"


# --- early stopping ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def overfit(chapter):
    text = output_of(chapter, "out-overfit")
    lines = text.splitlines()
    lowest_loss, lowest_epoch = numbers_in(lines[0])
    last_epoch, last_loss = numbers_in(lines[1])
    train_at_lowest, train_last = numbers_in(lines[2])
    first_checks = numbers_in(lines[3].split(":")[1])
    return {
        "lowest_loss": lowest_loss,
        "lowest_epoch": int(lowest_epoch),
        "last_loss": last_loss,
        "train_at_lowest": train_at_lowest,
        "train_last": train_last,
        "first_checks": first_checks,
        "last_epoch": int(last_epoch),
    }


def test_the_run_overfits(overfit):
    assert overfit["last_epoch"] == 999
    assert 100 < overfit["lowest_epoch"] < 900  # a real low, then a climb
    assert overfit["last_loss"] > overfit["lowest_loss"] + 0.2
    assert overfit["train_last"] < overfit["train_at_lowest"]  # training loss keeps falling
    # the early bump: the validation loss first rises above its first check, then falls
    first = overfit["first_checks"]
    assert len(first) == 6 and max(first[1:]) > first[0]
    assert overfit["lowest_loss"] < first[0]


@pytest.fixture(scope="module")
def stopped(chapter):
    lines = output_of(chapter, "out-early-stop").splitlines()
    best, stop = map(int, numbers_in(lines[0]))
    trained, total = map(int, numbers_in(lines[1]))
    restored = numbers_in(lines[2])[0]
    best_check = numbers_in(lines[3])[0]
    assert total == 1000
    return {
        "best": best,
        "stop": stop,
        "trained": trained,
        "restored": restored,
        "check": best_check,
    }


def test_it_stops_ten_checks_after_the_best_and_restores_it(stopped, overfit, glue):
    assert stopped["stop"] == stopped["best"] + 10 * 10  # patience 10, a check every 10 epochs
    assert stopped["trained"] == stopped["stop"] + 1
    assert stopped["restored"] == stopped["check"]
    # the best check before stopping is the lowest of the whole 1000-epoch run
    assert stopped["best"] == overfit["lowest_epoch"]
    assert stopped["check"] == overfit["lowest_loss"]
    assert glue["ch25_best_epoch"] == stopped["best"]
    assert glue["ch25_stopped_epoch"] == stopped["stop"]
    assert glue["ch25_epochs_trained"] == stopped["trained"]
    assert stopped["trained"] < 500  # "saved most of the epochs"


def test_the_restored_parameters_equal_a_run_stopped_by_hand(chapter):
    assert output_of(chapter, "out-by-hand").strip() == "identical to the run stopped by hand: True"


def test_a_patience_of_five_stops_on_the_early_bump(chapter, stopped, overfit, glue):
    lines = output_of(chapter, "out-impatient").splitlines()
    five, best, stop = map(int, numbers_in(lines[0]))
    assert five == 5 and stop == best + 5 * 10
    assert best < 60  # within the first six checks: on the bump
    loss, accuracy = numbers_in(lines[1])
    ten, patient_accuracy = numbers_in(lines[2])
    assert ten == 10
    assert accuracy < patient_accuracy - 0.1
    assert loss > stopped["check"]
    assert glue["ch25_impatient_epoch"] == best
    assert glue["ch25_impatient_acc"] == pytest.approx(accuracy, abs=5e-4)
    assert glue["ch25_patient_acc"] == pytest.approx(patient_accuracy, abs=5e-4)


def test_the_test_set_comparison_says_what_the_prose_says(chapter, glue):
    lines = output_of(chapter, "out-test").splitlines()
    _, full_loss, full_acc = numbers_in(lines[0])
    stop_loss, stop_acc = numbers_in(lines[1])
    se = numbers_in(lines[2])[0]
    assert full_loss > 1.3 * stop_loss  # far higher loss for the full run
    assert abs(full_acc - stop_acc) < se  # the accuracy difference is noise
    assert se == pytest.approx(math.sqrt(stop_acc * (1 - stop_acc) / 300), abs=1e-3)
    for key, value in [
        ("ch25_full_test_loss", full_loss),
        ("ch25_stop_test_loss", stop_loss),
        ("ch25_full_test_acc", full_acc),
        ("ch25_stop_test_acc", stop_acc),
        ("ch25_test_se", se),
    ]:
        assert glue[key] == pytest.approx(value, abs=5e-4), key


# --- PyTorch, only where it is installed ------------------------------------------------------


def test_the_pytorch_cell_compares_or_says_it_cannot(chapter):
    text = output_of(chapter, "out-torch")
    if importlib.util.find_spec("torch") is None:
        assert text.splitlines() == [
            "PyTorch is not installed here: the side-by-side comparison is skipped.",
            "(pip install torch, then run this cell again; the book never needs it.)",
        ]
        return
    lines = text.splitlines()
    ours, theirs = numbers_in(lines[0])
    assert ours == theirs and ours == pytest.approx(math.log(3), abs=1e-5)
    equal = [line for line in lines if line.startswith("largest difference, ")]
    assert [line.split(":")[0] for line in equal] == [
        "largest difference, first layer's weight gradients",
        "largest difference, first layer's weights after one Adam step",
        "largest difference, cosine rates over steps 0-30",
        "largest difference, cosine then ConstantLR over 60 steps",
        "largest difference, LinearWarmup(10) and LinearLR",
        "largest difference, warm-up then cosine and SequentialLR",
    ]
    for line in equal:
        assert numbers_in(line.split(":")[1])[0] < 1e-12, line
    # CosineAnnealingLR climbs back after T_max = 30; ours holds the floor 0.1 * 0.1
    (after,) = [line for line in lines if line.startswith("  at step 45")]
    step, ours_45, theirs_45 = numbers_in(after.replace("CosineAnnealingLR", ""))
    assert (step, ours_45) == (45, 0.01) and theirs_45 > 0.05
    # SGD with momentum: the same with a constant rate, not once the rate changes
    (constant,) = [line for line in lines if "SGD with momentum, constant rate" in line]
    (stepped,) = [line for line in lines if "SGD with momentum, step decay" in line]
    assert numbers_in(constant.split("differ by")[1])[0] < 1e-12
    assert numbers_in(stepped.split("differ by")[1])[0] > 1e-3
    assert len(lines) == 10


def test_the_pytorch_table_states_the_exact_mapping(chapter):
    (table,) = [c.source for c in chapter.cells if c.source.startswith("## From this engine")]
    for fact in (
        "float32 by default",
        "`optimizer.zero_grad()`",
        "LinearLR(optimizer, start_factor=1/W, total_iters=W-1)",
        "SequentialLR(optimizer, [LinearLR(...), ...], milestones=[W])",
        "PyTorch's climbs back up the cosine",
        "PyTorch rescales all past gradients by the new rate",
        "`model.eval()` and `with torch.no_grad():`",
        "`model.train()`",
    ):
        assert fact in table, fact
    # the step counts updates, so a schedule's length is given in updates
    assert any(
        "CosineDecay(steps=epochs * math.ceil(n / batch_size))" in c.source for c in chapter.cells
    )


def test_exercise_3_recognises_the_epochs_in_the_wrong_order(capsys):
    import nbformat

    from resources.exercises import check, sealed

    stored = nbformat.read(ROOT / "book" / f"{NAME}.ipynb", as_version=4)
    (source,) = [c.source for c in stored.cells if "check-3" in c.metadata.get("tags", [])]
    for answer, said in (
        ((49, 79), "Hint: the right epochs, in the wrong order: (stopped_epoch, best_epoch)."),
        ([79, 49], "Exercise 3: correct!"),
        ((79, 50), "Hint: a check improves only if its loss is below the best so far"),
    ):
        exec(source, {"answer_3": answer, "check": check, "sealed": sealed})
        assert said in capsys.readouterr().out, answer
