"""Public checks for notebook 07: understanding and breaking CNNs.

One ``check_<function>(fn)`` per graded function. Each one calls your
function on small fixed inputs: a numpy "network" for :func:`occlusion_map`
(a softmax of a linear function of the pixels), tiny Keras models with
fixed weights for the gradient-based functions, and compares with values
that need no network to know: the literals at the end of this file
(precomputed once from the reference solution) and facts about linear
models (the gradient of the class score ``s_k = x . w_k + b_k`` with
respect to ``x`` is ``w_k``, whatever ``x`` is). The hidden tests use other
inputs, convolutional models and more cases.

The helpers :func:`linear_model`, :class:`SoftmaxPredictor`,
:func:`call_with_model` and :func:`expect_map` are public: the hidden checks
build their own cases with them.

Importing this module needs numpy only; the checks import Keras and
TensorFlow when they run (the notebook has loaded them already).
"""

import numpy as np

from course.check.core import (
    Call, CheckFailure, call, describe, expect, expect_close, expect_shape, matches, worst_entry,
)

__all__ = [
    "check_occlusion_map", "check_saliency_map", "check_class_visualization_step", "check_fool_linear",
    "check_fgsm",
    "linear_model", "SoftmaxPredictor", "call_with_model", "expect_map", "model_state", "TRAINING_MODE_CAUSE",
    "GRAD_TOL",
]

#: Gradients are float32: compared with ``max|got - expected| <= tol * max|expected|`` (per image).
GRAD_TOL = 1e-4

TRAINING_MODE_CAUSE = (
    "the model was called in training mode: BatchNormalization then normalises with the batch's own "
    "statistics (and updates its moving averages) and Dropout drops units at random. Call it as "
    "model(x, training=False)"
)


# --------------------------------------------------------------------------- shared helpers


def linear_model(W, b, input_shape, batch_norm=None, dropout=None, name="linear"):
    """A Keras model of class scores (logits) ``flatten(x) @ W + b`` with these fixed weights.

    ``batch_norm``: None, or ``(gamma, beta, moving_mean, moving_variance)``
    per channel: a ``BatchNormalization`` layer (epsilon 1e-3) on the input
    first, so that a model called in training mode gives other values (and
    changes its moving statistics). ``dropout``: None or a rate, a
    ``Dropout`` layer before the scores. Shared with the hidden checks.
    """
    import keras

    W = np.asarray(W, dtype=np.float32)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    if batch_norm is not None:
        bn = keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.5, name="bn")
        x = bn(x)
        bn.set_weights([np.asarray(v, dtype=np.float32) for v in batch_norm])
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    dense = keras.layers.Dense(W.shape[1], name="scores")
    outputs = dense(x)
    dense.set_weights([W, np.asarray(b, dtype=np.float32)])
    return keras.Model(inputs, outputs, name=name)


def model_state(model):
    """Copies of all of ``model``'s weights (moving statistics included)."""
    return [np.array(w) for w in model.get_weights()]


def call_with_model(fn, model, *args, name, arg_names, **kwargs):
    """``call(fn, model, *args)``, then fail if the call changed the model's weights.

    A function that calls the model in training mode updates
    BatchNormalization's moving statistics; one that runs an optimizer
    changes the kernels. Either is a bug in a function that should only
    read gradients. Shared with the hidden checks.
    """
    before = model_state(model)
    result, record = call(fn, model, *args, name=name, arg_names=arg_names, **kwargs)
    after = model_state(model)
    changed = [v.name if hasattr(v, "name") else str(i)
               for i, (v, a, b) in enumerate(zip(model.weights, before, after)) if not np.array_equal(a, b)]
    if changed:
        model.set_weights(before)
        bn = any("moving" in str(getattr(v, "path", v.name)) for v in model.weights
                 if (getattr(v, "name", "") in changed))
        raise CheckFailure(
            f"{record} changed the model's weights ({', '.join(changed)}).\n"
            f"  called with: {record.inputs()}\n"
            f"  likely cause: "
            + (TRAINING_MODE_CAUSE if bn else "the function must only read gradients: compute them with "
               "tf.GradientTape and never apply them to the model's weights")
        )
    return result, record


def expect_map(got, expected, *, what, call, tol=GRAD_TOL, cause=None):
    """Fail unless ``got`` has ``expected``'s shape and matches it per image, normwise within ``tol``.

    float32 gradients differ from one correct implementation to another in
    the last digits, so entries near zero are compared against the largest
    entry of their image (the first axis), not relatively.
    """
    expected = np.asarray(expected, dtype=np.float64)
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"{call} returned {what} that is not a numpy array: got {describe(got)}.") from None
    expect_shape(got_arr, expected.shape, what=what, call=call, cause=cause)
    expect(bool(np.all(np.isfinite(got_arr))), f"{call} returned {what} containing NaN or inf.", call=call,
           got=got_arr, expected=expected, cause=cause or "a division by zero (a norm of zero?)")
    per_image = expected.ndim > 1            # compare image by image (the first axis) when there is one
    pairs = zip(got_arr, expected) if per_image else [(got_arr, expected)]
    for i, (g, w) in enumerate(pairs):
        if not matches(g, w, tol, normwise=True):
            err = float(np.max(np.abs(g - w))) / max(1e-300, float(np.max(np.abs(w))))
            where = f" (image {i})" if per_image and len(expected) > 1 else ""
            raise CheckFailure(
                f"{call} returned the wrong {what}{where}.\n"
                f"  called with: {call.inputs()}\n"
                f"  got:         {describe(got_arr)}\n"
                f"  expected:    {describe(expected)}\n"
                f"  largest difference {err:.1e} of the largest expected value (tolerance {tol:.0e}); "
                f"worst entry{where}: {worst_entry(g, w)}"
                + (f"\n  likely cause: {cause}" if cause else "")
            )


class SoftmaxPredictor:
    """A numpy stand-in for a network: ``softmax(flatten(x) @ M + c)``, recording every call.

    ``predictor(batch)`` takes a batch ``(N, H, W, C)`` of images of the
    shape it was made for and returns ``(N, K)`` probabilities (float64);
    ``calls`` lists the batch shapes it was given. Shared with the hidden checks.
    """

    def __init__(self, M, c, image_shape):
        self.M = np.asarray(M, dtype=np.float64)
        self.c = np.asarray(c, dtype=np.float64)
        self.image_shape = tuple(image_shape)
        self.calls = []

    def __call__(self, batch):
        batch = np.asarray(batch)
        if batch.ndim != 4 or batch.shape[1:] != self.image_shape:
            raise ValueError(f"predict_fn takes a batch of images of shape (N, {', '.join(map(str, self.image_shape))})"
                             f"; got an array of shape {batch.shape}")
        self.calls.append(batch.shape)
        scores = batch.reshape(len(batch), -1).astype(np.float64) @ self.M + self.c
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    __name__ = "predict_fn"


def _formula(shape, a, b=0.0):
    """Deterministic values ``cos(a * k + b)`` in a given shape (no random generator: the same everywhere)."""
    n = int(np.prod(shape))
    return np.cos(a * np.arange(n) + b).reshape(shape)


# --------------------------------------------------------------------------- occlusion

OCC_SHAPE = (5, 6, 3)
OCC_IMAGE = ((np.arange(np.prod(OCC_SHAPE)) * 5 % 11) / 8.0).reshape(OCC_SHAPE).astype(np.float32)
OCC_M = 0.8 * _formula((int(np.prod(OCC_SHAPE)), 4), 0.37)
OCC_C = np.array([0.1, -0.2, 0.3, 0.0])


def _occlusion_predictor():
    return SoftmaxPredictor(OCC_M, OCC_C, OCC_SHAPE)


OCCLUSION_HOW = ("put the top-left corner of the patch at rows 0, stride, 2 * stride, ... and the same columns, "
                 "as long as the whole patch fits ((H - patch) // stride + 1 positions per axis); out[i, j] is the "
                 "probability of class `label` for the image whose square image[i * stride : i * stride + patch, "
                 "j * stride : j * stride + patch] is set to `fill` (every channel), with the rest of the image "
                 "unchanged")


def check_occlusion_map(fn):
    """A 5x6x3 image, a linear-softmax predict_fn over 4 classes, two patch sizes, a scalar and a per-channel fill."""
    for case in OCCLUSION_CASES:
        predictor = _occlusion_predictor()
        args = (predictor, OCC_IMAGE.copy(), case["label"], case["patch"], case["stride"], case["fill"])
        heat, record = call(fn, *args, name="occlusion_map",
                            arg_names=["predict_fn", "image", "label", "patch", "stride", "fill"])
        expect(len(predictor.calls) > 0, f"{record} never called predict_fn.", call=record,
               got="no call", expected="predict_fn called on the occluded images",
               cause="call predict_fn on a batch (N, H, W, C) of occluded copies of the image")
        want = np.array(case["expected"])
        rows, cols = want.shape
        expect_shape(heat, want.shape, what="map", call=record, cause=(
            f"with H = {OCC_SHAPE[0]}, W = {OCC_SHAPE[1]}, patch = {case['patch']} and stride = {case['stride']} "
            f"there are (H - patch) // stride + 1 = {rows} rows and (W - patch) // stride + 1 = {cols} columns of "
            f"positions: the first axis of the map is the row (height), and only positions where the whole patch "
            f"fits in the image count"))
        expect_close(heat, want, what="map", call=record, tol=1e-6, cause=(
            "out[i, j] must be the probability (not its drop from the unoccluded image's) of class `label`, "
            "with the patch filled with `fill` (not zeros) in every channel; " + OCCLUSION_HOW))


# --------------------------------------------------------------------------- saliency

SAL_SHAPE = (4, 4, 3)
SAL_W = _formula((int(np.prod(SAL_SHAPE)), 5), 0.71)
SAL_B = np.array([0.1, -0.2, 0.3, 0.0, 0.05])
SAL_IMAGES = (0.5 + 0.5 * _formula((2,) + SAL_SHAPE, 0.43, 0.2)).astype(np.float32)
SAL_LABELS = np.array([3, 1])
# BatchNormalization (gamma, beta, moving mean, moving variance): in inference mode the input is scaled by
# gamma / sqrt(variance + 1e-3) per channel before the linear layer.
SAL_BN = (np.array([1.5, 0.5, -1.0]), np.array([0.1, 0.0, -0.1]), np.array([0.2, 0.5, 0.4]), np.array([0.5, 2.0, 1.0]))


def _bn_scale(bn):
    gamma, _, _, var = bn
    return gamma / np.sqrt(var + 1e-3)


SALIENCY_HOW = ("the saliency of image i is |d s_{labels[i]} / d x_i|, the absolute value of the gradient of its "
                "label's class score (the logit, the model's output, before any softmax) with respect to its "
                "pixels, then the maximum over the colour channels (axis -1)")


def check_saliency_map(fn):
    """A linear model (its gradient is the label's weights, whatever the image) and the same with batch norm."""
    for bn in (None, SAL_BN):
        model = linear_model(SAL_W, SAL_B, SAL_SHAPE, batch_norm=bn)
        grads = np.stack([SAL_W[:, y].reshape(SAL_SHAPE) for y in SAL_LABELS])
        if bn is not None:
            grads = grads * _bn_scale(bn)
        want = np.abs(grads).max(axis=-1)
        sal, record = call_with_model(fn, model, SAL_IMAGES.copy(), SAL_LABELS.copy(), name="saliency_map",
                                      arg_names=["model", "images", "labels"])
        what = "saliency " + ("of the model with batch normalisation" if bn is not None else "of the linear model")
        expect_map(sal, want, what=what, call=record, cause=(
            ("for a linear model s_k = x . w_k + b_k the gradient of s_k is w_k: the map must be the maximum over "
             "channels of |w_label|, the same for any image; " if bn is None else
             "the linear model gave the right map but this one, with a BatchNormalization layer first, does not: "
             "is the model called in training mode? ") + SALIENCY_HOW))


# --------------------------------------------------------------------------- class visualization

VIS_IMAGE = (0.3 * _formula(SAL_SHAPE, 0.29, 1.0)).astype(np.float32)
VIS_CASES = ((4, 0.3, 0.5, None), (2, 0.0, 0.1, None), (0, 0.2, 2.0, SAL_BN))

VIS_HOW = ("g = d/dx [s_target(x) - l2_reg * sum(x ** 2)] = (gradient of the target's logit) - 2 * l2_reg * x; "
           "the step is image + learning_rate * g / ||g||, with ||g|| the L2 norm of g over all its entries")


def check_class_visualization_step(fn):
    """Linear models: the gradient of s_target is w_target, so g = w_target - 2 * l2_reg * image."""
    for target, l2_reg, lr, bn in VIS_CASES:
        model = linear_model(SAL_W, SAL_B, SAL_SHAPE, batch_norm=bn)
        score_grad = SAL_W[:, target].reshape(SAL_SHAPE) * (1.0 if bn is None else _bn_scale(bn))
        g = score_grad - 2 * l2_reg * VIS_IMAGE.astype(np.float64)
        want = VIS_IMAGE + lr * g / np.linalg.norm(g)
        out, record = call_with_model(fn, model, VIS_IMAGE.copy(), target, l2_reg, lr,
                                      name="class_visualization_step",
                                      arg_names=["model", "image", "target", "l2_reg", "learning_rate"])
        expect_shape(out, SAL_SHAPE, what="image", call=record,
                     cause="return one image (H, W, C), like the input: no batch axis")
        step = np.asarray(out, dtype=np.float64) - VIS_IMAGE
        expect(abs(float(np.linalg.norm(step)) - lr) <= 1e-3 * lr,
               f"{record} took a step of the wrong length.", call=record,
               got=f"||new image - image|| = {np.linalg.norm(step):.6g}",
               expected=f"learning_rate = {lr:g} (the gradient divided by its L2 norm has norm 1)",
               cause="divide the gradient by its L2 norm, np.sqrt(np.sum(g ** 2)) (tf.norm(g)), not by its sum, its "
                     "largest entry or the number of pixels")
        expect_map(out[None] if np.ndim(out) == 3 else out, want[None], what="image", call=record, tol=1e-4,
                   cause=(("this model has a BatchNormalization layer first (the others passed): is it called in "
                           "training mode? ") if bn is not None else "")
                   + "gradient *ascent* (add the step) on s_target - l2_reg * ||x||^2, so the L2 term pulls the "
                     "image towards 0; " + VIS_HOW)


# --------------------------------------------------------------------------- fooling a linear classifier

FOOL_W = np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.5], [-1.5, 1.0, 1.0], [0.0, 0.75, -2.0]])  # D = 4, C = 3


def check_fool_linear(fn):
    """One vector, a batch with one target, a batch with a target per row (D = 4 pixels, C = 3 classes)."""
    for x, target, alpha, want in FOOL_CASES:
        x = np.array(x)
        target_arg = np.array(target) if isinstance(target, list) else target
        out, record = call(fn, x.copy(), FOOL_W.copy(), target_arg, alpha, name="fool_linear",
                           arg_names=["x", "W", "target", "alpha"])
        expect_close(out, want, what="fooled x", call=record, tol=1e-12, cause=(
            "x + alpha * W[:, target]: W has shape (D, C), so the weights of class c are the column W[:, c] (the "
            "target's, not those of the predicted class, not a difference of two classes); for a batch with one "
            "target per row, row i gets alpha * W[:, target[i]]"))


# --------------------------------------------------------------------------- FGSM

FGSM_SHAPE = (2, 3, 2)
FGSM_W = 2.0 * _formula((int(np.prod(FGSM_SHAPE)), 3), 1.13, 0.5)
FGSM_B = np.array([0.2, -0.1, 0.0])
FGSM_X = np.array([[[[0.02, 0.5], [0.97, 0.3], [0.6, 0.01]], [[0.45, 0.99], [0.2, 0.7], [0.05, 0.5]]],
                   [[[0.9, 0.1], [0.35, 0.03], [0.5, 0.96]], [[0.8, 0.4], [0.0, 1.0], [0.25, 0.65]]]],
                  dtype=np.float32)
FGSM_Y = np.array([0, 2])

FGSM_HOW = ("x_adv = x + eps * sign(d loss / d x), the loss being the cross-entropy of the model's logits "
            "(sparse_categorical_crossentropy with from_logits=True) for the true labels y, then clipped to "
            "[clip[0], clip[1]] (no clipping when clip is None)")


FGSM_BN = (np.array([1.5, -0.8]), np.array([0.1, -0.1]), np.array([0.3, 0.6]), np.array([0.2, 0.05]))


def _fgsm_cases():
    """``(x, eps, clip or "default", signs, batch_norm)``: "default" calls fgsm without a clip argument."""
    x01 = FGSM_X
    x11 = (2.0 * FGSM_X - 1.0).astype(np.float32)
    return [
        (x01, 0.05, "default", FGSM_SIGNS_01, None),
        (x11, 0.1, (-1.0, 1.0), FGSM_SIGNS_11, None),
        (x11, 0.3, None, FGSM_SIGNS_11, None),
        (x01, 0.05, (0.0, 1.0), FGSM_SIGNS_BN, FGSM_BN),
    ]


def check_fgsm(fn):
    """A linear model on 2x3x2 images in [0, 1] and in [-1, 1], with and without clipping, then with batch norm."""
    for x, eps, clip, signs, bn in _fgsm_cases():
        model = linear_model(FGSM_W, FGSM_B, FGSM_SHAPE, batch_norm=bn)
        kwargs = {} if clip == "default" else {"clip": clip}
        clip = (0.0, 1.0) if clip == "default" else clip
        out, record = call_with_model(fn, model, x.copy(), FGSM_Y.copy(), eps, **kwargs, name="fgsm",
                                      arg_names=["model", "x", "y", "eps"])
        signs = np.array(signs, dtype=np.float64)
        step = x + eps * signs
        want = step if clip is None else np.clip(step, *clip)
        expect_shape(out, x.shape, what="x_adv", call=record, cause="x_adv has the shape of x")
        got = np.asarray(out, dtype=np.float64)
        lo, hi = (None, None) if clip is None else clip
        cause = None
        def close(value):
            return matches(got, value if clip is None else np.clip(value, lo, hi), 1e-5, normwise=True)

        if close(x - eps * signs):
            cause = "the step has the wrong sign: FGSM *increases* the loss, x + eps * sign(gradient)"
        elif clip is not None and matches(got, step, 1e-5, normwise=True):
            cause = f"x_adv is not clipped to clip = {clip}: some values left the valid range"
        elif close(x + eps / 255 * signs):
            cause = "eps was divided by 255: it is already in the units of x (whatever range the model expects)"
        elif clip is not None and close(x + eps * (hi - lo) * signs):
            cause = "eps was scaled by the width of the clip range: it is already in the units of x"
        elif bn is not None:
            cause = "this model has a BatchNormalization layer (the others passed): is it called in training mode?"
        expect_map(got, want, what="x_adv", call=record, tol=1e-5, cause=cause or (
            "take the sign of the gradient (np.sign / tf.sign), not the gradient itself; " + FGSM_HOW))
        if clip is not None:
            expect(bool(np.all((got >= clip[0]) & (got <= clip[1]))), f"{record} left the clip range.",
                   call=record, got=got, expected=f"values in [{clip[0]}, {clip[1]}]", cause=FGSM_HOW)


# --------------------------------------------------------------------------- literals
# Computed once with the reference solution.

OCCLUSION_CASES = [
    {"label": 2, "patch": 2, "stride": 2, "fill": 0.5, "expected": [
        [0.27693417412502325, 0.3125541345464385, 0.3424226167898576],
        [0.2725237571509134, 0.28834439953623364, 0.33721033355291263]]},
    {"label": 0, "patch": 3, "stride": 1, "fill": np.array([0.25, 0.5, 1.0], dtype=np.float32), "expected": [
        [0.4009616889300799, 0.4276216707476191, 0.24490227979193704, 0.12150870126659785],
        [0.32902859547231117, 0.4525689841349826, 0.34104820577853484, 0.1516538356375456],
        [0.4120013504154344, 0.3554468276092141, 0.3138031807238982, 0.21148762687119693]]},
]

_FOOL_BATCH = [[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.25, -0.5, 2.0]]
FOOL_CASES = [   # (x, target, alpha, expected)
    ([0.5, -1.0, 2.0, 0.0], 1, 0.5, [0.0, -1.0, 2.5, 0.375]),
    (_FOOL_BATCH, 2, 2.0, [[1.0, -2.0, 4.0, -4.0], [1.5, 0.0, 3.0, -3.0], [0.5, -0.75, 1.5, -2.0]]),
    (_FOOL_BATCH, [2, 0, 1], 0.25, [[0.5625, -1.125, 2.25, -0.5], [1.125, 1.5, 0.625, 1.0],
                                    [-0.25, 0.25, -0.25, 2.1875]]),
]

# sign(d loss / d x) of the reference for each FGSM case (the smallest |gradient| entry is 0.006: no ties).
FGSM_SIGNS_01 = [[[[-1, 1], [-1, 1], [-1, 1]], [[-1, 1], [-1, -1], [1, -1]]],
                 [[[1, -1], [1, -1], [1, -1]], [[1, 1], [-1, 1], [-1, 1]]]]
FGSM_SIGNS_11 = FGSM_SIGNS_01   # the same model: the gradient's signs do not change with this shift of x
FGSM_SIGNS_BN = [[[[-1, -1], [-1, -1], [-1, -1]], [[-1, 1], [1, 1], [1, 1]]],
                 [[[1, 1], [1, 1], [1, 1]], [[-1, -1], [-1, -1], [-1, -1]]]]
