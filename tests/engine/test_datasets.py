"""resources.datasets: the digits, their scaling, strokes to 8x8 images, the digits model and
the Fashion-MNIST loader (on a small archive built here: no test touches the network)."""

import hashlib
import io
import urllib.request
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resources import datasets
from resources.datasets import (
    DIGITS_PIXEL_MAX,
    INK_GRID,
    load_digits_dataset,
    load_fashion_mnist,
    scale_pixels,
    strokes_to_image,
    strokes_to_ink,
    train_digits_model,
)

# -- the digits --------------------------------------------------------------------------------


def test_digits_are_1797_images_of_64_counts_with_ten_labels():
    X, y = load_digits_dataset()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0 and X.max() == DIGITS_PIXEL_MAX
    assert np.array_equal(X, np.round(X)), "each pixel is a count of inked cells"
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).min() >= 170  # about 180 of each digit


def test_the_digits_are_scikit_learns_load_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits_dataset()
    digits = load_digits()
    np.testing.assert_array_equal(X, digits.data)
    np.testing.assert_array_equal(y, digits.target)


def test_scale_pixels_maps_0_to_16_onto_minus_1_to_1():
    np.testing.assert_array_equal(scale_pixels([0, 4, 8, 12, 16]), [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(scale_pixels([[0, 255]], pixel_max=255), [[-1, 1]])
    X, _ = load_digits_dataset()
    scaled = scale_pixels(X)
    assert scaled.shape == X.shape and scaled.min() == -1 and scaled.max() == 1
    np.testing.assert_allclose(scaled, X / 8 - 1)


@pytest.mark.parametrize(
    ("images", "error", "words"),
    [
        ([[0, 17]], ValueError, "[0, 16]"),
        ([[-1, 3]], ValueError, "[0, 16]"),
        ([[0, np.nan]], ValueError, "NaN"),
        ([["a", "b"]], TypeError, "numbers"),
        (np.zeros((0, 64)), ValueError, "empty"),
    ],
)
def test_scale_pixels_refuses_what_is_not_a_pixel(images, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        scale_pixels(images)


# -- strokes to an 8x8 image ------------------------------------------------------------------


def test_no_strokes_give_a_blank_image():
    assert strokes_to_image([], 224).shape == (8, 8)
    assert strokes_to_image([], 224).sum() == 0


def test_a_dot_is_a_disc_of_cells_at_the_centre():
    ink = strokes_to_ink([[[50.0, 70.0]]], 224)
    rows, cols = np.nonzero(ink)
    # A lone point is centred on the grid: the inked cells are those within the pen radius.
    centres = np.arange(INK_GRID) + 0.5
    expected = (centres[:, None] - 16) ** 2 + (centres[None, :] - 16) ** 2 <= datasets.PEN_RADIUS**2
    np.testing.assert_array_equal(ink, expected.astype(float))
    assert rows.mean() == pytest.approx(15.5) and cols.mean() == pytest.approx(15.5)


def test_a_vertical_bar_fills_the_middle_columns_top_to_bottom():
    image = strokes_to_image([[[100.0, 20.0], [100.0, 200.0]]], 224)
    # The bar spans the grid's height (minus the margin) in the two middle columns.
    assert np.all(image[:, [0, 1, 2, 5, 6, 7]] == 0)
    assert np.all(image[1:-1, 3:5] > 0)
    np.testing.assert_array_equal(image[:, 3], image[:, 4])  # symmetric about the centre


def test_the_drawing_is_fitted_so_its_place_and_size_do_not_matter():
    # Coordinates in quarters of a pixel: doubling and shifting them are exact in binary.
    rng = np.random.default_rng(0)
    strokes = [np.round(rng.uniform(40, 150, size=(12, 2)) * 4) / 4 for _ in range(2)]
    image = strokes_to_image(strokes, 224)
    assert image.sum() > 0
    doubled = strokes_to_image([2 * s for s in strokes], 448)
    shifted = strokes_to_image([s + np.array([32.0, -16.0]) for s in strokes], 224)
    np.testing.assert_array_equal(doubled, image)
    np.testing.assert_array_equal(shifted, image)


def test_the_image_counts_the_inked_cells_of_each_4x4_block():
    strokes = [[[30.0, 40.0], [180.0, 60.0], [90.0, 200.0]], [[60.0, 120.0], [170.0, 120.0]]]
    ink = strokes_to_ink(strokes, 224)
    image = strokes_to_image(strokes, 224)
    for i in range(8):
        for j in range(8):
            assert image[i, j] == ink[4 * i : 4 * i + 4, 4 * j : 4 * j + 4].sum()
    assert image.max() <= DIGITS_PIXEL_MAX


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.floats(0, 224), st.floats(0, 224)).map(list), min_size=1, max_size=12
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_drawing_gives_counts_0_to_16_and_some_ink(strokes):
    image = strokes_to_image(strokes, 224)
    assert image.shape == (8, 8)
    assert 0 <= image.min() and image.max() <= 16
    assert image.sum() == strokes_to_ink(strokes, 224).sum() > 0


@pytest.mark.parametrize(
    ("strokes", "size", "words"),
    [
        ([[[1.0, 2.0, 3.0]]], 224, "stroke 0"),
        ([[[1.0, 2.0]], []], 224, "stroke 1"),
        ([[[1.0, np.inf]]], 224, "infinite"),
        ([[[1.0, 2.0]]], 0, "size"),
        ([[[1.0, 2.0]]], True, "size"),
    ],
)
def test_malformed_strokes_are_refused(strokes, size, words):
    with pytest.raises(ValueError, match=words):
        strokes_to_image(strokes, size)


# -- the book's digits model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_run():
    return train_digits_model(seed=0)


def test_the_digits_model_reaches_095_on_its_test_set(digits_run):
    run = digits_run
    # split_dataset cuts at round(0.6 n) and round(0.8 n): 1078, 1438 of n = 1797.
    assert (len(run.X_train), len(run.X_val), len(run.X_test)) == (1078, 360, 359)
    _, test_accuracy = run.model.evaluate(run.X_test, run.y_test)
    assert test_accuracy >= 0.95
    assert run.X_train.min() == -1 and run.X_train.max() == 1  # scaled pixels


def test_the_same_seed_gives_the_same_model_and_another_seed_another(digits_run):
    again = train_digits_model(seed=0)
    np.testing.assert_array_equal(again.X_test, digits_run.X_test)
    np.testing.assert_array_equal(
        again.model.predict(again.X_test), digits_run.model.predict(digits_run.X_test)
    )
    other = train_digits_model(seed=1, epochs=2)
    assert not np.array_equal(other.y_test, digits_run.y_test)


def test_the_recipe_refuses_unknown_entries():
    with pytest.raises(ValueError, match="unknown recipe"):
        train_digits_model(seed=0, epoch=3)


# -- Fashion-MNIST, on a small archive in the NNFS layout ---------------------------------------


def _png(pixels, mode="L"):
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(pixels.astype(np.uint8), mode="L")
    (image if mode == "L" else image.convert(mode)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def small_archive(tmp_path):
    """A zip laid out like the NNFS archive: train/<label>/NNNN.png and test/<label>/NNNN.png."""
    rng = np.random.default_rng(7)
    expected = {"train": [], "test": []}
    path = tmp_path / "source" / "fashion_mnist_images.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as bundle:
        for part, per_label in [("train", 3), ("test", 2)]:
            for label in (0, 3, 9):
                for k in range(per_label):
                    pixels = rng.integers(0, 256, size=(28, 28))
                    mode = "RGB" if (label, k) == (3, 1) else "L"  # one stored as RGB grey
                    bundle.writestr(f"{part}/{label}/{k:04d}.png", _png(pixels, mode))
                    expected[part].append((label, pixels))
        bundle.writestr("train/readme.txt", "not an image")
    return path, expected


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def _fake_download(monkeypatch, source):
    calls = []

    def download(url, destination):
        calls.append(url)
        destination.write_bytes(source.read_bytes())

    monkeypatch.setattr(datasets, "_download", download)
    return calls


def test_loader_downloads_once_and_reads_every_image(
    tmp_path, small_archive, monkeypatch, no_network
):
    source, expected = small_archive
    calls = _fake_download(monkeypatch, source)
    cache = tmp_path / "cache"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    X, y, X_test, y_test = load_fashion_mnist(cache_dir=cache, sha256=digest)
    assert calls == [datasets.FASHION_MNIST_URL]
    assert X.shape == (9, 28, 28) and X.dtype == np.uint8 and X_test.shape == (6, 28, 28)
    for images, labels, part in [(X, y, "train"), (X_test, y_test, "test")]:
        assert labels.tolist() == [label for label, _ in expected[part]]
        for image, (_, pixels) in zip(images, expected[part], strict=True):
            np.testing.assert_array_equal(image, pixels)
    load_fashion_mnist(cache_dir=cache, sha256=digest)  # from the cache this time
    assert len(calls) == 1
    assert not list(cache.glob("*.part"))


def test_loader_refuses_a_download_with_the_wrong_checksum(
    tmp_path, small_archive, monkeypatch, no_network
):
    source, _ = small_archive
    _fake_download(monkeypatch, source)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="SHA-256"):
        load_fashion_mnist(cache_dir=cache, sha256="0" * 64)
    assert list(cache.iterdir()) == [], "nothing that looks like an archive is left behind"


def test_without_a_known_digest_the_first_download_is_recorded_and_checked_later(
    tmp_path, small_archive, monkeypatch, no_network
):
    source, _ = small_archive
    calls = _fake_download(monkeypatch, source)
    cache = tmp_path / "cache"
    assert datasets.FASHION_MNIST_SHA256 is None or len(datasets.FASHION_MNIST_SHA256) == 64
    load_fashion_mnist(cache_dir=cache, sha256=None)
    record = cache / "fashion_mnist_images.zip.sha256"
    assert record.read_text().strip() == hashlib.sha256(source.read_bytes()).hexdigest()
    archive = cache / "fashion_mnist_images.zip"
    archive.write_bytes(archive.read_bytes()[:-10])  # truncated later on
    with pytest.raises(ValueError, match="damaged or altered"):
        load_fashion_mnist(cache_dir=cache, sha256=None)
    assert len(calls) == 1


def test_loader_refuses_a_file_that_is_not_a_zip_or_holds_no_images(
    tmp_path, monkeypatch, no_network
):
    for content, words in [(b"not a zip at all", "not a readable zip"), (None, "no train")]:
        source = tmp_path / "bad.zip"
        if content is None:
            with zipfile.ZipFile(source, "w") as bundle:
                bundle.writestr("something/else.txt", "x")
        else:
            source.write_bytes(content)
        _fake_download(monkeypatch, source)
        cache = tmp_path / f"cache-{words[:3]}"
        with pytest.raises(ValueError, match=words):
            load_fashion_mnist(cache_dir=cache, sha256=None)


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NN_BOOK_CACHE", str(tmp_path / "here"))
    assert datasets.default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("NN_BOOK_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.default_cache_dir() == tmp_path / "xdg" / "nn-from-scratch"
