"""Round trips and refusals of the payload codec."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from voxlogica.store import codecs
from voxlogica.store.codecs import (
    FORMAT_VERSION,
    PayloadError,
    SequenceRecord,
    UnsupportedPayloadVersion,
    decode_value,
    encode_value,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHRIS_T1 = REPO_ROOT / "examples" / "data" / "chris_t1.nii.gz"
NODE_ID = "ab" * 32


def assert_same_value(expected, actual):
    """Equality that also demands the same types and bit-identical floats."""
    assert type(actual) is type(expected)
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype
        assert actual.shape == expected.shape
        assert actual.tobytes() == np.ascontiguousarray(expected).tobytes()
    elif isinstance(expected, np.generic):
        assert actual.dtype == expected.dtype
        assert actual.tobytes() == expected.tobytes()
    elif isinstance(expected, sitk.Image):
        assert_same_image(expected, actual)
    elif isinstance(expected, float):
        assert struct.pack("<d", actual) == struct.pack("<d", expected) or (
            math.isnan(actual) and math.isnan(expected)
        )
    elif isinstance(expected, tuple | list):
        assert len(actual) == len(expected)
        for expected_item, actual_item in zip(expected, actual, strict=True):
            assert_same_value(expected_item, actual_item)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same_value(expected[key], actual[key])
    else:
        assert actual == expected


def as_doubles(values) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def assert_same_image(expected: sitk.Image, actual: sitk.Image) -> None:
    assert actual.GetPixelID() == expected.GetPixelID()
    assert actual.GetSize() == expected.GetSize()
    assert (
        actual.GetNumberOfComponentsPerPixel()
        == expected.GetNumberOfComponentsPerPixel()
    )
    assert as_doubles(actual.GetSpacing()) == as_doubles(expected.GetSpacing())
    assert as_doubles(actual.GetOrigin()) == as_doubles(expected.GetOrigin())
    assert as_doubles(actual.GetDirection()) == as_doubles(expected.GetDirection())
    assert actual.GetMetaDataKeys() == expected.GetMetaDataKeys()
    for key in expected.GetMetaDataKeys():
        assert actual.GetMetaData(key) == expected.GetMetaData(key)
    expected_pixels = sitk.GetArrayViewFromImage(expected)
    actual_pixels = sitk.GetArrayViewFromImage(actual)
    assert actual_pixels.dtype == expected_pixels.dtype
    assert actual_pixels.shape == expected_pixels.shape
    assert actual_pixels.tobytes() == expected_pixels.tobytes()


def round_trip(value):
    decoded = decode_value(encode_value(value))
    assert_same_value(value, decoded)
    return decoded


PLAIN_VALUES = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "negative int": -17,
    "int64 max": 2**63 - 1,
    "int64 min": -(2**63),
    "just above int64": 2**63,
    "huge negative int": -(7**900),
    "float": 3.25,
    "tiny float": 5e-324,
    "third": 1 / 3,
    "nan": math.nan,
    "inf": math.inf,
    "minus inf": -math.inf,
    "minus zero": -0.0,
    "empty str": "",
    "unicode str": "héllo ∂Ω 🧠",
    "lone surrogate": "\ud800",
    "empty tuple": (),
    "tuple": (1, "a", 2.5, None),
    "empty list": [],
    "nested list": [1, [2, (3, [4])], ()],
    "empty dict": {},
    "dict": {"b": 1, "a": [True, (2.0,)], "": {"inner": None}},
    "sequence": SequenceRecord(("0" * 64, "f" * 64)),
    "empty sequence": SequenceRecord(()),
    "sequence in tuple": (SequenceRecord(("1" * 64,)), 3),
}


@pytest.mark.parametrize("value", PLAIN_VALUES.values(), ids=PLAIN_VALUES.keys())
def test_plain_values_round_trip(value):
    round_trip(value)


def test_minus_zero_keeps_its_sign():
    assert math.copysign(1.0, decode_value(encode_value(-0.0))) == -1.0


plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(plain_values)
def test_any_nesting_of_plain_values_round_trips(value):
    round_trip(value)


ARRAYS = {
    "bool": np.array([[True, False], [False, True]]),
    "int8": np.arange(-5, 5, dtype=np.int8),
    "uint16": np.arange(12, dtype=np.uint16).reshape(3, 4),
    "int32": np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    "uint64": np.array([2**64 - 1], dtype=np.uint64),
    "int64 3d": np.arange(24, dtype=np.int64).reshape(2, 3, 4),
    "float16": np.array([0.5, -2.0, np.inf], dtype=np.float16),
    "float32": np.linspace(0, 1, 7, dtype=np.float32),
    "float64 special": np.array([np.nan, -0.0, np.inf, 1e-310]),
    "complex64": np.array([1 + 2j, -3j], dtype=np.complex64),
    "complex128": np.array([[1e300 + 1j]]),
    "big endian": np.arange(6, dtype=">i4"),
    "0-d": np.array(4.5),
    "0-d bool": np.array(True),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "empty 1-d": np.array([], dtype=np.uint8),
    "non-contiguous": np.arange(60, dtype=np.int16).reshape(6, 10)[::2, ::-3],
    "fortran order": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "transposed 3d": np.arange(24, dtype=np.uint8).reshape(2, 3, 4).transpose(2, 0, 1),
}


@pytest.mark.parametrize("array", ARRAYS.values(), ids=ARRAYS.keys())
def test_arrays_round_trip(array):
    decoded = round_trip(array)
    assert np.array_equal(decoded, array, equal_nan=array.dtype.kind in "fc")
    assert decoded.flags.writeable
    assert decoded.flags.c_contiguous


def test_arrays_nested_in_containers_round_trip():
    round_trip(
        {"mask": np.ones((2, 2), dtype=bool), "stats": (np.float32(1.5), [2, 3.0])}
    )


NUMPY_SCALARS = {
    "bool_": np.bool_(True),
    "int8": np.int8(-3),
    "uint8": np.uint8(200),
    "int64": np.int64(-(2**62)),
    "uint64": np.uint64(2**64 - 1),
    "float16": np.float16(0.1),
    "float32": np.float32(1.5),
    "float64": np.float64(-0.0),
    "complex128": np.complex128(1 - 2j),
}


@pytest.mark.parametrize("scalar", NUMPY_SCALARS.values(), ids=NUMPY_SCALARS.keys())
def test_numpy_scalars_keep_their_type(scalar):
    decoded = round_trip(scalar)
    assert type(decoded) is type(scalar)


def rotation_matrix(axis, angle) -> np.ndarray:
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    cross = np.array(
        [[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]]
    )
    return np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


DIRECTIONS_3D = {
    "rotation": tuple(rotation_matrix((1, 2, 3), 0.7).ravel()),
    "flip": (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0),
}
DIRECTIONS_2D = {
    "rotation": (math.cos(0.3), -math.sin(0.3), math.sin(0.3), math.cos(0.3)),
    "flip": (-1.0, 0.0, 0.0, -1.0),
}

PIXEL_TYPES = {
    "UInt8": (sitk.sitkUInt8, 1),
    "Int16": (sitk.sitkInt16, 1),
    "UInt32": (sitk.sitkUInt32, 1),
    "Int64": (sitk.sitkInt64, 1),
    "Float32": (sitk.sitkFloat32, 1),
    "Float64": (sitk.sitkFloat64, 1),
    "ComplexFloat32": (sitk.sitkComplexFloat32, 1),
    "VectorFloat32": (sitk.sitkVectorFloat32, 3),
    "VectorUInt8 one component": (sitk.sitkVectorUInt8, 1),
    "VectorInt16": (sitk.sitkVectorInt16, 2),
}


def make_image(pixel_type, components, size, spacing, origin, direction):
    """A random image of the given pixel type, geometry and some metadata."""
    is_vector = sitk.GetPixelIDValueAsString(pixel_type).startswith("vector")
    dtype = sitk.GetArrayViewFromImage(sitk.Image([1, 1], pixel_type)).dtype
    shape = tuple(reversed(size)) + ((components,) if is_vector else ())
    rng = np.random.default_rng(len(size) * 100 + pixel_type)
    if dtype.kind == "c":
        pixels = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    elif dtype.kind == "f":
        pixels = rng.normal(size=shape) * 100
    else:
        info = np.iinfo(dtype)
        pixels = rng.integers(info.min, info.max, size=shape, endpoint=True)
    image = sitk.GetImageFromArray(pixels.astype(dtype), isVector=is_vector)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection([float(entry) for entry in direction])
    image.SetMetaData("voxlogica_test", "kept")
    image.SetMetaData("descrip", "a value with spaces, commas and ünïcode")
    return image


@pytest.mark.parametrize("pixel_name", PIXEL_TYPES, ids=PIXEL_TYPES.keys())
@pytest.mark.parametrize("direction_name", DIRECTIONS_3D)
def test_3d_images_round_trip_pixels_and_geometry(pixel_name, direction_name):
    pixel_type, components = PIXEL_TYPES[pixel_name]
    image = make_image(
        pixel_type,
        components,
        size=(5, 4, 3),
        spacing=(0.5, 1.25, 3.0),
        origin=(-12.3, 45.6, 7.891),
        direction=DIRECTIONS_3D[direction_name],
    )
    assert image.GetPixelID() == pixel_type
    assert image.GetNumberOfComponentsPerPixel() == components
    round_trip(image)


@pytest.mark.parametrize("pixel_name", PIXEL_TYPES, ids=PIXEL_TYPES.keys())
@pytest.mark.parametrize("direction_name", DIRECTIONS_2D)
def test_2d_images_round_trip_pixels_and_geometry(pixel_name, direction_name):
    pixel_type, components = PIXEL_TYPES[pixel_name]
    image = make_image(
        pixel_type,
        components,
        size=(6, 3),
        spacing=(0.5, 1.25),
        origin=(3.5, -0.1),
        direction=DIRECTIONS_2D[direction_name],
    )
    assert image.GetPixelID() == pixel_type
    assert image.GetNumberOfComponentsPerPixel() == components
    round_trip(image)


@pytest.mark.parametrize("pixel_name", ["Int16", "VectorFloat32"])
def test_4d_images_round_trip(pixel_name):
    pixel_type, components = PIXEL_TYPES[pixel_name]
    image = make_image(
        pixel_type,
        components,
        size=(4, 3, 2, 2),
        spacing=(0.5, 1.25, 3.0, 2.0),
        origin=(1.0, 2.0, 3.0, 4.0),
        direction=tuple(np.eye(4)[[1, 0, 2, 3]].ravel()),
    )
    assert image.GetDimension() == 4
    round_trip(image)


def test_real_mri_round_trips():
    image = sitk.ReadImage(str(CHRIS_T1))
    assert image.GetPixelID() == sitk.sitkUInt8
    payload = encode_value(image)
    assert len(payload) < image.GetNumberOfPixels()
    assert_same_image(image, decode_value(payload))


class OutsideVoxlogica:
    def to_plain(self):
        return 1

    @classmethod
    def from_plain(cls, plain):
        return cls()


UNSUPPORTED = {
    "object": (object(), "object"),
    "set": ({1, 2}, "set"),
    "bytes": (b"raw", "bytes"),
    "int key": ({1: "a"}, "int"),
    "str subclass": (type("Name", (str,), {})("x"), "Name"),
    "nested deep": ((1, [2, {"k": frozenset()}]), "frozenset"),
    "string array": (np.array(["a", "b"]), "<U1"),
    "object array": (np.array([None, 1], dtype=object), "object"),
    "datetime array": (np.array(["2024-01-01"], dtype="datetime64[D]"), "datetime64"),
    "structured array": (np.zeros(2, dtype=[("a", "i4")]), "dtype"),
    "str_ scalar": (np.str_("a"), "<U1"),
    "tagged class outside voxlogica": (OutsideVoxlogica(), "OutsideVoxlogica"),
}


@pytest.mark.parametrize(
    ("value", "named"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys()
)
def test_unsupported_values_raise_type_error_naming_the_type(value, named):
    with pytest.raises(TypeError, match=named):
        encode_value(value)


def test_label_map_images_are_refused_without_crashing():
    label_map = sitk.Image([3, 3], sitk.sitkLabelUInt8)
    with pytest.raises(TypeError, match="label"):
        encode_value(label_map)


def test_sequence_record_normalises_and_checks_its_ids():
    record = SequenceRecord(["a" * 64, "b" * 64])
    assert record.element_ids == ("a" * 64, "b" * 64)
    with pytest.raises(TypeError, match="str"):
        SequenceRecord((1,))


class ConstantImage:
    """A geometry-free constant image, as the spatial-logic namespace has."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is type(self) and other.value == self.value

    def to_plain(self):
        return {"value": self.value}

    @classmethod
    def from_plain(cls, plain):
        return cls(plain["value"])


TAGGED_MODULE = "voxlogica.store.tagged_example_for_tests"


@pytest.fixture
def tagged_class(monkeypatch):
    """ConstantImage, presented as if defined in a module under voxlogica.

    The module exists only in sys.modules, which is where the decoder's import
    finds it, so no test fixture has to live in the library.
    """
    module = types.ModuleType(TAGGED_MODULE)
    tagged = type("ConstantImage", (ConstantImage,), {"__module__": TAGGED_MODULE})
    module.ConstantImage = tagged
    monkeypatch.setitem(sys.modules, TAGGED_MODULE, module)
    return tagged


def test_tagged_values_round_trip(tagged_class):
    value = (tagged_class(2.5), [tagged_class(np.float32(1.0))])
    decoded = decode_value(encode_value(value))
    assert type(decoded[0]) is tagged_class
    assert decoded[0] == tagged_class(2.5)
    assert decoded[1][0].value == np.float32(1.0)
    assert type(decoded[1][0].value) is np.float32


def test_tagged_classes_local_to_a_function_are_refused(monkeypatch):
    local = type(
        "Local",
        (ConstantImage,),
        {"__module__": TAGGED_MODULE, "__qualname__": "make.<locals>.Local"},
    )
    with pytest.raises(TypeError, match="reachable by name"):
        encode_value(local(1))


def handmade_payload(
    root_node, buffers=(), version=FORMAT_VERSION, trailing=b""
) -> bytes:
    """A payload built by hand from the documented layout."""
    description = json.dumps(
        {"value": root_node, "buffers": [len(buffer) for buffer in buffers]}
    ).encode()
    content = struct.pack("<4sHI", b"VXLV", version, len(description))
    content += description + b"".join(buffers) + trailing
    return zstandard.ZstdCompressor().compress(content)


def test_the_documented_layout_is_what_is_written():
    assert decode_value(handmade_payload(["tuple", [1, "a"]])) == (1, "a")
    assert decode_value(
        handmade_payload(["ndarray", "<u2", [2], 0], [b"\x01\x00\x02\x00"])
    ).tolist() == [1, 2]


@pytest.mark.parametrize(
    "tag", ["os:getcwd", "subprocess:Popen", "voxlogicaevil:Thing", "builtins:int"]
)
def test_tags_outside_voxlogica_are_not_imported(tag):
    with pytest.raises(PayloadError, match="refusing to import"):
        decode_value(handmade_payload(["tagged", tag, 1]))


def test_tags_naming_no_class_are_rejected():
    with pytest.raises(PayloadError, match="from_plain"):
        decode_value(handmade_payload(["tagged", "voxlogica.store.codecs:json", 1]))


def test_newer_payload_versions_are_reported_as_such():
    with pytest.raises(UnsupportedPayloadVersion, match="newer"):
        decode_value(handmade_payload(None, version=FORMAT_VERSION + 1))


DAMAGED = {
    "empty": b"",
    "garbage": b"not a payload at all",
    "truncated": encode_value((1, 2, np.arange(100)))[:-7],
    "uncompressed": b"VXLV\x01\x00\x02\x00\x00\x00{}",
    "wrong magic": zstandard.ZstdCompressor().compress(b"XXXX\x01\x00\x00\x00\x00\x00"),
    "buffer too short": handmade_payload(["ndarray", "<f8", [4], 0], [bytes(8)]),
    "unknown kind": handmade_payload(["frobnicate", 1]),
    "bad node": handmade_payload({"not": "a node"}),
    "stray bytes": handmade_payload(None, trailing=b"extra"),
    "non-numeric dtype": handmade_payload(["ndarray", "O", [1], 0], [bytes(8)]),
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_payloads_raise_payload_error(data):
    with pytest.raises(PayloadError):
        decode_value(data)


def test_a_flipped_bit_is_detected():
    payload = bytearray(encode_value(np.arange(1000)))
    payload[len(payload) // 2] ^= 0x10
    with pytest.raises(PayloadError):
        decode_value(bytes(payload))


def test_decoding_plain_values_loads_neither_numpy_nor_simpleitk(tmp_path):
    payload_file = tmp_path / "payload"
    payload_file.write_bytes(encode_value((1.5, 2.0, [3, "x"], {"k": -0.0})))
    script = (
        "import sys, pathlib\n"
        "from voxlogica.store import decode_value, encode_value\n"
        f"data = pathlib.Path({str(payload_file)!r}).read_bytes()\n"
        "assert decode_value(data) == (1.5, 2.0, [3, 'x'], {'k': -0.0})\n"
        "encode_value((1.0, 2.0))\n"
        "loaded = [name for name in ('numpy', 'SimpleITK') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


def test_codec_module_documents_its_public_names():
    assert set(codecs.__all__) <= set(dir(codecs))
