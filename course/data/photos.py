"""Real photographs and textures for ImageNet experiments, offline (from scikit-image).

scikit-image ships these images inside its package (``skimage.data``), so
they need no download. :func:`sample_photos` returns them as uint8 RGB
arrays: greyscale textures are repeated over the three channels, the boolean
horse silhouette becomes black (0) on white (255). Numpy and Pillow only: no
TensorFlow, no network.

What each one shows, and what an ImageNet classifier should say about it
(:data:`PHOTO_DESCRIPTIONS` has the same text):

=============  ===============================================================  ==========================
name           content (source: ``skimage.data.<function>``)                    expected ImageNet classes
=============  ===============================================================  ==========================
chelsea        Chelsea, a tabby cat, head and shoulders (``chelsea``, 300x451)   tabby, tiger cat, Egyptian cat
coffee         a cup of espresso on a saucer, from above (``coffee``, 400x600)  espresso, cup, coffee mug
rocket         a rocket on its launch pad (``rocket``, 427x640)                 missile, projectile, space shuttle
motorcycle     a motorcycle in a garage (left view of ``stereo_motorcycle``)    moped, motor scooter, crash helmet
astronaut      astronaut Eileen Collins in her suit, with a flag and a          (no "person" class) uniforms, suits
               helmet (``astronaut``, 512x512)
grass          texture: grass, greyscale (``grass``, 512x512)                   texture classes only
gravel         texture: gravel, greyscale (``gravel``, 512x512)                 texture classes only
brick          texture: a brick wall, greyscale (``brick``, 512x512)            texture classes only
horse          silhouette of a horse, black on white, no texture (``horse``)    shape only
=============  ===============================================================  ==========================

The textures and the silhouette are for shape-versus-texture experiments
(Geirhos et al. 2019: ImageNet CNNs lean on texture).

>>> photos = sample_photos()
>>> list(photos)
['chelsea', 'coffee', 'rocket', 'motorcycle', 'astronaut', 'grass', 'gravel', 'brick', 'horse']
>>> photos["chelsea"].shape, photos["chelsea"].dtype, photos["horse"].shape
((300, 451, 3), dtype('uint8'), (328, 400, 3))
>>> batch = sample_photos(size=96, names=["chelsea", "brick"])
>>> [img.shape for img in batch.values()]
[(96, 96, 3), (96, 96, 3)]
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_photos", "center_crop_resize", "PHOTO_DESCRIPTIONS"]

#: name -> what the image shows (see the module docstring's table).
PHOTO_DESCRIPTIONS = {
    "chelsea": "Chelsea, a tabby cat, head and shoulders (ImageNet: tabby, tiger cat, Egyptian cat)",
    "coffee": "a cup of espresso on a saucer, seen from above (ImageNet: espresso, cup, coffee mug)",
    "rocket": "a rocket on its launch pad (ImageNet: missile, projectile, space shuttle)",
    "motorcycle": "a motorcycle in a garage, left view of a stereo pair (ImageNet: moped, motor scooter, crash helmet)",
    "astronaut": "astronaut Eileen Collins in her suit with a flag (ImageNet has no 'person' class)",
    "grass": "texture: grass (greyscale, repeated over R, G, B)",
    "gravel": "texture: gravel (greyscale, repeated over R, G, B)",
    "brick": "texture: a brick wall (greyscale, repeated over R, G, B)",
    "horse": "silhouette of a horse, black on white: shape without texture",
}


def _load(name):
    from skimage import data

    if name == "motorcycle":
        image = data.stereo_motorcycle()[0]
    else:
        image = getattr(data, name)()
    if image.dtype == bool:  # the horse: True is the white background
        image = np.where(image, np.uint8(255), np.uint8(0))
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[-1] == 4:  # RGBA -> RGB (none of today's images, but skimage may change)
        image = image[:, :, :3]
    return np.ascontiguousarray(image, dtype=np.uint8)


def center_crop_resize(image, size, crop_fraction=1.0):
    """The central square of ``image`` (``crop_fraction`` of its shorter side), resized to ``size`` x ``size``.

    ``image``: uint8 ``(H, W, 3)`` (or ``(H, W)``). Resizing is bicubic with
    antialiasing (Pillow), as photos are prepared for ImageNet networks; the
    TensorFlow evaluation of EfficientNet crops ``crop_fraction=0.875`` (224
    of 256), which suits photos of whole scenes; the sample photos are framed
    tightly and keep their full square (``1.0``). Returns uint8.

    >>> import numpy as np
    >>> img = np.zeros((40, 60, 3), np.uint8); img[:, 10:50] = 255   # a white centre square
    >>> out = center_crop_resize(img, 8)
    >>> out.shape, int(out.min())
    ((8, 8, 3), 255)
    """
    from PIL import Image

    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
        raise ValueError(f"image must have shape (H, W) or (H, W, 3); got {arr.shape}")
    if arr.dtype != np.uint8:
        raise TypeError(f"image must be uint8 (0..255); got {arr.dtype}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int (pixels); got {size!r}")
    if not 0 < crop_fraction <= 1:
        raise ValueError(f"crop_fraction must be in (0, 1]; got {crop_fraction!r}")
    h, w = arr.shape[:2]
    side = max(1, int(round(min(h, w) * crop_fraction)))
    top, left = (h - side) // 2, (w - side) // 2
    crop = arr[top:top + side, left:left + side]
    squeeze = crop.ndim == 3 and crop.shape[2] == 1
    pil = Image.fromarray(crop[:, :, 0] if squeeze else crop)
    out = np.asarray(pil.resize((int(size), int(size)), Image.Resampling.BICUBIC, reducing_gap=None))
    return out[:, :, None] if squeeze else out


def sample_photos(names=None, size=None, crop_fraction=1.0):
    """The sample photographs and textures as ``{name: uint8 RGB array (H, W, 3)}``, in a fixed order.

    ``names``: a list of names from :data:`PHOTO_DESCRIPTIONS` (default: all,
    in the table's order). ``size``: with an int, every image is cut to its
    central square and resized to ``size`` x ``size`` (:func:`center_crop_resize`),
    so ``np.stack(list(photos.values()))`` is a batch. Each call returns new
    arrays (safe to modify). Loading is numpy and Pillow only.
    """
    chosen = list(PHOTO_DESCRIPTIONS) if names is None else list(names)
    unknown = [n for n in chosen if n not in PHOTO_DESCRIPTIONS]
    if unknown:
        raise ValueError(f"unknown photo {unknown[0]!r}; choose from {', '.join(PHOTO_DESCRIPTIONS)}")
    photos = {}
    for name in chosen:
        image = _load(name)
        if size is not None:
            image = center_crop_resize(image, size, crop_fraction)
        photos[name] = image
    return photos
