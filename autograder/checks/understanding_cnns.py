"""Hidden checks for notebook 07 (understanding and breaking CNNs).

Each graded function is run on seeded inputs the public checks do not use:
small convolutional Keras models with fixed random weights (a convolution,
batch normalisation, tanh, pooling, dropout and a dense layer of class
scores), random images, and occlusion geometries where the common off-by-one
mistakes change the map's shape. The expected values come from the reference
implementations below (TensorFlow gradients, as the notebook's solution);
on a mismatch the check computes the known wrong formulas on the same inputs
(``course.check.core.diagnose``) and names the one the student's result
matches. A function that changes the model's weights (a model called in
training mode updates batch normalisation's moving statistics) is rejected
before its values are compared.

These checks hold reference implementations: they are never shipped.
"""

import numpy as np

from course.check.core import CheckFailure, call, describe, diagnose, expect, expect_close, expect_shape, matches
from course.check.understanding_cnns import (
    GRAD_TOL, SoftmaxPredictor, call_with_model, expect_map, linear_model,
)

# --------------------------------------------------------------------------- fixtures


def _rng(seed):
    return np.random.default_rng(seed)


def conv_model(seed, input_shape, num_classes, dropout=0.25):
    """A small CNN of class scores with fixed random weights: conv 3x3 - BN - tanh - avg-pool 2 - dropout - dense.

    tanh (smooth, never exactly flat) keeps every pixel's gradient non-zero, so
    the sign of each gradient entry is well defined.
    """
    import keras

    rng = _rng(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    conv = keras.layers.Conv2D(6, 3, padding="same", name="conv")
    bn = keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.5, name="bn")
    x = keras.layers.Activation("tanh", name="tanh")(bn(conv(inputs)))
    x = keras.layers.AveragePooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    dense = keras.layers.Dense(num_classes, name="scores")
    outputs = dense(x)
    model = keras.Model(inputs, outputs, name="conv_scores")
    c = input_shape[-1]
    conv.set_weights([rng.normal(0, 0.6, (3, 3, c, 6)).astype("float32"), rng.normal(0, 0.1, 6).astype("float32")])
    bn.set_weights([rng.uniform(0.5, 1.5, 6).astype("float32"), rng.normal(0, 0.2, 6).astype("float32"),
                    rng.normal(0, 0.3, 6).astype("float32"), rng.uniform(0.3, 2.0, 6).astype("float32")])
    fan_in = dense.kernel.shape[0]
    dense.set_weights([rng.normal(0, 2.0 / np.sqrt(fan_in), (fan_in, num_classes)).astype("float32"),
                       rng.normal(0, 0.2, num_classes).astype("float32")])
    return model


def _scores(model, x):
    return np.asarray(model(np.asarray(x, dtype=np.float32), training=False), dtype=np.float64)


def _input_gradient(model, x, objective):
    """d objective(scores) / d x in float64, the model in inference mode."""
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(model(x, training=False))
    return tape.gradient(value, x).numpy().astype(np.float64)


def _objective(kind, labels):
    """The scalar whose input gradient a saliency, a class visualization or FGSM takes (and wrong variants)."""
    import tensorflow as tf

    labels = tf.constant(np.asarray(labels), dtype=tf.int32)

    def pick(values):
        return tf.gather(values, labels, axis=1, batch_dims=1)

    return {
        "logit": lambda s: tf.reduce_sum(pick(s)),
        "probability": lambda s: tf.reduce_sum(pick(tf.nn.softmax(s))),
        "loss": lambda s: tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=s)),
        "all scores": lambda s: tf.reduce_sum(s),
        "loss of probabilities": lambda s: tf.reduce_sum(
            tf.keras.losses.sparse_categorical_crossentropy(labels, s, from_logits=False)),
    }[kind]


# --------------------------------------------------------------------------- occlusion


def _occlusion_reference(predict, image, label, patch, stride, fill, *, accumulate=False):
    H, W = image.shape[:2]
    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1
    out = np.empty((rows, cols))
    work = image.copy()
    for i in range(rows):
        for j in range(cols):
            occluded = work if accumulate else image.copy()
            occluded[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill
            out[i, j] = predict(occluded[None])[0, label]
    return out


def _occlusion_cases():
    rng = _rng(701)
    image = rng.uniform(0, 1, (7, 9, 3)).astype(np.float32)
    square = rng.uniform(-1, 1, (6, 6, 3)).astype(np.float32)
    return [
        # image, label, patch, stride, fill; (H - patch) % stride == 0 on both axes in the first two, so a loop
        # that stops one position early or goes one too far changes the shape
        (square, 2, 2, 2, 0.5),                           # a square map: swapped rows and columns show in values
        (image, 1, 3, 2, 0.0),
        (image, 3, 4, 3, image.mean(axis=(0, 1))),        # a per-channel fill (the image's mean colour)
        (image, 0, 2, 5, 1.0),                            # stride larger than the patch
        (image, 4, 7, 1, 0.25),                           # the patch as tall as the image: one row of positions
    ]


def _occlusion_shape_cause(got_shape, H, W, patch, stride):
    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1

    def count(size, kind):
        return {"early": len(range(0, size - patch, stride)), "overhang": len(range(0, size, stride)),
                "same": -(-size // stride)}[kind]

    if got_shape == (cols, rows):
        return "rows and columns are swapped: the map's first axis is the row (the image's height)"
    for kind, cause in (("early", "the loop stops one position early: the last patch may end exactly at the border, "
                                  "so use range(0, H - patch + 1, stride) ((H - patch) // stride + 1 positions)"),
                        ("overhang", "the loop goes past the last position where the whole patch fits: a patch "
                                     "that overhangs the border is cut off (positions as in a 'valid' convolution: "
                                     "(H - patch) // stride + 1 per axis)"),
                        ("same", "the positions are counted as in a 'same' convolution (ceil(H / stride)); "
                                 "only positions where the whole patch fits count: (H - patch) // stride + 1")):
        if got_shape == (count(H, kind), count(W, kind)):
            return cause
    return (f"(H - patch) // stride + 1 = {rows} rows and (W - patch) // stride + 1 = {cols} columns of positions "
            f"for H = {H}, W = {W}, patch = {patch}, stride = {stride}")


def check_occlusion_map(fn):
    rng = _rng(702)
    for image, label, patch, stride, fill in _occlusion_cases():
        H, W, C = image.shape
        M, c = rng.normal(0, 0.3, (H * W * C, 5)), rng.normal(0, 0.3, 5)
        predictor = SoftmaxPredictor(M, c, image.shape)
        args = (predictor, image.copy(), label, patch, stride, np.copy(fill) if np.ndim(fill) else fill)
        heat, record = call(fn, *args, name="occlusion_map",
                            arg_names=["predict_fn", "image", "label", "patch", "stride", "fill"])
        reference = SoftmaxPredictor(M, c, image.shape)
        want = _occlusion_reference(reference, image, label, patch, stride, fill)
        got_shape = np.shape(heat)
        expect_shape(heat, want.shape, what="map", call=record,
                     cause=_occlusion_shape_cause(got_shape, H, W, patch, stride))
        clean = reference(image[None])[0]
        predicted = int(np.argmax(clean))
        square = want.shape[0] == want.shape[1]
        cause = diagnose(heat, [
            (_occlusion_reference(reference, image, label, patch, stride, 0.0) if np.any(fill) else None,
             "the patch is filled with zeros: fill it with `fill` (a number, or one value per channel)"),
            (clean[label] - want, "the map holds the drop in probability (p(clean image) - p(occluded)); return the "
                                  "probability of class `label` itself"),
            (want - clean[label], "the map holds the change in probability; return the probability itself"),
            (1.0 - want, "the map holds 1 - p, the probability of every other class; return p of class `label`"),
            (want.T if square else None, "rows and columns are swapped: out[i, j] is the probability with the "
                                         "patch's top-left corner at row i * stride, column j * stride"),
            (_occlusion_reference(reference, image, label, patch, stride, fill, accumulate=True),
             "the patches accumulate: each position must occlude a fresh copy of the image (one patch at a time)"),
            (_occlusion_reference(reference, image, predicted, patch, stride, fill) if predicted != label else None,
             "the map is of the class the model predicts for the clean image; use the class `label`"),
        ], tol=1e-6, default="out[i, j] = probability of class `label` with image[i * stride : i * stride + patch, "
                             "j * stride : j * stride + patch] set to `fill`")
        expect_close(heat, want, what="map", call=record, tol=1e-6, cause=cause)
        expect(all(len(s) == 4 for s in predictor.calls), f"{record} called predict_fn with a wrong batch.",
               call=record, got=predictor.calls, expected="batches (N, H, W, C)")


# --------------------------------------------------------------------------- saliency


def _saliency_cases():
    rng = _rng(711)
    shape = (6, 5, 3)
    model = conv_model(712, shape, 4)
    images = rng.uniform(0, 1, (3,) + shape).astype(np.float32)
    predicted = np.argmax(_scores(model, images), axis=1)
    labels = (predicted + np.array([1, 2, 3])) % 4          # never the predicted class
    W = rng.normal(0, 1, (4 * 4 * 2, 3))
    single = linear_model(W, rng.normal(0, 0.1, 3), (4, 4, 2))
    one = rng.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32)
    return [(model, images, labels), (single, one, np.array([2]))]


def check_saliency_map(fn):
    for model, images, labels in _saliency_cases():
        sal, record = call_with_model(fn, model, images.copy(), labels.copy(), name="saliency_map",
                                      arg_names=["model", "images", "labels"])
        N, H, W, C = images.shape
        expect_shape(sal, (N, H, W), what="saliency", call=record,
                     cause="one map per image, (N, H, W): the maximum over the colour channels (axis -1) of the "
                           "absolute gradient")
        g = _input_gradient(model, images, _objective("logit", labels))
        want = np.abs(g).max(axis=-1)
        predicted = np.argmax(_scores(model, images), axis=1)
        wrong = {k: _input_gradient(model, images, _objective(k, labels))
                 for k in ("probability", "loss", "all scores")}
        g_predicted = _input_gradient(model, images, _objective("logit", predicted))
        cause = diagnose(sal, [
            (g.max(axis=-1), "the sign of the gradient is kept: take its absolute value, then the maximum over channels"),
            (np.abs(g.max(axis=-1)), "the maximum over channels is taken before the absolute value: "
                                     "np.abs first (|gradient|), then the maximum over the channel axis"),
            (np.abs(g).mean(axis=-1), "the channels are averaged: take the maximum of |gradient| over the channels"),
            (np.abs(g).sum(axis=-1), "the channels are summed: take the maximum of |gradient| over the channels"),
            (np.abs(g.mean(axis=-1)), "the gradient is averaged over the channels: take the maximum of |gradient|"),
            (np.abs(wrong["probability"]).max(axis=-1),
             "this is the gradient of the softmax probability: differentiate the class score, the logit that the "
             "model returns (no softmax)"),
            (np.abs(wrong["loss"]).max(axis=-1),
             "this is the gradient of the cross-entropy loss: differentiate the class score (the logit) of each "
             "image's label, not a loss"),
            (np.abs(wrong["all scores"]).max(axis=-1),
             "this is the gradient of the sum of all class scores: take only the score of each image's label"),
            (np.abs(g_predicted).max(axis=-1),
             "this is the gradient of the predicted class's score: use the score of labels[i] for image i"),
        ], tol=GRAD_TOL, normwise=True,
            default="saliency[i] = max over channels of |d s_{labels[i]}(x_i) / d x_i|, the logit of the label")
        expect_map(sal, want, what="saliency", call=record, cause=cause)


# --------------------------------------------------------------------------- class visualization


def _vis_reference(model, image, target, l2_reg, learning_rate, *, sign=1.0, l2_sign=1.0, l2_factor=2.0,
                   normalize="l2", objective="logit", reg_after=False):
    score_grad = _input_gradient(model, image[None], _objective(objective, [target]))[0]
    x = image.astype(np.float64)
    reg = l2_sign * l2_factor * l2_reg * x
    if reg_after:
        step = score_grad / np.linalg.norm(score_grad) - reg
    else:
        g = score_grad - reg
        step = {"l2": lambda: g / np.linalg.norm(g), "sum": lambda: g / np.sum(g),
                "abs sum": lambda: g / np.sum(np.abs(g)), "max": lambda: g / np.max(np.abs(g)),
                "none": lambda: g}[normalize]()
    return image + sign * learning_rate * step


def _vis_cases():
    rng = _rng(721)
    shape = (6, 5, 3)
    conv = conv_model(722, shape, 5)
    W = rng.normal(0, 0.5, (int(np.prod((4, 3, 2))), 4))
    linear = linear_model(W, np.zeros(4), (4, 3, 2))
    return [
        (conv, rng.normal(0, 0.3, shape).astype(np.float32), 3, 0.2, 0.7),
        (conv, np.zeros(shape, np.float32), 1, 0.1, 0.05),         # the notebook's start: a blank image
        (linear, rng.normal(0, 1.0, (4, 3, 2)).astype(np.float32), 2, 1.0, 0.3),
    ]


def check_class_visualization_step(fn):
    for model, image, target, l2_reg, lr in _vis_cases():
        out, record = call_with_model(fn, model, image.copy(), target, l2_reg, lr, name="class_visualization_step",
                                      arg_names=["model", "image", "target", "l2_reg", "learning_rate"])
        expect_shape(out, image.shape, what="image", call=record,
                     cause="return one image (H, W, C), like the input: add the batch axis for the model, "
                           "then take it away again")
        want = _vis_reference(model, image, target, l2_reg, lr)
        variants = {
            "descending": dict(sign=-1.0),
            "l2 sign": dict(l2_sign=-1.0),
            "no factor 2": dict(l2_factor=1.0),
            "sum": dict(normalize="sum"),
            "abs sum": dict(normalize="abs sum"),
            "max": dict(normalize="max"),
            "none": dict(normalize="none"),
            "reg after": dict(reg_after=True),
            "probability": dict(objective="probability"),
        }
        cand = {k: _vis_reference(model, image, target, l2_reg, lr, **v) for k, v in variants.items()}
        cause = diagnose(out, [
            (cand["descending"], "the step goes down the objective: gradient *ascent* adds learning_rate * g / ||g||"),
            (cand["l2 sign"], "the L2 term has the wrong sign: the objective is s_target(x) - l2_reg * ||x||^2, "
                              "whose gradient is ds/dx - 2 * l2_reg * x (the penalty pulls the image towards 0)"),
            (cand["no factor 2"], "the gradient of l2_reg * ||x||^2 is 2 * l2_reg * x (the factor 2 is missing)"),
            (cand["sum"], "the gradient is divided by its sum: divide it by its L2 norm, sqrt(sum(g ** 2))"),
            (cand["abs sum"], "the gradient is divided by the sum of its absolute values (L1 norm): divide it by "
                              "its L2 norm, sqrt(sum(g ** 2))"),
            (cand["max"], "the gradient is divided by its largest entry: divide it by its L2 norm, sqrt(sum(g ** 2))"),
            (cand["none"], "the gradient is not normalised: divide it by its L2 norm before the step"),
            (cand["reg after"], "only the score's gradient is normalised: normalise the gradient of the whole "
                                "objective, ds/dx - 2 * l2_reg * x"),
            (cand["probability"], "this is the gradient of the softmax probability: use the class score (the logit)"),
        ], tol=1e-4, normwise=True, default="new image = image + learning_rate * g / ||g||_2, g = d/dx [s_target(x) "
                                            "- l2_reg * ||x||^2] = ds_target/dx - 2 * l2_reg * x")
        expect_map(np.asarray(out)[None] if np.ndim(out) == 3 else out, want[None], what="image", call=record,
                   tol=1e-4, cause=cause)


# --------------------------------------------------------------------------- fooling a linear classifier


def _fool_cases():
    rng = _rng(731)
    square = rng.normal(0, 1, (5, 5))
    W = rng.normal(0, 0.1, (6, 4))
    X = rng.uniform(0, 1, (3, 6))
    pred = np.argmax(X @ W, axis=1)
    targets = (pred + 1) % 4
    x5 = rng.uniform(0, 1, 5)
    t5 = int((np.argmax(x5 @ square) + 2) % 5)
    return [(x5, square, t5, 0.7), (X, W, targets, 1.5), (X, W, int(targets[0]), 0.2), (X[0], W, 3, -0.4)]


def check_fool_linear(fn):
    for x, W, target, alpha in _fool_cases():
        t_arg = target.copy() if isinstance(target, np.ndarray) else target
        out, record = call(fn, x.copy(), W.copy(), t_arg, alpha, name="fool_linear",
                           arg_names=["x", "W", "target", "alpha"])
        want = x + alpha * W[:, target].T
        expect_shape(out, x.shape, what="fooled x", call=record,
                     cause="the fooled input has the shape of x; W has shape (D, C), so class c's weights are the "
                           "column W[:, c] (D values)")
        pred = np.argmax(x @ W, axis=-1)
        each = np.broadcast_to(np.asarray(target), np.shape(pred))    # the target of every row
        first = np.atleast_1d(target)[0]
        cause = diagnose(out, [
            (x + alpha * W[target].T if W.shape[0] == W.shape[1] else None,
             "W is indexed as W[target], the row: W has shape (D, C), so the target's weights are the column "
             "W[:, target]"),
            (x + alpha * W[:, pred].T, "these are the weights of the predicted class: add those of the target"),
            (x + alpha * (W[:, each] - W[:, pred]).T, "this adds the difference of two classes' weights (target "
                                                        "minus predicted): the lecture's step is alpha * w_target"),
            (x - alpha * W[:, target].T, "the step goes the wrong way: x + alpha * w_target raises the target's score"),
            (x + alpha * np.sign(W[:, target]).T, "this adds the sign of the weights: the step is alpha * w_target"),
            (x + alpha * (W[:, target] / np.linalg.norm(W[:, target], axis=0)).T,
             "the weights are normalised to length 1: the step is alpha * w_target itself"),
            (x + alpha * W[:, first].T if np.ndim(target) else None,
             "every row uses the first target: row i gets alpha * W[:, target[i]]"),
            (alpha * W[:, target].T, "x itself is missing: return x + alpha * w_target"),
        ], tol=1e-9, default="x + alpha * W[:, target] (row i of a batch: W[:, target[i]] when target is an array)")
        expect_close(out, want, what="fooled x", call=record, tol=1e-9, cause=cause)


# --------------------------------------------------------------------------- FGSM


def _fgsm_cases():
    rng = _rng(741)
    shape = (6, 5, 3)
    model = conv_model(742, shape, 4)
    x01 = rng.uniform(0, 1, (3,) + shape).astype(np.float32)
    x01[0, :2] = 0.0                      # pixels at the borders of the range: clipping matters
    x01[1, -2:] = 1.0
    lo = -127.0 / 128.0                   # the range of course.models.preprocess_imagenet
    x_net = (lo + (1.0 - lo) * x01).astype(np.float32)
    predicted = np.argmax(_scores(model, x01), axis=1)
    y = predicted.copy()
    y[1] = (y[1] + 1) % 4                 # one label the model gets wrong: the attack is then not untargeted-easy
    return [
        (model, x01, y, 0.03, "default"),
        (model, x_net, y, 2.0 / 128.0, (lo, 1.0)),     # two pixel levels in the units of preprocess_imagenet
        (model, x_net, y, 0.5, None),
    ]


def check_fgsm(fn):
    for model, x, y, eps, clip in _fgsm_cases():
        kwargs = {} if clip == "default" else {"clip": clip}
        clip = (0.0, 1.0) if clip == "default" else clip
        out, record = call_with_model(fn, model, x.copy(), y.copy(), eps, **kwargs, name="fgsm",
                                      arg_names=["model", "x", "y", "eps"])
        expect_shape(out, x.shape, what="x_adv", call=record, cause="x_adv has the shape of x")
        got = np.asarray(out, dtype=np.float64)
        g = _input_gradient(model, x, _objective("loss", y))
        # entries whose gradient is within float32 noise of 0 may get any sign: they are not compared
        scale = np.max(np.abs(g).reshape(len(g), -1), axis=1).reshape((-1,) + (1,) * (g.ndim - 1))
        clear = np.abs(g) > 1e-5 * scale
        lo, hi = (-np.inf, np.inf) if clip is None else clip

        def adv(step):
            return np.clip(x + step, lo, hi)

        want = adv(eps * np.sign(g))
        g_pred = _input_gradient(model, x, _objective("loss", np.argmax(_scores(model, x), axis=1)))
        g_probs = _input_gradient(model, x, _objective("loss of probabilities", y))
        compared = np.where(clear, got, want)
        cause = diagnose(compared, [
            (np.where(clear, adv(-eps * np.sign(g)), want), "the step has the wrong sign: FGSM moves *up* the loss, "
                                                            "x + eps * sign(gradient)"),
            (np.where(clear, adv(eps * g), want), "the step uses the raw gradient: FGSM takes its sign, "
                                                  "eps * sign(gradient), so every pixel moves by exactly eps"),
            (np.where(clear, x + eps * np.sign(g), want) if clip is not None else None,
             f"x_adv is not clipped to clip = {clip}: clip after the step (np.clip / tf.clip_by_value)"),
            (np.where(clear, adv(eps / 255 * np.sign(g)), want),
             "eps was divided by 255: eps is already in the units of x (here the model's preprocessed range)"),
            (np.where(clear, adv(eps * 255 * np.sign(g)), want),
             "eps was multiplied by 255: eps is already in the units of x"),
            (np.where(clear, adv(eps * (hi - lo) * np.sign(g)), want) if clip is not None else None,
             "eps was scaled by the width of the clip range: eps is already in the units of x"),
            (np.where(clear, adv(eps * np.sign(g_pred)), want),
             "the loss uses the predicted classes: use the true labels y"),
            (np.where(clear, adv(eps * np.sign(g_probs)), want),
             "the loss treats the logits as probabilities: the model returns logits, so use "
             "from_logits=True (or tf.nn.sparse_softmax_cross_entropy_with_logits)"),
        ], tol=1e-5, normwise=True, default="x_adv = clip(x + eps * sign(d loss / d x)), the loss being the "
                                            "cross-entropy of the logits for the labels y")
        expect_map(compared, want, what="x_adv", call=record, tol=1e-5, cause=cause)
        expect(bool(np.all(np.abs(got - x) <= eps * (1 + 1e-5) + 1e-6)), f"{record} moved some pixels by more than eps.",
               call=record, got=f"max |x_adv - x| = {np.max(np.abs(got - x)):.4g}", expected=f"at most eps = {eps:g}",
               cause="the step is eps * sign(gradient)")
        if clip is not None:
            expect(bool(np.all((got >= lo) & (got <= hi))), f"{record} left the clip range.", call=record,
                   got=f"values in [{got.min():.4g}, {got.max():.4g}]", expected=f"values in [{lo:.4g}, {hi:.4g}]",
                   cause="clip x_adv to clip = (low, high) after the step")
