"""Chapter 10 (Optimizers): the numbers the built page shows, read from the executed notebook.

Published facts (book plan): every run starts at ``epoch: 0, acc: 0.360, loss: 1.099``; Adam
(learning_rate=0.05, decay=5e-7) prints the learning rates 0.04999752512250644 at epoch 100
and 0.04975126853296942 at epoch 10000, and ends with an accuracy of at least 0.95. The printed
learning rates must also follow the schedule ``lr0 / (1 + decay * (epoch - 1))`` (the loop
prints before the epoch's ``pre_update_params``), and the claims the prose makes about the
comparison must hold.
"""

import re

import pytest

from tests.notebooks import numbers_in, output_of

# tag: (initial learning rate, decay)
RUNS = {
    "out-run-sgd": (1.0, 0.0),
    "out-run-sgd-decay": (1.0, 1e-3),
    "out-run-momentum": (1.0, 1e-3),
    "out-run-adagrad": (1.0, 1e-4),
    "out-run-rmsprop": (0.02, 1e-5),
    "out-run-adam": (0.05, 5e-7),
}
LINE = re.compile(r"^epoch: (\d+), acc: ([\d.]+), loss: ([\d.]+), lr: (\S+)$", re.M)


@pytest.fixture(scope="module")
def chapter(executed):
    return executed("10_optimizers")


def lines(nb, tag):
    return [
        (int(e), float(a), float(loss), float(lr))
        for e, a, loss, lr in LINE.findall(output_of(nb, tag))
    ]


@pytest.mark.parametrize("tag", RUNS)
def test_every_run_starts_at_the_published_line(chapter, tag):
    first = output_of(chapter, tag).splitlines()[0]
    assert first.startswith("epoch: 0, acc: 0.360, loss: 1.099, lr: ")


@pytest.mark.parametrize("tag", RUNS)
def test_runs_print_compactly_with_the_schedule(chapter, tag):
    lr0, decay = RUNS[tag]
    reported = lines(chapter, tag)
    assert [epoch for epoch, *_ in reported] == [0, 10000]  # the first and the last line
    for epoch, accuracy, loss, lr in reported:
        assert 0 <= accuracy <= 1 and loss >= 0
        expected = lr0 if epoch == 0 else lr0 / (1 + decay * (epoch - 1))
        assert lr == pytest.approx(expected, rel=1e-5)  # printed with 6 significant digits


def test_published_adam_learning_rates(chapter):
    numbers = numbers_in(output_of(chapter, "out-adam-lr"))
    assert 0.04999752512250644 in numbers
    assert 0.04975126853296942 in numbers
    assert lines(chapter, "out-run-adam")[-1][3] == pytest.approx(0.04975126853296942, rel=1e-5)


def test_adam_reaches_the_published_accuracy(chapter):
    accuracy, loss = numbers_in(output_of(chapter, "out-adam-final"))[:2]
    assert accuracy >= 0.95
    assert loss < 0.2
    assert lines(chapter, "out-run-adam")[-1][1] == accuracy


def test_the_comparison_supports_the_text(chapter):
    # The cell also shows a figure, whose text form ("<Figure size ...>") precedes the table.
    table = re.findall(
        r"([^\s>][^\n>]*?)\s+final acc ([\d.]+), final loss ([\d.]+)",
        output_of(chapter, "out-comparison"),
    )
    final = {name: (float(acc), float(loss)) for name, acc, loss in table}
    assert list(final) == ["SGD", "SGD, decay", "SGD, momentum", "AdaGrad", "RMSProp", "Adam"]
    # "Adam reaches the best accuracy and the lowest loss of all the runs"
    assert final["Adam"][0] == max(acc for acc, _ in final.values())
    assert final["Adam"][1] == min(loss for _, loss in final.values())
    # "momentum makes a large difference"; "decay ... lower loss, but the accuracy is poor"
    assert final["SGD, momentum"][0] > final["SGD"][0] + 0.1
    assert final["SGD, decay"][1] < final["SGD"][1]
    assert final["SGD"][0] < 0.8 and final["SGD, decay"][0] < 0.8


@pytest.mark.parametrize(
    "tag",
    [
        "out-check-sgd",
        "out-check-momentum",
        "out-check-adagrad",
        "out-check-rmsprop",
        "out-check-adam",
        "out-check-decay",
    ],
)
def test_hand_built_optimizers_match_the_engine(chapter, tag):
    text = output_of(chapter, tag)
    differences = [
        numbers_in(line.split(":")[-1])[0] for line in text.splitlines() if "largest" in line
    ]
    assert differences and max(differences) <= 1e-6


def test_decay_schedule_table(chapter):
    text = output_of(chapter, "out-check-decay")
    for step in (0, 1, 10, 100, 1000):
        hand, engine = numbers_in(text.splitlines()[(0, 1, 10, 100, 1000).index(step)])[1:]
        assert hand == engine == pytest.approx(1 / (1 + 1e-2 * step), abs=1e-6)


def test_gradient_predicts_the_loss_decrease(chapter):
    predicted, measured, ratio = numbers_in(output_of(chapter, "out-descent-check"))
    assert predicted > 0 and measured > 0
    assert ratio == pytest.approx(measured / predicted, rel=1e-3)
    assert 0.9 < ratio < 1.1


def test_nnfs_init_is_called_once(chapter):
    code = "\n".join(c.source for c in chapter.cells if c.cell_type == "code")
    assert len(re.findall(r"^\s*nnfs\.init\(\)", code, re.M)) == 1  # calls, not mentions


def test_the_spikes_are_measured_not_guessed(chapter):
    text = output_of(chapter, "out-comparison")
    start, peak = numbers_in(text.split("RMSProp, first 100 epochs:")[1].splitlines()[0])[:2]
    assert start == pytest.approx(1.10, abs=0.01) and peak > 5 * start
    adam = re.search(r"Adam, largest jump.*?after (\d+) epochs", text)
    assert adam and int(adam.group(1)) > 3  # not "within a few epochs" of a single step
    markdown = "".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    assert "recovers within a few epochs" not in markdown
    assert "{glue:text}`ch10_adam_jump_back`" in markdown


def test_the_sgd_decay_note_follows_the_decay_run(chapter):
    cells = chapter.cells
    run = next(i for i, c in enumerate(cells) if "out-run-sgd-decay" in c.metadata.get("tags", []))
    assert "The decay did not rescue plain SGD" in cells[run + 1].source
    momentum = next(i for i, c in enumerate(cells) if c.source.startswith("## Momentum"))
    assert run < momentum


def test_the_explorer_trains_nothing_at_run_all(chapter):
    (cell,) = [
        c for c in chapter.cells if c.source.strip().startswith("explorer = OptimizerExplorer(")
    ]
    assert cell.source.strip().splitlines()[0] == "explorer = OptimizerExplorer()"
