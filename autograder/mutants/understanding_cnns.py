"""Plausible wrong implementations for notebook 07 (understanding and breaking CNNs).

Each one is a mistake students make with the lectures' definitions of
occlusion maps, saliency maps (Simonyan et al.), class visualization,
fooling a linear classifier and the fast gradient sign method (Goodfellow
et al.). The hidden check of the function it replaces must reject it with a
message that names the mistake (``message``), and the public check too where
``public``.
"""

import numpy as np

from . import Mutant


def _tf():
    import tensorflow as tf

    return tf


# ---------------------------------------------------------------- shared pieces


def _gradient(model, x, objective, training=False):
    """d objective(scores) / d x for a batch x (float32), as a numpy array."""
    tf = _tf()
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(model(x, training=training))
    return tape.gradient(value, x).numpy()


def _pick(scores, labels):
    tf = _tf()
    return tf.gather(scores, tf.constant(np.asarray(labels), dtype=tf.int32), axis=1, batch_dims=1)


def _logit_sum(labels):
    return lambda s: _tf().reduce_sum(_pick(s, labels))


def _loss_sum(labels, from_logits=True):
    tf = _tf()
    if from_logits:
        return lambda s: tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(np.asarray(labels), dtype=tf.int32), logits=s))
    return lambda s: tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(labels, s, from_logits=False))


# ---------------------------------------------------------------- occlusion_map


def _positions(size, patch, stride, kind="valid"):
    if kind == "early":
        return range(0, size - patch, stride)
    if kind == "overhang":
        return range(0, size, stride)
    return range(0, size - patch + 1, stride)


def _occlusion(predict_fn, image, label, patch, stride, fill, *, kind="valid", fresh=True, fill_value=None,
               channel=None, predicted_class=False, drop=False):
    H, W = image.shape[:2]
    tops, lefts = _positions(H, patch, stride, kind), _positions(W, patch, stride, kind)
    if predicted_class:
        label = int(np.argmax(predict_fn(image[None])[0]))
    work = image.copy()
    heat = np.empty((len(tops), len(lefts)))
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            occluded = image.copy() if fresh else work
            value = fill if fill_value is None else fill_value
            if channel is None:
                occluded[top:top + patch, left:left + patch] = value
            else:
                occluded[top:top + patch, left:left + patch, channel] = np.ravel(value)[0]
            heat[i, j] = predict_fn(occluded[None])[0, label]
    if drop:
        heat = predict_fn(image[None])[0, label] - heat
    return heat


def occlusion_zero_fill(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, fill_value=0.0)


def occlusion_stops_early(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, kind="early")


def occlusion_overhangs(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, kind="overhang")


def occlusion_transposed(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill).T


def occlusion_swapped_indices(predict_fn, image, label, patch, stride, fill):
    H, W = image.shape[:2]
    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1
    heat = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            occluded = image.copy()
            occluded[j * stride:j * stride + patch, i * stride:i * stride + patch] = fill   # row index <- j
            heat[i, j] = predict_fn(occluded[None])[0, label]
    return heat


def occlusion_drop(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, drop=True)


def occlusion_accumulates(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, fresh=False)


def occlusion_predicted_class(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, predicted_class=True)


def occlusion_first_channel(predict_fn, image, label, patch, stride, fill):
    return _occlusion(predict_fn, image, label, patch, stride, fill, channel=0)


def occlusion_in_place(predict_fn, image, label, patch, stride, fill):
    """Occludes the caller's image itself and never puts the pixels back."""
    H, W = image.shape[:2]
    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1
    heat = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            image[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
            heat[i, j] = predict_fn(image[None])[0, label]
    return heat


# ---------------------------------------------------------------- saliency_map


def saliency_signed(model, images, labels):
    return _gradient(model, images, _logit_sum(labels)).max(axis=-1)


def saliency_probability(model, images, labels):
    tf = _tf()
    return np.abs(_gradient(model, images, lambda s: tf.reduce_sum(_pick(tf.nn.softmax(s), labels)))).max(axis=-1)


def saliency_loss(model, images, labels):
    return np.abs(_gradient(model, images, _loss_sum(labels))).max(axis=-1)


def saliency_mean_channels(model, images, labels):
    return np.abs(_gradient(model, images, _logit_sum(labels))).mean(axis=-1)


def saliency_max_before_abs(model, images, labels):
    return np.abs(_gradient(model, images, _logit_sum(labels)).max(axis=-1))


def saliency_training_mode(model, images, labels):
    return np.abs(_gradient(model, images, _logit_sum(labels), training=True)).max(axis=-1)


def saliency_predicted_class(model, images, labels):
    predicted = np.argmax(np.asarray(model(images, training=False)), axis=1)
    return np.abs(_gradient(model, images, _logit_sum(predicted))).max(axis=-1)


def saliency_all_scores(model, images, labels):
    return np.abs(_gradient(model, images, lambda s: _tf().reduce_sum(s))).max(axis=-1)


def saliency_no_channel_max(model, images, labels):
    return np.abs(_gradient(model, images, _logit_sum(labels)))


# ---------------------------------------------------------------- class_visualization_step


def _visualization(model, image, target, l2_reg, learning_rate, *, ascent=True, l2_sign=1.0, l2_factor=2.0,
                   normalize="l2", objective="logit", training=False, reg_after=False):
    tf = _tf()
    if objective == "logit":
        score = _logit_sum([target])
    else:
        score = lambda s: tf.reduce_sum(_pick(tf.nn.softmax(s), [target]))   # noqa: E731
    score_grad = _gradient(model, image[None], score, training=training)[0]
    reg = l2_sign * l2_factor * l2_reg * image
    if reg_after:
        step = score_grad / np.linalg.norm(score_grad) - reg
    else:
        g = score_grad - reg
        step = {"l2": g / (np.linalg.norm(g) + 1e-12), "sum": g / np.sum(g), "max": g / np.max(np.abs(g)),
                "none": g}[normalize]
    return image + (1 if ascent else -1) * learning_rate * step


def visualization_descends(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, ascent=False)


def visualization_l2_sign(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, l2_sign=-1.0)


def visualization_no_factor_2(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, l2_factor=1.0)


def visualization_sum_normalised(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, normalize="sum")


def visualization_max_normalised(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, normalize="max")


def visualization_not_normalised(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, normalize="none")


def visualization_reg_after(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, reg_after=True)


def visualization_probability(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, objective="probability")


def visualization_training_mode(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate, training=True)


def visualization_batch_axis(model, image, target, l2_reg, learning_rate):
    return _visualization(model, image, target, l2_reg, learning_rate)[None]


def visualization_in_place(model, image, target, l2_reg, learning_rate):
    image += _visualization(model, image, target, l2_reg, learning_rate) - image
    return image


# ---------------------------------------------------------------- fool_linear


def fool_predicted_class(x, W, target, alpha):
    return x + alpha * W[:, np.argmax(x @ W, axis=-1)].T


def fool_difference(x, W, target, alpha):
    predicted = np.argmax(x @ W, axis=-1)
    return x + alpha * (W[:, np.broadcast_to(target, np.shape(predicted))] - W[:, predicted]).T


def fool_row_of_w(x, W, target, alpha):
    return x + alpha * W[target]            # as if W were (C, D)


def fool_minus(x, W, target, alpha):
    return x - alpha * W[:, target].T


def fool_sign(x, W, target, alpha):
    return x + alpha * np.sign(W[:, target]).T


def fool_normalised(x, W, target, alpha):
    w = W[:, target]
    return x + alpha * (w / np.linalg.norm(w, axis=0)).T


def fool_first_target(x, W, target, alpha):
    return x + alpha * W[:, np.atleast_1d(target)[0]]


def fool_in_place(x, W, target, alpha):
    x += alpha * W[:, target].T
    return x


# ---------------------------------------------------------------- fgsm


def _fgsm(model, x, y, eps, clip, *, sign=True, direction=1.0, do_clip=True, eps_scale=1.0, scale_by_range=False,
          labels="true", from_logits=True, training=False, fixed_clip=False):
    if labels == "predicted":
        y = np.argmax(np.asarray(model(x, training=False)), axis=1)
    g = _gradient(model, x, _loss_sum(y, from_logits=from_logits), training=training)
    step = np.sign(g) if sign else g
    if clip is not None and scale_by_range:
        eps = eps * (clip[1] - clip[0])
    out = x + direction * eps * eps_scale * step
    if fixed_clip:
        return np.clip(out, 0.0, 1.0)
    if clip is not None and do_clip:
        out = np.clip(out, clip[0], clip[1])
    return out


def fgsm_raw_gradient(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, sign=False)


def fgsm_wrong_sign(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, direction=-1.0)


def fgsm_no_clip(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, do_clip=False)


def fgsm_eps_over_255(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, eps_scale=1 / 255)


def fgsm_eps_times_range(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, scale_by_range=True)


def fgsm_predicted_labels(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, labels="predicted")


def fgsm_loss_of_probabilities(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, from_logits=False)


def fgsm_training_mode(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, training=True)


def fgsm_fixed_clip(model, x, y, eps, clip=(0.0, 1.0)):
    return _fgsm(model, x, y, eps, clip, fixed_clip=True)


def fgsm_in_place(model, x, y, eps, clip=(0.0, 1.0)):
    x += _fgsm(model, x, y, eps, clip) - x
    return x


# ---------------------------------------------------------------- the catalogue

TRAINING = "the model was called in training mode"

MUTANTS = [
    Mutant("occlusion_map", "zero_fill", "fills the patch with zeros whatever `fill` is",
           occlusion_zero_fill, "filled with zeros"),
    Mutant("occlusion_map", "stops_early", "range(0, H - patch, stride): misses the last position",
           occlusion_stops_early, "stops one position early"),
    Mutant("occlusion_map", "overhangs", "range(0, H, stride): patches that overhang the border",
           occlusion_overhangs, "overhangs the border"),
    Mutant("occlusion_map", "transposed", "returns the map with rows and columns swapped",
           occlusion_transposed, "rows and columns are swapped", public=False),
    Mutant("occlusion_map", "swapped_indices", "places the patch at (column, row) instead of (row, column)",
           occlusion_swapped_indices, "rows and columns are swapped"),
    Mutant("occlusion_map", "drop", "returns the drop in probability instead of the probability",
           occlusion_drop, "drop in probability"),
    Mutant("occlusion_map", "accumulates", "occludes one shared copy: the patches pile up",
           occlusion_accumulates, "the patches accumulate"),
    Mutant("occlusion_map", "predicted_class", "maps the predicted class instead of `label`",
           occlusion_predicted_class, "predicts for the clean image"),
    Mutant("occlusion_map", "first_channel", "fills only the first channel",
           occlusion_first_channel, "set to `fill`"),
    Mutant("occlusion_map", "in_place", "occludes the caller's image without restoring it",
           occlusion_in_place, "modified its input `image` in place", public=True),

    Mutant("saliency_map", "signed", "keeps the sign of the gradient",
           saliency_signed, "the sign of the gradient is kept"),
    Mutant("saliency_map", "probability", "the gradient of the softmax probability instead of the logit",
           saliency_probability, "softmax probability"),
    Mutant("saliency_map", "loss", "the gradient of the cross-entropy loss instead of the logit",
           saliency_loss, "cross-entropy loss"),
    Mutant("saliency_map", "mean_channels", "the mean over channels instead of the maximum",
           saliency_mean_channels, "channels are averaged"),
    Mutant("saliency_map", "max_before_abs", "the maximum over channels taken before the absolute value",
           saliency_max_before_abs, "before the absolute value"),
    Mutant("saliency_map", "training_mode", "calls the model with training=True",
           saliency_training_mode, TRAINING, public=True),
    Mutant("saliency_map", "predicted_class", "the predicted class's score instead of the label's",
           saliency_predicted_class, "predicted class"),
    Mutant("saliency_map", "all_scores", "the gradient of the sum of all class scores",
           saliency_all_scores, "sum of all class scores"),
    Mutant("saliency_map", "no_channel_max", "returns |gradient| with its channel axis",
           saliency_no_channel_max, "one map per image", public=False),

    Mutant("class_visualization_step", "descends", "steps down the objective (x - lr * g)",
           visualization_descends, "gradient *ascent*"),
    Mutant("class_visualization_step", "l2_sign", "+ l2_reg * ||x||^2: the L2 term with the wrong sign",
           visualization_l2_sign, "the L2 term has the wrong sign"),
    Mutant("class_visualization_step", "no_factor_2", "l2_reg * x as the gradient of l2_reg * ||x||^2",
           visualization_no_factor_2, "the factor 2 is missing"),
    Mutant("class_visualization_step", "sum_normalised", "the gradient divided by its sum",
           visualization_sum_normalised, "divided by its sum", public=False),
    Mutant("class_visualization_step", "max_normalised", "the gradient divided by its largest entry",
           visualization_max_normalised, "divided by its largest entry"),
    Mutant("class_visualization_step", "not_normalised", "the raw gradient step",
           visualization_not_normalised, "not normalised"),
    Mutant("class_visualization_step", "reg_after", "normalises the score's gradient only, then adds the L2 term",
           visualization_reg_after, "only the score's gradient is normalised"),
    Mutant("class_visualization_step", "probability", "the gradient of the softmax probability",
           visualization_probability, "softmax probability"),
    Mutant("class_visualization_step", "training_mode", "calls the model with training=True",
           visualization_training_mode, TRAINING, public=True),
    Mutant("class_visualization_step", "batch_axis", "returns the image with its batch axis (1, H, W, C)",
           visualization_batch_axis, "return one image (H, W, C)", public=True),
    Mutant("class_visualization_step", "in_place", "updates the image in place",
           visualization_in_place, "modified its input `image` in place", public=True),

    Mutant("fool_linear", "predicted_class", "adds the weights of the predicted class",
           fool_predicted_class, "weights of the predicted class"),
    Mutant("fool_linear", "difference", "adds the difference w_target - w_predicted",
           fool_difference, "difference of two classes' weights"),
    Mutant("fool_linear", "row_of_w", "takes W[target], as if W were (C, D)",
           fool_row_of_w, "W is indexed as W[target], the row"),
    Mutant("fool_linear", "minus", "subtracts the weights", fool_minus, "the step goes the wrong way"),
    Mutant("fool_linear", "sign", "adds alpha * sign(w_target)", fool_sign, "the sign of the weights"),
    Mutant("fool_linear", "normalised", "adds alpha * w_target / ||w_target||", fool_normalised,
           "normalised to length 1"),
    Mutant("fool_linear", "first_target", "uses the first target for every row of a batch",
           fool_first_target, "every row uses the first target"),
    Mutant("fool_linear", "in_place", "x += alpha * w_target", fool_in_place,
           "modified its input `x` in place", public=True),

    Mutant("fgsm", "raw_gradient", "x + eps * gradient (no sign)", fgsm_raw_gradient, "raw gradient"),
    Mutant("fgsm", "wrong_sign", "x - eps * sign(gradient): descends the loss", fgsm_wrong_sign,
           "the step has the wrong sign", public=True),
    Mutant("fgsm", "no_clip", "does not clip to the valid range", fgsm_no_clip, "is not clipped", public=True),
    Mutant("fgsm", "eps_over_255", "divides eps by 255 ('pixels are in 0..255')", fgsm_eps_over_255,
           "eps was divided by 255", public=True),
    Mutant("fgsm", "eps_times_range", "scales eps by the width of the clip range", fgsm_eps_times_range,
           "scaled by the width of the clip range", public=True),
    Mutant("fgsm", "predicted_labels", "the loss of the predicted classes instead of the labels",
           fgsm_predicted_labels, "predicted classes"),
    Mutant("fgsm", "loss_of_probabilities", "cross-entropy with from_logits=False on the logits",
           fgsm_loss_of_probabilities, "logits as probabilities"),
    Mutant("fgsm", "training_mode", "calls the model with training=True", fgsm_training_mode, TRAINING,
           public=True),
    Mutant("fgsm", "fixed_clip", "always clips to [0, 1], whatever `clip` is", fgsm_fixed_clip,
           "x_adv = clip(x + eps * sign"),
    Mutant("fgsm", "in_place", "x += eps * sign(gradient)", fgsm_in_place, "modified its input `x` in place",
           public=True),
]
