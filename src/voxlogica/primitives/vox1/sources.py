"""Geometry-free sources: ``tt``, ``ff``, ``bconstant``, ``constant``,
``border``, ``x``, ``y`` and ``z``.

Each primitive returns a :class:`~voxlogica.primitives.vox1.values.GeometryFreeImage`;
the functions below say what it becomes on the geometry of the concrete
image it is first combined with (the *reference*).
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from voxlogica.primitives.vox1._lifting import (
    is_bool_scalar,
    require_number,
    source_primitive,
)
from voxlogica.primitives.vox1.values import array_shape, bool_image, number_image


def _check_bool(value: object) -> None:
    if not is_bool_scalar(value):
        raise TypeError(f"bconstant: expected a boolean, got {value!r}")


def _check_number(value: object) -> None:
    require_number("constant", value)


@source_primitive(
    "tt",
    arity=0,
    description="The bool image that is true at every voxel (geometry-free)",
    signature="tt -> bool image",
)
def true_image(reference: sitk.Image) -> sitk.Image:
    """The image true everywhere.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (supplied on materialisation;
        the ImgQL primitive ``tt`` takes no argument and is geometry-free).

    Returns
    -------
    SimpleITK.Image
        uint8, 1 at every voxel, geometry of ``reference``.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image (``volume(tt)``).

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import tt, volume, or_
    >>> volume(or_(tt(), sitk.Image(4, 3, sitk.sitkUInt8)))
    12.0
    """
    return bool_image(np.ones(array_shape(reference), dtype=bool), reference)


@source_primitive(
    "ff",
    arity=0,
    description="The bool image that is false at every voxel (geometry-free)",
    signature="ff -> bool image",
)
def false_image(reference: sitk.Image) -> sitk.Image:
    """The image false everywhere.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).

    Returns
    -------
    SimpleITK.Image
        uint8, 0 at every voxel, geometry of ``reference``.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import ff, or_, volume
    >>> volume(or_(ff(), sitk.Image(4, 3, sitk.sitkUInt8)))
    0.0
    """
    return bool_image(np.zeros(array_shape(reference), dtype=bool), reference)


@source_primitive(
    "bconstant",
    arity=1,
    description="The bool image with the given truth value at every voxel",
    signature="bconstant(bool) -> bool image",
    check=_check_bool,
)
def bool_constant_image(reference: sitk.Image, value: bool) -> sitk.Image:
    """The image holding ``value`` at every voxel.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).
    value : bool
        The truth value.

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``reference``.

    Raises
    ------
    TypeError
        If ``value`` is not a boolean.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import bconstant, volume, or_
    >>> volume(or_(bconstant(True), sitk.Image(2, 2, sitk.sitkUInt8)))
    4.0
    """
    return bool_image(np.full(array_shape(reference), bool(value)), reference)


@source_primitive(
    "constant",
    arity=1,
    description="The number image with the given value at every voxel",
    signature="constant(number) -> number image",
    check=_check_number,
)
def number_constant_image(reference: sitk.Image, value: float) -> sitk.Image:
    """The image holding ``value`` (as float32) at every voxel.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).
    value : float
        The number.

    Returns
    -------
    SimpleITK.Image
        float32, geometry of ``reference``.

    Raises
    ------
    TypeError
        If ``value`` is not a number.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import constant, add, maximum
    >>> maximum(add(constant(2.5), sitk.Image(2, 2, sitk.sitkFloat32)))
    2.5
    """
    return number_image(
        np.full(array_shape(reference), value, dtype=np.float32), reference
    )


@source_primitive(
    "border",
    arity=0,
    description="True at the voxels on the faces of the image",
    signature="border -> bool image",
)
def border_image(reference: sitk.Image) -> sitk.Image:
    """The voxels with a first or last index along some axis.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).

    Returns
    -------
    SimpleITK.Image
        uint8 0/1, geometry of ``reference``; an axis of length 1 is all
        border.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import border, and_, volume
    >>> volume(and_(border(), sitk.Image(4, 3, sitk.sitkUInt8) + 1))
    10.0
    """
    shape = array_shape(reference)
    mask = np.zeros(shape, dtype=bool)
    for axis in range(len(shape)):
        edge = [slice(None)] * len(shape)
        edge[axis] = 0
        mask[tuple(edge)] = True
        edge[axis] = shape[axis] - 1
        mask[tuple(edge)] = True
    return bool_image(mask, reference)


def _coordinate(reference: sitk.Image, axis: int) -> sitk.Image:
    size = reference.GetSize()
    shape = array_shape(reference)
    if axis >= len(size):
        return number_image(np.zeros(shape, dtype=np.float32), reference)
    # Image axis 0 (x) is the last array axis.
    array_axis = len(size) - 1 - axis
    ramp_shape = [1] * len(shape)
    ramp_shape[array_axis] = shape[array_axis]
    ramp = np.arange(shape[array_axis], dtype=np.float32).reshape(ramp_shape)
    return number_image(np.broadcast_to(ramp, shape), reference)


@source_primitive(
    "x",
    arity=0,
    description="The voxel index along the first image axis (0-based)",
    signature="x -> number image",
)
def x_coordinate(reference: sitk.Image) -> sitk.Image:
    """Voxel index along the image's first axis (x), from 0.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).

    Returns
    -------
    SimpleITK.Image
        float32 index (not a physical coordinate), geometry of ``reference``.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import x, add, maximum
    >>> maximum(add(x(), sitk.Image(4, 3, sitk.sitkFloat32)))
    3.0
    """
    return _coordinate(reference, 0)


@source_primitive(
    "y",
    arity=0,
    description="The voxel index along the second image axis (0-based)",
    signature="y -> number image",
)
def y_coordinate(reference: sitk.Image) -> sitk.Image:
    """Voxel index along the image's second axis (y), from 0.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).

    Returns
    -------
    SimpleITK.Image
        float32 index, geometry of ``reference``.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import y, add, maximum
    >>> maximum(add(y(), sitk.Image(4, 3, sitk.sitkFloat32)))
    2.0
    """
    return _coordinate(reference, 1)


@source_primitive(
    "z",
    arity=0,
    description="The voxel index along the third image axis (0 in 2D)",
    signature="z -> number image",
)
def z_coordinate(reference: sitk.Image) -> sitk.Image:
    """Voxel index along the image's third axis (z), from 0; 0 in 2D.

    Parameters
    ----------
    reference : SimpleITK.Image
        Image whose geometry the result takes (on materialisation).

    Returns
    -------
    SimpleITK.Image
        float32 index, geometry of ``reference``.

    Raises
    ------
    GeometryError
        When reduced to a number with no concrete image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import z, add, maximum
    >>> maximum(add(z(), sitk.Image(4, 3, 2, sitk.sitkFloat32)))
    1.0
    """
    return _coordinate(reference, 2)
