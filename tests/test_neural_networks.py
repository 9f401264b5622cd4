"""02_neural_networks: the package holds no answers, the reference reproduces the lectures' numbers, and the
checks explain failures without writing to stderr. The notebook's fast run: tests/notebooks/test_nb02_neural_networks.py."""

import json
import warnings

import numpy as np
import pytest

from autograder import solutions
from autograder.release_check import secrets
from course.check import neural_networks as public

NOTEBOOK = "neural_networks"


@pytest.fixture(scope="module")
def ref():
    return solutions.load(NOTEBOOK)


def test_package_holds_no_answer(repo_root):
    nb = json.loads(solutions.notebook_path(NOTEBOOK).read_text())
    answers = [s.line for s in secrets(nb) if s.kind in ("solution", "written answer")]
    assert len(answers) >= 40
    for path in sorted((repo_root / "course").rglob("*.py")):
        text = path.read_text()
        leaked = [line for line in answers if line in text]
        assert not leaked, f"{path.relative_to(repo_root)} contains solution lines {leaked}"


def test_public_checks_do_not_import_the_autograder(repo_root):
    assert "autograder" not in (repo_root / "course" / "check" / "neural_networks.py").read_text()


def test_lecture_examples(ref):
    assert ref["graph_forward_backward"](-2.0, 5.0, -4.0) == (-12.0, (-4.0, -4.0, 3.0))
    out, dw, dx = ref["sigmoid_neuron_forward_backward"](np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))
    assert round(out, 2) == 0.73
    np.testing.assert_array_equal(np.round(dw, 2), [-0.20, -0.39, 0.20])
    np.testing.assert_array_equal(np.round(dx, 2), [0.39, -0.59])


def test_initialization_experiment_reproduces_the_lecture(ref):
    """10 tanh layers of 500 units on 1000 unit-Gaussian inputs, as in the lecture (and the notebook)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 500))
    stds = {}
    for scheme, act in [("small", "tanh"), ("large", "tanh"), ("xavier", "tanh"), ("xavier", "relu"), ("he", "relu")]:
        weights = [ref["init_weights"](500, 500, scheme, rng) for _ in range(10)]
        stds[scheme, act] = ref["activation_statistics"](X, weights, act)[1]
    small = stds["small", "tanh"]
    assert round(small[0], 2) == 0.21 and round(small[1], 3) == 0.048 and small[-1] < 1e-5
    assert np.all(stds["large", "tanh"] > 0.97)                        # saturated at +-1
    xavier = stds["xavier", "tanh"]
    assert round(xavier[0], 2) == 0.63 and 0.21 < xavier[-1] < 0.25    # slow decay, about 0.23 at layer 10
    ratios = stds["xavier", "relu"][1:] / stds["xavier", "relu"][:-1]
    assert 0.6 < np.median(ratios) < 0.8                               # std / sqrt(2) per layer: variance halves
    he = stds["he", "relu"]
    assert 0.65 < he[-1] < 0.9 and he[-1] / he[0] > 0.8                # He keeps it


def _sigmoid_that_warns(x):
    out = 1.0 / (1.0 + np.exp(-x))   # overflows (and warns) for x < -709, still correct
    return out, out


def test_numpy_warnings_of_a_student_function_stay_off_stderr(capfd):
    # nbgrader gives 0 points to a graded cell that writes to stderr.
    from autograder.checks.neural_networks import check_sigmoid_forward

    def sigmoid_forward(x):
        big = np.concatenate([np.asarray(x).ravel(), [-1000.0]])
        return _sigmoid_that_warns(big)[0][:-1].reshape(np.shape(x)), _sigmoid_that_warns(x)[1]

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        public.check_sigmoid_forward(sigmoid_forward)
        check_sigmoid_forward(sigmoid_forward)
    assert capfd.readouterr().err == ""


def test_failure_message_names_call_result_expectation_and_cause():
    def relu_backward(dout, cache):
        return dout * (cache >= 0)

    with pytest.raises(AssertionError) as e:
        public.check_relu_backward(relu_backward)
    msg = str(e.value)
    for fragment in ("relu_backward(dout, cache) returned the wrong dx", "called with: dout = float64 array (2, 4)",
                     "got:", "expected:", "relative error", "likely cause: at x == 0"):
        assert fragment in msg, msg


def test_stub_gets_a_clear_message():
    def batchnorm_backward(dout, cache):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        public.check_batchnorm_backward(batchnorm_backward)


def test_batchnorm_backward_names_the_missing_path_and_the_column_sums(ref):
    from autograder.checks.neural_networks import check_batchnorm_backward

    def without(path, scale=1.0):
        def batchnorm_backward(dout, cache):
            x_hat, std = cache["x_hat"], cache["std"]
            dxh = dout * cache["gamma"]
            dx = dxh - (dxh.mean(0) if path != "mean" else 0) - (x_hat * (dxh * x_hat).mean(0) if path != "var" else 0)
            return scale * dx / std, (dout * x_hat).sum(0), dout.sum(0)
        return batchnorm_backward

    for check in (public.check_batchnorm_backward, check_batchnorm_backward):
        for path, fragment in (("mean", "misses the path through the batch mean"),
                               ("var", "misses the path through the batch variance")):
            with pytest.raises(AssertionError, match=fragment):
                check(without(path))
        # a dx that is wrong in no known way, but whose columns do not sum to 0: the hint says so
        with pytest.raises(AssertionError, match="the columns of dx do not sum to 0"):
            check(lambda dout, cache: (without("mean")(dout, cache)[0] * 1.5, *without(None)(dout, cache)[1:]))
        check(without(None))                      # the full formula passes


def test_relu_backward_times_the_output_is_named():
    def relu_backward(dout, cache):
        return dout * np.maximum(0, cache)

    with pytest.raises(AssertionError, match=r"dx is dout times the ReLU's output max\(0, x\)"):
        public.check_relu_backward(relu_backward)


def test_two_layer_accuracy_is_graded_from_the_weights_on_a_fresh_copy_of_the_test_set(monkeypatch, capsys):
    import course.notebook
    from autograder.checks import neural_networks as hidden

    monkeypatch.setattr(course.notebook, "_CURRENT", None)
    nb = course.notebook.setup(fast=True, seed=0, verbose=False)
    data = nb.load_cifar10("synthetic", n_train=300, n_test=200)
    X_test, y_test = hidden.two_layer_features(data)
    assert X_test.shape == (200, 3072) and abs(float(X_test.mean())) < 0.1
    W1 = X_test.T @ np.linalg.solve(X_test @ X_test.T, np.eye(10)[y_test])          # hidden units = one-hot of the label
    net = {"W1": W1, "b1": np.zeros(10), "W2": np.eye(10), "b2": np.zeros(10)}

    def predict(params, X):                                   # a student's predict that claims 100 %
        return y_test

    assert public.check_two_layer_accuracy(predict, net, X_test, y_test, kind=data.kind, fast=True) == 1.0
    assert "test accuracy 1.000 >= 0.7 on synthetic (fast mode)" in capsys.readouterr().out
    data.x_test[:] = 0                                        # the notebook's arrays do not matter ...
    assert hidden.grade_two_layer_accuracy(net) == 1.0        # ... the hidden grade reads the split again
    zero = {k: np.zeros_like(v) for k, v in net.items()}
    public.check_two_layer_accuracy(predict, zero, X_test, y_test, kind=data.kind, fast=True)   # trusts predict
    with pytest.raises(AssertionError, match="all the checks above must pass first"):
        hidden.grade_two_layer_accuracy(zero, notebook=nb)
    with pytest.raises(AssertionError, match="W1 of shape"):
        hidden.grade_two_layer_accuracy({"W1": W1[:10]}, notebook=nb)
