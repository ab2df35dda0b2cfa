"""Turning stored values into bytes and back, without pickle.

A payload is one zstandard frame (level 1, with content size and checksum)
whose decompressed content is::

    magic b"VXLV" | format version (uint16 LE) | JSON length (uint32 LE)
    | JSON description | raw buffer 0 | raw buffer 1 | ...

The JSON description is ``{"value": <node>, "buffers": [nbytes, ...]}``.
A node is JSON-native for ``None``, ``bool``, ``str``, 64-bit ``int`` and
``float``; every other kind is a JSON list whose first item names the kind,
so a bare JSON list never stands for a Python value:

``["int", hex]``
    an integer outside the signed 64-bit range.
``["tuple", [node, ...]]``, ``["list", [node, ...]]``, ``["dict", {key: node}]``
    containers; dictionary keys must be ``str``.
``["seq", [node_id, ...]]``
    a :class:`SequenceRecord`.
``["ndarray", dtype, shape, buffer]``
    a numpy array whose C-ordered bytes are raw buffer number ``buffer``.
``["npscalar", dtype, hex]``
    a numpy scalar, its bytes written as hexadecimal.
``["image", {...}]``
    a SimpleITK image: pixel type name, size, component count, geometry,
    metadata and the buffer holding its pixels.
``["tagged", "module:qualname", node]``
    an object of a VoxLogicA class that converts itself with ``to_plain`` and
    ``from_plain``.

numpy and SimpleITK are imported only when a value needs them, so decoding a
tuple of numbers in a warm rerun does not pay for loading either library.

Tagged classes
--------------
A class defined in a module under the ``voxlogica.`` package can be stored by
giving it two methods::

    class ConstantImage:
        def to_plain(self):
            return {"value": self.value}

        @classmethod
        def from_plain(cls, plain):
            return cls(plain["value"])

Decoding imports the module named in the payload, and refuses any module
outside ``voxlogica.``, so a payload cannot make the decoder import arbitrary
code.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import struct
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import zstandard

if TYPE_CHECKING:
    import numpy

__all__ = [
    "FORMAT_VERSION",
    "TAGGED_MODULE_PREFIX",
    "PayloadError",
    "SequenceRecord",
    "UnsupportedPayloadVersion",
    "decode_value",
    "encode_value",
]

#: Version of the payload layout written by :func:`encode_value`.
FORMAT_VERSION = 1

#: Tagged values may only name classes in modules whose name starts with this.
TAGGED_MODULE_PREFIX = "voxlogica."

_MAGIC = b"VXLV"
_HEADER = struct.Struct("<4sHI")
_COMPRESSION_LEVEL = 1
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
# Kinds of numpy dtype with a fixed-size binary layout that decodes exactly:
# bool, signed and unsigned integers, floats and complex numbers.
_NUMERIC_DTYPE_KINDS = frozenset("biufc")
_TAG_PATTERN = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")

# Named rather than numbered because SimpleITK's numeric pixel ids are an
# implementation detail that may shift between releases. Label-map pixel
# types are left out on purpose: SimpleITK has no array view of them and
# aborts the process when asked for one.
_SCALAR_PIXEL_TYPES = (
    "sitkUInt8",
    "sitkInt8",
    "sitkUInt16",
    "sitkInt16",
    "sitkUInt32",
    "sitkInt32",
    "sitkUInt64",
    "sitkInt64",
    "sitkFloat32",
    "sitkFloat64",
    "sitkComplexFloat32",
    "sitkComplexFloat64",
)
_VECTOR_PIXEL_TYPES = (
    "sitkVectorUInt8",
    "sitkVectorInt8",
    "sitkVectorUInt16",
    "sitkVectorInt16",
    "sitkVectorUInt32",
    "sitkVectorInt32",
    "sitkVectorUInt64",
    "sitkVectorInt64",
    "sitkVectorFloat32",
    "sitkVectorFloat64",
)


class PayloadError(ValueError):
    """The bytes given to :func:`decode_value` are not a valid payload."""


class UnsupportedPayloadVersion(PayloadError):
    """The payload was written by a newer format version than this one reads."""


@dataclass(frozen=True, slots=True)
class SequenceRecord:
    """How the engine stores a sequence: the node ids of its elements, in order.

    Parameters
    ----------
    element_ids : tuple of str
        Node ids of the elements; any iterable of strings is accepted and kept
        as a tuple.
    """

    element_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        element_ids = tuple(self.element_ids)
        for element_id in element_ids:
            if type(element_id) is not str:
                raise TypeError(
                    "SequenceRecord element ids must be str, got "
                    f"{type(element_id).__name__}"
                )
        # The dataclass is frozen; this is its own constructor normalising input.
        object.__setattr__(self, "element_ids", element_ids)


def encode_value(value: Any) -> bytes:
    """Encode a value as a self-describing, compressed payload.

    Parameters
    ----------
    value : object
        ``None``, ``bool``, ``int``, ``float``, ``str``, tuples, lists,
        dictionaries with ``str`` keys, numpy arrays and scalars of numeric or
        bool dtype, SimpleITK images of scalar or vector pixel type,
        :class:`SequenceRecord`, or a tagged VoxLogicA object (see the module
        documentation), nested freely.

    Returns
    -------
    bytes
        The payload, which :func:`decode_value` turns back into an equal value.

    Raises
    ------
    TypeError
        If the value, or anything inside it, is of a kind that cannot be stored.
    """
    encoder = _Encoder()
    root = encoder.describe(value)
    description = json.dumps(
        {"value": root, "buffers": [buffer.nbytes for buffer in encoder.buffers]},
        separators=(",", ":"),
    ).encode("utf-8")
    header = _HEADER.pack(_MAGIC, FORMAT_VERSION, len(description))
    total_size = len(header) + len(description)
    total_size += sum(buffer.nbytes for buffer in encoder.buffers)
    # Streaming the buffers one by one avoids concatenating large arrays into
    # one temporary; declaring the total size lets the decoder allocate once.
    compressor = zstandard.ZstdCompressor(
        level=_COMPRESSION_LEVEL, write_checksum=True, write_content_size=True
    ).compressobj(size=total_size)
    chunks = [compressor.compress(header + description)]
    chunks.extend(compressor.compress(buffer) for buffer in encoder.buffers)
    chunks.append(compressor.flush())
    return b"".join(chunks)


def decode_value(data: bytes) -> Any:
    """Decode a payload written by :func:`encode_value`.

    Parameters
    ----------
    data : bytes
        The payload.

    Returns
    -------
    object
        A value equal to the one that was encoded. Tuples and lists keep their
        kind; numpy arrays are fresh, writable, C-ordered copies.

    Raises
    ------
    UnsupportedPayloadVersion
        If the payload was written by a newer format version.
    PayloadError
        If the payload is damaged or malformed.
    """
    try:
        content = zstandard.ZstdDecompressor().decompress(data)
    except zstandard.ZstdError as error:
        raise PayloadError(f"payload does not decompress: {error}") from error
    if len(content) < _HEADER.size:
        raise PayloadError("payload is shorter than its header")
    magic, version, description_size = _HEADER.unpack_from(content)
    if magic != _MAGIC:
        raise PayloadError(f"payload has unknown magic {magic!r}")
    if version > FORMAT_VERSION:
        raise UnsupportedPayloadVersion(
            f"payload format version {version} is newer than the supported "
            f"version {FORMAT_VERSION}"
        )
    description_end = _HEADER.size + description_size
    try:
        description = json.loads(content[_HEADER.size : description_end])
        buffers = _split_buffers(content, description_end, description["buffers"])
        return _Decoder(buffers).build(description["value"])
    except PayloadError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise PayloadError(f"malformed payload: {error!r}") from error


def _split_buffers(content: bytes, start: int, sizes: list[int]) -> list[memoryview]:
    view = memoryview(content)
    buffers = []
    offset = start
    for size in sizes:
        if type(size) is not int or size < 0:
            raise PayloadError(f"invalid buffer size {size!r}")
        buffers.append(view[offset : offset + size])
        offset += size
    if offset != len(content):
        raise PayloadError(
            f"payload holds {len(content)} bytes but its description accounts "
            f"for {offset}"
        )
    return buffers


class _Encoder:
    """Builds the JSON description of a value, collecting its raw buffers."""

    def __init__(self) -> None:
        self.buffers: list[numpy.ndarray] = []

    def describe(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            if _INT64_MIN <= value <= _INT64_MAX:
                return value
            # Hexadecimal is exact and, unlike decimal, not subject to
            # Python's limit on converting huge integers to and from text.
            return ["int", hex(value)]
        if kind is float:
            return value
        if kind is tuple:
            return ["tuple", [self.describe(item) for item in value]]
        if kind is list:
            return ["list", [self.describe(item) for item in value]]
        if kind is dict:
            return ["dict", self._describe_dict(value)]
        if kind is SequenceRecord:
            return ["seq", list(value.element_ids)]
        # A value can only be a numpy or SimpleITK object if that library is
        # already loaded, so looking in sys.modules keeps both imports lazy.
        numpy_module = sys.modules.get("numpy")
        if numpy_module is not None:
            if isinstance(value, numpy_module.ndarray):
                return self._describe_array(value)
            if isinstance(value, numpy_module.generic):
                return self._describe_numpy_scalar(value)
        sitk_module = sys.modules.get("SimpleITK")
        if sitk_module is not None and isinstance(value, sitk_module.Image):
            return self._describe_image(value, sitk_module)
        if hasattr(kind, "to_plain") and hasattr(kind, "from_plain"):
            return self._describe_tagged(value)
        raise TypeError(
            f"cannot store a value of type {kind.__module__}.{kind.__qualname__}"
        )

    def _describe_dict(self, value: dict) -> dict[str, Any]:
        described = {}
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(
                    "cannot store a dict with a key of type "
                    f"{type(key).__qualname__}; keys must be str"
                )
            described[key] = self.describe(item)
        return described

    def _add_buffer(self, array: numpy.ndarray) -> int:
        import numpy as np

        # A flat byte view of a C-ordered array is the raw buffer itself,
        # whatever the dtype (bool and float16 included) or shape (0-d too).
        self.buffers.append(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        return len(self.buffers) - 1

    def _describe_array(self, array: numpy.ndarray) -> list[Any]:
        _require_numeric_dtype(array.dtype, "numpy array")
        return ["ndarray", array.dtype.str, list(array.shape), self._add_buffer(array)]

    def _describe_numpy_scalar(self, scalar: Any) -> list[Any]:
        _require_numeric_dtype(scalar.dtype, "numpy scalar")
        return ["npscalar", scalar.dtype.str, scalar.tobytes().hex()]

    def _describe_image(self, image: Any, sitk: Any) -> list[Any]:
        pixel_id = image.GetPixelID()
        pixel_type = next(
            (
                name
                for name in _SCALAR_PIXEL_TYPES + _VECTOR_PIXEL_TYPES
                if getattr(sitk, name, None) == pixel_id
            ),
            None,
        )
        if pixel_type is None:
            raise TypeError(
                "cannot store a SimpleITK image with pixel type "
                f"{image.GetPixelIDTypeAsString()!r}"
            )
        pixels = sitk.GetArrayViewFromImage(image)
        return [
            "image",
            {
                "pixel_type": pixel_type,
                "components": image.GetNumberOfComponentsPerPixel(),
                "size": list(image.GetSize()),
                "spacing": list(image.GetSpacing()),
                "origin": list(image.GetOrigin()),
                "direction": list(image.GetDirection()),
                "metadata": {
                    key: image.GetMetaData(key) for key in image.GetMetaDataKeys()
                },
                "dtype": pixels.dtype.str,
                "buffer": self._add_buffer(pixels),
            },
        ]

    def _describe_tagged(self, value: Any) -> list[Any]:
        kind = type(value)
        module_name = kind.__module__
        tag = f"{module_name}:{kind.__qualname__}"
        if not module_name.startswith(TAGGED_MODULE_PREFIX):
            raise TypeError(
                f"cannot store a value of type {tag}: tagged classes must be "
                f"defined in a module under {TAGGED_MODULE_PREFIX!r}"
            )
        if not _TAG_PATTERN.fullmatch(tag):
            raise TypeError(
                f"cannot store a value of type {tag}: the class must be "
                "reachable by name from its module (not defined in a function)"
            )
        return ["tagged", tag, self.describe(value.to_plain())]


def _require_numeric_dtype(dtype: Any, what: str) -> None:
    if dtype.kind not in _NUMERIC_DTYPE_KINDS or dtype.fields is not None:
        raise TypeError(
            f"cannot store a {what} of dtype {dtype}; only bool and numeric "
            "dtypes are supported"
        )


class _Decoder:
    """Rebuilds a value from its JSON description and raw buffers."""

    def __init__(self, buffers: list[memoryview]) -> None:
        self._buffers = buffers

    def build(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | str):
            return node
        if isinstance(node, int | float):
            return node
        if not isinstance(node, list) or not node:
            raise PayloadError(f"unexpected node {node!r}")
        kind = node[0]
        if kind == "tuple":
            return tuple(self.build(item) for item in node[1])
        if kind == "list":
            return [self.build(item) for item in node[1]]
        if kind == "dict":
            return {key: self.build(item) for key, item in node[1].items()}
        if kind == "int":
            return int(node[1], 16)
        if kind == "seq":
            return SequenceRecord(tuple(node[1]))
        if kind == "ndarray":
            return self._build_array(*node[1:])
        if kind == "npscalar":
            return self._build_numpy_scalar(*node[1:])
        if kind == "image":
            return self._build_image(node[1])
        if kind == "tagged":
            return self._build_tagged(node[1], node[2])
        raise PayloadError(f"unknown node kind {kind!r}")

    def _array_from_buffer(
        self, dtype_text: str, shape: list[int], buffer_index: int
    ) -> numpy.ndarray:
        import numpy as np

        dtype = np.dtype(dtype_text)
        _require_numeric_dtype(dtype, "numpy array")
        buffer = self._buffers[buffer_index]
        expected = math.prod(shape) * dtype.itemsize
        if buffer.nbytes != expected:
            raise PayloadError(
                f"buffer {buffer_index} holds {buffer.nbytes} bytes, expected "
                f"{expected} for shape {shape} and dtype {dtype_text}"
            )
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def _build_array(
        self, dtype_text: str, shape: list[int], buffer_index: int
    ) -> numpy.ndarray:
        # Copied so the result is writable and does not keep the whole
        # decompressed payload alive.
        return self._array_from_buffer(dtype_text, shape, buffer_index).copy()

    def _build_numpy_scalar(self, dtype_text: str, hex_bytes: str) -> Any:
        import numpy as np

        dtype = np.dtype(dtype_text)
        _require_numeric_dtype(dtype, "numpy scalar")
        raw = bytes.fromhex(hex_bytes)
        if len(raw) != dtype.itemsize:
            raise PayloadError(f"numpy scalar of dtype {dtype_text} has bad size")
        return np.frombuffer(raw, dtype=dtype)[0]

    def _build_image(self, fields: dict[str, Any]) -> Any:
        import SimpleITK as sitk

        pixel_type = fields["pixel_type"]
        is_vector = pixel_type in _VECTOR_PIXEL_TYPES
        if not is_vector and pixel_type not in _SCALAR_PIXEL_TYPES:
            raise PayloadError(f"unsupported image pixel type {pixel_type!r}")
        # The array view of a one-component vector image drops the component
        # axis, so the shape is rebuilt from the size rather than stored.
        shape = list(reversed(fields["size"]))
        if is_vector:
            shape.append(fields["components"])
        pixels = self._array_from_buffer(fields["dtype"], shape, fields["buffer"])
        image = sitk.GetImageFromArray(pixels, isVector=is_vector)
        if image.GetPixelID() != getattr(sitk, pixel_type):
            raise PayloadError(
                f"image decoded as {image.GetPixelIDTypeAsString()!r}, "
                f"expected {pixel_type}"
            )
        image.SetSpacing(fields["spacing"])
        image.SetOrigin(fields["origin"])
        image.SetDirection(fields["direction"])
        for key, text in fields["metadata"].items():
            image.SetMetaData(key, text)
        return image

    def _build_tagged(self, tag: str, plain_node: Any) -> Any:
        if not isinstance(tag, str) or not _TAG_PATTERN.fullmatch(tag):
            raise PayloadError(f"malformed tag {tag!r}")
        module_name, qualname = tag.split(":")
        if not module_name.startswith(TAGGED_MODULE_PREFIX):
            raise PayloadError(
                f"refusing to import {module_name!r} for tagged value {tag}: "
                f"only modules under {TAGGED_MODULE_PREFIX!r} are allowed"
            )
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError as error:
            raise PayloadError(f"cannot import module for tag {tag}") from error
        for part in qualname.split("."):
            target = getattr(target, part, None)
        if not isinstance(target, type) or not callable(
            getattr(target, "from_plain", None)
        ):
            raise PayloadError(f"tag {tag} does not name a class with from_plain")
        return target.from_plain(self.build(plain_node))
