"""Small image builders shared by the vox1 tests."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

#: Anisotropic spacing and a non-identity (rotated, flipped) direction, so a
#: primitive that loses or mixes up geometry is caught.
SPACING_3D = (0.5, 1.25, 3.0)
ORIGIN_3D = (10.0, -4.0, 2.5)
DIRECTION_3D = (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
SPACING_2D = (0.75, 2.0)
ORIGIN_2D = (-3.0, 7.0)
DIRECTION_2D = (0.0, -1.0, 1.0, 0.0)


def with_geometry(image: sitk.Image) -> sitk.Image:
    if image.GetDimension() == 3:
        image.SetSpacing(SPACING_3D)
        image.SetOrigin(ORIGIN_3D)
        image.SetDirection(DIRECTION_3D)
    else:
        image.SetSpacing(SPACING_2D)
        image.SetOrigin(ORIGIN_2D)
        image.SetDirection(DIRECTION_2D)
    return image


def bool_image(array, geometry: bool = True) -> sitk.Image:
    image = sitk.GetImageFromArray(np.asarray(array).astype(np.uint8))
    return with_geometry(image) if geometry else image


def number_image(array, geometry: bool = True) -> sitk.Image:
    image = sitk.GetImageFromArray(np.asarray(array, dtype=np.float32))
    return with_geometry(image) if geometry else image


def pixels(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def same_geometry(result: sitk.Image, reference: sitk.Image) -> bool:
    return (
        result.GetSize() == reference.GetSize()
        and result.GetSpacing() == reference.GetSpacing()
        and result.GetOrigin() == reference.GetOrigin()
        and result.GetDirection() == reference.GetDirection()
    )


def breadth_first_through(seeds: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Reference for through: flood region from seeds over the full neighbourhood."""
    reached = np.zeros(region.shape, dtype=bool)
    frontier = [tuple(index) for index in np.argwhere(seeds & region)]
    for index in frontier:
        reached[index] = True
    offsets = [
        offset
        for offset in np.ndindex(*(3,) * region.ndim)
        if any(step != 1 for step in offset)
    ]
    while frontier:
        following = []
        for index in frontier:
            for offset in offsets:
                neighbour = tuple(
                    position + step - 1
                    for position, step in zip(index, offset, strict=True)
                )
                if (
                    all(
                        0 <= position < length
                        for position, length in zip(
                            neighbour, region.shape, strict=True
                        )
                    )
                    and region[neighbour]
                    and not reached[neighbour]
                ):
                    reached[neighbour] = True
                    following.append(neighbour)
        frontier = following
    return reached


def brute_force_near(region: np.ndarray) -> np.ndarray:
    """Reference for near: any voxel of the clipped 3x3(x3) box in the region."""
    result = np.zeros(region.shape, dtype=bool)
    for index in np.ndindex(region.shape):
        window = tuple(slice(max(position - 1, 0), position + 2) for position in index)
        result[index] = region[window].any()
    return result
