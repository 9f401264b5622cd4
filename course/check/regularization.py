"""Public checks for notebook 05 (regularization): weight decay, dropout, data
augmentation, early stopping, ensembles and test-time augmentation.

One ``check_<function>(fn)`` per graded function: it calls your function on
small fixed inputs, compares with values computed once from the reference
solution (the literals at the end of this file) or with properties every
correct answer has, and fails with a message that says what was called, what
came back, what was expected and the most likely cause. The hidden tests use
other inputs.

Where the package already has the production version of a function you
write (``course.data.fit_pca_color``, ``course.data.tta_predict``,
``course.callbacks.EarlyStopping``, ...), the check holds it back while it
runs (:func:`course.check.core.unavailable`): calling it fails the check,
because the check grades your own code.

The case runners marked "shared with the hidden checks" below are public so
that the hidden checks run the same properties on their own inputs. Numpy only.
"""

import copy
import math

import numpy as np

import course.data.augment  # noqa: F401  (loaded so that `unavailable` can hold its functions back)
import course.data.pipeline  # noqa: F401

from .core import (
    Call, CheckFailure, call, describe, diagnose, expect, expect_close, expect_shape, expect_tuple, matches,
    rel_error, unavailable,
)

__all__ = [
    "check_l2_penalty", "check_sgdw", "check_adamw", "check_dropout_forward", "check_dropout_backward",
    "check_fit_pca_color", "check_pca_color_augment", "check_random_crop_flip", "check_early_stopping_epoch",
    "check_ensemble_predict", "check_ten_crop_predict",
    # shared with the hidden checks
    "PACKAGE_VERSIONS", "holding_back", "RULE_DEFAULTS", "RULE_STATE", "update_step", "unpack_update",
    "rule_defaults_case", "rule_in_turn_case", "dropout_train_case", "dropout_test_case",
    "align_eigenvectors", "pca_result_case", "identify_crops", "crops_case", "unpack_stopping",
    "ensemble_result_case", "RecordingPredict", "dropout_backward_call", "pca_test_images", "GENERIC_CAUSE",
    "SHARED_STATE_CAUSE",
]

TOL = 1e-9   # the expected values are the reference's exact float64 results

# --------------------------------------------------------------------------- the package's own versions

#: The package's implementations of each graded function, held back while its checks run.
PACKAGE_VERSIONS = {
    "fit_pca_color": ("course.data.augment.fit_pca_color",),
    "pca_color_augment": ("course.data.augment.pca_color_offsets", "course.data.augment.pca_color_jitter",
                          "course.layers.pca_color_jitter.PCAColorJitter"),
    "random_crop_flip": ("course.data.augment.random_flip", "course.data.augment.random_pad_crop",
                         "course.data.augment.random_flip_pad_crop", "course.layers.random_pad_crop.RandomPadCrop"),
    "early_stopping_epoch": ("course.callbacks.early_stopping.EarlyStopping", "keras.callbacks.EarlyStopping"),
    "ensemble_predict": ("course.callbacks.snapshot_ensemble.average_snapshot_predictions",),
    "ten_crop_predict": ("course.data.pipeline.tta_predict", "course.data.pipeline.tta_views"),
}


def holding_back(name, fn):
    """``unavailable(...)`` for graded function ``name`` (a context manager); shared with the hidden checks."""
    return unavailable(*PACKAGE_VERSIONS.get(name, ()), student=fn, exercise=name)


# --------------------------------------------------------------------------- 2. weight decay

L2_WEIGHTS = [np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), np.array([0.1, -0.2, 0.3]),
              np.array([[1.0, -2.0], [0.5, 0.0], [-1.5, 3.0]])]
L2_REG = 0.05


def check_l2_penalty(fn):
    """Three arrays (all penalised), Keras' convention reg * sum(w**2), and an empty list."""
    weights = [w.copy() for w in L2_WEIGHTS]
    result, rec = call(fn, weights, L2_REG, name="l2_penalty", arg_names=["weights", "reg"])
    loss, grads = expect_tuple(result, "(loss, grads)", call=rec)
    squares = [float(np.sum(w * w)) for w in L2_WEIGHTS]
    expect_close(loss, L2_LOSS, what="loss", call=rec, tol=TOL, cause=diagnose(loss, [
        (0.5 * L2_LOSS, "that is CS231n's 0.5 * reg * sum(w**2); Keras' L2 (and this notebook) has no 0.5: "
                        "loss = reg * sum(w**2)"),
        (L2_REG * squares[0], "only the first array is penalised: sum reg * sum(w**2) over every array in weights"),
        (L2_REG * sum(squares[:-1]), "the last array is left out: every array passed is penalised"),
        (L2_REG * sum(float(np.mean(w * w)) for w in L2_WEIGHTS),
         "the squares are averaged (np.mean); the penalty sums them (np.sum)"),
        (L2_REG * sum(float(np.sum(np.abs(w))) for w in L2_WEIGHTS), "that is L1 (|w|); L2 squares the weights"),
        (L2_REG * math.sqrt(sum(squares)), "that is reg times the norm; L2 is reg times the *squared* norm"),
    ], default="loss = reg * (sum of w**2 over every entry of every array)"))
    expect(isinstance(grads, (list, tuple)) and len(grads) == len(weights),
           f"{rec} must return grads as a list with one gradient per array in weights.", call=rec,
           got=describe(grads), expected=f"a list of {len(weights)} arrays",
           cause="grads = [gradient of each array], in the order of weights")
    for i, (g, want, w) in enumerate(zip(grads, L2_GRADS, L2_WEIGHTS)):
        expect_shape(g, w.shape, what=f"grads[{i}]", call=rec, cause="each gradient has the shape of its array")
        expect_close(g, want, what=f"grads[{i}]", call=rec, tol=TOL, cause=diagnose(g, [
            (L2_REG * w, "the factor 2 is missing: the derivative of reg * w**2 is 2 * reg * w (reg * w is the "
                         "gradient of CS231n's 0.5 * reg * w**2)"),
            (2 * w, "the gradient is 2 * reg * w: multiply by reg too"),
            (L2_REG * np.sign(w), "that is the gradient of L1; L2's is 2 * reg * w"),
        ], default="grads[i] = 2 * reg * weights[i]"))
    result, rec = call(fn, [], L2_REG, name="l2_penalty", arg_names=["weights", "reg"])
    loss, grads = expect_tuple(result, "(loss, grads)", call=rec)
    expect(matches(loss, 0.0) and len(grads) == 0, f"{rec}: no arrays, no penalty.", call=rec,
           got=(loss, grads), expected="(0.0, [])", cause="start from loss = 0.0 and an empty list")


# Update rules: the test problem of notebook 03, loss(w) = 0.5 * sum(H * w**2), so dw = H * w.
W0 = np.array([[1.0, -2.0, 0.5], [3.0, -0.25, 0.001]])
H = np.array([[10.0, 1.0, 0.1], [0.01, 1e-3, 2.0]])

#: Defaults every update rule must fill into config (shared with the hidden checks).
RULE_DEFAULTS = {
    "sgdw": {"learning_rate": 1e-2, "weight_decay": 4e-3},
    "adamw": {"learning_rate": 1e-3, "weight_decay": 4e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
#: The state each rule keeps in config.
RULE_STATE = {"sgdw": (), "adamw": ("m", "v", "t")}
RULE_CONFIG = {
    "sgdw": {"learning_rate": 0.05, "weight_decay": 0.2},
    "adamw": {"learning_rate": 0.1, "weight_decay": 0.2, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8},
}
SHARED_STATE_CAUSE = ("the state is shared between tensors and calls: keep it only in `config` "
                      "(config['m'], config['v'], config['t']), never in a global variable or a default argument")
GENERIC_CAUSE = {
    "sgdw": "next_w = w - learning_rate * weight_decay * w - learning_rate * dw, both terms from w before the step",
    "adamw": "t += 1; m, v as in Adam; m_hat, v_hat bias-corrected with t; next_w = w - learning_rate * "
             "weight_decay * w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)",
}


def update_step(fn, name, w, dw, config):
    """One call of an update rule; the returned Call shows ``config`` as it was passed in (shared)."""
    shown = copy.deepcopy(config)
    result, _ = call(fn, w, dw, config, name=name, arg_names=["w", "dw", "config"], allow_mutation=("config",))
    return result, Call(name, (w, dw, shown), arg_names=["w", "dw", "config"])


def unpack_update(result, rec, shape):
    """``(next_w, config)`` from a rule's result, or a failure saying what is wrong (shared)."""
    next_w, config = expect_tuple(result, "(next_w, config)", call=rec)
    expect(isinstance(config, dict), f"{rec} must return config as a dict.", call=rec, got=config,
           expected="a dict", cause="return the config dict (create `config = {}` when it is None)")
    expect(isinstance(next_w, np.ndarray) and next_w.shape == tuple(shape),
           f"{rec} must return next_w as a numpy array of the shape of w.", call=rec, got=next_w,
           expected=f"an array of shape {tuple(shape)}")
    return next_w, config


def _rule_step(fn, name, w, dw, config, shape):
    """One step, checked for its form: ``(next_w, config, rec)``."""
    result, rec = update_step(fn, name, w, dw, config)
    return (*unpack_update(result, rec, shape), rec)


def rule_defaults_case(fn, name, w, dw, first_step, cause):
    """Defaults filled in on the first call, the state stored, and the first step (shared)."""
    next_w, config, rec = _rule_step(fn, name, w.copy(), dw, None, w.shape)
    for key, value in RULE_DEFAULTS[name].items():
        expect(config.get(key) == value, f"{name}(w, dw, None) did not fill in the default {key!r}.",
               call=rec, got=config.get(key, "missing"), expected=value,
               cause=f"start with `config.setdefault({key!r}, {value})`")
    for key in RULE_STATE[name]:
        expect(key in config, f"{name} did not store its state {key!r} in config.", call=rec, got=sorted(config),
               expected=f"config[{key!r}] set after the call",
               cause="store the new value in config before returning, so the next call can read it")
    if name == "adamw":
        expect(config.get("t") == 1, "adamw(w, dw, None) must count the step: config['t'] is 1 after it.",
               call=rec, got=config.get("t"), expected=1, cause="increase t by one at the start of each step")
    expect_close(next_w, first_step, what="next_w (first step, default hyperparameters)", call=rec, tol=TOL,
                 cause=cause)


def rule_in_turn_case(fn, name, tensors):
    """Update several tensors in turn (A, B, A, B, ...), each with its own config; each must follow its trajectory.

    ``tensors``: ``(label, w0, grad_fn, config, trajectory)`` items (shared with the hidden checks).
    """
    state = {label: (w0.copy(), dict(config)) for label, w0, _, config, _ in tensors}
    for step in range(len(tensors[0][4])):
        for label, _, grad, _, trajectory in tensors:
            w, c = state[label]
            w, c, rec = _rule_step(fn, name, w, grad(w), c, w.shape)
            target = np.asarray(trajectory[step])
            expect(rel_error(w, target) <= TOL,
                   f"{name} gave the wrong next_w for tensor {label} at step {step + 1} when {len(tensors)} "
                   f"tensors, each with its own config, were updated in turn (A, B, A, B, ...).",
                   call=rec, got=w, expected=target, cause=SHARED_STATE_CAUSE)
            state[label] = (w, c)


#: What usually goes wrong when a step after the first is wrong (the first step's known mistakes are in RULE_EXPECTED).
LATER_STEP_CAUSE = {
    "sgdw": GENERIC_CAUSE["sgdw"],
    "adamw": "the state is not carried between calls (store m, v and t in config), or the bias correction uses the "
             "wrong t",
}


def _check_rule(fn, name):
    """Three steps with RULE_CONFIG, the hyperparameters kept, the defaults, and two tensors in turn, against the
    rule's row of RULE_EXPECTED."""
    exp = RULE_EXPECTED[name]
    trajectory = exp["trajectory"]
    w, c = W0.copy(), dict(RULE_CONFIG[name])
    for step, expected in enumerate(trajectory):
        w, c, rec = _rule_step(fn, name, w, H * w, c, W0.shape)
        cause = diagnose(w, exp["mistakes"], default=GENERIC_CAUSE[name]) if step == 0 else LATER_STEP_CAUSE[name]
        expect_close(w, expected, what=f"next_w at step {step + 1} (config {RULE_CONFIG[name]})", call=rec,
                     tol=TOL, cause=cause)
    for key, value in RULE_CONFIG[name].items():
        expect(c.get(key) == value, f"{name} changed the hyperparameter {key!r} it was given.", call=rec,
               got=c.get(key), expected=value, cause="fill in a default only when the key is missing")
    rule_defaults_case(fn, name, W0, H * W0, exp["first_step_defaults"], GENERIC_CAUSE[name])
    rule_in_turn_case(fn, name, [("A", W0, lambda v: H * v, RULE_CONFIG[name], trajectory),
                                  ("B", -W0, lambda v: H * v, RULE_CONFIG[name], -np.asarray(trajectory))])


_DECAY_NO_LR = ("the decay is not scaled by the learning rate: Keras (and Loshchilov and Hutter) decay by "
                "learning_rate * weight_decay * w per step")
_DECAY_AFTER = ("the decay is applied after the step, to the updated weights; Keras decays w first, from w "
                "before the step: next_w = w - learning_rate * weight_decay * w - learning_rate * step")
_NO_DECAY = "there is no weight decay at all: subtract learning_rate * weight_decay * w too"


def check_sgdw(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "sgdw")


def check_adamw(fn):
    """Defaults, three steps on a fixed bowl, and state kept per config."""
    _check_rule(fn, "adamw")


# --------------------------------------------------------------------------- 3. dropout

DROPOUT_X = 1.0 + np.arange(40 * 50).reshape(40, 50) % 7 / 7.0     # 2000 units, values in [1, 2)


def _dropout_call(fn, x, param):
    shown = dict(param)
    result, _ = call(fn, x, param, name="dropout_forward", arg_names=["x", "dropout_param"])
    rec = Call("dropout_forward", (x, shown), arg_names=["x", "dropout_param"])
    out, cache = expect_tuple(result, "(out, cache)", call=rec)
    expect_shape(out, x.shape, what="out", call=rec, cause="out has the shape of x")
    expect(isinstance(cache, tuple) and len(cache) == 2, f"{rec} must return cache = (dropout_param, mask).",
           call=rec, got=cache, expected="a tuple (dropout_param, mask)",
           cause="keep the line `cache = (dropout_param, mask)`: dropout_backward reads it")
    return np.asarray(out, dtype=np.float64), cache, rec


def dropout_train_case(fn, x, p, seed):
    """Train mode: out = x * mask, mask in {0, 1/p} stored in the cache, about a fraction p kept,
    reproducible with a seed, fresh without one (shared with the hidden checks). Returns the mask."""
    out, (param, mask), rec = _dropout_call(fn, x, {"p": p, "mode": "train", "seed": seed})
    expect(mask is not None and np.shape(mask) == x.shape, f"{rec} must store the mask, of the shape of x, in "
           f"the cache.", call=rec, got=describe(mask), expected=f"an array of shape {x.shape}",
           cause="cache = (dropout_param, mask), with the mask already divided by p")
    mask = np.asarray(mask, dtype=np.float64)
    values = np.unique(mask)
    kept = float(np.mean(mask != 0))
    cause = diagnose(values, [
        (np.array([0.0, 1.0]), "the mask in the cache must be divided by p already: mask = (rng.random(x.shape) "
                               "< p) / p"),
        (np.array([0.0, 1.0 / (1.0 - p)]), "the mask is divided by 1 - p; p is the probability of KEEPING a unit, "
                                           "so divide by p"),
        (np.array([0.0, 2.0]), "the mask is divided by a hard-coded 0.5; divide by p, the keep probability given "
                               "in dropout_param"),
    ], default="the mask holds 0 for a dropped unit and 1 / p for a kept one")
    expect(values.size <= 2 and np.all(np.isin(values, [0.0, 1.0 / p]) | np.isclose(values, 1.0 / p, rtol=1e-12)),
           f"{rec} stored a mask whose values are not 0 and 1 / p = {1 / p:.6g}.", call=rec,
           got=f"mask values {describe(values)}", expected=f"0 and {1 / p:.6g}", cause=cause)
    expect(abs(kept - p) < 0.05, f"{rec} kept {kept:.1%} of the units; with p = {p} it should keep about {p:.0%}.",
           call=rec, got=f"{kept:.1%} kept", expected=f"about {p:.0%}", cause=(
               "the mask is drawn with > (rng.random(x.shape) > p keeps a unit with probability 1 - p): keep it "
               "where rng.random(x.shape) < p" if abs(kept - (1 - p)) < 0.05 else
               "keep each unit with probability p: mask = (rng.random(x.shape) < p) / p"))
    expect_close(out, x * mask, what="out (it must be x * mask, the mask of the cache)", call=rec, tol=1e-12,
                 cause="out = x * mask, with the same mask that goes into the cache")
    again, (_, mask_again), rec2 = _dropout_call(fn, x, {"p": p, "mode": "train", "seed": seed})
    expect(np.array_equal(again, out), f"{rec2} gave another mask for the same seed.", call=rec2,
           got="a different mask", expected="the same mask as the first call with this seed",
           cause="draw the mask from a generator seeded with dropout_param['seed']: "
                 "rng = np.random.default_rng(dropout_param['seed'])")
    other, _, rec3 = _dropout_call(fn, x, {"p": p, "mode": "train", "seed": seed + 1})
    expect(not np.array_equal(other, out), f"{rec3} gave the same mask for another seed.", call=rec3,
           got="the same mask as for seed " + str(seed), expected="a different mask",
           cause="seed the generator with dropout_param['seed'], not with a constant")
    first, _, rec4 = _dropout_call(fn, x, {"p": p, "mode": "train"})
    second, _, _ = _dropout_call(fn, x, {"p": p, "mode": "train"})
    expect(not np.array_equal(first, second), f"{rec4} gave the same mask twice without a seed.", call=rec4,
           got="identical masks", expected="a new random mask at every call",
           cause="without a seed, use a generator that is not seeded: np.random.default_rng(None)")
    return mask


def dropout_test_case(fn, x, p):
    """Test mode: the identity, and no mask in the cache (shared with the hidden checks)."""
    out, (param, mask), rec = _dropout_call(fn, x, {"p": p, "mode": "test"})
    expect_close(out, x, what="out in test mode", call=rec, tol=1e-12, cause=diagnose(out, [
        (p * x, "the output is scaled by p at test time: that is vanilla dropout; inverted dropout divides by p "
                "at train time, so test time is the identity"),
        (x / p, "the output is divided by p at test time; inverted dropout does that at train time only"),
    ], default="dropout is switched off in test mode: out = x, unchanged (no mask, no scaling)"))
    expect(mask is None, f"{rec} must store None as the mask in test mode.", call=rec, got=describe(mask),
           expected="None", cause="in test mode there is no mask: cache = (dropout_param, None)")


def check_dropout_forward(fn):
    """Train mode (mask, scaling, keep fraction, seeds) and test mode (identity)."""
    dropout_train_case(fn, DROPOUT_X.copy(), 0.7, 3)
    dropout_test_case(fn, DROPOUT_X.copy(), 0.7)


def dropout_backward_call(fn, dout, cache):
    """Call dropout_backward; dx must be one array of the shape of dout (shared with the hidden checks)."""
    dx, rec = call(fn, dout, cache, name="dropout_backward", arg_names=["dout", "cache"])
    expect(not isinstance(dx, tuple), f"{rec} must return dx alone (one array), not a tuple.", call=rec, got=dx,
           expected=f"array of shape {dout.shape}")
    expect_shape(dx, dout.shape, what="dx", call=rec, cause="dx has the shape of dout")
    return dx, rec


def check_dropout_backward(fn):
    """A hand-made mask in the cache (not one a seed would draw), and test mode."""
    dout = np.linspace(-1.0, 2.0, 24).reshape(4, 6)
    mask = (np.arange(24).reshape(4, 6) % 3 != 0) / 0.6
    dx, rec = dropout_backward_call(fn, dout.copy(), ({"p": 0.6, "mode": "train", "seed": 5}, mask.copy()))
    expect_close(dx, dout * mask, what="dx", call=rec, tol=1e-12, cause=diagnose(dx, [
        (dout * mask / 0.6, "the mask in the cache is already divided by p: dx = dout * mask"),
        (dout * (mask > 0), "multiply by the mask itself (0 or 1 / p): the forward pass scaled the kept units"),
        (dout, "dx = dout * mask in train mode: dropped units get no gradient"),
    ], default="use the mask from the cache, do not draw a new mask: dx = dout * mask"))
    dx, rec = dropout_backward_call(fn, dout.copy(), ({"p": 0.6, "mode": "test"}, None))
    expect_close(dx, dout, what="dx in test mode", call=rec, tol=1e-12, cause=diagnose(dx, [
        (0.6 * dout, "test-mode dropout is the identity, so its gradient is dout unchanged"),
    ], default="in test mode dx = dout"))


# --------------------------------------------------------------------------- 5. data augmentation


def pca_test_images(seed, n, h, w):
    """Float images in [0, 1] whose colours vary mostly along one direction (distinct eigenvalues)."""
    rng = np.random.default_rng(seed)
    a, b, c = rng.random((3, n, h, w, 1))
    img = 0.15 + a * np.array([0.5, 0.45, 0.35]) + b * np.array([0.25, -0.05, -0.2]) + c * np.array([0.04, 0.06, -0.08])
    return np.clip(img, 0.0, 1.0)


def align_eigenvectors(got, expected):
    """``got`` with each column's sign flipped to match ``expected`` (signs are free), shared."""
    got = np.asarray(got, dtype=np.float64)
    signs = np.sign(np.sum(got * expected, axis=0))
    signs[signs == 0] = 1.0
    return got * signs


def pca_result_case(result, rec, values, vectors, causes):
    """Eigenvalues (descending, exact), eigenvectors (columns, unit, signs free); shared with the hidden checks."""
    eigenvalues, eigenvectors = expect_tuple(result, "(eigenvalues, eigenvectors)", call=rec)
    expect_shape(eigenvalues, (3,), what="eigenvalues", call=rec, cause="one eigenvalue per colour component")
    expect_shape(eigenvectors, (3, 3), what="eigenvectors", call=rec)
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    cause = diagnose(eigenvalues, [(values[::-1], "the eigenvalues must be in descending order (np.linalg.eigh "
                                                  "returns them ascending): reverse them, and the eigenvector "
                                                  "columns with them"),
                                   (np.sqrt(values), "those are the square roots (standard deviations); return the "
                                                     "eigenvalues of the covariance themselves")] + list(causes),
                     default="the covariance of all N*H*W pixels (each a vector of 3 colours in [0, 1]), centred on "
                             "their mean and divided by the number of pixels; then np.linalg.eigh")
    expect_close(eigenvalues, values, what="eigenvalues", call=rec, tol=1e-8, cause=cause)
    vecs = np.asarray(eigenvectors, dtype=np.float64)
    expect(np.allclose(vecs.T @ vecs, np.eye(3), atol=1e-8), f"{rec} returned eigenvectors that are not orthonormal "
           "columns.", call=rec, got=vecs, expected="a 3x3 matrix with orthonormal columns",
           cause="return the eigenvectors of np.linalg.eigh unchanged (apart from the column order)")
    aligned = align_eigenvectors(vecs, vectors)
    transposed = align_eigenvectors(vecs.T, vectors)
    expect_close(aligned, vectors, what="eigenvectors (each column's sign is free)", call=rec, tol=1e-6,
                 cause=diagnose(transposed, [(vectors, "the eigenvectors are returned as rows; column i must be the "
                                                       "eigenvector of eigenvalues[i]")],
                                default="column i must be the eigenvector of eigenvalues[i]: reorder the columns "
                                        "together with the eigenvalues"))


def check_fit_pca_color(fn):
    """Float images in [0, 1] and the same images as uint8; exact eigenvalues, eigenvectors up to sign."""
    with holding_back("fit_pca_color", fn):
        images = pca_test_images(11, 3, 4, 5)
        result, rec = call(fn, images.copy(), name="fit_pca_color", arg_names=["images"])
        pca_result_case(result, rec, PCA_VALUES, PCA_VECTORS, [
            (PCA_VALUES_DDOF1, "the covariance is divided by N - 1 (np.cov's default); divide by the number of "
                               "pixels N"),
            (PCA_VALUES_PER_IMAGE, "each image is centred on its own mean colour; centre all pixels on the mean "
                                   "of all pixels of all images"),
            (PCA_VALUES_UNCENTRED, "the pixels are not centred: subtract the mean colour before the covariance"),
            (PCA_VALUES / 255.0 ** 2, "float images are already in [0, 1]: divide by 255 only for uint8 images"),
        ])
        uint8 = np.round(images * 255).astype(np.uint8)
        result, rec = call(fn, uint8, name="fit_pca_color", arg_names=["images"])
        pca_result_case(result, rec, PCA_VALUES_UINT8, PCA_VECTORS_UINT8, [
            (PCA_VALUES_UINT8 * 255.0 ** 2, "uint8 images must be scaled to [0, 1] first (divide by 255)"),
            (PCA_VALUES_UINT8 * 255.0, "scale the pixels by 1/255 before the covariance, not the covariance"),
        ])


AUG_VALUES = np.array([0.04, 0.01, 0.002])
AUG_ALPHAS = np.array([[1.5, -2.0, 3.0], [-2.5, 1.0, 0.5], [0.5, 4.0, -6.0]])


def check_pca_color_augment(fn):
    """Three images of 2x3 pixels, each with its own alphas; some pixels need clipping."""
    with holding_back("pca_color_augment", fn):
        images = pca_test_images(12, 3, 2, 3)
        out, rec = call(fn, images.copy(), AUG_VALUES.copy(), AUG_VECS.copy(), AUG_ALPHAS.copy(),
                        name="pca_color_augment", arg_names=["images", "eigenvalues", "eigenvectors", "alphas"])
        expect_shape(out, images.shape, what="images", call=rec, cause="the output has the shape of images")
        expect_close(out, AUG_OUT, what="images", call=rec, tol=TOL, cause=diagnose(out, [
            (AUG_NO_CLIP, "the result is not clipped: np.clip(..., 0.0, 1.0)"),
            (AUG_FIRST_OFFSET, "every image got the offset of image 0: image n uses its own alphas[n]"),
            (AUG_WIDTH, "the (N, 3) offsets were added without reshaping, so they broadcast along the width of each "
                        "image; add offsets[:, None, None, :] so image n gets offset n on every pixel"),
            (AUG_ROWS, "the eigenvectors are used as rows; they are the columns: offset = eigenvectors @ "
                       "(alphas[n] * eigenvalues)"),
            (AUG_SQRT, "the alphas are multiplied by sqrt(eigenvalues); AlexNet multiplies by the eigenvalues "
                       "lambda_i themselves"),
        ], default="offset[n] = eigenvectors @ (alphas[n] * eigenvalues), added to every pixel of image n, then "
                   "clipped to [0, 1]"))


def identify_crops(images, out, crop, rec):
    """For each output, ``(row offset, column offset, mirrored)`` of the window of its own image it shows.

    ``images`` must hold distinct values (an ``np.arange`` reshaped), so every window is identified by its
    pixels. Fails with the likely cause when an output is no such window (shared with the hidden checks).
    """
    n, h, w = images.shape[:3]
    expect_shape(out, (n, crop, crop) + images.shape[3:], what="images", call=rec,
                 cause=f"each output is a crop x crop window: shape (N, {crop}, {crop}, C)")
    out = np.asarray(out)
    found = []
    for k in range(n):
        hits = [(i, j, flip) for i in range(h - crop + 1) for j in range(w - crop + 1) for flip in (False, True)
                if np.array_equal(out[k], images[k, i:i + crop, j:j + crop][:, ::-1] if flip
                                  else images[k, i:i + crop, j:j + crop])]
        if hits:
            found.append(hits[0])
            continue
        windows = [images[k, i:i + crop, j:j + crop] for i in range(h - crop + 1) for j in range(w - crop + 1)]
        others = [m for m in range(n) if m != k for i in range(h - crop + 1) for j in range(w - crop + 1)
                  if np.array_equal(np.sort(out[k], axis=None), np.sort(images[m, i:i + crop, j:j + crop], axis=None))]
        if any(np.array_equal(out[k], win[::-1]) or np.array_equal(out[k], win[::-1, ::-1]) for win in windows):
            cause = "the crop is mirrored upside down (axis 1, the height); mirror left-right: reverse axis 2, the width"
        elif any(np.array_equal(out[k], np.swapaxes(win, 0, 1)) for win in windows):
            cause = "the crop is transposed: keep the axes (N, H, W, C) in order"
        elif others:
            cause = f"output {k} shows a window of image {others[0]}: out[n] must be a crop of images[n]"
        else:
            cause = "out[n] must be images[n, i:i + crop, j:j + crop] (or its mirror), a window of the image itself"
        raise CheckFailure(f"{rec} returned an output that is not a {crop} x {crop} window of its image (nor its "
                           f"left-right mirror).\n  called with: {rec.inputs()}\n  output {k}: {describe(out[k])}\n"
                           f"  likely cause: {cause}")
    return found


def crops_case(fn, images, crop, seed, statistics=True):
    """Windows of their own images, the dtype kept, reproducible from ``rng`` and never touching ``np.random``;
    with ``statistics`` (a few hundred images), offsets drawn per image over the whole range and flips about half
    the time (shared with the hidden checks). Returns the ``(row, column, mirrored)`` of every output."""
    n, h, w = images.shape[:3]
    state = np.random.get_state()[1].copy()
    out, rec = call(fn, images, crop, np.random.default_rng(seed), name="random_crop_flip",
                    arg_names=["images", "crop", "rng"])
    expect(np.array_equal(state, np.random.get_state()[1]), f"{rec} used numpy's global random generator.",
           call=rec, got="np.random's state changed", expected="only rng is used",
           cause="draw every random number from the rng argument (rng.integers, rng.random), never np.random")
    found = identify_crops(images, out, crop, rec)
    expect(np.asarray(out).dtype == images.dtype, f"{rec} changed the dtype of the images.", call=rec,
           got=np.asarray(out).dtype, expected=images.dtype, cause="index or slice the images; do not convert them")
    again, rec2 = call(fn, images, crop, np.random.default_rng(seed), name="random_crop_flip",
                       arg_names=["images", "crop", "rng"])
    expect(np.array_equal(again, out), f"{rec2} is not reproducible: the same rng seed gave other crops.",
           call=rec2, got="other crops", expected="the same crops", cause="draw every random number from rng")
    if not statistics:
        return found
    rows, cols, flips = (np.array(v) for v in zip(*found))
    expect(len(set(zip(rows.tolist(), cols.tolist()))) > 1 or (h == crop and w == crop),
           f"{rec} cropped every image at the same offset.", call=rec,
           got=f"offset ({rows[0]}, {cols[0]}) for all {n} images", expected="an offset drawn for each image",
           cause="one offset for the whole batch is what keras.layers.RandomCrop does; draw the offsets per image "
                 "(size=N)")
    for axis, values, size in (("row", rows, h), ("column", cols, w)):
        expect(set(values.tolist()) == set(range(size - crop + 1)),
               f"{rec} never used some {axis} offsets from 0 to {size - crop}.", call=rec,
               got=f"{axis} offsets {sorted(set(values.tolist()))}", expected=f"every offset 0 .. {size - crop}",
               cause=f"draw the {axis} offset uniformly from 0 to {'H' if axis == 'row' else 'W'} - crop included: "
                     f"rng.integers(0, {'H' if axis == 'row' else 'W'} - crop + 1)")
    share = float(np.mean(flips))
    expect(0.35 < share < 0.65, f"{rec} mirrored {share:.0%} of the crops; about half should be mirrored.",
           call=rec, got=f"{share:.0%} mirrored", expected="about 50%",
           cause="mirror each crop left-right (axis 2) with probability 1/2, one coin per image")
    return found


def check_random_crop_flip(fn):
    """300 images of 6x9 pixels, crops of 4: windows, offsets per image, flips, reproducibility; uint8 kept."""
    with holding_back("random_crop_flip", fn):
        images = np.arange(300 * 6 * 9, dtype=np.int32).reshape(300, 6, 9, 1)   # every pixel value distinct
        crops_case(fn, images, 4, 0)
        full = np.arange(2 * 3 * 3 * 2, dtype=np.uint8).reshape(2, 3, 3, 2)
        found = crops_case(fn, full, 3, 1, statistics=False)
        expect(all(r == 0 and c == 0 for r, c, _ in found), "random_crop_flip: a crop of the full size must "
               "be the image (or its mirror).", got=found, expected="offsets (0, 0)")


# --------------------------------------------------------------------------- 6. early stopping

# (what the case shows, val_losses, patience, min_delta, (stop_epoch, best_epoch),
#  (result with patience + 1, with patience - 1, ignoring min_delta))
STOPPING_CASES = [
    ("a U-shaped curve", [2.0, 1.5, 1.2, 1.1, 1.15, 1.3, 1.25, 1.4], 2, 0.0, (5, 3), ((6, 3), (4, 3), None)),
    ("a run that never stops", [1.0, 0.9, 0.85, 0.7, 0.65, 0.6], 2, 0.0, (5, 5), (None, None, None)),
    ("a loss that turns NaN", [1.0, 0.9, math.nan, 0.5, 0.4], 3, 0.0, (2, 1), (None, None, None)),
    ("improvements smaller than min_delta", [1.0, 0.95, 0.93, 0.92, 0.5, 0.45], 3, 0.1, (3, 0),
     ((5, 4), (2, 0), (5, 5))),
    ("a tie for the best loss", [1.0, 0.8, 0.8, 0.9, 0.95, 0.7], 2, 0.0, (3, 1), ((4, 1), (2, 1), None)),
    ("patience 0", [1.0, 1.1, 0.5, 0.4], 0, 0.0, (1, 0), (None, None, None)),
    ("a second descent", [3.0, 2.0, 2.5, 2.4, 1.0, 1.2, 1.1, 1.3, 1.4], 3, 0.0, (7, 4), ((8, 4), (3, 1), None)),
]


def unpack_stopping(result, rec):
    """``(stop_epoch, best_epoch)`` as ints, or a failure (shared with the hidden checks)."""
    stop, best = expect_tuple(result, "(stop_epoch, best_epoch)", call=rec)
    for what, value in (("stop_epoch", stop), ("best_epoch", best)):
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        expect(ok, f"{rec} must return {what} as an int (an epoch index).", call=rec, got=describe(value),
               expected="an int", cause="return the epoch's index (0 for the first epoch), e.g. `return epoch, best_epoch`")
    return int(stop), int(best)


def _stopping_cause(got, expected, curve, patience, wrong):
    plus, minus, no_delta = wrong
    stop, best = got
    if any(isinstance(v, float) and math.isnan(v) for v in curve) and stop != expected[0]:
        return "a NaN loss stops training at once (NaN compares False with everything: test np.isfinite)"
    if no_delta is not None and got == no_delta:
        return "min_delta is ignored: an epoch improves only when its loss is below best - min_delta"
    if plus is not None and got == plus:
        return (f"patience is off by one: training stops after the epoch that completes {patience} epochs in a "
                f"row without improvement, not {patience + 1}")
    if minus is not None and got == minus:
        return (f"patience is off by one: {patience} epochs in a row without improvement are tolerated; training "
                f"stops after the {patience}-th, not the {patience - 1}-th")
    if best == stop and expected[1] != expected[0]:
        return "best_epoch is the epoch whose weights are restored: the best one, not the last"
    if stop == len(curve) and expected[0] == len(curve) - 1:
        return "a run that never stops ends at the last epoch's index, len(val_losses) - 1"
    if best != expected[1]:
        return ("best_epoch is the last epoch that improved: with ties the first epoch with the lowest loss (an "
                "equal loss is no improvement)")
    return "count epochs from 0; an epoch improves when its loss is below the best so far minus min_delta"


def check_early_stopping_epoch(fn):
    """Seven loss curves, each with the result course.callbacks.EarlyStopping gives on it."""
    with holding_back("early_stopping_epoch", fn):
        for what, curve, patience, min_delta, expected, wrong in STOPPING_CASES:
            # a list, or an array where a NaN is (an array compares NaN == NaN in the in-place check)
            losses = np.array(curve) if any(map(math.isnan, curve)) else list(curve)
            result, rec = call(fn, losses, patience, min_delta, name="early_stopping_epoch",
                               arg_names=["val_losses", "patience", "min_delta"])
            got = unpack_stopping(result, rec)
            expect(got == expected, f"{rec} gave the wrong (stop_epoch, best_epoch) for {what}.", call=rec,
                   got=got, expected=expected, cause=_stopping_cause(got, expected, curve, patience, wrong))
        result, rec = call(fn, [1.0, 0.9, 1.0, 1.1], 2, name="early_stopping_epoch", arg_names=["val_losses", "patience"])
        got = unpack_stopping(result, rec)
        expect(got == (3, 1), f"{rec}: min_delta must default to 0.0.", call=rec, got=got, expected=(3, 1),
               cause="def early_stopping_epoch(val_losses, patience, min_delta=0.0)")


# --------------------------------------------------------------------------- 7. ensembles and TTA


def ensemble_result_case(got, rec, expected, members, causes=(), tol=TOL):
    """The mean probabilities, with the usual mistakes named (shared with the hidden checks)."""
    expect_shape(got, expected.shape, what="probabilities", call=rec,
                 cause="(N, K) probabilities, one row per example: average over the members (axis 0), and keep the "
                       "class axis (no argmax)")
    expect_close(got, expected, what="probabilities", call=rec, tol=tol, cause=diagnose(got, list(causes) + [
        (np.mean(np.eye(members.shape[-1])[members.argmax(-1)], axis=0),
         "those are the fractions of votes (argmax labels averaged); average the probabilities themselves"),
        (np.mean(np.log(members), axis=0), "those are averaged log-probabilities; average the probabilities"),
    ], default="the mean over the members: np.mean(probabilities, axis=0)"))


def check_ensemble_predict(fn):
    """Three members, four examples, three classes, as a list and as one array; a single member."""
    with holding_back("ensemble_predict", fn):
        members = ENS_MEMBERS.copy()
        for arg, kind in (([m.copy() for m in members], "a list of (N, K) arrays"), (members.copy(), "one (M, N, K) array")):
            got, rec = call(fn, arg, name="ensemble_predict", arg_names=["probabilities"])
            ensemble_result_case(got, rec, ENS_MEAN, members, causes=[
                (ENS_GEOMETRIC, "that is the normalised geometric mean (averaged log-probabilities, as for logits, "
                                "then a softmax); average the probabilities themselves"),
            ])
        got, rec = call(fn, [members[1].copy()], name="ensemble_predict", arg_names=["probabilities"])
        ensemble_result_case(got, rec, members[1], members[1:])


class RecordingPredict:
    """A stand-in model for the TTA checks: records each batch it is given (shared with the hidden checks).

    ``weights`` ``(crop * crop * C, K)``: probabilities are a softmax of the flattened crop times the weights.
    """

    def __init__(self, weights, crop, channels):
        self.weights = weights
        self.shape = (crop, crop, channels)
        self.batches = []

    def __call__(self, batch):
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 4 or batch.shape[1:] != self.shape:
            raise ValueError(f"predict_fn takes crops of shape (B, {', '.join(map(str, self.shape))}); "
                             f"got an array of shape {batch.shape}")
        self.batches.append(len(batch))
        z = batch.reshape(len(batch), -1) @ self.weights
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def check_ten_crop_predict(fn):
    """Two 5x6 images, crops of 3, a softmax "model": the 10 views averaged, with the usual mistakes named."""
    with holding_back("ten_crop_predict", fn):
        rng = np.random.default_rng(4)
        images = rng.random((2, 5, 6, 2))
        predict = RecordingPredict(rng.normal(size=(3 * 3 * 2, 4)), 3, 2)
        got, rec = call(fn, predict, images.copy(), 3, name="ten_crop_predict",
                        arg_names=["predict_fn", "images", "crop"])
        expect(sum(predict.batches) == 10 * len(images), f"{rec} gave predict_fn {sum(predict.batches)} crops for "
               f"{len(images)} images.", call=rec, got=sum(predict.batches), expected=10 * len(images),
               cause="10 views per image: 5 crops and their 5 mirror images")
        expect_shape(got, (2, 4), what="probabilities", call=rec,
                     cause="(N, K): one row of averaged class probabilities per image")
        expect_close(got, TC_OUT, what="probabilities", call=rec, tol=TOL, cause=diagnose(got, [
            (TC_ARGMAX, "the argmax is taken before averaging; average the probabilities of the 10 views"),
            (TC_VERTICAL, "the mirror images are flipped upside down; mirror left-right (reverse axis 2)"),
            (TC_CEIL, "the centre crop is at offset ((H - crop) // 2, (W - crop) // 2), rounded down"),
            (TC_NO_MIRROR, "these are only the 5 crops; add their left-right mirror images (10 views)"),
        ], default="the corners (0, 0), (0, W - crop), (H - crop, 0), (H - crop, W - crop), the centre "
                   "((H - crop) // 2, (W - crop) // 2), and the mirrors of those five: 10 views, probabilities "
                   "averaged"))


# --------------------------------------------------------------------------- expected values
# Computed once from the reference solution (float64) on the inputs above; tests/test_regularization_checks.py
# recomputes them.

L2_LOSS = 1.23825
L2_GRADS = [np.array([[0.05, -0.1, 0.2], [0.15000000000000002, 0.025, -0.07500000000000001]]),
            np.array([0.010000000000000002, -0.020000000000000004, 0.03]),
            np.array([[0.1, -0.2], [0.05, 0.0], [-0.15000000000000002, 0.30000000000000004]])]
SGDW_FIRST_DEFAULTS = np.array([[0.89996, -1.97992, 0.49948], [2.99958, -0.2499875, 0.00097996]])
SGDW_TRAJECTORY = np.array(
    [[[0.49, -1.88, 0.4925], [2.9685, -0.2474875, 0.00089]],
     [[0.24009999999999995, -1.7671999999999999, 0.4851125],
      [2.93733075, -0.245000250625, 0.0007920999999999999]],
     [[0.11764899999999999, -1.661168, 0.4778358125],
      [2.906488777125, -0.24253799810621876, 0.0007049689999999998]]])
ADAMW_FIRST_DEFAULTS = np.array(
    [[0.998996000001, -1.998992000005, 0.49899800019999996],
     [2.998988000333333, -0.24899903999840006, 9.999750001567914e-10]])
ADAMW_TRAJECTORY = np.array(
    [[[0.8800000001, -1.8600000005, 0.390000019999996],
      [2.840000033333322, -0.1450039998400064, -0.0990195000025]],
     [[0.763087849200646, -1.7231414515860644, 0.2838895922345338],
      [2.683445908499281, -0.04742917707232186, -0.02144487010303117]],
     [[0.6497771440480044, -1.5896139908954716, 0.18339814155921758],
      [2.530443449294398, 0.034563670320713315, 0.048670582734807]]])
SGDW_WRONG_NO_LR = np.array([[0.30000000000000004, -1.5, 0.3975], [2.3985, -0.1999875, 0.0007]])
SGDW_WRONG_AFTER = np.array([[0.495, -1.881, 0.492525], [2.968515, -0.247487625, 0.000891]])
SGDW_WRONG_NO_DECAY = np.array([[0.5, -1.9, 0.4975], [2.9985, -0.2499875, 0.0009]])
SGDW_WRONG_PLUS = np.array([[0.51, -1.92, 0.5025000000000001], [3.0284999999999997, -0.2524875, 0.00091]])
ADAMW_WRONG_COUPLED = np.array(
    [[0.9000000000980393, -1.9000000004166666, 0.40000000666666624],
     [2.9000000015873018, -0.15000001990049355, -0.09899954545661156]])
ADAMW_WRONG_NO_LR = np.array(
    [[0.7000000001000001, -1.5000000005, 0.30000001999999604],
     [2.300000033333322, -0.10000399984000641, -0.0991995000025]])
ADAMW_WRONG_AFTER = np.array(
    [[0.8820000000980001, -1.86200000049, 0.3920000195999961],
     [2.8420000326666557, -0.14700391984320627, -0.09701951000244999]])
ADAMW_WRONG_NO_DECAY = np.array(
    [[0.9000000001, -1.9000000005, 0.400000019999996],
     [2.9000000333333222, -0.1500039998400064, -0.09899950000249999]])

#: Each update rule's expected first step with the defaults, its trajectory with RULE_CONFIG, and the first steps
#: (with RULE_CONFIG) of its known mistakes, with their causes.
RULE_EXPECTED = {
    "sgdw": {
        "first_step_defaults": SGDW_FIRST_DEFAULTS,
        "trajectory": SGDW_TRAJECTORY,
        "mistakes": [
            (SGDW_WRONG_NO_LR, _DECAY_NO_LR), (SGDW_WRONG_AFTER, _DECAY_AFTER), (SGDW_WRONG_NO_DECAY, _NO_DECAY),
            (SGDW_WRONG_PLUS, "the decay has the wrong sign: it pulls the weights towards 0, so subtract it"),
        ],
    },
    "adamw": {
        "first_step_defaults": ADAMW_FIRST_DEFAULTS,
        "trajectory": ADAMW_TRAJECTORY,
        "mistakes": [
            (ADAMW_WRONG_COUPLED, "the decay goes through the gradient (dw + weight_decay * w into m and v): that "
                                  "is Adam with L2, which AdamW replaces; decouple it: subtract learning_rate * "
                                  "weight_decay * w outside the Adam step"),
            (ADAMW_WRONG_NO_LR, _DECAY_NO_LR), (ADAMW_WRONG_AFTER, _DECAY_AFTER), (ADAMW_WRONG_NO_DECAY, _NO_DECAY),
        ],
    },
}
PCA_VALUES = np.array([0.04883892570000155, 0.009751684725555286, 0.00046498266811215974])
PCA_VECTORS = np.array(
    [[0.6410809523316761, 0.6985374213184379, -0.3179004302848594],
     [0.6009066535118772, -0.19919105756629396, 0.7741021356066513],
     [0.4774163867345449, -0.6872906180091569, -0.5474533770778321]])
PCA_VALUES_UINT8 = np.array([0.0487792925211238, 0.009687819609124827, 0.00046917305920842254])
PCA_VECTORS_UINT8 = np.array(
    [[0.6397995770363633, 0.7004177687153702, -0.31634071899120475],
     [0.6010600650512901, -0.19951204956335045, 0.7739003426020504],
     [0.4789397659671095, -0.6852808850003138, -0.5486408745514294]])
PCA_VALUES_DDOF1 = np.array([0.049666704101696484, 0.00991696751751385, 0.00047286373028354746])
PCA_VALUES_PER_IMAGE = np.array([0.047911938148185625, 0.009379897126370941, 0.00046263581442113104])
PCA_VALUES_UNCENTRED = np.array([0.4597185203406776, 0.011971918238263834, 0.000493199429734755])
AUG_VECS = np.array(
    [[-0.6092076990801714, 0.7689381552125684, 0.19390743368869426],
     [-0.5076730825668095, -0.19032039688049365, -0.8402655459843423],
     [-0.6092076990801714, -0.6103378244788238, 0.506313854631591]])
AUG_OUT = np.array(
    [[[[0.2901463699112346, 0.21945060480799367, 0.16310822222927487],
       [0.6574052709308614, 0.5916847843331258, 0.3468296110125582],
       [0.36692354483694684, 0.17807835079841874, 0.0500451884498309]],
      [[0.44953701202130275, 0.18766124636002082, 0.0],
       [0.5216398406324458, 0.25475446708437666, 0.033070672951473104],
       [0.447521144914255, 0.19746919380502384, 0.007420009823601997]]],
     [[[0.5769257051236716, 0.5067214144872803, 0.4134888745785238],
       [0.5417330932395629, 0.24979772252857263, 0.05532370551786049],
       [0.8658498215000141, 0.6237725136916096, 0.3160219455231562]],
      [[0.8949131200915583, 0.5843370494650583, 0.2730484970432727],
       [0.3462535835038198, 0.2149081670770947, 0.07667069016661635],
       [0.5728427781922567, 0.47340134700784753, 0.2940425655938837]]],
     [[[0.4393581835186245, 0.1829167948818739, 0.0],
       [0.4829631938231946, 0.2588108374262904, 0.020622680807417297],
       [0.6056478811506874, 0.34534315491802337, 0.024985452988869887]],
      [[0.4546963348464888, 0.3533353535968018, 0.20321203700841103],
       [0.4427962687508204, 0.35959812198254715, 0.22653041429107748],
       [0.8587898340573034, 0.5783362622195506, 0.2034749377832695]]]])
AUG_NO_CLIP = np.array(
    [[[[0.2901463699112346, 0.21945060480799367, 0.16310822222927487],
       [0.6574052709308614, 0.5916847843331258, 0.3468296110125582],
       [0.36692354483694684, 0.17807835079841874, 0.0500451884498309]],
      [[0.44953701202130275, 0.18766124636002082, -0.02130782232744426],
       [0.5216398406324458, 0.25475446708437666, 0.033070672951473104],
       [0.447521144914255, 0.19746919380502384, 0.007420009823601997]]],
     [[[0.5769257051236716, 0.5067214144872803, 0.4134888745785238],
       [0.5417330932395629, 0.24979772252857263, 0.05532370551786049],
       [0.8658498215000141, 0.6237725136916096, 0.3160219455231562]],
      [[0.8949131200915583, 0.5843370494650583, 0.2730484970432727],
       [0.3462535835038198, 0.2149081670770947, 0.07667069016661635],
       [0.5728427781922567, 0.47340134700784753, 0.2940425655938837]]],
     [[[0.4393581835186245, 0.1829167948818739, -0.04267343321633547],
       [0.4829631938231946, 0.2588108374262904, 0.020622680807417297],
       [0.6056478811506874, 0.34534315491802337, 0.024985452988869887]],
      [[0.4546963348464888, 0.3533353535968018, 0.20321203700841103],
       [0.4427962687508204, 0.35959812198254715, 0.22653041429107748],
       [0.8587898340573034, 0.5783362622195506, 0.2034749377832695]]]])
AUG_FIRST_OFFSET = np.array(
    [[[[0.2901463699112346, 0.21945060480799367, 0.16310822222927487],
       [0.6574052709308614, 0.5916847843331258, 0.3468296110125582],
       [0.36692354483694684, 0.17807835079841874, 0.0500451884498309]],
      [[0.44953701202130275, 0.18766124636002082, 0.0],
       [0.5216398406324458, 0.25475446708437666, 0.033070672951473104],
       [0.447521144914255, 0.19746919380502384, 0.007420009823601997]]],
     [[[0.45735386578291065, 0.42700200545308387, 0.33685734673321904],
       [0.4221612538988019, 0.17007831349437622, 0.0],
       [0.7462779821592531, 0.5440531046574132, 0.23939041767785146]],
      [[0.7753412807507972, 0.5046176404308619, 0.19641696919796797],
       [0.2266817441630588, 0.1351887580428983, 3.916232131159422e-05],
       [0.4532709388514958, 0.3936819379736511, 0.21741103774857895]]],
     [[[0.37234392004906003, 0.15890431556431298, 0.0],
       [0.4159489303536301, 0.2347983581087295, 0.04198829169630851],
       [0.5386336176811228, 0.32133067560046247, 0.0463510638777611]],
      [[0.38768207137692434, 0.3293228742792409, 0.22457764789730222],
       [0.37578200528125594, 0.33558564266498625, 0.24789602517996867],
       [0.7917755705877388, 0.5543237829019897, 0.2248405486721607]]]])
AUG_ROWS = np.array(
    [[[[0.31085990387020895, 0.29742684540378944, 0.2158936846255172],
       [0.6781188048898359, 0.6696610249289215, 0.39961507340880054],
       [0.3876370787959212, 0.2560545913942145, 0.10283065084607321]],
      [[0.4702505459802771, 0.26563748695581657, 0.03147764006879805],
       [0.5423533745914203, 0.33273070768017243, 0.08585613534771541],
       [0.46823467887322934, 0.2754454344008196, 0.060205472219844305]]],
     [[[0.563356477613109, 0.379290218430848, 0.33087808408658204],
       [0.5281638657290002, 0.12236652647214036, 0.0],
       [0.8522805939894516, 0.4963413176351773, 0.23341115503121448]],
      [[0.8813438925809957, 0.456905853408626, 0.190437706551331],
       [0.3326843559932572, 0.08747697102066243, 0.0],
       [0.5592735506816942, 0.34597015095141526, 0.21143177510194197]]],
     [[[0.39793111560067573, 0.20568988697939522, 0.0],
       [0.4415361259052458, 0.2815839295238118, 0.027487874602573868],
       [0.5642208132327386, 0.36811624701554474, 0.03185064678402646]],
      [[0.41326926692854005, 0.37610844569432317, 0.2100772308035676],
       [0.40136920083287164, 0.3823712140800685, 0.23339560808623405],
       [0.8173627661393547, 0.6011093543170719, 0.21034013157842607]]]])
AUG_SQRT = np.array(
    [[[[0.03037962177582615, 0.024174876908036352, 0.1916504315428035],
       [0.39763852279545303, 0.3964090564331685, 0.37537182032608685],
       [0.10715679670153838, 0.0, 0.07858739776335953]],
      [[0.1897702638858943, 0.0, 0.007234386986084374],
       [0.26187309249703744, 0.059478739184419344, 0.06161288226500174],
       [0.18775439677884653, 0.0021934659050665273, 0.03596221913713063]]],
     [[[0.8939552133218872, 0.6747131685410244, 0.6130567581219284],
       [0.8587626014377785, 0.4177894765823167, 0.25489158906126513],
       [1.0, 0.7917642677453537, 0.5155898290665608]],
      [[1.0, 0.7523288035188024, 0.4726163805866774],
       [0.6632830917020354, 0.3828999211308388, 0.276238573710021],
       [0.8898722863904723, 0.6413931010615916, 0.49361044913728835]]],
     [[[0.6177353683045453, 0.2891713244443751, 0.0], [0.6613403786091154, 0.3650653669887916, 0.0],
       [0.7840250659366081, 0.45159768448052456, 0.0]],
      [[0.6330735196324097, 0.459589883159303, 0.0], [0.6211734535367412, 0.46585265154504835, 0.0],
       [1.0, 0.6845907917820518, 0.0]]]])
AUG_WIDTH = np.array(
    [[[[0.2901463699112346, 0.21945060480799367, 0.16310822222927487],
       [0.7769771102716225, 0.6714041933673222, 0.42346113885786296],
       [0.4339378083065113, 0.20209083011597967, 0.02867957756093969]],
      [[0.44953701202130275, 0.18766124636002082, 0.0],
       [0.6412116799732068, 0.3344738761185731, 0.10970220079677785],
       [0.5145354083838194, 0.22148167312258477, 0.0]]],
     [[[0.45735386578291065, 0.42700200545308387, 0.33685734673321904],
       [0.5417330932395629, 0.24979772252857263, 0.05532370551786049],
       [0.8132922456288176, 0.5680655839749741, 0.21802480678896027]],
      [[0.7753412807507972, 0.5046176404308619, 0.19641696919796797],
       [0.3462535835038198, 0.2149081670770947, 0.07667069016661635],
       [0.5202852023210602, 0.417694417291212, 0.19604542685968776]]],
     [[[0.37234392004906003, 0.15890431556431298, 0.0],
       [0.5355207696943911, 0.31451776714292595, 0.11861981954161326],
       [0.6056478811506874, 0.34534315491802337, 0.024985452988869887]],
      [[0.38768207137692434, 0.3293228742792409, 0.22457764789730222],
       [0.4953538446220169, 0.4153050516991827, 0.3245275530252734],
       [0.8587898340573034, 0.5783362622195506, 0.2034749377832695]]]])
ENS_MEMBERS = np.array(
    [[[0.9185451186349919, 0.000930451614685254, 0.08052442975032294],
      [0.25743585707014666, 0.3059589863223573, 0.4366051566074961],
      [0.04701828924882765, 0.687194444392398, 0.2657872663587743],
      [0.9865495317537988, 0.009472512453971144, 0.003977955792229959]],
     [[0.5338862860459577, 0.2988806939485501, 0.16723302000549217],
      [0.16780033883297368, 0.6213498954007395, 0.21084976576628695],
      [0.7028891678829997, 0.12382360040655382, 0.1732872317104464],
      [0.788017198003531, 0.17564184001709343, 0.036340961979375606]],
     [[0.03580165063296973, 0.10595772130541886, 0.8582406280616114],
      [0.11391085192739415, 0.1184520946439046, 0.7676370534287011],
      [0.05667676843110472, 0.1383067390164805, 0.8050164925524147],
      [0.3810306987620728, 0.18302632165829805, 0.4359429795796292]]])
ENS_MEAN = np.array(
    [[0.49607768510463973, 0.13525628895621808, 0.36866602593914216],
     [0.17971568261017148, 0.34858699212233385, 0.47169732526749475],
     [0.26886140852097734, 0.3164415946051441, 0.41469699687387845],
     [0.7185324761731341, 0.12271355804312088, 0.15875396578374493]])
ENS_VOTES = np.array(
    [[0.6666666666666666, 0.0, 0.3333333333333333], [0.0, 0.3333333333333333, 0.6666666666666666],
     [0.3333333333333333, 0.3333333333333333, 0.3333333333333333],
     [0.6666666666666666, 0.0, 0.3333333333333333]])
ENS_GEOMETRIC = np.array(
    [[0.5028315667272953, 0.059755770853460406, 0.43741266241924437],
     [0.19642747719034476, 0.32611740493607877, 0.47745511787357653],
     [0.1801689422744234, 0.3324572545211289, 0.48737380320444773],
     [0.8616067270994181, 0.0869573841308966, 0.051435888769685245]])
ENS_LOG_MEAN = np.array(
    [[-1.3474326477328793, -3.477422134885092, -1.4868108472411727],
     [-1.771434763832027, -1.2644705998211598, -0.8832578926734983],
     [-2.0933885185317056, -1.4807722034329853, -1.0982521057285652],
     [-0.40555081420142874, -2.6989315866267667, -3.2240135937892926]])
TC_OUT = np.array(
    [[0.10774610556327761, 0.8395997110491212, 0.027389693213387894, 0.02526449017421345],
     [0.09839541653709805, 0.7539519588331086, 0.0721177338191709, 0.07553489081062245]])
TC_NO_MIRROR = np.array(
    [[0.07956384260987073, 0.8888028213125576, 0.016842690167894435, 0.014790645909677241],
     [0.12705261407987156, 0.6486632590220328, 0.12346574865223223, 0.10081837824586351]])
TC_CEIL = np.array(
    [[0.11932402721779481, 0.7901128586532102, 0.032915514241788894, 0.05764759988720618],
     [0.08540022967886632, 0.7676313343601125, 0.06914494430875726, 0.07782349165226396]])
TC_VERTICAL = np.array(
    [[0.07256865533510286, 0.8640722300261029, 0.03848384784128012, 0.024875266797514107],
     [0.11617101348819388, 0.6224861415529853, 0.10072705644484933, 0.16061578851397146]])
TC_ARGMAX = np.array([[0.1, 0.9, 0.0, 0.0], [0.0, 0.9, 0.1, 0.0]])
