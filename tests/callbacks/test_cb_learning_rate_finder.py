import io

import keras
import numpy as np
import pytest
from keras import ops

from course.callbacks import LearningRateFinder

pytestmark = pytest.mark.backend_agnostic


def numpy_values(variables):
    return [np.array(ops.convert_to_numpy(ops.convert_to_tensor(v))) for v in variables]


def test_finder_restores_weights_and_optimizer_state_exactly():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, 64)
    model = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"), keras.layers.Dense(3),
    ])
    model.compile(keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # Adam moments, BN statistics, iterations = 4
    weights_before = numpy_values(model.variables)
    opt_before = numpy_values(model.optimizer.variables)
    assert int(ops.convert_to_numpy(ops.convert_to_tensor(model.optimizer.iterations))) == 4

    finder = LearningRateFinder(min_lr=1e-4, max_lr=1.0, num_steps=12)
    finder.find(model, x, y, batch_size=16)
    assert len(finder.learning_rates) == 12 and finder.stop_reason == "num_steps"
    for a, b in zip(numpy_values(model.variables), weights_before):
        np.testing.assert_array_equal(a, b)
    for v, a, b in zip(model.optimizer.variables, numpy_values(model.optimizer.variables), opt_before):
        np.testing.assert_array_equal(a, b, err_msg=v.path)
    assert float(ops.convert_to_numpy(ops.convert_to_tensor(model.optimizer.learning_rate))) == pytest.approx(3e-3, rel=1e-7)
    # Training afterwards continues from the restored state, as if the sweep had not happened.
    assert int(ops.convert_to_numpy(ops.convert_to_tensor(model.optimizer.iterations))) == 4


def test_sweep_records_each_batch_loss_and_stops_when_the_loss_explodes():
    # Loss w**2 with w <- w (1 - 2 lr): the recorded per-batch losses follow by hand.
    x, y = np.ones((32, 1), "float32"), np.zeros((32, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    finder = LearningRateFinder(min_lr=1e-3, max_lr=10.0, num_steps=40, smoothing=0.5)
    finder.find(model, x, y, batch_size=8)  # 4 batches per epoch: losses recovered from running means
    lrs = [1e-3 * (1e4) ** (i / 39) for i in range(40)]
    w, expected = 1.0, []
    for lr in lrs:
        expected.append(w * w)
        w *= 1 - 2 * lr
    n = len(finder.losses)
    assert finder.stop_reason == "diverged" and 10 < n < 40
    np.testing.assert_allclose(finder.learning_rates, lrs[:n], rtol=1e-12)
    np.testing.assert_allclose(finder.losses, expected[:n], rtol=2e-3)
    smoothed = np.asarray(finder.smoothed_losses)
    assert smoothed[-1] > 4 * smoothed[:-1].min()  # it stopped at the first point above 4x the best
    assert all(smoothed[i] <= 4 * smoothed[:i].min() for i in range(1, n - 1))
    # The weight is back at 1 and the rate at 0.01.
    np.testing.assert_array_equal(model.get_weights()[0], [[1.0]])
    assert float(ops.convert_to_numpy(ops.convert_to_tensor(model.optimizer.learning_rate))) == pytest.approx(0.01)
    # Suggestions: the steepest point lies before the minimum of the smoothed loss.
    i_min = int(np.argmin(smoothed))
    assert finder.suggestion <= finder.learning_rates[i_min]
    assert finder.suggestion_min_over_10 == pytest.approx(finder.learning_rates[i_min] / 10)


def test_plot_renders_and_state_resets():
    x, y = np.ones((16, 1), "float32"), np.zeros((16, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.01), loss="mse")
    finder = LearningRateFinder(min_lr=1e-3, max_lr=0.1, num_steps=20)
    finder.find(model, x, y, batch_size=4)
    assert len(finder.losses) == 20
    fig = finder.plot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG" and fig.axes[0].get_xscale() == "log"
    finder.num_steps = 10
    finder.find(model, x, y, batch_size=4)
    assert len(finder.losses) == 10


def test_schedule_object_optimizer_is_refused():
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=1.0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(schedule), loss="mse")
    with pytest.raises(TypeError, match="InverseTimeDecay"):
        LearningRateFinder(num_steps=5).find(model, np.ones((8, 1)), np.ones((8, 1)), batch_size=4)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"min_lr": 1.0, "max_lr": 0.1}, "max_lr"), ({"num_steps": 1}, "num_steps"),
     ({"stop_factor": 1.0}, "stop_factor"), ({"smoothing": 1.0}, "smoothing")],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LearningRateFinder(**kwargs)


def test_fresh_optimizer_comes_back_with_zero_slots_and_no_iterations():
    x, y = np.ones((16, 2), "float32"), np.zeros((16, 1), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    weights = [w.copy() for w in model.get_weights()]
    LearningRateFinder(min_lr=1e-3, max_lr=1.0, num_steps=8).find(model, x, y, batch_size=4)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    opt = model.optimizer
    assert int(ops.convert_to_numpy(ops.convert_to_tensor(opt.iterations))) == 0
    slots = [v for v in opt.variables if "momentum" in v.path]
    assert slots and all(not np.any(ops.convert_to_numpy(ops.convert_to_tensor(v))) for v in slots)
    assert float(ops.convert_to_numpy(ops.convert_to_tensor(opt.learning_rate))) == pytest.approx(0.05)
