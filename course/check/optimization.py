"""Public checks for notebook 03 (optimization): update rules, learning-rate
schedules and random search.

Each check runs the student's function on small fixed inputs and compares
with values computed once from the lectures' formulas (pasted below as
numbers) or with properties any correct answer has. Numpy only.

The update rules' conventions (:data:`DEFAULTS`, :data:`STATE_KEYS`), the
calling helpers (:func:`call_rule`, :func:`unpack_rule_result`,
:func:`call_sample_log_uniform`), the case runners (:func:`check_in_turn`,
:func:`check_schedule_case`) and the causes are shared with the hidden
checks of the graded cells, which run them on other inputs.
"""

import copy
import math

import numpy as np

from .core import Call, CheckFailure, call, diagnose, expect, expect_close, matches, rel_error

__all__ = [
    "check_sgd", "check_sgd_momentum", "check_nesterov", "check_adagrad", "check_rmsprop", "check_adam",
    "check_step_decay", "check_exponential_decay", "check_inverse_time_decay",
    "check_sample_log_uniform", "check_random_search",
    # shared with the hidden checks
    "RULES", "DEFAULTS", "STATE_KEYS", "SHARED_STATE_CAUSE", "SWAPPED_CAUSE", "CAUSE_EPS_INSIDE",
    "call_rule", "unpack_rule_result", "check_in_turn", "check_schedule_case", "call_sample_log_uniform",
]

TOL = 1e-9

# The test problem: loss(w) = 0.5 * sum(H * w**2), so dw = H * w, with
# curvatures from 1e-3 to 10 (an ill-conditioned bowl).
W0 = np.array([[1.0, -2.0, 0.5], [3.0, -0.25, 0.001]])
H = np.array([[10.0, 1.0, 0.1], [0.01, 1e-3, 2.0]])

#: The six update rules, in the notebook's order.
RULES = ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam")
#: The hyperparameters each rule fills into ``config`` when they are missing (the lectures' defaults).
DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}

#: The state each rule keeps in ``config`` from one call to the next.
STATE_KEYS = {
    "sgd": (), "sgd_momentum": ("velocity",), "nesterov": ("velocity",),
    "adagrad": ("cache",), "rmsprop": ("cache",), "adam": ("m", "v", "t"),
}

# What usually goes wrong, by the step where the first difference shows.
FIRST_STEP_CAUSE = {
    "sgd": "next_w = w - learning_rate * dw, with a minus (adding the gradient goes uphill) and "
           "learning_rate read from config",
    "sgd_momentum": "the first step from zero velocity equals plain SGD (w - learning_rate * dw); a step in "
                    "the other direction means the velocity has the wrong sign: v = momentum * v + dw, "
                    "then next_w = w - learning_rate * v",
    "nesterov": "the first step from zero velocity is (1 + momentum) times an SGD step; the same step as "
                "SGD means Nesterov is evaluated like plain momentum (next_w = w + v): use "
                "next_w = w - momentum * old_v + (1 + momentum) * v",
    "adagrad": "cache = cache + dw**2, then next_w = w - learning_rate * dw / (np.sqrt(cache) + epsilon)",
    "rmsprop": "cache = decay_rate * cache + (1 - decay_rate) * dw**2, then next_w = w - learning_rate * dw / "
               "(np.sqrt(cache) + epsilon); a step 100x too large means the decay is applied to the gradient "
               "instead of its square, ((1 - decay_rate) * dw)**2",
    "adam": "with the bias correction, the first step moves every parameter by about learning_rate; a step "
            "about 3x too large means no bias correction, NaN or inf means the bias correction used t "
            "before it is incremented (t must be 1 on the first step), a wrong step for the smallest gradients means epsilon is "
            "inside the square root",
}
LATER_STEP_CAUSE = {
    "sgd": "next_w = w - learning_rate * dw",
    "sgd_momentum": "the velocity is not carried between calls (store it in config['velocity']), or it has "
                    "the wrong sign: v = momentum * v + dw, then next_w = w - learning_rate * v",
    "nesterov": "the velocity is not carried between calls (store it in config['velocity']), or Nesterov is "
                "evaluated like plain momentum: next_w = w - momentum * old_v + (1 + momentum) * v",
    "adagrad": "the squared gradients are not accumulated: cache = cache + dw**2 must be stored in "
               "config['cache'] and grow from call to call",
    "rmsprop": "the cache is not carried between calls (config['cache']), or the decay is applied to the "
               "gradient instead of its square",
    "adam": "m, v and t are not all carried between calls in config, or the bias correction uses the wrong t",
}
SHARED_STATE_CAUSE = ("the state is shared between tensors and calls: keep it only in `config` "
                      "(config['velocity'], config['cache'], ...), never in a global variable or a default "
                      "argument")
_KERAS_EPS = ("epsilon is inside the square root, np.sqrt(cache + epsilon): that is where Keras' {keras} puts it "
              "(so your rule agrees with keras.optimizers.{keras}{exactly}), but the lectures' rule, which this "
              "notebook grades, divides by np.sqrt(cache) + epsilon")
#: The cause of the most common placement mistake, epsilon inside the square root, per rule.
CAUSE_EPS_INSIDE = {
    "adagrad": _KERAS_EPS.format(keras="Adagrad", exactly=" given initial_accumulator_value=0"),
    "rmsprop": _KERAS_EPS.format(keras="RMSprop", exactly=" exactly, with rho=decay_rate"),
    "adam": "epsilon is inside the square root: divide by np.sqrt(v_hat) + epsilon",
}

EXPECTED = {
    "sgd": {
        "config": {'learning_rate': 0.05},
        "first_step_defaults": [[0.9, -1.98, 0.4995], [2.9997, -0.2499975, 0.00098]],
        "trajectory": [
            [[0.5, -1.9, 0.4975], [2.9985, -0.2499875, 0.0009]],
            [[0.25, -1.805, 0.4950125], [2.9970007499999998, -0.249975000625, 0.00081]],
            [[0.125, -1.71475, 0.4925374375], [2.995502249625, -0.24996250187496874, 0.0007289999999999999]],
        ],
    },
    "sgd_momentum": {
        "config": {'learning_rate': 0.05, 'momentum': 0.8},
        "first_step_defaults": [[0.9, -1.98, 0.4995], [2.9997, -0.2499975, 0.00098]],
        "trajectory": [
            [[0.5, -1.9, 0.4975], [2.9985, -0.2499875, 0.0009]],
            [[-0.15000000000000002, -1.7249999999999999, 0.4930125], [2.99580075, -0.249965000625, 0.00073]],
            [[-0.5950000000000001, -1.4987499999999998, 0.48695743750000003], [2.992143449625, -0.24993450287496874, 0.000521]],
        ],
    },
    "nesterov": {
        "config": {'learning_rate': 0.05, 'momentum': 0.8},
        "first_step_defaults": [[0.81, -1.962, 0.49905], [2.99943, -0.24999525, 0.000962]],
        "trajectory": [
            [[0.09999999999999998, -1.82, 0.4955], [2.9973, -0.2499775, 0.00082]],
            [[-0.31000000000000005, -1.5922, 0.4894405], [2.99364243, -0.249947002025, 0.0006083999999999999]],
            [[-0.31900000000000006, -1.339462, 0.4821699355], [2.989221015813, -0.24991010751481776, 0.0003952079999999999]],
        ],
    },
    "adagrad": {
        "config": {'learning_rate': 0.1, 'epsilon': 1e-08},
        "first_step_defaults": [[0.99000000001, -1.99000000005, 0.4900000019999996], [2.990000003333332, -0.24000039998400063, -0.008999950000250001]],
        "trajectory": [
            [[0.9000000001, -1.9000000005, 0.400000019999996], [2.9000000333333222, -0.1500039998400064, -0.09899950000249999]],
            [[0.8331035269833722, -1.8311250545486752, 0.3375305230960921], [2.8304978398926903, -0.09855518020057769, 0.0009953937660586304]],
            [[0.7804561815222314, -1.7758215159050283, 0.2908992087750227], [2.7743594061878376, -0.06653251210037864, -9.957408899793907e-06]],
        ],
        # (cause, the mistake's first step with the defaults, its first step with "config")
        "mistakes": [
            (CAUSE_EPS_INSIDE["adagrad"],
             [[0.9900000000005, -1.9900000000125, 0.49000001999994003], [2.9900000555550927, -0.2407152330911474, -0.008987523388778448]],
             [[0.900000000005, -1.900000000125, 0.40000019999939995], [2.900000555550926, -0.15715233091147407, -0.09887523388778448]]),
        ],
    },
    "rmsprop": {
        "config": {'learning_rate': 0.01, 'decay_rate': 0.95, 'epsilon': 1e-08},
        "first_step_defaults": [[0.900000001, -1.9000000049999999, 0.40000019999960007], [2.900000333332222, -0.15003998400639748, -0.09899500024998746]],
        "trajectory": [
            [[0.9552786406500042, -1.9552786414500043, 0.45527868044996844], [2.9552787071165714, -0.20528663901917665, -0.04372035957235596]],
            [[0.9239753318998865, -1.9236079588598705, 0.4247491558783859], [2.9234883823665503, -0.17647658656668447, 0.0009898680052521716]],
            [[0.8984622456838193, -1.8976016504378836, 0.4002863623185106], [2.897322274681582, -0.15438399291205585, -4.842888556663163e-05]],
        ],
        "mistakes": [
            (CAUSE_EPS_INSIDE["rmsprop"],
             [[0.9000000005000001, -1.9000000124999976, 0.40001999400199933], [2.9000555093020846, -0.2257464374963667, -0.08844271909999156]],
             [[0.9552786404947256, -1.955278641568038, 0.45528042919706213], [2.9552836086619343, -0.22817821097640076, -0.04264357804719846]]),
        ],
    },
    "adam": {
        "config": {'learning_rate': 0.1, 'beta1': 0.85, 'beta2': 0.99, 'epsilon': 1e-08},
        "first_step_defaults": [[0.999000000001, -1.999000000005, 0.49900000019999996], [2.999000000333333, -0.24900003999840006, 4.999975000219772e-09]],
        "trajectory": [
            [[0.9000000001, -1.9000000005, 0.400000019999996], [2.9000000333333222, -0.1500039998400064, -0.09899950000249999]],
            [[0.800538133474939, -1.8002278418564954, 0.30145269098454747], [2.800143330668723, -0.054847920247347, -0.023405393875554237]],
            [[0.7020624205781344, -1.7008514277370494, 0.20590779723674668], [2.70053148207927, 0.027807763180548284, 0.04728098973683231]],
        ],
    },
}


def call_rule(fn, name, w, dw, config):
    """One call of the update rule ``fn``; the returned Call shows ``config`` as it was passed in
    (the rule updates it). Shared with the hidden checks."""
    shown = copy.deepcopy(config)
    result, _ = call(fn, w, dw, config, name=name, arg_names=["w", "dw", "config"], allow_mutation=("config",))
    return result, Call(name, (w, dw, shown), arg_names=["w", "dw", "config"])


def unpack_rule_result(result, rec, shape=None):
    """``(next_w, config)`` from a rule's result: a pair, config a dict, next_w an array (of ``shape``,
    when given). Shared with the hidden checks."""
    expect(isinstance(result, tuple) and len(result) == 2, f"{rec} must return a pair (next_w, config).",
           call=rec, got=result, expected="(next_w, config)", cause="end with `return next_w, config`")
    next_w, config = result
    expect(isinstance(config, dict), f"{rec} must return config as a dict.", call=rec, got=config,
           expected="a dict", cause="return the config dict you filled in (create `config = {}` when it is None)")
    expect(isinstance(next_w, np.ndarray) and (shape is None or next_w.shape == tuple(shape)),
           f"{rec} must return next_w as a numpy array of the shape of w.", call=rec, got=next_w,
           expected="a numpy array" + ("" if shape is None else f" of shape {tuple(shape)}"))
    return next_w, config


def _first_step_cause(name, got, which):
    """The cause of a wrong first step: a known mistake's literal result it matches, else the rule's hint."""
    index = {"defaults": 1, "config": 2}[which]
    mistakes = [(m[index], m[0]) for m in EXPECTED[name].get("mistakes", [])]
    return diagnose(got, mistakes, default=FIRST_STEP_CAUSE[name])


def _check_rule(fn, name):
    exp = EXPECTED[name]
    # 1. defaults filled in on first use
    result, rec = call_rule(fn, name, W0.copy(), H * W0, None)
    next_w, config = unpack_rule_result(result, rec, W0.shape)
    for key, value in DEFAULTS[name].items():
        expect(config.get(key) == value, f"{name}(w, dw, None) did not fill in the default {key!r}.",
               call=rec, got=config.get(key, "missing"), expected=value,
               cause=f"start with `config.setdefault({key!r}, {value})`")
    for key in STATE_KEYS[name]:
        expect(key in config, f"{name} did not store its state {key!r} in config.", call=rec, got=sorted(config),
               expected=f"config[{key!r}] set after the call",
               cause="the state is not carried between calls: store the new value in config before returning, "
                     "so the next call can read it")
    expect_close(next_w, exp["first_step_defaults"], what="next_w (first step, default hyperparameters)",
                 call=rec, tol=TOL, cause=_first_step_cause(name, next_w, "defaults"))
    # 2. the same inputs give the same output, whatever was updated in between
    outs = []
    for w in (W0, -2 * W0, W0):
        result, rec = call_rule(fn, name, w.copy(), H * w, dict(exp["config"]))
        outs.append(unpack_rule_result(result, rec, W0.shape)[0])
    expect(np.array_equal(outs[0], outs[2]),
           f"{name} returned different next_w for the same w, dw and config when called twice "
           f"(with another tensor's update in between).", call=rec, got=outs[2], expected=outs[0],
           cause=SHARED_STATE_CAUSE)
    # 3. three steps with given hyperparameters; the state must carry over
    w, c = W0.copy(), dict(exp["config"])
    for step, expected in enumerate(exp["trajectory"]):
        result, rec = call_rule(fn, name, w, H * w, c)
        w, c = unpack_rule_result(result, rec, W0.shape)
        cause = _first_step_cause(name, w, "config") if step == 0 else LATER_STEP_CAUSE[name]
        expect_close(w, expected, what=f"next_w at step {step + 1} (config {exp['config']})", call=rec,
                     tol=TOL, cause=cause)
    for key, value in exp["config"].items():
        expect(c.get(key) == value, f"{name} changed the hyperparameter {key!r} it was given.", call=rec,
               got=c.get(key), expected=value, cause="fill in a default only when the key is missing")
    # 4. two tensors with their own configs, updated in turn. The loss is
    #    symmetric, so tensor B = -W0 must follow exactly -(A's trajectory).
    trajectory = np.asarray(exp["trajectory"])
    check_in_turn(fn, name, [("A", W0, lambda w: H * w, exp["config"], trajectory),
                             ("B", -W0, lambda w: H * w, exp["config"], -trajectory)])


def check_in_turn(fn, name, tensors):
    """Update several tensors in turn (A, B, A, B, ...), each with its own config; each must follow its trajectory.

    ``tensors``: ``(label, w0, grad_fn, config, trajectory)`` items. Shared with the hidden checks.
    """
    state = {label: (w0.copy(), dict(config)) for label, w0, _, config, _ in tensors}
    for step in range(len(tensors[0][4])):
        for label, _, grad, _, trajectory in tensors:
            w, c = state[label]
            result, rec = call_rule(fn, name, w, grad(w), c)
            w, c = unpack_rule_result(result, rec, np.shape(w))
            target = np.asarray(trajectory[step])
            expect(w.shape == target.shape and rel_error(w, target) <= TOL,
                   f"{name} gave the wrong next_w for tensor {label} at step {step + 1} when {len(tensors)} "
                   f"tensors, each with its own config, were updated in turn (A, B, A, B, ...).",
                   call=rec, got=w, expected=target, cause=SHARED_STATE_CAUSE)
            state[label] = (w, c)


def check_sgd(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "sgd")


def check_sgd_momentum(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "sgd_momentum")


def check_nesterov(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "nesterov")


def check_adagrad(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "adagrad")


def check_rmsprop(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "rmsprop")


def check_adam(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "adam")
    result, rec = call_rule(fn, "adam", W0.copy(), H * W0, None)
    expect(result[1].get("t") == 1, "adam(w, dw, None) must count the step: config['t'] is 1 after it.",
           call=rec, got=result[1].get("t"), expected=1, cause="increase t by one at the start of each step")


_SCHEDULE_ARGS = {"step_decay": ["epoch", "lr0", "drop", "every"],
                  "exponential_decay": ["t", "lr0", "k"], "inverse_time_decay": ["t", "lr0", "k"]}


def check_schedule_case(fn, name, args, expected, shifted=(), off_by_one=None):
    """One call of the schedule ``name`` against ``expected``; ``shifted``: the rates one epoch or step
    off, which a result matching is told ``off_by_one``. Shared with the hidden checks."""
    got, rec = call(fn, *args, name=name, arg_names=_SCHEDULE_ARGS[name])
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise CheckFailure(f"{rec} must return a number (the learning rate), got {got!r}.") from None
    cause = f"{name}: check the formula in the docstring"
    if off_by_one and any(matches(value, s, 1e-12) for s in shifted):
        cause = off_by_one
    expect_close(value, expected, what="learning rate", call=rec, tol=1e-12, cause=cause)


def _schedule(fn, name, cases, off_by_one):
    for args, expected, shifted in cases:
        check_schedule_case(fn, name, args, expected, [shifted], off_by_one)


def check_step_decay(fn):
    """The lecture's example: lr0 = 0.1 halved every 10 epochs, epochs counted from 0."""
    # (args, expected, the value one epoch later)
    cases = [((0, 0.1, 0.5, 10), 0.1, 0.1), ((9, 0.1, 0.5, 10), 0.1, 0.05), ((10, 0.1, 0.5, 10), 0.05, 0.05),
             ((25, 0.1, 0.5, 10), 0.025, 0.025), ((4, 1.0, 0.1, 2), 0.01, 0.01), ((3, 1.0, 0.1, 2), 0.1, 0.01)]
    _schedule(fn, "step_decay", cases,
              "the schedule is off by one epoch: epochs count from 0, so epochs 0 .. every-1 use lr0: "
              "lr0 * drop ** (epoch // every)")


def check_exponential_decay(fn):
    """lr(0) = lr0 and lr(t) = lr0 * exp(-k t)."""
    cases = [((0, 0.1, 0.5), 0.1, 0.06065306597126335), ((2, 0.1, 0.5), 0.036787944117144235, 0.022313016014842982),
             ((10, 1.0, 0.1), 0.36787944117144233, 0.33287108369807955)]
    _schedule(fn, "exponential_decay", cases,
              "the schedule is off by one step: lr(0) must be lr0, so use exp(-k * t) with t itself")


def check_inverse_time_decay(fn):
    """lr(0) = lr0 and lr(t) = lr0 / (1 + k t)."""
    cases = [((0, 0.1, 0.5), 0.1, 0.1 / 1.5), ((2, 0.1, 0.5), 0.05, 0.04), ((10, 1.0, 0.1), 0.5, 1.0 / 2.1)]
    _schedule(fn, "inverse_time_decay", cases,
              "the schedule is off by one step: lr(0) must be lr0, so use 1 + k * t with t itself")


LOG_UNIFORM_1E4_1E1_SEED_5 = [0.026002120778639167, 0.026535200237404143, 0.003515415660764265, 0.0007201187853335087, 0.0001451416671187038]


SWAPPED_CAUSE = "the bounds are swapped: rng.uniform(np.log10(low), np.log10(high), size=n), low first"


def call_sample_log_uniform(fn, *args):
    """Call ``sample_log_uniform(low, high, n, rng)``, naming swapped bounds when numpy refuses them.
    Shared with the hidden check."""
    try:
        return call(fn, *args, name="sample_log_uniform", arg_names=["low", "high", "n", "rng"])
    except CheckFailure as e:
        if "high - low < 0" in str(e):   # numpy's Generator.uniform refuses low > high
            raise CheckFailure(f"{e}\n  likely cause: {SWAPPED_CAUSE}") from None
        raise


def check_sample_log_uniform(fn):
    """Shape, range, each decade's share, and the exact draws for one seed."""
    x, rec = call_sample_log_uniform(fn, 1e-5, 1e-1, 4000, np.random.default_rng(0))
    expect(isinstance(x, np.ndarray) and x.shape == (4000,), f"{rec} must return an array of shape (n,).",
           call=rec, got=getattr(x, "shape", x), expected=(4000,))
    expect(bool(np.all((x >= 1e-5) & (x <= 1e-1))), f"{rec} returned values outside [low, high].", call=rec,
           got=f"values from {np.min(x):.3g} to {np.max(x):.3g}", expected="values in [1e-05, 0.1]")
    below = float(np.mean(x < 1e-3))
    expect(0.45 < below < 0.55, f"{rec} is not uniform in the exponent.", call=rec,
           got=f"{below:.1%} of the samples below 1e-3, the geometric middle of [1e-5, 1e-1]", expected="about 50%",
           cause="the sampling is uniform in the value instead of the exponent: draw "
                 "e = rng.uniform(np.log10(low), np.log10(high), size=n) and return 10 ** e")
    x, rec = call_sample_log_uniform(fn, 1e-4, 1e-1, 5, np.random.default_rng(5))
    mirrored = [1e-5 / v for v in LOG_UNIFORM_1E4_1E1_SEED_5]  # low * high / x: the bounds swapped
    cause = "draw with one call rng.uniform(np.log10(low), np.log10(high), size=n) on the rng you are given"
    if isinstance(x, np.ndarray) and x.shape == (5,) and rel_error(x, mirrored) < 1e-9:
        cause = SWAPPED_CAUSE
    expect_close(x, LOG_UNIFORM_1E4_1E1_SEED_5, what="samples for rng = np.random.default_rng(5)", call=rec,
                 tol=1e-9, cause=cause)


def check_random_search(fn):
    """Calls, ranges, log-uniform sampling, result format and sorting, on a fake train_fn."""
    calls = []

    def train_fn(params):
        calls.append(dict(params))
        acc = 0.5 - 0.05 * (math.log10(params["learning_rate"]) + 3) ** 2
        return {"val_acc": acc, "train_acc": acc + 0.05}

    space = {"learning_rate": ("log", 1e-5, 1e-1), "dropout": ("uniform", 0.0, 0.5)}
    results, rec = call(fn, train_fn, space, 200, np.random.default_rng(1), name="random_search",
                        arg_names=["train_fn", "space", "n_trials", "rng"])
    expect(len(calls) == 200, f"{rec} called train_fn the wrong number of times.", call=rec, got=len(calls),
           expected=200, cause="call train_fn once per trial")
    expect(isinstance(results, list) and len(results) == 200, f"{rec} must return a list of 200 results.",
           call=rec, got=type(results).__name__, expected="a list of dicts, one per trial")
    for p in calls:
        expect(set(p) == set(space) and 1e-5 <= p["learning_rate"] <= 1e-1 and 0 <= p["dropout"] <= 0.5,
               f"{rec} passed train_fn params outside the space.", call=rec, got=p,
               expected="learning_rate in [1e-5, 1e-1] and dropout in [0, 0.5]")
    below = float(np.mean([p["learning_rate"] < 1e-3 for p in calls]))
    expect(0.35 < below < 0.65, f"{rec} does not sample the 'log' hyperparameter log-uniformly.", call=rec,
           got=f"{below:.0%} of the learning rates below 1e-3", expected="about 50%",
           cause="for ('log', low, high) use sample_log_uniform(low, high, 1, rng)[0]")
    for r in results:
        expect(isinstance(r, dict) and {"trial", "params", "val_acc", "train_acc"} <= set(r),
               f"{rec} returned a result without the required keys.", call=rec, got=r,
               expected="{'trial': ..., 'params': {...}, 'val_acc': ..., 'train_acc': ...}")
        expect(r["params"] == calls[r["trial"]], f"{rec}: result {r['trial']} does not hold that trial's params.",
               call=rec, got=r["params"], expected=calls[r["trial"]])
    accs = [r["val_acc"] for r in results]
    expect(all(a >= b for a, b in zip(accs, accs[1:])), f"{rec} did not sort the results best first.",
           call=rec, got=[round(a, 3) for a in accs[:5]], expected="decreasing val_acc",
           cause="results.sort(key=lambda r: r['val_acc'], reverse=True)")
