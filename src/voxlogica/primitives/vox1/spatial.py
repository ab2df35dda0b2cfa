"""Spatial operators: ``near``, ``interior``, ``through``, ``dt``, ``lcc``,
``maxvol``.

Adjacency is the full neighbourhood everywhere: two voxels are adjacent when
every index differs by at most 1 (8 neighbours in 2D, 26 in 3D).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    number_image,
    spacing_zyx,
)


@image_primitive(
    "near",
    arity=1,
    description="Closure: dilation by the 3x3(x3) box, outside the image false",
    signature="near(bool image) -> bool image",
)
def near(region: Any) -> Any:
    """Voxels in or adjacent to the region (dilation by the unit box).

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``region`` kept. Voxels outside the image count
        as false; ``near(ff)`` is ``ff`` and ``near(tt)`` is ``tt``.

    Raises
    ------
    TypeError
        If ``region`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[1, 0, 0, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(near(a)).tolist()
    [[1, 1, 0, 0]]
    """
    region = require_image("near", region)
    return bool_image(kernels.dilate_box(bool_array("near", region)), region)


@image_primitive(
    "interior",
    arity=1,
    description="Interior: erosion by the 3x3(x3) box, outside the image true",
    signature="interior(bool image) -> bool image",
)
def interior(region: Any) -> Any:
    """Voxels whose whole unit box lies in the region (erosion).

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``region`` kept. Voxels outside the image count
        as true, so ``interior(a)`` equals ``not(near(not(a)))`` and a region
        touching the image border keeps its border voxels.

    Raises
    ------
    TypeError
        If ``region`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[1, 1, 1, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(interior(a)).tolist()
    [[1, 1, 0, 0]]
    """
    region = require_image("interior", region)
    return bool_image(kernels.erode_box(bool_array("interior", region)), region)


@image_primitive(
    "through",
    arity=2,
    description=(
        "through(a, b): the connected components of b that contain a voxel of a"
    ),
    signature="through(bool image, bool image) -> bool image",
)
def through(seeds: Any, region: Any) -> Any:
    """Voxels of ``region`` connected within ``region`` to a voxel of ``seeds``.

    ``through(a, b)`` holds at ``v`` when some path of adjacent voxels, all in
    ``b``, leads from ``v`` to a voxel of ``a`` (the path's ends included);
    that is, the union of the components of ``b`` that meet ``a``.

    Parameters
    ----------
    seeds : SimpleITK.Image
        Bool image ``a``.
    region : SimpleITK.Image
        Bool image ``b`` of the same size.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``seeds`` kept; always a subset of ``region``.

    Raises
    ------
    ValueError
        If the images differ in size.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[1, 0, 0, 0, 0]], dtype=np.uint8))
    >>> b = sitk.GetImageFromArray(np.array([[1, 1, 0, 1, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(through(a, b)).tolist()
    [[1, 1, 0, 0, 0]]
    """
    seeds = require_image("through", seeds)
    region = require_image("through", region)
    check_same_size("through", [seeds, region])
    reached = kernels.through(
        bool_array("through", seeds), bool_array("through", region)
    )
    return bool_image(reached, seeds)


@image_primitive(
    "dt",
    arity=1,
    description=(
        "Signed Euclidean distance (mm) to the region's boundary voxels: "
        "0 on them, negative inside, positive outside"
    ),
    signature="dt(bool image) -> number image",
)
def distance_transform(region: Any) -> Any:
    """Signed distance map, as ITK's SignedMaurerDistanceMap.

    With ``insideIsPositive=False``, ``squaredDistance=False`` and
    ``useImageSpacing=True``: the boundary voxels of the region (region voxels
    with a non-region voxel among their full neighbourhood; the outside of
    the image does not count) get 0, every other voxel the Euclidean distance
    in physical units (spacing honoured) from its centre to the nearest
    boundary voxel's centre, negated inside the region.

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        float32, geometry of ``region`` kept. An empty region gives +inf at
        every voxel, a region covering the whole image -inf (neither has a
        boundary; ITK gives about +-1.8e19 there).

    Raises
    ------
    TypeError
        If ``region`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[0, 1, 1, 1, 0, 0]], dtype=np.uint8))
    >>> a.SetSpacing((2.0, 1.0))
    >>> sitk.GetArrayFromImage(distance_transform(a)).tolist()
    [[2.0, -0.0, -2.0, -0.0, 2.0, 4.0]]
    """
    region = require_image("dt", region)
    distances = kernels.signed_distance(bool_array("dt", region), spacing_zyx(region))
    return number_image(distances, region)


@image_primitive(
    "distleq",
    arity=2,
    description="Voxels at distance at most d (mm) from the region: d .>= pdt(a)",
    signature="distleq(number, bool image) -> bool image",
)
def within(radius: Any, region: Any) -> Any:
    """Voxels whose centre lies within ``radius`` mm of a region voxel's centre.

    The same as VoxLogicA 1's ``distleq(d, a) = d .>= pdt(a)`` with
    ``pdt(a) = mask(dt(a), dt(a) >. 0)``, computed only near the region:
    a dilation by a ball of ``radius`` mm, spacing honoured.

    Parameters
    ----------
    radius : number
        Distance in mm; a negative one gives an empty region.
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``region`` kept. An empty region gives false
        everywhere.

    Raises
    ------
    TypeError
        If ``radius`` is not a number or ``region`` not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[0, 0, 1, 0, 0, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(within(1.5, a)).tolist()
    [[0, 1, 1, 1, 0, 0]]
    """
    radius = require_number("distleq", radius)
    region = require_image("distleq", region)
    mask = bool_array("distleq", region)
    return bool_image(
        kernels.within_distance(mask, spacing_zyx(region), radius), region
    )


@image_primitive(
    "distgeq",
    arity=2,
    description="Voxels at distance at least d (mm) from the region: d .<= pdt(a)",
    signature="distgeq(number, bool image) -> bool image",
)
def beyond(radius: Any, region: Any) -> Any:
    """Voxels whose centre is at least ``radius`` mm from every region voxel.

    The same as VoxLogicA 1's ``distgeq(d, a) = d .<= pdt(a)``: region voxels
    (at distance 0) are included only when ``radius`` is at most 0.

    Parameters
    ----------
    radius : number
        Distance in mm.
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``region`` kept. An empty region gives true
        everywhere (every distance is infinite).

    Raises
    ------
    TypeError
        If ``radius`` is not a number or ``region`` not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[0, 0, 1, 0, 0, 0]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(beyond(2, a)).tolist()
    [[1, 0, 0, 0, 1, 1]]
    """
    radius = require_number("distgeq", radius)
    region = require_image("distgeq", region)
    mask = bool_array("distgeq", region)
    return bool_image(
        kernels.beyond_distance(mask, spacing_zyx(region), radius), region
    )


@image_primitive(
    "lcc",
    arity=1,
    description=(
        "Labels the connected components 1, 2, ... in raster order; background 0"
    ),
    signature="lcc(bool image) -> number image",
)
def label_connected_components(region: Any) -> Any:
    """Number the connected components of a region.

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        float32 labels, geometry kept: 0 outside the region, components
        numbered consecutively from 1 in the order of their first voxel in
        raster order (x fastest), as ITK's ConnectedComponent(fully
        connected) numbers them.

    Raises
    ------
    TypeError
        If ``region`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[1, 0, 1], [0, 0, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(label_connected_components(a)).tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 2.0]]
    """
    region = require_image("lcc", region)
    labels, _ = kernels.label_components(bool_array("lcc", region))
    return number_image(labels.astype(np.float32), region)


@image_primitive(
    "maxvol",
    arity=1,
    description=("The connected component(s) with the most voxels (ties: their union)"),
    signature="maxvol(bool image) -> bool image",
)
def largest_component(region: Any) -> Any:
    """Keep the largest connected component(s).

    Parameters
    ----------
    region : SimpleITK.Image
        Bool image.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry kept: the union of every component whose voxel
        count is the maximum (all of them on a tie); empty for an empty
        region.

    Raises
    ------
    TypeError
        If ``region`` is not an image.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> a = sitk.GetImageFromArray(np.array([[1, 0, 1, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(largest_component(a)).tolist()
    [[0, 0, 1, 1]]
    """
    region = require_image("maxvol", region)
    return bool_image(kernels.largest_components(bool_array("maxvol", region)), region)
