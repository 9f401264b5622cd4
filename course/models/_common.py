"""Small helpers shared by the model builders (plain Keras layers only).

The builders use built-in Keras layers, so a saved ``.keras`` file of a
reference model loads without importing ``course`` (unless the model holds
``augment`` layers from ``course.layers``).
"""

import keras

# Batch normalisation's moving-average momentum in every builder. Keras'
# default (0.99) needs several hundred steps before the moving statistics
# are usable at inference, which short CPU runs never reach; 0.9 (PyTorch's
# default, momentum=0.1 in its convention) is usable after a few dozen.
BN_MOMENTUM = 0.9


def check_input_shape(input_shape, name="input_shape", min_size=None):
    """Return ``input_shape`` as a tuple of 3 positive ints (H, W, C), or raise."""
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a tuple (height, width, channels) of ints, got {input_shape!r}") from None
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{name} must be a tuple (height, width, channels) of positive ints, got {input_shape!r}")
    if min_size is not None and min(shape[:2]) < min_size:
        raise ValueError(
            f"{name}={input_shape!r} is too small: height and width must be at least {min_size} for this model"
        )
    return shape


def check_num_classes(num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return num_classes


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_rate(value, name="dropout"):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a float in [0, 1), got {value!r}")
    return float(value)


def apply_augment(x, augment):
    """Apply ``augment`` (None, a layer, or a list/tuple of layers) to ``x``."""
    if augment is None:
        return x
    layers = augment if isinstance(augment, (list, tuple)) else [augment]
    for layer in layers:
        if not callable(layer):
            raise TypeError(f"augment must be a Keras layer or a list of layers, got {layer!r}")
        x = layer(x)
    return x


def apply_normalize(x, normalize):
    """Normalise ``x`` inside the model with a fitted :class:`course.data.Normalizer` (None: unchanged).

    The model then takes images with pixels in ``[0, 1]`` and carries the
    training set's statistics with it (a Keras ``Normalization`` layer named
    ``"normalize"``, saved with the model), so whoever evaluates it, a hidden
    check included, feeds it raw images and needs no statistics of their own.
    """
    if normalize is None:
        return x
    keras_layer = getattr(normalize, "keras_layer", None)
    if keras_layer is None:
        raise TypeError(f"normalize must be None or a course.data.Normalizer (from fit_normalization(x_train)), "
                        f"got {type(normalize).__name__}")
    return keras_layer()(x)


def conv_bn_relu(x, filters, kernel_size=3, strides=1, weight_decay=0.0, name=None):
    """Conv2D (no bias) -> BatchNormalization -> ReLU, as plain Keras layers."""
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False,
        kernel_initializer="he_normal", kernel_regularizer=reg,
        name=None if name is None else name + "_conv",
    )(x)
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=None if name is None else name + "_bn")(x)
    return keras.layers.ReLU(name=None if name is None else name + "_relu")(x)


def check_classifier_activation(activation):
    """Return ``activation`` if it is None, a Keras activation name or a callable, else raise."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str):
        try:
            keras.activations.get(activation)
        except (ValueError, TypeError):
            raise ValueError(f"classifier_activation must be None (logits), 'softmax' or another Keras activation "
                             f"name; got {activation!r}") from None
        return activation
    raise ValueError(f"classifier_activation must be None (logits), 'softmax' or another Keras activation; "
                     f"got {activation!r}")


def classifier_output(scores, activation="softmax"):
    """The model's output from the class scores, always float32 (even under mixed precision).

    ``activation``: ``"softmax"`` gives class probabilities (a layer named
    ``"probabilities"``); ``None`` the scores themselves, the pre-softmax
    *logits* (``"logits"``), as ``keras.applications``' ``classifier_activation=None``:
    what saliency maps and adversarial attacks differentiate, and what a loss
    with ``from_logits=True`` takes. Any other Keras activation gives a layer
    named ``"outputs"``.
    """
    activation = check_classifier_activation(activation)
    if activation is None:
        return keras.layers.Activation("linear", dtype="float32", name="logits")(scores)
    name = "probabilities" if activation == "softmax" else "outputs"
    return keras.layers.Activation(activation, dtype="float32", name=name)(scores)


def classifier(x, num_classes, weight_decay=0.0, activation="softmax"):
    """Dense layer to ``num_classes`` ("scores"), then :func:`classifier_output` (float32).

    The default output is a softmax ("probabilities"); ``activation=None``
    gives the logits ("logits").
    """
    activation = check_classifier_activation(activation)
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = keras.layers.Dense(num_classes, kernel_regularizer=reg, name="scores")(x)
    return classifier_output(x, activation)
