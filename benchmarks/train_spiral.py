"""Time chapter 10's training run three ways, side by side, in one process.

    python benchmarks/train_spiral.py              # the full run: 10001 epochs
    python benchmarks/train_spiral.py --epochs 2001 --repeat 3

The model is chapter 10's: ``nnfs.init()``, ``spiral_data(100, 3)``, a dense layer 2 -> 64,
ReLU, a dense layer 64 -> 3, softmax with cross-entropy, and ``Adam(learning_rate=0.05,
decay=5e-7)``, trained on the whole batch for 10001 epochs. It is trained with

* ``engine``: the book's engine, ``resources/classes.py``, trained by the package's one
  training loop, ``Model.train`` (through ``resources/training.py``);
* ``nnfs-style``: the same classes written plainly in the NNFS book's style
  (``benchmarks/nnfs_style.py``), the baseline;
* ``floor``: the same run as one flat NumPy loop with no classes, no checks and every trick
  (``benchmarks/numpy_floor.py``): about the least NumPy can take per epoch here;
* ``torch``: the same model and loop in PyTorch, on the CPU, in eager mode, starting from the
  same weights (optional: skipped with a message when PyTorch is not installed).

Each column reports the training loop's CPU time (the time this process actually ran, which
other work on a busy machine disturbs far less than wall time), the microseconds of CPU per
epoch, the wall time, and the final accuracy and loss. On an idle machine CPU and wall time
agree. Compare the ratios of one run, not absolute numbers across runs.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nnfs
import numpy as np
from nnfs.datasets import spiral_data

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository root, so that `resources` imports
sys.path.insert(0, str(HERE))

import nnfs_style  # noqa: E402
import numpy_floor  # noqa: E402

from resources.classes import Adam  # noqa: E402
from resources.nnfs_numpy import numpy_functions, restore_numpy_functions  # noqa: E402
from resources.training import train_classifier  # noqa: E402

# nnfs.init() wraps np.dot, np.zeros, np.eye and np.random.randn each time it is called, so
# the wrappers pile up over several runs (np.dot gets slower with every call). Every run here
# starts from NumPy's own functions, so that every column pays for exactly one nnfs.init().
_NUMPY_ORIGINALS = numpy_functions()


def fresh_nnfs_init():
    """``nnfs.init()`` on top of NumPy's own functions (not on earlier wrappers)."""
    restore_numpy_functions(_NUMPY_ORIGINALS)
    nnfs.init()


BASELINE = SimpleNamespace(
    Dense=nnfs_style.Layer_Dense,
    ReLU=nnfs_style.Activation_ReLU,
    SoftmaxLoss=nnfs_style.Activation_Softmax_Loss_CategoricalCrossentropy,
    Adam=nnfs_style.Optimizer_Adam,
)


def train_numpy(kit, epochs=10001, record_every=100):
    """Chapter 10's loop with the classes in ``kit``; returns (seconds, history).

    ``history`` holds ``(epoch, accuracy, loss, learning_rate)`` every ``record_every``
    epochs: the values chapter 10 prints, collected instead of printed.
    """
    fresh_nnfs_init()
    X, y = spiral_data(samples=100, classes=3)
    dense1 = kit.Dense(2, 64)
    activation1 = kit.ReLU()
    dense2 = kit.Dense(64, 3)
    loss_activation = kit.SoftmaxLoss()
    optimizer = kit.Adam(learning_rate=0.05, decay=5e-7)
    history = []

    start = time.perf_counter()
    for epoch in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)

        predictions = np.argmax(loss_activation.output, axis=1)
        accuracy = np.mean(predictions == y)
        if not epoch % record_every:
            lr = optimizer.current_learning_rate
            history.append((epoch, float(accuracy), float(loss), lr))

        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)

        optimizer.pre_update_params()
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)
        optimizer.post_update_params()
    seconds = time.perf_counter() - start
    return seconds, history


def train_engine(epochs=10001, record_every=100):
    """The run through the package's training loop, ``Model.train``; as ``train_numpy``."""
    X, y, start = chapter_10_start()
    optimizer = Adam(learning_rate=0.05, decay=5e-7)
    began = time.perf_counter()
    model = train_classifier(X, y, optimizer, epochs, parameters=start)
    seconds = time.perf_counter() - began
    h = model.history
    history = [
        (int(h["epoch"][i]), float(h["accuracy"][i]), float(h["data_loss"][i]),
         float(h["learning_rate"][i]))
        for i in range(0, epochs, record_every)
    ]  # fmt: skip
    return seconds, history


def chapter_10_start():
    """Chapter 10's data and starting weights, drawn exactly as DenseLayer draws them."""
    fresh_nnfs_init()
    X, y = spiral_data(samples=100, classes=3)
    w1, b1 = 0.01 * np.random.randn(2, 64), np.zeros((1, 64))
    w2, b2 = 0.01 * np.random.randn(64, 3), np.zeros((1, 3))
    return X, y, (w1, b1, w2, b2)


def train_floor(epochs=10001, record_every=100):
    """The same run as one flat loop with every trick (``benchmarks/numpy_floor.py``)."""
    X, y, start = chapter_10_start()
    return numpy_floor.train(X, y, start, epochs, record_every)


def train_torch(epochs=10001, record_every=100):
    """The same model, starting weights and loop in PyTorch (CPU, eager mode)."""
    import torch

    X, y, (w1, b1, w2, b2) = chapter_10_start()

    model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(w1.T)))
        model[0].bias.copy_(torch.from_numpy(b1[0]))
        model[2].weight.copy_(torch.from_numpy(np.ascontiguousarray(w2.T)))
        model[2].bias.copy_(torch.from_numpy(b2[0]))
    inputs = torch.from_numpy(np.asarray(X, dtype=np.float32))
    targets = torch.from_numpy(y.astype(np.int64))
    loss_function = torch.nn.CrossEntropyLoss()
    learning_rate, decay = 0.05, 5e-7
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, eps=1e-7)
    history = []

    start = time.perf_counter()
    for epoch in range(epochs):
        current_learning_rate = learning_rate / (1.0 + decay * epoch)
        scores = model(inputs)
        loss = loss_function(scores, targets)
        accuracy = (scores.argmax(dim=1) == targets).float().mean()
        if not epoch % record_every:
            history.append((epoch, accuracy.item(), loss.item(), current_learning_rate))

        optimizer.zero_grad()
        loss.backward()
        for group in optimizer.param_groups:
            group["lr"] = current_learning_rate
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, history


def timed(run):
    """Run ``run()``; return ``(wall seconds, history, CPU seconds of this process)``."""
    cpu = time.process_time()
    seconds, history = run()
    return seconds, history, time.process_time() - cpu


def best_of(repeat, columns):
    """Run every column ``repeat`` times, interleaved; keep each column's run of least CPU.

    Interleaving gives every column the same share of a busy machine's quiet moments.
    """
    best = {}
    for _ in range(repeat):
        for name, run in columns.items():
            result = timed(run)
            if name not in best or result[2] < best[name][2]:
                best[name] = result
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10001, help="epochs per run (10001)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per column; best is kept")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="PyTorch's CPU threads (1: a model this small only loses time to more threads)",
    )
    args = parser.parse_args(argv)

    columns = {
        "engine": lambda epochs=args.epochs: train_engine(epochs),
        "nnfs-style": lambda epochs=args.epochs: train_numpy(BASELINE, epochs),
        "floor": lambda epochs=args.epochs: train_floor(epochs),
    }
    if importlib.util.find_spec("torch") is None:
        print("torch: not installed, column skipped (pip install torch to add it)\n")
    else:
        import torch

        torch.set_num_threads(args.torch_threads)
        print(f"torch {torch.__version__}, CPU, eager mode, {torch.get_num_threads()} threads\n")
        columns["torch"] = lambda epochs=args.epochs: train_torch(epochs)

    for run in columns.values():  # warm-up, untimed: first calls load and prepare kernels
        run(epochs=21)
    results = best_of(args.repeat, columns)

    print(f"{args.epochs} epochs of chapter 10's spiral model (best of {args.repeat})\n")
    print(f"{'':12}{'cpu s':>8}{'us/epoch':>10}{'wall s':>8}{'final acc':>11}{'final loss':>12}")
    for name, (seconds, history, cpu) in results.items():
        _, accuracy, loss, _ = history[-1]
        microseconds = 1e6 * cpu / args.epochs
        print(f"{name:12}{cpu:8.3f}{microseconds:10.1f}{seconds:8.3f}{accuracy:11.3f}{loss:12.4f}")
    engine_wall, _, engine_cpu = results["engine"]
    print()
    for name, (seconds, _, cpu) in results.items():
        if name != "engine":
            print(
                f"engine is {cpu / engine_cpu:.2f}x as fast as {name} in CPU time "
                f"({seconds / engine_wall:.2f}x in wall time)"
            )


if __name__ == "__main__":
    main()
