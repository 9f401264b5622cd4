"""The optimization checks accept correct answers written differently.

tests/test_mutants.py shows that the checks reject wrong answers; these
tests show they are not over-strict: implementations that are correct but
use another convention or style (CS231n's velocity sign, PyTorch's Nesterov,
in-place state updates, natural logs, vectorised sampling) pass both the
public and the hidden check.
"""

import math

import numpy as np
import pytest

from autograder.checks import optimization as hidden
from course.check import optimization as public


def momentum_cs231n(w, dw, config=None):
    # v = mu * v - lr * dw; w + v: the velocity is -lr times the lectures' one
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def nesterov_pytorch(w, dw, config=None):
    # PyTorch's form: v = mu * v + dw; w - lr * (dw + mu * v)
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = v
    return w - config["learning_rate"] * (dw + config["momentum"] * v), config


def adagrad_in_place(w, dw, config=None):
    # the cache lives in config and is updated in place (allowed: config is the rule's state)
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache += dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_two_lines(w, dw, config=None):
    config = config or {}
    defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
    for k, v in defaults.items():
        config.setdefault(k, v)
    if "cache" not in config:
        config["cache"] = np.zeros_like(w)
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * np.square(dw)
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adam_counter_in_place(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * (dw * dw)
    m_hat = config["m"] / (1 - np.power(config["beta1"], config["t"]))
    v_hat = config["v"] / (1 - np.power(config["beta2"], config["t"]))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def step_decay_floor(epoch, lr0, drop, every):
    return lr0 * math.pow(drop, math.floor(epoch / every))


def exponential_decay_numpy(t, lr0, k):
    return lr0 * np.exp(-k * t)


def inverse_time_decay_numpy(t, lr0, k):
    return np.float64(lr0) / (1.0 + k * t)


def log_uniform_natural_log(low, high, n, rng):
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n))


def log_uniform_scalar_draws(low, high, n, rng):
    return np.array([10.0 ** rng.uniform(math.log10(low), math.log10(high)) for _ in range(n)])


def random_search_vectorised(train_fn, space, n_trials, rng):
    # all values of each parameter drawn at once, then the trials run
    columns = {}
    for name, (kind, low, high) in space.items():
        if kind == "log":
            columns[name] = np.exp(rng.uniform(np.log(low), np.log(high), size=n_trials))
        else:
            columns[name] = rng.uniform(low, high, size=n_trials)
    results = []
    for i in range(n_trials):
        params = {name: float(col[i]) for name, col in columns.items()}
        metrics = train_fn(params)
        results.append(dict(trial=i, params=params, **metrics))
    return sorted(results, key=lambda r: r["val_acc"], reverse=True)


ACCEPTED = [
    ("sgd_momentum", momentum_cs231n),
    ("nesterov", nesterov_pytorch),
    ("adagrad", adagrad_in_place),
    ("rmsprop", rmsprop_two_lines),
    ("adam", adam_counter_in_place),
    ("step_decay", step_decay_floor),
    ("exponential_decay", exponential_decay_numpy),
    ("inverse_time_decay", inverse_time_decay_numpy),
    ("sample_log_uniform", log_uniform_natural_log),
    ("sample_log_uniform", log_uniform_scalar_draws),
    ("random_search", random_search_vectorised),
]


@pytest.mark.parametrize("function,impl", ACCEPTED, ids=[impl.__name__ for _, impl in ACCEPTED])
def test_correct_alternative_passes_both_checks(function, impl):
    getattr(public, f"check_{function}")(impl)
    getattr(hidden, f"check_{function}")(impl)


def test_failure_message_names_the_call_and_the_cause():
    def adam_no_bias(w, dw, config=None):
        config = config if config is not None else {}
        for k, v in {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}.items():
            config.setdefault(k, v)
        m = config["beta1"] * config.get("m", 0 * w) + (1 - config["beta1"]) * dw
        v = config["beta2"] * config.get("v", 0 * w) + (1 - config["beta2"]) * dw ** 2
        config.update(m=m, v=v, t=config.get("t", 0) + 1)
        return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config

    with pytest.raises(AssertionError) as info:
        hidden.check_adam(adam_no_bias)
    text = str(info.value)
    assert "adam(w, dw, config)" in text and "called with:" in text and "expected:" in text
    assert "likely cause: there is no bias correction" in text
