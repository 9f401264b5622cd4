"""Hidden checks for notebook 06 (transfer learning).

The same behaviours as the public checks (``course.check.transfer_learning``),
on other bases: other sizes and numbers of classes, a base that pools its own
output, a base built with ``keras.Sequential``, random weights. The expected
features and layer sets are computed here from reference implementations
(and from the usual mistakes, to name them), which is why these checks are
never shipped. The two graded results are recomputed from the student's model
on test images read again from their source.
"""

import numpy as np

from course.check import transfer_learning as public
from course.check.core import CheckFailure, expect_accuracy, quiet
from course.check.transfer_learning import (
    CAUSE_FM_AVG_MAX, CAUSE_FM_INPUT, CAUSE_FM_LAST, CAUSE_FM_NEXT, CAUSE_UT_ALL_LAYERS, CAUSE_UT_BN,
    CAUSE_UT_BN_NOT_COUNTED, CAUSE_UT_BOTTOM, CAUSE_UT_EVERYTHING, CAUSE_UT_REFREEZE, CAUSE_UT_ZERO,
    predict_inference, residual_base, run_feature_extractor_case, run_feature_model_case, run_unfreeze_top_case,
    tiny_base,
)


# ---------------------------------------------------------------------------------------------------
# build_feature_extractor
# ---------------------------------------------------------------------------------------------------


def check_build_feature_extractor(fn):
    """A feature-map base of another size and width, and a base that pools its own output."""
    run_feature_extractor_case(fn, tiny_base(seed=11, input_shape=(10, 10, 3), filters=(3, 5)), num_classes=4,
                               seed=12)
    run_feature_extractor_case(fn, tiny_base(seed=13, filters=(4, 7), pooled=True, name="pooled_base"),
                               num_classes=2, seed=14)


# ---------------------------------------------------------------------------------------------------
# feature_model
# ---------------------------------------------------------------------------------------------------


def _features(base, tensor, x, pooling):
    """Features of ``tensor`` (a symbolic tensor of ``base``) for ``x``, pooled as asked (reference)."""
    import keras

    maps = predict_inference(keras.Model(base.inputs, tensor), x)
    if pooling == "avg" and maps.ndim == 4:
        return maps.mean(axis=(1, 2))
    if pooling == "max" and maps.ndim == 4:
        return maps.max(axis=(1, 2))
    return maps


def _feature_case(fn, base, layer_name, pooling, x):
    names = [layer.name for layer in base.layers]
    layer = base.get_layer(layer_name)
    expected = _features(base, layer.output, x, pooling)
    raw = _features(base, layer.output, x, None)
    candidates = []
    inputs = layer.input if not isinstance(layer.input, list) else layer.input[0]
    candidates.append((_features(base, inputs, x, pooling), CAUSE_FM_INPUT))
    candidates.append((_features(base, base.outputs[0], x, pooling), CAUSE_FM_LAST))
    index = names.index(layer_name)
    if index + 1 < len(names):
        candidates.append((_features(base, base.layers[index + 1].output, x, pooling), CAUSE_FM_NEXT))
    if pooling is not None:
        candidates.append((_features(base, layer.output, x, "max" if pooling == "avg" else "avg"), CAUSE_FM_AVG_MAX))
    run_feature_model_case(fn, base, layer_name, pooling, x, expected, candidates, map_shape=raw.shape[1:])


def check_feature_model(fn):
    """Random-weight bases; early, middle (after a residual addition) and last layers; all three poolings."""
    base = residual_base(seed=21, input_shape=(6, 6, 3), width=5)
    x = np.random.default_rng(22).uniform(-1, 1, (3, 6, 6, 3)).astype(np.float32)
    with quiet():
        _feature_case(fn, base, "stem_relu", "max", x)
        _feature_case(fn, base, "block_add", "avg", x)
        _feature_case(fn, base, "block_bn", None, x)
        _feature_case(fn, base, "top_relu", "avg", x)
    base = tiny_base(seed=23, input_shape=(9, 9, 3), filters=(5, 4))
    x = np.random.default_rng(24).uniform(-1, 1, (4, 9, 9, 3)).astype(np.float32)
    with quiet():
        _feature_case(fn, base, "bn1", "avg", x)
        _feature_case(fn, base, "relu2", "max", x)
    public.run_bad_pooling_case(fn, base, "relu1", "average")
    public.run_bad_pooling_case(fn, base, "relu1", "flatten")


# ---------------------------------------------------------------------------------------------------
# unfreeze_top
# ---------------------------------------------------------------------------------------------------


def _weighted(base):
    return [layer for layer in base.layers if layer.weights]


def _is_bn(layer):
    import keras

    return isinstance(layer, keras.layers.BatchNormalization)


def _names(layers, bn_too=False):
    return [layer.name for layer in layers if bn_too or not _is_bn(layer)]


def _reference(base, n):
    top = _weighted(base)[len(_weighted(base)) - n:] if n > 0 else []
    return _names(top)


def _candidates(base, n, previous):
    """What the usual mistakes make trainable after unfreeze_top(base, n), with their causes."""
    weighted = _weighted(base)
    with_weights_only = [layer for layer in base.layers[-n:] if layer.weights] if n > 0 else []
    non_bn = [layer for layer in weighted if not _is_bn(layer)]
    out = [
        (_names(weighted[:n]), CAUSE_UT_BOTTOM),
        (_names(with_weights_only), CAUSE_UT_ALL_LAYERS),
        (_names(weighted[len(weighted) - n:] if n > 0 else [], bn_too=True), CAUSE_UT_BN),
        (_names(non_bn[len(non_bn) - n:] if n > 0 else []), CAUSE_UT_BN_NOT_COUNTED),
        (_names(weighted, bn_too=True), CAUSE_UT_EVERYTHING),
    ]
    if n == 0:
        out.insert(0, (_names(weighted), CAUSE_UT_ZERO))
        out.insert(1, (_names(weighted, bn_too=True), CAUSE_UT_ZERO))
    if previous is not None:
        out.append((sorted(set(previous) | set(_reference(base, n))), CAUSE_UT_REFREEZE))
    # a wrong answer that equals the right one names nothing
    right = set(_reference(base, n))
    return [(names, cause) for names, cause in out if set(names) != right]


def _sequence(fn, base, counts, x, label):
    previous = None
    for i, n in enumerate(counts):
        run_unfreeze_top_case(fn, base, n, _reference(base, n), _candidates(base, n, previous),
                              x=x if i == len(counts) - 1 else None, label=label)
        previous = _reference(base, n)
        label = "after earlier calls on the same base"


def check_unfreeze_top(fn):
    """Other counts and orders on the residual base, a plain conv-BN base, and a keras.Sequential base."""
    import keras

    base = residual_base(seed=31, input_shape=(6, 6, 3), width=3)
    base.trainable = False
    x = np.random.default_rng(32).uniform(-1, 1, (5, 6, 6, 3)).astype(np.float32)
    _sequence(fn, base, [1, 6, 5, 0, 2], x, "on a base frozen by base.trainable = False")

    base = tiny_base(seed=33, filters=(3, 4, 5))
    x = np.random.default_rng(34).uniform(-1, 1, (5, 8, 8, 3)).astype(np.float32)
    _sequence(fn, base, [4, 3], x, "on a trainable base")

    keras.utils.set_random_seed(35)
    seq = keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, padding="same", name="c1"),
        keras.layers.BatchNormalization(name="n1"),
        keras.layers.ReLU(name="r1"),
        keras.layers.MaxPooling2D(name="p1"),
        keras.layers.SeparableConv2D(6, 3, padding="same", name="c2"),
        keras.layers.BatchNormalization(name="n2"),
        keras.layers.ReLU(name="r2"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense(5, name="d1"),
    ], name="sequential_base")
    seq.trainable = False
    x = np.random.default_rng(36).uniform(-1, 1, (5, 8, 8, 3)).astype(np.float32)
    _sequence(fn, seq, [2, 4, 100], x, "on a frozen keras.Sequential base")


# ---------------------------------------------------------------------------------------------------
# The graded results
# ---------------------------------------------------------------------------------------------------


def _reloaded():
    import course.notebook

    try:
        nb = course.notebook.current()
        return nb, nb.reload_data()
    except RuntimeError as e:
        raise CheckFailure(f"The notebook's data could not be read again: {e}") from None


def grade_feature_extractor_accuracy(model):
    """The test accuracy of the student's feature extractor (a raw-image classifier), recomputed here on the
    notebook's test images read again from their source (``course.notebook.current().reload_data()``)."""
    nb, data = _reloaded()
    accuracy = public.classifier_accuracy(model, data.x_test, data.y_test, what="the feature extractor")
    expect_accuracy(accuracy, public.FEATURE_EXTRACTOR_THRESHOLDS, kind=data.kind, fast=nb.fast, cause=(
        "train the head on the 10 images per class with the notebook's recipe (frozen base) and pass the "
        "raw-image classifier, which resizes and preprocesses inside"))


def grade_fine_tuned_accuracy(model):
    """The test accuracy of the student's fine-tuned model, recomputed here like the feature extractor's."""
    nb, data = _reloaded()
    accuracy = public.classifier_accuracy(model, data.x_test, data.y_test, what="the fine-tuned model")
    expect_accuracy(accuracy, public.FINE_TUNED_THRESHOLDS, kind=data.kind, fast=nb.fast, cause=(
        "fine-tune after training the head, with the smaller learning rate of the notebook, and keep every "
        "BatchNormalization frozen"))
