"""percentiles, crossCorrelation, otsu and the colour channels."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from vox1_helpers import bool_image, number_image, pixels, same_geometry

import voxlogica.primitives.vox1 as vox1
from voxlogica.primitives.vox1.statistics import window_radii


def test_percentiles_hand_case_with_ties():
    image = number_image([[5, 1, 5, 3, 100]])
    region = bool_image([[1, 1, 1, 1, 0]])
    result = pixels(vox1.percentiles(image, region, 0.5))
    assert result.tolist() == [[0.75, 0.125, 0.75, 0.375, -1.0]]
    zero = pixels(vox1.percentiles(image, region, 0))
    assert zero.tolist() == [[0.5, 0.0, 0.5, 0.25, -1.0]]


def test_percentiles_of_empty_mask_is_minus_one_everywhere():
    result = pixels(vox1.percentiles(number_image([[1, 2]]), bool_image([[0, 0]]), 1))
    assert result.tolist() == [[-1.0, -1.0]]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.int8, hnp.array_shapes(min_dims=2, max_dims=3, max_side=5)),
    st.data(),
    st.floats(0, 1),
)
def test_percentiles_range_and_reference(values, data, correction):
    region = data.draw(hnp.arrays(bool, values.shape))
    result = pixels(
        vox1.percentiles(number_image(values), bool_image(region), correction)
    )
    assert (result[~region] == -1).all()
    assert ((result[region] >= 0) & (result[region] <= 1)).all()
    population = values[region]
    for index in zip(*np.nonzero(region), strict=True):
        value = values[index]
        expected = (
            (population < value).sum() + correction * (population == value).sum()
        ) / population.size
        assert result[index] == pytest.approx(expected, abs=1e-6)


def reference_cross_correlation(local, target, region, radii, low, high, bins):
    width = (high - low) / bins

    def histogram(samples):
        counts = np.zeros(bins, dtype=np.int64)
        for sample in samples.ravel().astype(np.float64):
            if low <= sample < high:
                counts[min(int((sample - low) / width), bins - 1)] += 1
        return counts

    target_histogram = histogram(target[region])
    result = np.zeros(local.shape)
    for index in np.ndindex(local.shape):
        window = tuple(
            slice(max(position - radius, 0), position + radius + 1)
            for position, radius in zip(index, radii, strict=True)
        )
        local_histogram = histogram(local[window])
        flat_local = np.all(local_histogram == local_histogram[0])
        flat_target = np.all(target_histogram == target_histogram[0])
        if flat_local or flat_target:
            result[index] = 1.0 if flat_local and flat_target else 0.0
        else:
            result[index] = np.corrcoef(local_histogram, target_histogram)[0, 1]
    return result


def test_window_radius_rounds_per_axis_and_is_at_least_one():
    image = sitk.Image(4, 4, 4, sitk.sitkFloat32)
    image.SetSpacing((1.0, 2.0, 8.0))
    # Arrays are z, y, x; 3/1 = 3, 3/2 = 1.5 -> 2 (halves to even), 3/8 -> 0 -> 1.
    assert window_radii(3.0, image) == (1, 2, 3)
    image.SetSpacing((1.0, 2.0, 0.4))
    assert window_radii(1.0, image) == (2, 1, 1)


@pytest.mark.parametrize("shape", [(6, 7), (4, 5, 6)])
def test_cross_correlation_matches_reference(shape):
    generator = np.random.default_rng(len(shape))
    local = generator.integers(0, 6, shape).astype(np.float32)
    target = generator.integers(0, 6, shape).astype(np.float32)
    region = generator.random(shape) < 0.5
    local_image = number_image(local)
    radius = 1.6
    result = vox1.cross_correlation(
        radius, local_image, number_image(target), bool_image(region), 0, 5, 4
    )
    radii = window_radii(radius, local_image)
    expected = reference_cross_correlation(local, target, region, radii, 0, 5, 4)
    assert np.allclose(pixels(result), expected, atol=1e-6)
    assert same_geometry(result, local_image)


def test_cross_correlation_of_constant_histograms():
    image = number_image(np.zeros((3, 3)))
    nothing = bool_image(np.zeros((3, 3)))
    # Both histograms empty, hence constant: 1 everywhere.
    same = pixels(vox1.cross_correlation(1, image, image, nothing, 5, 6, 3))
    assert (same == 1).all()
    # Local histograms constant (all out of range), target not: 0.
    target = number_image(np.arange(9).reshape(3, 3))
    everything = bool_image(np.ones((3, 3)))
    different = pixels(vox1.cross_correlation(1, image, target, everything, 1, 9, 3))
    assert (different == 0).all()


def test_cross_correlation_rejects_bad_bins():
    image = number_image(np.zeros((2, 2)))
    region = bool_image(np.ones((2, 2)))
    with pytest.raises(ValueError, match="bins"):
        vox1.cross_correlation(1, image, image, region, 0, 1, 0)
    with pytest.raises(ValueError, match="bins"):
        vox1.cross_correlation(1, image, image, region, 0, 1, 2.5)


def test_otsu_matches_itk_inside_the_mask():
    generator = np.random.default_rng(3)
    values = generator.normal(size=(12, 14)).astype(np.float32)
    values[:, :7] += 4
    region = np.zeros((12, 14), dtype=bool)
    region[1:11, 1:13] = True
    image = number_image(values)
    result = pixels(vox1.otsu(image, bool_image(region), 32)).astype(bool)
    thresholder = sitk.OtsuThresholdImageFilter()
    thresholder.SetNumberOfHistogramBins(32)
    thresholder.SetMaskValue(1)
    thresholder.Execute(number_image(values, False), bool_image(region, False))
    threshold = thresholder.GetThreshold()
    assert (result == ((values > threshold) & region)).all()
    assert result[:, 1:6][region[:, 1:6]].mean() > 0.9
    assert not pixels(vox1.otsu(image, bool_image(np.zeros((12, 14))), 8)).any()


def test_colour_channels():
    colour = np.zeros((2, 3, 4), dtype=np.uint8)
    colour[..., 0], colour[..., 1], colour[..., 2], colour[..., 3] = 10, 20, 30, 40
    image = sitk.GetImageFromArray(colour, isVector=True)
    assert (pixels(vox1.red(image)) == 10).all()
    assert (pixels(vox1.green(image)) == 20).all()
    assert (pixels(vox1.blue(image)) == 30).all()
    assert (pixels(vox1.alpha(image)) == 40).all()
    grey = pixels(vox1.intensity(image))
    assert np.allclose(grey, 0.2126 * 10 + 0.7152 * 20 + 0.0722 * 30)
    plain = number_image([[3, 4]])
    assert pixels(vox1.red(plain)).tolist() == [[3, 4]]
    assert pixels(vox1.alpha(plain)).tolist() == [[255, 255]]
    composed = vox1.rgba(plain, plain, plain, plain)
    assert composed.GetNumberOfComponentsPerPixel() == 4
    assert pixels(vox1.blue(vox1.rgb(plain, plain, plain))).tolist() == [[3, 4]]
