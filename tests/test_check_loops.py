"""course.check.loops: counting the lines a student's function runs tells loops from vectorized code."""

import doctest
import sys
import warnings

import numpy as np
import pytest

import course.check.loops as loops
from course.check import linear_classifiers as public
from course.check.core import CheckFailure
from course.check.loops import lines_run


def _vectorized_total(x):
    doubled = 2 * x
    return doubled.sum()


def _loop_total(x):
    s = 0.0
    for v in x:
        s += v
    return s


def _comprehension_total(x):
    return sum([v for v in x])


def _np_vectorize_total(x):
    return np.vectorize(lambda v: v + 1)(x).sum()


def _apply_along_axis_total(x):
    return np.apply_along_axis(lambda row: row.sum(), 1, x.reshape(len(x), 1)).sum()


def test_docstring_examples_run():
    result = doctest.testmod(loops)
    assert result.attempted > 0 and result.failed == 0


def test_vectorized_code_runs_the_same_lines_at_every_size():
    counts = {n: lines_run(_vectorized_total, np.ones(n)) for n in (1, 10, 10_000)}
    assert counts[1] == counts[10] == counts[10_000] == 2


@pytest.mark.parametrize("fn", [_loop_total, _comprehension_total, _np_vectorize_total, _apply_along_axis_total])
def test_loops_in_any_form_grow_with_the_size(fn):
    small, large = lines_run(fn, np.ones(10)), lines_run(fn, np.ones(100))
    assert large - small >= 90


def test_numpy_and_standard_library_lines_are_not_counted():
    # np.sum, np.mean and copy.deepcopy run Python code of their own: none of it is the student's.
    import copy

    def uses_libraries(x):
        return np.mean(copy.deepcopy(x)) + np.sum(x)

    assert lines_run(uses_libraries, np.ones(5)) == 1


def test_exceptions_propagate_and_the_previous_tracer_comes_back():
    def tracer(frame, event, arg):
        return None

    def broken(x):
        raise ValueError("bad x")

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        with pytest.raises(ValueError, match="bad x"):
            lines_run(broken, 1)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


def test_warnings_inside_the_function_stay_off_stderr(capfd):
    def noisy(x):
        warnings.warn("student warning")
        return np.log(x - x)   # divide by zero

    lines_run(noisy, np.ones(3))
    assert capfd.readouterr().err == ""


# --- the linear-classifier check built on it --------------------------------------


def _svm_vectorized(W, X, y, reg):
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    coeff = (margins > 0).astype(np.float64)
    coeff[rows, y] = -coeff.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ coeff / n + 2 * reg * W


def _svm_loop_over_classes(W, X, y, reg):
    loss, dW = _svm_vectorized(W, X, y, reg)
    for _ in range(W.shape[1]):
        pass
    return loss, dW


def _svm_with_a_size_branch(W, X, y, reg):
    if X.shape[0] > 100:        # a branch taken differently by size is not a loop
        reg = reg + 0.0
    return _svm_vectorized(W, X, y, reg)


def testcheck_no_python_loop_accepts_vectorized_code():
    public.check_no_python_loop(_svm_vectorized, "svm_loss_vectorized")
    public.check_no_python_loop(_svm_with_a_size_branch, "svm_loss_vectorized")


def testcheck_no_python_loop_names_the_loop_and_the_counts():
    with pytest.raises(CheckFailure) as excinfo:
        public.check_no_python_loop(_svm_loop_over_classes, "svm_loss_vectorized")
    message = str(excinfo.value)
    assert "svm_loss_vectorized runs a Python loop over the classes" in message
    assert "for N=20 examples and C=3 classes" in message and "for N=20, C=15" in message


def testcheck_no_python_loop_reports_an_exception_with_the_sizes():
    def fails_on_many_classes(W, X, y, reg):
        if W.shape[1] > 10:
            raise IndexError("index 12 is out of bounds")
        return _svm_vectorized(W, X, y, reg)

    with pytest.raises(CheckFailure, match=r"(?s)raised IndexError: index 12.*N=20 examples, D=30, C=15 classes"):
        public.check_no_python_loop(fails_on_many_classes, "svm_loss_vectorized")
