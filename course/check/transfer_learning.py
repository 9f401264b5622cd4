"""Public checks for notebook 06 (transfer learning): a classifier on a frozen
pretrained base, the features of an intermediate layer, and unfreezing the
top of a network for fine-tuning.

The graded functions build or change Keras models, so the checks test what
the models *do*, never how they are written: the output for known inputs,
which weights change in a ``fit`` step and which stay put (BatchNormalization's
moving statistics included), which layers are trainable afterwards. They run
on tiny bases built here (a few convolutions on 8x8 images, a fraction of a
second each), not on the ImageNet network; the hidden checks use other bases
and more cases. Expected values are literal numbers from hand-set weights
(``feature_model``), literal layer names (``unfreeze_top``), or properties
any correct answer has (``build_feature_extractor``: its output is the softmax
of its own head applied to the pooled features of the base); there is no
implementation of a graded function here.

The case runners ``run_feature_extractor_case``, ``run_feature_model_case``
and ``run_unfreeze_top_case`` and the fixtures (``tiny_base``,
``snapshot_weights``, ``fit_steps``, ...) are public because the hidden checks
run them on their own inputs.

Keras is imported inside the functions: ``import course.check`` stays cheap.
"""

import numpy as np

from .core import (
    CheckFailure, Threshold, Thresholds, call, describe, diagnose, expect, expect_accuracy, matches, quiet,
)

__all__ = [
    "check_build_feature_extractor",
    "check_feature_model",
    "check_unfreeze_top",
    "check_feature_extractor_accuracy",
    "check_fine_tuned_accuracy",
    "FEATURE_EXTRACTOR_THRESHOLDS",
    "FINE_TUNED_THRESHOLDS",
    "classifier_accuracy",
    "tiny_base",
    "residual_base",
    "literal_base",
    "predict_inference",
    "snapshot_weights",
    "changed_layers",
    "fit_steps",
    "run_feature_extractor_case",
    "run_feature_model_case",
    "run_unfreeze_top_case",
    "run_bad_pooling_case",
    "CAUSE_FM_AVG_MAX", "CAUSE_FM_INPUT", "CAUSE_FM_LAST", "CAUSE_FM_NEXT",
    "CAUSE_UT_ALL_LAYERS", "CAUSE_UT_BN", "CAUSE_UT_BN_NOT_COUNTED", "CAUSE_UT_BOTTOM", "CAUSE_UT_EVERYTHING",
    "CAUSE_UT_REFREEZE", "CAUSE_UT_ZERO",
    "TOL",
]

#: Relative tolerance for float32 model outputs compared with numpy recomputations.
TOL = 1e-4

# --- Likely causes, named once so the checks and the mutant catalogue agree. ---------------------
CAUSE_NOT_MODEL = "build the model with keras.Model(inputs, outputs) (or keras.Sequential) and return it"
CAUSE_INPUT = ("the model takes exactly what base takes (keras.Input(shape=base.input_shape[1:])): the images "
               "are resized and preprocessed by the caller, not inside the model")
CAUSE_SOFTMAX = "the head must give probabilities: keras.layers.Dense(num_classes, activation=\"softmax\")"
CAUSE_BASE_NOT_FROZEN = "freeze the base before building the model: base.trainable = False"
CAUSE_BN_NOT_FROZEN = (
    "the base's BatchNormalization layers are still trainable: Keras 3's fit calls the whole model with "
    "training=True, which overrides the training=False you gave when calling the base, so a trainable "
    "BatchNormalization uses batch statistics and updates its moving mean and variance; base.trainable = False "
    "freezes every layer of the base, BatchNormalization included, and keeps them in inference mode")
CAUSE_MODEL_FROZEN = ("the whole model is frozen, so nothing trains: freeze the base (base.trainable = False), "
                      "not the model, so that the new head stays trainable")
CAUSE_EXTRA_LAYER = ("only the new head trains: one Dense layer from the C pooled features to the classes, "
                     "(C + 1) * num_classes parameters; remove any other layer between the base and the head "
                     "(an extra Dense or classifier)")
CAUSE_NO_BIAS = "the head has no bias: keras.layers.Dense(num_classes, activation=\"softmax\") keeps its default bias"
CAUSE_FLATTEN = ("the feature map is flattened: use global average pooling "
                 "(keras.layers.GlobalAveragePooling2D()), which gives one value per channel")
CAUSE_MAX_POOL = "the features are max-pooled: use global AVERAGE pooling, keras.layers.GlobalAveragePooling2D()"
CAUSE_PREPROCESS = ("the model preprocesses its input again: base expects images that are already preprocessed "
                    "(the caller applies preprocess_imagenet once), so pass the input to base unchanged")
CAUSE_DOUBLE_SOFTMAX = ("the softmax is applied twice: Dense(num_classes, activation=\"softmax\") already gives "
                        "probabilities")
CAUSE_HEAD = ("the output must be softmax(pooled_features @ W + b) with the head's own weights: base (in inference "
              "mode), global average pooling when the base returns a feature map, dropout, Dense with a softmax")
CAUSE_POOL_POOLED = ("this base already pools (its output has shape (None, C)): add the global average pooling "
                     "only when base's output is a feature map, len(x.shape) == 4")
CAUSE_DROPOUT_RATE = "use the rate you are given: keras.layers.Dropout(dropout)"
CAUSE_NO_DROPOUT = "add keras.layers.Dropout(dropout) between the pooling and the head"
CAUSE_COPY = ("the model must use base itself, not a copy (keras.models.clone_model) or a new network, so that "
              "unfreezing layers of base later fine-tunes this model")

CAUSE_FM_INPUT = ("these are the features of the layer's INPUT (the layer before it): use "
                  "base.get_layer(layer_name).output")
CAUSE_FM_LAST = ("these are the features of the base's last layer: use the named layer's output, "
                 "base.get_layer(layer_name).output")
CAUSE_FM_NEXT = "these are the features of the layer after the named one: use base.get_layer(layer_name).output"
CAUSE_FM_NO_POOL = ("pool the feature map over its positions: keras.layers.GlobalAveragePooling2D() for \"avg\", "
                    "GlobalMaxPooling2D() for \"max\"")
CAUSE_FM_AVG_MAX = "\"avg\" and \"max\" are swapped: \"avg\" is GlobalAveragePooling2D, \"max\" GlobalMaxPooling2D"
CAUSE_FM_POOL_NONE = "pooling=None means no pooling at all: return the feature map (N, h, w, C) itself"
CAUSE_FM_FLATTEN = "the feature map is flattened instead of pooled: pool over the positions, one value per channel"
CAUSE_FM_BAD_POOLING = ("raise ValueError naming pooling when it is not \"avg\", \"max\" or None (a typo must not "
                        "silently give some other features)")
CAUSE_FM_INPUTS = "the model takes base's input: keras.Model(base.inputs, features)"

CAUSE_UT_BOTTOM = ("the layers are counted from the bottom (the input end): the TOP layers are the last ones of "
                   "base.layers, e.g. with_weights[len(with_weights) - num_layers:]")
CAUSE_UT_ALL_LAYERS = ("layers without weights (activations, pooling, Add, the input) are counted too: count only "
                       "the layers that have weights, [layer for layer in base.layers if layer.weights]")
CAUSE_UT_BN = ("BatchNormalization layers are made trainable: they count among the num_layers but stay frozen "
               "(trainable = False), so that fit keeps them in inference mode with their ImageNet statistics")
CAUSE_UT_BN_NOT_COUNTED = ("BatchNormalization layers are skipped when counting: they count among the top "
                           "num_layers layers with weights (they just stay frozen)")
CAUSE_UT_ZERO = ("num_layers = 0 unfreezes everything: with_weights[-0:] is the WHOLE list (-0 == 0); unfreeze "
                 "nothing when num_layers is 0")
CAUSE_UT_REFREEZE = ("layers unfrozen by an earlier call stay trainable: first freeze every layer of base "
                     "(for layer in base.layers: layer.trainable = False), then unfreeze the top ones")
CAUSE_UT_BASE_FROZEN = ("base itself is still frozen (base.trainable = False, as build_feature_extractor left it), "
                        "so its layers do not train whatever their own flags say: set base.trainable = True first, "
                        "then freeze and unfreeze its layers")
CAUSE_UT_RETURN = "return the list of the names of the layers you made trainable, [layer.name, ...]"
CAUSE_UT_EVERYTHING = ("every layer of base trains: freeze every layer first (for layer in base.layers: "
                       "layer.trainable = False, with the boolean False: a string such as \"False\" is true), "
                       "then unfreeze the top ones")


# ---------------------------------------------------------------------------------------------------
# Fixtures: tiny bases and what they do
# ---------------------------------------------------------------------------------------------------


def _set_batch_norm_statistics(model, rng):
    """Give every BatchNormalization of ``model`` non-trivial statistics and affine weights, so that
    inference mode, training mode and a drift of the moving statistics all change the output."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.moving_mean.shape[-1]
            layer.moving_mean.assign(rng.normal(0.0, 0.5, c).astype(np.float32))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, c).astype(np.float32))
            if layer.gamma is not None:
                layer.gamma.assign(rng.uniform(0.5, 1.5, c).astype(np.float32))
            if layer.beta is not None:
                layer.beta.assign(rng.normal(0.0, 0.2, c).astype(np.float32))


def tiny_base(seed=0, input_shape=(8, 8, 3), filters=(4, 6), pooled=False, name="tiny_base"):
    """A small pretrained-looking base: conv-BN-ReLU blocks (the second with stride 2), no classifier.

    Layers: ``input``, then per block ``conv{i}``, ``bn{i}``, ``relu{i}``, and ``pool`` when
    ``pooled`` (global average). Its BatchNormalization layers have non-trivial moving statistics
    (seeded), as a pretrained network's do. Output: the feature map ``(N, h, w, filters[-1])``,
    or ``(N, filters[-1])`` when ``pooled``.
    """
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(f, 3, strides=1 if i == 1 else 2, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
    if pooled:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    model = keras.Model(inputs, x, name=name)
    _set_batch_norm_statistics(model, np.random.default_rng(seed))
    return model


def residual_base(seed=0, input_shape=(8, 8, 3), width=4, name="residual_base"):
    """A base shaped like the top of an EfficientNet: a stem, one inverted-residual block, a head conv.

    ``base.layers`` in order (``*``: has weights)::

        input, stem_conv*, stem_bn*, stem_relu,
        block_dwconv*, block_bn*, block_relu, block_project*, block_project_bn*, block_add,
        top_conv*, top_bn*, top_relu

    Eight layers with weights, four of them BatchNormalization.
    """
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    stem = keras.layers.ReLU(name="stem_relu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="block_dwconv")(stem)
    x = keras.layers.BatchNormalization(name="block_bn")(x)
    x = keras.layers.ReLU(name="block_relu")(x)
    x = keras.layers.Conv2D(width, 1, use_bias=False, name="block_project")(x)
    x = keras.layers.BatchNormalization(name="block_project_bn")(x)
    x = keras.layers.Add(name="block_add")([x, stem])
    x = keras.layers.Conv2D(2 * width, 1, use_bias=False, name="top_conv")(x)
    x = keras.layers.BatchNormalization(name="top_bn")(x)
    x = keras.layers.ReLU(name="top_relu")(x)
    model = keras.Model(inputs, x, name=name)
    _set_batch_norm_statistics(model, np.random.default_rng(seed))
    return model


#: The public feature_model check's input: two 4x4 images with two channels (multiples of 0.5, so the
#: expected features below are exact in float32).
LITERAL_X = np.array([
    [[[2.0, 6.0], [-4.0, 6.0], [0.0, 0.0], [1.0, -4.0]],
     [[4.0, -8.0], [-2.0, -2.0], [1.0, -2.0], [-3.0, -8.0]],
     [[-4.0, -8.0], [-3.0, 8.0], [-3.0, 2.0], [2.0, -4.0]],
     [[-2.0, -2.0], [-2.0, 8.0], [-3.0, 8.0], [3.0, 6.0]]],
    [[[-1.5, -1.5], [0.5, 0.0], [0.5, 3.0], [0.5, -6.0]],
     [[2.0, 1.5], [2.0, -3.0], [-0.5, 4.5], [-1.5, -6.0]],
     [[-0.5, 3.0], [-1.5, 4.5], [-0.5, -3.0], [0.0, 6.0]],
     [[1.5, 4.5], [-1.0, -6.0], [1.5, 3.0], [1.0, -6.0]]],
], dtype=np.float32)


def literal_base():
    """The public feature_model check's base, with hand-set weights (the features are exact)::

        input (4, 4, 2)
        double : 1x1 conv, kernel 2 * I          -> 2 x                        (4, 4, 2)
        mix    : 1x1 conv, channels (a, b) -> (a, b, a - b)                     (4, 4, 3)
        relu   : max(0, .)                                                     (4, 4, 3)
        down   : 2x2 max pooling                                               (2, 2, 3)
        out    : 1x1 conv, (a, b, c) -> (a + b + c, c)                           (2, 2, 2)
    """
    import keras

    inputs = keras.Input(shape=(4, 4, 2), name="input")
    x = keras.layers.Conv2D(2, 1, use_bias=False, name="double")(inputs)
    x = keras.layers.Conv2D(3, 1, use_bias=False, name="mix")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.MaxPooling2D(2, name="down")(x)
    x = keras.layers.Conv2D(2, 1, use_bias=False, name="out")(x)
    model = keras.Model(inputs, x, name="literal_base")
    model.get_layer("double").set_weights([2.0 * np.eye(2, dtype=np.float32)[None, None]])
    model.get_layer("mix").set_weights([np.array([[1, 0, 1], [0, 1, -1]], np.float32)[None, None]])
    model.get_layer("out").set_weights([np.array([[1, 0], [1, 0], [1, 1]], np.float32)[None, None]])
    return model


def predict_inference(model, x):
    """``model(x, training=False)`` as a float64 numpy array (eager: no tf.function to trace)."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(np.asarray(x, np.float32), training=False)), np.float64)


def snapshot_weights(model):
    """``{(layer name, weight name): numpy copy}`` for every weight of every layer of ``model``,
    trainable or not (BatchNormalization's moving mean and variance included)."""
    import keras

    out = {}
    for layer in model.layers:
        for i, w in enumerate(layer.weights):
            out[(layer.name, f"{i}:{w.name}")] = np.array(keras.ops.convert_to_numpy(w))
    return out


def changed_layers(before, after):
    """Names of the layers (in order) whose weights differ between two :func:`snapshot_weights`."""
    names = []
    for key, value in before.items():
        if key[0] not in names and (key not in after or not np.array_equal(value, after[key])):
            names.append(key[0])
    return names


def fit_steps(model, x, y, steps=1, learning_rate=0.5):
    """Train ``model`` for ``steps`` full-batch steps of plain SGD on ``(x, y)`` through Keras' training step.

    ``train_on_batch`` runs the same ``train_step`` as ``fit`` (the model called with
    ``training=True``, the Keras 3 behaviour the checks are about) without fit's epoch machinery;
    eagerly, because a tiny model needs no tf.function to trace.
    """
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    x, y = np.asarray(x, np.float32), np.asarray(y)
    with quiet():
        for _ in range(steps):
            model.train_on_batch(x, y)


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _head_of(model, channels, num_classes):
    """The head's kernel ``(C, K)`` and bias ``(K,)`` among the model's trainable weights, or None."""
    import keras

    arrays = [np.asarray(keras.ops.convert_to_numpy(w), np.float64) for w in model.trainable_weights]
    kernels = [a for a in arrays if a.shape == (channels, num_classes)]
    biases = [a for a in arrays if a.shape == (num_classes,)]
    if len(arrays) == 2 and len(kernels) == 1 and len(biases) == 1:
        return kernels[0], biases[0]
    return None


# ---------------------------------------------------------------------------------------------------
# build_feature_extractor
# ---------------------------------------------------------------------------------------------------


def _build(fn, base, num_classes, dropout, cause=None):
    """``fn(base, num_classes, dropout=dropout)`` through ``call``; returns ``(model, text)``, where ``text``
    is the call as a student would write it, for messages."""
    import keras

    text = f"build_feature_extractor(base, {num_classes}, dropout={dropout})"
    try:
        model, _ = call(fn, base, num_classes, dropout=dropout, name="build_feature_extractor",
                        arg_names=["base", "num_classes"])
    except CheckFailure as e:
        message = str(e).replace("build_feature_extractor(base, num_classes, dropout=dropout)", text)
        message = message.replace("base = a function", f"base = a Keras model {base.name!r} with output shape "
                                                        f"{base.output_shape}")
        raise CheckFailure(message + (f"\n  likely cause: {cause}" if cause else "")) from None
    expect(isinstance(model, keras.Model), f"{text} must return a keras.Model.", got=type(model).__name__,
           expected="a keras.Model", cause=CAUSE_NOT_MODEL)
    return model, text


def run_feature_extractor_case(fn, base, num_classes, seed=0, n=12):
    """Every behaviour of a correct ``build_feature_extractor(base, num_classes, dropout)``, on one base.

    Builds the model with ``dropout=0.0`` and checks, in order: it is a ``keras.Model`` taking base's
    input; its output is a probability vector per image; it trains exactly one Dense head of
    ``(C + 1) * num_classes`` parameters; one ``fit`` step changes the head and nothing of the base
    (moving statistics included); its output is ``softmax(pool(base(x)) @ W + b)`` with its own
    head; in training mode it gives the same output (nothing of the base runs in training mode, no
    dropout at rate 0); and it uses ``base`` itself. Then ``dropout=0.5`` must make training-mode
    outputs random. ``base`` is changed (frozen, then its first kernel scaled): pass a fresh one.
    """
    import keras

    rng = np.random.default_rng(seed)
    in_shape = tuple(base.input_shape[1:])
    out_shape = tuple(base.output_shape[1:])
    channels = out_shape[-1]
    x = rng.uniform(-1.0, 1.0, (n, *in_shape)).astype(np.float32)
    y = rng.integers(0, num_classes, n)
    pooled_base = len(out_shape) == 1

    model, call_text = _build(fn, base, num_classes, 0.0, cause=CAUSE_POOL_POOLED if pooled_base else None)
    what = f"{call_text}, for a base {base.name!r} of output shape {(None, *out_shape)},"
    got_in = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else model.input_shape
    expect(got_in == in_shape, f"{what} returned a model that takes inputs of another shape than base.",
           got=f"inputs of shape {(None, *got_in) if isinstance(got_in, tuple) else got_in}",
           expected=f"base's input shape {(None, *in_shape)}", cause=CAUSE_INPUT)
    with quiet():
        probs = predict_inference(model, x)
    expect(probs.shape == (n, num_classes), f"{what} returned a model whose output has the wrong shape.",
           got=f"shape {probs.shape} for {n} images", expected=f"shape {(n, num_classes)}",
           cause=f"the head is Dense(num_classes) = Dense({num_classes}), the last layer")
    sums = probs.sum(axis=1)
    expect(bool(np.all(np.isfinite(probs)) and np.all(probs >= -1e-6) and np.allclose(sums, 1.0, atol=1e-4)),
           f"{what} returned a model whose outputs are not probabilities (non-negative rows that sum to 1).",
           got=f"row sums {describe(sums[:4])}, values in [{probs.min():.3g}, {probs.max():.3g}]",
           expected="every row sums to 1", cause=CAUSE_SOFTMAX)

    # A fit step changes the head and nothing of the base (moving statistics included).
    if _count(model.trainable_weights) == 0:
        raise CheckFailure(f"{what} returned a model with no trainable weights at all.\n"
                           f"  likely cause: {CAUSE_MODEL_FROZEN}")
    before_base, before_model = snapshot_weights(base), snapshot_weights(model)
    try:
        fit_steps(model, x, y)
    except Exception as e:
        raise CheckFailure(f"Training the model of {call_text} with fit (SGD, sparse categorical "
                           f"cross-entropy) failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                           ) from None
    moved = changed_layers(before_base, snapshot_weights(base))
    if moved:
        only_bn = all(isinstance(base.get_layer(name), keras.layers.BatchNormalization) for name in moved)
        raise CheckFailure(
            f"A fit step on the model of {call_text} changed the weights of the base's layers "
            f"{', '.join(moved)}; the base must not change at all, moving statistics included.\n"
            f"  likely cause: {CAUSE_BN_NOT_FROZEN if only_bn else CAUSE_BASE_NOT_FROZEN}")
    expect(bool(changed_layers(before_model, snapshot_weights(model))),
           f"A fit step on the model of {call_text} changed none of its weights.", show_values=False,
           cause="the new Dense head must be trainable: freeze the base, not the head")

    # Only the head trains: exactly (C + 1) * K parameters, in one kernel and one bias.
    want = (channels + 1) * num_classes
    trainable = _count(model.trainable_weights)
    head_after = _head_of(model, channels, num_classes)
    if trainable != want or head_after is None:
        cause = CAUSE_EXTRA_LAYER
        if not pooled_base and trainable == (int(np.prod(out_shape)) + 1) * num_classes:
            cause = CAUSE_FLATTEN
        elif trainable == channels * num_classes:
            cause = CAUSE_NO_BIAS
        expect(False, f"{what} returned a model that trains {trainable} parameters; only its new head should "
               f"train: ({channels} + 1) * {num_classes} = {want}.", got=f"{trainable} trainable parameters",
               expected=f"{want}", cause=cause)
    W, b = head_after

    # The output is the head applied to the (pooled) base features, with the model's own weights.
    with quiet():
        feats = predict_inference(base, x)
        got = predict_inference(model, x)
    axes = tuple(range(1, feats.ndim - 1))
    pooled = feats.mean(axis=axes) if axes else feats
    expected = _softmax(pooled @ W + b)
    if not matches(got, expected, TOL, normwise=True):
        candidates = []
        if axes:
            candidates.append((_softmax(feats.max(axis=axes) @ W + b), CAUSE_MAX_POOL))
        candidates.append((_softmax(_softmax(pooled @ W + b)), CAUSE_DOUBLE_SOFTMAX))
        for transform in (lambda v: (v - 127.0) / 128.0, lambda v: v / 255.0, lambda v: v / 127.5 - 1.0):
            with quiet():
                f2 = predict_inference(base, transform(x))
            candidates.append((_softmax((f2.mean(axis=axes) if axes else f2) @ W + b), CAUSE_PREPROCESS))
        expect(False, f"{what} returned a model whose output is not softmax(pooled base features @ W + b) with its "
               f"own head (inference mode).", got=got, expected=expected,
               cause=diagnose(got, candidates, tol=TOL, normwise=True, default=CAUSE_HEAD))

    # Training mode: the frozen base runs in inference mode, and dropout 0 drops nothing.
    with quiet():
        train_out = np.asarray(keras.ops.convert_to_numpy(model(x, training=True)), np.float64)
    expect(matches(train_out, got, TOL, normwise=True),
           f"The model of {call_text} gives other outputs in training mode than in "
           f"inference mode.", got=train_out, expected=got,
           cause=CAUSE_DROPOUT_RATE + " (with dropout=0.0 nothing is dropped); and every layer of the base frozen, "
                                      "so that BatchNormalization runs in inference mode")

    # It is base itself that the model runs.
    first = next(w for layer in base.layers for w in layer.weights if len(w.shape) == 4)
    first.assign(keras.ops.convert_to_numpy(first) * 1.5 + 0.1)
    with quiet():
        after = predict_inference(model, x)
    expect(not matches(after, got, 1e-6, normwise=True),
           f"The model of {call_text} does not run base itself: changing base's weights does not change "
           f"the model's output.", show_values=False, cause=CAUSE_COPY)

    # Dropout at the given rate: 0.5 makes training-mode outputs random.
    model, call_text = _build(fn, base, num_classes, 0.5)
    with quiet():
        inference = predict_inference(model, x)
        draws = [np.asarray(keras.ops.convert_to_numpy(model(x, training=True)), np.float64) for _ in range(2)]
    expect(not (matches(draws[0], inference, 1e-6, normwise=True) and matches(draws[1], inference, 1e-6,
                                                                             normwise=True)),
           f"The model of {call_text} gives the same output in training mode as in inference mode: no dropout.",
           show_values=False, cause=CAUSE_NO_DROPOUT)


def check_build_feature_extractor(fn):
    """Check ``build_feature_extractor(base, num_classes, dropout)`` on a tiny base that returns a feature map."""
    run_feature_extractor_case(fn, tiny_base(seed=1, filters=(4, 6)), num_classes=3, seed=2)


# ---------------------------------------------------------------------------------------------------
# feature_model
# ---------------------------------------------------------------------------------------------------

# Features of literal_base() for LITERAL_X, per layer and pooling (computed once, exact):
_INPUT_AVG, _INPUT_MAX = [[-0.8125, 0.375], [0.15625, -0.09375]], [[4.0, 8.0], [2.0, 6.0]]
_DOUBLE = 2.0 * LITERAL_X
_DOUBLE_AVG, _DOUBLE_MAX = [[-1.625, 0.75], [0.3125, -0.1875]], [[8.0, 16.0], [4.0, 12.0]]
_MIX_AVG, _MIX_MAX = [[-1.625, 0.75, -2.375], [0.3125, -0.1875, 0.5]], [[8.0, 16.0, 24.0], [4.0, 12.0, 14.0]]
_RELU_AVG, _RELU_MAX = [[1.625, 5.5, 4.375], [1.1875, 3.75, 3.9375]], [[8.0, 16.0, 24.0], [4.0, 12.0, 14.0]]
_DOWN_AVG = [[4.0, 11.0, 13.5], [2.75, 8.25, 11.75]]
_OUT_AVG, _OUT_MAX = [[28.5, 13.5], [22.75, 11.75]], [[44.0, 24.0], [29.0, 14.0]]


def _fm_candidates(layer_input, layer_next, base_output, other_pool):
    """Known wrong features for run_feature_model_case: another layer's, or the other pooling's."""
    out = [(layer_input, CAUSE_FM_INPUT), (base_output, CAUSE_FM_LAST), (layer_next, CAUSE_FM_NEXT)]
    if other_pool is not None:
        out.append((other_pool, CAUSE_FM_AVG_MAX))
    return out


def run_feature_model_case(fn, base, layer_name, pooling, x, expected, candidates=(), map_shape=None):
    """Check ``feature_model(base, layer_name, pooling)`` against the ``expected`` features of ``x``.

    ``candidates``: ``(value, cause)`` pairs of known wrong features (another layer, the other
    pooling) for the message; ``map_shape``: the layer's ``(h, w, C)``, to recognise a flattened map.
    """
    import keras

    model, record = call(fn, base, layer_name, pooling=pooling, name="feature_model",
                         arg_names=["base", "layer_name"])
    expect(isinstance(model, keras.Model), f"{record} must return a keras.Model.", call=record,
           got=type(model).__name__, expected="a keras.Model", cause="return keras.Model(base.inputs, features)")
    try:
        with quiet():
            got = predict_inference(model, x)
    except Exception as e:
        raise CheckFailure(f"The model of feature_model(base, {layer_name!r}, pooling={pooling!r}) failed on base's "
                           f"input {x.shape}: "
                           f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}\n"
                           f"  likely cause: {CAUSE_FM_INPUTS}") from None
    what = f"The model of feature_model(base, {layer_name!r}, pooling={pooling!r})"
    expected = np.asarray(expected, np.float64)
    known = diagnose(got, candidates, tol=TOL, normwise=True)
    if got.shape != expected.shape:
        cause = known or (CAUSE_FM_POOL_NONE if pooling is None else CAUSE_FM_NO_POOL)
        if known is None and pooling is not None and map_shape is not None \
                and got.shape == (len(x), int(np.prod(map_shape))):
            cause = CAUSE_FM_FLATTEN
        expect(False, f"{what} returns features of the wrong shape.", got=f"shape {got.shape}",
               expected=f"shape {expected.shape}", cause=cause)
    expect(matches(got, expected, TOL, normwise=True), f"{what} returns the wrong features.", got=got,
           expected=expected, cause=known or "the features are base.get_layer(layer_name).output, pooled over the "
                                             "positions")


def run_bad_pooling_case(fn, base, layer_name, pooling):
    """Fail unless ``fn(base, layer_name, pooling=pooling)`` rejects the unknown ``pooling`` with a ValueError.

    Shared with the hidden check (autograder/checks/transfer_learning.py).
    """
    try:
        with quiet():
            fn(base, layer_name, pooling=pooling)
    except ValueError as e:
        expect(str(pooling) in str(e), f"feature_model(base, {layer_name!r}, pooling={pooling!r}) raised ValueError "
               f"without naming the bad value.", got=str(e), expected=f"a message naming {pooling!r}",
               cause=CAUSE_FM_BAD_POOLING)
        return
    except Exception as e:
        raise CheckFailure(f"feature_model(base, {layer_name!r}, pooling={pooling!r}) raised {type(e).__name__} "
                           f"({e}); expected ValueError.\n  likely cause: {CAUSE_FM_BAD_POOLING}") from None
    raise CheckFailure(f"feature_model(base, {layer_name!r}, pooling={pooling!r}) did not raise ValueError.\n"
                       f"  likely cause: {CAUSE_FM_BAD_POOLING}")


def check_feature_model(fn):
    """Check ``feature_model(base, layer_name, pooling)`` on a base with hand-set weights (exact features)."""
    base = literal_base()
    x = LITERAL_X
    run_feature_model_case(fn, base, "relu", "avg", x, _RELU_AVG, _fm_candidates(
        _MIX_AVG, _DOWN_AVG, _OUT_AVG, _RELU_MAX), map_shape=(4, 4, 3))
    run_feature_model_case(fn, base, "double", "max", x, _DOUBLE_MAX, _fm_candidates(
        _INPUT_MAX, _MIX_MAX, _OUT_MAX, _DOUBLE_AVG))
    run_feature_model_case(fn, base, "down", "avg", x, _DOWN_AVG, _fm_candidates(
        _RELU_AVG, _OUT_AVG, _OUT_AVG, None))
    run_feature_model_case(fn, base, "double", None, x, _DOUBLE, [(LITERAL_X, CAUSE_FM_INPUT)])
    run_bad_pooling_case(fn, base, "relu", "mean")


# ---------------------------------------------------------------------------------------------------
# unfreeze_top
# ---------------------------------------------------------------------------------------------------


def _trainable_layers(base):
    """Names of the layers of ``base`` whose weights would train inside a model containing it."""
    if not base.trainable:
        return []
    return [layer.name for layer in base.layers if layer.trainable_weights]


def run_unfreeze_top_case(fn, base, num_layers, expected, candidates=(), x=None, label=None):
    """Check ``unfreeze_top(base, num_layers)`` on ``base`` in its current state.

    ``expected``: the names that must come back and be the only trainable layers afterwards;
    ``candidates``: ``(names, cause)`` pairs of known wrong answers. With ``x`` (inputs of base), a
    ``fit`` step of a model around base then shows that exactly the expected layers change
    (BatchNormalization statistics included). ``label``: how base got into its state, for messages.
    """
    import keras

    expected = set(expected)
    names, record = call(fn, base, num_layers, name="unfreeze_top", arg_names=["base", "num_layers"])
    where = f"unfreeze_top(base, {num_layers})" + (f" {label}" if label else "")
    expect(isinstance(names, (list, tuple, set)) and all(isinstance(n, str) for n in names),
           f"{where} must return a list of layer names.", got=describe(names) if not isinstance(names, list)
           else names, expected=f"a list such as {sorted(expected)}", cause=CAUSE_UT_RETURN)
    got = set(names)
    really = set(_trainable_layers(base))

    def cause_of(value):
        for names_, cause in candidates:
            if set(names_) == value:
                return cause
        return None

    if really != expected:
        cause = cause_of(really)
        if cause is None and not base.trainable and got == expected:
            cause = CAUSE_UT_BASE_FROZEN
        bn = [n for n in really if isinstance(base.get_layer(n), keras.layers.BatchNormalization)]
        if cause is None and bn:
            cause = CAUSE_UT_BN
        expect(False, f"After {where} the wrong layers of base train.", got=sorted(really) or "no layer",
               expected=sorted(expected) or "no layer",
               cause=cause or "unfreeze the top num_layers layers that have weights, except BatchNormalization, "
                              "and freeze every other layer")
    expect(got == expected, f"{where} made the right layers trainable but returned other names.",
           got=sorted(got), expected=sorted(expected), cause=CAUSE_UT_RETURN)

    if x is not None and expected:
        inputs = keras.Input(shape=base.input_shape[1:])
        feats = base(inputs, training=False)
        if len(feats.shape) == 4:
            feats = keras.layers.GlobalAveragePooling2D()(feats)
        head = keras.layers.Dense(3, activation="softmax")
        wrapper = keras.Model(inputs, head(feats))
        before = snapshot_weights(base)
        fit_steps(wrapper, x, np.arange(len(x)) % 3, learning_rate=0.5)
        moved = set(changed_layers(before, snapshot_weights(base)))
        expect(moved == expected, f"After {where}, a fit step of a model around base changed the wrong layers of "
               f"base.", got=sorted(moved) or "no layer", expected=sorted(expected),
               cause=cause_of(moved) or (CAUSE_UT_BN if any(isinstance(base.get_layer(n),
                                                                       keras.layers.BatchNormalization)
                                                            for n in moved) else None))


# The residual base's layers with weights, bottom to top: stem_conv, stem_bn, block_dwconv, block_bn,
# block_project, block_project_bn, top_conv, top_bn.
_UT_ALL = ["stem_conv", "stem_bn", "block_dwconv", "block_bn", "block_project", "block_project_bn", "top_conv",
           "top_bn"]
_UT_CASES = [
    # num_layers, expected, (wrong answer, cause) ...
    (3, ["top_conv"], [(["stem_conv", "block_dwconv"], CAUSE_UT_BOTTOM),
                       (["block_project_bn", "top_conv", "top_bn"], CAUSE_UT_BN),
                       (["block_dwconv", "block_project", "top_conv"], CAUSE_UT_BN_NOT_COUNTED),
                       (_UT_ALL, CAUSE_UT_EVERYTHING)]),
    (4, ["block_project", "top_conv"], [(["stem_conv", "block_dwconv"], CAUSE_UT_BOTTOM),
                                        (["top_conv"], CAUSE_UT_ALL_LAYERS),
                                        (["block_project", "block_project_bn", "top_conv", "top_bn"], CAUSE_UT_BN),
                                        (["stem_conv", "block_dwconv", "block_project", "top_conv"],
                                         CAUSE_UT_BN_NOT_COUNTED),
                                        (_UT_ALL, CAUSE_UT_EVERYTHING)]),
    (0, [], [(["stem_conv", "block_dwconv", "block_project", "top_conv"], CAUSE_UT_ZERO),
             (_UT_ALL, CAUSE_UT_ZERO), (["block_project", "top_conv"], CAUSE_UT_REFREEZE)]),
    (20, ["stem_conv", "block_dwconv", "block_project", "top_conv"], []),
]


def check_unfreeze_top(fn):
    """Check ``unfreeze_top(base, num_layers)`` on a small residual base, frozen first as
    build_feature_extractor leaves it, then called again and again on the same base."""
    base = residual_base(seed=3)
    base.trainable = False
    x = np.random.default_rng(4).uniform(-1, 1, (6, *base.input_shape[1:])).astype(np.float32)
    label = "on a base frozen by base.trainable = False"
    for num_layers, expected, candidates in _UT_CASES:
        run_unfreeze_top_case(fn, base, num_layers, expected, candidates, x=x if num_layers == 4 else None,
                              label=label)
        label = "after earlier calls on the same base"
    run_unfreeze_top_case(fn, base, 2, ["top_conv"], [
        (["stem_conv", "block_dwconv", "block_project", "top_conv"], CAUSE_UT_REFREEZE)], x=x, label=label)


# ---------------------------------------------------------------------------------------------------
# The graded results: test accuracy of the trained models on CIFAR-10 with little data
# ---------------------------------------------------------------------------------------------------

_REFERENCE_06 = ("the reference solution, notebook 06 unchanged, seed 0, fast mode (64 px, 500 training and 300 "
                 "test images), {data}, 2-core Xeon shared with other jobs, 2026-12-02")
_REFERENCE_06_FULL = ("the reference solution, notebook 06 unchanged, seed 0, full mode (160 px, 5170 training and "
                      "1017 test images), {data}, 2-core Xeon, 2026-12-02")
_CIFAR = "the course's 5170-image CIFAR-10 subset"
#: The synthetic set has no full-mode reference run (full mode is for real data): its minimum is the
#: fast mode's, a floor (full mode trains the same recipe longer, on more and larger images).
_FULL_FLOOR = "no full-mode reference run on this data: the fast-mode minimum, from " + _REFERENCE_06
_SYNTHETIC = "the embedded synthetic set"

#: Test accuracy of the feature extractor trained on 10 images per class (notebook 06, part 3),
#: per data kind and mode; each minimum sits a few points below the reference run it cites.
FEATURE_EXTRACTOR_THRESHOLDS = Thresholds("test accuracy of your feature extractor (10 images per class)", {
    ("cifar10", "fast"): Threshold(0.35, 0.397, _REFERENCE_06.format(data=_CIFAR)),
    ("cifar10", "full"): Threshold(0.68, 0.736, _REFERENCE_06_FULL.format(data=_CIFAR)),
    ("synthetic", "fast"): Threshold(0.85, 0.960, _REFERENCE_06.format(data=_SYNTHETIC)),
    ("synthetic", "full"): Threshold(0.85, 0.960, _FULL_FLOOR.format(data=_SYNTHETIC)),
})

#: Test accuracy of the fine-tuned model (notebook 06, part 4), per data kind and mode.
FINE_TUNED_THRESHOLDS = Thresholds("test accuracy of your fine-tuned model (10 images per class)", {
    ("cifar10", "fast"): Threshold(0.35, 0.433, _REFERENCE_06.format(data=_CIFAR)),
    ("cifar10", "full"): Threshold(0.70, 0.751, _REFERENCE_06_FULL.format(data=_CIFAR)),
    ("synthetic", "fast"): Threshold(0.88, 0.983, _REFERENCE_06.format(data=_SYNTHETIC)),
    ("synthetic", "full"): Threshold(0.88, 0.983, _FULL_FLOOR.format(data=_SYNTHETIC)),
})


def classifier_accuracy(model, x, y, what="the model", batch_size=250):
    """Test accuracy of a Keras classifier of raw images: the argmax of ``model.predict(x)``.

    ``x``: raw CIFAR-sized images (uint8, ``(N, 32, 32, 3)``), which the model resizes and
    preprocesses itself. ``keras.Model.predict`` (inference mode) reuses the prediction function the
    notebook traced for this model.
    """
    import keras

    expect(isinstance(model, keras.Model), f"{what} must be a keras.Model.", got=type(model).__name__,
           expected="keras.Model", cause="pass the model itself (the raw-image classifier of the notebook)")
    try:
        with quiet():
            probs = keras.Model.predict(model, np.asarray(x), batch_size=batch_size, verbose=0)
    except Exception as e:
        raise CheckFailure(f"{what} failed on raw test images of shape {np.shape(x)[1:]} ({np.asarray(x).dtype}): "
                           f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}\n  likely cause: the "
                           f"model must take raw CIFAR images (uint8, 32 x 32 x 3) and resize and preprocess them "
                           f"itself") from None
    probs = np.asarray(probs)
    expect(probs.shape == (len(y), 10) if probs.ndim == 2 else False,
           f"{what} must give one row of 10 class probabilities per image.", got=f"shape {probs.shape}",
           expected=f"shape {(len(y), 10)}")
    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(y)))


def _report(accuracy, thresholds, data, fast):
    threshold = thresholds.lookup(data.kind, fast)
    print(f"{thresholds.what}: {accuracy:.1%} on {len(data.y_test)} test images of {data.name} "
          f"({'fast' if fast else 'full'} mode); at least {threshold.minimum:.0%} needed")


def check_feature_extractor_accuracy(model, data, fast):
    """The test accuracy of the trained feature extractor (a raw-image classifier) on ``data``'s test set."""
    accuracy = classifier_accuracy(model, data.x_test, data.y_test, what="the feature extractor")
    expect_accuracy(accuracy, FEATURE_EXTRACTOR_THRESHOLDS, kind=data.kind, fast=fast, cause=(
        "train the head with the recipe of the notebook (frozen base, the head's learning rate) on the 10 images "
        "per class, and pass the raw-image classifier that resizes and preprocesses inside"))
    _report(accuracy, FEATURE_EXTRACTOR_THRESHOLDS, data, fast)
    return accuracy


def check_fine_tuned_accuracy(model, data, fast):
    """The test accuracy of the fine-tuned model (a raw-image classifier) on ``data``'s test set."""
    accuracy = classifier_accuracy(model, data.x_test, data.y_test, what="the fine-tuned model")
    expect_accuracy(accuracy, FINE_TUNED_THRESHOLDS, kind=data.kind, fast=fast, cause=(
        "fine-tune after training the head, with the smaller learning rate of the notebook, and keep every "
        "BatchNormalization frozen"))
    _report(accuracy, FINE_TUNED_THRESHOLDS, data, fast)
    return accuracy
