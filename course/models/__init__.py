"""Reference architectures, built with the Keras functional API.

Every builder takes ``input_shape`` and ``num_classes`` first (defaults:
CIFAR's ``(32, 32, 3)`` and 10) and returns an uncompiled ``keras.Model``
whose output is class probabilities (a float32 softmax named
``"probabilities"``): compile with ``sparse_categorical_crossentropy`` for
integer labels. All accept ``augment``: ``None``, a Keras layer or a list of
layers applied to the input (active only in training), and ``normalize``: a
:class:`course.data.Normalizer` fitted on the training images, so that the
model takes pixels in ``[0, 1]`` and normalises them itself.
``classifier_activation=None`` (as in ``keras.applications``) gives the
pre-softmax class scores instead, a float32 output named ``"logits"``: the
class scores that saliency maps and adversarial attacks differentiate
(compile with ``SparseCategoricalCrossentropy(from_logits=True)``).

- :func:`two_layer_net`: affine - ReLU - affine.
- :func:`small_cnn`: a small conv-BN-ReLU CNN that trains in seconds on a CPU.
- :func:`alexnet`: AlexNet, CIFAR-sized or the original 227x227 layout.
- :func:`vgg`: VGG configurations A to E.
- :func:`resnet_cifar`: He et al.'s CIFAR ResNets (20, 32, 44, 56, 110 layers), and
  their plain twins without shortcuts (``residual=False``).
- :func:`resnet9`: the DAWNBench ResNet-9, with a ``width`` argument.

Pretrained ImageNet networks:

- :func:`efficientnet_lite0`: EfficientNet-Lite0 with real ImageNet weights
  that load offline (from an installed package; no PyTorch, no download),
  at any input size >= 32 px; :data:`EFFICIENTNET_LITE0_STAGES` names the
  output layer of every stage. Feed it :func:`preprocess_imagenet` images;
  :func:`decode_predictions` names the classes.
- :func:`pretrained`: any ``keras.applications`` network (MobileNetV2,
  EfficientNetB0, ResNet50, ...), downloaded and cached as Keras does.
- :func:`feature_extractor`: a model giving the (pooled) outputs of chosen
  layers, for features at several depths (with
  :func:`course.data.extract_features`).

:func:`inference_function` compiles a model's inference pass once, for the
many small differentiable calls of saliency maps, class visualization and
adversarial attacks.

The builders use built-in Keras layers (AlexNet's and VGG A-LRN's local
response normalisation comes from :mod:`course.layers`), so saved models
load with ``keras.saving.load_model`` after ``import course.layers``.
"""

from course.models.alexnet import alexnet
from course.models.efficientnet_lite import EFFICIENTNET_LITE0_STAGES, efficientnet_lite0
from course.models.features import feature_extractor
from course.models.imagenet import Prediction, decode_predictions, imagenet_normalizer, preprocess_imagenet
from course.models.inference import InferenceFunction, inference_function
from course.models.pretrained import WeightsUnavailableError, pretrained
from course.models.resnet9 import resnet9
from course.models.resnet_cifar import resnet_cifar
from course.models.small_cnn import small_cnn
from course.models.two_layer_net import two_layer_net
from course.models.vgg import vgg

__all__ = [
    "alexnet", "resnet9", "resnet_cifar", "small_cnn", "two_layer_net", "vgg",
    "efficientnet_lite0", "EFFICIENTNET_LITE0_STAGES", "preprocess_imagenet", "imagenet_normalizer",
    "decode_predictions", "Prediction", "pretrained", "WeightsUnavailableError", "feature_extractor",
    "inference_function", "InferenceFunction",
]
