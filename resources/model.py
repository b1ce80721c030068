"""The Model (chapter 18) and its accuracy measures; saving and loading it (chapter 21).

A ``Model`` holds a list of layers, a loss, an optimizer and an accuracy, and runs the
training loop that every chapter before 18 wrote by hand::

    model = Model()
    model.add(DenseLayer(2, 64))
    model.add(ReLU())
    model.add(DenseLayer(64, 3))
    model.add(SoftMax())
    model.set(loss=CategoricalCrossEntropy(), optimizer=Adam(0.02), accuracy=CategoricalAccuracy())
    model.finalize()
    model.train(X, y, epochs=1001, print_every=100)

A model is saved as one ``.npz`` file (see ``Model.save``): its architecture as a JSON text
and its parameters as plain arrays, read back with ``allow_pickle=False``. Nothing in such a
file can run code when it is loaded.
"""

import numbers

import numpy as np

from resources.classes import (
    BatchNorm,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Dropout,
    Loss,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    SoftMax,
    SoftMaxCategoricalCrossEntropy,
)

__all__ = ["Accuracy", "CategoricalAccuracy", "BinaryAccuracy", "RegressionAccuracy", "Model"]


# ---------------------------------------------------------------------------
# Accuracy
# ---------------------------------------------------------------------------


class Accuracy:
    """Base class: the share of samples that ``compare(output, y)`` marks as right.

    ``calculate`` also adds the batch's hits to a running count, so that an epoch made of
    several batches can report its accuracy over all of them (``calculate_accumulated``).
    """

    def __init__(self):
        self.new_pass()

    def init(self, y):
        """Learn anything the measure needs from the training targets (nothing, here)."""

    def calculate(self, output, y):
        comparisons = self.compare(output, y)
        self.accumulated_sum += np.sum(comparisons)
        self.accumulated_count += comparisons.size
        return np.mean(comparisons)

    def calculate_accumulated(self):
        return self.accumulated_sum / self.accumulated_count

    def new_pass(self):
        self.accumulated_sum = 0
        self.accumulated_count = 0


class CategoricalAccuracy(Accuracy):
    """Right when the predicted class is the true one.

    ``output`` (n_samples, n_classes) probabilities with ``y`` sparse (n_samples,) or one-hot
    (n_samples, n_classes). With ``binary=True`` (the NNFS book's flag), or for a single output
    column, the outputs are sigmoid probabilities instead, each scored on its own as in
    ``BinaryAccuracy``.
    """

    def __init__(self, *, binary=False):
        super().__init__()
        if not isinstance(binary, bool):
            raise TypeError(f"binary must be True or False, got {binary!r}")
        self.binary = binary

    def compare(self, output, y):
        output, y = np.asarray(output), np.asarray(y)
        if output.ndim != 2:
            raise ValueError(f"the output must be 2-D (n_samples, n_classes), got {output.shape}")
        if self.binary or output.shape[1] == 1:  # sigmoid outputs: one yes/no answer each
            return _compare_binary(output, y)
        predictions = np.argmax(output, axis=1)
        if y.ndim == 2:  # one-hot rows
            if y.shape != output.shape:
                raise ValueError(
                    f"one-hot labels must have the shape of the output, {output.shape}, "
                    f"got {y.shape}"
                )
            if not np.all((y == 0) | (y == 1)) or not np.all(np.sum(y, axis=1) == 1):
                raise ValueError(
                    "2-D labels must be one-hot (a single 1 per row) for CategoricalAccuracy; "
                    "several yes/no labels per sample (sigmoid outputs) are scored one by one "
                    "by BinaryAccuracy"
                )
            y = np.argmax(y, axis=1)
        if y.shape != predictions.shape:
            raise ValueError(f"got {y.shape[0]} labels for {predictions.shape[0]} samples")
        return predictions == y


class BinaryAccuracy(CategoricalAccuracy):
    """Right, output by output, when ``p > 0.5`` says the same as the label (0 or 1).

    For sigmoid outputs (chapter 16): ``output`` (n_samples, n_outputs) probabilities and ``y``
    of the same shape. Every output is its own yes/no answer, so with several outputs per
    sample (multi-label) the accuracy is the share of right answers over all of them. The
    same as ``CategoricalAccuracy(binary=True)``.
    """

    def __init__(self):
        super().__init__(binary=True)


def _compare_binary(output, y):
    """Element-wise ``(output > 0.5) == y`` for sigmoid outputs and 0/1 labels of their shape."""
    if y.shape != output.shape:
        advice = (
            " (make them a column with y.reshape(-1, 1))" if y.shape == output.shape[:1] else ""
        )
        raise ValueError(
            f"a binary classifier needs labels of shape {output.shape}, got {y.shape}{advice}"
        )
    if not np.all((y == 0) | (y == 1)):
        others = np.unique(y[(y != 0) & (y != 1)])
        raise ValueError(f"binary labels must be 0 or 1, got also {others[:5].tolist()}")
    predictions = (output > 0.5) * 1
    return predictions == y


class RegressionAccuracy(Accuracy):
    """Right when a prediction lies within ``precision`` of its target.

    ``precision`` defaults to ``std(y) / 250``, taken from the targets that ``init(y)`` sees
    first (the training targets); later calls keep it. Shapes: ``output`` and ``y`` alike,
    (n_samples, n_outputs).
    """

    def __init__(self, precision=None):
        super().__init__()
        if precision is not None:
            precision = _positive_number(precision, "precision")
        self.precision = precision

    def init(self, y, reinit=False):
        if self.precision is None or reinit:
            self.precision = float(np.std(y) / 250)

    def compare(self, output, y):
        if self.precision is None:
            raise ValueError("RegressionAccuracy needs init(y) (or a precision) before compare")
        output, y = np.asarray(output), np.asarray(y)
        if output.shape != y.shape:
            raise ValueError(
                f"predictions and targets must have the same shape, got {output.shape} "
                f"and {y.shape}"
            )
        return np.absolute(output - y) < self.precision


def _positive_number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return float(value)


def _count(value, name, allow_none=False):
    """A positive integer (or None where allowed) for epochs, batch sizes and the like."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


# ---------------------------------------------------------------------------
# The Model
# ---------------------------------------------------------------------------


class Model:
    """Layers in order, a loss, an optimizer and an accuracy; trains, evaluates, predicts.

    ``X`` is always a batch (n_samples, n_features); ``y`` whatever the loss takes.
    """

    def __init__(self):
        self.layers = []
        self.loss = None
        self.optimizer = None
        self.accuracy = None
        self.finalized = False
        self.rng = None  # the generator that shuffles mini-batches (made by train)
        # What a prediction needs besides the weights (saved with the model, chapter 21):
        self.input_rule = None  # how raw inputs become X, e.g. datasets.DIGITS_INPUT_RULE
        self.class_names = None  # the name of each output class, e.g. ["0", ..., "9"]

    def add(self, layer):
        if not hasattr(layer, "forward") or not hasattr(layer, "backward"):
            raise TypeError(
                f"Model.add needs a layer with forward and backward, got {type(layer).__name__}"
            )
        self.layers.append(layer)
        self.finalized = False

    def set(self, *, loss=None, optimizer=None, accuracy=None):
        """Choose the loss, the optimizer and the accuracy (any of them, by name)."""
        if loss is not None and not isinstance(loss, Loss):
            raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
        if optimizer is not None and not hasattr(optimizer, "update_params"):
            raise TypeError(f"optimizer must be an optimizer, got {type(optimizer).__name__}")
        if accuracy is not None and not isinstance(accuracy, Accuracy):
            raise TypeError(f"accuracy must be an Accuracy, got {type(accuracy).__name__}")
        self.loss = loss if loss is not None else self.loss
        self.optimizer = optimizer if optimizer is not None else self.optimizer
        self.accuracy = accuracy if accuracy is not None else self.accuracy
        self.finalized = False

    def finalize(self):
        """Check the pieces fit together; find the trainable layers and the output's shortcut.

        The trainable layers are those with ``weights``. When a ``SoftMax`` output meets a
        ``CategoricalCrossEntropy`` loss, training uses their combined gradient ``(s - y) / n``;
        when a ``Sigmoid`` output meets a ``BinaryCrossEntropy`` loss, likewise their combined
        class ``SigmoidBinaryCrossEntropy`` (loss from the scores, gradient ``(p - y) / (n J)``).
        (The attribute keeps the NNFS book's name, ``softmax_classifier_output``, for both.)
        With a ``Sigmoid`` output, a ``CategoricalAccuracy`` scores each output on its own
        (``binary=True``).
        """
        if not self.layers:
            raise ValueError("the model has no layers: add some with model.add(layer)")
        if self.loss is None or self.accuracy is None:
            raise ValueError("finalize needs a loss and an accuracy: call model.set(...) first")
        widths = [_in_out(layer) for layer in self.layers if hasattr(layer, "weights")]
        for (_, n_out), (n_in, _) in zip(widths[:-1], widths[1:], strict=True):
            if n_out != n_in:
                raise ValueError(
                    f"a layer with {n_out} outputs is followed by a layer with {n_in} inputs"
                )
        self.trainable_layers = [layer for layer in self.layers if hasattr(layer, "weights")]
        last = self.layers[-1]
        if isinstance(last, SoftMax) and isinstance(self.loss, CategoricalCrossEntropy):
            self.softmax_classifier_output = SoftMaxCategoricalCrossEntropy()
        elif isinstance(last, Sigmoid) and isinstance(self.loss, BinaryCrossEntropy):
            self.softmax_classifier_output = SigmoidBinaryCrossEntropy()
        else:
            self.softmax_classifier_output = None
        if isinstance(last, Sigmoid) and isinstance(self.accuracy, CategoricalAccuracy):
            self.accuracy.binary = True
        self.finalized = True

    # -- the passes ---------------------------------------------------------------------

    def forward(self, X, training):
        """Run ``X`` through every layer; return the last layer's output."""
        return self._forward_through(self.layers, X, training)

    def _forward_through(self, layers, X, training):
        inputs = X
        for layer in layers:
            if isinstance(layer, Dropout | BatchNorm):
                # dropout drops only in training; batch norm uses the batch's statistics in
                # training and its running ones otherwise
                layer.forward(inputs, training=training)
            else:
                layer.forward(inputs)
            inputs = layer.output
        return inputs

    def _train_step(self, X, y):
        """One forward pass, backward pass and update on a batch; returns its numbers."""
        if self.softmax_classifier_output is not None:
            scores = self._forward_through(self.layers[:-1], X, training=True)
            data_loss = self.softmax_classifier_output.forward(scores, y)
            output = self.softmax_classifier_output.output
        else:
            output = self.forward(X, training=True)
            data_loss = self.loss.calculate(output, y)
        regularization_loss = self.regularization_loss()
        accuracy = self.accuracy.calculate(output, y)
        self.backward(output, y)

        self.optimizer.pre_update_params()
        for layer in self.trainable_layers:
            self.optimizer.update_params(layer)
        self.optimizer.post_update_params()
        return data_loss, regularization_loss, accuracy, len(X)

    def regularization_loss(self):
        """The sum of the L1/L2 penalties of every trainable layer (0 without any).

        A ``BatchNorm`` has no penalties: its gamma and beta are left out."""
        return sum(
            self.loss.regularization_loss(layer)
            for layer in self.trainable_layers
            if not isinstance(layer, BatchNorm)
        )

    def backward(self, output, y):
        """Send the loss's gradient back through every layer, last to first.

        ``output`` is what the training forward pass of ``_train_step`` returned (with the
        combined softmax and cross-entropy, that pass also ran their forward).
        """
        if self.softmax_classifier_output is not None:
            self.softmax_classifier_output.backward(output, y)
            dvalues = self.softmax_classifier_output.dinputs
            layers = self.layers[:-1]  # the combined gradient already went through SoftMax
        else:
            self.loss.backward(output, y)
            dvalues = self.loss.dinputs
            layers = self.layers
        for layer in reversed(layers):
            layer.backward(dvalues)
            dvalues = layer.dinputs

    # -- training, evaluation, prediction -------------------------------------------------

    def train(
        self,
        X,
        y,
        *,
        epochs=1,
        batch_size=None,
        print_every=1,
        validation_data=None,
        validate_every=None,
        shuffle=True,
        seed=None,
        progress=False,
        patience=None,
    ):
        """Train for ``epochs`` passes over ``X`` (n_samples, n_features) and ``y``.

        ``batch_size=None`` trains on the whole set at once; otherwise each epoch goes through
        the samples in batches of ``batch_size`` (the last one may be smaller), in a new random
        order each epoch when ``shuffle`` (from ``self.rng``, a ``numpy.random.Generator``
        made from ``seed``; NumPy's global generator is left alone).

        Every ``print_every`` epochs (``None``: never) a line shows the epoch's accuracy and
        loss (over all its batches) and the learning rate as the epoch began. With
        ``validation_data=(X_val, y_val)`` the model is evaluated on it after training; with
        ``validate_every=k`` as well, it is evaluated after every k-th epoch instead (and after
        the last), dropout off and no update, each check recorded in the history and printed
        on the epochs that print.
        ``progress=True`` shows a progress bar in a live notebook (needs ipywidgets).

        Early stopping (chapter 25; chapter 12 did it by hand): with ``patience=p`` (and
        ``validate_every``), training stops once the validation loss has not gone below its
        best for ``p`` checks in a row. At the end, stopped early or not, the model gets back
        the parameters it had at its best check. The history then holds ``best_epoch`` (the
        epoch those parameters followed) and ``stopped_epoch`` (the epoch training stopped
        after, or ``None`` when it ran all ``epochs``).

        Returns ``self.history``: a dict of arrays, one entry per epoch (``epoch``,
        ``accuracy``, ``loss``, ``data_loss``, ``regularization_loss``, ``learning_rate``),
        and one entry per validation check (``validation_epoch``: the epoch it followed,
        ``validation_loss``: the data loss, ``validation_accuracy``); empty without checks.
        """
        self._require_finalized("train")
        if self.optimizer is None:
            raise ValueError("train needs an optimizer: call model.set(optimizer=...)")
        epochs = _count(epochs, "epochs")
        batch_size = _count(batch_size, "batch_size", allow_none=True)
        print_every = _count(print_every, "print_every", allow_none=True)
        validate_every = _count(validate_every, "validate_every", allow_none=True)
        if validate_every is not None and validation_data is None:
            raise ValueError("validate_every needs validation_data=(X_val, y_val)")
        patience = _count(patience, "patience", allow_none=True)
        if patience is not None and validate_every is None:
            raise ValueError("patience counts validation checks: it needs validate_every=k")
        X, y = self._check_data(X, y, "train")
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val)")
            self._check_data(*validation_data, "validation_data")
        if seed is not None or self.rng is None:
            self.rng = np.random.default_rng(seed)

        self.accuracy.init(y)
        n_samples = len(X)
        batch_size = n_samples if batch_size is None else min(batch_size, n_samples)
        history = {key: [] for key in HISTORY_KEYS + VALIDATION_KEYS}
        bar = _ProgressBar(epochs) if progress else None
        first_epoch = len(self.history["epoch"]) if hasattr(self, "history") else 0
        stopper = _EarlyStopping(patience) if patience is not None else None

        for epoch in range(epochs):
            learning_rate = self.optimizer.current_learning_rate
            order = np.arange(n_samples)
            if shuffle and batch_size < n_samples:
                order = self.rng.permutation(n_samples)
            self.accuracy.new_pass()
            data_loss_sum = regularization_sum = loss_sum = 0.0
            for start in range(0, n_samples, batch_size):
                batch = order[start : start + batch_size]
                if batch_size == n_samples:
                    batch_X, batch_y = X, y  # the whole set, in its own order
                else:
                    batch_X, batch_y = X[batch], y[batch]
                data_loss, regularization_loss, _, size = self._train_step(batch_X, batch_y)
                # sums over the epoch in float64, weighted by the batch sizes; with one batch
                # they give back that batch's numbers exactly
                data_loss_sum += float(data_loss) * size
                regularization_sum += float(regularization_loss) * size
                loss_sum += float(data_loss + regularization_loss) * size

            record = {
                "epoch": first_epoch + epoch,
                "accuracy": self.accuracy.calculate_accumulated(),
                "data_loss": data_loss_sum / n_samples,
                "regularization_loss": regularization_sum / n_samples,
                "loss": loss_sum / n_samples,
                "learning_rate": learning_rate,
            }
            for key in HISTORY_KEYS:
                history[key].append(record[key])
            printed = print_every is not None and record["epoch"] % print_every == 0
            if printed:
                print(_progress_line(record))
            if validate_every is not None and (
                (epoch + 1) % validate_every == 0 or epoch + 1 == epochs
            ):
                loss, accuracy = self.evaluate(*validation_data, batch_size=batch_size)
                history["validation_epoch"].append(record["epoch"])
                history["validation_loss"].append(loss)
                history["validation_accuracy"].append(accuracy)
                if printed:
                    print(f"validation, acc: {accuracy:.3f}, loss: {loss:.3f}")
                if stopper is not None and stopper.stops_after(self, loss, record["epoch"]):
                    stopper.stopped_epoch = record["epoch"]
            if bar is not None:
                bar.update(epoch + 1, record)
            if stopper is not None and stopper.stopped_epoch is not None:
                break

        self._extend_history(history)
        if stopper is not None:
            stopper.restore_best(self)
            if print_every is not None:
                print(stopper.summary())
        if validation_data is not None and validate_every is None:
            loss, accuracy = self.evaluate(*validation_data, batch_size=batch_size)
            print(f"validation, acc: {accuracy:.3f}, loss: {loss:.3f}")
        return self.history

    def evaluate(self, X, y, *, batch_size=None):
        """Return ``(loss, accuracy)`` on ``X``, ``y`` with dropout off and no updates (a
        ``BatchNorm`` uses its running statistics).

        The loss is the data loss (no penalties), the mean over all samples whatever the
        ``batch_size``.
        """
        self._require_finalized("evaluate")
        X, y = self._check_data(X, y, "evaluate")
        batch_size = _count(batch_size, "batch_size", allow_none=True) or len(X)
        self.accuracy.new_pass()
        loss_sum = 0.0
        for start in range(0, len(X), batch_size):
            batch_X, batch_y = X[start : start + batch_size], y[start : start + batch_size]
            output = self.forward(batch_X, training=False)
            loss_sum += np.sum(self.loss.forward(output, batch_y), dtype=np.float64)
            self.accuracy.calculate(output, batch_y)
        return float(loss_sum / len(X)), float(self.accuracy.calculate_accumulated())

    def predict(self, X, *, batch_size=None):
        """The model's output for ``X`` (n_samples, n_features), dropout off (a ``BatchNorm``
        uses its running statistics).

        For a softmax classifier: (n_samples, n_classes) probabilities.
        """
        self._require_finalized("predict")
        X = self._check_inputs(X, "predict")
        batch_size = _count(batch_size, "batch_size", allow_none=True) or len(X)
        outputs = [
            self.forward(X[start : start + batch_size], training=False).copy()
            for start in range(0, len(X), batch_size)
        ]
        return np.concatenate(outputs)

    def get_parameters(self):
        """A copy of every layer's parameters: a list with one dict per layer, name -> array.

        A ``DenseLayer`` gives ``{"weights": (n_inputs, n_neurons), "biases": (1, n_neurons)}``;
        a layer without parameters an empty dict.
        """
        return [
            {name: getattr(layer, name).copy() for name in parameter_names(layer)}
            for layer in self.layers
        ]

    def set_parameters(self, parameters):
        """Put back parameters that ``get_parameters`` returned (copies: later training leaves
        ``parameters`` alone)."""
        if len(parameters) != len(self.layers):
            raise ValueError(
                f"set_parameters needs one entry per layer ({len(self.layers)}), "
                f"got {len(parameters)}"
            )
        for layer, arrays in zip(self.layers, parameters, strict=True):
            for name, array in arrays.items():
                current = getattr(layer, name)
                if np.shape(array) != current.shape:
                    raise ValueError(
                        f"{type(layer).__name__}.{name} has shape {current.shape}, "
                        f"got {np.shape(array)}"
                    )
                setattr(layer, name, np.array(array, dtype=current.dtype))

    # -- saving and loading (the code is in resources/saving.py, chapter 21) -------------

    def save(self, path, optimizer=True):
        """Save architecture and parameters (and the optimizer's state) to the .npz ``path``."""
        from resources.saving import save_model  # saving.py imports this module

        save_model(self, path, optimizer=optimizer)

    @classmethod
    def load(cls, path):
        """A new, finalized model built from the file that ``save`` wrote."""
        from resources.saving import load_model

        return load_model(path)

    def save_parameters(self, path):
        """Save only the weights and biases, to the .npz file ``path``."""
        from resources.saving import save_parameters

        save_parameters(self, path)

    def load_parameters(self, path):
        """Replace the weights and biases with those saved in ``path`` (shapes must fit)."""
        from resources.saving import load_parameters

        load_parameters(self, path)

    # -- checks -------------------------------------------------------------------------

    def _require_finalized(self, method):
        if not self.finalized:
            raise ValueError(f"call model.finalize() before model.{method}()")

    def _check_inputs(self, X, method):
        X = np.asarray(X)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(
                f"model.{method}() needs X of shape (n_samples, n_features) with at least one "
                f"sample, got shape {X.shape}"
            )
        n_inputs = _in_out(self.trainable_layers[0])[0] if self.trainable_layers else None
        if n_inputs is not None and X.shape[1] != n_inputs:
            raise ValueError(
                f"model.{method}() needs X with {n_inputs} columns (the first layer's inputs), "
                f"got shape {X.shape}"
            )
        return X

    def _check_data(self, X, y, method):
        X = self._check_inputs(X, method)
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(X):
            raise ValueError(
                f"model.{method}() needs one target per sample: X has {len(X)} rows, "
                f"y has shape {y.shape}"
            )
        return X, y

    def _extend_history(self, history):
        for key, values in history.items():
            dtype = np.int64 if key.endswith("epoch") else np.float64
            values = np.array(values, dtype=dtype)
            if hasattr(self, "history") and key in self.history:
                values = np.concatenate([self.history[key], values])
            if not hasattr(self, "history"):
                self.history = {}
            self.history[key] = values


def _in_out(layer):
    """(inputs, outputs) of a layer with parameters: a BatchNorm keeps its width."""
    if isinstance(layer, BatchNorm):
        return layer.n_features, layer.n_features
    return layer.weights.shape


# The arrays that hold a layer's state: early stopping snapshots and restores them, and a saved
# model keeps them (BatchNorm's gamma and beta are the weights and biases the optimizers see;
# its running statistics are not trained, but they belong to its best state all the same).
PARAMETER_NAMES = {
    "BatchNorm": ("gamma", "beta", "running_mean", "running_var"),
    "DenseLayer": ("weights", "biases"),
}


def parameter_names(layer):
    """The names of the arrays that hold ``layer``'s state (none for an activation)."""
    default = ("weights", "biases") if hasattr(layer, "weights") else ()  # a DenseLayer subclass
    return PARAMETER_NAMES.get(type(layer).__name__, default)


class _EarlyStopping:
    """Chapter 12's checkpoints, kept by the training loop: the best validation loss so far,
    the parameters that gave it, and how many checks have passed without beating it."""

    def __init__(self, patience):
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch = None
        self.best_parameters = None
        self.checks_without_improvement = 0
        self.stopped_epoch = None

    def stops_after(self, model, validation_loss, epoch):
        """Record one validation check; True once ``patience`` checks have not improved."""
        if validation_loss < self.best_loss:  # a NaN loss never improves
            self.best_loss, self.best_epoch = validation_loss, epoch
            self.best_parameters = model.get_parameters()
            self.checks_without_improvement = 0
        else:
            self.checks_without_improvement += 1
        return self.checks_without_improvement >= self.patience

    def restore_best(self, model):
        """Give the model its best parameters back; note what happened in its history."""
        if self.best_parameters is not None:
            model.set_parameters(self.best_parameters)
        model.history["best_epoch"] = self.best_epoch
        model.history["stopped_epoch"] = self.stopped_epoch

    def summary(self):
        when = (
            "ran every epoch"
            if self.stopped_epoch is None
            else (f"stopped after epoch {self.stopped_epoch}")
        )
        return (
            f"early stopping: {when}; restored epoch {self.best_epoch} "
            f"(validation loss {self.best_loss:.3f})"
        )


HISTORY_KEYS = ("epoch", "accuracy", "loss", "data_loss", "regularization_loss", "learning_rate")
VALIDATION_KEYS = ("validation_epoch", "validation_loss", "validation_accuracy")


def _progress_line(record):
    return (
        f"epoch: {record['epoch']}, acc: {record['accuracy']:.3f}, loss: {record['loss']:.3f} "
        f"(data_loss: {record['data_loss']:.3f}, "
        f"reg_loss: {record['regularization_loss']:.3f}), lr: {record['learning_rate']}"
    )


class _ProgressBar:
    """A progress bar for a live notebook (ipywidgets), redrawn about a hundred times."""

    def __init__(self, epochs):
        import ipywidgets
        from IPython.display import display

        self.every = max(1, epochs // 100)
        self.bar = ipywidgets.IntProgress(min=0, max=epochs, description="training")
        self.label = ipywidgets.Label()
        display(ipywidgets.HBox([self.bar, self.label]))

    def update(self, done, record):
        if done % self.every == 0 or done == self.bar.max:
            self.bar.value = done
            self.label.value = f"acc {record['accuracy']:.3f}, loss {record['loss']:.3f}"
