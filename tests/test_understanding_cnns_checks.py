"""The notebook 07 checks accept correct answers written differently, and explain wrong ones.

tests/test_mutants.py shows that the checks reject wrong answers; these tests
show they are not over-strict: implementations that are correct but written
in another style (one predict call per position, a mean instead of a sum of
losses, Keras' cross-entropy, keras.ops, loops over a batch, the compiled
``inference_function`` model) pass both the public and the hidden check. And
the public module imports no TensorFlow until a check runs.
"""

import subprocess
import sys

import numpy as np
import pytest

from autograder.checks import understanding_cnns as hidden
from course.check import understanding_cnns as public
from course.check.core import CheckFailure

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402  (after TensorFlow: the checks need the TF backend)

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the checks use tf.GradientTape")


def both(name, fn):
    getattr(public, f"check_{name}")(fn)
    getattr(hidden, f"check_{name}")(fn)


# --------------------------------------------------------------------------- occlusion_map


def occlusion_one_call_per_position(predict_fn, image, label, patch, stride, fill):
    H, W = image.shape[:2]
    out = np.zeros(((H - patch) // stride + 1, (W - patch) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            occluded = image.copy()
            occluded[i * stride:i * stride + patch, j * stride:j * stride + patch, :] = fill
            out[i, j] = predict_fn(occluded[np.newaxis])[0][label]
    return out


def occlusion_modify_and_restore(predict_fn, image, label, patch, stride, fill):
    """Occludes the caller's image and puts every pixel back: allowed, the image ends unchanged."""
    H, W = image.shape[:2]
    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1
    heat = np.empty((rows, cols), np.float32)
    for i in range(rows):
        for j in range(cols):
            window = (slice(i * stride, i * stride + patch), slice(j * stride, j * stride + patch))
            saved = image[window].copy()
            image[window] = fill
            heat[i, j] = predict_fn(image[None])[0, label]
            image[window] = saved
    return heat


@pytest.mark.parametrize("fn", [occlusion_one_call_per_position, occlusion_modify_and_restore])
def test_occlusion_styles_pass(fn):
    both("occlusion_map", fn)


def test_softmax_predictor_names_a_wrong_batch():
    predictor = public.SoftmaxPredictor(np.zeros((12, 2)), np.zeros(2), (2, 2, 3))
    with pytest.raises(ValueError, match=r"predict_fn takes a batch of images of shape \(N, 2, 2, 3\); got .*\(2, 2, 3\)"):
        predictor(np.zeros((2, 2, 3)))
    assert predictor(np.zeros((4, 2, 2, 3))).shape == (4, 2) and predictor.calls == [(4, 2, 2, 3)]


# --------------------------------------------------------------------------- saliency_map


def saliency_mean_of_scores_keras_ops(model, images, labels):
    x = tf.Variable(images)
    with tf.GradientTape() as tape:
        scores = model(x, training=False)
        picked = keras.ops.take_along_axis(scores, keras.ops.convert_to_tensor(labels[:, None], "int32"), axis=1)
        mean = keras.ops.mean(picked)                     # the mean: every gradient scaled by 1 / N
    g = tape.gradient(mean, x).numpy() * len(images)
    return np.max(np.abs(g), axis=3)


def saliency_one_image_at_a_time(model, images, labels):
    maps = []
    for image, label in zip(images, labels):
        x = tf.constant(image[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = model(x)[0, int(label)]                # training defaults to False outside fit
        maps.append(np.abs(tape.gradient(score, x).numpy()[0]).max(axis=-1))
    return np.stack(maps)


def saliency_with_one_hot_mask(model, images, labels):
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = model(x, training=False)
        total = tf.reduce_sum(scores * tf.one_hot(labels, scores.shape[-1]))
    return tf.reduce_max(tf.abs(tape.gradient(total, x)), axis=-1)          # a tensor, not numpy


@pytest.mark.parametrize("fn", [saliency_mean_of_scores_keras_ops, saliency_one_image_at_a_time,
                                saliency_with_one_hot_mask])
def test_saliency_styles_pass(fn):
    both("saliency_map", fn)


def test_saliency_through_the_compiled_model_passes():
    from course.models import inference_function

    def through_compiled(model, images, labels):
        return saliency_with_one_hot_mask(inference_function(model), images, labels)

    both("saliency_map", through_compiled)


def test_a_changed_model_is_named_and_restored():
    model = public.linear_model(public.SAL_W, public.SAL_B, public.SAL_SHAPE, batch_norm=public.SAL_BN)
    before = public.model_state(model)

    def trains(model, images, labels):
        model(images, training=True)
        return np.zeros(images.shape[:3])

    with pytest.raises(CheckFailure, match="moving_mean.*\n.*\n.*the model was called in training mode"):
        public.call_with_model(trains, model, public.SAL_IMAGES, public.SAL_LABELS, name="saliency_map",
                               arg_names=["model", "images", "labels"])
    assert all(np.array_equal(a, b) for a, b in zip(before, public.model_state(model)))


# --------------------------------------------------------------------------- class_visualization_step


def visualization_numpy_norm(model, image, target, l2_reg, learning_rate):
    x = tf.Variable(image[np.newaxis])
    with tf.GradientTape() as tape:
        objective = model(x, training=False)[:, target] - l2_reg * tf.reduce_sum(tf.square(x))
    g = tape.gradient(objective, x).numpy()[0]
    return (image + learning_rate * g / (np.sqrt(np.sum(g ** 2)) + 1e-8)).astype(np.float32)


def visualization_reg_gradient_by_hand(model, image, target, l2_reg, learning_rate):
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, target]
    g = tape.gradient(score, x).numpy()[0] - 2 * l2_reg * image
    return image + learning_rate * g / np.linalg.norm(g)


@pytest.mark.parametrize("fn", [visualization_numpy_norm, visualization_reg_gradient_by_hand])
def test_class_visualization_styles_pass(fn):
    both("class_visualization_step", fn)


# --------------------------------------------------------------------------- fool_linear


def fool_linear_loop(x, W, target, alpha):
    if x.ndim == 1:
        return x + alpha * W[:, int(target)]
    targets = np.broadcast_to(target, (len(x),))
    return np.stack([row + alpha * W[:, t] for row, t in zip(x, targets)])


def fool_linear_transposed_weights(x, W, target, alpha):
    return x + alpha * W.T[target]


@pytest.mark.parametrize("fn", [fool_linear_loop, fool_linear_transposed_weights])
def test_fool_linear_styles_pass(fn):
    both("fool_linear", fn)


# --------------------------------------------------------------------------- fgsm


def fgsm_mean_loss_keras(model, x, y, eps, clip=(0.0, 1.0)):
    x_t = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x_t, training=False))
    out = x + eps * np.sign(tape.gradient(loss, x_t).numpy())
    return out if clip is None else np.clip(out, *clip)


def fgsm_per_image(model, x, y, eps, clip=(0.0, 1.0)):
    out = []
    for image, label in zip(x, y):
        xt = tf.constant(image[None])
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[int(label)], logits=model(xt))
        step = image + eps * tf.sign(tape.gradient(loss, xt))[0].numpy()
        out.append(step if clip is None else np.clip(step, clip[0], clip[1]))
    return np.stack(out)


@pytest.mark.parametrize("fn", [fgsm_mean_loss_keras, fgsm_per_image])
def test_fgsm_styles_pass(fn):
    both("fgsm", fn)


def test_public_module_imports_no_tensorflow(repo_root):
    code = ("import sys, course.check.understanding_cnns, autograder.checks.understanding_cnns, "
            "autograder.mutants.understanding_cnns; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root)
    assert out.stdout.strip() == "False"
