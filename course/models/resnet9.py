"""ResNet-9, the DAWNBench CIFAR-10 model of Myrtle.ai (David Page, 2018)."""

import keras

from course.models._common import (
    apply_augment, apply_normalize, check_classifier_activation, check_input_shape, check_num_classes,
    check_positive_int, classifier_output, conv_bn_relu,
)


def resnet9(input_shape=(32, 32, 3), num_classes=10, width=64, augment=None, weight_decay=0.0,
            logit_scale=0.125, name="resnet9", normalize=None, classifier_activation="softmax"):
    """The 9-layer residual network of "How to train your ResNet" (Page, 2018).

    ::

        prep:   conv-BN-ReLU(c)                                     32x32
        layer1: conv-BN-ReLU(2c), max-pool 2, + residual(2 x conv-BN-ReLU(2c))   16x16
        layer2: conv-BN-ReLU(4c), max-pool 2                        8x8
        layer3: conv-BN-ReLU(8c), max-pool 2, + residual(2 x conv-BN-ReLU(8c))   4x4
        global max-pool, dense(num_classes), scores * logit_scale, softmax

    with ``c = width`` (64 in the original: 6.58M parameters, 94% on
    CIFAR-10 in 24 epochs on a GPU). ``width=16`` (0.41M parameters) or
    ``width=32`` (1.6M) train on a CPU. The residual branches are added to
    their input without a ReLU after the sum, as in the original.

    Args:
        input_shape: ``(height, width, channels)``, at least 8x8.
        num_classes: number of classes.
        width: channels of the prep layer; the stages have 2, 4 and 8 times as many.
        augment: ``None``, a Keras layer or a list of layers applied to the input first
            (the original: ``RandomPadCrop(4)``, ``RandomFlip("horizontal")`` and 8x8 cutout).
        normalize: ``None``, or a :class:`course.data.Normalizer` fitted on the
            training images: the model then takes pixels in ``[0, 1]`` and
            normalises them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        weight_decay: L2 factor on all kernels (the original: 5e-4 x batch size,
            with its own loss scaling; 0 for none).
        logit_scale: the scores are multiplied by this before the softmax (0.125 in the original).
        name: the model's name.
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits, after ``logit_scale``),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.

    Returns:
        An uncompiled ``keras.Model`` giving class probabilities (or logits).

    Example:
        >>> from course.models import resnet9
        >>> resnet9((32, 32, 3), num_classes=10).count_params()
        6577600
        >>> resnet9((32, 32, 3), num_classes=10, width=16).count_params()
        414064
    """
    shape = check_input_shape(input_shape, min_size=8)
    check_num_classes(num_classes)
    check_positive_int(width, "width")
    check_classifier_activation(classifier_activation)
    if isinstance(logit_scale, bool) or not isinstance(logit_scale, (int, float)) or logit_scale <= 0:
        raise ValueError(f"resnet9: logit_scale must be a number > 0, got {logit_scale!r}")
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None

    def residual(x, filters, name):
        y = conv_bn_relu(x, filters, weight_decay=weight_decay, name=name + "_res1")
        y = conv_bn_relu(y, filters, weight_decay=weight_decay, name=name + "_res2")
        return keras.layers.Add(name=name + "_add")([x, y])

    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    x = conv_bn_relu(x, width, weight_decay=weight_decay, name="prep")
    x = conv_bn_relu(x, 2 * width, weight_decay=weight_decay, name="layer1")
    x = keras.layers.MaxPooling2D(2, name="layer1_pool")(x)
    x = residual(x, 2 * width, "layer1")
    x = conv_bn_relu(x, 4 * width, weight_decay=weight_decay, name="layer2")
    x = keras.layers.MaxPooling2D(2, name="layer2_pool")(x)
    x = conv_bn_relu(x, 8 * width, weight_decay=weight_decay, name="layer3")
    x = keras.layers.MaxPooling2D(2, name="layer3_pool")(x)
    x = residual(x, 8 * width, "layer3")
    x = keras.layers.GlobalMaxPooling2D(name="global_max_pool")(x)
    x = keras.layers.Dense(num_classes, use_bias=False, kernel_regularizer=reg, name="scores")(x)
    x = keras.layers.Rescaling(float(logit_scale), name="logit_scale")(x)
    outputs = classifier_output(x, classifier_activation)
    return keras.Model(inputs, outputs, name=name)
