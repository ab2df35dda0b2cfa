"""Tests for what ``print`` and ``save`` do with values."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from voxlogica.engine import outputs
from voxlogica.engine.outputs import (
    ACCEPTED_EXTENSIONS,
    register_sizes,
    save_value,
    summarize,
    to_json,
    vltype_of,
)

EXAMPLE_IMAGE = Path(__file__).parents[2] / "examples" / "data" / "chris_t1.nii.gz"


def image_from(array, spacing=None):
    image = sitk.GetImageFromArray(np.asarray(array))
    if spacing is not None:
        image.SetSpacing(spacing)
    return image


def rotated_image():
    """A float32 3D image with anisotropic spacing and a rotated direction."""
    array = np.random.default_rng(7).random((4, 5, 6), dtype=np.float32)
    image = image_from(array, spacing=(0.5, 1.25, 2.0))
    image.SetOrigin((10.0, -20.0, 5.5))
    angle = math.radians(30)
    cos, sin = math.cos(angle), math.sin(angle)
    image.SetDirection((cos, -sin, 0.0, sin, cos, 0.0, 0.0, 0.0, 1.0))
    return image


# --- summarize ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, "3"),
        (-7, "-7"),
        (0.5, "0.5"),
        (255.0, "255.0"),
        (1e-20, "1e-20"),
        (math.inf, "inf"),
        (True, "true"),
        (False, "false"),
        ("hello world", "hello world"),
        ("", ""),
        ((1, 2.5, "x"), '[1, 2.5, "x"]'),
        ([True, [1, (2, 3)]], "[true, [1, [2, 3]]]"),
        ((), "[]"),
        (range(3), "[0, 1, 2]"),
        ({"a": 1, "b": [0.5]}, '{"a": 1, "b": [0.5]}'),
        (np.int64(3), "3"),
        (np.float32(0.1), "0.1"),
        (np.bool_(True), "true"),
        (np.array([[1, 2], [3, 4]]), "[[1, 2], [3, 4]]"),
        (np.zeros((100, 100)), "array(100×100, float64)"),
        (np.array(2.5), "2.5"),
    ],
)
def test_summarize(value, expected):
    assert summarize(value) == expected


def test_summarize_shortens_long_sequences():
    text = summarize(range(10**9))
    assert text == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … 999999990 more]"


def test_summarize_example_image():
    image = sitk.ReadImage(str(EXAMPLE_IMAGE))
    assert summarize(image) == "image(188×256×190, uint8, spacing 0.88×0.88×0.88 mm)"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (image_from(np.zeros((3, 4), np.float32), (0.5, 2.0)),
         "image(4×3, float32, spacing 0.5×2 mm)"),
        (sitk.Image([5, 6, 7], sitk.sitkVectorFloat64, 3),
         "image(5×6×7, vector of 3 float64, spacing 1×1×1 mm)"),
        (sitk.Image([2, 2], sitk.sitkInt16), "image(2×2, int16, spacing 1×1 mm)"),
        (sitk.Image([2, 2], sitk.sitkLabelUInt8),
         "image(2×2, label uint8, spacing 1×1 mm)"),
    ],
)  # fmt: skip
def test_summarize_images(image, expected):
    assert summarize(image) == expected


def test_summarize_never_shows_an_object_repr():
    assert summarize(object()) == "<object>"
    assert summarize(sitk.Euler3DTransform()) == "transform(Euler3DTransform)"
    assert "0x" not in summarize([object()])


# --- to_json ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (0.5, 0.5),
        (math.nan, None),
        (-math.inf, None),
        (True, True),
        ("s", "s"),
        ((1, (2, "x")), [1, [2, "x"]]),
        (range(3), [0, 1, 2]),
        ({"a": (1,), 2: False}, {"a": [1], "2": False}),
        (np.int32(4), 4),
        (np.float64(0.25), 0.25),
        (np.bool_(False), False),
        (np.array([[1.0, np.nan], [np.inf, 2.0]]), [[1.0, None], [None, 2.0]]),
        (np.zeros((200, 200), np.uint8), {"array": {"shape": [200, 200],
                                                    "dtype": "uint8"}}),
    ],
)  # fmt: skip
def test_to_json(value, expected):
    result = to_json(value)
    assert result == expected
    json.dumps(result, allow_nan=False)


def test_to_json_keeps_integer_and_bool_types():
    assert type(to_json(np.int64(3))) is int
    assert to_json([True])[0] is True


def test_to_json_image():
    image = rotated_image()
    result = to_json(image)
    assert set(result) == {"image"}
    described = result["image"]
    assert described["size"] == [6, 5, 4]
    assert described["pixel_type"] == "float32"
    assert described["spacing"] == [0.5, 1.25, 2.0]
    assert described["origin"] == [10.0, -20.0, 5.5]
    assert described["direction"] == pytest.approx(list(image.GetDirection()))
    json.dumps(result, allow_nan=False)


def test_to_json_falls_back_to_a_summary():
    assert to_json(object()) == {"type": "object", "summary": "<object>"}


# --- vltype_of ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "number"),
        (1.5, "number"),
        (np.float32(2), "number"),
        (True, "bool"),
        (np.bool_(True), "bool"),
        ("s", "string"),
        ((1, 2), "sequence"),
        ([1], "sequence"),
        (range(4), "sequence"),
        (np.zeros(3), "array"),
        ({"a": 1}, "dict"),
        (image_from(np.array([[0, 1], [1, 0]], np.uint8)), "bool image"),
        (image_from(np.zeros((2, 2), np.uint8)), "bool image"),
        (image_from(np.array([[0, 2], [1, 0]], np.uint8)), "image"),
        (image_from(np.array([[0, 1], [1, 0]], np.float32)), "image"),
        (image_from(np.array([[0, 1], [1, 0]], np.int16)), "image"),
        (sitk.Euler3DTransform(), "transform"),
        (object(), "other"),
    ],
)
def test_vltype_of(value, expected):
    assert vltype_of(value) == expected


# --- save_value ---------------------------------------------------------------


@pytest.mark.parametrize("extension", [".nii.gz", ".nii", ".mha", ".nrrd"])
def test_image_round_trip_keeps_geometry(tmp_path, extension):
    image = rotated_image()
    target = tmp_path / "deep" / "er" / f"result{extension}"
    layer = save_value(target, image)
    loaded = sitk.ReadImage(str(target))
    np.testing.assert_array_equal(
        sitk.GetArrayFromImage(loaded), sitk.GetArrayFromImage(image)
    )
    assert loaded.GetSpacing() == pytest.approx(image.GetSpacing(), abs=1e-6)
    assert loaded.GetOrigin() == pytest.approx(image.GetOrigin(), abs=1e-5)
    assert loaded.GetDirection() == pytest.approx(image.GetDirection(), abs=1e-6)
    values = sitk.GetArrayViewFromImage(image)
    assert layer == {
        "name": str(target),
        "path": str(target.absolute()),
        "vltype": "image",
        "min": pytest.approx(float(values.min())),
        "max": pytest.approx(float(values.max())),
    }
    assert sorted(path.name for path in target.parent.iterdir()) == [target.name]


def test_bool_image_layer_has_integer_range(tmp_path):
    mask = image_from(np.array([[[0, 1], [1, 1]]], np.uint8))
    layer = save_value(tmp_path / "mask.nii.gz", mask)
    assert layer["vltype"] == "bool image"
    assert (layer["min"], layer["max"]) == (0, 1)
    assert type(layer["min"]) is int


def test_png_of_bool_image_is_black_and_white(tmp_path):
    mask = image_from(np.array([[0, 1, 1], [1, 0, 0]], np.uint8))
    save_value(tmp_path / "mask.png", mask)
    written = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "mask.png")))
    assert set(np.unique(written)) == {0, 255}
    np.testing.assert_array_equal(written, sitk.GetArrayFromImage(mask) * 255)


def test_png_of_uint8_image_is_unchanged(tmp_path):
    grey = image_from(np.array([[0, 7, 200], [3, 2, 1]], np.uint8))
    save_value(tmp_path / "grey.png", grey)
    written = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "grey.png")))
    np.testing.assert_array_equal(written, sitk.GetArrayFromImage(grey))


def test_png_of_float_image_is_rescaled(tmp_path):
    values = np.array([[-1.0, 0.0], [np.nan, 3.0]], np.float32)
    layer = save_value(tmp_path / "f.png", image_from(values))
    written = sitk.ReadImage(str(tmp_path / "f.png"))
    assert written.GetPixelID() == sitk.sitkUInt8
    np.testing.assert_array_equal(sitk.GetArrayFromImage(written), [[0, 64], [0, 255]])
    assert (layer["min"], layer["max"]) == (-1.0, 3.0)


def test_png_of_constant_image_is_black(tmp_path):
    save_value(tmp_path / "c.png", image_from(np.full((2, 2), 5, np.int16)))
    written = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "c.png")))
    assert not written.any()


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (sitk.Image([2, 2, 2], sitk.sitkUInt8), "3D image as PNG.*2D"),
        (3, "cannot save a number as .png"),
        (sitk.Image([2, 2], sitk.sitkVectorFloat32, 2), "PNG holds grey, RGB"),
    ],
)
def test_png_rejects_what_it_cannot_hold(tmp_path, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        save_value(tmp_path / "x.png", value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extension", [".nii.gz", ".nii", ".mha", ".nrrd"])
def test_image_formats_reject_non_images(tmp_path, extension):
    with pytest.raises(ValueError, match=f"cannot save a sequence as {extension}"):
        save_value(tmp_path / f"x{extension}", (1, 2))


@pytest.mark.parametrize("name", ["x.txt", "x", "x.gz", "x.jpeg"])
def test_unknown_extension_lists_the_accepted_ones(tmp_path, name):
    with pytest.raises(ValueError) as caught:
        save_value(tmp_path / name, 1)
    message = str(caught.value)
    for extension in ACCEPTED_EXTENSIONS:
        assert extension in message


@pytest.mark.parametrize(
    "value",
    [3, 0.5, math.nan, True, "text", (1, (2.5, "a")), {"k": [1, 2]}, range(4)],
)
def test_json_round_trip(tmp_path, value):
    target = tmp_path / "value.json"
    layer = save_value(target, value)
    assert json.loads(target.read_text(encoding="utf-8")) == to_json(value)
    assert layer["vltype"] == vltype_of(value)
    assert (layer["min"], layer["max"]) == (None, None)


def test_json_of_image_describes_it(tmp_path):
    save_value(tmp_path / "image.json", rotated_image())
    described = json.loads((tmp_path / "image.json").read_text(encoding="utf-8"))
    assert described["image"]["size"] == [6, 5, 4]


def test_uppercase_extension_is_recognised(tmp_path):
    save_value(tmp_path / "X.NII.GZ", rotated_image())
    assert (tmp_path / "X.NII.GZ").exists()


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "result.nii.gz"
    target.write_bytes(b"old")

    def failing_write(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sitk, "WriteImage", failing_write)
    with pytest.raises(OSError, match="cannot write .*WriteImage: disk full"):
        save_value(target, rotated_image())
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_unwritable_destination_is_an_os_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        save_value(blocker / "inside.nii.gz", rotated_image())


def test_overwrite_replaces_the_file(tmp_path):
    target = tmp_path / "v.json"
    save_value(target, 1)
    save_value(target, 2)
    assert json.loads(target.read_text(encoding="utf-8")) == 2


# --- dask sizes ---------------------------------------------------------------


def test_sizeof_counts_pixels():
    from dask.sizeof import sizeof

    register_sizes()
    register_sizes()
    assert sizeof(sitk.Image([10, 10, 10], sitk.sitkFloat32)) >= 4000
    vector = sitk.Image([10, 10, 10], sitk.sitkVectorFloat64, 3)
    assert sizeof(vector) >= 24000
    assert outputs.image_nbytes(vector) == 24000


def test_outputs_and_lazy_sizes_do_not_import_simpleitk():
    script = textwrap.dedent(
        """
        import sys
        from voxlogica.engine import outputs
        outputs.register_sizes()
        assert outputs.summarize([1, 0.5]) == "[1, 0.5]"
        assert "SimpleITK" not in sys.modules, "imported too early"
        import SimpleITK
        from dask.sizeof import sizeof
        assert sizeof(SimpleITK.Image([10, 10, 10], SimpleITK.sitkFloat32)) >= 4000
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
