"""Notebook 01 (linear classifiers): checks, thresholds and a fast-mode run of the notebook.

The mutant catalogue is exercised by tests/test_mutants.py; here: the public
checks' literal expected values agree with the hidden reference
implementations, unimplemented stubs fail every check with the stub message,
and the experiment grader. The notebook's fast run is tested in
tests/notebooks/test_nb01_linear_classifiers.py.
"""

import math

import numpy as np
import pytest

from autograder import solutions
from autograder.checks import linear_classifiers as hidden
from course.check import linear_classifiers as public

NOTEBOOK = "linear_classifiers"


@pytest.fixture(scope="module")
def reference():
    return solutions.load(NOTEBOOK)


# --- the public checks' literals ------------------------------------------------

def test_lecture_worked_example_values(reference):
    S, y = public.LECTURE_SCORES, public.LECTURE_LABELS
    loss, _ = reference["svm_loss_naive"](S, np.eye(3), y, 0.0)
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3)
    loss, _ = reference["softmax_loss_vectorized"](S[:1], np.ones((1, 1)), y[:1], 0.0)
    assert loss == pytest.approx(2.04, abs=5e-3)
    assert loss / math.log(10) == pytest.approx(0.89, abs=5e-3)  # the slide's base-10 number


@pytest.mark.parametrize("W,X,y,reg", [
    (public.LECTURE_SCORES, np.eye(3), public.LECTURE_LABELS, 0.0),
    (public.LECTURE_SCORES, np.eye(3), public.LECTURE_LABELS, 0.05),
    (public._W_SMALL, public._X_SMALL, public._Y_SMALL, 0.1),
])
def test_public_svm_literals_match_hidden_reference(W, X, y, reg):
    loss, dW, _ = hidden.svm_reference(W, X, y, reg)
    naive_loss, naive_dW = hidden.svm_naive_reference(W, X, y, reg)
    assert loss == pytest.approx(naive_loss, rel=1e-12)
    np.testing.assert_allclose(dW, naive_dW, rtol=1e-12, atol=1e-15)
    # The public check accepts exactly the reference on these inputs...
    public._svm_public_cases(lambda *a: hidden.svm_reference(*a)[:2], "svm_loss_naive")


def test_public_softmax_and_regularization_literals_match_hidden_reference():
    public.check_softmax_loss_vectorized(lambda *a: hidden.softmax_reference(*a)[:2])
    public.check_regularization(hidden.regularization_reference)


def test_speed_rule_is_shared_and_asks_for_20x():
    assert hidden.SPEEDUP_TARGET == public.SPEEDUP_TARGET == 20
    assert hidden.SPEEDUP_REFERENCE_SHARE == public.SPEEDUP_REFERENCE_SHARE
    # 20x wherever the reference solution gets past 60x; a third of the reference's speed-up below that.
    assert hidden.required_speedup(t_loop=90e-3, t_ref=1e-3) == 20
    assert hidden.required_speedup(t_loop=30e-3, t_ref=3e-3) == pytest.approx(10 / 3)


# --- the release stubs score nothing ---------------------------------------------

def _stub(*args, **kwargs):
    raise NotImplementedError()


class _StubClassifier:
    def __init__(self, loss_fn, seed=0):
        self.loss_fn, self.W = loss_fn, None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        raise NotImplementedError()

    def predict(self, X):
        raise NotImplementedError()


@pytest.mark.parametrize("function", ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_vectorized",
                                      "regularization", "numerical_gradient", "LinearClassifier"])
@pytest.mark.parametrize("module", [public, hidden], ids=["public", "hidden"])
def test_unimplemented_stub_fails_with_stub_message(module, function):
    impl = _StubClassifier if function == "LinearClassifier" else _stub
    with pytest.raises(AssertionError, match="not implemented yet"):
        getattr(module, f"check_{function}")(impl)


# --- the experiment's grade --------------------------------------------------------

class _Fixed:
    """A 'classifier' with a fixed W."""

    def __init__(self, W):
        self.W = W

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)


def _toy_test_set(accuracy, n=200):
    """A classifier and a test set on which its accuracy is ``accuracy`` (rounded to 1/n)."""
    y = np.random.default_rng(0).integers(0, 10, size=n)
    right = int(round(accuracy * n))
    predicted = np.where(np.arange(n) < right, y, (y + 1) % 10)
    return _Fixed(np.eye(10)), np.eye(10)[predicted], y


def _hidden_grade(clf, X, y, data, fast):
    return hidden.grade_weights(clf.W, X, y, kind=data, fast=fast)


@pytest.mark.parametrize("data,mode", list(public.TEST_ACCURACY.table))
def test_accuracy_grade_uses_the_threshold_of_the_data_and_mode(data, mode):
    fast = mode == "fast"
    threshold = public.TEST_ACCURACY.lookup(data, fast).minimum
    clf, X, y = _toy_test_set(threshold + 0.02)
    public.check_test_accuracy(clf, X, y, kind=data, fast=fast)
    _hidden_grade(clf, X, y, data=data, fast=fast)
    clf, X, y = _toy_test_set(threshold - 0.02)
    for grade in (lambda *a, **k: public.check_test_accuracy(*a, kind=k["data"], fast=k["fast"]), _hidden_grade):
        with pytest.raises(AssertionError, match=f"graded minimum is {threshold:.0%}"):
            grade(clf, X, y, data=data, fast=fast)


def test_every_threshold_cites_its_reference_run_below_the_measured_accuracy():
    for (kind, mode), threshold in public.TEST_ACCURACY.table.items():
        assert threshold.minimum < threshold.measured and "reference solution" in threshold.reference, (kind, mode)
    assert sorted(public.TEST_ACCURACY.table) == [("cifar10", "fast"), ("cifar10", "full"),
                                                  ("synthetic", "fast"), ("synthetic", "full")]


def test_a_failing_accuracy_says_the_checks_above_must_pass_first():
    clf, X, y = _toy_test_set(0.1)
    with pytest.raises(AssertionError) as e:
        public.check_test_accuracy(clf, X, y, kind="cifar10", fast=True)
    assert "all the checks above must pass first; then a poor learning rate" in str(e.value)


def test_hidden_accuracy_grade_ignores_a_wrong_predict():
    clf, X, y = _toy_test_set(0.2)
    clf.predict = lambda X_: y  # claims 100%
    public.check_test_accuracy(clf, X, y, kind="cifar10", fast=True)
    with pytest.raises(AssertionError, match="graded minimum"):
        _hidden_grade(clf, X, y, data="cifar10", fast=True)


def test_accuracy_grade_rejects_unknown_data_and_diverged_weights():
    clf, X, y = _toy_test_set(0.9)
    with pytest.raises(AssertionError, match="data 'mnist'"):
        public.check_test_accuracy(clf, X, y, kind="mnist", fast=True)
    clf.W = clf.W.copy()
    clf.W[0, 0] = np.nan
    with pytest.raises(AssertionError, match="NaN or inf"):
        _hidden_grade(clf, X, y, data="cifar10", fast=True)


def test_hidden_grade_recomputes_the_accuracy_on_a_fresh_copy_of_the_notebooks_test_set(monkeypatch):
    import course.notebook

    monkeypatch.setattr(course.notebook, "_CURRENT", None)
    nb = course.notebook.setup(fast=True, seed=0, verbose=False)
    data = nb.load_cifar10("synthetic", n_train=300, n_val=50, n_test=200)
    X_test_b, y_test = hidden.linear_features(data)
    assert X_test_b.shape == (200, 32 * 32 * 3 + 1) and np.all(X_test_b[:, -1] == 1)
    # weights that fit this test set exactly (fewer examples than features): 100 %
    perfect = _Fixed(X_test_b.T @ np.linalg.solve(X_test_b @ X_test_b.T, np.eye(10)[y_test]))
    data.x_test[:] = 0                        # what the notebook's variables hold no longer matters ...
    data.y_test[:] = 3
    assert hidden.grade_test_accuracy(perfect) == 1.0     # ... the hidden grade reads the split again
    with pytest.raises(AssertionError, match="all the checks above must pass first"):
        hidden.grade_test_accuracy(_Fixed(np.zeros((X_test_b.shape[1], 10))), notebook=nb)
