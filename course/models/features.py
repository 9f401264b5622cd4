"""Features at chosen depths of a network: one model with the (pooled) outputs of named layers."""

from __future__ import annotations

import keras

__all__ = ["feature_extractor"]


def feature_extractor(model, layer_names, pooling="avg", name=None):
    """A model sharing ``model``'s layers whose outputs are the named layers' activations.

    Args:
        model: a functional Keras model (for example
            :func:`course.models.efficientnet_lite0`).
        layer_names: a layer name or a list of names, e.g.
            :data:`course.models.EFFICIENTNET_LITE0_STAGES` for every stage.
        pooling: ``"avg"`` (global average over positions: one vector of
            channels per image, for linear probes), ``"max"``, or ``None``
            (the full ``(H, W, C)`` maps, e.g. to show activations).
            Outputs that are already vectors are left as they are.
        name: the new model's name (default: ``<model name>_features``).

    Returns:
        A ``keras.Model`` with the same inputs and a dict of outputs
        ``{layer name: tensor}`` (a single tensor for a single name). The
        layers and weights are ``model``'s own, not copies. Run it with
        :func:`course.data.extract_features` (inference mode, numpy out).

    Example:
        >>> from course.models import efficientnet_lite0, feature_extractor
        >>> net = efficientnet_lite0(weights=None, input_shape=(64, 64, 3), include_top=False)
        >>> fe = feature_extractor(net, ["block2b_add", "top_activation"])
        >>> {k: tuple(v.shape) for k, v in fe.output.items()}
        {'block2b_add': (None, 24), 'top_activation': (None, 1280)}
    """
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None; got {pooling!r}")
    single = isinstance(layer_names, str)
    names = [layer_names] if single else list(layer_names)
    if not names:
        raise ValueError("layer_names is empty: name at least one layer")
    known = [layer.name for layer in model.layers]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"model {model.name!r} has no layer {unknown[0]!r}; "
                         f"its layers include {', '.join(known[:8])}, ...")
    outputs = {}
    for layer_name in names:
        out = model.get_layer(layer_name).output
        if pooling is not None and len(out.shape) == 4:
            pool = keras.layers.GlobalAveragePooling2D if pooling == "avg" else keras.layers.GlobalMaxPooling2D
            out = pool(name=f"{layer_name}_{pooling}_pool")(out)
        outputs[layer_name] = out
    return keras.Model(model.inputs, outputs[names[0]] if single else outputs, name=name or f"{model.name}_features")
