"""The transfer-learning checks (notebook 06) test behaviour, accept correct answers written
differently, and grade the experiments from the student's model on reloaded data.

tests/test_mutants.py shows that the checks reject the catalogue of wrong answers; these tests
show that they are not over-strict (a Sequential model, pooling with keras.ops, freezing layer by
layer, another loop for unfreeze_top all pass), pin the Keras 3 behaviour the checks and the
notebook are built on, and cover the graded-result helpers.
"""

import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

keras = pytest.importorskip("keras")

from autograder.checks import transfer_learning as hidden  # noqa: E402
from course.check import transfer_learning as public  # noqa: E402
from course.check.core import CheckFailure  # noqa: E402


# --------------------------------------------------------------------------- Keras 3, as the checks assume it


def _base_with_trainable_batch_norm():
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(3, 1, name="conv"),
                             keras.layers.BatchNormalization(name="bn")])
    base.get_layer("conv").trainable = False
    inputs = keras.Input((4, 4, 2))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))   # training=False, as tutorials write
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    return base, model


def test_keras3_fit_overrides_training_false_for_a_trainable_batch_norm():
    """fit calls the model with training=True, which reaches the BatchNormalization inside the base despite
    training=False: only the layer's own trainable=False keeps its moving statistics fixed."""
    x = np.random.default_rng(0).normal(5.0, 1.0, (32, 4, 4, 2)).astype(np.float32)
    y = np.zeros(32, dtype=np.int64)
    base, model = _base_with_trainable_batch_norm()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.abs(base.get_layer("bn").moving_mean.numpy()).max() > 1e-3, "Keras no longer overrides training=False"

    base, model = _base_with_trainable_batch_norm()
    base.get_layer("bn").trainable = False
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.array_equal(base.get_layer("bn").moving_mean.numpy(), np.zeros(3, np.float32))


def test_setting_a_model_trainable_sets_every_layer_inside():
    """unfreeze_top's docstring and checks rely on it: base.trainable = True makes every sublayer trainable."""
    base = public.residual_base(seed=0)
    base.trainable = False
    base.trainable = True
    assert all(layer.trainable for layer in base.layers)
    base.get_layer("top_conv").trainable = "False"        # a truthy string: Keras stores bool("False") == True
    assert base.get_layer("top_conv").trainable is True


# --------------------------------------------------------------------------- correct answers written differently


def extractor_sequential(base, num_classes, dropout=0.2):
    for layer in base.layers:            # freezing layer by layer instead of base.trainable = False
        layer.trainable = False
    layers = [keras.Input(base.input_shape[1:]), base]
    if len(base.output_shape) == 4:
        layers.append(keras.layers.GlobalAveragePooling2D())
    layers += [keras.layers.Dropout(dropout), keras.layers.Dense(num_classes), keras.layers.Softmax()]
    return keras.Sequential(layers)


def extractor_ops_mean(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs)                     # without training=False: the frozen base is in inference mode anyway
    if len(x.shape) == 4:
        x = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=(1, 2)))(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def feature_model_ops(base, layer_name, pooling="avg"):
    reducers = {"avg": keras.ops.mean, "max": keras.ops.max, None: None}
    if pooling not in reducers:
        raise ValueError(f"unknown pooling {pooling}")
    names = [layer.name for layer in base.layers]
    x = base.layers[names.index(layer_name)].output
    if reducers[pooling] is not None:
        x = keras.layers.Lambda(lambda t, r=reducers[pooling]: r(t, axis=[1, 2]))(x)
    return keras.Model(base.input, x)


def unfreeze_top_reversed(base, num_layers):
    base.trainable = True
    names, counted = [], 0
    for layer in reversed(base.layers):
        if not layer.weights:
            layer.trainable = False
            continue
        counted += 1
        unfreeze = counted <= num_layers and not isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = unfreeze
        if unfreeze:
            names.append(layer.name)
    return tuple(names)


@pytest.mark.parametrize("fn, check", [
    (extractor_sequential, "build_feature_extractor"),
    (extractor_ops_mean, "build_feature_extractor"),
    (feature_model_ops, "feature_model"),
    (unfreeze_top_reversed, "unfreeze_top"),
], ids=["extractor_sequential", "extractor_ops_mean", "feature_model_ops", "unfreeze_top_reversed"])
def test_correct_alternatives_pass_public_and_hidden_checks(fn, check):
    getattr(public, f"check_{check}")(fn)
    getattr(hidden, f"check_{check}")(fn)


def test_feature_model_literals_are_the_hand_set_networks_features():
    """The public check's literal numbers are what the literal base computes (they are not a reference
    implementation in the check, so this test recomputes them the long way)."""
    base = public.literal_base()
    x = public.LITERAL_X
    maps = {layer.name: public.predict_inference(keras.Model(base.inputs, layer.output), x)
            for layer in base.layers[1:]}
    np.testing.assert_allclose(maps["relu"].mean(axis=(1, 2)), public._RELU_AVG)
    np.testing.assert_allclose(maps["relu"].max(axis=(1, 2)), public._RELU_MAX)
    np.testing.assert_allclose(maps["mix"].mean(axis=(1, 2)), public._MIX_AVG)
    np.testing.assert_allclose(maps["double"].max(axis=(1, 2)), public._DOUBLE_MAX)
    np.testing.assert_allclose(maps["down"].mean(axis=(1, 2)), public._DOWN_AVG)
    np.testing.assert_allclose(maps["out"].mean(axis=(1, 2)), public._OUT_AVG)
    np.testing.assert_allclose(maps["out"].max(axis=(1, 2)), public._OUT_MAX)
    np.testing.assert_allclose(x.mean(axis=(1, 2)), public._INPUT_AVG)


def test_unfreeze_top_public_cases_name_the_expected_layers():
    """The literal layer names of the public check agree with the residual base's layer order."""
    base = public.residual_base()
    with_weights = [layer.name for layer in base.layers if layer.weights]
    assert with_weights == public._UT_ALL
    for num_layers, expected, _ in public._UT_CASES:
        top = with_weights[len(with_weights) - num_layers:] if num_layers else []
        assert sorted(n for n in top if not n.endswith("bn")) == sorted(expected)


# --------------------------------------------------------------------------- the graded results


def test_thresholds_cite_measured_reference_runs():
    for table in (public.FEATURE_EXTRACTOR_THRESHOLDS, public.FINE_TUNED_THRESHOLDS):
        assert set(table.table) == {(k, m) for k in ("cifar10", "synthetic") for m in ("fast", "full")}
        for key, threshold in table.table.items():
            assert "placeholder" not in threshold.reference, key
            assert 0.1 < threshold.minimum <= threshold.measured - 0.02, (key, threshold)


class _Constant(keras.Model):
    """A "classifier" that predicts class ``k`` for every image (call() so that predict works)."""

    def __init__(self, k, classes=10):
        super().__init__(name="constant")
        self.k, self.classes = k, classes

    def call(self, x):
        n = keras.ops.shape(x)[0]
        return keras.ops.one_hot(keras.ops.full((n,), self.k, dtype="int32"), self.classes)


def test_classifier_accuracy_counts_the_argmax_and_explains_bad_models():
    x = np.zeros((20, 32, 32, 3), np.uint8)
    y = np.array([3] * 5 + [1] * 15)
    assert public.classifier_accuracy(_Constant(3), x, y) == 0.25
    with pytest.raises(CheckFailure, match="must give one row of 10 class probabilities"):
        public.classifier_accuracy(_Constant(3, classes=4), x, y)
    with pytest.raises(CheckFailure, match="must be a keras.Model"):
        public.classifier_accuracy(lambda images: images, x, y)
    tiny = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(CheckFailure, match="must take raw CIFAR images"):
        public.classifier_accuracy(tiny, x, y)


def test_grading_recomputes_the_accuracy_on_reloaded_data(monkeypatch):
    import course.notebook

    monkeypatch.setattr(course.notebook, "_CURRENT", None)
    nb = course.notebook.setup(fast=True, seed=0, verbose=False)
    data = nb.load_cifar10("synthetic", n_train=50, n_val=0, n_test=40)
    rare = int(np.bincount(data.y_test, minlength=10).argmin())
    data.y_test[:] = rare                        # the notebook's copy is changed: grading must not see it
    with pytest.raises(CheckFailure, match=r"test accuracy of your feature extractor .* is [0-9.]+% on the "
                                           r"synthetic CIFAR-shaped set \(fast mode\)"):
        hidden.grade_feature_extractor_accuracy(_Constant(rare))
    with pytest.raises(CheckFailure, match="fine-tuned model"):
        hidden.grade_fine_tuned_accuracy(_Constant(rare))
    # the public check trusts the data it is given: with the altered labels the constant model looks perfect
    assert public.classifier_accuracy(_Constant(rare), data.x_test, data.y_test) == 1.0


def test_grading_without_a_notebook_says_what_to_run(monkeypatch):
    import course.notebook

    monkeypatch.setattr(course.notebook, "_CURRENT", None)
    with pytest.raises(CheckFailure, match="could not be read again.*set-up cell"):
        hidden.grade_fine_tuned_accuracy(_Constant(0))


def test_importing_the_checks_does_not_import_tensorflow():
    code = ("import sys, course.check.transfer_learning, autograder.checks.transfer_learning; "
            "print(any(m in sys.modules for m in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_grading_kernel_of_06_gets_the_address_space_it_needs():
    """Under the default 4096 MB RLIMIT_AS the reference solution's kernel dies in the from-scratch cell."""
    from autograder import config, workspace

    assert workspace.limits_for("06_transfer_learning").memory_mb == 8192
    assert workspace.limits_for("00_warmup").memory_mb == config.GRADING_MEMORY_MB
    assert workspace.limits_for("06_transfer_learning", memory_mb=2000).memory_mb == 2000
