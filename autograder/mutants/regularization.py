"""Plausible wrong implementations for notebook 05 (regularization).

Each one is a mistake students make with the lectures' formulas or with the
conventions of the notebook (Keras' weight decay, inverted dropout, AlexNet's
colour augmentation, ten-crop testing); the hidden check of the function it
replaces must reject it with a message that names the mistake (``message``),
and the public check too where ``public``.
"""

import math

import numpy as np

from . import Mutant
from .optimization import adam_keras_form, adam_variant


def _defaults(config, **defaults):
    if config is None:
        config = {}
    for k, v in defaults.items():
        config.setdefault(k, v)
    return config


# ---------------------------------------------------------------- l2_penalty

def l2_grad_missing_factor_2(weights, reg):
    return reg * sum(float(np.sum(w * w)) for w in weights), [reg * w for w in weights]


def l2_cs231n_half(weights, reg):
    return 0.5 * reg * sum(float(np.sum(w * w)) for w in weights), [reg * w for w in weights]


def l2_first_array_only(weights, reg):
    return reg * float(np.sum(weights[0] ** 2)) if weights else 0.0, [2 * reg * w for w in weights]


def l2_mean_of_squares(weights, reg):
    return reg * sum(float(np.mean(w * w)) for w in weights), [2 * reg * w for w in weights]


def l2_is_l1(weights, reg):
    return reg * sum(float(np.sum(np.abs(w))) for w in weights), [reg * np.sign(w) for w in weights]


def l2_one_gradient_array(weights, reg):
    loss = reg * sum(float(np.sum(w * w)) for w in weights)
    return loss, (np.concatenate([2 * reg * w.ravel() for w in weights]) if weights else np.zeros(0))


def l2_in_place(weights, reg):
    loss = reg * sum(float(np.sum(w * w)) for w in weights)
    for w in weights:
        w *= 2 * reg
    return loss, list(weights)


# ---------------------------------------------------------------- sgdw

def _sgdw_config(config):
    return _defaults(config, learning_rate=1e-2, weight_decay=4e-3)


def sgdw_decay_without_lr(w, dw, config=None):
    c = _sgdw_config(config)
    return w - c["weight_decay"] * w - c["learning_rate"] * dw, c


def sgdw_decay_after_step(w, dw, config=None):
    c = _sgdw_config(config)
    stepped = w - c["learning_rate"] * dw
    return stepped - c["learning_rate"] * c["weight_decay"] * stepped, c


def sgdw_decay_wrong_sign(w, dw, config=None):
    c = _sgdw_config(config)
    return w + c["learning_rate"] * c["weight_decay"] * w - c["learning_rate"] * dw, c


def sgdw_no_decay(w, dw, config=None):
    c = _sgdw_config(config)
    return w - c["learning_rate"] * dw, c


def sgdw_l2_factor_two(w, dw, config=None):
    """Decay through an L2 gradient 2 * wd * w: twice the decoupled decay."""
    c = _sgdw_config(config)
    return w - c["learning_rate"] * (dw + 2 * c["weight_decay"] * w), c


def sgdw_wrong_default(w, dw, config=None):
    c = _defaults(config, learning_rate=1e-2, weight_decay=5e-4)
    return w - c["learning_rate"] * c["weight_decay"] * w - c["learning_rate"] * dw, c


def sgdw_in_place(w, dw, config=None):
    c = _sgdw_config(config)
    w *= 1 - c["learning_rate"] * c["weight_decay"]
    w -= c["learning_rate"] * dw
    return w, c


# ---------------------------------------------------------------- adamw
# The Adam part of every AdamW mistake is notebook 03's Adam (its mutants' reference ``adam_variant``: the lectures'
# defaults, t incremented first, bias-corrected m and v, epsilon outside the square root, the state in config);
# each mistake varies what 03's flags vary, or the decoupled decay around it.

def _adamw_config(config, **overrides):
    defaults = dict(learning_rate=1e-3, weight_decay=4e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    defaults.update(overrides)
    return _defaults(config, **defaults)


def _decayed(stepped, w, c):
    """The Adam-stepped weights less the decoupled decay of w before the step (AdamW's decay)."""
    return stepped - c["learning_rate"] * c["weight_decay"] * w, c


def adamw_coupled(w, dw, config=None):
    """Adam with L2: the decay goes into the gradient, and through m and v."""
    c = _adamw_config(config)
    return adam_variant(w, dw + c["weight_decay"] * w, c)


def adamw_decay_without_lr(w, dw, config=None):
    c = _adamw_config(config)
    stepped, c = adam_variant(w, dw, c)
    return stepped - c["weight_decay"] * w, c


def adamw_decay_after_step(w, dw, config=None):
    c = _adamw_config(config)
    stepped, c = adam_variant(w, dw, c)
    return _decayed(stepped, stepped, c)


def adamw_decay_with_adam_step_size(w, dw, config=None):
    c = _adamw_config(config)
    stepped, c = adam_variant(w, dw, c)
    alpha = c["learning_rate"] * math.sqrt(1 - c["beta2"] ** c["t"]) / (1 - c["beta1"] ** c["t"])
    return stepped - alpha * c["weight_decay"] * w, c


def adamw_keras_epsilon(w, dw, config=None):
    """Keras' folded form: epsilon added to the square root of the uncorrected v."""
    c = _adamw_config(config)
    return _decayed(adam_keras_form(w, dw, c)[0], w, c)


def adamw_no_bias_correction(w, dw, config=None):
    c = _adamw_config(config)
    return _decayed(adam_variant(w, dw, c, bias=False)[0], w, c)


def adamw_epsilon_inside(w, dw, config=None):
    c = _adamw_config(config)
    return _decayed(adam_variant(w, dw, c, eps_inside=True)[0], w, c)


def adamw_forgets_moments(w, dw, config=None):
    c = _adamw_config(config)
    fresh = {k: v for k, v in c.items() if k not in ("m", "v", "t")}
    stepped, fresh = adam_variant(w, dw, fresh)
    c.update(m=fresh["m"], v=fresh["v"], t=fresh["t"])
    return _decayed(stepped, w, c)


def adamw_no_decay(w, dw, config=None):
    return adam_variant(w, dw, _adamw_config(config))


def adamw_wrong_beta2_default(w, dw, config=None):
    c = _adamw_config(config, beta2=0.99)
    return _decayed(adam_variant(w, dw, c)[0], w, c)


# ---------------------------------------------------------------- dropout_forward

def _drop(x, param, scale=None, keep=None):
    p = param["p"]
    rng = np.random.default_rng(param.get("seed"))
    kept = keep(rng.random(x.shape), p) if keep else rng.random(x.shape) < p
    return kept / (p if scale is None else scale)


def dropout_divides_by_drop_probability(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param, scale=1 - dropout_param["p"])
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_scales_at_test_time_too(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param)
        return x * mask, (dropout_param, mask)
    return x * dropout_param["p"], (dropout_param, None)


def dropout_hard_coded_half(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param, scale=0.5)
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_mask_greater(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param, keep=lambda u, p: u > p)
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_on_in_test_mode(x, dropout_param):
    mask = _drop(x, dropout_param)
    return x * mask, (dropout_param, mask if dropout_param["mode"] == "train" else None)


def dropout_binary_mask_in_cache(x, dropout_param):
    if dropout_param["mode"] == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        keep = rng.random(x.shape) < dropout_param["p"]
        return x * keep / dropout_param["p"], (dropout_param, keep.astype(float))
    return x.copy(), (dropout_param, None)


def dropout_ignores_seed(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = (np.random.default_rng(0).random(x.shape) < dropout_param["p"]) / dropout_param["p"]
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_same_mask_without_seed(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = (np.random.default_rng(dropout_param.get("seed", 0)).random(x.shape) < dropout_param["p"]) \
            / dropout_param["p"]
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_test_mask_of_ones(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param)
        return x * mask, (dropout_param, mask)
    return x.copy(), (dropout_param, np.ones_like(x))


def dropout_in_place(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _drop(x, dropout_param)
        x *= mask
        return x, (dropout_param, mask)
    return x, (dropout_param, None)


# ---------------------------------------------------------------- dropout_backward

def dropout_backward_fresh_mask(dout, cache):
    param, _ = cache
    if param["mode"] == "train":
        return dout * _drop(dout, param)
    return dout.copy()


def dropout_backward_divides_again(dout, cache):
    param, mask = cache
    return dout * mask / param["p"] if param["mode"] == "train" else dout.copy()


def dropout_backward_binary_mask(dout, cache):
    param, mask = cache
    return dout * (mask > 0) if param["mode"] == "train" else dout.copy()


def dropout_backward_scales_test(dout, cache):
    param, mask = cache
    return dout * mask if param["mode"] == "train" else dout * param["p"]


# ---------------------------------------------------------------- fit_pca_color

def _pixels(images, scale_uint8=True, always=False):
    images = np.asarray(images)
    px = images.reshape(-1, 3).astype(np.float64)
    if always or (scale_uint8 and images.dtype == np.uint8):
        px = px / 255.0
    return px


def _eig_desc(cov):
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def pca_per_image(images):
    images = np.asarray(images)
    scale = 1 / 255.0 if images.dtype == np.uint8 else 1.0
    x = images.astype(np.float64) * scale
    px = (x - x.mean(axis=(1, 2), keepdims=True)).reshape(-1, 3)
    return _eig_desc(px.T @ px / len(px))


def pca_on_0_255_pixels(images):
    px = _pixels(images, scale_uint8=False)
    c = px - px.mean(axis=0)
    return _eig_desc(c.T @ c / len(px))


def pca_sqrt_eigenvalues(images):
    px = _pixels(images)
    c = px - px.mean(axis=0)
    vals, vecs = _eig_desc(c.T @ c / len(px))
    return np.sqrt(np.clip(vals, 0, None)), vecs


def pca_ascending(images):
    px = _pixels(images)
    c = px - px.mean(axis=0)
    return np.linalg.eigh(c.T @ c / len(px))


def pca_np_cov(images):
    return _eig_desc(np.cov(_pixels(images).T))


def pca_eigenvectors_as_rows(images):
    px = _pixels(images)
    c = px - px.mean(axis=0)
    vals, vecs = _eig_desc(c.T @ c / len(px))
    return vals, vecs.T


def pca_not_centred(images):
    px = _pixels(images)
    return _eig_desc(px.T @ px / len(px))


def pca_always_divides_by_255(images):
    px = _pixels(images, always=True)
    c = px - px.mean(axis=0)
    return _eig_desc(c.T @ c / len(px))


def pca_package_version(images):
    from course.data import fit_pca_color

    return fit_pca_color(images)


# ---------------------------------------------------------------- pca_color_augment

def _offsets(eigenvalues, eigenvectors, alphas):
    return (alphas * eigenvalues) @ eigenvectors.T


def augment_no_clip(images, eigenvalues, eigenvectors, alphas):
    return images + _offsets(eigenvalues, eigenvectors, alphas)[:, None, None, :]


def augment_alphas_over_pixels(images, eigenvalues, eigenvectors, alphas):
    """The (N, 3) offsets added as they are: they broadcast along each image's width."""
    return np.clip(images + _offsets(eigenvalues, eigenvectors, alphas), 0.0, 1.0)


def augment_one_offset_for_all(images, eigenvalues, eigenvectors, alphas):
    return np.clip(images + _offsets(eigenvalues, eigenvectors, alphas)[0], 0.0, 1.0)


def augment_eigenvectors_as_rows(images, eigenvalues, eigenvectors, alphas):
    return np.clip(images + ((alphas * eigenvalues) @ eigenvectors)[:, None, None, :], 0.0, 1.0)


def augment_sqrt_eigenvalues(images, eigenvalues, eigenvectors, alphas):
    return np.clip(images + _offsets(np.sqrt(eigenvalues), eigenvectors, alphas)[:, None, None, :], 0.0, 1.0)


def augment_package_offsets(images, eigenvalues, eigenvectors, alphas):
    from course.data import pca_color_offsets

    return np.clip(images + pca_color_offsets(eigenvalues, eigenvectors, alphas)[:, None, None, :], 0.0, 1.0)


def augment_in_place(images, eigenvalues, eigenvectors, alphas):
    images += _offsets(eigenvalues, eigenvectors, alphas)[:, None, None, :]
    np.clip(images, 0.0, 1.0, out=images)
    return images


# ---------------------------------------------------------------- random_crop_flip

def _crop(images, crop, rows, cols, flips, axis=2):
    out = []
    for k in range(len(images)):
        patch = images[k, rows[k]:rows[k] + crop, cols[k]:cols[k] + crop]
        out.append(np.flip(patch, axis=axis - 1) if flips[k] else patch)
    return np.stack(out)


def crop_one_offset_per_batch(images, crop, rng):
    n, h, w = images.shape[:3]
    i, j = rng.integers(0, h - crop + 1), rng.integers(0, w - crop + 1)
    return _crop(images, crop, [i] * n, [j] * n, rng.random(n) < 0.5)


def crop_flips_vertically(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, rng.integers(0, h - crop + 1, n), rng.integers(0, w - crop + 1, n),
                 rng.random(n) < 0.5, axis=1)


def crop_last_offset_never_drawn(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, rng.integers(0, max(1, h - crop), n), rng.integers(0, max(1, w - crop), n),
                 rng.random(n) < 0.5)


def crop_global_random(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, np.random.randint(0, h - crop + 1, n), np.random.randint(0, w - crop + 1, n),
                 np.random.rand(n) < 0.5)


def crop_never_flips(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, rng.integers(0, h - crop + 1, n), rng.integers(0, w - crop + 1, n), [False] * n)


def crop_one_flip_per_batch(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, rng.integers(0, h - crop + 1, n), rng.integers(0, w - crop + 1, n),
                 [rng.random() < 0.5] * n)


def crop_from_the_next_image(images, crop, rng):
    return random_crop_flip_reference(np.roll(images, 1, axis=0), crop, rng)


def crop_to_float(images, crop, rng):
    return random_crop_flip_reference(images, crop, rng).astype(np.float64)


def random_crop_flip_reference(images, crop, rng):
    n, h, w = images.shape[:3]
    return _crop(images, crop, rng.integers(0, h - crop + 1, n), rng.integers(0, w - crop + 1, n),
                 rng.random(n) < 0.5)


# ---------------------------------------------------------------- early_stopping_epoch

def _stopping(losses, patience, min_delta=0.0, limit_shift=0, restore_last=False, use_delta=True,
              stop_on_nan=True, never_stop_end=None, ties_last=False, against_previous=False):
    best, best_epoch, wait = None, 0, 0
    for epoch, loss in enumerate(losses):
        loss = float(loss)
        if stop_on_nan and not math.isfinite(loss):
            return epoch, epoch if restore_last else best_epoch
        delta = min_delta if use_delta else 0.0
        if against_previous:
            better = epoch == 0 or loss < float(losses[epoch - 1]) - delta
        elif ties_last:
            better = best is None or loss <= best - delta
        else:
            better = best is None or loss < best - delta
        if better:
            best, best_epoch, wait = loss, epoch, 0
            continue
        wait += 1
        if wait >= patience + limit_shift:
            return epoch, epoch if restore_last else best_epoch
    last = len(losses) - 1
    return (last if never_stop_end is None else never_stop_end(losses)), (last if restore_last else best_epoch)


def stopping_patience_plus_one(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, limit_shift=1)


def stopping_patience_minus_one(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, limit_shift=-1)


def stopping_restores_last(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, restore_last=True)


def stopping_ignores_min_delta(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, use_delta=False)


def stopping_nan_not_handled(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, stop_on_nan=False)


def stopping_never_stop_returns_length(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, never_stop_end=len)


def stopping_ties_count_as_improvement(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, ties_last=True)


def stopping_against_previous_epoch(val_losses, patience, min_delta=0.0):
    return _stopping(val_losses, patience, min_delta, against_previous=True)


# ---------------------------------------------------------------- ensemble_predict

def ensemble_votes(probabilities):
    p = np.asarray(probabilities)
    return np.mean(np.eye(p.shape[-1])[p.argmax(axis=-1)], axis=0)


def ensemble_mean_of_labels(probabilities):
    return np.mean(np.argmax(np.asarray(probabilities), axis=-1), axis=0)


def ensemble_geometric_mean(probabilities):
    g = np.exp(np.mean(np.log(np.asarray(probabilities, dtype=np.float64)), axis=0))
    return g / g.sum(axis=-1, keepdims=True)


def ensemble_wrong_axis(probabilities):
    return np.mean(np.asarray(probabilities, dtype=np.float64), axis=1)


def ensemble_median(probabilities):
    return np.median(np.asarray(probabilities, dtype=np.float64), axis=0)


# ---------------------------------------------------------------- ten_crop_predict

def _views(images, crop, centre=None, mirror=True, vertical=False):
    n, h, w = images.shape[:3]
    centre = ((h - crop) // 2, (w - crop) // 2) if centre is None else centre(h, w, crop)
    views = []
    for i, j in [(0, 0), (0, w - crop), (h - crop, 0), (h - crop, w - crop), centre]:
        v = images[:, i:i + crop, j:j + crop]
        views.append(v)
        if mirror:
            views.append(v[:, ::-1] if vertical else v[:, :, ::-1])
    return views


def ten_crop_without_mirrors(predict_fn, images, crop):
    return np.mean([predict_fn(v) for v in _views(images, crop, mirror=False)], axis=0)


def ten_crop_argmax_first(predict_fn, images, crop):
    probs = [np.asarray(predict_fn(v)) for v in _views(images, crop)]
    return np.mean([np.eye(p.shape[1])[p.argmax(axis=1)] for p in probs], axis=0)


def ten_crop_vertical_mirrors(predict_fn, images, crop):
    return np.mean([predict_fn(v) for v in _views(images, crop, vertical=True)], axis=0)


def ten_crop_centre_rounded_up(predict_fn, images, crop):
    centre = lambda h, w, c: (-(-(h - c) // 2), -(-(w - c) // 2))  # noqa: E731
    return np.mean([predict_fn(v) for v in _views(images, crop, centre=centre)], axis=0)


def ten_crop_average_log_probabilities(predict_fn, images, crop):
    g = np.exp(np.mean([np.log(predict_fn(v)) for v in _views(images, crop)], axis=0))
    return g / g.sum(axis=1, keepdims=True)


def ten_crop_package_version(predict_fn, images, crop):
    from course.data import tta_predict

    return tta_predict(predict_fn, images, views="crops10", normalize=None)


FIVE = "only the 5 crops"

MUTANTS = [
    # l2_penalty
    Mutant("l2_penalty", "grad_missing_factor_2", "gradient reg * w, as if the penalty were 0.5 * reg * w**2",
           l2_grad_missing_factor_2, "factor 2 is missing", public=True),
    Mutant("l2_penalty", "cs231n_half", "CS231n's 0.5 * reg * sum(w**2) (and its gradient reg * w)",
           l2_cs231n_half, "CS231n's 0.5", public=True),
    Mutant("l2_penalty", "first_array_only", "penalises only the first array", l2_first_array_only,
           "only the first array is penalised", public=True),
    Mutant("l2_penalty", "mean_of_squares", "np.mean of the squares instead of np.sum", l2_mean_of_squares,
           "averaged", public=True),
    Mutant("l2_penalty", "l1", "the L1 penalty", l2_is_l1, "that is L1", public=True),
    Mutant("l2_penalty", "one_gradient_array", "all gradients concatenated into one array", l2_one_gradient_array,
           "one gradient per array", public=True),
    Mutant("l2_penalty", "in_place", "scales the caller's weights in place to build the gradients", l2_in_place,
           "modified its input", public=True),
    # sgdw
    Mutant("sgdw", "decay_without_lr", "w - weight_decay * w: the decay is not scaled by the learning rate",
           sgdw_decay_without_lr, "not scaled by the learning rate", public=True),
    Mutant("sgdw", "decay_after_step", "decays the updated weights (after the step), unlike Keras",
           sgdw_decay_after_step, "applied after the step", public=True),
    Mutant("sgdw", "decay_wrong_sign", "adds the decay", sgdw_decay_wrong_sign, "wrong sign", public=True),
    Mutant("sgdw", "no_decay", "plain SGD", sgdw_no_decay, "no weight decay", public=True),
    Mutant("sgdw", "l2_factor_two", "decay through an L2 gradient 2 * wd * w (twice the decoupled decay)",
           sgdw_l2_factor_two, "decay is doubled"),
    Mutant("sgdw", "wrong_default", "weight_decay defaults to 5e-4", sgdw_wrong_default,
           "default 'weight_decay'", public=True),
    Mutant("sgdw", "in_place", "updates w in place", sgdw_in_place, "modified its input", public=True),
    # adamw
    Mutant("adamw", "coupled", "Adam with L2: the decay goes through the gradient into m and v", adamw_coupled,
           "goes through the gradient", public=True),
    Mutant("adamw", "decay_without_lr", "w - weight_decay * w: the decay is not scaled by the learning rate",
           adamw_decay_without_lr, "not scaled by the learning rate", public=True),
    Mutant("adamw", "decay_after_step", "decays the weights after the Adam step, unlike Keras",
           adamw_decay_after_step, "applied after the step", public=True),
    Mutant("adamw", "decay_with_adam_step_size", "the decay scaled by Adam's bias-corrected step size",
           adamw_decay_with_adam_step_size, "bias-corrected step size"),
    Mutant("adamw", "keras_epsilon", "Keras' folded bias correction (epsilon on the uncorrected sqrt(v))",
           adamw_keras_epsilon, "folded into the learning rate"),
    Mutant("adamw", "no_bias_correction", "m and v without bias correction", adamw_no_bias_correction,
           "no bias correction"),
    Mutant("adamw", "epsilon_inside", "np.sqrt(v_hat + epsilon)", adamw_epsilon_inside,
           "epsilon is inside the square root"),
    Mutant("adamw", "forgets_moments", "m, v and t start from zero at every call", adamw_forgets_moments,
           "not carried"),
    Mutant("adamw", "no_decay", "plain Adam", adamw_no_decay, "no weight decay", public=True),
    Mutant("adamw", "wrong_beta2_default", "beta2 defaults to 0.99", adamw_wrong_beta2_default,
           "default 'beta2'", public=True),
    # dropout_forward
    Mutant("dropout_forward", "divides_by_drop_probability", "mask / (1 - p): p read as the drop probability",
           dropout_divides_by_drop_probability, "divided by 1 - p", public=True),
    Mutant("dropout_forward", "scales_at_test_time_too", "inverted dropout that also multiplies by p at test time",
           dropout_scales_at_test_time_too, "scaled by p at test time", public=True),
    Mutant("dropout_forward", "hard_coded_half", "divides by 0.5 whatever p is", dropout_hard_coded_half,
           "hard-coded 0.5", public=True),
    Mutant("dropout_forward", "mask_greater", "mask = rng.random(shape) > p (keeps with probability 1 - p)",
           dropout_mask_greater, "drawn with >", public=True),
    Mutant("dropout_forward", "on_in_test_mode", "applies the mask in test mode too", dropout_on_in_test_mode,
           "switched off in test mode", public=True),
    Mutant("dropout_forward", "binary_mask_in_cache", "caches the 0/1 mask, not the one divided by p",
           dropout_binary_mask_in_cache, "divided by p already", public=True),
    Mutant("dropout_forward", "ignores_seed", "always np.random.default_rng(0)", dropout_ignores_seed,
           "same mask for another seed", public=True),
    Mutant("dropout_forward", "same_mask_without_seed", "seed 0 when none is given",
           dropout_same_mask_without_seed, "same mask twice without a seed", public=True),
    Mutant("dropout_forward", "test_mask_of_ones", "caches a mask of ones in test mode", dropout_test_mask_of_ones,
           "must store None", public=True),
    Mutant("dropout_forward", "in_place", "x *= mask", dropout_in_place, "modified its input", public=True),
    # dropout_backward
    Mutant("dropout_backward", "fresh_mask", "draws a new mask (from the seed) instead of using the cache's",
           dropout_backward_fresh_mask, "new mask", public=True),
    Mutant("dropout_backward", "divides_again", "dout * mask / p", dropout_backward_divides_again,
           "already divided by p", public=True),
    Mutant("dropout_backward", "binary_mask", "dout * (mask > 0)", dropout_backward_binary_mask,
           "multiply by the mask itself", public=True),
    Mutant("dropout_backward", "scales_test", "multiplies by p in test mode", dropout_backward_scales_test,
           "dout unchanged", public=True),
    # fit_pca_color
    Mutant("fit_pca_color", "per_image", "each image centred on its own mean colour", pca_per_image,
           "own mean colour", public=True),
    Mutant("fit_pca_color", "on_0_255_pixels", "uint8 pixels not scaled to [0, 1]", pca_on_0_255_pixels,
           "scaled to [0, 1] first", public=True),
    Mutant("fit_pca_color", "sqrt_eigenvalues", "returns the square roots of the eigenvalues", pca_sqrt_eigenvalues,
           "square roots", public=True),
    Mutant("fit_pca_color", "ascending", "np.linalg.eigh's ascending order", pca_ascending, "descending order",
           public=True),
    Mutant("fit_pca_color", "np_cov", "np.cov (divides by N - 1)", pca_np_cov, "N - 1", public=True),
    Mutant("fit_pca_color", "eigenvectors_as_rows", "returns the transpose of the eigenvector matrix",
           pca_eigenvectors_as_rows, "as rows", public=True),
    Mutant("fit_pca_color", "not_centred", "the second moment instead of the covariance", pca_not_centred,
           "not centred", public=True),
    Mutant("fit_pca_color", "always_divides_by_255", "divides float images by 255 too", pca_always_divides_by_255,
           "only for uint8", public=True),
    Mutant("fit_pca_color", "package_version", "calls course.data.fit_pca_color", pca_package_version,
           "not available while this check runs", public=True),
    # pca_color_augment
    Mutant("pca_color_augment", "no_clip", "forgets the clipping to [0, 1]", augment_no_clip, "not clipped",
           public=True),
    Mutant("pca_color_augment", "alphas_over_pixels", "adds the (N, 3) offsets without reshaping (they broadcast "
           "over the pixels of a row instead of over the images)", augment_alphas_over_pixels,
           "broadcast along the width", public=True),
    Mutant("pca_color_augment", "one_offset_for_all", "the offset of image 0 for every image",
           augment_one_offset_for_all, "offset of image 0", public=True),
    Mutant("pca_color_augment", "eigenvectors_as_rows", "(alphas * eigenvalues) @ eigenvectors",
           augment_eigenvectors_as_rows, "used as rows", public=True),
    Mutant("pca_color_augment", "sqrt_eigenvalues", "alphas times the square roots of the eigenvalues",
           augment_sqrt_eigenvalues, "sqrt(eigenvalues)", public=True),
    Mutant("pca_color_augment", "package_offsets", "calls course.data.pca_color_offsets", augment_package_offsets,
           "not available while this check runs", public=True),
    Mutant("pca_color_augment", "in_place", "adds to the caller's images", augment_in_place, "modified its input",
           public=True),
    # random_crop_flip
    Mutant("random_crop_flip", "one_offset_per_batch", "one crop offset for the whole batch (keras' RandomCrop)",
           crop_one_offset_per_batch, "same offset", public=True),
    Mutant("random_crop_flip", "flips_vertically", "mirrors along the height (axis 1)", crop_flips_vertically,
           "upside down", public=True),
    Mutant("random_crop_flip", "last_offset_never_drawn", "rng.integers(0, H - crop): the last offset never occurs",
           crop_last_offset_never_drawn, "never used some", public=True),
    Mutant("random_crop_flip", "global_random", "draws from np.random instead of rng", crop_global_random,
           "global random generator", public=True),
    Mutant("random_crop_flip", "never_flips", "crops only", crop_never_flips, "about half should be mirrored",
           public=True),
    Mutant("random_crop_flip", "one_flip_per_batch", "one coin for the whole batch", crop_one_flip_per_batch,
           "about half should be mirrored", public=True),
    Mutant("random_crop_flip", "from_the_next_image", "crops of the wrong images", crop_from_the_next_image,
           "must be a crop of images[n]", public=True),
    Mutant("random_crop_flip", "to_float", "returns float64 crops", crop_to_float, "changed the dtype", public=True),
    # early_stopping_epoch
    Mutant("early_stopping_epoch", "patience_plus_one", "stops one epoch late", stopping_patience_plus_one,
           "off by one", public=True),
    Mutant("early_stopping_epoch", "patience_minus_one", "stops one epoch early", stopping_patience_minus_one,
           "off by one", public=True),
    Mutant("early_stopping_epoch", "restores_last", "returns the last epoch as the one restored",
           stopping_restores_last, "not the last", public=True),
    Mutant("early_stopping_epoch", "ignores_min_delta", "any decrease counts as an improvement",
           stopping_ignores_min_delta, "min_delta is ignored", public=True),
    Mutant("early_stopping_epoch", "nan_not_handled", "a NaN loss just counts as no improvement",
           stopping_nan_not_handled, "stops training at once", public=True),
    Mutant("early_stopping_epoch", "never_stop_returns_length", "len(val_losses) for a run that never stops",
           stopping_never_stop_returns_length, "last epoch's index", public=True),
    Mutant("early_stopping_epoch", "ties_count_as_improvement", "loss <= best counts as an improvement",
           stopping_ties_count_as_improvement, "ties", public=True),
    Mutant("early_stopping_epoch", "against_previous_epoch", "compares each loss with the previous epoch's",
           stopping_against_previous_epoch, "previous epoch's"),
    # ensemble_predict
    Mutant("ensemble_predict", "votes", "majority vote: averages the one-hot argmax labels", ensemble_votes,
           "fractions of votes", public=True),
    Mutant("ensemble_predict", "mean_of_labels", "averages the argmax labels", ensemble_mean_of_labels,
           "no argmax", public=True),
    Mutant("ensemble_predict", "geometric_mean", "averages log-probabilities as if they were logits",
           ensemble_geometric_mean, "geometric mean", public=True),
    Mutant("ensemble_predict", "wrong_axis", "averages over the examples (axis 1)", ensemble_wrong_axis,
           "members (axis 0)", public=True),
    Mutant("ensemble_predict", "median", "the median of the members", ensemble_median, "median"),
    # ten_crop_predict
    Mutant("ten_crop_predict", "without_mirrors", "the 5 crops only", ten_crop_without_mirrors, "mirror images",
           public=True),
    Mutant("ten_crop_predict", "argmax_first", "averages the views' argmax labels", ten_crop_argmax_first,
           "argmax is taken before averaging", public=True),
    Mutant("ten_crop_predict", "vertical_mirrors", "mirrors along the height", ten_crop_vertical_mirrors,
           "upside down", public=True),
    Mutant("ten_crop_predict", "centre_rounded_up", "the centre offset rounded up", ten_crop_centre_rounded_up,
           "rounded down", public=True),
    Mutant("ten_crop_predict", "average_log_probabilities", "averages log-probabilities",
           ten_crop_average_log_probabilities, "log-probabilities"),
    Mutant("ten_crop_predict", "package_version", "calls course.data.tta_predict", ten_crop_package_version,
           "not available while this check runs", public=True),
]
