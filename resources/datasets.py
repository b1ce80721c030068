"""Real datasets for chapters 19-22: handwritten digits (offline) and Fashion-MNIST (online).

* ``load_digits_dataset()`` returns scikit-learn's bundled handwritten digits: 1,797 images of
  8x8 pixels, each pixel a count from 0 to 16, and their labels 0-9. No network needed.
* ``scale_pixels(images)`` is the preprocessing the chapters teach: pixel counts 0..16 mapped
  linearly onto [-1, 1] by ``(x - 8) / 8``. Training data, test data, a reader's own drawing:
  every input goes through this same function.
* ``strokes_to_image(strokes, size)`` turns pen strokes (the drawing pad's, chapter 22) into an
  8x8 image of counts 0..16, the way the digits dataset itself was made: the ink is drawn on a
  32x32 grid of cells and each 4x4 block of cells is counted. The drawing pad's JavaScript does
  the same arithmetic, step for step, and a test checks that both give the same image.
* ``DIGITS_INPUT_RULE`` and ``DIGITS_CLASS_NAMES`` say the same as data, for a saved model
  (chapter 21): ``prepare_inputs(images, rule)`` applies such a rule to raw images.
* ``split_digits(seed)`` splits and scales the digits as chapter 19 does, and
  ``train_digits_model(seed)`` builds and trains the book's digits classifier through ``Model``
  (chapter 19's recipe) so that chapters 20 to 22, each run alone, get the very same model.
* ``load_fashion_mnist()`` downloads the NNFS book's Fashion-MNIST archive once into a cache
  folder, checks its SHA-256 digest, and reads the PNG images into arrays (for readers online).

Shapes: images are (n_samples, 64) rows of pixels, or (n_samples, 8, 8); labels (n_samples,).
"""

import hashlib
import importlib.util
import io
import os
import re
import shutil
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DIGITS_PIXEL_MAX",
    "DIGITS_SIDE",
    "INK_GRID",
    "PEN_RADIUS",
    "FASHION_MNIST_URL",
    "FASHION_MNIST_SHA256",
    "FASHION_MNIST_LABELS",
    "DIGITS_INPUT_RULE",
    "DIGITS_CLASS_NAMES",
    "DIGITS_MODEL_FILE",
    "DigitsRun",
    "load_digits_dataset",
    "scale_pixels",
    "prepare_inputs",
    "split_digits",
    "strokes_to_ink",
    "strokes_to_image",
    "train_digits_model",
    "fashion_mnist_archive",
    "load_fashion_mnist",
]

DIGITS_SIDE = 8  # the digits are 8x8 images
DIGITS_PIXEL_MAX = 16  # each pixel counts the inked cells of a 4x4 block: 0 to 16
INK_GRID = 32  # a drawing is inked on 32x32 cells, then reduced 4x4 block by 4x4 block
BLOCK = INK_GRID // DIGITS_SIDE
PEN_RADIUS = 3.0  # in cells: a cell is inked when its centre lies this close to a stroke
MARGIN = 3.0  # cells kept free around the drawing's centre line when it is fitted to the grid
# What scale_pixels does, as data a model file can hold (resources/saving.py checks it)
DIGITS_INPUT_RULE = {
    "shape": [DIGITS_SIDE, DIGITS_SIDE],
    "layout": "row-major",
    "pixel_range": [0, DIGITS_PIXEL_MAX],
    "scaled_to": [-1, 1],
    "description": "8x8 pixel counts 0-16 read row by row, mapped onto [-1, 1] by (x - 8) / 8",
}
DIGITS_CLASS_NAMES = [str(digit) for digit in range(10)]
# Where chapter 21 saves the book's digits model and chapter 22 loads it: beside the notebooks
# (a path relative to the folder a notebook runs in; git ignores the file)
DIGITS_MODEL_FILE = "digits-model.npz"


# ---------------------------------------------------------------------------------------------
# The handwritten digits
# ---------------------------------------------------------------------------------------------


def _bundled_digits_file():
    """scikit-learn's ``datasets/data/digits.csv.gz``, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    return path if path.exists() else None


def load_digits_dataset():
    """``(X, y)``: the 1,797 digits as rows of 64 pixel counts (float64, 0-16) and labels (int).

    Row ``i`` of ``X`` is image ``i`` read row by row: ``X[i].reshape(8, 8)`` is the picture.
    The data are the file scikit-learn bundles (each line: 64 pixels, then the label), read
    directly: importing scikit-learn itself takes seconds. Where the file is not found,
    ``sklearn.datasets.load_digits()`` reads it.
    """
    path = _bundled_digits_file()
    if path is None:
        from sklearn.datasets import load_digits

        digits = load_digits()
        return digits.data.astype(np.float64), digits.target.astype(np.int64)
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1].astype(np.float64), table[:, -1].astype(np.int64)


def scale_pixels(images, pixel_max=DIGITS_PIXEL_MAX):
    """Map pixel values from ``[0, pixel_max]`` onto ``[-1, 1]``: ``(x - m / 2) / (m / 2)``.

    Every pixel shares one rule, because the format fixes the range (0 to 16 for the digits,
    0 to 255 for Fashion-MNIST). Returns a float64 array of the same shape.
    """
    images = np.asarray(images)
    if images.dtype == object or not np.issubdtype(images.dtype, np.number):
        raise TypeError(f"images must be numbers, got an array of dtype {images.dtype}")
    if images.size == 0:
        raise ValueError(f"images is empty (shape {images.shape})")
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or infinite values")
    if images.min() < 0 or images.max() > pixel_max:
        raise ValueError(
            f"pixel values must lie in [0, {pixel_max}], "
            f"got values from {images.min()} to {images.max()}"
        )
    half = pixel_max / 2
    return (images.astype(np.float64) - half) / half


def prepare_inputs(images, rule):
    """Raw ``images`` (n_samples, *rule["shape"]) or (n_samples, size) made into a model's X.

    Flattened row by row, then mapped linearly from ``rule["pixel_range"]`` onto
    ``rule["scaled_to"]``; with ``DIGITS_INPUT_RULE`` this is ``scale_pixels``. Returns a
    float64 array (n_samples, size).
    """
    images = np.asarray(images, dtype=np.float64)
    size = int(np.prod(rule["shape"]))
    if images.size % size or images.ndim < 2:
        raise ValueError(
            f"images must be (n_samples, {size}) or (n_samples, {rule['shape']}), "
            f"got shape {images.shape}"
        )
    rows = images.reshape(len(images), size)  # row-major, NumPy's own order
    (low, high), (to_low, to_high) = rule["pixel_range"], rule["scaled_to"]
    if rows.min() < low or rows.max() > high:
        raise ValueError(
            f"pixel values must lie in [{low}, {high}], got {rows.min()} to {rows.max()}"
        )
    return to_low + (rows - low) * (to_high - to_low) / (high - low)


# ---------------------------------------------------------------------------------------------
# From pen strokes to an 8x8 digit (mirrored in resources/widgets/drawing_pad.js)
# ---------------------------------------------------------------------------------------------


def _checked_strokes(strokes, size):
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not size > 0:
        raise ValueError(f"size must be a positive number of pixels, got {size!r}")
    checked = []
    for index, stroke in enumerate(strokes):
        points = np.asarray(stroke, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(
                f"stroke {index} must be a list of (x, y) points, got shape {points.shape}"
            )
        if not np.all(np.isfinite(points)):
            raise ValueError(f"stroke {index} has NaN or infinite coordinates")
        checked.append(points)
    return checked


def strokes_to_ink(strokes, size):
    """The 32x32 grid of inked cells (0 or 1) for pen ``strokes`` drawn on a ``size`` square.

    ``strokes`` is a list of strokes, each a list of ``(x, y)`` points in pixels (x to the
    right, y down, as on a canvas). The drawing is fitted to the grid first, as the digits
    were: its bounding box is centred and scaled so that its longer side spans
    ``INK_GRID - 2 * MARGIN`` cells (a dot or a short dash is not blown up beyond the scale of
    a box a quarter of the canvas wide). Then a cell is inked when its centre lies within
    ``PEN_RADIUS`` cells of a stroke's segment (or of a lone point). No strokes: all zeros.
    """
    strokes = _checked_strokes(strokes, size)
    ink = np.zeros((INK_GRID, INK_GRID))
    if not strokes:
        return ink
    every_point = np.concatenate(strokes)
    x_low, y_low = every_point.min(axis=0)
    x_high, y_high = every_point.max(axis=0)
    side = max(x_high - x_low, y_high - y_low, size / 4)
    scale = (INK_GRID - 2 * MARGIN) / side
    x_centre = (x_low + x_high) / 2
    y_centre = (y_low + y_high) / 2
    half_grid = INK_GRID / 2

    # Cell centres: column j at x = j + 0.5, row i at y = i + 0.5.
    centres = np.arange(INK_GRID) + 0.5
    cx, cy = np.meshgrid(centres, centres)  # cx[i, j] = j + 0.5, cy[i, j] = i + 0.5
    radius_squared = PEN_RADIUS * PEN_RADIUS
    for points in strokes:
        gx = (points[:, 0] - x_centre) * scale + half_grid
        gy = (points[:, 1] - y_centre) * scale + half_grid
        if len(points) == 1:  # a dot: the distance to the point itself
            starts_x, starts_y, ends_x, ends_y = gx, gy, gx, gy
        else:
            starts_x, starts_y, ends_x, ends_y = gx[:-1], gy[:-1], gx[1:], gy[1:]
        for ax, ay, bx, by in zip(starts_x, starts_y, ends_x, ends_y, strict=True):
            dx, dy = bx - ax, by - ay
            length_squared = dx * dx + dy * dy
            if length_squared > 0:
                t = ((cx - ax) * dx + (cy - ay) * dy) / length_squared
                t = np.minimum(np.maximum(t, 0.0), 1.0)
            else:
                t = np.zeros_like(cx)
            nearest_x = ax + t * dx
            nearest_y = ay + t * dy
            distance_squared = (cx - nearest_x) * (cx - nearest_x) + (cy - nearest_y) * (
                cy - nearest_y
            )
            ink[distance_squared <= radius_squared] = 1.0
    return ink


def strokes_to_image(strokes, size):
    """The 8x8 digit (pixel counts 0-16, shape (8, 8)) for pen ``strokes`` on a ``size`` square.

    Each pixel counts the inked cells of one 4x4 block of ``strokes_to_ink``. Feed it to a model
    as ``scale_pixels(image.reshape(1, 64))``, like every training image.
    """
    ink = strokes_to_ink(strokes, size)
    blocks = ink.reshape(DIGITS_SIDE, BLOCK, DIGITS_SIDE, BLOCK)
    return blocks.sum(axis=(1, 3))


# ---------------------------------------------------------------------------------------------
# The book's digits model
# ---------------------------------------------------------------------------------------------


@dataclass
class DigitsRun:
    """A trained digits model and the data it was trained and checked on (scaled pixels)."""

    model: object
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


DIGITS_RECIPE = {
    "fractions": (0.6, 0.2, 0.2),  # training, validation, test
    "hidden": 64,
    "learning_rate": 0.005,
    "decay": 1e-3,
    "epochs": 20,
    "batch_size": 32,
}


def split_digits(seed=0, fractions=DIGITS_RECIPE["fractions"]):
    """``((X_train, y_train), (X_val, y_val), (X_test, y_test))``: the digits split by
    ``split_dataset(..., seed=seed)`` and scaled by ``scale_pixels`` (chapter 19)."""
    from resources.data import split_dataset

    X, y = load_digits_dataset()
    return split_dataset(scale_pixels(X), y, fractions, seed=seed)


def train_digits_model(seed=0, print_every=None, **recipe):
    """Split the digits, scale them, and train chapter 19's classifier; return a ``DigitsRun``.

    The same ``seed`` gives the same split and the same model, in any process: the split and
    the batches' order use their own generators (``split_dataset(..., seed=seed)``,
    ``Model.train(..., seed=seed)``); the initial weights come from NumPy's global generator,
    seeded here with ``seed``. ``recipe`` overrides entries of ``DIGITS_RECIPE``.
    ``print_every`` is passed to ``Model.train`` (None: train quietly).
    """
    from resources.classes import Adam, CategoricalCrossEntropy, DenseLayer, ReLU, SoftMax
    from resources.model import CategoricalAccuracy, Model

    unknown = set(recipe) - set(DIGITS_RECIPE)
    if unknown:
        raise ValueError(f"unknown recipe entries {sorted(unknown)}; known: {list(DIGITS_RECIPE)}")
    settings = {**DIGITS_RECIPE, **recipe}
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = split_digits(seed, settings["fractions"])
    np.random.seed(seed)
    hidden = settings["hidden"]
    model = Model()
    model.add(DenseLayer(X_train.shape[1], hidden))
    model.add(ReLU())
    model.add(DenseLayer(hidden, 10))
    model.add(SoftMax())
    model.set(
        loss=CategoricalCrossEntropy(),
        optimizer=Adam(learning_rate=settings["learning_rate"], decay=settings["decay"]),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    model.input_rule, model.class_names = dict(DIGITS_INPUT_RULE), list(DIGITS_CLASS_NAMES)
    model.train(
        X_train,
        y_train,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        print_every=print_every,
        seed=seed,
    )
    return DigitsRun(model, X_train, y_train, X_val, y_val, X_test, y_test)


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST, the NNFS book's dataset (needs the network once)
# ---------------------------------------------------------------------------------------------

# The archive the NNFS book's chapter 19 downloads: 70,000 grayscale PNG images of 28x28
# pixels (values 0-255) in the folders train/<label>/NNNN.png (60,000) and test/<label>/NNNN.png
# (10,000), label 0-9 as below.
FASHION_MNIST_URL = "https://nnfs.io/datasets/fashion_mnist_images.zip"
FASHION_MNIST_FILE = "fashion_mnist_images.zip"
# The SHA-256 digest of that archive. It was not recorded here: this repository was written
# without network access. Until it is filled in, the first download records the digest it
# received in ``<cache>/fashion_mnist_images.zip.sha256`` and every later use is checked
# against that record (a truncated or altered file is refused). Pass ``sha256=`` to check
# against a digest you trust.
FASHION_MNIST_SHA256 = None
FASHION_MNIST_LABELS = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_IMAGE_PATH = re.compile(r"^(?:fashion_mnist_images/)?(train|test)/(\d)/[^/]+\.png$")


def default_cache_dir():
    """``$NN_BOOK_CACHE``, else ``$XDG_CACHE_HOME/nn-from-scratch``, else ``~/.cache/...``."""
    if os.environ.get("NN_BOOK_CACHE"):
        return Path(os.environ["NN_BOOK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nn-from-scratch"


def _download(url, destination):
    """Fetch ``url`` into the file ``destination`` (the one place that touches the network)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(destination, "wb") as out:
        shutil.copyfileobj(response, out)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fashion_mnist_archive(cache_dir=None, sha256=FASHION_MNIST_SHA256, url=FASHION_MNIST_URL):
    """The path of the verified archive in ``cache_dir``, downloading it first if missing.

    A download goes to a temporary file and is moved into place only once its digest checks
    out, so an interrupted download never leaves a file that looks complete. Raises
    ``ValueError`` when the digest differs from ``sha256`` (or from the recorded one).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / FASHION_MNIST_FILE
    record = cache / (FASHION_MNIST_FILE + ".sha256")
    expected = sha256
    if expected is None and record.exists():
        expected = record.read_text().strip()
    if not archive.exists():
        partial = cache / (FASHION_MNIST_FILE + ".part")
        print(f"Downloading {url} into {cache} (once) ...")
        _download(url, partial)
        got = _sha256(partial)
        if expected is not None and got != expected.lower():
            partial.unlink()
            raise ValueError(
                f"the downloaded archive's SHA-256 is {got}, expected {expected}: "
                "the download is damaged or not the file expected; it was deleted"
            )
        partial.replace(archive)
        if expected is None:
            record.write_text(got + "\n")
            print(f"SHA-256 {got} recorded in {record}")
        return archive
    if expected is not None:
        got = _sha256(archive)
        if got != expected.lower():
            raise ValueError(
                f"{archive} has SHA-256 {got}, expected {expected}: the file is damaged or "
                "altered; delete it to download it again"
            )
    return archive


def _read_png(data):
    """A grayscale PNG (bytes) as a (height, width) uint8 array of values 0-255."""
    from matplotlib.image import imread

    image = imread(io.BytesIO(data), format="png")
    if image.ndim == 3:  # grey stored as RGB or RGBA: keep one channel
        image = image[..., 0]
    if image.dtype != np.uint8:  # matplotlib gives 8-bit PNGs as floats in [0, 1]
        image = np.round(image * 255).astype(np.uint8)
    return image


def load_fashion_mnist(cache_dir=None, sha256=FASHION_MNIST_SHA256, url=FASHION_MNIST_URL):
    """``(X_train, y_train, X_test, y_test)`` from the NNFS Fashion-MNIST archive.

    ``X_*`` are uint8 arrays (n_samples, 28, 28) of values 0-255 (scale them with
    ``scale_pixels(X, pixel_max=255)``), ``y_*`` int64 labels 0-9 (``FASHION_MNIST_LABELS``).
    Images are read straight from the zip file, in the archive's order of names.
    """
    archive = fashion_mnist_archive(cache_dir, sha256=sha256, url=url)
    parts = {"train": ([], []), "test": ([], [])}
    try:
        with zipfile.ZipFile(archive) as bundle:
            for name in sorted(bundle.namelist()):
                match = _IMAGE_PATH.match(name)
                if not match:
                    continue
                images, labels = parts[match.group(1)]
                images.append(_read_png(bundle.read(name)))
                labels.append(int(match.group(2)))
    except zipfile.BadZipFile as error:
        raise ValueError(f"{archive} is not a readable zip archive: {error}") from error
    result = []
    for part in ("train", "test"):
        images, labels = parts[part]
        if not images:
            raise ValueError(f"{archive} holds no {part}/<label>/*.png images")
        shapes = {image.shape for image in images}
        if len(shapes) != 1:
            raise ValueError(f"the {part} images have different shapes: {sorted(shapes)}")
        result += [np.stack(images), np.array(labels, dtype=np.int64)]
    return tuple(result)
