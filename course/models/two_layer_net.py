"""A two-layer fully connected network."""

import keras

from course.models._common import (
    apply_augment, apply_normalize, check_classifier_activation, check_num_classes, check_positive_int, check_rate,
    classifier_output,
)


def two_layer_net(input_shape=(32, 32, 3), num_classes=10, hidden_units=100, activation="relu", dropout=0.0,
                  augment=None, weight_decay=0.0, name="two_layer_net", normalize=None, classifier_activation="softmax"):
    """Flatten -> Dense(hidden_units) -> activation -> Dense(num_classes) -> softmax.

    The Keras twin of the two-layer net students write in numpy (affine -
    ReLU - affine - softmax).

    Args:
        input_shape: shape of one input, e.g. ``(32, 32, 3)`` or ``(3072,)``.
        num_classes: number of classes of the softmax output.
        hidden_units: width of the hidden layer (positive int).
        activation: the hidden layer's activation (any Keras activation name).
        dropout: dropout rate after the hidden layer, in ``[0, 1)``.
        augment: ``None``, a Keras layer or a list of layers applied to the input first.
        normalize: ``None``, or a :class:`course.data.Normalizer` fitted on the
            training images: the model then takes pixels in ``[0, 1]`` and
            normalises them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        weight_decay: L2 factor on both weight matrices (0 for none).
        name: the model's name.
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.

    Returns:
        An uncompiled ``keras.Model`` giving class probabilities ``(batch, num_classes)`` (or logits).

    Example:
        >>> from course.models import two_layer_net
        >>> model = two_layer_net((32, 32, 3), num_classes=10, hidden_units=50)
        >>> model.count_params()  # 3072 * 50 + 50 + 50 * 10 + 10
        154160
    """
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a tuple of ints, got {input_shape!r}") from None
    if not shape or min(shape) < 1:
        raise ValueError(f"input_shape must be a non-empty tuple of positive ints, got {input_shape!r}")
    check_num_classes(num_classes)
    check_positive_int(hidden_units, "hidden_units")
    rate = check_rate(dropout)
    check_classifier_activation(classifier_activation)
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None

    inputs = keras.Input(shape=shape, name="inputs")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(hidden_units, activation=activation, kernel_regularizer=reg, name="hidden")(x)
    if rate:
        x = keras.layers.Dropout(rate, name="dropout")(x)
    x = keras.layers.Dense(num_classes, kernel_regularizer=reg, name="scores")(x)
    outputs = classifier_output(x, classifier_activation)
    return keras.Model(inputs, outputs, name=name)


__all__ = ["two_layer_net"]
