"""VGG networks (Simonyan and Zisserman, 2015), configurations A to E."""

import keras

from course.layers import LocalResponseNormalization
from course.models._common import (
    BN_MOMENTUM, apply_augment, apply_normalize, check_classifier_activation, check_input_shape, check_num_classes,
    check_rate, classifier,
)

# Table 1 of the paper. Ints are 3x3 convolutions, ("1x1", n) are 1x1 ones, "M" is 2x2 max-pooling.
CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, ("1x1", 256), "M", 512, 512, ("1x1", 512), "M",
          512, 512, ("1x1", 512), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
ALIASES = {"11": "A", "13": "B", "16": "D", "19": "E", "vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}
HEADS = ("auto", "full", "small")


def vgg(input_shape=(32, 32, 3), num_classes=10, config="D", head="auto", batch_norm=False, dropout=0.5,
        augment=None, weight_decay=0.0, name=None, normalize=None, classifier_activation="softmax"):
    """A VGG network from Table 1 of Simonyan and Zisserman (2015).

    Configurations (weight layers): ``"A"`` (11), ``"A-LRN"`` (11, LRN after
    the first conv), ``"B"`` (13), ``"C"`` (16, with a 1x1 conv ending each of
    the last three stages), ``"D"`` (16) and ``"E"`` (19). ``"11"``, ``"13"``,
    ``"16"``, ``"19"`` (or ``"vgg16"``...) name A, B, D and E. Every conv is
    3x3 "same" with ReLU (1x1 for C's), five 2x2 max-pools halve the size
    (so height and width must be at least 32).

    Heads:
        ``"full"``: the paper's Flatten, FC 4096, dropout, FC 4096, dropout,
        FC ``num_classes``. ``vgg((224, 224, 3), 1000, config="D")``
        has 138,357,544 parameters, as ``keras.applications.VGG16``.
        ``"small"``: for CIFAR-sized inputs, Flatten (1x1x512 at 32x32),
        FC 512, dropout, FC ``num_classes``.
        ``"auto"`` (default): ``"full"`` when height and width are at least
        128, else ``"small"``.

    Args:
        input_shape: ``(height, width, channels)``, both sides at least 32.
        num_classes: number of classes.
        config: one of ``"A"``, ``"A-LRN"``, ``"B"``, ``"C"``, ``"D"``, ``"E"`` (or an alias above).
        head: ``"auto"``, ``"full"`` or ``"small"``.
        batch_norm: add BatchNormalization after every conv (before ReLU; the
            conv then has no bias). Not in the paper, but it makes the deep
            configurations train from scratch without the paper's staged
            initialisation.
        dropout: rate of the head's dropout layers, in ``[0, 1)`` (paper: 0.5).
        augment: ``None``, a Keras layer or a list of layers applied to the input first.
        normalize: ``None``, or a :class:`course.data.Normalizer` fitted on the
            training images: the model then takes pixels in ``[0, 1]`` and
            normalises them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        weight_decay: L2 factor on all kernels (paper: 5e-4; 0 for none).
        name: the model's name (default ``"vgg_<config>"``).
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.

    Returns:
        An uncompiled ``keras.Model`` giving class probabilities (or logits).

    Example:
        >>> from course.models import vgg
        >>> vgg((224, 224, 3), num_classes=1000, config="D").count_params()  # VGG-16
        138357544
        >>> vgg((32, 32, 3), num_classes=10, config="A").output_shape
        (None, 10)
    """
    key = ALIASES.get(str(config).lower(), str(config).upper()) if isinstance(config, (str, int)) else None
    if key not in CONFIGS:
        raise ValueError(
            f"vgg: unknown config {config!r}; valid configs are {sorted(CONFIGS)} "
            f"(or the aliases {sorted(ALIASES)})"
        )
    if head not in HEADS:
        raise ValueError(f"vgg: head must be one of {HEADS}, got {head!r}")
    shape = check_input_shape(input_shape, min_size=32)
    check_classifier_activation(classifier_activation)
    check_num_classes(num_classes)
    rate = check_rate(dropout)
    if head == "auto":
        head = "full" if min(shape[:2]) >= 128 else "small"
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None

    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    stage, index = 1, 1
    for item in CONFIGS[key]:
        if item == "M":
            x = keras.layers.MaxPooling2D(2, name=f"block{stage}_pool")(x)
            stage, index = stage + 1, 1
            continue
        if item == "LRN":
            x = LocalResponseNormalization(depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75,
                                           name=f"block{stage}_lrn")(x)
            continue
        size, filters = (1, item[1]) if isinstance(item, tuple) else (3, item)
        layer_name = f"block{stage}_conv{index}"
        x = keras.layers.Conv2D(filters, size, padding="same", use_bias=not batch_norm,
                                activation=None if batch_norm else "relu", kernel_regularizer=reg,
                                name=layer_name)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=layer_name + "_bn")(x)
            x = keras.layers.ReLU(name=layer_name + "_relu")(x)
        index += 1
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate((4096, 4096) if head == "full" else (512,), start=1):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=reg, name=f"fc{i}")(x)
        if rate:
            x = keras.layers.Dropout(rate, name=f"fc{i}_dropout")(x)
    outputs = classifier(x, num_classes, weight_decay, classifier_activation)
    return keras.Model(inputs, outputs, name=name or f"vgg_{key.lower().replace('-', '_')}")
