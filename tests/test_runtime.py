"""course.runtime.setup: quiet stderr, determinism, reported settings.

The quiet and determinism tests run in fresh subprocesses: TensorFlow reads
its log level once, when it is imported, and Keras fixes its backend then too.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

# Build and fit a small conv model (with the input_shape keyword Keras warns
# about, and XLA on, which logs when it compiles) after setup(quiet=True):
# twice with the same seed and once with another, all in one process.
FIT_SCRIPT = r"""
import json, sys
import course

def fit(seed):
    info = course.runtime.setup(seed=seed, quiet=True)
    import keras, numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 3)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > 0).astype("int64")
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, input_shape=(8, 8, 3), activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=True)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=True, verbose=0)
    model.evaluate(x, y, verbose=0)
    return info, np.concatenate([v.ravel() for v in model.get_weights()]).tolist()

info, a = fit(3)
_, b = fit(3)
_, c = fit(4)
print(json.dumps({"info": str(info), "backend": info.backend, "a": a, "b": b, "c": c}))
"""


def _run():
    # TF_CPP_MIN_LOG_LEVEL is deliberately not passed to the child: setup() must set it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", FIT_SCRIPT], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.backend_agnostic
def test_setup_quiet_fit_writes_nothing_to_stderr_and_is_deterministic():
    first, out = _run()
    assert first.stderr == "", "stderr was not empty:\n" + first.stderr[-3000:]
    assert out["backend"] == os.environ.get("KERAS_BACKEND", "tensorflow")
    assert "seed 3" in out["info"] and "deterministic ops" in out["info"]
    # same seed, same process: identical weights; another seed: different
    assert out["a"] == out["b"]
    assert out["a"] != out["c"]
    # same seed, another process: identical weights too
    second, again = _run()
    assert second.stderr == ""
    assert again["a"] == out["a"]


@pytest.mark.backend_agnostic
def test_setup_reports_settings_and_is_idempotent():
    from course import runtime

    info = runtime.setup(seed=5)
    again = runtime.setup(seed=5)
    assert info == again
    import keras

    assert info.backend == keras.backend.backend()
    assert info.seed == 5 and info.deterministic and info.quiet
    text = str(info)
    assert text.startswith(("CPU (", "GPU: ")), text
    assert "seed 5" in text and info.precision in text
    assert ("XLA on" if info.jit_compile else "XLA off") in text
    if not info.on_gpu:
        assert info.precision == "float32"  # no float16 without tensor cores
        assert info.jit_compile == (info.backend == "jax")
        assert f"CPU ({runtime.cpu_count()} core" in text
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    # Keras' global policy follows the choice; explicit choices are honoured.
    assert keras.mixed_precision.global_policy().name == info.precision
    forced = runtime.setup(seed=None, mixed_precision="mixed_bfloat16", jit_compile=False)
    try:
        assert forced.precision == "mixed_bfloat16" and keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert not forced.jit_compile and "no seed" in str(forced)
    finally:
        runtime.setup(seed=0)
    assert keras.mixed_precision.global_policy().name == "float32" or info.on_gpu


@pytest.mark.backend_agnostic
def test_seed_resets_generators():
    import random

    import numpy as np

    from course import runtime

    runtime.setup(seed=11)
    first = (random.random(), np.random.rand())
    runtime.setup(seed=11)
    assert (random.random(), np.random.rand()) == first


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": -1}, "seed=-1"),
    ({"seed": 1.5}, "non-negative int"),
    ({"mixed_precision": "half"}, "mixed_precision='half'"),
    ({"jit_compile": "yes"}, "jit_compile='yes'"),
    ({"deterministic": "yes"}, "deterministic='yes'"),
])
def test_setup_bad_arguments(kwargs, match):
    from course import runtime

    with pytest.raises(ValueError, match=match):
        runtime.setup(**kwargs)


def test_mixed_float16_on_cpu_is_refused_clearly():
    from course import runtime

    info = runtime.setup(seed=0)
    if info.on_gpu:
        pytest.skip("a GPU is visible")
    with pytest.raises(ValueError, match="no GPU is visible"):
        runtime.setup(seed=0, mixed_precision=True)
