"""Tests for the generic SimpleITK namespace."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from voxlogica.primitives.registry import load_namespace
from voxlogica.primitives.simpleitk import (
    PRIMITIVE_VERSION,
    WRAPPER_VERSION,
    SimpleITKNamespace,
    manifest,
    parse_docstring_overloads,
    parsing,
    simpleitk_error_message,
)

EXAMPLE_IMAGE = Path(__file__).parents[3] / "examples" / "data" / "chris_t1.nii.gz"

NAMESPACE = load_namespace("simpleitk")


@pytest.fixture(autouse=True, scope="module")
def private_cache_dir(tmp_path_factory):
    """Keep the manifest the shared namespace builds out of the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        directory = tmp_path_factory.mktemp("cache")
        patch.setenv(manifest.CACHE_DIR_ENV_VAR, str(directory))
        yield directory


def call(name, *args):
    primitive = NAMESPACE.lookup(name)
    assert primitive is not None, name
    assert primitive.accepts_arity(len(args)), (name, primitive.arity_text())
    return primitive.function(*args)


@pytest.fixture(scope="module")
def small_image():
    """A 6×5×4 uint8 ramp with a non-trivial geometry."""
    array = (np.arange(120, dtype=np.uint8) * 2).reshape(4, 5, 6)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.5, 1.0, 2.0))
    image.SetOrigin((1.0, -2.0, 3.0))
    return image


@pytest.fixture(scope="module")
def example_image():
    return sitk.ReadImage(str(EXAMPLE_IMAGE))


def same_image(left, right):
    assert left.GetSize() == right.GetSize()
    assert left.GetPixelID() == right.GetPixelID()
    assert left.GetSpacing() == right.GetSpacing()
    np.testing.assert_array_equal(
        sitk.GetArrayViewFromImage(left), sitk.GetArrayViewFromImage(right)
    )


# --- the namespace ------------------------------------------------------------


def test_namespace_is_loaded_by_name():
    assert isinstance(NAMESPACE, SimpleITKNamespace)
    assert NAMESPACE.name == "simpleitk"


def test_names_cover_the_procedural_api_and_constants():
    names = set(NAMESPACE.names())
    functions = {name for name in names if not name.startswith("sitk")}
    assert len(functions) >= 300
    assert {"BinaryThreshold", "Multiply", "MinimumMaximum", "ReadImage",
            "WriteImage", "Cast", "Add"} <= functions  # fmt: skip
    assert {"sitkFloat32", "sitkUInt8", "sitkLinear", "sitkBall"} <= names
    # Classes and the module itself are not procedural functions.
    assert not {"Image", "ImageFileReader", "BinaryThresholdImageFilter"} & names


@pytest.mark.parametrize(
    "name",
    ["NoSuchFilter", "ImageFileReader", "Image", "sitkNope", "", "__doc__",
     "binaryThreshold", "SITK_MAX_DIMENSION", "Add.x"],
)  # fmt: skip
def test_unknown_names_give_none(name):
    assert NAMESPACE.lookup(name) is None


def test_direct_lookup_parses_only_what_it_is_asked_for(monkeypatch):
    parsed = []
    original = parsing.overloads_of

    def counting(name, function):
        parsed.append(name)
        return original(name, function)

    monkeypatch.setattr(parsing, "overloads_of", counting)
    namespace = SimpleITKNamespace(use_manifest=False)
    assert len(namespace.names()) > 300
    assert parsed == []
    first = namespace.lookup("BinaryThreshold")
    assert namespace.lookup("BinaryThreshold") is first
    assert parsed == ["BinaryThreshold"]


def test_every_name_builds_a_documented_primitive():
    for name in NAMESPACE.names():
        primitive = NAMESPACE.lookup(name)
        assert primitive.qualified_name == f"simpleitk.{name}"
        assert primitive.version == PRIMITIVE_VERSION
        assert primitive.signature, name
        assert primitive.description and "\n" not in primitive.description, name


def test_version_tracks_simpleitk_and_wrapper():
    version = NAMESPACE.lookup("BinaryThreshold").version
    assert sitk.Version_VersionString() in version
    assert WRAPPER_VERSION in version


def test_binary_threshold_metadata():
    primitive = NAMESPACE.lookup("BinaryThreshold")
    assert (primitive.min_arity, primitive.max_arity) == (1, 5)
    assert primitive.signature == (
        "(Image image1, double lowerThreshold=0.0, double upperThreshold=255.0, "
        "uint8_t insideValue=1, uint8_t outsideValue=0) -> Image"
    )
    assert primitive.description == "Binarize an input image by thresholding."
    assert not primitive.is_foldable
    assert not primitive.is_volatile
    assert primitive.file_arguments == ()


def test_overloaded_arity_spans_all_signatures():
    add = NAMESPACE.lookup("Add")
    assert (add.min_arity, add.max_arity) == (2, 2)
    assert add.signature.count(" | ") == 2
    compose = NAMESPACE.lookup("Compose")
    assert (compose.min_arity, compose.max_arity) == (1, 5)


@pytest.mark.parametrize(
    ("name", "volatile", "files", "foldable"),
    [
        ("ReadImage", False, (0,), False),
        ("ReadTransform", False, (0,), False),
        ("WriteImage", True, (), False),
        ("WriteTransform", True, (), False),
        ("Show", True, (), False),
        ("ProcessObject_SetGlobalDefaultNumberOfThreads", True, (), False),
        ("AdditiveGaussianNoise", True, (), False),
        ("Version_VersionString", False, (), True),
        ("Multiply", False, (), False),
        ("sitkFloat32", False, (), True),
    ],
)
def test_flags(name, volatile, files, foldable):
    primitive = NAMESPACE.lookup(name)
    assert primitive.is_volatile == volatile
    assert primitive.file_arguments == files
    assert primitive.is_foldable == foldable


def test_sequence_results_are_flagged():
    assert NAMESPACE.lookup("MinimumMaximum").returns_sequence
    assert not NAMESPACE.lookup("BinaryThreshold").returns_sequence


@pytest.mark.parametrize("name", ["sitkFloat32", "sitkUInt8", "sitkLabelUInt16"])
def test_pixel_type_constants(name):
    primitive = NAMESPACE.lookup(name)
    assert (primitive.min_arity, primitive.max_arity) == (0, 0)
    assert primitive.signature == "() -> number"
    value = primitive.function()
    assert type(value) is int
    assert value == getattr(sitk, name)


def test_functions_pickle_by_name(small_image):
    function = pickle.loads(pickle.dumps(NAMESPACE.lookup("Multiply").function))
    same_image(function(small_image, 2), sitk.Multiply(small_image, 2.0))
    constant = pickle.loads(pickle.dumps(NAMESPACE.lookup("sitkUInt8").function))
    assert constant() == sitk.sitkUInt8


# --- docstring parsing --------------------------------------------------------


def test_parse_overloads_with_nested_defaults():
    docstring = """
    Thing(Image image1, VectorUInt32 radius=std::vector< uint32_t >(3, 1u), \
std::string const & name="a, b") -> Image
    Thing(double constant, Image image2) -> Image

    Some prose mentioning Thing(x) in the middle of a line.
    """
    first, second = parse_docstring_overloads("Thing", docstring)
    assert [p.name for p in first.parameters] == ["image1", "radius", "name"]
    assert [p.cpp_type for p in first.parameters] == [
        "Image", "VectorUInt32", "std::string"
    ]  # fmt: skip
    assert (first.min_arity, first.max_arity) == (1, 3)
    assert first.returns == "Image"
    assert [p.cpp_type for p in second.parameters] == ["double", "Image"]


def test_parse_finds_nothing_in_prose():
    assert parse_docstring_overloads("Thing", "Thing is nice.\n") == []
    assert parse_docstring_overloads("Thing", None) == []


# --- calls agree with SimpleITK -----------------------------------------------


def test_binary_threshold_matches_simpleitk(small_image):
    same_image(
        call("BinaryThreshold", small_image, 20, 60, 1, 0),
        sitk.BinaryThreshold(small_image, 20, 60, 1, 0),
    )
    same_image(call("BinaryThreshold", small_image), sitk.BinaryThreshold(small_image))


@pytest.mark.parametrize(
    ("args", "direct"),
    [
        (lambda image: (image, image), lambda image: sitk.Add(image, image)),
        (lambda image: (image, 3), lambda image: sitk.Add(image, 3.0)),
        (lambda image: (3, image), lambda image: sitk.Add(3.0, image)),
    ],
)
def test_overloads_are_chosen_by_argument_kind(small_image, args, direct):
    same_image(call("Add", *args(small_image)), direct(small_image))


def test_minimum_maximum_is_a_tuple(small_image):
    result = call("MinimumMaximum", small_image)
    assert isinstance(result, tuple)
    assert result == sitk.MinimumMaximum(small_image) == (0.0, 238.0)


def test_cast_with_a_constant(small_image):
    cast = call("Cast", small_image, call("sitkFloat32"))
    assert cast.GetPixelID() == sitk.sitkFloat32
    same_image(cast, sitk.Cast(small_image, sitk.sitkFloat32))


def test_example_image(example_image):
    mask = call("BinaryThreshold", example_image, 100, 101, 1, 0)
    same_image(mask, sitk.BinaryThreshold(example_image, 100, 101, 1, 0))
    product = call("Multiply", example_image, mask)
    same_image(product, sitk.Multiply(example_image, mask))
    assert call("MinimumMaximum", product) == sitk.MinimumMaximum(product)


def test_read_and_write_through_primitives(tmp_path, small_image):
    target = tmp_path / "small.nrrd"
    assert call("WriteImage", small_image, str(target)) is None
    same_image(call("ReadImage", str(target)), small_image)
    as_float = call("ReadImage", str(target), call("sitkFloat32"))
    assert as_float.GetPixelID() == sitk.sitkFloat32


# --- coercion -----------------------------------------------------------------


def test_integral_float_is_accepted_for_integer_parameters(small_image):
    same_image(
        call("BinaryThreshold", small_image, 20, 60, 1.0, 0.0),
        sitk.BinaryThreshold(small_image, 20, 60, 1, 0),
    )


def test_non_integral_float_names_the_parameter(small_image):
    with pytest.raises(ValueError, match="'insideValue'.*uint8_t.*1.5"):
        call("BinaryThreshold", small_image, 20, 60, 1.5, 0)


def test_out_of_range_integer_is_rejected(small_image):
    with pytest.raises(ValueError, match="'insideValue'.*between 0 and 255.*300"):
        call("BinaryThreshold", small_image, 20, 60, 300, 0)


@pytest.mark.parametrize(
    ("name", "args", "pattern"),
    [
        ("BinaryThreshold", ("image", True), "'lowerThreshold'.*number.*true"),
        ("BinaryThreshold", ("image", "low"), "'lowerThreshold'.*'low'"),
        ("BinaryThreshold", (3,), "'image1'.*image.*3"),
        ("BinaryThreshold", ("image", 0, 1, True), "'insideValue'.*integer.*true"),
        ("SmoothingRecursiveGaussian", ("image", 1.0, 1), "boolean.*1"),
        ("Add", ("image", "x"), "no signature accepts"),
    ],
)
def test_wrong_kinds_are_type_errors(small_image, name, args, pattern):
    args = tuple(small_image if arg == "image" else arg for arg in args)
    with pytest.raises(TypeError, match=pattern):
        call(name, *args)


def test_wrong_arity_is_a_type_error(small_image):
    function = NAMESPACE.lookup("Abs").function
    with pytest.raises(TypeError, match="does not take 2 arguments"):
        function(small_image, small_image)


@pytest.mark.parametrize("radius", [1, 1.0, (1, 1, 1), [1, 1, 1], np.array([1, 1, 1])])
def test_vectors_from_sequences_or_one_number(small_image, radius):
    mask = sitk.BinaryThreshold(small_image, 100, 140, 1, 0)
    same_image(call("BinaryDilate", mask, radius), sitk.BinaryDilate(mask, [1, 1, 1]))


def test_vector_items_are_checked(small_image):
    with pytest.raises(ValueError, match="'kernelRadius' item 1 .*1.5"):
        call("BinaryDilate", small_image, (1, 1.5, 1))


def test_a_single_seed_point_is_a_seed_list(small_image):
    seeded = call("ConnectedThreshold", small_image, (2, 2, 2), 0, 255)
    direct = sitk.ConnectedThreshold(small_image, [(2, 2, 2)], 0, 255)
    same_image(seeded, direct)


def test_numpy_scalars_are_numbers(small_image):
    same_image(
        call("BinaryThreshold", small_image, np.float64(20), np.int64(60)),
        sitk.BinaryThreshold(small_image, 20.0, 60.0),
    )


# --- errors -------------------------------------------------------------------


def test_read_missing_file_error_is_trimmed(tmp_path):
    missing = tmp_path / "missing.nii"
    with pytest.raises(RuntimeError) as caught:
        call("ReadImage", str(missing))
    message = str(caught.value)
    assert message.startswith("Exception thrown in SimpleITK ReadImage: ")
    assert f'"{missing}" does not exist' in message
    assert ".cxx" not in message and "\n" not in message
    assert "sitk::ERROR" not in message


def test_read_unreadable_file_error_is_trimmed(tmp_path):
    junk = tmp_path / "x.nii"
    junk.write_text("not an image")
    with pytest.raises(RuntimeError) as caught:
        call("ReadImage", str(junk))
    message = str(caught.value)
    assert message == (
        f"Exception thrown in SimpleITK ReadImage: Unable to determine ImageIO "
        f'reader for "{junk}"'
    )


def test_simpleitk_failures_are_runtime_errors(small_image):
    other = sitk.Image([2, 2, 2], sitk.sitkUInt8)
    with pytest.raises(RuntimeError, match="^Exception thrown in SimpleITK Add: "):
        call("Add", small_image, other)


def test_error_message_drops_locations_and_addresses():
    error = RuntimeError(
        "Exception thrown in SimpleITK ImageFileWriter_Execute: /tmp/b/ITK/Modules/"
        "IO/NIFTI/src/itkNiftiImageIO.cxx:2386:\nITK ERROR: NiftiImageIO(0x55f9b330)"
        ": ERROR: nifti library failed to write image: /x/y.nii"
    )
    assert simpleitk_error_message("WriteImage", error) == (
        "Exception thrown in SimpleITK WriteImage: nifti library failed to write "
        "image: /x/y.nii"
    )
