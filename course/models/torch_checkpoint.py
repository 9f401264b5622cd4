"""Read PyTorch's legacy (non-zip) checkpoint files with numpy alone, no PyTorch needed.

``torch.save`` wrote this format before PyTorch 1.6 (and still does with
``_use_new_zipfile_serialization=False``). A file is five things one after
the other::

    pickle: the magic number 0x1950a86a20f9469cfc6c
    pickle: the protocol version (1001)
    pickle: system info ({"little_endian": True, "type_sizes": {...}})
    pickle: the object itself (a state dict), where every tensor is a call
            torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
            and every storage a persistent id
            ("storage", torch.FloatStorage, key, location, numel, view_metadata)
    pickle: the list of storage keys, in the order their data follows
    then, for each key: an int64 element count and the raw little-endian elements

:func:`read_torch_legacy` returns the object with every tensor replaced by a
numpy array built with the tensor's **offset, size and stride** into its
storage: a tensor need not be contiguous. Checkpoints converted from
TensorFlow often keep TensorFlow's memory layout: the EfficientNet-Lite0
file's ``_conv_stem.weight`` has size ``(32, 3, 3, 3)`` (out, in, kh, kw) but
strides ``(1, 32, 288, 96)``, i.e. its bytes are in ``(kh, kw, in, out)``
order. Reading the bytes as a contiguous ``(32, 3, 3, 3)`` array scrambles
every kernel (such a network then labels every photo with the same class).

The unpickler only accepts the few names a state dict needs
(``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` /
``_rebuild_parameter`` and the ``torch.*Storage`` classes) and refuses any
other global, so a malicious file cannot run code the way ``pickle.load``
would let it.

>>> import io, numpy as np
>>> from course.models.torch_checkpoint import read_torch_legacy, write_torch_legacy
>>> buf = io.BytesIO()
>>> base = np.arange(6, dtype=np.float32).reshape(2, 3)
>>> write_torch_legacy(buf, {"w": base.T})          # a transposed (non-contiguous) view
>>> _ = buf.seek(0)
>>> read_torch_legacy(buf)["w"].tolist()
[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct

import numpy as np

__all__ = ["read_torch_legacy", "write_torch_legacy", "TorchCheckpointError", "MAGIC_NUMBER", "PROTOCOL_VERSION"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# torch storage class name -> numpy dtype of its elements (little-endian, as torch.save writes them)
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}
_DTYPE_STORAGES = {v: k for k, v in _STORAGE_DTYPES.items()}


class TorchCheckpointError(ValueError):
    """The file is not a PyTorch legacy checkpoint this reader understands (the message says why)."""


class _StorageType:
    """Stands in for ``torch.FloatStorage`` & co. while unpickling."""

    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _Storage:
    """One storage: its element type and count, filled with data after the object pickle."""

    def __init__(self, key, storage_type, numel):
        self.key, self.dtype, self.numel = key, storage_type.dtype, int(numel)
        self.data = None


class _PendingTensor:
    """A tensor whose storage data has not been read yet."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def to_numpy(self, name):
        data = self.storage.data
        itemsize = data.dtype.itemsize
        if len(self.size) != len(self.stride):
            raise TorchCheckpointError(f"tensor {name}: size {self.size} and stride {self.stride} differ in length")
        if any(s < 0 for s in self.size) or any(s < 0 for s in self.stride):
            raise TorchCheckpointError(f"tensor {name}: negative size or stride ({self.size}, {self.stride})")
        if 0 in self.size:
            return np.zeros(self.size, data.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or last >= data.size:
            raise TorchCheckpointError(
                f"tensor {name}: size {self.size}, stride {self.stride} and offset {self.offset} reach element "
                f"{last} of a storage of {data.size} elements (corrupt file?)"
            )
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size, strides=[s * itemsize for s in self.stride], writeable=False
        )
        return np.array(view)  # a copy: contiguous, writable, independent of the file buffer


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    if not isinstance(storage, _Storage):
        raise TorchCheckpointError(f"a tensor refers to {type(storage).__name__}, not to a storage")
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *_ignored):
    return data  # an nn.Parameter: the tensor inside it


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f, encoding="utf-8")
        self.storages = storages

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise TorchCheckpointError(
            f"the checkpoint needs {module}.{name}, which this reader does not load (it reads state dicts of "
            "tensors only; a pickled module or custom object needs PyTorch itself)"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise TorchCheckpointError(f"unexpected persistent id {pid!r} (not a storage)")
        _, storage_type, key, _location, numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise TorchCheckpointError(f"storage {key}: storage views (pre-1.0 checkpoints) are not supported")
        if not isinstance(storage_type, _StorageType):
            raise TorchCheckpointError(f"storage {key}: unknown storage type {storage_type!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(key, storage_type, numel)
        return self.storages[key]


def _replace_tensors(obj, path=""):
    if isinstance(obj, _PendingTensor):
        return obj.to_numpy(path or "<root>")
    if isinstance(obj, dict):
        out = type(obj)() if isinstance(obj, collections.OrderedDict) else {}
        for k, v in obj.items():
            out[k] = _replace_tensors(v, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_replace_tensors(v, f"{path}[{i}]") for i, v in enumerate(obj))
    return obj


def read_torch_legacy(source):
    """Load a legacy ``torch.save`` file; tensors come back as numpy arrays (strides honoured).

    ``source`` is a path or a binary file object positioned at the start of
    the checkpoint. Returns the saved object (for a state dict: an
    ``OrderedDict`` of name -> ``np.ndarray``; 0-d tensors such as
    ``num_batches_tracked`` become 0-d arrays). Raises
    :class:`TorchCheckpointError` naming the file and what is wrong: a
    zip-format checkpoint (``torch.save`` since PyTorch 1.6), a wrong magic
    number or protocol, big-endian data, a pickled class other than a state
    dict's, or storage data that ends early.
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        with open(name, "rb") as f:
            return _read(f, name)
    return _read(source, getattr(source, "name", "<file object>"))


def _read(f, name):
    head = f.read(4)
    if head[:2] == b"PK":
        raise TorchCheckpointError(
            f"{name} is a zip-format PyTorch checkpoint (torch.save since PyTorch 1.6); this reader reads the "
            "legacy format only (torch.save(..., _use_new_zipfile_serialization=False))"
        )
    f.seek(-len(head), io.SEEK_CUR)
    try:
        magic = pickle.load(f)
    except Exception as exc:
        raise TorchCheckpointError(f"{name} is not a PyTorch checkpoint (no pickle at the start: {exc})") from None
    if magic != MAGIC_NUMBER:
        raise TorchCheckpointError(f"{name} is not a legacy PyTorch checkpoint: magic number {magic!r}")
    try:
        protocol = pickle.load(f)
        sys_info = pickle.load(f)
    except Exception as exc:
        raise TorchCheckpointError(f"{name}: truncated or corrupt header ({exc})") from None
    if protocol != PROTOCOL_VERSION:
        raise TorchCheckpointError(f"{name}: unsupported protocol version {protocol!r} (expected {PROTOCOL_VERSION})")
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise TorchCheckpointError(f"{name}: saved on a big-endian machine, which this reader does not support")

    storages = {}
    try:
        obj = _Unpickler(f, storages).load()
        keys = pickle.load(f)
    except TorchCheckpointError as exc:
        raise TorchCheckpointError(f"{name}: {exc}") from None
    except Exception as exc:
        raise TorchCheckpointError(f"{name}: corrupt object pickle ({type(exc).__name__}: {exc})") from None
    missing = [k for k in keys if k not in storages]
    if missing:
        raise TorchCheckpointError(f"{name}: storage list names {missing[:3]} that no tensor uses (corrupt file?)")
    for key in keys:
        storage = storages[key]
        header = f.read(8)
        if len(header) != 8:
            raise TorchCheckpointError(f"{name}: file ends before the data of storage {key}")
        (numel,) = struct.unpack("<q", header)
        if numel != storage.numel:
            raise TorchCheckpointError(
                f"{name}: storage {key} holds {numel} elements, its tensors expect {storage.numel} (corrupt file?)"
            )
        nbytes = numel * storage.dtype.itemsize
        raw = f.read(nbytes)
        if len(raw) != nbytes:
            raise TorchCheckpointError(
                f"{name}: file ends inside the data of storage {key} ({len(raw)} of {nbytes} bytes)"
            )
        storage.data = np.frombuffer(raw, storage.dtype)
    unread = [k for k in storages if storages[k].data is None]
    if unread:
        raise TorchCheckpointError(f"{name}: no data for storages {unread[:3]} (corrupt file?)")
    return _replace_tensors(obj)


# --------------------------------------------------------------------------- writing (for tests and fixtures)


def _torch_global(module, name):
    """A stand-in object that :class:`_Pickler` writes as the global ``module.name`` (torch need not exist)."""
    return type(name, (), {"__module__": module, "__qualname__": name})


_REBUILD_TENSOR_V2 = _torch_global("torch._utils", "_rebuild_tensor_v2")


class _Pickler(pickle._Pickler):  # the pure-Python pickler: its save_global can be overridden
    def __init__(self, f):
        super().__init__(f, protocol=2)

    def save_global(self, obj, name=None):
        if getattr(obj, "__module__", None) in ("torch", "torch._utils"):
            self.write(pickle.GLOBAL + f"{obj.__module__}\n{obj.__qualname__}\n".encode("ascii"))
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", obj.storage_class, obj.key, "cpu", obj.numel, None)
        return None


class _StorageRef:
    def __init__(self, key, type_name, numel):
        self.key, self.storage_class, self.numel = key, _torch_global("torch", type_name), int(numel)


class _TensorRecord:
    """Pickles as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())``."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, int(offset), tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (_REBUILD_TENSOR_V2, self.args)


def write_torch_legacy(target, state_dict):
    """Write ``{name: np.ndarray}`` in PyTorch's legacy format, keeping each array's strides and base.

    The counterpart of :func:`read_torch_legacy`, for tests and small
    fixtures. An array that is a view (transposed, sliced) of a contiguous
    array is stored as ``torch.save`` stores views: the base array's data as
    the storage, the view's offset and strides in the tensor; views of one
    base share one storage. ``target`` is a path or a binary file object.
    Dtypes: float16/32/64, int8/16/32/64, uint8, bool.
    """
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as f:
            return write_torch_legacy(f, state_dict)
    storages = {}  # id(base array) -> (key, base array, storage type name)
    records = collections.OrderedDict()
    for name, arr in state_dict.items():
        arr = np.asarray(arr)
        type_name = _DTYPE_STORAGES.get(arr.dtype.newbyteorder("<") if arr.dtype.itemsize > 1 else arr.dtype)
        if type_name is None:
            raise TypeError(f"{name}: dtype {arr.dtype} has no PyTorch storage type")
        base = arr
        while isinstance(base.base, np.ndarray):
            base = base.base
        if base.dtype != arr.dtype or not base.flags.c_contiguous or any(s < 0 for s in arr.strides):
            arr = base = np.ascontiguousarray(arr)
        if id(base) not in storages:
            storages[id(base)] = (str(len(storages)), base, type_name)
        key = storages[id(base)][0]
        itemsize = arr.dtype.itemsize
        offset = (arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // itemsize
        records[name] = (key, offset, arr.shape, tuple(s // itemsize for s in arr.strides))
    refs = {key: _StorageRef(key, type_name, base.size) for key, base, type_name in storages.values()}
    obj = collections.OrderedDict(
        (name, _TensorRecord(refs[key], offset, size, stride)) for name, (key, offset, size, stride) in records.items()
    )
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION,
                   {"protocol_version": PROTOCOL_VERSION, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 8}}):
        pickle.dump(header, target, protocol=2)
    _Pickler(target).dump(obj)
    pickle.dump([key for key, _, _ in storages.values()], target, protocol=2)
    for _, base, _ in storages.values():
        target.write(struct.pack("<q", base.size))
        target.write(base.astype(base.dtype.newbyteorder("<"), copy=False).tobytes())
