"""He et al.'s ResNets for CIFAR-10 (6n + 2 layers)."""

import keras

from course.models._common import (
    BN_MOMENTUM, apply_augment, apply_normalize, check_classifier_activation, check_input_shape, check_num_classes,
    check_positive_int, classifier, conv_bn_relu,
)


def _check_depth(depth):
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"resnet_cifar: depth must be 6n + 2 for an integer n >= 1 (8, 14, 20, 32, 44, 56, 110, ...; "
            f"the paper uses 20, 32, 44, 56 and 110), got {depth!r}"
        )
    return (depth - 2) // 6


def basic_block(x, filters, stride, weight_decay=0.0, name="block", residual=True, zero_init=False):
    """He et al.'s basic block on a functional tensor (plain Keras layers).

    Same computation as :class:`course.layers.ResidualBlock`: two 3x3
    conv-BN (ReLU between), a projection shortcut (1x1 conv stride
    ``stride`` + BN) when the shape changes, ReLU after the addition.
    ``residual=False`` gives the block of the paper's plain networks: the
    same two conv-BN layers and the final ReLU, without the shortcut.
    ``zero_init=True`` starts the second batch normalization's scale at 0,
    so the residual branch starts at 0 and the block as ReLU(shortcut).
    """
    reg = keras.regularizers.L2(weight_decay) if weight_decay else None
    y = conv_bn_relu(x, filters, strides=stride, weight_decay=weight_decay, name=name + "_1")
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal",
                            kernel_regularizer=reg, name=name + "_2_conv")(y)
    y = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, gamma_initializer="zeros" if zero_init else "ones",
                                        name=name + "_2_bn")(y)
    if not residual:
        return keras.layers.ReLU(name=name + "_out")(y)
    if stride != 1 or x.shape[-1] != filters:
        x = keras.layers.Conv2D(filters, 1, strides=stride, use_bias=False, kernel_initializer="he_normal",
                                kernel_regularizer=reg, name=name + "_shortcut_conv")(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=name + "_shortcut_bn")(x)
    y = keras.layers.Add(name=name + "_add")([x, y])
    return keras.layers.ReLU(name=name + "_out")(y)


def resnet_cifar(input_shape=(32, 32, 3), num_classes=10, depth=20, width=16, augment=None, weight_decay=0.0,
                 name=None, residual=True, normalize=None, zero_init_residual=False,
                 classifier_activation="softmax"):
    """ResNet-{20, 32, 44, 56, 110} for CIFAR (He, Zhang, Ren and Sun, 2016, section 4.2), or its plain twin.

    A 3x3 conv with ``width`` (16) filters, then three stages of ``n`` basic
    blocks (``depth = 6n + 2``) with ``width``, ``2 * width`` and
    ``4 * width`` (16/32/64) filters on 32x32, 16x16 and 8x8 maps (the first
    block of stages 2 and 3 has stride 2), global average pooling and a
    softmax classifier. Shortcuts are identities, except the two that change
    the shape, which are projections (1x1 conv + BN; the paper's CIFAR
    models pad with zeros instead; the projections add 2,944 parameters).
    ResNet-20 has 0.27M parameters (274,042 with 10 classes, counting batch
    normalisation's moving statistics), ResNet-32 0.47M, ResNet-56 0.86M.

    ``residual=False`` builds the paper's *plain* network of the same depth
    (its Fig. 6, left): the same convolutions, batch normalisations and
    ReLUs, without any shortcut (so without the two projections either).
    Plain and residual networks of one depth differ only in the shortcuts,
    which is what the degradation experiment compares: deeper plain
    networks reach a *higher training error* than shallower ones, residual
    ones do not.

    The paper trains with SGD, momentum 0.9, weight decay 1e-4, batch 128,
    learning rate 0.1 divided by 10 at 32k and 48k iterations, and
    4-pixel pad-and-crop plus horizontal flips
    (``augment=[course.layers.RandomPadCrop(4), keras.layers.RandomFlip("horizontal")]``).

    Args:
        input_shape: ``(height, width, channels)``, at least 4x4.
        num_classes: number of classes.
        depth: total number of weighted layers, ``6n + 2`` (20, 32, 44, 56, 110, ...).
        width: filters of the first stage (16 in the paper).
        augment: ``None``, a Keras layer or a list of layers applied to the input first.
        weight_decay: L2 factor on all kernels (paper: 1e-4; 0 for none).
        name: the model's name (default ``"resnet<depth>"``, or ``"plain<depth>"``).
        residual: True (default) for the ResNet; False for the plain network without shortcuts.
        zero_init_residual: start the last batch normalization of every
            residual branch with a scale of 0 (Goyal et al., 2017), so that
            every block starts as the identity (as ReLU(shortcut)) and the
            network as a shallow one: deep ResNets then train well from the
            first steps. Only with ``residual=True``.
        normalize: ``None`` (the model takes inputs as they come), or a
            :class:`course.data.Normalizer` fitted on the training images: the
            model then takes images with pixels in ``[0, 1]`` (what
            :func:`course.data.make_dataset` gives by default) and normalises
            them itself (see :meth:`~course.data.Normalizer.keras_layer`).
        classifier_activation: the output: ``"softmax"`` (default, class
            probabilities) or ``None`` for the pre-softmax class scores (logits),
            as ``keras.applications``; see :func:`course.models._common.classifier_output`.

    Returns:
        An uncompiled ``keras.Model`` giving class probabilities (or logits).

    Example:
        >>> from course.models import resnet_cifar
        >>> model = resnet_cifar((32, 32, 3), num_classes=10, depth=20)
        >>> model.count_params()
        274042
        >>> resnet_cifar((32, 32, 3), num_classes=10, depth=20, residual=False).count_params()  # no projections
        271098
    """
    n = _check_depth(depth)
    shape = check_input_shape(input_shape, min_size=4)
    check_num_classes(num_classes)
    check_positive_int(width, "width")
    check_classifier_activation(classifier_activation)
    if not isinstance(residual, bool):
        raise ValueError(f"resnet_cifar: residual must be True (ResNet) or False (plain network), got {residual!r}")
    if zero_init_residual and not residual:
        raise ValueError("resnet_cifar: zero_init_residual=True needs residual=True (a plain block whose last batch "
                         "normalization starts at 0 outputs nothing)")

    inputs = keras.Input(shape=shape, name="images")
    x = apply_normalize(apply_augment(inputs, augment), normalize)
    x = conv_bn_relu(x, width, weight_decay=weight_decay, name="stem")
    for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
        for block in range(n):
            stride = 2 if stage > 1 and block == 0 else 1
            x = basic_block(x, filters, stride, weight_decay, name=f"stage{stage}_block{block + 1}",
                            residual=residual, zero_init=bool(zero_init_residual))
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = classifier(x, num_classes, weight_decay, classifier_activation)
    return keras.Model(inputs, outputs, name=name or f"{'resnet' if residual else 'plain'}{depth}")
