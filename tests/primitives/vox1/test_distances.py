"""distleq/distgeq kernels equal VoxLogicA 1's definitions through pdt."""

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from voxlogica.primitives.vox1 import kernels, spatial


def reference(mask, spacing, radius, at_most):
    """d .>= pdt(a) / d .<= pdt(a) with pdt(a) = mask(dt(a), dt(a) > 0)."""
    signed = kernels.signed_distance(mask, spacing)
    positive = np.where(signed > 0, signed, np.float32(0))
    return radius >= positive if at_most else radius <= positive


KERNELS = ((True, kernels.within_distance), (False, kernels.beyond_distance))

volumes = st.tuples(
    st.integers(1, 6), st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**31)
)


@settings(max_examples=150, deadline=None)
@given(
    volumes,
    st.floats(0.5, 3.0),
    st.floats(0.5, 3.0),
    st.floats(0.5, 3.0),
    st.sampled_from([-1.0, 0.0, 0.7, 1.0, 2.0, 2.5, 4.0, 10.0]),
    st.floats(0.05, 0.95),
)
def test_kernels_equal_the_pdt_definitions(shape_seed, sz, sy, sx, radius, density):
    *shape, seed = shape_seed
    mask = np.random.default_rng(seed).random(shape) < density
    spacing = (sz, sy, sx)
    for at_most, kernel in KERNELS:
        expected = reference(mask, spacing, radius, at_most)
        assert np.array_equal(kernel(mask, spacing, radius), expected)


@pytest.mark.parametrize("fill", [False, True])
def test_empty_and_full_regions(fill):
    mask = np.full((3, 4, 5), fill)
    for at_most, kernel in KERNELS:
        for radius in (0.0, 1.0, 5.0):
            expected = reference(mask, (1.0, 1.0, 1.0), radius, at_most)
            assert np.array_equal(kernel(mask, (1.0, 1.0, 1.0), radius), expected)


def test_primitives_keep_geometry():
    array = np.zeros((5, 6, 7), dtype=np.uint8)
    array[2, 3, 3] = 1
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.5, 1.0, 2.0))
    image.SetOrigin((1.0, 2.0, 3.0))
    image.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, 1))
    for result in (spatial.within(1.0, image), spatial.beyond(1.0, image)):
        assert result.GetSpacing() == image.GetSpacing()
        assert result.GetOrigin() == image.GetOrigin()
        assert result.GetDirection() == image.GetDirection()
    near = sitk.GetArrayFromImage(spatial.within(1.0, image))
    # Within 1 mm: the voxel itself and its x neighbours (0.5 mm apart) and
    # the y neighbours (1 mm); z neighbours are 2 mm away.
    assert near.sum() == 1 + 4 + 2
