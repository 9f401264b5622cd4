"""03_optimization, executed in fast mode: every cell without error or stderr (nbgrader gives 0 points
to a test cell that writes to stderr), in time, and the graded functions' checks and the Keras
comparisons print their success."""

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook("03_optimization")


def test_notebook_runs_in_fast_mode_without_stderr(executed):
    executed.assert_quiet()
    text = executed.stdout
    for fn in ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "step_decay",
               "exponential_decay", "inverse_time_decay", "sample_log_uniform", "random_search"):
        assert f"check_{fn} passed" in text
    assert text.count("lr used by Keras == your function's lr at every epoch: True") == 3, \
        "LearningRateDecay did not use the graded schedules' rates"
    assert "whole notebook:" in text
    executed.assert_in_time()


def test_set_up_line_and_data(executed):
    text = executed.stdout
    assert "fast mode, CPU" in text and "1 BLAS thread" in text
    assert "train (1000, 3072), validation (500, 3072), 10 classes" in text
