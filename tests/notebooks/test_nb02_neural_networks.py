"""02_neural_networks, executed in fast mode: quiet, in time, the lectures' numbers, agreement with
TensorFlow and Keras, and a graded accuracy the hidden part recomputes from the trained weights."""

import re

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook("02_neural_networks",
                            append=['print(f"recomputed {recomputed_accuracy:.6f} graded {graded_accuracy:.6f}")'])


def test_fast_run_is_quiet_and_in_time(executed):
    executed.assert_quiet()
    executed.assert_in_time()


def test_fast_run_reproduces_the_lectures_and_matches_the_frameworks(executed):
    text = executed.stdout
    assert "f = -12.0, df/dx = -4.0, df/dy = -4.0, df/dz = 3.0" in text
    assert "one sigmoid gate: (1 - s) s = 0.20" in text
    assert text.count(" passed\n") == 19                     # every visible check
    errors = [float(v) for v in re.findall(r"relative error ([0-9.e+-]+)  ok", text)]
    assert len(errors) == 8 and max(errors) < 1e-8           # numerical gradient checks of the layers
    diffs = [float(v) for v in re.findall(r"max \|ours - (?:tf|keras)\| = ([0-9.e+-]+)", text)]
    assert len(diffs) == 11 and max(diffs) < 1e-12           # tf.GradientTape and Keras BN gradients
    keras_bn = [float(v) for v in re.findall(r"(?:max \|out - keras\| =|running (?:mean|var)) ([0-9.e+-]+)", text)]
    assert len(keras_bn) == 10 and max(keras_bn) < 1e-12     # Keras BatchNormalization, train and test mode
    assert re.search(r"initial loss 2\.30\d\d \(ln 10 = 2\.3026\)", text)
    assert "training accuracy 100%" in text                  # overfits 20 examples
    assert re.search(r"test accuracy \d\.\d+ >= [0-9.]+ on (cifar10|synthetic)", text)
    layer10 = dict(re.findall(r"(\w+ \+ \w+): mean [^,]+, std ([0-9.e+-]+)", text))
    assert float(layer10["small + tanh"]) < 1e-5 and float(layer10["large + tanh"]) > 0.97
    assert 0.2 < float(layer10["xavier + tanh"]) < 0.26 and float(layer10["he + relu"]) > 0.6
    assert "plain" in text and re.search(r"with BN\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+", text)


def test_the_hidden_part_recomputes_the_graded_accuracy_from_the_weights(executed):
    recomputed, graded = map(float, re.search(r"recomputed ([0-9.]+) graded ([0-9.]+)", executed.stdout).groups())
    assert recomputed == pytest.approx(graded, abs=1e-12)
    assert "keras=True" not in executed.stdout and "TensorFlow backend" in executed.stdout
