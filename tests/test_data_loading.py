"""course.data loading: real subset, official-format fakes, corrupt inputs, sources and their order."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from course.data import cifar
from course.data import (
    CIFAR10_CLASSES, CIFAR100_COARSE_CLASSES, CorruptDataError, DataNotFoundError, load_cifar10,
    load_cifar100,
)

OFFICIAL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


# --------------------------------------------------------------------------- fake official folders


def _write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def _batch(n, seed, n_classes=10, label_key=b"labels", extra=None):
    rng = np.random.default_rng(seed)
    d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
         label_key: [int(v) for v in rng.integers(0, n_classes, n)],
         b"batch_label": b"fake batch"}
    d.update(extra or {})
    return d


def make_fake_cifar10(root, sizes=(3, 2, 4, 1, 2), n_test=3):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i, n in enumerate(sizes, 1):
        _write_pickle(folder / f"data_batch_{i}", _batch(n, i))
    _write_pickle(folder / "test_batch", _batch(n_test, 99))
    _write_pickle(folder / "batches.meta", {b"label_names": [n.encode() for n in OFFICIAL_NAMES],
                                            b"num_vis": 3072})
    return folder


def make_fake_cifar100(root, n_train=5, n_test=3):
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for name, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        rng = np.random.default_rng(seed)
        _write_pickle(folder / name, {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
            b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)],
            b"filenames": [b"x.png"] * n,
        })
    _write_pickle(folder / "meta", {
        b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
    })
    return folder


@pytest.fixture
def no_caches(tmp_path, monkeypatch):
    """An environment with no COURSE_DATA_DIR and empty Keras/TFDS caches."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(home / ".keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(home / "tensorflow_datasets"))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setattr(cifar, "_keras_cache_dirs", lambda: [home / ".keras" / "datasets"])
    return home


# --------------------------------------------------------------------------- real subset


def test_real_subset_loads_with_labels_and_names(cifar10_dir):
    (x, y), (xt, yt), names = load_cifar10(source="local", data_dir=cifar10_dir)
    assert x.shape == (5170, 32, 32, 3) and x.dtype == np.uint8
    assert xt.shape == (1017, 32, 32, 3) and xt.dtype == np.uint8
    assert y.shape == (5170,) and yt.shape == (1017,) and y.dtype == np.int64 and yt.dtype == np.int64
    assert list(names) == OFFICIAL_NAMES
    counts, test_counts = np.bincount(y, minlength=10), np.bincount(yt, minlength=10)
    assert counts.min() >= 420 and counts.max() <= 580, counts       # about 500 per class
    assert test_counts.min() >= 70 and test_counts.max() <= 130, test_counts  # about 100 per class
    # the folder itself is accepted too, and the same data comes back
    d = load_cifar10(source="local", data_dir=cifar10_dir / "cifar-10-batches-py")
    assert np.array_equal(d.x_train, x) and np.array_equal(d.y_test, yt)
    assert d.source == f"local: {cifar10_dir / 'cifar-10-batches-py'}"


def test_real_subset_image_layout_is_nhwc(cifar10_dir):
    # First image, checked against the raw file: channel planes R, G, B of 1024 values each.
    with open(cifar10_dir / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        raw = pickle.load(f, encoding="bytes")[b"data"][0]
    x, _ = cifar.read_cifar_batch(cifar10_dir / "cifar-10-batches-py" / "data_batch_1")
    assert np.array_equal(x[0, :, :, 0].ravel(), raw[:1024])
    assert np.array_equal(x[0, :, :, 2].ravel(), raw[2048:])


def test_auto_uses_course_data_dir(cifar10_dir, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(cifar10_dir))
    d = load_cifar10()
    assert d.source.startswith("local: ") and len(d.x_train) == 5170


# --------------------------------------------------------------------------- fake folders and the result type


def test_fake_folder_any_batch_size_and_result_type(tmp_path):
    make_fake_cifar10(tmp_path)
    d = load_cifar10(source="local", data_dir=tmp_path)
    (x, y), (xt, yt), names = d
    assert x.shape == (12, 32, 32, 3) and xt.shape == (3, 32, 32, 3)
    assert list(names) == OFFICIAL_NAMES and d.num_classes == 10
    assert y.tolist() == sum((_batch(n, i)[b"labels"] for i, n in enumerate((3, 2, 4, 1, 2), 1)), [])
    # the pixels are the fake data, reordered to NHWC
    raw = _batch(3, 1)[b"data"]
    assert np.array_equal(x[:3], raw.reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))
    assert d.x_train is x and d.train == (x, y) and "local:" in repr(d)


def test_local_loading_does_not_import_tensorflow(tmp_path):
    make_fake_cifar10(tmp_path)
    code = (
        "import sys; from course.data import load_cifar10, load_synthetic; "
        "from course.data.augment import fit_pca_color; "
        f"d = load_cifar10(source='local', data_dir={str(tmp_path)!r}); fit_pca_color(load_synthetic(20, 10).x_train); "
        "print(len(d.x_train), 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=str(cifar.Path(cifar.__file__).resolve().parents[2]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["12", "False", "False"]


def test_cifar100_fine_and_coarse(tmp_path):
    make_fake_cifar100(tmp_path)
    (x, y), (xt, yt), names = load_cifar100("fine", source="local", data_dir=tmp_path)
    assert x.shape == (5, 32, 32, 3) and xt.shape == (3, 32, 32, 3) and y.dtype == np.int64
    assert len(names) == 100 and names[7] == "fine7" and y.max() < 100
    (xc, yc), (_, ytc), cnames = load_cifar100("coarse", source="local",
                                                data_dir=tmp_path / "cifar-100-python")
    assert len(cnames) == 20 and cnames[3] == "coarse3" and yc.max() < 20
    assert np.array_equal(xc, x)
    with open(tmp_path / "cifar-100-python" / "train", "rb") as f:
        raw = pickle.load(f, encoding="bytes")
    assert y.tolist() == raw[b"fine_labels"] and yc.tolist() == raw[b"coarse_labels"]


def test_cifar100_rejects_bad_label_mode():
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'; got 'both'"):
        load_cifar100("both")


# --------------------------------------------------------------------------- corrupt inputs


def test_missing_folder(tmp_path):
    with pytest.raises(DataNotFoundError, match="no CIFAR-10 folder at .*nowhere"):
        load_cifar10(source="local", data_dir=tmp_path / "nowhere")


def test_missing_batch(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    (folder / "data_batch_3").unlink()
    with pytest.raises(CorruptDataError, match=r"data_batch_3: file is missing"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_missing_test_batch(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    (folder / "test_batch").unlink()
    with pytest.raises(CorruptDataError, match=r"test_batch: file is missing"):
        load_cifar10(source="local", data_dir=folder)


def test_truncated_batch(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    raw = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptDataError, match=r"data_batch_2: file is truncated"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_empty_and_garbage_batch(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    (folder / "data_batch_1").write_bytes(b"")
    with pytest.raises(CorruptDataError, match=r"data_batch_1: file is empty"):
        load_cifar10(source="local", data_dir=tmp_path)
    (folder / "data_batch_1").write_bytes(b"this is not a pickle at all")
    with pytest.raises(CorruptDataError, match=r"data_batch_1: file is not a valid CIFAR pickle"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_wrong_array_size(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    bad = _batch(2, 4)
    bad[b"data"] = np.zeros((2, 3000), np.uint8)
    _write_pickle(folder / "data_batch_4", bad)
    with pytest.raises(CorruptDataError, match=r"data_batch_4: 'data' has shape \(2, 3000\).*expected \(N, 3072\)"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_labels_of_wrong_length(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    bad = _batch(4, 5)
    bad[b"labels"] = bad[b"labels"][:3]
    _write_pickle(folder / "data_batch_5", bad)
    with pytest.raises(CorruptDataError, match=r"data_batch_5: 'labels' has 3 entries but 'data' has 4 images"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_labels_out_of_range_and_missing_keys(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    bad = _batch(2, 1)
    bad[b"labels"] = [3, 10]
    _write_pickle(folder / "data_batch_1", bad)
    with pytest.raises(CorruptDataError, match=r"data_batch_1: 'labels' must be in \[0, 10\)"):
        load_cifar10(source="local", data_dir=tmp_path)
    _write_pickle(folder / "data_batch_1", {b"labels": [1]})
    with pytest.raises(CorruptDataError, match=r"data_batch_1: no 'data' entry"):
        load_cifar10(source="local", data_dir=tmp_path)


def test_cifar100_missing_coarse_labels(tmp_path):
    folder = make_fake_cifar100(tmp_path)
    d = pickle.load(open(folder / "test", "rb"), encoding="bytes")
    del d[b"coarse_labels"]
    _write_pickle(folder / "test", d)
    with pytest.raises(CorruptDataError, match=r"test: no 'coarse_labels' entry"):
        load_cifar100("coarse", source="local", data_dir=tmp_path)


def test_local_without_any_path(no_caches):
    with pytest.raises(DataNotFoundError, match="needs data_dir=... or the COURSE_DATA_DIR"):
        load_cifar10(source="local")


def test_bad_source_and_fallback():
    with pytest.raises(ValueError, match="source must be one of .*got 'web'"):
        load_cifar10(source="web")
    with pytest.raises(ValueError, match="fallback must be None or 'synthetic'; got 'fake'"):
        load_cifar10(fallback="fake")


# --------------------------------------------------------------------------- auto: order, errors, fallback


def _record_sources(monkeypatch, log, succeed_at=None):
    def make(name):
        def fn(*args, **kwargs):
            log.append(name)
            if name == succeed_at:
                x = np.zeros((1, 32, 32, 3), np.uint8)
                return cifar.Dataset((x, np.zeros(1, np.int64)), (x, np.zeros(1, np.int64)), CIFAR10_CLASSES,
                                     source=name)
            raise DataNotFoundError(f"{name} has nothing")
        return fn

    monkeypatch.setattr(cifar, "_load_local_cifar10",
                        lambda where: make("data_dir" if str(where).endswith("explicit") else "env")(where))
    monkeypatch.setattr(cifar, "_try_keras_cache", make("keras_cache"))
    monkeypatch.setattr(cifar, "_try_tfds_cache", make("tfds_cache"))
    monkeypatch.setattr(cifar, "_load_keras", make("download"))


def test_auto_tries_sources_in_documented_order(monkeypatch, tmp_path):
    log = []
    _record_sources(monkeypatch, log)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "env"))
    with pytest.raises(DataNotFoundError) as e:
        load_cifar10(data_dir=tmp_path / "explicit")
    assert log == ["data_dir", "env", "keras_cache", "tfds_cache", "download"]
    msg = str(e.value)
    for needle in ("1. data_dir=", "2. COURSE_DATA_DIR=", "3. Keras cache", "4. TFDS cache", "5. download",
                   "data_dir has nothing", "download has nothing", "source='synthetic'"):
        assert needle in msg, needle
    assert msg.count("fix: ") == 5


@pytest.mark.parametrize("winner, expected_calls", [
    ("env", ["env"]),
    ("keras_cache", ["env", "keras_cache"]),
    ("tfds_cache", ["env", "keras_cache", "tfds_cache"]),
    ("download", ["env", "keras_cache", "tfds_cache", "download"]),
])
def test_auto_stops_at_first_source_that_has_the_data(monkeypatch, tmp_path, winner, expected_calls):
    log = []
    _record_sources(monkeypatch, log, succeed_at=winner)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "env"))
    assert load_cifar10().source == winner
    assert log == expected_calls


@pytest.mark.slow
def test_auto_all_fail_for_real_lists_everything_and_fixes(no_caches, monkeypatch):
    import keras

    def offline(*a, **k):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(DataNotFoundError) as e:
        load_cifar10()
    msg = str(e.value)
    assert "COURSE_DATA_DIR: not set" in msg and "export COURSE_DATA_DIR=" in msg
    assert "no Keras cache" in msg and "no TFDS cache" in msg
    assert "Temporary failure in name resolution" in msg
    assert "cifar-10-python.tar.gz" in msg and "source='synthetic'" in msg


def test_corrupt_file_in_auto_is_not_skipped(tmp_path, no_caches, monkeypatch):
    folder = make_fake_cifar10(tmp_path)
    (folder / "data_batch_2").write_bytes(b"\x80\x02}q")
    monkeypatch.setattr(cifar, "_load_keras", lambda *a: pytest.fail("must not fall through to a download"))
    with pytest.raises(CorruptDataError, match="data_batch_2"):
        load_cifar10(data_dir=tmp_path)


def test_fallback_synthetic_prints_one_line_to_stdout(no_caches, monkeypatch, capsys):
    monkeypatch.setattr(cifar, "_load_keras", lambda *a: (_ for _ in ()).throw(DataNotFoundError("offline")))
    d = load_cifar10(fallback="synthetic")
    out, err = capsys.readouterr()
    assert d.source.startswith("synthetic") and len(d.class_names) == 10
    assert err == "" and out.count("\n") == 1 and "synthetic" in out and "fallback='synthetic'" in out


def test_no_silent_fallback(no_caches, monkeypatch):
    monkeypatch.setattr(cifar, "_load_keras", lambda *a: (_ for _ in ()).throw(DataNotFoundError("offline")))
    with pytest.raises(DataNotFoundError):
        load_cifar10()


def test_keras_cache_is_read_with_numpy(tmp_path, no_caches):
    # Keras 3 extracts to ~/.keras/datasets/cifar-10-batches-py-target/cifar-10-batches-py
    make_fake_cifar10(no_caches / ".keras" / "datasets" / "cifar-10-batches-py-target")
    d = load_cifar10()
    assert d.source.startswith("keras cache: ") and d.x_train.shape == (12, 32, 32, 3)


@pytest.mark.slow
def test_keras_source_download_failure_is_reported(no_caches, monkeypatch):
    import keras

    def offline(*a, **k):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(keras.datasets.cifar100, "load_data", offline)
    with pytest.raises(DataNotFoundError, match=r"keras.datasets.cifar100.load_data\(\) failed: OSError: URL fetch"):
        load_cifar100(source="keras")


@pytest.mark.slow
def test_keras_source_converts_labels(monkeypatch):
    import keras

    x = np.zeros((4, 32, 32, 3), np.uint8)
    y = np.array([[1], [2], [3], [9]], np.uint8)  # Keras returns (N, 1) uint8 labels
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: ((x, y), (x[:2], y[:2])))
    d = load_cifar10(source="keras")
    assert d.y_train.dtype == np.int64 and d.y_train.tolist() == [1, 2, 3, 9]
    assert list(d.class_names) == OFFICIAL_NAMES and d.source.startswith("keras")


@pytest.mark.slow
def test_tfds_source_under_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):
        d = load_cifar10(source="tfds")
        c = load_cifar100("coarse", source="tfds")
    assert d.x_train.shape == (6, 32, 32, 3) and d.x_train.dtype == np.uint8
    assert d.y_train.dtype == np.int64 and d.y_train.max() < 10
    assert list(d.class_names) == OFFICIAL_NAMES and d.source.startswith("tfds")
    assert c.class_names == CIFAR100_COARSE_CLASSES and c.y_test.max() < 20


@pytest.mark.slow
def test_auto_uses_tfds_cache_without_downloading(no_caches, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    info = no_caches / "tensorflow_datasets" / "cifar10" / "3.0.2"
    info.mkdir(parents=True)
    (info / "dataset_info.json").write_text("{}")
    monkeypatch.setattr(cifar, "_load_keras", lambda *a: pytest.fail("must not download"))
    with tfds.testing.mock_data(num_examples=4):
        d = load_cifar10()
    assert d.source == "tfds: cifar10 (cache)" and d.x_test.shape == (4, 32, 32, 3)
