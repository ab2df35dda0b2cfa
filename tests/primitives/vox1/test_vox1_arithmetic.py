"""Thresholds, arithmetic, scalar operators and reductions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from vox1_helpers import bool_image, number_image, pixels

import voxlogica.primitives.vox1 as vox1


def test_threshold_argument_order_is_number_then_image():
    image = number_image([[1, 2, 3]])
    # n .<= img: where n <= img(v), the image is at least n.
    assert pixels(vox1.at_most(2, image)).tolist() == [[0, 1, 1]]
    # n .>= img: where n >= img(v), the image is at most n.
    assert pixels(vox1.at_least(2, image)).tolist() == [[1, 1, 0]]
    assert pixels(vox1.equal_to(3, image)).tolist() == [[0, 0, 1]]
    assert pixels(vox1.between(1.5, 3, image)).tolist() == [[0, 1, 1]]
    assert vox1.at_most(2, image).GetPixelID() == sitk.sitkUInt8


def test_threshold_rounds_the_number_to_float32_like_itk():
    image = number_image([[0.1, 0.2]])
    assert pixels(vox1.equal_to(0.1, image)).tolist() == [[1, 0]]
    expected = pixels(sitk.BinaryThreshold(image, 0.1, 0.1, 1, 0))
    assert (pixels(vox1.equal_to(0.1, image)) == expected).all()


def test_image_arithmetic_and_number_forms():
    a = number_image([[1, 2, 4]])
    b = number_image([[2, 2, 2]])
    assert pixels(vox1.add(a, b)).tolist() == [[3, 4, 6]]
    assert pixels(vox1.subtract(a, b)).tolist() == [[-1, 0, 2]]
    assert pixels(vox1.multiply(a, b)).tolist() == [[2, 4, 8]]
    assert pixels(vox1.divide(a, b)).tolist() == [[0.5, 1, 2]]
    assert pixels(vox1.add_number(a, 1)).tolist() == [[2, 3, 5]]
    assert pixels(vox1.subtract_number(a, 1)).tolist() == [[0, 1, 3]]
    assert pixels(vox1.multiply_number(a, 3)).tolist() == [[3, 6, 12]]
    assert pixels(vox1.divide_by_number(a, 4)).tolist() == [[0.25, 0.5, 1]]
    assert pixels(vox1.number_minus(10, a)).tolist() == [[9, 8, 6]]
    assert pixels(vox1.number_divided_by(8, a)).tolist() == [[8, 4, 2]]


def test_arithmetic_is_polymorphic_on_numbers():
    assert vox1.add(2, 3) == 5.0
    assert vox1.divide(1, 4) == 0.25
    assert vox1.subtract(number_image([[5]]), 1).GetSize() == (1, 1)
    assert vox1.at_most(1, 2) is True


def test_image_division_by_zero_gives_float32_max_like_itk():
    numerator = number_image([[1, -1, 0, 6]])
    denominator = number_image([[0, 0, 0, 3]])
    result = pixels(vox1.divide(numerator, denominator))
    top = np.finfo(np.float32).max
    assert result.tolist() == [[top, top, top, 2.0]]
    expected = pixels(sitk.Divide(numerator, denominator))
    assert (result == expected).all()
    assert pixels(vox1.divide_by_number(numerator, 0)).tolist() == [[top] * 4]
    assert pixels(vox1.number_divided_by(1, denominator))[0, :3].tolist() == [top] * 3
    assert vox1.DIVISION_BY_ZERO == top


def test_scalar_division_by_zero_is_ieee():
    assert vox1.scalar_divide(1, 0) == math.inf
    assert vox1.scalar_divide(-1, 0) == -math.inf
    assert math.isnan(vox1.scalar_divide(0, 0))
    assert vox1.divide(1, 0) == math.inf


def test_scalar_operators():
    assert vox1.scalar_add(1, 2) == 3.0
    assert vox1.scalar_subtract(1, 2) == -1.0
    assert vox1.scalar_multiply(1.5, 2) == 3.0
    assert vox1.scalar_equal(2, 2.0) is True
    assert vox1.scalar_less(1, 2) and not vox1.scalar_less(2, 2)
    assert vox1.scalar_less_equal(2, 2)
    assert vox1.scalar_greater(3, 2) and vox1.scalar_greater_equal(2, 2)
    assert vox1.scalar_and(True, False) is False
    assert vox1.scalar_or(True, False) is True
    assert vox1.scalar_not(False) is True
    with pytest.raises(TypeError):
        vox1.scalar_add(True, 1)
    with pytest.raises(TypeError):
        vox1.scalar_and(1, True)


def test_boolean_connectives_accept_booleans():
    assert vox1.and_(True, False) is False
    assert vox1.or_(True, False) is True
    assert vox1.not_(True) is False
    assert pixels(vox1.and_(bool_image([[1, 0]]), True)).tolist() == [[1, 0]]


def test_abs_and_mask():
    image = number_image([[-2, 3, -0.5]])
    assert pixels(vox1.absolute(image)).tolist() == [[2, 3, 0.5]]
    region = bool_image([[1, 0, 1]])
    assert pixels(vox1.mask(image, region)).tolist() == [[-2, 0, -0.5]]


def test_reductions():
    image = number_image(np.arange(24).reshape(2, 3, 4))
    region = bool_image(np.arange(24).reshape(2, 3, 4) % 2 == 0)
    assert vox1.maximum(image) == 23.0
    assert vox1.minimum(image) == 0.0
    assert vox1.average(image, region) == 11.0
    assert vox1.volume(region) == 12.0
    assert vox1.volume(bool_image(np.zeros((2, 2)))) == 0.0


def test_avg_over_an_empty_mask_is_nan():
    assert math.isnan(vox1.average(number_image([[1, 2]]), bool_image([[0, 0]])))
