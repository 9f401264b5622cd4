"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012), original and CIFAR-sized."""

import keras

from course.layers import LocalResponseNormalization
from course.models._common import (
    apply_augment, apply_normalize, check_classifier_activation, check_input_shape, check_num_classes, check_rate,
    classifier,
)

LAYOUTS = ("cifar", "original")


def alexnet(input_shape=(32, 32, 3), num_classes=10, layout="cifar", lrn=True, dropout=0.5, augment=None,
            weight_decay=0.0, fc_units=None, name="alexnet", normalize=None, classifier_activation="softmax"):
    """AlexNet, in its original ImageNet layout or scaled down for 32x32 images.

    ``layout="original"`` (section 3.5 of the paper, one-tower version: the
    two-GPU split of conv2, conv4 and conv5 into groups is not reproduced,
    as in most re-implementations)::

        conv1  96 x 11x11 stride 4, valid    227x227x3 -> 55x55x96 (34,944 params)
        LRN, max-pool 3x3 stride 2                      -> 27x27x96
        conv2 256 x 5x5, same, LRN, max-pool 3/2        -> 13x13x256
        conv3 384 x 3x3, conv4 384 x 3x3, conv5 256 x 3x3, max-pool 3/2 -> 6x6x256
        FC 4096, dropout, FC 4096, dropout, FC num_classes, softmax

    With ``input_shape=(227, 227, 3)`` and 1000 classes it has 62,378,344
    parameters. The input must be at least 67x67.

    ``layout="cifar"`` keeps the structure (five ReLU convolutions, LRN after
    the first two, three overlapping 3x3/2 max-pools, two hidden FC layers
    with dropout) at CIFAR scale: conv1 64 x 5x5, conv2 192 x 5x5, conv3 384,
    conv4 256, conv5 256 (3x3), "same" padding throughout, FC 384 and 192
    (as in the CIFAR-10 model of the TensorFlow tutorials). About 4.1M
    parameters at 32x32 with 10 classes. The input must be at least 8x8.

    LRN uses the paper's constants ``k=2, n=5, alpha=1e-4, beta=0.75`` (see
    :class:`course.layers.LocalResponseNormalization`).

    Args:
        input_shape: ``(height, width, channels)``.
        num_classes: number of classes.
        layout: ``"cifar"`` (default) or ``"original"``.
        lrn: use local response normalisation after conv1 and conv2 (set
            False to compare, as the lectures do).
        dropout: rate of the two dropout layers, in ``[0, 1)`` (paper: 0.5).
        augment: ``None``, a Keras layer or a list of layers applied to the input first.
        normalize: ``None``, or a :class:`course.data.Normalizer` fitted on the
            training images: the model then takes pixels in ``[0, 1]`` and
            normalises them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        weight_decay: L2 factor on all kernels (the paper: 5e-4; 0 for none).
        fc_units: pair of hidden FC widths; default ``(4096, 4096)`` for the
            original layout, ``(384, 192)`` for the CIFAR one.
        name: the model's name.
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.

    Returns:
        An uncompiled ``keras.Model`` giving class probabilities (or logits).

    Example:
        >>> from course.models import alexnet
        >>> model = alexnet((32, 32, 3), num_classes=10)
        >>> model.output_shape
        (None, 10)
        >>> big = alexnet((227, 227, 3), num_classes=1000, layout="original")
        >>> big.get_layer("conv1").output.shape, big.get_layer("conv1").count_params()
        ((None, 55, 55, 96), 34944)
    """
    check_classifier_activation(classifier_activation)
    if layout not in LAYOUTS:
        raise ValueError(f"alexnet: layout must be one of {LAYOUTS}, got {layout!r}")
    original = layout == "original"
    shape = check_input_shape(input_shape, min_size=67 if original else 8)
    check_num_classes(num_classes)
    rate = check_rate(dropout)
    if fc_units is None:
        fc_units = (4096, 4096) if original else (384, 192)
    if (len(fc_units) != 2 or any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in fc_units)):
        raise ValueError(f"alexnet: fc_units must be a pair of positive ints, got {fc_units!r}")
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None

    def conv(x, filters, size, name, strides=1, padding="same"):
        return keras.layers.Conv2D(filters, size, strides=strides, padding=padding, activation="relu",
                                   kernel_regularizer=reg, name=name)(x)

    def pool(x, name):
        return keras.layers.MaxPooling2D(3, strides=2, padding="valid" if original else "same", name=name)(x)

    def norm(x, name):
        return LocalResponseNormalization(depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, name=name)(x) if lrn else x

    filters = (96, 256, 384, 384, 256) if original else (64, 192, 384, 256, 256)
    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    if original:
        x = conv(x, filters[0], 11, "conv1", strides=4, padding="valid")
    else:
        x = conv(x, filters[0], 5, "conv1")
    x = pool(norm(x, "lrn1"), "pool1")
    x = pool(norm(conv(x, filters[1], 5, "conv2"), "lrn2"), "pool2")
    x = conv(x, filters[2], 3, "conv3")
    x = conv(x, filters[3], 3, "conv4")
    x = pool(conv(x, filters[4], 3, "conv5"), "pool5")
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(fc_units, start=6):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=reg, name=f"fc{i}")(x)
        if rate:
            x = keras.layers.Dropout(rate, name=f"dropout{i}")(x)
    outputs = classifier(x, num_classes, weight_decay, classifier_activation)
    return keras.Model(inputs, outputs, name=name)
