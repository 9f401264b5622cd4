"""Hidden checks for notebook 03 (optimization).

Each update rule is run for several steps on seeded quadratic problems and
compared with a reference trajectory; the checks also verify that defaults
are filled into ``config``, that given hyperparameters are respected, that
the state travels in ``config`` (two independent problems run interleaved),
and that ``w`` and ``dw`` are left unchanged. On a mismatch the check
compares the student's output with the common mistakes it knows and names
the one that matches.

These checks hold reference implementations: they are never shipped.
"""

import math

import numpy as np

from course.check import optimization as public
from course.check.core import CheckFailure, call, expect, expect_close, rel_error
from course.check.optimization import CAUSE_EPS_INSIDE, DEFAULTS, SHARED_STATE_CAUSE, STATE_KEYS, SWAPPED_CAUSE

TOL = 1e-9

# --------------------------------------------------------------------------
# Reference update rules (the DESIGN.md / CS231n formulation), with the
# defaults of ``public.DEFAULTS``
# --------------------------------------------------------------------------

# hyperparameters other than the defaults, so a rule that ignores config shows
CUSTOM = {
    "sgd": {"learning_rate": 0.07},
    "sgd_momentum": {"learning_rate": 0.03, "momentum": 0.7},
    "nesterov": {"learning_rate": 0.03, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-8},
    "adam": {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8},
}

def _filled(name, config):
    c = dict(config or {})
    for k, v in DEFAULTS[name].items():
        c.setdefault(k, v)
    return c


def _ref_sgd(w, dw, config=None):
    c = _filled("sgd", config)
    return w - c["learning_rate"] * dw, c


def _ref_sgd_momentum(w, dw, config=None, sign=1.0, carry=True):
    c = _filled("sgd_momentum", config)
    v = c.get("velocity") if carry else None
    v = np.zeros_like(w) if v is None else v
    v = c["momentum"] * v + dw
    c["velocity"] = v
    return w - sign * c["learning_rate"] * v, c


def _ref_nesterov(w, dw, config=None, plain=False):
    c = _filled("nesterov", config)
    v = c.get("velocity")
    v = np.zeros_like(w) if v is None else v
    old = v
    v = c["momentum"] * v - c["learning_rate"] * dw
    c["velocity"] = v
    if plain:
        return w + v, c
    return w - c["momentum"] * old + (1 + c["momentum"]) * v, c


def _ref_adagrad(w, dw, config=None, accumulate=True, eps_inside=False):
    c = _filled("adagrad", config)
    cache = c.get("cache")
    cache = np.zeros_like(w) if cache is None or not accumulate else cache
    cache = cache + dw * dw
    c["cache"] = cache
    denom = np.sqrt(cache + c["epsilon"]) if eps_inside else np.sqrt(cache) + c["epsilon"]
    return w - c["learning_rate"] * dw / denom, c


def _ref_rmsprop(w, dw, config=None, variant=None, eps_inside=False):
    c = _filled("rmsprop", config)
    cache = c.get("cache")
    cache = np.zeros_like(w) if cache is None else cache
    r = c["decay_rate"]
    if variant == "decay_inside_square":      # ((1 - r) * dw) ** 2
        cache = r * cache + ((1 - r) * dw) ** 2
    elif variant == "no_square":              # (1 - r) * dw: a running mean of the gradient
        cache = r * cache + (1 - r) * dw
    else:
        cache = r * cache + (1 - r) * dw * dw
    c["cache"] = cache
    with np.errstate(invalid="ignore"):
        denom = np.sqrt(cache + c["epsilon"]) if eps_inside else np.sqrt(cache) + c["epsilon"]
    return w - c["learning_rate"] * dw / denom, c


def _ref_adam(w, dw, config=None, bias_correction=True, t_from_zero=False, eps_inside=False, folded=False):
    c = _filled("adam", config)
    m = c.get("m")
    v = c.get("v")
    m = np.zeros_like(w) if m is None else m
    v = np.zeros_like(w) if v is None else v
    t = c.get("t", 0)
    b1, b2 = c["beta1"], c["beta2"]
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw * dw
    tc = t if t_from_zero else t + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = m / (1 - b1 ** tc) if bias_correction else m
        v_hat = v / (1 - b2 ** tc) if bias_correction else v
        denom = np.sqrt(v_hat + c["epsilon"]) if eps_inside else np.sqrt(v_hat) + c["epsilon"]
        nxt = w - c["learning_rate"] * m_hat / denom
        if folded:   # Kingma & Ba's "efficient" form (Keras): lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)
            lr_t = c["learning_rate"] * np.sqrt(1 - b2 ** tc) / (1 - b1 ** tc)
            nxt = w - lr_t * m / (np.sqrt(v) + c["epsilon"])
    c["m"], c["v"], c["t"] = m, v, t + 1
    return nxt, c


REFERENCE = {
    "sgd": _ref_sgd,
    "sgd_momentum": _ref_sgd_momentum,
    "nesterov": _ref_nesterov,
    "adagrad": _ref_adagrad,
    "rmsprop": _ref_rmsprop,
    "adam": _ref_adam,
}


def _stateless(rule):
    """The rule with its state dropped between calls (config not carried)."""
    def f(w, dw, config=None):
        c = {k: v for k, v in (config or {}).items() if k in DEFAULTS[rule]}
        return REFERENCE[rule](w, dw, c)
    return f


# Known mistakes: (likely cause, implementation). The first one that
# reproduces the student's output names the cause in the failure message.
STATE_CAUSE = ("the state is not carried from one call to the next: read it from `config` at the start "
               "and store the new value back into `config` before returning")

MISTAKES = {
    "sgd": [
        ("the step goes uphill: next_w = w - learning_rate * dw, with a minus",
         lambda w, dw, c=None: (w + _filled("sgd", c)["learning_rate"] * dw, c)),
    ],
    "sgd_momentum": [
        ("the velocity has the wrong sign: with v = momentum * v + dw the step is next_w = w - learning_rate * v "
         "(the lectures' form; do not mix it with the v = momentum * v - learning_rate * dw form)",
         lambda w, dw, c=None: _ref_sgd_momentum(w, dw, c, sign=-1.0)),
        ("the velocity has the wrong sign: with v = momentum * v + dw the step is next_w = w - learning_rate * v",
         lambda w, dw, c=None: _wrong_momentum_mixed(w, dw, c)),
        (STATE_CAUSE, _stateless("sgd_momentum")),
    ],
    "nesterov": [
        ("this is plain momentum (next_w = w + v): Nesterov's look-ahead form is "
         "next_w = w - momentum * old_v + (1 + momentum) * v",
         lambda w, dw, c=None: _ref_nesterov(w, dw, c, plain=True)),
        (STATE_CAUSE, _stateless("nesterov")),
    ],
    "adagrad": [
        ("the squared gradients are not accumulated: AdaGrad's cache is the running *sum* "
         "cache = cache + dw**2 over all steps so far",
         lambda w, dw, c=None: _ref_adagrad(w, dw, c, accumulate=False)),
        (CAUSE_EPS_INSIDE["adagrad"], lambda w, dw, c=None: _ref_adagrad(w, dw, c, eps_inside=True)),
        (STATE_CAUSE, _stateless("adagrad")),
    ],
    "rmsprop": [
        ("the decay is applied to the gradient instead of its square: "
         "cache = decay_rate * cache + (1 - decay_rate) * dw**2, not ((1 - decay_rate) * dw)**2",
         lambda w, dw, c=None: _ref_rmsprop(w, dw, c, variant="decay_inside_square")),
        ("the cache averages the gradient instead of its square: "
         "cache = decay_rate * cache + (1 - decay_rate) * dw**2",
         lambda w, dw, c=None: _ref_rmsprop(w, dw, c, variant="no_square")),
        (CAUSE_EPS_INSIDE["rmsprop"], lambda w, dw, c=None: _ref_rmsprop(w, dw, c, eps_inside=True)),
        (STATE_CAUSE, _stateless("rmsprop")),
    ],
    "adam": [
        ("there is no bias correction: use m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t)",
         lambda w, dw, c=None: _ref_adam(w, dw, c, bias_correction=False)),
        ("the bias correction uses t before it is incremented: increase t first (t = 1 on the first step), "
         "then divide by (1 - beta1**t) and (1 - beta2**t)",
         lambda w, dw, c=None: _ref_adam(w, dw, c, t_from_zero=True)),
        (CAUSE_EPS_INSIDE["adam"], lambda w, dw, c=None: _ref_adam(w, dw, c, eps_inside=True)),
        ("the bias correction is folded into the learning rate (Kingma and Ba's 'efficient' form, as in "
         "Keras), which moves epsilon: compute m_hat and v_hat and divide by np.sqrt(v_hat) + epsilon",
         lambda w, dw, c=None: _ref_adam(w, dw, c, folded=True)),
        (STATE_CAUSE, _stateless("adam")),
    ],
}


def _wrong_momentum_mixed(w, dw, config=None):
    c = _filled("sgd_momentum", config)
    v = c.get("velocity")
    v = np.zeros_like(w) if v is None else v
    v = c["momentum"] * v - c["learning_rate"] * dw
    c["velocity"] = v
    return w - v, c


GENERIC_CAUSE = {
    "sgd": "next_w = w - learning_rate * dw, with learning_rate read from config",
    "sgd_momentum": "v = momentum * v + dw, then next_w = w - learning_rate * v, with v kept in config['velocity']",
    "nesterov": "old_v = v; v = momentum * v - learning_rate * dw; next_w = w - momentum * old_v + (1 + momentum) * v",
    "adagrad": "cache = cache + dw**2; next_w = w - learning_rate * dw / (np.sqrt(cache) + epsilon)",
    "rmsprop": "cache = decay_rate * cache + (1 - decay_rate) * dw**2; "
               "next_w = w - learning_rate * dw / (np.sqrt(cache) + epsilon)",
    "adam": "t += 1 first; m and v are running averages of dw and dw**2; bias-correct both with t; "
            "next_w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)",
}


# --------------------------------------------------------------------------
# Problems: quadratic bowls with very different curvatures per coordinate
# --------------------------------------------------------------------------

class _Problem:
    """loss(w) = 0.5 * sum(h * (w - w_star)**2), gradient h * (w - w_star)."""

    def __init__(self, seed, shape=(3, 4)):
        rng = np.random.default_rng(seed)
        self.w0 = rng.standard_normal(shape)
        # curvatures from 1e-4 to 10: tiny gradients make epsilon matter
        self.h = 10.0 ** rng.uniform(-4, 1, size=shape)
        self.w_star = rng.standard_normal(shape)

    def grad(self, w):
        return self.h * (w - self.w_star)


def _trajectory(rule_impl, problem, config, steps):
    """next_w after each step, or None from the step where the rule broke."""
    w = problem.w0.copy()
    c = None if config is None else dict(config)
    out = []
    for _ in range(steps):
        try:
            w, c = rule_impl(w, problem.grad(w), c)
            w = np.asarray(w, dtype=np.float64)
        except Exception:
            return out
        out.append(w)
    return out


def _match(got, expected):
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-6, atol=1e-12, equal_nan=True))


def _diagnose(name, got, problem, config, step):
    """The cause of the first known mistake that reproduces ``got`` up to ``step``."""
    for cause, impl in MISTAKES[name]:
        traj = _trajectory(impl, problem, config, step + 1)
        if len(traj) == step + 1 and all(_match(g, t) for g, t in zip(got, traj)):
            return cause
    if step > 0:
        return STATE_CAUSE + "; or " + GENERIC_CAUSE[name]
    return GENERIC_CAUSE[name]


def _run(fn, name, problem, config, steps, label):
    """Run ``fn`` on ``problem`` and compare every step with the reference."""
    ref = _trajectory(REFERENCE[name], problem, config, steps)
    w = problem.w0.copy()
    c = None if config is None else dict(config)
    got = []
    for step in range(steps):
        dw = problem.grad(w)
        result, rec = public.call_rule(fn, name, w, dw, c)
        next_w, c = public.unpack_rule_result(result, rec)
        got.append(np.asarray(next_w, dtype=np.float64))
        if next_w.shape != ref[step].shape or not rel_error(next_w, ref[step]) <= TOL or \
                not np.all(np.isfinite(next_w)):
            cause = _diagnose(name, got, problem, config, step)
            expect_close(next_w, ref[step], what=f"next_w at step {step + 1} of {steps} ({label})",
                         call=rec, tol=TOL, cause=cause)
            raise CheckFailure(f"{rec} returned the wrong next_w at step {step + 1} ({label}).\n"
                               f"  likely cause: {cause}")
        w = next_w
    return c


def _check_defaults(fn, name):
    p = _Problem(101)
    dw = p.grad(p.w0)
    result, rec = public.call_rule(fn, name, p.w0, dw, None)
    next_w, config = public.unpack_rule_result(result, rec)
    for key, value in DEFAULTS[name].items():
        expect(key in config, f"{name}(w, dw, None) did not fill in the default {key!r} in config.",
               call=rec, got=sorted(config), expected=f"a config with key {key!r} = {value}",
               cause=f"start with `config.setdefault({key!r}, {value})`")
        expect(config[key] == value, f"{name}(w, dw, None) filled in the wrong default for {key!r}.",
               call=rec, got=config[key], expected=value,
               cause=f"the default {key} of {name} is {value}")
    for key in STATE_KEYS[name]:
        expect(key in config, f"{name} did not store its state {key!r} in config.", call=rec,
               got=sorted(config), expected=f"config[{key!r}] set after the call",
               cause=STATE_CAUSE)
    ref, _ = REFERENCE[name](p.w0, dw, None)
    expect_close(next_w, ref, what="next_w with the default hyperparameters", call=rec, tol=TOL,
                 cause=_diagnose(name, [np.asarray(next_w, dtype=np.float64)], p, None, 0))
    if name == "adam":
        expect(config.get("t") == 1, "adam(w, dw, None) must count the step: config['t'] is 1 after it.",
               call=rec, got=config.get("t"), expected=1, cause="increase t by one at the start of each step")
    # hyperparameters the caller sets are kept, the others are filled in
    given = {k: CUSTOM[name][k] for k in list(CUSTOM[name])[:1]}
    result, rec = public.call_rule(fn, name, p.w0, dw, dict(given))
    _, config = public.unpack_rule_result(result, rec)
    for key, value in given.items():
        expect(config.get(key) == value, f"{name} overwrote the {key!r} it was given in config.",
               call=rec, got=config.get(key), expected=value,
               cause="fill in a default only when the key is missing: config.setdefault(key, default)")


def _probe_hidden_state(fn, name):
    """Same inputs must give the same output, whatever was updated in between."""
    pa, pb = _Problem(606), _Problem(707)
    outs = []
    for p in (pa, pb, pa):
        result, rec = public.call_rule(fn, name, p.w0.copy(), p.grad(p.w0), dict(CUSTOM[name]))
        outs.append(public.unpack_rule_result(result, rec)[0])
    expect(outs[0].shape == outs[2].shape and np.array_equal(outs[0], outs[2]),
           f"{name} returned different next_w for the same w, dw and config when called twice "
           f"(with another tensor's update in between).", call=rec, got=outs[2], expected=outs[0],
           cause=SHARED_STATE_CAUSE)


def _check_rule(fn, name):
    _check_defaults(fn, name)
    _probe_hidden_state(fn, name)
    _run(fn, name, _Problem(202), CUSTOM[name], 6, "custom hyperparameters")
    _run(fn, name, _Problem(303, shape=(7,)), None, 5, "default hyperparameters")
    # two independent problems, steps interleaved: state must live in each config
    pa, pb = _Problem(404), _Problem(505)
    public.check_in_turn(fn, name, [
        (label, p.w0, p.grad, CUSTOM[name], _trajectory(REFERENCE[name], p, CUSTOM[name], 4))
        for label, p in (("A", pa), ("B", pb))
    ])


def _rule_check(name):
    def check(fn):
        _check_rule(fn, name)
    check.__name__ = check.__qualname__ = f"check_{name}"
    check.__doc__ = (f"Hidden check of ``{name}(w, dw, config)``: defaults, six steps with other hyperparameters, "
                     f"five with the defaults, hidden state, two tensors updated in turn.")
    return check


# One hidden check per update rule (public.RULES, in the notebook's order).
check_sgd, check_sgd_momentum, check_nesterov, check_adagrad, check_rmsprop, check_adam = map(_rule_check, public.RULES)


# --------------------------------------------------------------------------
# Learning-rate schedules
# --------------------------------------------------------------------------

def _ref_step(epoch, lr0, drop, every):
    return lr0 * drop ** (epoch // every)


def _check_schedule(fn, name, ref, cases, off_by_one_cause):
    for args in cases:
        shifted = [ref(args[0] + d, *args[1:]) for d in (1, -1) if args[0] + d >= 0]
        public.check_schedule_case(fn, name, args, ref(*args), shifted, off_by_one_cause)


def check_step_decay(fn):
    cases = [(0, 0.1, 0.5, 10), (9, 0.1, 0.5, 10), (10, 0.1, 0.5, 10), (11, 0.1, 0.5, 10),
             (29, 0.3, 0.1, 10), (30, 0.3, 0.1, 10), (7, 1e-3, 0.5, 1), (5, 2.0, 0.25, 3), (6, 2.0, 0.25, 3)]
    _check_schedule(fn, "step_decay", _ref_step, cases,
                    "the schedule is off by one epoch: epochs count from 0, so epochs 0 .. every-1 use lr0 "
                    "and the first drop happens at epoch == every: lr0 * drop ** (epoch // every)")


def check_exponential_decay(fn):
    cases = [(0, 0.1, 0.5), (1, 0.1, 0.5), (2, 0.1, 0.5), (10, 0.03, 0.1), (3.5, 1.0, 0.2), (100, 0.01, 0.05)]
    _check_schedule(fn, "exponential_decay", lambda t, lr0, k: lr0 * math.exp(-k * t), cases,
                    "the schedule is off by one step: lr(0) must be lr0, so use exp(-k * t) with t itself")


def check_inverse_time_decay(fn):
    cases = [(0, 0.1, 0.5), (1, 0.1, 0.5), (2, 0.1, 0.5), (10, 0.03, 0.1), (3.5, 1.0, 0.2), (100, 0.01, 0.05)]
    _check_schedule(fn, "inverse_time_decay", lambda t, lr0, k: lr0 / (1 + k * t), cases,
                    "the schedule is off by one step: lr(0) must be lr0, so use 1 + k * t with t itself")


# --------------------------------------------------------------------------
# Hyperparameter search
# --------------------------------------------------------------------------

def _ref_log_uniform(low, high, n, rng):
    a, b = np.log10(low), np.log10(high)
    return 10.0 ** (a + (b - a) * rng.random(n))   # what rng.uniform(a, b, size=n) computes


def _check_log_uniform_sample(x, low, high, n, rec):
    expect(isinstance(x, np.ndarray), f"{rec} must return a numpy array.", call=rec, got=x,
           expected=f"an array of shape ({n},)")
    expect(x.shape == (n,), f"{rec} returned an array of the wrong shape.", call=rec,
           got=f"shape {x.shape}", expected=f"shape ({n},)", cause="draw with size=n, one value per sample")
    if n == 0:
        return
    expect(np.all(np.isfinite(x)) and np.all(x >= low * (1 - 1e-12)) and np.all(x <= high * (1 + 1e-12)),
           f"{rec} returned values outside [low, high].", call=rec,
           got=f"values from {np.min(x):.3g} to {np.max(x):.3g}", expected=f"values in [{low:g}, {high:g}]",
           cause="sample the exponent between log10(low) and log10(high), then take 10 ** exponent")


def check_sample_log_uniform(fn):
    # distribution: each decade gets the same share
    low, high, n = 1e-6, 1e-1, 5000
    x, rec = public.call_sample_log_uniform(fn, low, high, n, np.random.default_rng(7))
    _check_log_uniform_sample(x, low, high, n, rec)
    shares = np.histogram(np.log10(x), bins=5, range=(-6, -1))[0] / n
    expect(np.all(np.abs(shares - 0.2) < 0.04),
           f"{rec} does not give each decade the same share of the samples.", call=rec,
           got=f"shares of the decades 1e-6..1e-5, ..., 1e-2..1e-1: {np.round(shares, 3).tolist()}",
           expected="about 0.2 each",
           cause="the sampling is uniform in the value instead of the exponent: draw "
                 "e = rng.uniform(np.log10(low), np.log10(high)) and return 10 ** e"
           if shares[-1] > 0.5 else "sample the exponent uniformly and return 10 ** exponent")
    # exact values from the generator, as the docstring prescribes
    for low, high, n, seed in ((1e-4, 1e-1, 6, 11), (0.5, 2.0, 5, 12), (3e-7, 3e-3, 4, 13)):
        rng = np.random.default_rng(seed)
        x, rec = public.call_sample_log_uniform(fn, low, high, n, rng)
        _check_log_uniform_sample(x, low, high, n, rec)
        expected = _ref_log_uniform(low, high, n, np.random.default_rng(seed))
        swapped = _ref_log_uniform(high, low, n, np.random.default_rng(seed))
        cause = "draw the exponents with one call rng.uniform(np.log10(low), np.log10(high), size=n) " \
                "on the generator you are given"
        if rel_error(x, swapped) < 1e-9:
            cause = SWAPPED_CAUSE
        expect_close(x, expected, what="samples", call=rec, tol=1e-9, cause=cause)
    # uses rng, not the global generator
    state = np.random.get_state()[1].copy()
    _, rec = public.call_sample_log_uniform(fn, 1e-3, 1.0, 8, np.random.default_rng(3))
    expect(np.array_equal(state, np.random.get_state()[1]),
           f"{rec} used numpy's global random generator.", call=rec, got="np.random's state changed",
           expected="only rng is used", cause="draw with rng.uniform(...), not np.random.uniform(...)")
    x, rec = public.call_sample_log_uniform(fn, 1e-3, 1.0, 0, np.random.default_rng(3))
    _check_log_uniform_sample(x, 1e-3, 1.0, 0, rec)


def _fake_train(log):
    """A deterministic stand-in for training: the accuracy peaks at lr = 1e-3."""
    def train_fn(params):
        log.append(dict(params))
        lr = params["learning_rate"]
        acc = 0.6 - 0.05 * (math.log10(lr) + 3.0) ** 2 - 0.01 * params.get("dropout", 0.0)
        return {"val_acc": acc, "train_acc": acc + 0.1, "loss": -math.log(max(acc, 1e-3))}
    return train_fn


def check_random_search(fn):
    space = {"learning_rate": ("log", 1e-5, 1e-1), "dropout": ("uniform", 0.0, 0.5)}
    space_copy = {k: tuple(v) for k, v in space.items()}
    log = []
    n_trials = 400
    results, rec = call(fn, _fake_train(log), space, n_trials, np.random.default_rng(21), name="random_search",
                        arg_names=["train_fn", "space", "n_trials", "rng"])
    expect(space == space_copy, f"{rec} modified `space`.", call=rec, got=space, expected=space_copy)
    expect(len(log) == n_trials, f"{rec} called train_fn the wrong number of times.", call=rec,
           got=len(log), expected=n_trials, cause="call train_fn once per trial: for trial in range(n_trials)")
    expect(isinstance(results, list) and len(results) == n_trials,
           f"{rec} must return a list with one result per trial.", call=rec,
           got=f"{type(results).__name__} of length {len(results) if hasattr(results, '__len__') else '?'}",
           expected=f"a list of {n_trials} dicts")
    for params in log:
        expect(isinstance(params, dict) and set(params) == set(space),
               f"{rec} passed train_fn a params dict with the wrong keys.", call=rec, got=params,
               expected=f"a dict with keys {sorted(space)}", cause="one value per entry of space")
        expect(1e-5 <= params["learning_rate"] <= 1e-1 and 0.0 <= params["dropout"] <= 0.5,
               f"{rec} drew a hyperparameter outside its range.", call=rec, got=params,
               expected="learning_rate in [1e-5, 1e-1], dropout in [0, 0.5]",
               cause="use spec[1] as the lower and spec[2] as the upper bound")
    lrs = np.array([p["learning_rate"] for p in log])
    expect(len({p["learning_rate"] for p in log}) == n_trials,
           f"{rec} repeated learning rates across trials.", call=rec, got=f"{len(set(lrs))} distinct values",
           expected=f"{n_trials} distinct values", cause="draw new values for every trial, inside the loop")
    share_low = float(np.mean(lrs < 1e-3))
    expect(0.4 < share_low < 0.6,
           f"{rec} does not sample the 'log' hyperparameter log-uniformly.", call=rec,
           got=f"{share_low:.0%} of the learning rates below 1e-3 (the geometric middle of [1e-5, 1e-1])",
           expected="about 50%",
           cause="for ('log', low, high) use sample_log_uniform(low, high, 1, rng)[0], not rng.uniform(low, high)")
    drops = np.array([p["dropout"] for p in log])
    expect(0.4 < float(np.mean(drops < 0.25)) < 0.6,
           f"{rec} does not sample the 'uniform' hyperparameter uniformly.", call=rec,
           got=f"{np.mean(drops < 0.25):.0%} of the dropout values below 0.25", expected="about 50%",
           cause="for ('uniform', low, high) use rng.uniform(low, high)")
    for i, r in enumerate(results):
        expect(isinstance(r, dict) and {"trial", "params", "val_acc", "train_acc", "loss"} <= set(r),
               f"{rec} returned a result without the required keys.", call=rec, got=r,
               expected="a dict with 'trial', 'params' and every metric train_fn returned "
                        "('val_acc', 'train_acc', 'loss')",
               cause="build each result as {'trial': trial, 'params': params, **metrics}")
    by_trial = sorted(results, key=lambda r: r["trial"])
    expect([r["trial"] for r in by_trial] == list(range(n_trials)),
           f"{rec} returned results whose 'trial' values are not 0 .. n_trials-1.", call=rec,
           got=[r["trial"] for r in by_trial][:6], expected=list(range(6)),
           cause="'trial' is the 0-based index of the call to train_fn")
    for r in by_trial:
        expect(r["params"] == log[r["trial"]],
               f"{rec}: the result of trial {r['trial']} does not hold the params passed to train_fn in that trial.",
               call=rec, got=r["params"], expected=log[r["trial"]])
    accs = [r["val_acc"] for r in results]
    expect(all(a >= b for a, b in zip(accs, accs[1:])),
           f"{rec} did not sort the results by validation accuracy, best first.", call=rec,
           got=[round(a, 4) for a in accs[:6]], expected="decreasing val_acc",
           cause="results.sort(key=lambda r: r['val_acc'], reverse=True)")
    # reproducible: the same seed gives the same search; another seed another one
    log1, log2, log3 = [], [], []
    for trace, seed in ((log1, 21), (log2, 21), (log3, 22)):
        call(fn, _fake_train(trace), space, 5, np.random.default_rng(seed), name="random_search",
             arg_names=["train_fn", "space", "n_trials", "rng"])
    expect(log1 == log2 and log3 != log2,
           "random_search is not reproducible from its rng: the same seed must give the same trials.",
           got=log2[:2], expected=log1[:2],
           cause="draw every value from the rng argument (never np.random), trial after trial")
    state = np.random.get_state()[1].copy()
    call(fn, _fake_train([]), space, 3, np.random.default_rng(5), name="random_search",
         arg_names=["train_fn", "space", "n_trials", "rng"])
    expect(np.array_equal(state, np.random.get_state()[1]),
           "random_search used numpy's global random generator.", got="np.random's state changed",
           expected="only rng is used", cause="draw every value from the rng argument (never np.random)")
    results, rec = call(fn, _fake_train([]), space, 0, np.random.default_rng(5), name="random_search",
                        arg_names=["train_fn", "space", "n_trials", "rng"])
    expect(list(results) == [], f"{rec} must return an empty list for n_trials = 0.", call=rec,
           got=results, expected=[])
