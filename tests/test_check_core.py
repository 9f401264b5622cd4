import numpy as np
import pytest

from course.check import core


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
