"""Run every test marked ``backend_agnostic`` again under the JAX backend.

Keras fixes its backend when it is first imported, so the JAX run needs a
process of its own.
"""

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT


def test_backend_agnostic_tests_pass_under_jax():
    pytest.importorskip("jax")
    if os.environ.get("KERAS_BACKEND") == "jax":
        pytest.skip("already running under JAX")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "backend_agnostic", "-p", "no:cacheprovider", "tests"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )
    tail = (proc.stdout + proc.stderr)[-6000:]
    if proc.returncode == 5:
        pytest.fail("no test is marked backend_agnostic yet:\n" + tail)
    assert proc.returncode == 0, "tests failed under KERAS_BACKEND=jax:\n" + tail
