"""Plausible wrong implementations for notebook 03 (optimization).

Each one is a mistake students make with the lectures' formulas; the hidden
check of the function it replaces must reject it with a message that names
the mistake (``message``), and the public check too where ``public``.
"""

import math

import numpy as np

from . import Mutant


def _defaults(config, **defaults):
    if config is None:
        config = {}
    for k, v in defaults.items():
        config.setdefault(k, v)
    return config


# ---------------------------------------------------------------- sgd

def sgd_uphill(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w + config["learning_rate"] * dw, config


def sgd_ignores_config(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - 1e-2 * dw, config


def sgd_in_place(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_no_defaults(w, dw, config=None):
    config = {} if config is None else config
    return w - config.get("learning_rate", 1e-2) * dw, config


# ---------------------------------------------------------------- momentum

def momentum_velocity_sign_flipped(w, dw, config=None):
    """v = rho * v - dw (sign flipped), then the lectures' step w - lr * v."""
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def momentum_mixed_conventions(w, dw, config=None):
    """CS231n's v = rho * v - lr * dw combined with the lectures' w - v."""
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def momentum_forgets_velocity(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = np.zeros_like(w)
    v = config["momentum"] * v + dw
    return w - config["learning_rate"] * v, config


_GLOBAL = {}


def momentum_global_state(w, dw, config=None):
    """The velocity lives in a module-level variable: fine for one tensor, wrong for two."""
    if config is None:
        config = {}
        _GLOBAL.clear()
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = _GLOBAL.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + dw
    _GLOBAL["velocity"] = v
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def momentum_velocity_in_place(w, dw, config=None):
    """Updates config['velocity'] in place; fine, but also aliases w when the student 'saves' w."""
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.setdefault("velocity", np.zeros_like(w))
    v *= config["momentum"]
    v += dw
    w -= config["learning_rate"] * v
    return w, config


# ---------------------------------------------------------------- nesterov

def nesterov_like_momentum(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def nesterov_old_and_new_swapped(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    old_v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * old_v - config["learning_rate"] * dw
    config["velocity"] = v
    return w - config["momentum"] * v + (1 + config["momentum"]) * old_v, config


_NESTEROV_GLOBAL = {}


def nesterov_global_state(w, dw, config=None):
    if config is None:
        config = {}
        _NESTEROV_GLOBAL.clear()
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    old_v = _NESTEROV_GLOBAL.get("velocity", np.zeros_like(w))
    v = config["momentum"] * old_v - config["learning_rate"] * dw
    _NESTEROV_GLOBAL["velocity"] = v
    config["velocity"] = v
    return w - config["momentum"] * old_v + (1 + config["momentum"]) * v, config


# ---------------------------------------------------------------- adagrad

def adagrad_no_accumulation(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-8)
    cache = dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adagrad_eps_inside_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


def adagrad_keras_initial_accumulator(w, dw, config=None):
    """Keras' Adagrad starts the accumulator at 0.1, not 0."""
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-8)
    cache = config.get("cache", np.full_like(w, 0.1)) + dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


# ---------------------------------------------------------------- rmsprop

def rmsprop_decay_on_gradient(w, dw, config=None):
    """((1 - decay_rate) * dw) ** 2: the decay applied to the gradient, then squared."""
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    r = config["decay_rate"]
    cache = r * config.get("cache", np.zeros_like(w)) + ((1 - r) * dw) ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_average_of_gradient(w, dw, config=None):
    """A running mean of dw instead of dw**2 (NaN as soon as it turns negative)."""
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    r = config["decay_rate"]
    cache = r * config.get("cache", np.zeros_like(w)) + (1 - r) * dw
    config["cache"] = cache
    with np.errstate(invalid="ignore"):
        return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_weights_swapped(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    r = config["decay_rate"]
    cache = (1 - r) * config.get("cache", np.zeros_like(w)) + r * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_eps_inside_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    r = config["decay_rate"]
    cache = r * config.get("cache", np.zeros_like(w)) + (1 - r) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


# ---------------------------------------------------------------- adam

def adam_variant(w, dw, config, bias=True, t_from_zero=False, eps_inside=False, keep_t=False):
    """Notebook 03's Adam step (the lectures' form) and its classic mistakes, one flag each.

    Public: notebook 05's AdamW mutants build their mistakes on it (the Adam step, then the
    decoupled decay around it), so that the two catalogues can not drift apart.
    """
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    t = config.get("t", 0)
    tc = t if t_from_zero else t + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = m / (1 - b1 ** tc) if bias else m
        v_hat = v / (1 - b2 ** tc) if bias else v
        denom = np.sqrt(v_hat + config["epsilon"]) if eps_inside else np.sqrt(v_hat) + config["epsilon"]
        next_w = w - config["learning_rate"] * m_hat / denom
    config["m"], config["v"], config["t"] = m, v, (t if keep_t else t + 1)
    return next_w, config


def adam_no_bias_correction(w, dw, config=None):
    return adam_variant(w, dw, config, bias=False)


def adam_t_from_zero(w, dw, config=None):
    return adam_variant(w, dw, config, t_from_zero=True)


def adam_eps_inside_sqrt(w, dw, config=None):
    return adam_variant(w, dw, config, eps_inside=True)


def adam_keras_form(w, dw, config=None):
    """Kingma and Ba's 'efficient' form: bias correction folded into the step size."""
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    t = config.get("t", 0) + 1
    lr_t = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    config.update(m=m, v=v, t=t)
    return w - lr_t * m / (np.sqrt(v) + config["epsilon"]), config


def adam_t_not_incremented(w, dw, config=None):
    return adam_variant(w, dw, config, keep_t=True)


_ADAM_GLOBAL = {}


def adam_global_state(w, dw, config=None):
    if config is None:
        config = {}
        _ADAM_GLOBAL.clear()
    for k, v in dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8).items():
        config.setdefault(k, v)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * _ADAM_GLOBAL.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * _ADAM_GLOBAL.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    t = config.get("t", 0) + 1
    _ADAM_GLOBAL.update(m=m, v=v)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + config["epsilon"]), config


def adam_overwrites_hyperparameters(w, dw, config=None):
    config = {} if config is None else config
    config.update(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    return adam_variant(w, dw, config)


# ---------------------------------------------------------------- schedules

def step_decay_off_by_one(epoch, lr0, drop, every):
    """Counts epochs from 1: the first drop comes one epoch early."""
    return lr0 * drop ** ((epoch + 1) // every)


def step_decay_late(epoch, lr0, drop, every):
    return lr0 * drop ** (max(epoch - 1, 0) // every)


def step_decay_continuous(epoch, lr0, drop, every):
    return lr0 * drop ** (epoch / every)


def exponential_decay_off_by_one(t, lr0, k):
    return lr0 * math.exp(-k * (t + 1))


def exponential_decay_sign(t, lr0, k):
    return lr0 * math.exp(k * t)


def inverse_time_decay_off_by_one(t, lr0, k):
    return lr0 / (1 + k * (t + 1))


def inverse_time_decay_no_one(t, lr0, k):
    return lr0 / max(k * t, 1.0)


# ---------------------------------------------------------------- search

def log_uniform_in_value(low, high, n, rng):
    return rng.uniform(low, high, size=n)


def log_uniform_bounds_swapped(low, high, n, rng):
    """rng.uniform refuses high < low, so numpy raises 'high - low < 0'."""
    return 10.0 ** rng.uniform(np.log10(high), np.log10(low), size=n)


def log_uniform_bounds_swapped_by_hand(low, high, n, rng):
    """The same mistake written out by hand, which numpy cannot catch."""
    a, b = np.log10(high), np.log10(low)
    return 10.0 ** (a + (b - a) * rng.random(n))


def log_uniform_natural_log_of_bounds_but_base10(low, high, n, rng):
    return 10.0 ** rng.uniform(np.log(low), np.log(high), size=n)


def log_uniform_global_rng(low, high, n, rng):
    return 10.0 ** np.random.uniform(np.log10(low), np.log10(high), size=n)


def _search(train_fn, space, n_trials, rng, log_uniform=True, sort=True, reverse=False, trials=None):
    results = []
    for trial in range(n_trials if trials is None else trials(n_trials)):
        params = {}
        for name, (kind, low, high) in space.items():
            if kind == "log" and log_uniform:
                params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
            else:
                params[name] = float(rng.uniform(low, high))
        results.append({"trial": trial, "params": params, **train_fn(dict(params))})
    if sort:
        results.sort(key=lambda r: r["val_acc"], reverse=not reverse)
    return results


def search_uniform_in_value(train_fn, space, n_trials, rng):
    return _search(train_fn, space, n_trials, rng, log_uniform=False)


def search_unsorted(train_fn, space, n_trials, rng):
    return _search(train_fn, space, n_trials, rng, sort=False)


def search_sorted_worst_first(train_fn, space, n_trials, rng):
    return _search(train_fn, space, n_trials, rng, reverse=True)


def search_one_trial_short(train_fn, space, n_trials, rng):
    return _search(train_fn, space, n_trials, rng, trials=lambda n: max(n - 1, 0))


def search_global_rng(train_fn, space, n_trials, rng):
    return _search(train_fn, space, n_trials, np.random)


def search_same_params_every_trial(train_fn, space, n_trials, rng):
    params = {}
    for name, (kind, low, high) in space.items():
        params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high))) if kind == "log" \
            else float(rng.uniform(low, high))
    results = [{"trial": t, "params": dict(params), **train_fn(dict(params))} for t in range(n_trials)]
    return sorted(results, key=lambda r: r["val_acc"], reverse=True)


def search_drops_metrics(train_fn, space, n_trials, rng):
    return [{"trial": r["trial"], "params": r["params"], "val_acc": r["val_acc"]}
            for r in _search(train_fn, space, n_trials, rng)]


M = Mutant
MUTANTS = [
    # sgd
    M("sgd", "uphill", "adds the gradient instead of subtracting it", sgd_uphill, "goes uphill", public=True),
    M("sgd", "ignores_config", "always uses 1e-2, ignoring config['learning_rate']", sgd_ignores_config,
      "wrong next_w"),
    M("sgd", "in_place", "updates w in place with -=", sgd_in_place, "modified its input `w` in place", public=True),
    M("sgd", "no_defaults", "reads the default but never stores it in config", sgd_no_defaults,
      "did not fill in the default 'learning_rate'", public=True),
    # momentum
    M("sgd_momentum", "velocity_sign_flipped", "v = rho * v - dw with the step w - lr * v",
      momentum_velocity_sign_flipped, "wrong sign", public=True),
    M("sgd_momentum", "mixed_conventions", "v = rho * v - lr * dw (CS231n) with the lectures' step w - v",
      momentum_mixed_conventions, "wrong sign", public=True),
    M("sgd_momentum", "forgets_velocity", "starts from zero velocity at every call", momentum_forgets_velocity,
      "not carried", public=True),
    M("sgd_momentum", "global_state", "keeps the velocity in a global variable instead of config",
      momentum_global_state, "keep it only in `config`", public=True),
    M("sgd_momentum", "in_place", "updates w (and the velocity) in place", momentum_velocity_in_place,
      "modified its input `w` in place"),
    # nesterov
    M("nesterov", "like_plain_momentum", "returns w + v, the plain momentum step", nesterov_like_momentum,
      "plain momentum", public=True),
    M("nesterov", "old_new_swapped", "swaps old_v and v in the change-of-variables update",
      nesterov_old_and_new_swapped, "wrong next_w"),
    M("nesterov", "global_state", "keeps the velocity in a global variable instead of config",
      nesterov_global_state, "keep it only in `config`"),
    # adagrad
    M("adagrad", "no_accumulation", "cache = dw**2 at every step instead of a running sum",
      adagrad_no_accumulation, "not accumulated", public=True),
    M("adagrad", "eps_inside_sqrt", "sqrt(cache + eps), Keras' placement", adagrad_eps_inside_sqrt,
      "epsilon is inside the square root, np.sqrt(cache + epsilon): that is where Keras' Adagrad puts it", public=True),
    M("adagrad", "keras_initial_accumulator", "starts the cache at 0.1 like Keras' Adagrad",
      adagrad_keras_initial_accumulator, "wrong next_w"),
    # rmsprop
    M("rmsprop", "decay_on_gradient", "((1 - decay_rate) * dw)**2: the decay applied to the gradient",
      rmsprop_decay_on_gradient, "decay is applied to the gradient instead of its square", public=True),
    M("rmsprop", "average_of_gradient", "a running mean of dw instead of dw**2", rmsprop_average_of_gradient,
      "instead of its square"),
    M("rmsprop", "weights_swapped", "decay_rate and 1 - decay_rate swapped", rmsprop_weights_swapped,
      "wrong next_w"),
    M("rmsprop", "eps_inside_sqrt", "sqrt(cache + eps), Keras' placement (the rule then matches Keras' RMSprop)",
      rmsprop_eps_inside_sqrt, "so your rule agrees with keras.optimizers.RMSprop exactly", public=True),
    # adam
    M("adam", "no_bias_correction", "uses m and v without dividing by 1 - beta**t", adam_no_bias_correction,
      "bias correction", public=True),
    M("adam", "t_from_zero", "bias correction with t before incrementing it (t = 0 on the first step)",
      adam_t_from_zero, "before it is incremented", public=True),
    M("adam", "eps_inside_sqrt", "sqrt(v_hat + eps)", adam_eps_inside_sqrt, "epsilon is inside the square root",
      public=True),
    M("adam", "keras_form", "lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps): epsilon moves",
      adam_keras_form, "folded into the learning rate"),
    M("adam", "t_not_incremented", "never stores the incremented t", adam_t_not_incremented, "config['t'] is 1"),
    M("adam", "global_state", "keeps m and v in a global variable instead of config", adam_global_state,
      "keep it only in `config`", public=True),
    M("adam", "overwrites_hyperparameters", "config.update(defaults) overwrites the caller's values",
      adam_overwrites_hyperparameters, "overwrote"),
    # schedules
    M("step_decay", "off_by_one_early", "counts epochs from 1: drops one epoch early", step_decay_off_by_one,
      "off by one epoch", public=True),
    M("step_decay", "off_by_one_late", "drops one epoch late", step_decay_late, "off by one epoch"),
    M("step_decay", "continuous", "drop ** (epoch / every) without the floor", step_decay_continuous,
      "wrong learning rate", public=True),
    M("exponential_decay", "off_by_one", "exp(-k * (t + 1)): lr(0) is not lr0", exponential_decay_off_by_one,
      "off by one", public=True),
    M("exponential_decay", "wrong_sign", "exp(+k t): the learning rate grows", exponential_decay_sign,
      "wrong learning rate"),
    M("inverse_time_decay", "off_by_one", "1 + k (t + 1): lr(0) is not lr0", inverse_time_decay_off_by_one,
      "off by one", public=True),
    M("inverse_time_decay", "no_one", "lr0 / (k t) without the 1 +", inverse_time_decay_no_one,
      "wrong learning rate"),
    # search
    M("sample_log_uniform", "uniform_in_value", "rng.uniform(low, high): uniform in the value, not the exponent",
      log_uniform_in_value, "uniform in the value instead of the exponent", public=True),
    M("sample_log_uniform", "bounds_swapped", "rng.uniform(log10(high), log10(low))", log_uniform_bounds_swapped,
      "bounds are swapped", public=True),
    M("sample_log_uniform", "bounds_swapped_by_hand", "log10(high) + (log10(low) - log10(high)) * u",
      log_uniform_bounds_swapped_by_hand, "bounds are swapped", public=True),
    M("sample_log_uniform", "natural_log_base_10", "np.log for the bounds but 10 ** for the samples",
      log_uniform_natural_log_of_bounds_but_base10, "outside [low, high]", public=True),
    M("sample_log_uniform", "global_rng", "np.random instead of the rng given", log_uniform_global_rng,
      "wrong samples"),
    M("random_search", "uniform_in_value", "samples ('log', low, high) uniformly in the value",
      search_uniform_in_value, "log-uniformly", public=True),
    M("random_search", "unsorted", "returns the results in trial order", search_unsorted,
      "did not sort the results", public=True),
    M("random_search", "worst_first", "sorts by val_acc ascending", search_sorted_worst_first,
      "did not sort the results", public=True),
    M("random_search", "one_trial_short", "range(n_trials - 1)", search_one_trial_short,
      "called train_fn the wrong number of times", public=True),
    M("random_search", "global_rng", "draws from np.random instead of rng", search_global_rng,
      "not reproducible from its rng"),
    M("random_search", "same_params", "draws the params once, before the loop", search_same_params_every_trial,
      "repeated learning rates"),
    M("random_search", "drops_metrics", "keeps only val_acc from the metrics", search_drops_metrics,
      "without the required keys", public=True),
]
