import gzip
import struct

import numpy as np
import pytest

import runtime
from sources import hashes
from sources import mnist as mnist_source


def _write_idx(path, array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_cached_mnist_has_the_published_shape_and_counts(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28)
    assert tuple(np.bincount(mnist.y_train)) == mnist_source.TRAIN_CLASS_COUNTS
    assert tuple(np.bincount(mnist.y_test)) == mnist_source.TEST_CLASS_COUNTS
    # White ink on black: the border is background.
    assert mnist.x_test[:, 0, :].max() == 0


def test_idx_files_read_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28)),
        "y_train": rng.integers(0, 10, 6),
        "x_test": rng.integers(0, 256, (4, 28, 28)),
        "y_test": rng.integers(0, 10, 4),
    }
    for key, stem in mnist_source.IDX_FILES.items():
        _write_idx(tmp_path / f"{stem}.gz", arrays[key])
    read = mnist_source.read_idx_folder(tmp_path)
    for key, array in arrays.items():
        np.testing.assert_array_equal(read[key], array)


def test_truncated_idx_and_wrong_counts_are_refused(tmp_path):
    _write_idx(tmp_path / "x.gz", np.zeros((2, 28, 28)))
    raw = gzip.decompress((tmp_path / "x.gz").read_bytes())
    (tmp_path / "x").write_bytes(raw[:-10])
    with pytest.raises(mnist_source.MnistDataError, match="truncated"):
        mnist_source._read_idx(tmp_path / "x")
    with pytest.raises(mnist_source.MnistDataError, match="class counts"):
        mnist_source.check_class_counts(np.zeros(10, np.int64), mnist_source.TEST_CLASS_COUNTS, "test")


def test_content_hash_ignores_the_container():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert hashes.arrays_sha256(a) == hashes.arrays_sha256(a.copy())
    assert hashes.arrays_sha256(a) != hashes.arrays_sha256(a.reshape(4, 3))


def test_the_committed_gallery_is_real_mnist_test_digits(mnist):
    with np.load(runtime.weights_dir() / mnist_source.GALLERY_FILE) as gallery:
        np.testing.assert_array_equal(gallery["images"], mnist.x_test[gallery["test_indices"]])
        np.testing.assert_array_equal(gallery["labels"], mnist.y_test[gallery["test_indices"]])
        assert sorted(set(gallery["labels"].tolist())) == list(range(10))
