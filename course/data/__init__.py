"""CIFAR-10/100 loading, the embedded synthetic set, tf.data pipelines and augmentation.

Loading (numpy only, never imports TensorFlow)::

    from course.data import load_cifar10
    (x_train, y_train), (x_test, y_test), class_names = load_cifar10()   # source="auto"
    data = load_cifar10(source="synthetic"); print(data.source)

Pipelines (TensorFlow, loaded on first use)::

    from course.data import fit_normalization, make_dataset
    norm = fit_normalization(x_train, kind="channel")
    train_ds = make_dataset(x_train, y_train, 128, training=True, normalize=norm, seed=0)
    test_ds = make_dataset(x_test, y_test, 256, training=False, normalize=norm)

ImageNet (numpy only)::

    from course.data import imagenet_class_names, sample_photos
    photos = sample_photos(size=224)          # {"chelsea": uint8 (224, 224, 3), ...}
    names = imagenet_class_names()            # names[281] == "tabby"

Importing ``course.data`` is cheap: every name below is loaded from its
sub-module on first use.
"""

import importlib

_EXPORTS = {
    # loading (numpy only)
    "load_cifar10": "course.data.cifar",
    "load_cifar100": "course.data.cifar",
    "read_cifar_batch": "course.data.cifar",
    "Dataset": "course.data.cifar",
    "DATA_KINDS": "course.data.cifar",
    "DataNotFoundError": "course.data.cifar",
    "CorruptDataError": "course.data.cifar",
    "CIFAR10_CLASSES": "course.data.cifar",
    "CIFAR100_FINE_CLASSES": "course.data.cifar",
    "CIFAR100_COARSE_CLASSES": "course.data.cifar",
    # synthetic set (numpy only)
    "load_synthetic": "course.data.synthetic",
    "SYNTHETIC_CLASSES": "course.data.synthetic",
    # ImageNet class names and sample photos (numpy only)
    "imagenet_class_names": "course.data.imagenet",
    "imagenet_wnids": "course.data.imagenet",
    "sample_photos": "course.data.photos",
    "center_crop_resize": "course.data.photos",
    "PHOTO_DESCRIPTIONS": "course.data.photos",
    # features of a trained network (Keras)
    "extract_features": "course.data.features",
    # augmentation (numpy fit; TF batch ops)
    "fit_pca_color": "course.data.augment",
    "pca_color_offsets": "course.data.augment",
    # pipelines (TensorFlow)
    "Normalizer": "course.data.pipeline",
    "fit_normalization": "course.data.pipeline",
    "Augment": "course.data.pipeline",
    "make_dataset": "course.data.pipeline",
    "make_datasets": "course.data.pipeline",
    "tta_views": "course.data.pipeline",
    "tta_predict": "course.data.pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
