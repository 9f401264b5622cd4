"""course.notebook: the set-up call every notebook makes, and its data split."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import course.notebook as kit
from conftest import REPO_ROOT


@pytest.fixture(autouse=True)
def _restore_current(monkeypatch):
    monkeypatch.setattr(kit, "_CURRENT", None)
    for var in ("NBGRADER_EXECUTION", "COURSE_FAST"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("env, expected", [
    ({}, False),
    ({"COURSE_FAST": "1"}, True),
    ({"COURSE_FAST": "0"}, False),
    ({"NBGRADER_EXECUTION": "autograde"}, True),
    ({"NBGRADER_EXECUTION": "autograde", "COURSE_FAST": "0"}, True),   # grading is always fast
])
def test_fast_none_is_decided_by_the_environment(monkeypatch, env, expected):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert kit.resolve_fast(None) is expected
    assert kit.resolve_fast(True) is True and kit.resolve_fast(False) is False


def test_bad_fast_values_are_named(monkeypatch):
    with pytest.raises(ValueError, match="FAST must be True, False or None.*'yes'"):
        kit.resolve_fast("yes")
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST='maybe'"):
        kit.resolve_fast(None)


def test_setup_seeds_numpy_and_prints_one_line(capsys):
    nb = kit.setup(fast=True, seed=3)
    a = np.random.rand(3)
    kit.setup(fast=True, seed=3)
    assert np.array_equal(a, np.random.rand(3))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["fast mode, seed 3, numpy only (no TensorFlow)"] * 2
    assert kit.current() is not nb   # the last set-up wins
    assert nb.choose(fast="small", full="big") == "small" and nb.mode == "fast"
    assert np.array_equal(nb.rng(1).random(2), np.random.default_rng(4).random(2))


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "SEED must be a non-negative int"),
    ({"seed": 1.5}, "SEED must be a non-negative int"),
    ({"threads": 0}, "threads must be a positive int"),
    ({"keras": "yes"}, "keras must be True"),
    ({"jit_compile": True}, "jit_compile: runtime options need keras=True"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        kit.setup(fast=True, **kwargs)


def test_current_before_setup_says_what_to_do():
    with pytest.raises(RuntimeError, match="run the set-up cell"):
        kit.current()


def test_threads_limits_blas_for_the_notebooks_lifetime():
    from threadpoolctl import threadpool_info

    nb = kit.setup(fast=True, seed=0, threads=1, verbose=False)
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and all(p["num_threads"] == 1 for p in blas)
    assert "1 BLAS thread" in str(nb)
    nb._limits.restore_original_limits()


def test_split_is_seeded_disjoint_and_reloads_identically():
    nb = kit.setup(fast=True, seed=0, verbose=False)
    data = nb.load_cifar10("synthetic", n_train=300, n_val=100, n_test=50)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (300, 100, 50)
    assert data.kind == "synthetic" and nb.data_kind == "synthetic" and data.is_synthetic
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    flat = lambda x: {a.tobytes() for a in x}   # noqa: E731
    assert not flat(data.x_train) & flat(data.x_val)
    data.x_test[:] = 0                                  # a student's accident ...
    again = nb.reload_data()                            # ... does not reach what the checks read
    assert np.array_equal(again.x_train, data.x_train) and np.array_equal(again.y_val, data.y_val)
    assert again.x_test.any()
    other = kit.setup(fast=True, seed=1, verbose=False).load_cifar10("synthetic", n_train=300, n_val=100)
    assert not np.array_equal(other.y_train, data.y_train)


def test_sizes_larger_than_the_data_are_named():
    nb = kit.setup(fast=True, seed=0, verbose=False)
    with pytest.raises(ValueError, match="n_train=20000 but the data set has only 9900"):
        nb.load_cifar10("synthetic", n_train=20000, n_val=100)
    with pytest.raises(ValueError, match="n_val must be a non-negative int; got None"):
        nb.load_cifar10("synthetic", n_val=None)
    with pytest.raises(RuntimeError, match="no data loaded yet"):
        nb.data_kind
    capped = nb.load_cifar10("synthetic", n_train=20000, n_val=100, n_test=5000, at_most=True)
    assert (len(capped.y_train), len(capped.y_val), len(capped.y_test)) == (9900, 100, 2000)


def test_fast_mode_never_downloads(monkeypatch, tmp_path):
    import course.data.cifar as cifar

    def no_download(*args, **kwargs):
        raise AssertionError("fast mode tried to download CIFAR-10")

    monkeypatch.setattr(cifar, "_load_keras", no_download)
    monkeypatch.setattr(cifar, "_try_keras_cache", lambda *a, **k: (_ for _ in ()).throw(
        cifar.DataNotFoundError("no cache")))
    monkeypatch.setattr(cifar, "_try_tfds_cache", lambda *a, **k: (_ for _ in ()).throw(
        cifar.DataNotFoundError("no cache")))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    nb = kit.setup(fast=True, seed=0, verbose=False)
    assert nb.load_cifar10("auto", n_train=10, n_test=10).kind == "synthetic"
    with pytest.raises(AssertionError, match="tried to download"):
        kit.setup(fast=False, seed=0, verbose=False).load_cifar10("auto", n_train=10)


def test_real_cifar10_is_kind_cifar10(cifar10_dir, capsys):
    nb = kit.setup(fast=True, seed=0)
    data = nb.load_cifar10("local", cifar10_dir, n_train=1000, n_val=200, n_test=300)
    assert data.kind == "cifar10" and data.name == "CIFAR-10"
    assert "data: CIFAR-10 (local: " in capsys.readouterr().out


def _setup_in_fresh_python(keras):
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "import course.notebook\n"
        f"nb = course.notebook.setup(fast=True, seed=0, keras={keras}, verbose=False)\n"
        "import json; print(json.dumps({'seconds': time.perf_counter() - t, "
        "'tf': 'tensorflow' in sys.modules, 'keras': 'keras' in sys.modules}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.slow
def test_numpy_only_setup_does_not_import_tensorflow_and_keras_setup_does():
    numpy_only = _setup_in_fresh_python(False)
    with_keras = _setup_in_fresh_python(True)
    assert not numpy_only["tf"] and not numpy_only["keras"]
    assert with_keras["keras"]
    # TensorFlow's import costs seconds; the numpy-only set-up must not pay it.
    assert numpy_only["seconds"] < with_keras["seconds"] / 3, (numpy_only, with_keras)
