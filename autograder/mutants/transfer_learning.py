"""Plausible wrong implementations for notebook 06 (transfer learning).

Each is a mistake people make when they first freeze, pool and unfreeze a
pretrained Keras network; the hidden check of the function it replaces must
reject it with a message that names the mistake (``message``), and the public
check too where ``public``.
"""

import keras

from . import Mutant


# ---------------------------------------------------------------- build_feature_extractor

def _head(x, num_classes, dropout, pool=True, activation="softmax"):
    if pool and len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(dropout)(x)
    return keras.layers.Dense(num_classes, activation=activation)(x)


def _extractor(base, num_classes, dropout, freeze=True, **head):
    if freeze:
        base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    return keras.Model(inputs, _head(base(inputs, training=False), num_classes, dropout, **head))


def fe_base_not_frozen(base, num_classes, dropout=0.2):
    """Relies on training=False alone to keep the base fixed; fit trains it anyway."""
    return _extractor(base, num_classes, dropout, freeze=False)


def fe_batch_norm_not_frozen(base, num_classes, dropout=0.2):
    """Freezes the convolutions but leaves BatchNormalization trainable: its statistics drift."""
    for layer in base.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return _extractor(base, num_classes, dropout, freeze=False)


def fe_model_frozen(base, num_classes, dropout=0.2):
    """Freezes the outer model instead of the base: the head cannot train either."""
    model = _extractor(base, num_classes, dropout, freeze=False)
    model.trainable = False
    return model


def fe_no_softmax(base, num_classes, dropout=0.2):
    return _extractor(base, num_classes, dropout, activation=None)


def fe_double_softmax(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = _head(base(inputs, training=False), num_classes, dropout)
    return keras.Model(inputs, keras.layers.Softmax()(x))


def fe_extra_dense(base, num_classes, dropout=0.2):
    """A hidden Dense layer between the features and the head."""
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    x = keras.layers.Dense(16, activation="relu")(x)
    return keras.Model(inputs, _head(x, num_classes, dropout))


def fe_imagenet_classifier_kept(base, num_classes, dropout=0.2):
    """The 1000-way ImageNet-style classifier kept, the new head on top of its probabilities."""
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    x = keras.layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, _head(x, num_classes, dropout))


def fe_preprocess_again(base, num_classes, dropout=0.2):
    """Applies the ImageNet preprocessing, (x - 127) / 128, to images that are already preprocessed."""
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.Rescaling(1 / 128, offset=-127 / 128)(inputs)
    return keras.Model(inputs, _head(base(x, training=False), num_classes, dropout))


def fe_scales_by_255(base, num_classes, dropout=0.2):
    """Divides the (already preprocessed) input by 255 "to be safe"."""
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.Rescaling(1 / 255)(inputs)
    return keras.Model(inputs, _head(base(x, training=False), num_classes, dropout))


def fe_max_pooling(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = base(inputs, training=False)
    if len(x.shape) == 4:
        x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, _head(x, num_classes, dropout))


def fe_flatten(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.Flatten()(base(inputs, training=False))
    return keras.Model(inputs, _head(x, num_classes, dropout))


def fe_always_pools(base, num_classes, dropout=0.2):
    """Adds global average pooling even when the base already returns vectors."""
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, _head(x, num_classes, dropout, pool=False))


def fe_fixed_dropout(base, num_classes, dropout=0.2):
    return _extractor(base, num_classes, 0.2)


def fe_no_dropout(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def fe_keep_probability(base, num_classes, dropout=0.2):
    """TF1's keep_prob: Dropout(1 - dropout)."""
    return _extractor(base, num_classes, 1.0 - dropout if dropout > 0 else 0.999)


def fe_clones_base(base, num_classes, dropout=0.2):
    """Builds the model on a copy of the base, so unfreezing base later changes nothing."""
    copy = keras.models.clone_model(base)
    copy.set_weights(base.get_weights())
    return _extractor(copy, num_classes, dropout)


def fe_fixed_num_classes(base, num_classes, dropout=0.2):
    return _extractor(base, 10, dropout)


def fe_fixed_input_shape(base, num_classes, dropout=0.2):
    """Builds its own input for ImageNet-sized images instead of the base's input."""
    base.trainable = False
    inputs = keras.Input(shape=(16, 16, 3))
    x = keras.layers.Resizing(*base.input_shape[1:3])(inputs)
    return keras.Model(inputs, _head(base(x, training=False), num_classes, dropout))


def fe_no_bias(base, num_classes, dropout=0.2):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False)) if len(base.output_shape) == 4 \
        else base(inputs, training=False)
    x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax", use_bias=False)(x))


# ---------------------------------------------------------------- feature_model

def _pool(x, pooling):
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D()(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D()(x)
    return x


def fm_layer_input(base, layer_name, pooling="avg"):
    """Takes the layer's input (the previous layer's output) instead of its output."""
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    inp = base.get_layer(layer_name).input
    return keras.Model(base.inputs, _pool(inp[0] if isinstance(inp, list) else inp, pooling))


def fm_base_output(base, layer_name, pooling="avg"):
    """Pools the base's final output, whatever layer was named."""
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    return keras.Model(base.inputs, _pool(base.outputs[0], pooling))


def fm_next_layer(base, layer_name, pooling="avg"):
    """Off by one: the layer after the named one (index + 1 in base.layers)."""
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    names = [layer.name for layer in base.layers]
    i = min(names.index(layer_name) + 1, len(names) - 1)
    return keras.Model(base.inputs, _pool(base.layers[i].output, pooling))


def fm_no_pooling(base, layer_name, pooling="avg"):
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    return keras.Model(base.inputs, base.get_layer(layer_name).output)


def fm_swapped(base, layer_name, pooling="avg"):
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    other = {"avg": "max", "max": "avg", None: None}[pooling]
    return keras.Model(base.inputs, _pool(base.get_layer(layer_name).output, other))


def fm_always_pools(base, layer_name, pooling="avg"):
    """pooling=None is treated like the default, "avg"."""
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    return keras.Model(base.inputs, _pool(base.get_layer(layer_name).output, pooling or "avg"))


def fm_flatten(base, layer_name, pooling="avg"):
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    x = base.get_layer(layer_name).output
    return keras.Model(base.inputs, keras.layers.Flatten()(x) if pooling else x)


def fm_mean_over_channels(base, layer_name, pooling="avg"):
    """Averages over the last axis (the channels) instead of the positions."""
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    x = base.get_layer(layer_name).output
    if pooling == "avg":
        x = keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=-1))(x)
    elif pooling == "max":
        x = keras.layers.Lambda(lambda t: keras.ops.max(t, axis=-1))(x)
    return keras.Model(base.inputs, x)


def fm_unknown_pooling_is_avg(base, layer_name, pooling="avg"):
    """Anything but "max" and None silently averages."""
    x = base.get_layer(layer_name).output
    if pooling == "max":
        x = keras.layers.GlobalMaxPooling2D()(x)
    elif pooling is not None:
        x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(base.inputs, x)


def fm_unknown_pooling_type_error(base, layer_name, pooling="avg"):
    """Rejects a bad pooling, but with a bare assert instead of ValueError."""
    assert pooling in ("avg", "max", None)
    return keras.Model(base.inputs, _pool(base.get_layer(layer_name).output, pooling))


# ---------------------------------------------------------------- unfreeze_top

def _with_weights(base):
    return [layer for layer in base.layers if layer.weights]


def _freeze_all(base):
    base.trainable = True
    for layer in base.layers:
        layer.trainable = False


def _unfreeze(layers):
    names = []
    for layer in layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True
            names.append(layer.name)
    return names


def ut_from_bottom(base, num_layers):
    _freeze_all(base)
    return _unfreeze(_with_weights(base)[:num_layers])


def ut_counts_all_layers(base, num_layers):
    """Counts layers without weights (activations, Add, pooling) too."""
    _freeze_all(base)
    return _unfreeze([layer for layer in base.layers[len(base.layers) - num_layers:] if layer.weights]
                     if num_layers > 0 else [])


def ut_unfreezes_batch_norm(base, num_layers):
    _freeze_all(base)
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    for layer in top:
        layer.trainable = True
    return [layer.name for layer in top]


def ut_skips_batch_norm_when_counting(base, num_layers):
    _freeze_all(base)
    convs = [layer for layer in _with_weights(base) if not isinstance(layer, keras.layers.BatchNormalization)]
    return _unfreeze(convs[len(convs) - num_layers:] if num_layers > 0 else [])


def ut_minus_zero(base, num_layers):
    """with_weights[-num_layers:]: for num_layers = 0 that is every layer."""
    _freeze_all(base)
    return _unfreeze(_with_weights(base)[-num_layers:])


def ut_no_refreeze(base, num_layers):
    """Freezes everything only the first time (when the base arrives frozen)."""
    if not base.trainable:
        _freeze_all(base)
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    return _unfreeze(top)


def ut_no_freeze_after_unfreezing_base(base, num_layers):
    """base.trainable = True (which makes EVERY layer trainable), then only the top layers set."""
    base.trainable = True
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    return _unfreeze(top)


def ut_base_stays_frozen(base, num_layers):
    """Sets the layers' flags but leaves base.trainable = False, so none of them trains."""
    for layer in base.layers:
        layer.trainable = False
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    return _unfreeze(top)


def ut_string_flags(base, num_layers):
    """trainable = "True" / "False": strings, and "False" is true."""
    base.trainable = True
    for layer in base.layers:
        layer.trainable = "False"
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    names = []
    for layer in top:
        if not isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = "True"
            names.append(layer.name)
    return names


def ut_returns_batch_norm_names(base, num_layers):
    """Right flags, but returns every counted layer, BatchNormalization included."""
    _freeze_all(base)
    top = _with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else []
    _unfreeze(top)
    return [layer.name for layer in top]


def ut_returns_nothing(base, num_layers):
    _freeze_all(base)
    _unfreeze(_with_weights(base)[len(_with_weights(base)) - num_layers:] if num_layers > 0 else [])


def ut_one_too_many(base, num_layers):
    _freeze_all(base)
    k = num_layers + 1 if num_layers > 0 else 0
    return _unfreeze(_with_weights(base)[len(_with_weights(base)) - k:] if k > 0 else [])


MUTANTS = [
    Mutant("build_feature_extractor", "base_not_frozen", "training=False alone, base.trainable never set",
           fe_base_not_frozen, "changed the weights of the base's layers", public=True),
    Mutant("build_feature_extractor", "batch_norm_not_frozen", "the convolutions frozen, BatchNormalization not",
           fe_batch_norm_not_frozen, "BatchNormalization layers are still trainable", public=True),
    Mutant("build_feature_extractor", "model_frozen", "model.trainable = False instead of base.trainable",
           fe_model_frozen, "the whole model is frozen", public=True),
    Mutant("build_feature_extractor", "no_softmax", "the head gives scores, not probabilities",
           fe_no_softmax, "not probabilities", public=True),
    Mutant("build_feature_extractor", "double_softmax", "a Softmax layer after Dense(activation='softmax')",
           fe_double_softmax, "softmax is applied twice", public=True),
    Mutant("build_feature_extractor", "extra_dense", "a hidden Dense layer between the features and the head",
           fe_extra_dense, "remove any other layer between the base and the head", public=True),
    Mutant("build_feature_extractor", "imagenet_classifier_kept", "a 1000-way classifier kept below the new head",
           fe_imagenet_classifier_kept, "remove any other layer between the base and the head", public=True),
    Mutant("build_feature_extractor", "preprocess_again", "preprocess_imagenet applied inside the model as well",
           fe_preprocess_again, "preprocesses its input again", public=True),
    Mutant("build_feature_extractor", "scales_by_255", "the preprocessed input divided by 255 again",
           fe_scales_by_255, "preprocesses its input again", public=True),
    Mutant("build_feature_extractor", "max_pooling", "global max pooling instead of average",
           fe_max_pooling, "max-pooled", public=True),
    Mutant("build_feature_extractor", "flatten", "Flatten instead of global average pooling",
           fe_flatten, "flattened", public=True),
    Mutant("build_feature_extractor", "always_pools", "pools a base that already pools",
           fe_always_pools, "this base already pools"),
    Mutant("build_feature_extractor", "fixed_dropout", "the dropout argument ignored (always 0.2)",
           fe_fixed_dropout, "dropout=0.0) gives other outputs in training mode", public=True),
    Mutant("build_feature_extractor", "no_dropout", "no dropout layer", fe_no_dropout, "no dropout", public=True),
    Mutant("build_feature_extractor", "keep_probability", "Dropout(1 - dropout), TF1's keep_prob",
           fe_keep_probability, "dropout=0.0) gives other outputs in training mode", public=True),
    Mutant("build_feature_extractor", "clones_base", "the model built on a copy of the base",
           fe_clones_base, "does not run base itself", public=True),
    Mutant("build_feature_extractor", "fixed_num_classes", "Dense(10) whatever num_classes is",
           fe_fixed_num_classes, "output has the wrong shape", public=True),
    Mutant("build_feature_extractor", "fixed_input_shape", "its own input size, resized inside",
           fe_fixed_input_shape, "takes inputs of another shape than base", public=True),
    Mutant("build_feature_extractor", "no_bias", "Dense(use_bias=False) as the head",
           fe_no_bias, "the head has no bias", public=True),

    Mutant("feature_model", "layer_input", "the layer's input instead of its output",
           fm_layer_input, "features of the layer's INPUT", public=True),
    Mutant("feature_model", "base_output", "the base's last layer whatever the name",
           fm_base_output, "features of the base's last layer", public=True),
    Mutant("feature_model", "next_layer", "off by one in base.layers",
           fm_next_layer, "the layer after the named one", public=True),
    Mutant("feature_model", "no_pooling", "the feature map returned unpooled",
           fm_no_pooling, "pool the feature map over its positions", public=True),
    Mutant("feature_model", "swapped_pooling", "avg and max swapped",
           fm_swapped, "swapped", public=True),
    Mutant("feature_model", "always_pools", "pooling=None treated as avg",
           fm_always_pools, "pooling=None means no pooling", public=True),
    Mutant("feature_model", "flatten", "Flatten instead of pooling",
           fm_flatten, "flattened instead of pooled", public=True),
    Mutant("feature_model", "mean_over_channels", "the mean over the channels instead of the positions",
           fm_mean_over_channels, "wrong shape", public=True),
    Mutant("feature_model", "unknown_pooling_is_avg", "a bad pooling value silently averages",
           fm_unknown_pooling_is_avg, "did not raise ValueError", public=True),
    Mutant("feature_model", "assert_instead_of_value_error", "assert instead of raising ValueError",
           fm_unknown_pooling_type_error, "expected ValueError", public=True),

    Mutant("unfreeze_top", "from_bottom", "the first num_layers layers with weights instead of the last",
           ut_from_bottom, "counted from the bottom", public=True),
    Mutant("unfreeze_top", "counts_all_layers", "layers without weights counted too",
           ut_counts_all_layers, "layers without weights", public=True),
    Mutant("unfreeze_top", "unfreezes_batch_norm", "BatchNormalization layers made trainable",
           ut_unfreezes_batch_norm, "BatchNormalization layers are made trainable", public=True),
    Mutant("unfreeze_top", "skips_batch_norm_when_counting", "BatchNormalization not counted",
           ut_skips_batch_norm_when_counting, "skipped when counting", public=True),
    Mutant("unfreeze_top", "minus_zero", "with_weights[-num_layers:] unfreezes everything for 0",
           ut_minus_zero, "-0", public=True),
    Mutant("unfreeze_top", "no_refreeze", "layers unfrozen by an earlier call stay trainable",
           ut_no_refreeze, "earlier call stay trainable", public=True),
    Mutant("unfreeze_top", "no_freeze_after_unfreezing_base", "base.trainable = True makes everything trainable",
           ut_no_freeze_after_unfreezing_base, "every layer of base trains", public=True),
    Mutant("unfreeze_top", "base_stays_frozen", "base.trainable left False",
           ut_base_stays_frozen, "base itself is still frozen", public=True),
    Mutant("unfreeze_top", "string_flags", "trainable = \"True\" / \"False\" strings",
           ut_string_flags, "a string such as \"False\" is true", public=True),
    Mutant("unfreeze_top", "returns_batch_norm_names", "returns the BatchNormalization names too",
           ut_returns_batch_norm_names, "returned other names", public=True),
    Mutant("unfreeze_top", "returns_nothing", "no return statement",
           ut_returns_nothing, "must return a list of layer names", public=True),
    Mutant("unfreeze_top", "one_too_many", "num_layers + 1 layers",
           ut_one_too_many, "the wrong layers of base train", public=True),
]
