"""AlexNet's PCA colour augmentation as a layer."""

import numpy as np

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course")
class PCAColorJitter(keras.layers.Layer):
    """Add a random multiple of the RGB principal components to every image (AlexNet, section 4.1).

    For each image, draw ``alpha ~ N(0, std**2)`` (3 values) and add the
    same RGB offset to all its pixels::

        offset = eigenvectors @ (alpha * eigenvalues) * pixel_scale

    where ``eigenvalues`` / ``eigenvectors`` are the eigen-decomposition of
    the 3x3 covariance of RGB pixel values over the training set (column
    ``i`` of ``eigenvectors`` is the eigenvector of ``eigenvalues[i]``).
    Krizhevsky et al. use ``std=0.1``. At inference (``training`` false or
    not given) the layer returns its input unchanged. Values are not clipped.

    **Scale.** The eigenvalues from :func:`course.data.augment.fit_pca_color`
    (and :meth:`from_images`) are for pixels in ``[0, 1]``. Keep
    ``pixel_scale=1.0`` when the layer sees images in ``[0, 1]``; set
    ``pixel_scale=255.0`` when it sees raw ``[0, 255]`` values. (Inputs that
    were standardised per channel would need the eigen-decomposition of the
    standardised pixels instead.)

    Args:
        eigenvalues: 3 non-negative numbers (list or array).
        eigenvectors: 3x3 numbers, eigenvectors in columns.
        std: standard deviation of ``alpha`` (float >= 0; 0 disables).
        pixel_scale: multiplies the offset: 1.0 for ``[0, 1]`` inputs, 255.0
            for ``[0, 255]`` inputs.
        seed: optional int for reproducible draws.
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Works inside a model on every backend, and in a ``tf.data`` ``map``
    (call it with ``training=True``) on the TensorFlow backend.

    Input shape: ``(batch, height, width, 3)`` or ``(height, width, 3)``.
    Output shape: the same.

    Example:
        >>> import numpy as np
        >>> from course.layers import PCAColorJitter
        >>> x_train = np.random.default_rng(0).integers(0, 256, (64, 8, 8, 3), dtype=np.uint8)
        >>> layer = PCAColorJitter.from_images(x_train, std=0.1, seed=0)  # expects [0, 1] inputs
        >>> x = x_train[:4].astype("float32") / 255.0
        >>> tuple(layer(x, training=True).shape)
        (4, 8, 8, 3)
        >>> bool(np.all(np.asarray(layer(x)) == x))  # inference: identity
        True
    """

    def __init__(self, eigenvalues, eigenvectors, std=0.1, pixel_scale=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        try:
            vals = np.asarray(eigenvalues, dtype="float64")
            vecs = np.asarray(eigenvectors, dtype="float64")
        except (TypeError, ValueError):
            raise ValueError("PCAColorJitter: eigenvalues and eigenvectors must be numeric arrays") from None
        if vals.shape != (3,):
            raise ValueError(f"PCAColorJitter: eigenvalues must have shape (3,), got {vals.shape}")
        if vecs.shape != (3, 3):
            raise ValueError(f"PCAColorJitter: eigenvectors must have shape (3, 3), got {vecs.shape}")
        if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(vecs))):
            raise ValueError("PCAColorJitter: eigenvalues and eigenvectors must be finite")
        if np.any(vals < 0):
            raise ValueError(f"PCAColorJitter: eigenvalues must be >= 0 (a covariance's), got {vals.tolist()}")
        for name, value in (("std", std), ("pixel_scale", pixel_scale)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"PCAColorJitter: {name} must be a number >= 0, got {value!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"PCAColorJitter: seed must be an int or None, got {seed!r}")
        self.eigenvalues = [float(v) for v in vals]
        self.eigenvectors = [[float(v) for v in row] for row in vecs]
        self.std = float(std)
        self.pixel_scale = float(pixel_scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @classmethod
    def from_images(cls, images, std=0.1, pixel_scale=1.0, seed=None, **kwargs):
        """Fit the colour PCA on ``images`` and return a layer.

        Args:
            images: training images ``(N, H, W, 3)``, uint8 in ``[0, 255]`` or
                float in ``[0, 1]`` (see :func:`course.data.augment.fit_pca_color`).
            std, pixel_scale, seed, **kwargs: as for the constructor.
                ``pixel_scale`` is the scale of what the *layer* will see,
                whatever the scale of ``images``.
        """
        from course.data.augment import fit_pca_color

        vals, vecs = fit_pca_color(images)
        return cls(vals, vecs, std=std, pixel_scale=pixel_scale, seed=seed, **kwargs)

    def build(self, input_shape):
        if len(input_shape) not in (3, 4) or input_shape[-1] != 3:
            raise ValueError(
                "PCAColorJitter: expected RGB images of shape (batch, height, width, 3) or (height, width, 3), "
                f"got shape {tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.std == 0.0:
            return inputs
        unbatched = len(inputs.shape) == 3
        x = ops.expand_dims(inputs, 0) if unbatched else inputs
        n = ops.shape(x)[0]
        alpha = keras.random.normal((n, 3), stddev=self.std, seed=self.seed_generator, dtype=self.compute_dtype)
        vals = ops.convert_to_tensor(self.eigenvalues, dtype=self.compute_dtype)
        vecs = ops.convert_to_tensor(self.eigenvectors, dtype=self.compute_dtype)
        offset = ops.matmul(alpha * vals[None, :], ops.transpose(vecs)) * self.pixel_scale  # (n, 3)
        out = x + ops.cast(offset[:, None, None, :], x.dtype)
        return out[0] if unbatched else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            eigenvalues=self.eigenvalues, eigenvectors=self.eigenvectors, std=self.std,
            pixel_scale=self.pixel_scale, seed=self.seed,
        )
        return config
