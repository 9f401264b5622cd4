import math

import keras
import numpy as np
import pytest
from keras import ops

from course.callbacks import LearningRateDecay

pytestmark = pytest.mark.backend_agnostic

X = np.ones((16, 2), dtype="float32")


def linear_loss(y_true, y_pred):
    return ops.sum(y_pred, axis=-1)  # d/dW = mean(x)^T 1 = all ones: constant gradient


def model_with(optimizer):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer, loss=linear_loss)
    return model


@pytest.mark.parametrize(
    "kind, kwargs, t, expected",
    [
        ("step", {"drop": 0.5, "every": 10}, 25, 0.025),  # the lectures' example
        ("step", {"drop": 0.5, "every": 10}, 9, 0.1),
        ("step", {"drop": 0.1, "every": 30}, 60, 0.001),
        ("exponential", {"k": 0.1}, 10, 0.1 * math.exp(-1.0)),
        ("inverse_time", {"k": 0.5}, 4, 0.1 / 3.0),
        ("cosine", {"period": 10}, 0, 0.1),
        ("cosine", {"period": 10}, 5, 0.05),
        ("cosine", {"period": 10, "min_learning_rate": 0.02}, 5, 0.06),
        ("cosine", {"period": 10}, 10, 0.0),
        ("cosine", {"period": 10, "min_learning_rate": 0.02}, 25, 0.02),  # stays at the floor
    ],
)
def test_schedules_give_the_lectures_values(kind, kwargs, t, expected):
    assert LearningRateDecay(kind, 0.1, **kwargs).learning_rate_at(t) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_per_epoch_rates_reach_the_optimizer_and_the_history():
    model = model_with(keras.optimizers.SGD(0.1))
    decay = LearningRateDecay("step", drop=0.5, every=2)  # lr0 read from the optimizer
    hist = model.fit(X, np.zeros((16, 1)), batch_size=16, epochs=5, callbacks=[decay], verbose=0)
    expected = [0.1, 0.1, 0.05, 0.05, 0.025]
    np.testing.assert_allclose(hist.history["lr"], expected, rtol=1e-6)
    np.testing.assert_allclose(hist.history["learning_rate"], expected, rtol=1e-6)
    # One SGD step per epoch with gradient 1: the weights moved by the sum of the rates.
    np.testing.assert_allclose(model.get_weights()[0], -sum(expected), rtol=1e-5)
    # Reusing the instance with the same optimizer restarts from lr0, not from the decayed rate.
    hist = model.fit(X, np.zeros((16, 1)), batch_size=16, epochs=3, callbacks=[decay], verbose=0)
    np.testing.assert_allclose(hist.history["lr"], expected[:3], rtol=1e-6)


def test_per_step_rates_change_every_batch():
    model = model_with(keras.optimizers.SGD(0.2))
    decay = LearningRateDecay("exponential", k=0.3, per="step")
    hist = model.fit(X, np.zeros((16, 1)), batch_size=4, epochs=2, callbacks=[decay], verbose=0)
    rates = [0.2 * math.exp(-0.3 * t) for t in range(8)]
    np.testing.assert_allclose(hist.history["lr"], [rates[3], rates[7]], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], -sum(rates), rtol=1e-5)


def test_cosine_defaults_to_the_whole_run():
    model = model_with(keras.optimizers.SGD(0.1))
    hist = model.fit(X, np.zeros((16, 1)), batch_size=16, epochs=4,
                     callbacks=[LearningRateDecay("cosine")], verbose=0)
    expected = [0.05 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    np.testing.assert_allclose(hist.history["lr"], expected, rtol=1e-5, atol=1e-7)


def test_warmup_rises_linearly_then_the_cosine_fills_the_rest():
    model = model_with(keras.optimizers.SGD(0.1))
    decay = LearningRateDecay("cosine", per="step", warmup=4)
    # The rate of every step, seen through the weights: each step moves them by -rate (the loss is linear).
    # Reading optimizer.learning_rate inside a batch callback is not possible under JAX (its variables
    # are held outside the Variable objects during fit).
    hist = model.fit(X, np.zeros((16, 1)), batch_size=4, epochs=3, callbacks=[decay], verbose=0)
    warm = [0.1 * (t + 1) / 4 for t in range(4)]
    cosine = [0.05 * (1 + math.cos(math.pi * t / 8)) for t in range(8)]
    rates = warm + cosine
    np.testing.assert_allclose(hist.history["lr"], [rates[3], rates[7], rates[11]], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.get_weights()[0], -sum(rates), rtol=1e-5)
    assert LearningRateDecay("step", 1.0, drop=0.5, every=2, warmup=2).learning_rate_at(4) == 0.5
    with pytest.raises(ValueError, match="the warm-up .* fills the whole run"):
        model.fit(X, np.zeros((16, 1)), batch_size=4, epochs=1,
                  callbacks=[LearningRateDecay("cosine", per="step", warmup=4)], verbose=0)


def test_schedule_object_optimizer_gets_a_clear_error():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    model = model_with(keras.optimizers.SGD(schedule))
    with pytest.raises(TypeError) as info:
        model.fit(X, np.zeros((16, 1)), epochs=1, callbacks=[LearningRateDecay("step")], verbose=0)
    msg = str(info.value)
    assert "ExponentialDecay" in msg and "learning_rate=0.01" in msg and "LearningRateDecay" in msg


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("linear",), {}, "kind"),
        (("exponential",), {}, "needs the decay constant `k`"),
        (("step",), {"per": "batch"}, "per"),
        (("step", -0.1), {}, "initial_learning_rate"),
        (("step",), {"every": 0}, "every"),
        (("cosine",), {"warmup": -1}, "warmup"),
        (("cosine",), {"warmup": 1.5}, "warmup"),
    ],
)
def test_bad_arguments_are_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        LearningRateDecay(*args, **kwargs)
