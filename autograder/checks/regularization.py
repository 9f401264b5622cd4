"""Hidden checks for notebook 05 (regularization).

Each check runs the student's function on seeded inputs other than the public
check's, compares with a reference implementation, and on a mismatch names
the known mistake that reproduces the student's output. The update rules are
compared step by step with the reference, which follows Keras'
``SGD(weight_decay=...)`` and ``AdamW`` (tests/test_regularization_checks.py
runs both side by side); ``early_stopping_epoch``'s reference gives what
``course.callbacks.EarlyStopping`` does on the same curves (tested the same
way). While a check runs, the package's own versions of the function are held
back (``course.check.regularization.PACKAGE_VERSIONS``).

These checks hold reference implementations: they are never shipped.
"""

import math

import numpy as np

from course.check import regularization as public
from course.check.core import (
    CheckFailure, call, describe, diagnose, expect, expect_close, expect_shape, expect_tuple, rel_error,
)
from course.check.regularization import (
    RULE_DEFAULTS, RULE_STATE, RecordingPredict, crops_case, dropout_test_case, dropout_train_case,
    ensemble_result_case, pca_result_case, rule_defaults_case, rule_in_turn_case, holding_back,
    unpack_stopping, unpack_update, update_step,
)

TOL = 1e-9


# --------------------------------------------------------------------------- 2. weight decay


def _l2_candidates(weights, reg):
    squares = [float(np.sum(w * w)) for w in weights]
    return squares, [
        (0.5 * reg * sum(squares), "that is CS231n's 0.5 * reg * sum(w**2); Keras' L2 has no 0.5: "
                                   "loss = reg * sum(w**2)"),
        (reg * squares[0], "only the first array is penalised: every array passed is penalised"),
        (reg * sum(float(np.mean(w * w)) for w in weights), "the squares are averaged; the penalty sums them"),
        (reg * sum(float(np.sum(np.abs(w))) for w in weights), "that is L1 (|w|); L2 squares the weights"),
    ]


def check_l2_penalty(fn):
    rng = np.random.default_rng(2051)
    cases = [
        ([rng.normal(size=(3, 3, 2, 4)), rng.normal(size=(4,)), rng.normal(size=(8, 5))], 3e-3),
        ([rng.normal(size=(6,)) * 10], 0.25),
        ([rng.normal(size=(2, 2)), rng.normal(size=(1, 1, 1, 1)), rng.normal(size=(5, 2)),
          rng.normal(size=(3, 7))], 1e-4),
        ([rng.normal(size=(3, 2))], 0.0),
    ]
    for weights, reg in cases:
        result, rec = call(fn, [w.copy() for w in weights], reg, name="l2_penalty", arg_names=["weights", "reg"])
        loss, grads = expect_tuple(result, "(loss, grads)", call=rec)
        squares, candidates = _l2_candidates(weights, reg)
        expect_close(loss, reg * sum(squares), what="loss", call=rec, tol=TOL,
                     cause=diagnose(loss, candidates, default="loss = reg * (sum of w**2 over every array)"))
        expect(isinstance(grads, (list, tuple)) and len(grads) == len(weights),
               f"{rec} must return one gradient per array in weights, as a list.", call=rec, got=describe(grads),
               expected=f"a list of {len(weights)} arrays", cause="grads = [2 * reg * w for every w in weights]")
        for i, (g, w) in enumerate(zip(grads, weights)):
            expect_shape(g, w.shape, what=f"grads[{i}]", call=rec, cause="each gradient has the shape of its array")
            expect_close(g, 2 * reg * w, what=f"grads[{i}]", call=rec, tol=TOL, cause=diagnose(g, [
                (reg * w, "the factor 2 is missing: the derivative of reg * w**2 is 2 * reg * w"),
                (2 * w, "multiply by reg too: 2 * reg * w"),
            ], default="grads[i] = 2 * reg * weights[i]"))


def _filled(name, config):
    c = dict(config or {})
    for k, v in RULE_DEFAULTS[name].items():
        c.setdefault(k, v)
    return c


def _ref_sgdw(w, dw, config=None, variant=None):
    c = _filled("sgdw", config)
    lr, wd = c["learning_rate"], c["weight_decay"]
    if variant == "no_lr":
        return w - wd * w - lr * dw, c
    if variant == "after":
        stepped = w - lr * dw
        return stepped - lr * wd * stepped, c
    if variant == "plus":
        return w + lr * wd * w - lr * dw, c
    if variant == "no_decay":
        return w - lr * dw, c
    if variant == "double":
        return w - 2 * lr * wd * w - lr * dw, c
    return w - lr * wd * w - lr * dw, c


def _ref_adamw(w, dw, config=None, variant=None):
    c = _filled("adamw", config)
    lr, wd, b1, b2, eps = (c[k] for k in ("learning_rate", "weight_decay", "beta1", "beta2", "epsilon"))
    m = c.get("m")
    v = c.get("v")
    t = c.get("t", 0)
    if variant == "stateless":
        m, v, t = None, None, 0
    m = np.zeros_like(w) if m is None else m
    v = np.zeros_like(w) if v is None else v
    g = dw + wd * w if variant == "coupled" else dw
    t += 1
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    tc = t - 1 if variant == "t_from_zero" else t
    with np.errstate(divide="ignore", invalid="ignore"):
        if variant == "no_bias_correction":
            m_hat, v_hat = m, v
        else:
            m_hat, v_hat = m / (1 - b1 ** tc), v / (1 - b2 ** tc)
        denom = np.sqrt(v_hat + eps) if variant == "eps_inside" else np.sqrt(v_hat) + eps
        step = lr * m_hat / denom
        if variant == "folded":     # Keras' form: epsilon added to the uncorrected sqrt(v)
            step = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    if variant == "coupled" or variant == "no_decay":
        nxt = w - step
    elif variant == "no_lr":
        nxt = w - wd * w - step
    elif variant == "after":
        nxt = (w - step) * (1 - lr * wd)
    elif variant == "alpha_t":       # the decay scaled by Adam's bias-corrected step size instead of the rate
        nxt = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * wd * w - step
    else:
        nxt = w - lr * wd * w - step
    c["m"], c["v"], c["t"] = m, v, t
    return nxt, c


REFERENCE = {"sgdw": _ref_sgdw, "adamw": _ref_adamw}

_NO_LR = ("the decay is not scaled by the learning rate: Keras (and Loshchilov and Hutter) decay by "
          "learning_rate * weight_decay * w per step")
_AFTER = ("the decay is applied after the step, to the updated weights; Keras decays first, from w before the "
          "step: next_w = w - learning_rate * weight_decay * w - learning_rate * step")
STATE_CAUSE = ("the state is not carried from one call to the next: read m, v and t from `config` at the start "
               "and store the new values back into `config` before returning")

MISTAKES = {
    "sgdw": [
        (_NO_LR, "no_lr"), (_AFTER, "after"),
        ("the decay has the wrong sign: it pulls the weights towards 0, so subtract it", "plus"),
        ("there is no weight decay: subtract learning_rate * weight_decay * w too", "no_decay"),
        ("the decay is doubled (2 * weight_decay, as if it were the gradient of an L2 penalty weight_decay * w**2): "
         "decoupled decay subtracts learning_rate * weight_decay * w", "double"),
    ],
    "adamw": [
        ("the decay goes through the gradient (dw + weight_decay * w into m and v): that is Adam with L2, which "
         "AdamW replaces; subtract learning_rate * weight_decay * w outside the Adam step", "coupled"),
        (_NO_LR, "no_lr"), (_AFTER, "after"),
        ("the decay is scaled by Adam's bias-corrected step size; Keras scales it by the learning rate itself: "
         "learning_rate * weight_decay * w", "alpha_t"),
        ("there is no weight decay: subtract learning_rate * weight_decay * w too", "no_decay"),
        ("there is no bias correction: m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t)",
         "no_bias_correction"),
        ("the bias correction uses t before it is incremented: t = 1 on the first step", "t_from_zero"),
        ("epsilon is inside the square root: divide by np.sqrt(v_hat) + epsilon", "eps_inside"),
        ("the bias correction is folded into the learning rate (Kingma and Ba's 'efficient' form, as in Keras), "
         "which moves epsilon: compute m_hat and v_hat and divide by np.sqrt(v_hat) + epsilon", "folded"),
        (STATE_CAUSE, "stateless"),
    ],
}


class _Problem:
    """loss(w) = 0.5 * sum(h * (w - w_star)**2), gradient h * (w - w_star), curvatures 1e-3 .. 10."""

    def __init__(self, seed, shape=(3, 4)):
        rng = np.random.default_rng(seed)
        self.w0 = rng.standard_normal(shape)
        self.h = 10.0 ** rng.uniform(-3, 1, size=shape)
        self.w_star = rng.standard_normal(shape)

    def grad(self, w):
        return self.h * (w - self.w_star)


def _trajectory(impl, problem, config, steps):
    w, c, out = problem.w0.copy(), None if config is None else dict(config), []
    for _ in range(steps):
        w, c = impl(w, problem.grad(w), c)
        out.append(np.asarray(w, dtype=np.float64))
    return out


def _diagnose_rule(name, got, problem, config):
    for cause, variant in MISTAKES[name]:
        traj = _trajectory(lambda w, dw, c, v=variant: REFERENCE[name](w, dw, c, variant=v), problem, config,
                           len(got))
        # tight: some mistakes (epsilon's place, a tiny decay) change next_w by 1e-8 only
        if all(g.shape == t.shape and np.allclose(g, t, rtol=1e-11, atol=1e-15) for g, t in zip(got, traj)):
            return cause
    return public.GENERIC_CAUSE[name]


def _run_rule(fn, name, problem, config, steps, label):
    ref = _trajectory(REFERENCE[name], problem, config, steps)
    w, c, got = problem.w0.copy(), None if config is None else dict(config), []
    for step in range(steps):
        result, rec = update_step(fn, name, w, problem.grad(w), c)
        w, c = unpack_update(result, rec, problem.w0.shape)
        got.append(np.asarray(w, dtype=np.float64))
        if not rel_error(w, ref[step]) <= TOL or not np.all(np.isfinite(w)):
            expect_close(w, ref[step], what=f"next_w at step {step + 1} of {steps} ({label})", call=rec, tol=TOL,
                         cause=_diagnose_rule(name, got, problem, config))
            raise CheckFailure(f"{rec} returned the wrong next_w at step {step + 1} ({label}).\n"
                               f"  likely cause: {_diagnose_rule(name, got, problem, config)}")
    for key, value in (config or {}).items():
        expect(c.get(key) == value, f"{name} changed the hyperparameter {key!r} it was given.", call=rec,
               got=c.get(key), expected=value, cause="fill in a default only when the key is missing")


CUSTOM = {
    "sgdw": {"learning_rate": 0.03, "weight_decay": 0.5},
    "adamw": {"learning_rate": 0.05, "weight_decay": 0.3, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-8},
}


def _check_rule(fn, name):
    p = _Problem(11)
    first, _ = REFERENCE[name](p.w0, p.grad(p.w0), None)
    rule_defaults_case(fn, name, p.w0, p.grad(p.w0), first,
                        _diagnose_rule_first(fn, name, p))
    # the same inputs give the same output, whatever was updated in between
    pa, pb = _Problem(606), _Problem(707)
    outs = []
    for q in (pa, pb, pa):
        result, rec = update_step(fn, name, q.w0.copy(), q.grad(q.w0), dict(CUSTOM[name]))
        outs.append(unpack_update(result, rec, q.w0.shape)[0])
    expect(np.array_equal(outs[0], outs[2]), f"{name} returned different next_w for the same w, dw and config when "
           f"called twice (with another tensor's update in between).", call=rec, got=outs[2], expected=outs[0],
           cause=public.SHARED_STATE_CAUSE)
    _run_rule(fn, name, _Problem(202), CUSTOM[name], 6, "custom hyperparameters")
    _run_rule(fn, name, _Problem(303, shape=(7,)), None, 5, "default hyperparameters")
    given = {"learning_rate": CUSTOM[name]["learning_rate"]}
    result, rec = update_step(fn, name, p.w0.copy(), p.grad(p.w0), dict(given))
    _, config = unpack_update(result, rec, p.w0.shape)
    expect(config.get("learning_rate") == given["learning_rate"] and config.get("weight_decay") ==
           RULE_DEFAULTS[name]["weight_decay"], f"{name} must keep the learning_rate it was given and fill in "
           f"the other defaults.", call=rec, got=config, expected=f"learning_rate {given['learning_rate']}, "
           f"weight_decay {RULE_DEFAULTS[name]['weight_decay']}", cause="config.setdefault(key, default) for each key")
    pa, pb = _Problem(404), _Problem(505)
    rule_in_turn_case(fn, name, [(label, q.w0, q.grad, CUSTOM[name], _trajectory(REFERENCE[name], q, CUSTOM[name], 4))
                                  for label, q in (("A", pa), ("B", pb))])
    for key in RULE_STATE[name]:
        expect(key in config, f"{name} did not store its state {key!r} in config.", call=rec, got=sorted(config),
               expected=f"config[{key!r}] set after the call", cause=STATE_CAUSE)


def _diagnose_rule_first(fn, name, problem):
    """The likely cause when the first step with the defaults is wrong (computed lazily from the student's output)."""
    try:
        result, _ = update_step(fn, name, problem.w0.copy(), problem.grad(problem.w0), None)
        got = [np.asarray(result[0], dtype=np.float64)]
    except Exception:
        return public.GENERIC_CAUSE[name]
    return _diagnose_rule(name, got, problem, None)


def check_sgdw(fn):
    _check_rule(fn, "sgdw")


def check_adamw(fn):
    _check_rule(fn, "adamw")


# --------------------------------------------------------------------------- 3. dropout


def check_dropout_forward(fn):
    rng = np.random.default_rng(3030)
    x = rng.normal(size=(10, 20, 15))
    dropout_train_case(fn, x.copy(), 0.8, 17)
    dropout_train_case(fn, rng.uniform(0.5, 1.5, size=(2500,)), 0.3, 4)
    dropout_test_case(fn, x.copy(), 0.8)
    dropout_test_case(fn, rng.normal(size=(4, 5)), 0.25)
    mask = dropout_train_case(fn, np.abs(x) + 1.0, 0.5, 99)
    expect(abs(float(np.mean(mask)) - 1.0) < 0.05,
           "dropout_forward: with inverted dropout the mask averages 1, so E[out] = x.",
           got=f"mask mean {np.mean(mask):.3f}", expected="about 1.0", cause="mask = (rng.random(x.shape) < p) / p")
    result, rec = call(fn, x.copy(), {"p": 1.0, "mode": "train", "seed": 1}, name="dropout_forward",
                       arg_names=["x", "dropout_param"])
    out, _ = expect_tuple(result, "(out, cache)", call=rec)
    expect_close(out, x, what="out with p = 1 (keep everything)", call=rec, tol=1e-12,
                 cause="with p = 1 every unit is kept and nothing is scaled: mask = (rng.random(x.shape) < p) / p")


def check_dropout_backward(fn):
    rng = np.random.default_rng(4040)
    for shape, p in (((5, 7), 0.25), ((3, 4, 6), 0.9)):
        dout = rng.normal(size=shape)
        keep = rng.random(shape) < p
        mask = keep / p
        dx, rec = public.dropout_backward_call(fn, dout.copy(), ({"p": p, "mode": "train", "seed": 7}, mask.copy()))
        fresh = dout * ((np.random.default_rng(7).random(shape) < p) / p)
        expect_close(dx, dout * mask, what="dx", call=rec, tol=1e-12, cause=diagnose(dx, [
            (dout * mask / p, "the mask in the cache is already divided by p: dx = dout * mask"),
            (dout * keep, "multiply by the mask itself (0 or 1 / p): the forward pass scaled the kept units"),
            (fresh, "a new mask was drawn (from the seed); the backward pass must use the mask of the cache"),
            (dout / p, "only the kept units get a gradient: dx = dout * mask"),
        ], default="use the mask from the cache: dx = dout * mask"))
        dx, rec = public.dropout_backward_call(fn, dout.copy(), ({"p": p, "mode": "test"}, None))
        expect_close(dx, dout, what="dx in test mode", call=rec, tol=1e-12, cause=diagnose(dx, [
            (p * dout, "test-mode dropout is the identity, so its gradient is dout unchanged"),
            (dout / p, "test-mode dropout is the identity, so its gradient is dout unchanged"),
        ], default="in test mode dx = dout"))


# --------------------------------------------------------------------------- 5. data augmentation


def _ref_fit_pca(images):
    images = np.asarray(images)
    px = images.reshape(-1, 3).astype(np.float64)
    if images.dtype == np.uint8:
        px = px / 255.0
    centred = px - px.mean(axis=0)
    vals, vecs = np.linalg.eigh(centred.T @ centred / len(px))
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def _eigenvalues(cov):
    return np.sort(np.linalg.eigvalsh(cov))[::-1]


def _pca_mistakes(images):
    images = np.asarray(images)
    scale = 1 / 255.0 if images.dtype == np.uint8 else 1.0
    px = images.reshape(-1, 3).astype(np.float64) * scale
    per = (images.astype(np.float64) * scale - (images.astype(np.float64) * scale).mean(axis=(1, 2), keepdims=True))
    per = per.reshape(-1, 3)
    raw = images.reshape(-1, 3).astype(np.float64)
    raw_c = raw - raw.mean(axis=0)
    mistakes = [
        (_eigenvalues(np.cov(px.T)), "the covariance is divided by N - 1 (np.cov's default); divide by the number "
                                     "of pixels N"),
        (_eigenvalues(per.T @ per / len(per)), "each image is centred on its own mean colour (PCA per image); "
                                               "centre all pixels of all images on their common mean"),
        (_eigenvalues(px.T @ px / len(px)), "the pixels are not centred: subtract the mean colour first"),
    ]
    if images.dtype != np.uint8:
        mistakes.append((_eigenvalues(np.cov(px.T, bias=True)) / 255.0 ** 2,
                         "float images are already in [0, 1]: divide by 255 only for uint8 images"))
    if images.dtype == np.uint8:
        mistakes.insert(0, (_eigenvalues(raw_c.T @ raw_c / len(raw)), "uint8 images must be scaled to [0, 1] first "
                                                                     "(divide by 255)"))
    return mistakes


def check_fit_pca_color(fn):
    with holding_back("fit_pca_color", fn):
        rng = np.random.default_rng(5050)
        base = public.pca_test_images(77, 6, 5, 7)
        bright = base.copy()
        bright[:2] = np.clip(bright[:2] * 0.3 + 0.6, 0, 1)     # two images much brighter: per-image PCA differs
        cases = [bright, np.round(public.pca_test_images(78, 4, 8, 3) * 255).astype(np.uint8),
                 public.pca_test_images(79, 2, 3, 3).astype(np.float32),
                 np.clip(rng.random((5, 4, 4, 3)) @ np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.1, 0.2]]),
                         0, 1)]
        for images in cases:
            result, rec = call(fn, images.copy(), name="fit_pca_color", arg_names=["images"])
            values, vectors = _ref_fit_pca(images)
            pca_result_case(result, rec, values, vectors, _pca_mistakes(images))


def _ref_augment(images, values, vectors, alphas, variant=None):
    vals = np.sqrt(values) if variant == "sqrt" else values
    offsets = (alphas * vals) @ (vectors if variant == "rows" else vectors.T)
    if variant == "first":
        offsets = np.repeat(offsets[:1], len(offsets), axis=0)
    out = images + offsets if variant == "width" else images + offsets[:, None, None, :]
    return out if variant == "no_clip" else np.clip(out, 0.0, 1.0)


AUGMENT_MISTAKES = [
    ("no_clip", "the result is not clipped: np.clip(..., 0.0, 1.0)"),
    ("first", "every image got the offset of image 0: image n uses its own alphas[n]"),
    ("width", "the (N, 3) offsets were added without reshaping, so they broadcast along the width of each image; "
              "add offsets[:, None, None, :]"),
    ("rows", "the eigenvectors are used as rows; they are the columns: offset = eigenvectors @ (alphas[n] * "
             "eigenvalues)"),
    ("sqrt", "the alphas are multiplied by sqrt(eigenvalues); AlexNet multiplies by the eigenvalues themselves"),
]


def check_pca_color_augment(fn):
    with holding_back("pca_color_augment", fn):
        rng = np.random.default_rng(6060)
        for n, h, w, scale in ((5, 4, 5, 3.0), (4, 3, 4, 1.0), (6, 6, 6, 0.1)):   # n == w: the width mistake runs
            images = public.pca_test_images(int(rng.integers(1000)), n, h, w)
            values, vectors = _ref_fit_pca(images)
            values = values * 8.0           # offsets of a few percent, so some pixels need clipping
            alphas = rng.normal(scale=scale, size=(n, 3))
            got, rec = call(fn, images.copy(), values.copy(), vectors.copy(), alphas.copy(), name="pca_color_augment",
                            arg_names=["images", "eigenvalues", "eigenvectors", "alphas"])
            expect_shape(got, images.shape, what="images", call=rec, cause="the output has the shape of images")
            expected = _ref_augment(images, values, vectors, alphas)
            candidates = []
            for variant, cause in AUGMENT_MISTAKES:
                try:
                    candidates.append((_ref_augment(images, values, vectors, alphas, variant), cause))
                except ValueError:          # the broadcast mistake raises unless N == W
                    pass
            expect_close(got, expected, what="images", call=rec, tol=TOL, cause=diagnose(got, candidates,
                         default="offset[n] = eigenvectors @ (alphas[n] * eigenvalues) on every pixel of image n, "
                                 "clipped to [0, 1]"))


def check_random_crop_flip(fn):
    with holding_back("random_crop_flip", fn):
        images = np.arange(400 * 7 * 5 * 2, dtype=np.int64).reshape(400, 7, 5, 2)
        crops_case(fn, images, 3, 11)
        rgb = np.random.default_rng(7070).integers(0, 256, size=(250, 8, 8, 3)).astype(np.uint8)
        crops_case(fn, rgb, 5, 12)
        crops_case(fn, np.arange(300 * 4 * 4, dtype=np.float32).reshape(300, 4, 4, 1) / 1000.0, 4, 13)
        crops_case(fn, np.arange(3 * 5 * 9 * 1, dtype=np.int16).reshape(3, 5, 9, 1), 2, 14, statistics=False)


# --------------------------------------------------------------------------- 6. early stopping


def _ref_stopping(losses, patience, min_delta=0.0, variant=None):
    """(stop_epoch, best_epoch) as course.callbacks.EarlyStopping(restore_best_weights=True) gives them, or as
    the mistake ``variant`` does."""
    delta = 0.0 if variant == "no_delta" else min_delta
    limit = patience + 1 if variant == "plus" else patience - 1 if variant == "minus" else patience
    best, best_epoch, wait = None, 0, 0
    for epoch, loss in enumerate(losses):
        loss = float(loss)
        if not math.isfinite(loss) and variant != "nan_continues":
            return epoch, (epoch if variant == "last" else best_epoch)
        if variant == "previous":
            better = epoch == 0 or loss < float(losses[epoch - 1]) - delta
        elif variant == "ties_last":
            better = best is None or loss <= best - delta
        else:
            better = best is None or loss < best - delta
        if better:
            best, best_epoch, wait = loss, epoch, 0
            continue
        wait += 1
        if wait >= limit:
            return epoch, (epoch if variant == "last" else best_epoch)
    last = len(losses) - 1
    return (len(losses) if variant == "length" else last), (last if variant == "last" else best_epoch)


STOPPING_MISTAKES = [
    ("plus", "patience is off by one: training stops after the epoch that completes `patience` epochs in a row "
             "without improvement (one epoch earlier)"),
    ("minus", "patience is off by one: `patience` epochs in a row without improvement are tolerated (one epoch "
              "later)"),
    ("last", "best_epoch is the epoch whose weights are restored: the best one, not the last"),
    ("no_delta", "min_delta is ignored: an epoch improves only when its loss is below best - min_delta"),
    ("nan_continues", "a NaN (or infinite) loss stops training at once: test np.isfinite (NaN compares False with "
                      "everything)"),
    ("length", "a run that never stops ends at the last epoch's index, len(val_losses) - 1"),
    ("ties_last", "an equal loss is no improvement: with ties the first epoch with the lowest loss is the best"),
    ("previous", "an epoch improves when its loss is below the best so far (minus min_delta), not below the "
                 "previous epoch's"),
]


def _stopping_cases():
    rng = np.random.default_rng(8080)
    cases = [
        ([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.7, 0.8], 3, 0.0),
        ([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.7, 0.8], 1, 0.0),
        ([2.0, 1.0, 0.5, 0.25, 0.125], 1, 0.0),
        ([1.0, 0.9, 0.8, math.inf, 0.1], 5, 0.0),
        ([1.0, math.nan], 3, 0.0),
        ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95, 0.5], 2, 0.02),
        ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95, 0.5], 2, 0.005),
        ([1.0, 0.6, 0.6, 0.6, 0.6], 3, 0.0),
        ([0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2], 1, 0.0),
        ([0.5, 0.6, 0.4, 0.7, 0.3, 0.8, 0.2], 0, 0.0),
        ([1.0], 2, 0.0),
        ([1.0, 1.2, 1.3], 10, 0.0),
    ]
    for _ in range(40):     # noisy U-shaped curves
        n = int(rng.integers(5, 25))
        t = np.arange(n)
        curve = 1.5 * np.exp(-t / rng.uniform(2, 6)) + 0.02 * np.maximum(0, t - rng.uniform(3, 12)) \
            + rng.normal(scale=0.02, size=n) + 0.5
        cases.append((np.round(curve, 4).tolist(), int(rng.integers(0, 5)),
                      float(rng.choice([0.0, 0.0, 0.005, 0.02]))))
    return cases


def check_early_stopping_epoch(fn):
    with holding_back("early_stopping_epoch", fn):
        cases, results = _stopping_cases(), []
        for k, (curve, patience, min_delta) in enumerate(cases):
            losses = np.array(curve) if k % 2 or not all(map(math.isfinite, curve)) else list(curve)
            result, rec = call(fn, losses, patience, min_delta, name="early_stopping_epoch",
                               arg_names=["val_losses", "patience", "min_delta"])
            results.append((unpack_stopping(result, rec), rec))
        for (curve, patience, min_delta), (got, rec) in zip(cases, results):
            expected = _ref_stopping(curve, patience, min_delta)
            if got == expected:
                continue
            # the mistake that reproduces the student's answers on every case, else on this one
            every = [c for v, c in STOPPING_MISTAKES
                     if all(_ref_stopping(*case, variant=v) == r for case, (r, _) in zip(cases, results))]
            here = [c for v, c in STOPPING_MISTAKES if _ref_stopping(curve, patience, min_delta, v) == got]
            cause = (every or here or ["count epochs from 0; an epoch improves when its loss is below the best so "
                                       "far minus min_delta; stop after `patience` epochs in a row without one"])[0]
            raise CheckFailure(f"{rec} gave the wrong (stop_epoch, best_epoch).\n"
                               f"  called with: {rec.inputs()}\n  got:         {got}\n"
                               f"  expected:    {expected} (what course.callbacks.EarlyStopping(patience="
                               f"{patience}, min_delta={min_delta}, restore_best_weights=True) does)\n"
                               f"  likely cause: {cause}")


# --------------------------------------------------------------------------- 7. ensembles and TTA


def _probabilities(rng, shape, spread=1.5):
    z = rng.normal(size=shape) * spread
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_ensemble_predict(fn):
    with holding_back("ensemble_predict", fn):
        rng = np.random.default_rng(9090)
        for m, n, k in ((5, 7, 4), (2, 3, 10), (4, 4, 2), (1, 6, 3)):
            members = _probabilities(rng, (m, n, k), spread=2.0)
            for arg in ([p.copy() for p in members], members.astype(np.float32), members.copy()):
                got, rec = call(fn, arg, name="ensemble_predict", arg_names=["probabilities"])
                g = np.exp(np.mean(np.log(members), axis=0))
                ensemble_result_case(got, rec, np.mean(np.asarray(arg, dtype=np.float64), axis=0), members, causes=[
                    (g / g.sum(axis=-1, keepdims=True), "that is the normalised geometric mean (log-probabilities "
                                                        "averaged, as for logits); average the probabilities"),
                    (np.median(members, axis=0), "that is the median; average (np.mean) the members"),
                    (np.max(members, axis=0), "that is the maximum over the members; average them"),
                ], tol=1e-6 if np.asarray(arg).dtype == np.float32 else TOL)   # float32 members: float32 sums


def _ten_crop_reference(predict, images, crop, variant=None):
    n, h, w = images.shape[:3]
    if variant == "swapped":
        h, w = w, h
    centre = ((h - crop) // 2, (w - crop) // 2)
    if variant == "ceil":
        centre = (-(-(h - crop) // 2), -(-(w - crop) // 2))
    elif variant == "half":
        centre = (h // 2 - crop // 2, w // 2 - crop // 2)
    offsets = [(0, 0), (0, w - crop), (h - crop, 0), (h - crop, w - crop), centre]
    views = []
    for i, j in offsets:
        v = images[:, i:i + crop, j:j + crop]
        if v.shape[1:3] != (crop, crop):
            raise ValueError("offsets out of range")
        views.append(v)
        if variant != "no_mirror":
            views.append(v[:, ::-1] if variant == "vertical" else v[:, :, ::-1])
    probs = [predict(v) for v in views]
    if variant == "argmax":
        return np.mean([np.eye(probs[0].shape[1])[p.argmax(axis=1)] for p in probs], axis=0)
    if variant == "geometric":
        g = np.exp(np.mean(np.log(probs), axis=0))
        return g / g.sum(axis=1, keepdims=True)
    return np.mean(probs, axis=0)


TEN_CROP_MISTAKES = [
    ("argmax", "the argmax is taken before averaging; average the probabilities of the 10 views"),
    ("vertical", "the mirror images are flipped upside down; mirror left-right (reverse axis 2)"),
    ("ceil", "the centre crop is at offset ((H - crop) // 2, (W - crop) // 2), rounded down"),
    ("half", "the centre crop is at offset ((H - crop) // 2, (W - crop) // 2)"),
    ("swapped", "the height and width are swapped in the corner offsets: H is axis 1, W is axis 2"),
    ("no_mirror", "these are only the 5 crops; add their left-right mirror images (10 views)"),
    ("geometric", "log-probabilities (or logits) are averaged; average the probabilities"),
]


def check_ten_crop_predict(fn):
    with holding_back("ten_crop_predict", fn):
        rng = np.random.default_rng(1111)
        for n, h, w, c, crop, k in ((3, 7, 6, 3, 4, 5), (2, 8, 8, 1, 5, 3), (4, 6, 9, 2, 6, 4), (2, 4, 4, 3, 4, 2)):
            images = rng.random((n, h, w, c)).astype(np.float32)
            predict = RecordingPredict(rng.normal(size=(crop * crop * c, k)) * 0.5, crop, c)
            got, rec = call(fn, predict, images.copy(), crop, name="ten_crop_predict",
                            arg_names=["predict_fn", "images", "crop"])
            expect(sum(predict.batches) == 10 * n, f"{rec} gave predict_fn {sum(predict.batches)} crops for {n} "
                   "images.", call=rec, got=sum(predict.batches), expected=10 * n,
                   cause="10 views per image: 5 crops and their 5 mirror images")
            ref_predict = RecordingPredict(predict.weights, crop, c)
            expected = _ten_crop_reference(ref_predict, images.astype(np.float64), crop)
            expect_shape(got, expected.shape, what="probabilities", call=rec,
                         cause="(N, K): one row of averaged class probabilities per image")
            candidates = []
            for variant, cause in TEN_CROP_MISTAKES:
                try:
                    candidates.append((_ten_crop_reference(ref_predict, images.astype(np.float64), crop, variant),
                                       cause))
                except ValueError:
                    pass
            expect_close(got, expected, what="probabilities", call=rec, tol=1e-6, cause=diagnose(got, candidates,
                         tol=1e-6, default="the 4 corners, the centre ((H - crop) // 2, (W - crop) // 2) and the "
                                           "left-right mirrors of those five; probabilities averaged"))
