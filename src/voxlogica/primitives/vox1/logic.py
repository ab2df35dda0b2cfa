"""Boolean connectives: ``not``, ``and``, ``or`` and the scalar ``!.``,
``.&.``, ``.|.``.

``not``, ``and`` and ``or`` work voxel by voxel on bool images and also
accept plain booleans (an image and a boolean combine as if the boolean were
``bconstant``; two booleans give a boolean).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voxlogica.primitives.vox1._lifting import (
    NAMESPACE,
    image_primitive,
    lifted_signature,
    pointwise,
)


@image_primitive(
    "not",
    arity=1,
    description="Voxel-wise negation of a bool image (or of a boolean)",
    signature=lifted_signature("not", ("bool",), "bool", (True,)),
    foldable=True,
)
def not_(region: Any) -> Any:
    """Negate every voxel.

    Parameters
    ----------
    region : SimpleITK.Image or bool
        Bool image (any non-zero pixel is true) or a boolean.

    Returns
    -------
    SimpleITK.Image or bool
        uint8 0/1 image keeping the geometry of ``region``, or a boolean.

    Raises
    ------
    TypeError
        If ``region`` is neither an image nor a boolean.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import not_
    >>> a = sitk.GetImageFromArray(np.array([[0, 1, 255]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(not_(a)).tolist()
    [[1, 0, 0]]
    """
    return pointwise("not", (region,), ("bool",), np.logical_not, "bool")


@image_primitive(
    "and",
    arity=2,
    description="Voxel-wise conjunction of two bool images",
    signature=lifted_signature("and", ("bool", "bool"), "bool", (True, True)),
    foldable=True,
)
def and_(left: Any, right: Any) -> Any:
    """True where both arguments are true.

    Parameters
    ----------
    left, right : SimpleITK.Image or bool
        Bool images of the same size, or booleans.

    Returns
    -------
    SimpleITK.Image or bool
        uint8 0/1 image keeping the geometry of the first image argument, or
        a boolean when both are booleans.

    Raises
    ------
    ValueError
        If the two images differ in size.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import and_
    >>> a = sitk.GetImageFromArray(np.array([[0, 1, 1]], dtype=np.uint8))
    >>> b = sitk.GetImageFromArray(np.array([[1, 0, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(and_(a, b)).tolist()
    [[0, 0, 1]]
    """
    return pointwise("and", (left, right), ("bool", "bool"), np.logical_and, "bool")


@image_primitive(
    "or",
    arity=2,
    description="Voxel-wise disjunction of two bool images",
    signature=lifted_signature("or", ("bool", "bool"), "bool", (True, True)),
    foldable=True,
)
def or_(left: Any, right: Any) -> Any:
    """True where at least one argument is true.

    Parameters
    ----------
    left, right : SimpleITK.Image or bool
        Bool images of the same size, or booleans.

    Returns
    -------
    SimpleITK.Image or bool
        uint8 0/1 image keeping the geometry of the first image argument, or
        a boolean.

    Raises
    ------
    ValueError
        If the two images differ in size.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> from voxlogica.primitives.vox1 import or_
    >>> a = sitk.GetImageFromArray(np.array([[0, 1, 0]], dtype=np.uint8))
    >>> b = sitk.GetImageFromArray(np.array([[0, 0, 1]], dtype=np.uint8))
    >>> sitk.GetArrayFromImage(or_(a, b)).tolist()
    [[0, 1, 1]]
    """
    return pointwise("or", (left, right), ("bool", "bool"), np.logical_or, "bool")


def _boolean(operation: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{operation}: expected a boolean, got {value!r}")
    return bool(value)


@NAMESPACE.primitive(
    ".&.",
    arity=2,
    description="Boolean and of two booleans",
    signature="bool .&. bool -> bool",
    foldable=True,
)
def scalar_and(left: bool, right: bool) -> bool:
    """Boolean and.

    Parameters
    ----------
    left, right : bool
        Truth values.

    Returns
    -------
    bool
        ``left and right``.

    Raises
    ------
    TypeError
        If an argument is not a boolean.

    Examples
    --------
    >>> scalar_and(True, False)
    False
    """
    return _boolean(".&.", left) and _boolean(".&.", right)


@NAMESPACE.primitive(
    ".|.",
    arity=2,
    description="Boolean or of two booleans",
    signature="bool .|. bool -> bool",
    foldable=True,
)
def scalar_or(left: bool, right: bool) -> bool:
    """Boolean or.

    Parameters
    ----------
    left, right : bool
        Truth values.

    Returns
    -------
    bool
        ``left or right``.

    Raises
    ------
    TypeError
        If an argument is not a boolean.

    Examples
    --------
    >>> scalar_or(True, False)
    True
    """
    return _boolean(".|.", left) or _boolean(".|.", right)


@NAMESPACE.primitive(
    "!.",
    arity=1,
    description="Boolean negation of a boolean",
    signature="!. bool -> bool",
    foldable=True,
)
def scalar_not(value: bool) -> bool:
    """Boolean negation.

    Parameters
    ----------
    value : bool
        Truth value.

    Returns
    -------
    bool
        ``not value``.

    Raises
    ------
    TypeError
        If ``value`` is not a boolean.

    Examples
    --------
    >>> scalar_not(True)
    False
    """
    return not _boolean("!.", value)
