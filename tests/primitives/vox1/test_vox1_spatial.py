"""near, interior, through, dt, lcc and maxvol: hand cases, ITK, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vox1_helpers import (
    bool_image,
    breadth_first_through,
    brute_force_near,
    pixels,
    same_geometry,
)

import voxlogica.primitives.vox1 as vox1

small_masks = st.one_of(
    hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7)),
    hnp.arrays(bool, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=5)),
)


def test_near_2d_hand_case_with_image_border():
    region = bool_image([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    expected = [[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1]]
    result = vox1.near(region)
    assert pixels(result).tolist() == expected
    assert result.GetPixelID() == sitk.sitkUInt8
    assert same_geometry(result, region)


def test_near_3d_reaches_all_26_neighbours():
    array = np.zeros((3, 3, 3), dtype=bool)
    array[1, 1, 1] = True
    assert pixels(vox1.near(bool_image(array))).all()


def test_near_empty_and_full():
    assert not pixels(vox1.near(bool_image(np.zeros((3, 4))))).any()
    assert pixels(vox1.near(bool_image(np.ones((2, 3, 4))))).all()


def test_interior_keeps_voxels_on_the_image_border():
    region = bool_image([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1]])
    expected = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]]
    assert pixels(vox1.interior(region)).tolist() == expected


def test_interior_3d_single_hole_removes_its_box():
    array = np.ones((3, 4, 5), dtype=bool)
    array[1, 1, 1] = False
    expected = np.ones_like(array)
    expected[0:3, 0:3, 0:3] = False
    assert (pixels(vox1.interior(bool_image(array))) == expected).all()


def test_near_and_interior_match_itk_box_filters():
    generator = np.random.default_rng(5)
    array = generator.random((6, 7, 8)) < 0.4
    image = bool_image(array)
    dilated = sitk.DilateObjectMorphology(image, [1, 1, 1], sitk.sitkBox, 1.0)
    eroded = sitk.BinaryErode(image, [1, 1, 1], sitk.sitkBox)
    assert (pixels(vox1.near(image)) == pixels(dilated)).all()
    assert (pixels(vox1.interior(image)) == pixels(eroded)).all()


def test_through_hand_case_uses_diagonal_adjacency():
    seeds = bool_image([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    region = bool_image([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    expected = [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    result = vox1.through(seeds, region)
    assert pixels(result).tolist() == expected
    assert same_geometry(result, seeds)


def test_through_seed_outside_region_reaches_nothing():
    seeds = bool_image([[0, 1, 0]])
    region = bool_image([[1, 0, 1]])
    assert not pixels(vox1.through(seeds, region)).any()


def test_through_rejects_different_sizes_showing_both():
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(4, 1\)"):
        vox1.through(bool_image([[1, 0, 0]]), bool_image([[1, 0, 0, 0]]))


def test_dt_2d_hand_case_anisotropic():
    region = bool_image([[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]])
    region.SetSpacing((1.0, 2.0))
    result = vox1.distance_transform(region)
    corner = math.sqrt(5.0)
    expected = [[corner, 2, 2, 2, corner], [1, 0, 0, 0, 1], [corner, 2, 2, 2, corner]]
    values = pixels(result)
    assert np.allclose(values, expected)
    assert np.signbit(values[1, 2])
    assert result.GetPixelID() == sitk.sitkFloat32


def test_dt_inside_is_negative_distance_to_boundary():
    array = np.zeros((7, 7), dtype=bool)
    array[1:6, 1:6] = True
    values = pixels(vox1.distance_transform(bool_image(array, geometry=False)))
    assert values[3, 3] == -2.0
    assert values[2, 2] == -1.0
    assert values[1, 1] == 0.0
    assert values[0, 0] == pytest.approx(math.sqrt(2.0))


@pytest.mark.parametrize(
    "array",
    [
        np.pad(np.ones((3, 4, 2), dtype=bool), 1),
        np.random.default_rng(1).random((5, 6, 7)) < 0.3,
        np.random.default_rng(2).random((9, 8)) < 0.6,
        np.eye(6, dtype=bool),
    ],
)
def test_dt_matches_itk_signed_maurer(array):
    image = bool_image(array)
    expected = sitk.SignedMaurerDistanceMap(
        image, insideIsPositive=False, squaredDistance=False, useImageSpacing=True
    )
    result = vox1.distance_transform(image)
    assert np.allclose(pixels(result), pixels(expected), rtol=1e-6, atol=1e-5)
    assert same_geometry(result, image)


def test_dt_of_empty_region_is_plus_infinity_and_full_region_minus_infinity():
    empty = pixels(vox1.distance_transform(bool_image(np.zeros((3, 4)))))
    full = pixels(vox1.distance_transform(bool_image(np.ones((2, 3, 4)))))
    assert np.isposinf(empty).all()
    assert np.isneginf(full).all()


def test_lcc_numbers_components_like_itk():
    generator = np.random.default_rng(7)
    for shape in [(12, 15), (5, 6, 7)]:
        image = bool_image(generator.random(shape) < 0.35)
        labels = vox1.label_connected_components(image)
        expected = sitk.ConnectedComponent(image, True)
        assert labels.GetPixelID() == sitk.sitkFloat32
        assert (pixels(labels) == pixels(expected)).all()
        assert same_geometry(labels, image)


def test_maxvol_keeps_all_tied_largest_components():
    region = bool_image([[1, 1, 0, 1, 1, 0, 1]])
    assert pixels(vox1.largest_component(region)).tolist() == [[1, 1, 0, 1, 1, 0, 0]]
    assert not pixels(vox1.largest_component(bool_image(np.zeros((2, 2))))).any()


@settings(max_examples=60, deadline=None)
@given(small_masks)
def test_interior_is_dual_of_near(array):
    image = bool_image(array)
    dual = vox1.not_(vox1.near(vox1.not_(image)))
    assert (pixels(vox1.interior(image)) == pixels(dual)).all()


@settings(max_examples=60, deadline=None)
@given(small_masks)
def test_near_matches_brute_force_and_contains_the_region(array):
    near = pixels(vox1.near(bool_image(array))).astype(bool)
    assert (near == brute_force_near(array)).all()
    assert (near >= array).all()


@settings(max_examples=40, deadline=None)
@given(small_masks, st.data())
def test_near_is_monotone(array, data):
    extra = data.draw(hnp.arrays(bool, array.shape))
    bigger = array | extra
    small_near = pixels(vox1.near(bool_image(array))).astype(bool)
    big_near = pixels(vox1.near(bool_image(bigger))).astype(bool)
    assert (small_near <= big_near).all()


@settings(max_examples=60, deadline=None)
@given(small_masks, st.data())
def test_through_equals_breadth_first_search(region, data):
    seeds = data.draw(hnp.arrays(bool, region.shape))
    result = pixels(vox1.through(bool_image(seeds), bool_image(region))).astype(bool)
    assert (result == breadth_first_through(seeds, region)).all()


@settings(max_examples=60, deadline=None)
@given(small_masks)
def test_dt_signs_and_boundary_zeros(array):
    values = pixels(vox1.distance_transform(bool_image(array)))
    boundary = array & ~pixels(vox1.interior(bool_image(array))).astype(bool)
    assert (values[boundary] == 0).all()
    assert (values[array & ~boundary] < 0).all()
    assert (values[~array] > 0).all()
