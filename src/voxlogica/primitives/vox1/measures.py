"""Reductions of an image to a number: ``max``, ``min``, ``avg``, ``volume``.

A reduction needs a concrete image: ``volume(tt)`` on its own is a
:class:`~voxlogica.primitives.vox1.values.GeometryError`, while
``avg(img, tt)`` is fine (``tt`` takes the geometry of ``img``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from voxlogica.primitives.vox1._lifting import image_primitive, require_image
from voxlogica.primitives.vox1.values import bool_array, check_same_size, number_array


@image_primitive(
    "max",
    arity=1,
    description="The largest voxel value of a number image",
    signature="max(number image) -> number",
    reduces=True,
)
def maximum(image: Any) -> float:
    """Largest value over all voxels.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.

    Returns
    -------
    float
        The maximum (NaN voxels are ignored unless all are NaN).

    Raises
    ------
    GeometryError
        If ``image`` is geometry-free.
    TypeError
        If ``image`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> maximum(sitk.GetImageFromArray(np.array([[1, 7, 3]], dtype=np.float32)))
    7.0
    """
    values = number_array("max", require_image("max", image))
    return float(np.nanmax(values)) if not np.isnan(values).all() else math.nan


@image_primitive(
    "min",
    arity=1,
    description="The smallest voxel value of a number image",
    signature="min(number image) -> number",
    reduces=True,
)
def minimum(image: Any) -> float:
    """Smallest value over all voxels.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.

    Returns
    -------
    float
        The minimum (NaN voxels are ignored unless all are NaN).

    Raises
    ------
    GeometryError
        If ``image`` is geometry-free.
    TypeError
        If ``image`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> minimum(sitk.GetImageFromArray(np.array([[1, 7, 3]], dtype=np.float32)))
    1.0
    """
    values = number_array("min", require_image("min", image))
    return float(np.nanmin(values)) if not np.isnan(values).all() else math.nan


@image_primitive(
    "avg",
    arity=2,
    description="avg(img, b): mean of img over the voxels true in b (NaN if none)",
    signature="avg(number image, bool image) -> number",
    reduces=True,
)
def average(image: Any, region: Any) -> float:
    """Mean value of the image over a region.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.
    region : SimpleITK.Image
        Bool image of the same size.

    Returns
    -------
    float
        Mean of the float32 values, summed in double precision; NaN when the
        region is empty (VoxLogicA 1 failed there).

    Raises
    ------
    ValueError
        If the images differ in size.
    GeometryError
        If both arguments are geometry-free.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[1, 2, 6]], dtype=np.float32))
    >>> b = sitk.GetImageFromArray(np.array([[1, 0, 1]], dtype=np.uint8))
    >>> average(i, b)
    3.5
    """
    image = require_image("avg", image)
    region = require_image("avg", region)
    check_same_size("avg", [image, region])
    inside = bool_array("avg", region)
    count = int(np.count_nonzero(inside))
    if count == 0:
        return math.nan
    values = number_array("avg", image)[inside]
    return float(values.sum(dtype=np.float64) / count)


@image_primitive(
    "volume",
    arity=1,
    description="The number of voxels true in a bool image",
    signature="volume(bool image) -> number",
    reduces=True,
)
def volume(region: Any) -> float:
    """Count the true voxels (a voxel count, not a physical volume).

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    float
        The count, as a number (ImgQL numbers are floats).

    Raises
    ------
    GeometryError
        If ``region`` is geometry-free (``volume(tt)``).

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> volume(sitk.GetImageFromArray(np.array([[1, 0, 1]], dtype=np.uint8)))
    2.0
    """
    return float(
        np.count_nonzero(bool_array("volume", require_image("volume", region)))
    )
