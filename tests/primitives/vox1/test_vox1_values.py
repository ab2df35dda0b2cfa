"""Geometry-free constants, conversions, size checks, geometry on every output."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from vox1_helpers import bool_image, number_image, pixels, same_geometry

import voxlogica.primitives.vox1 as vox1
from voxlogica.primitives.registry import load_namespace
from voxlogica.primitives.vox1 import GeometryError, GeometryFreeImage


def test_namespace_is_registered_under_vox1_with_operator_names():
    namespace = load_namespace("vox1")
    assert namespace is vox1.NAMESPACE
    for name in [
        ".<=",
        ".>=",
        ".=",
        "+.",
        "-.",
        "*.",
        "/.",
        ".-",
        "./",
        "./.",
        ".+.",
        "near",
        "crossCorrelation",
        "tt",
        "maxvol",
    ]:
        primitive = namespace.lookup(name)
        assert primitive is not None, name
        assert primitive.qualified_name == f"vox1.{name}"


def test_constants_are_geometry_free_and_take_the_geometry_they_meet():
    image = bool_image(np.zeros((2, 3, 4)))
    for constant in (vox1.tt(), vox1.ff(), vox1.border(), vox1.bconstant(True)):
        assert isinstance(constant, GeometryFreeImage)
        result = vox1.or_(constant, image)
        assert same_geometry(result, image)
    assert vox1.volume(vox1.or_(vox1.tt(), image)) == 24.0
    assert vox1.volume(vox1.and_(image, vox1.ff())) == 0.0
    assert vox1.volume(vox1.or_(image, vox1.border())) == 24.0


def test_border_2d():
    result = vox1.and_(vox1.border(), bool_image(np.ones((3, 4))))
    assert pixels(result).tolist() == [[1, 1, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1]]


def test_coordinates_are_voxel_indices():
    image = number_image(np.zeros((2, 3, 4)))
    assert pixels(vox1.add(vox1.x(), image))[1, 2].tolist() == [0, 1, 2, 3]
    assert pixels(vox1.add(vox1.y(), image))[1, :, 3].tolist() == [0, 1, 2]
    assert pixels(vox1.add(vox1.z(), image))[:, 2, 3].tolist() == [0, 1]
    flat = number_image(np.zeros((3, 4)))
    assert not pixels(vox1.add(vox1.z(), flat)).any()


def test_operations_on_geometry_free_values_stay_geometry_free():
    grown = vox1.near(vox1.border())
    assert isinstance(grown, GeometryFreeImage)
    assert grown == vox1.near(vox1.border())
    assert hash(grown) == hash(vox1.near(vox1.border()))
    image = bool_image(np.zeros((5, 6)))
    result = vox1.or_(image, grown)
    expected = np.ones((5, 6), dtype=np.uint8)
    expected[2:3, 2:4] = 0
    assert pixels(result).tolist() == expected.tolist()
    assert same_geometry(result, image)
    numbers = vox1.add_number(vox1.constant(2), 3)
    assert isinstance(numbers, GeometryFreeImage)
    assert vox1.maximum(vox1.add(numbers, number_image(np.zeros((2, 2))))) == 5.0


def test_reducing_a_geometry_free_value_is_a_clear_error():
    with pytest.raises(GeometryError, match="volume"):
        vox1.volume(vox1.tt())
    with pytest.raises(GeometryError):
        vox1.maximum(vox1.constant(3))
    with pytest.raises(GeometryError):
        vox1.average(vox1.constant(3), vox1.tt())


def test_geometry_free_mixed_with_concrete_in_a_reduction():
    image = number_image([[1, 2, 3]])
    assert vox1.average(image, vox1.tt()) == 2.0


def test_plain_round_trip_keeps_structure_and_sharing():
    shared = vox1.near(vox1.border())
    expression = vox1.or_(shared, vox1.and_(shared, vox1.bconstant(False)))
    plain = expression.to_plain()
    assert len(plain["nodes"]) == 5
    rebuilt = GeometryFreeImage.from_plain(plain)
    assert rebuilt == expression
    image = bool_image(np.zeros((4, 4)))
    assert (
        pixels(vox1.or_(image, rebuilt)) == pixels(vox1.or_(image, expression))
    ).all()


def test_store_codec_round_trip_of_a_geometry_free_value():
    codecs = pytest.importorskip("voxlogica.store.codecs")
    encode = getattr(codecs, "encode", None) or getattr(codecs, "encode_value", None)
    decode = getattr(codecs, "decode", None) or getattr(codecs, "decode_value", None)
    if encode is None or decode is None:
        pytest.skip("store codec entry points not found")
    value = vox1.multiply_number(vox1.constant(1.5), 2)
    assert decode(encode(value)) == value


def test_deep_shared_chain_materialises_in_linear_time():
    value = vox1.border()
    for _ in range(40):
        value = vox1.or_(vox1.near(value), value)
    result = vox1.and_(value, bool_image(np.ones((3, 3))))
    assert pixels(result).all()


def test_pixel_types_are_converted():
    grey = sitk.GetImageFromArray(np.array([[0, 255, 7]], dtype=np.uint8))
    assert pixels(vox1.not_(grey)).tolist() == [[1, 0, 0]]
    integers = sitk.GetImageFromArray(np.array([[1, 2, 3]], dtype=np.int16))
    result = vox1.add_number(integers, 0.5)
    assert result.GetPixelID() == sitk.sitkFloat32
    assert pixels(result).tolist() == [[1.5, 2.5, 3.5]]
    doubles = sitk.GetImageFromArray(np.array([[0.25]], dtype=np.float64))
    assert vox1.multiply(doubles, doubles).GetPixelID() == sitk.sitkFloat32


def test_colour_image_where_a_number_image_is_needed_is_a_type_error():
    colour = sitk.GetImageFromArray(np.zeros((2, 2, 3), dtype=np.uint8), isVector=True)
    with pytest.raises(TypeError, match="intensity"):
        vox1.add_number(colour, 1)


def test_binary_operations_on_different_sizes_show_both_sizes():
    small = number_image(np.zeros((2, 3)))
    large = number_image(np.zeros((2, 4)))
    for operation in (vox1.add, vox1.subtract, vox1.multiply, vox1.divide):
        with pytest.raises(ValueError, match=r"\(3, 2\) and \(4, 2\)"):
            operation(small, large)
    with pytest.raises(ValueError, match="different sizes"):
        vox1.and_(bool_image(np.zeros((2, 3))), bool_image(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="different sizes"):
        vox1.mask(small, bool_image(np.zeros((3, 3))))


def _every_image_output(values, region):
    """Call every image-valued primitive on images with non-trivial geometry."""
    return {
        "not": vox1.not_(region),
        "and": vox1.and_(region, region),
        "or": vox1.or_(region, region),
        ".=": vox1.equal_to(1, values),
        ".<=": vox1.at_most(1, values),
        ".>=": vox1.at_least(1, values),
        "between": vox1.between(0, 1, values),
        "+": vox1.add(values, values),
        "-": vox1.subtract(values, values),
        "*": vox1.multiply(values, values),
        "/": vox1.divide(values, values),
        "+.": vox1.add_number(values, 1),
        "-.": vox1.subtract_number(values, 1),
        "*.": vox1.multiply_number(values, 2),
        "/.": vox1.divide_by_number(values, 2),
        ".-": vox1.number_minus(1, values),
        "./": vox1.number_divided_by(1, values),
        "abs": vox1.absolute(values),
        "mask": vox1.mask(values, region),
        "near": vox1.near(region),
        "interior": vox1.interior(region),
        "through": vox1.through(region, region),
        "dt": vox1.distance_transform(region),
        "distleq": vox1.within(1.5, region),
        "distgeq": vox1.beyond(1.5, region),
        "lcc": vox1.label_connected_components(region),
        "maxvol": vox1.largest_component(region),
        "percentiles": vox1.percentiles(values, region, 0.5),
        "crossCorrelation": vox1.cross_correlation(
            1.0, values, values, region, 0, 4, 4
        ),
        "otsu": vox1.otsu(values, region, 8),
        "intensity": vox1.intensity(values),
        "red": vox1.red(values),
        "green": vox1.green(values),
        "blue": vox1.blue(values),
        "alpha": vox1.alpha(values),
        "rgb": vox1.rgb(values, values, values),
        "rgba": vox1.rgba(values, values, values, values),
        "tt": vox1.and_(vox1.tt(), region),
        "ff": vox1.or_(vox1.ff(), region),
        "border": vox1.and_(vox1.border(), region),
        "x": vox1.add(vox1.x(), values),
        "y": vox1.add(vox1.y(), values),
        "z": vox1.add(vox1.z(), values),
        "constant": vox1.add(vox1.constant(1), values),
        "bconstant": vox1.and_(vox1.bconstant(True), region),
    }


@pytest.mark.parametrize("dimensions", [2, 3])
def test_every_output_keeps_the_geometry_of_its_input(dimensions):
    generator = np.random.default_rng(dimensions)
    shape = (3, 4, 5)[:dimensions]
    values = number_image(generator.integers(0, 4, shape))
    region = bool_image(generator.random(shape) < 0.5)
    outputs = _every_image_output(values, region)
    image_primitives = {
        name
        for name in vox1.NAMESPACE.names()
        if not name.startswith(".") or name in (".=", ".<=", ".>=", ".-", "./")
    } - {"!.", "max", "min", "avg", "volume"}
    assert image_primitives <= set(outputs)
    for name, output in outputs.items():
        assert same_geometry(output, values), name
