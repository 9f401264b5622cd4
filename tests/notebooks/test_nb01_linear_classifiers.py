"""01_linear_classifiers, executed in fast mode: quiet, in time, every check passes, the lecture's
numbers appear, and the hidden grade recomputes the notebook's own test accuracy from the weights."""

import re

import pytest

pytestmark = pytest.mark.slow

FUNCTIONS = ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_vectorized", "regularization",
             "numerical_gradient", "LinearClassifier"]


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook("01_linear_classifiers",
                            append=['print(f"recomputed {recomputed_accuracy:.6f} notebook {test_accuracy:.6f}")'])


def test_notebook_runs_in_fast_mode_without_stderr(executed):
    executed.assert_quiet()
    text = executed.stdout
    for function in FUNCTIONS:
        assert f"check_{function} passed" in text
    assert "hinge losses: cat 2.9, car 0.0, frog 12.9; mean 5.27" in text
    assert "-ln(p_cat) = 2.04" in text
    executed.assert_in_time()
    print(f"notebook 01, fast mode: {executed.seconds:.1f} s")


def test_set_up_is_numpy_only_and_the_graded_accuracy_is_the_notebooks_own(executed):
    text = executed.stdout
    assert "fast mode, seed 0, numpy only (no TensorFlow), 1 BLAS thread" in text
    graded = re.search(r"test accuracy (0\.\d+) >= ([0-9.]+) on (cifar10|synthetic) \(fast mode\)", text)
    assert graded, text[-2000:]
    recomputed, own = map(float, re.search(r"recomputed ([0-9.]+) notebook ([0-9.]+)", text).groups())
    assert recomputed == pytest.approx(own, abs=1e-12) == pytest.approx(float(graded.group(1)), abs=5e-4)
