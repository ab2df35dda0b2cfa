"""Statistical operators: ``percentiles``, ``crossCorrelation``, ``otsu``."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import SimpleITK as sitk

from voxlogica.primitives.vox1 import kernels
from voxlogica.primitives.vox1._lifting import (
    image_primitive,
    require_image,
    require_number,
)
from voxlogica.primitives.vox1.values import (
    bool_array,
    bool_image,
    check_same_size,
    number_array,
    number_image,
)

logger = logging.getLogger(__name__)


@image_primitive(
    "percentiles",
    arity=3,
    description=(
        "percentiles(img, b, c): rank of each voxel's value among the voxels "
        "of b, (smaller + c * equal) / size of b; -1 outside b"
    ),
    signature="percentiles(number image, bool image, number) -> number image",
)
def percentiles(image: Any, region: Any, correction: Any) -> Any:
    """Percentile rank of every voxel within a region.

    At a voxel ``v`` of the region ``b`` the result is
    ``(#{u in b : img(u) < img(v)} + c * #{u in b : img(u) = img(v)}) / #b``;
    outside ``b`` it is -1. With ``c = 0.5`` ties share the middle rank.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.
    region : SimpleITK.Image
        Bool image of the same size.
    correction : float
        Weight ``c`` of the voxels with an equal value.

    Returns
    -------
    SimpleITK.Image
        float32 (ranks computed in double precision), geometry of ``image``
        kept; -1 everywhere when the region is empty.

    Raises
    ------
    ValueError
        If the images differ in size.
    TypeError
        If ``correction`` is not a number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[1, 2, 2, 3, 9]], dtype=np.float32))
    >>> b = sitk.GetImageFromArray(np.array([[1, 1, 1, 1, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(percentiles(i, b, 0.5)).tolist()
    [[0.125, 0.5, 0.5, 0.875, -1.0]]
    """
    image = require_image("percentiles", image)
    region = require_image("percentiles", region)
    check_same_size("percentiles", [image, region])
    ranks = kernels.percentile_ranks(
        number_array("percentiles", image),
        bool_array("percentiles", region),
        require_number("percentiles", correction),
    )
    return number_image(ranks, image)


def window_radii(radius: float, image: sitk.Image) -> tuple[int, ...]:
    """Half-widths in voxels, array order, of a window of ``radius`` mm.

    ``round(radius / spacing)`` per axis (halves to even, as .NET's
    ``round`` in VoxLogicA 1), at least 1.
    """
    radii = []
    for step in reversed(image.GetSpacing()):
        voxels = int(round(radius / step))
        if voxels < 1:
            logger.debug(
                "crossCorrelation radius %s is below one voxel of %s; using 1",
                radius,
                step,
            )
            voxels = 1
        radii.append(voxels)
    return tuple(radii)


@image_primitive(
    "crossCorrelation",
    arity=7,
    description=(
        "crossCorrelation(r, a, b, fb, m, M, k): per voxel, Pearson correlation "
        "of the k-bin histogram on [m, M) of a in a box of radius r mm with the "
        "histogram of b over fb"
    ),
    signature=(
        "crossCorrelation(number, number image, number image, bool image, "
        "number, number, number) -> number image"
    ),
)
def cross_correlation(
    radius: Any,
    local: Any,
    target: Any,
    target_region: Any,
    low: Any,
    high: Any,
    bins: Any,
) -> Any:
    """Statistical texture similarity (VoxLogicA 1's SCMP operator).

    At each voxel, the histogram of ``local`` over the box window of
    half-width ``round(radius / spacing)`` voxels per axis (at least 1,
    clipped at the image edges) is compared by Pearson correlation with the
    histogram of ``target`` over ``target_region``. Both use ``bins`` equal
    bins over [low, high): values outside are not counted. Every voxel is
    computed.

    Parameters
    ----------
    radius : float
        Window radius in physical units (mm).
    local : SimpleITK.Image
        Number image whose windows are compared.
    target : SimpleITK.Image
        Number image giving the reference histogram.
    target_region : SimpleITK.Image
        Bool image: the voxels of ``target`` in the reference histogram.
    low, high : float
        Histogram range [low, high).
    bins : float
        Number of bins, a positive whole number.

    Returns
    -------
    SimpleITK.Image
        float32 in [-1, 1], geometry of ``local`` kept. Where a histogram is
        constant (zero variance, such as an empty one): 1 if both are, 0 if
        only one is, as in VoxLogicA 1.

    Raises
    ------
    ValueError
        If the images differ in size or ``bins`` is not a positive whole
        number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[0, 0, 1, 1]], dtype=np.float32))
    >>> fb = sitk.GetImageFromArray(np.array([[1, 1, 0, 0]], dtype=np.uint8))
    >>> r = cross_correlation(1, a, a, fb, 0, 2, 2)
    >>> sitk.GetArrayFromImage(r).tolist()
    [[1.0, 1.0, -1.0, -1.0]]
    """
    radius = require_number("crossCorrelation", radius)
    low = require_number("crossCorrelation", low)
    high = require_number("crossCorrelation", high)
    bin_count = require_number("crossCorrelation", bins)
    if bin_count < 1 or bin_count != int(bin_count):
        raise ValueError(
            f"crossCorrelation: the number of bins must be a positive whole "
            f"number, got {bins}"
        )
    local = require_image("crossCorrelation", local)
    target = require_image("crossCorrelation", target)
    target_region = require_image("crossCorrelation", target_region)
    check_same_size("crossCorrelation", [local, target, target_region])
    correlation = kernels.cross_correlation(
        number_array("crossCorrelation", local),
        number_array("crossCorrelation", target),
        bool_array("crossCorrelation", target_region),
        window_radii(radius, local),
        low,
        high,
        int(bin_count),
    )
    return number_image(correlation, local)


@image_primitive(
    "otsu",
    arity=3,
    description=(
        "otsu(img, b, k): true at the voxels of b brighter than the Otsu "
        "threshold of img over b with k histogram bins"
    ),
    signature="otsu(number image, bool image, number) -> bool image",
)
def otsu(image: Any, region: Any, bins: Any) -> Any:
    """Otsu thresholding within a region.

    The threshold is ITK's OtsuThresholdImageFilter on the voxels of
    ``region`` with ``bins`` histogram bins; the result is true at the region
    voxels whose value is above it.

    Parameters
    ----------
    image : SimpleITK.Image
        Number image.
    region : SimpleITK.Image
        Bool image of the same size.
    bins : float
        Number of histogram bins, a positive whole number.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``image`` kept; all false for an empty region.

    Raises
    ------
    ValueError
        If the images differ in size or ``bins`` is not a positive whole
        number.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> i = sitk.GetImageFromArray(np.array([[1, 1, 1, 9, 9]], dtype=np.float32))
    >>> b = sitk.GetImageFromArray(np.array([[1, 1, 1, 1, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(otsu(i, b, 16)).tolist()
    [[0, 0, 0, 1, 0]]
    """
    bin_count = require_number("otsu", bins)
    if bin_count < 1 or bin_count != int(bin_count):
        raise ValueError(
            f"otsu: the number of bins must be a positive whole number, got {bins}"
        )
    image = require_image("otsu", image)
    region = require_image("otsu", region)
    check_same_size("otsu", [image, region])
    inside = bool_array("otsu", region)
    if not inside.any():
        return bool_image(np.zeros(inside.shape, dtype=bool), image)
    values = number_image(number_array("otsu", image), image)
    # ITK insists that the mask occupy the image's physical space exactly.
    mask_image = bool_image(inside, image)
    thresholder = sitk.OtsuThresholdImageFilter()
    thresholder.SetNumberOfHistogramBins(int(bin_count))
    thresholder.SetMaskValue(1)
    thresholder.SetInsideValue(0)
    thresholder.SetOutsideValue(1)
    thresholder.SetMaskOutput(True)
    result = thresholder.Execute(values, mask_image)
    return bool_image(sitk.GetArrayViewFromImage(result) != 0, image)
