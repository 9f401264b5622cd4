import re

import numpy as np
import pytest

from course.check import core, layout


def test_rel_error_matches_design_formula():
    x = np.array([1.0, 2.0, 0.0])
    y = np.array([1.0, 2.2, 0.0])
    assert core.rel_error(x, y) == pytest.approx(0.2 / 4.2)
    assert core.rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_call_reports_exception_with_inputs():
    def broken(W, X):
        raise ValueError("shapes do not align")

    with pytest.raises(AssertionError) as e:
        core.call(broken, np.zeros((2, 3)), 1.5, arg_names=["W", "X"])
    msg = str(e.value)
    assert "broken(W, X) raised ValueError: shapes do not align" in msg
    assert "W = float64 array (2, 3)" not in msg or "X = 1.5" in msg


def test_call_reports_stub():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        core.call(stub, 1)


def test_call_detects_in_place_mutation_and_allows_declared_ones():
    def scales_in_place(w, config):
        w *= 2
        config["t"] = 1
        return w, config

    with pytest.raises(AssertionError, match="modified its input `w` in place"):
        core.call(scales_in_place, np.ones(3), {}, arg_names=["w", "config"], allow_mutation=("config",))

    def only_config(w, config):
        config["t"] = 1
        return w * 2, config

    (out, cfg), _ = core.call(only_config, np.ones(3), {}, arg_names=["w", "config"], allow_mutation=("config",))
    assert cfg == {"t": 1}


def test_expect_close_message_names_call_values_and_cause():
    _, record = core.call(lambda W, reg: 1.0, np.ones((2, 2)), 0.1, name="loss_fn", arg_names=["W", "reg"])
    with pytest.raises(AssertionError) as e:
        core.expect_close(1.0, 2.0, what="loss", call=record, cause="the margin is 0 instead of 1")
    msg = str(e.value)
    assert msg.splitlines()[0] == "loss_fn(W, reg) returned the wrong loss."
    assert "reg = 0.1" in msg and "got:" in msg and "expected:" in msg
    assert "likely cause: the margin is 0 instead of 1" in msg
    assert "relative error 3.3e-01" in msg


def test_expect_close_shape_and_nan():
    with pytest.raises(AssertionError, match="wrong shape"):
        core.expect_close(np.zeros((3, 2)), np.zeros((2, 3)), what="dW")
    with pytest.raises(AssertionError, match="NaN or inf"):
        core.expect_close(np.array([np.nan]), np.array([1.0]), what="loss")
    core.expect_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), what="dW")


def test_call_keeps_student_warnings_off_stderr(capfd):
    import warnings

    def noisy(x):
        warnings.warn("student warning")
        return np.exp(np.array([1000.0])) * x  # numpy overflow RuntimeWarning

    out, _ = core.call(noisy, 1.0)
    assert np.isinf(out).all()
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- the shared dialect


def test_diagnose_names_the_first_matching_wrong_formula_and_skips_none():
    expected = np.array([1.0, 2.0, 3.0])
    causes = [(None, "never"), (2 * expected, "summed instead of averaged"), (-expected, "wrong sign")]
    assert core.diagnose(-expected, causes) == "wrong sign"
    assert core.diagnose(expected + 1, causes, default="compare term by term") == "compare term by term"
    assert core.diagnose(np.array([np.nan, 4.0, 6.0]), causes) is None          # NaN never matches
    assert core.diagnose(2 * expected + 1e-3, [(2 * expected, "loose", 1e-2)]) == "loose"   # own tolerance
    # normwise: entries near 0 do not spoil the match
    near_zero = np.array([1e-12, 1.0])
    assert not core.matches(near_zero * 1.5, near_zero, tol=1e-6)
    assert core.matches(near_zero + [1e-12, 0.0], near_zero, tol=1e-6, normwise=True)


def test_expect_tuple_says_what_came_back_and_how_to_end():
    record = core.Call("svm_loss_naive", (1,), arg_names=["W"])
    assert core.expect_tuple([1, 2], "(loss, dW)", call=record) == (1, 2)
    with pytest.raises(core.CheckFailure) as e:
        core.expect_tuple(3.5, "(loss, dW)", call=record)
    msg = str(e.value)
    assert "svm_loss_naive(W) must return 2 values, (loss, dW)." in msg
    assert "got:         3.5" in msg and "end the function with `return loss, dW`" in msg
    with pytest.raises(core.CheckFailure, match="a tuple of 3 items"):
        core.expect_tuple((1, 2, 3), ("out", "cache"), call=record)


def test_small_arrays_are_shown_and_large_ones_name_their_worst_entry():
    got = np.arange(9.0).reshape(3, 3)
    with pytest.raises(core.CheckFailure) as e:
        core.expect_close(got, (got + np.eye(3)).tolist(), what="dx")
    msg = str(e.value)
    # both printed the same way, as arrays, in full
    assert "got:         [[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]" in msg
    assert "expected:    [[1. 1. 2.] [3. 5. 5.] [6. 7. 9.]]" in msg
    big = np.ones((10, 10))
    wrong = big.copy()
    wrong[7, 3] = 5.0
    with pytest.raises(core.CheckFailure) as e:
        core.expect_close(wrong, big, what="dw")
    msg = str(e.value)
    assert "float64 array (10, 10), values in [1, 5]" in msg
    assert "worst entry: index (7, 3): got 5, expected 1" in msg


def test_thresholds_cite_their_reference_and_refuse_impossible_minimums():
    table = core.Thresholds("test accuracy of your CNN", {
        ("cifar10", "fast"): core.Threshold(0.40, 0.47, "fast run, seed 0, 2-core CPU, 2026-12-01"),
        ("synthetic", "fast"): core.Threshold(0.60, 0.71, "fast run on the synthetic set"),
    })
    core.expect_accuracy(0.41, table, kind="cifar10", fast=True)
    with pytest.raises(core.CheckFailure) as e:
        core.expect_accuracy(0.35, table, kind="cifar10", fast=True, cause="train for the epochs given")
    msg = str(e.value)
    assert "The test accuracy of your CNN is 35.0% on CIFAR-10 (fast mode); the graded minimum is 40%." in msg
    assert "reached 47.0%: fast run, seed 0, 2-core CPU, 2026-12-01" in msg
    assert "likely cause: all the checks above must pass first; then train for the epochs given" in msg
    with pytest.raises(core.CheckFailure, match="No graded minimum .* on data 'cifar10' in full mode"):
        core.expect_accuracy(0.9, table, kind="cifar10", fast=False)
    with pytest.raises(ValueError, match="the reference solution itself would fail"):
        core.Threshold(0.5, 0.4, "a run")
    with pytest.raises(ValueError, match="mode must be 'fast' or 'full'"):
        core.Thresholds("x", {("cifar10", True): core.Threshold(0.1, 0.2, "r")})


def test_a_failing_check_renders_as_its_message_only():
    failure = core.CheckFailure("relu_backward(dout, cache) returned the wrong dx.\n  likely cause: the mask")
    lines = failure._render_traceback_()
    assert lines[0].endswith("CheckFailure\x1b[0m: relu_backward(dout, cache) returned the wrong dx.")
    assert lines[1:] == ["  likely cause: the mask"]


def test_a_long_failure_is_wrapped_between_words_for_the_notebook():
    """JupyterLab breaks long output lines mid-word at the edge of the output area; the
    rendered message is wrapped between words instead, never inside an array."""
    W = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    with pytest.raises(core.CheckFailure) as e:
        out, record = core.call(lambda W, X, y, reg: 6.26667, W, np.eye(3), np.array([0, 1, 2]), 0.0,
                                name="svm_loss_naive", arg_names=["W", "X", "y", "reg"])
        core.expect_close(out, 5.26667, what="loss", call=record, cause="the sum includes the correct "
                          "class j == y_i, which adds max(0, s_yi - s_yi + 1) = 1 per example: skip j == y_i")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in e.value._render_traceback_()]
    assert max(map(len, lines)) <= layout.NOTEBOOK_COLUMNS
    assert lines[1] == "  called with: W = float64 array (3, 3), values in [-3.1, 5.1],"      # between inputs
    assert lines[2] == "               X = float64 array (3, 3), values in [0, 1], y = [0 1 2], reg = 0"
    assert lines[-2:] == ["  likely cause: the sum includes the correct class j == y_i, which adds",
                          "                max(0, s_yi - s_yi + 1) = 1 per example: skip j == y_i"]
    assert " ".join(" ".join(lines).split()) == " ".join(f"CheckFailure: {e.value}".split())


def test_describe_names_a_keras_model_by_its_shapes():
    import keras

    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(5)], name="tiny")
    assert core.describe(model) == "Keras model 'tiny' ((N, 4, 4, 3) -> (N, 5))"
    assert core.describe(len) == "len"


def test_an_array_too_wide_for_a_line_is_shown_one_row_a_line_aligned_with_its_expectation():
    got = np.array([[-0.3794, -0.5241, 1.0886], [0.0584, 0.4381, -0.666], [0.1094, -0.0717, 0.1793],
                    [0.2116, 0.1577, -0.6019]])
    expected = got.copy()
    expected[1, 2] = -0.0114
    with pytest.raises(core.CheckFailure) as e:
        core.expect_close(got, expected, what="dx")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in layout.wrap_message(str(e.value), 40)]
    assert lines[1:5] == ["  got:         [[-0.3794 -0.5241  1.0886]",
                          "                [ 0.0584  0.4381 -0.666 ]",
                          "                [ 0.1094 -0.0717  0.1793]",
                          "                [ 0.2116  0.1577 -0.6019]]"]
    assert lines[6] == "                [ 0.0584  0.4381 -0.0114]"     # the same columns as got's


def test_negative_zeros_and_long_dicts_print_plainly():
    assert core.describe(np.array([-0.0, 1.5])) == "[0.  1.5]"
    assert core.describe({k: 1 for k in "abcdefgh"}, max_items=2) == "{'a': 1, 'b': 1, ...}"
    assert core.describe_pair(np.array([1.0, -12.25]), np.array([1.0, 2.0])) == ("[  1.   -12.25]", "[  1.     2.  ]")
