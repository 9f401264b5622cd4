"""Notebook 05's checks: correct answers written differently pass, the references follow Keras and
course.callbacks.EarlyStopping, the public literals match the reference solution, the package's versions
are held back, and the solutions' docstring examples run.

tests/test_mutants.py shows that the checks reject wrong answers; these tests show that they are not
over-strict and that what they call "expected" is what Keras and the package do.
"""

import doctest
import math

import numpy as np
import pytest

from autograder import solutions
from autograder.checks import regularization as hidden
from course.check import regularization as public
from test_layers_helpers import KERAS_NUMPY_WARNING

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)
SOLUTIONS = solutions.load("regularization")


# --------------------------------------------------------------------------- accepted variants

def l2_tuple_of_grads(weights, reg):
    return np.float64(reg) * np.sum([np.vdot(w, w) for w in weights]), tuple(2 * reg * w for w in weights)


def sgdw_factored(w, dw, config=None):
    config = {"learning_rate": 1e-2, "weight_decay": 4e-3, **(config or {})}   # a new dict: allowed
    return (1 - config["learning_rate"] * config["weight_decay"]) * w - config["learning_rate"] * dw, config


def adamw_decay_first_like_keras(w, dw, config=None):
    # Keras' order: decay the variable, then take the Adam step (which does not depend on w)
    c = {} if config is None else config
    for k, v in dict(learning_rate=1e-3, weight_decay=4e-3, beta1=0.9, beta2=0.999, epsilon=1e-8).items():
        c.setdefault(k, v)
    decayed = w * (1 - c["learning_rate"] * c["weight_decay"])
    c["t"] = c.get("t", 0) + 1
    c["m"] = c["beta1"] * c.get("m", 0.0) + (1 - c["beta1"]) * dw
    c["v"] = c["beta2"] * c.get("v", 0.0) + (1 - c["beta2"]) * np.square(dw)
    m_hat = c["m"] / (1 - c["beta1"] ** c["t"])
    v_hat = c["v"] / (1 - c["beta2"] ** c["t"])
    return decayed - c["learning_rate"] * m_hat / (np.sqrt(v_hat) + c["epsilon"]), c


def dropout_random_state(x, dropout_param):
    # any numpy generator: the legacy RandomState, seeded when a seed is given
    p = dropout_param["p"]
    if dropout_param["mode"] != "train":
        return x, (dropout_param, None)
    mask = (np.random.RandomState(dropout_param.get("seed")).rand(*x.shape) < p) / p
    return x * mask, (dropout_param, mask)


def dropout_backward_where(dout, cache):
    param, mask = cache
    return np.where(mask > 0, dout * mask, 0.0) if param["mode"] == "train" else dout


def pca_by_svd(images):
    images = np.asarray(images)
    px = images.reshape(-1, 3) / (255.0 if images.dtype == np.uint8 else 1.0)
    centred = px - px.mean(axis=0)
    _, s, vt = np.linalg.svd(centred / np.sqrt(len(px)), full_matrices=False)
    return s ** 2, -vt.T          # the signs flipped on purpose


def pca_np_cov_biased(images):
    images = np.asarray(images)
    px = images.reshape(-1, 3).astype(np.float64)
    if images.dtype == np.uint8:
        px /= 255.0
    vals, vecs = np.linalg.eigh(np.cov(px, rowvar=False, bias=True))
    return vals[::-1].copy(), vecs[:, ::-1].copy()


def augment_einsum(images, eigenvalues, eigenvectors, alphas):
    offsets = np.einsum("ij,nj->ni", eigenvectors, alphas * eigenvalues)
    return np.clip(images + offsets.reshape(len(images), 1, 1, 3), 0, 1)


def crop_flip_loop(images, crop, rng):
    out = []
    for image in images:                        # draws per image, in another order: flip first
        flip = rng.random() < 0.5
        i = rng.integers(image.shape[0] - crop + 1)
        j = rng.choice(image.shape[1] - crop + 1)
        patch = image[i:i + crop, j:j + crop]
        out.append(np.flip(patch, axis=1) if flip else patch)
    return np.stack(out)


def stopping_keras_style(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(np.asarray(val_losses, dtype=float)):
        if np.isnan(loss) or np.isinf(loss):
            return np.int64(epoch), np.int64(best_epoch)
        wait += 1                               # Keras counts first, then resets on an improvement
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return np.int64(epoch), np.int64(best_epoch)
    return np.int64(len(val_losses) - 1), np.int64(best_epoch)


def ensemble_stack_sum(probabilities):
    stacked = np.stack(list(probabilities))
    return stacked.sum(axis=0) / len(stacked)


def ten_crop_one_batch(predict_fn, images, crop):
    n, h, w = images.shape[:3]
    views = []
    for i, j in [((h - crop) // 2, (w - crop) // 2), (0, 0), (h - crop, w - crop), (0, w - crop), (h - crop, 0)]:
        v = images[:, i:i + crop, j:j + crop]
        views += [v, np.flip(v, axis=2)]
    probs = np.asarray(predict_fn(np.concatenate(views)))
    return probs.reshape(10, n, -1).mean(axis=0)


ACCEPTED = [
    ("l2_penalty", l2_tuple_of_grads), ("sgdw", sgdw_factored), ("adamw", adamw_decay_first_like_keras),
    ("dropout_forward", dropout_random_state), ("dropout_backward", dropout_backward_where),
    ("fit_pca_color", pca_by_svd), ("fit_pca_color", pca_np_cov_biased), ("pca_color_augment", augment_einsum),
    ("random_crop_flip", crop_flip_loop), ("early_stopping_epoch", stopping_keras_style),
    ("ensemble_predict", ensemble_stack_sum), ("ten_crop_predict", ten_crop_one_batch),
]


@pytest.mark.parametrize("function, impl", ACCEPTED, ids=[f"{f}-{i.__name__}" for f, i in ACCEPTED])
def test_correct_variants_pass_both_checks(function, impl):
    getattr(public, f"check_{function}")(impl)
    getattr(hidden, f"check_{function}")(impl)


# --------------------------------------------------------------------------- the references are Keras'


@pytest.mark.parametrize("rule, make", [
    ("sgdw", lambda keras, c: keras.optimizers.SGD(c["learning_rate"], weight_decay=c["weight_decay"])),
    ("adamw", lambda keras, c: keras.optimizers.AdamW(c["learning_rate"], weight_decay=c["weight_decay"],
                                                      beta_1=c["beta1"], beta_2=c["beta2"], epsilon=c["epsilon"])),
])
def test_update_rule_references_follow_keras_step_by_step(rule, make):
    keras = pytest.importorskip("keras")
    problem = hidden._Problem(202)
    config = hidden.CUSTOM[rule]
    ours = hidden._trajectory(hidden.REFERENCE[rule], problem, config, 6)
    variable = keras.Variable(problem.w0.astype("float32"))
    optimizer = make(keras, config)
    for step, expected in enumerate(ours):
        grad = problem.grad(keras.ops.convert_to_numpy(variable).astype(np.float64)).astype("float32")
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
        got = keras.ops.convert_to_numpy(variable).astype(np.float64)
        # float32, and Keras' epsilon on the uncorrected sqrt(v) (tiny next to these gradients)
        assert np.max(np.abs(got - expected)) <= 2e-5 * np.max(np.abs(expected)), (rule, step)


def _drive_early_stopping(model, losses, patience, min_delta):
    """What course.callbacks.EarlyStopping does on ``losses``, driven epoch by epoch as ``fit`` drives it:
    ``(epoch after which it stopped, epoch whose weights it restored)``."""
    import keras

    from course.callbacks import EarlyStopping

    model.stop_training = False
    stopper = EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta, restore_best_weights=True,
                            divergence_factor=None)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, loss in enumerate(losses):
        model.layers[0].bias.assign([float(epoch)])
        stopper.on_epoch_end(epoch, {"loss": 1.0, "val_loss": loss})
        if model.stop_training:
            break
    stopper.on_train_end()
    return epoch, int(round(float(keras.ops.convert_to_numpy(model.layers[0].bias)[0])))


def test_early_stopping_reference_is_what_the_callback_does():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])   # its bias says which epoch it is from
    public_cases = [(curve, p, d) for _, curve, p, d, _, _ in public.STOPPING_CASES]
    for curve, patience, min_delta in public_cases + hidden._stopping_cases():
        assert hidden._ref_stopping(curve, patience, min_delta) == \
            _drive_early_stopping(model, curve, patience, min_delta), (curve, patience, min_delta)
    for _, curve, patience, min_delta, expected, _ in public.STOPPING_CASES:
        assert hidden._ref_stopping(curve, patience, min_delta) == expected


# --------------------------------------------------------------------------- the public literals


def test_public_literals_are_the_reference_solution():
    s = SOLUTIONS
    loss, grads = s["l2_penalty"]([w.copy() for w in public.L2_WEIGHTS], public.L2_REG)
    assert loss == pytest.approx(public.L2_LOSS, rel=1e-12)
    assert all(np.allclose(g, e, rtol=1e-12) for g, e in zip(grads, public.L2_GRADS))
    for rule, first, trajectory in (("sgdw", public.SGDW_FIRST_DEFAULTS, public.SGDW_TRAJECTORY),
                                    ("adamw", public.ADAMW_FIRST_DEFAULTS, public.ADAMW_TRAJECTORY)):
        assert np.allclose(s[rule](public.W0.copy(), public.H * public.W0, None)[0], first, rtol=1e-12)
        w, c = public.W0.copy(), dict(public.RULE_CONFIG[rule])
        for expected in trajectory:
            w, c = s[rule](w, public.H * w, c)
            assert np.allclose(w, expected, rtol=1e-12)
    values, vectors = s["fit_pca_color"](public.pca_test_images(11, 3, 4, 5))
    assert np.allclose(values, public.PCA_VALUES, rtol=1e-10)
    assert np.allclose(public.align_eigenvectors(vectors, public.PCA_VECTORS), public.PCA_VECTORS, atol=1e-10)
    out = s["pca_color_augment"](public.pca_test_images(12, 3, 2, 3), public.AUG_VALUES, public.AUG_VECS,
                                 public.AUG_ALPHAS)
    assert np.allclose(out, public.AUG_OUT, rtol=1e-12)
    assert np.allclose(s["ensemble_predict"](public.ENS_MEMBERS), public.ENS_MEAN, rtol=1e-12)
    rng = np.random.default_rng(4)
    images = rng.random((2, 5, 6, 2))
    predict = public.RecordingPredict(rng.normal(size=(18, 4)), 3, 2)
    assert np.allclose(s["ten_crop_predict"](predict, images, 3), public.TC_OUT, rtol=1e-12)


def test_solution_docstring_examples_run():
    for name in ("l2_penalty", "sgdw", "adamw", "dropout_forward", "dropout_backward", "fit_pca_color",
                 "pca_color_augment", "random_crop_flip", "early_stopping_epoch", "ensemble_predict",
                 "ten_crop_predict"):
        fn = SOLUTIONS[name]
        assert ">>>" in fn.__doc__, name
        finder = doctest.DocTestFinder(recurse=False)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        for test in finder.find(fn, name, globs={"np": np, name: fn}):
            runner.run(test)
        assert runner.failures == 0, f"the docstring example of {name} fails"


# --------------------------------------------------------------------------- the package's versions held back


def test_calling_the_package_version_fails_the_check_and_is_restored():
    import course.data
    import course.data.augment

    namespace = {"np": np, "fit_pca_color": course.data.augment.fit_pca_color}
    exec("def mine(images):\n    return fit_pca_color(images)\n", namespace)   # a notebook's global binding
    with pytest.raises(AssertionError, match="course.data.augment.fit_pca_color is not available while this check"):
        public.check_fit_pca_color(namespace["mine"])
    with pytest.raises(AssertionError, match="not available while this check runs"):
        hidden.check_fit_pca_color(namespace["mine"])
    assert namespace["fit_pca_color"] is course.data.augment.fit_pca_color
    values, _ = course.data.fit_pca_color(np.zeros((1, 2, 2, 3), np.uint8))
    assert values.shape == (3,)
    public.check_fit_pca_color(SOLUTIONS["fit_pca_color"])      # the reference is unaffected


def test_every_held_back_name_exists():
    import importlib

    for function, targets in public.PACKAGE_VERSIONS.items():
        assert function in SOLUTIONS, function
        for target in targets:
            module_name, _, attr = target.rpartition(".")
            if module_name.startswith("keras"):
                pytest.importorskip("keras")
            assert hasattr(importlib.import_module(module_name), attr), target
