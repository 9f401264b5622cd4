"""00_warmup, executed in fast mode: quiet, in time, every check passes, the lesson's figures appear."""

import re

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook("00_warmup")


def test_fast_run_is_quiet_and_in_time(executed):
    executed.assert_quiet()
    executed.assert_in_time()


def test_every_check_passes_and_the_set_up_pays_no_tensorflow(executed):
    text = executed.stdout
    for fn in ("channel_mean_std", "normalize", "one_hot", "accuracy"):
        assert f"check_{fn} passed" in text
    assert "fast mode, seed 0, numpy only (no TensorFlow), 1 BLAS thread" in text
    assert re.search(r"data: (CIFAR-10|the synthetic CIFAR-shaped set) .*: 1000 training, 0 validation", text)
    assert re.search(r"nearest class mean: test accuracy 0\.\d+ +\(chance 0\.100", text)
    assert re.search(r"after normalising, train: mean \[[-0. ]+\], std \[1\. 1\. 1\.\]", text)


def test_plots_come_from_course_plots(executed):
    images = [o for o in executed.outputs() if "image/png" in o.get("data", {})]
    assert len(images) >= 5          # the batch, the class balance, two histograms, the class means
