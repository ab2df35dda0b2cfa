"""Colour channels: ``intensity``, ``red``, ``green``, ``blue``, ``alpha``,
``rgb``, ``rgba``.

A colour image is a SimpleITK vector image (3 or 4 components, any
component type); channels are returned as float32 number images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import SimpleITK as sitk

from voxlogica.primitives.vox1._lifting import image_primitive, require_image
from voxlogica.primitives.vox1.values import check_same_size, number_array, number_image

#: Relative luminance weights of red, green and blue (ITU-R BT.709), as in
#: VoxLogicA 1 (the formula GIMP calls "luminosity").
LUMINANCE_WEIGHTS = (0.2126, 0.7152, 0.0722)


def _channels(operation: str, image: sitk.Image) -> np.ndarray:
    """Pixels as float32 with the component axis last."""
    view = sitk.GetArrayViewFromImage(image)
    if image.GetNumberOfComponentsPerPixel() == 1:
        return view.astype(np.float32, copy=False)[..., np.newaxis]
    return view.astype(np.float32, copy=False)


def _channel(operation: str, image: Any, index: int) -> sitk.Image:
    image = require_image(operation, image)
    components = image.GetNumberOfComponentsPerPixel()
    if components == 1:
        return number_image(number_array(operation, image), image)
    if components <= index:
        raise ValueError(
            f"{operation}: the image has {components} components per pixel"
        )
    return number_image(_channels(operation, image)[..., index], image)


@image_primitive(
    "intensity",
    arity=1,
    description="Grey level of an image: luminance 0.2126 R + 0.7152 G + 0.0722 B",
    signature="intensity(image) -> number image",
)
def intensity(image: Any) -> Any:
    """Grey level of an image.

    Parameters
    ----------
    image : SimpleITK.Image
        Single-channel image (returned as float32) or colour image with at
        least 3 components.

    Returns
    -------
    SimpleITK.Image
        float32, geometry kept; for colour,
        ``0.2126 R + 0.7152 G + 0.0722 B`` (alpha ignored).

    Raises
    ------
    ValueError
        If a multi-component image has fewer than 3 components.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> pixels = np.array([[[100, 0, 0]]], dtype=np.uint8)
    >>> c = sitk.GetImageFromArray(pixels, isVector=True)
    >>> round(float(sitk.GetArrayFromImage(intensity(c))[0, 0]), 2)
    21.26
    """
    image = require_image("intensity", image)
    components = image.GetNumberOfComponentsPerPixel()
    if components == 1:
        return number_image(number_array("intensity", image), image)
    if components < 3:
        raise ValueError(f"intensity: the image has {components} components per pixel")
    channels = _channels("intensity", image)
    red, green, blue = (channels[..., index] for index in range(3))
    weights = LUMINANCE_WEIGHTS
    grey = weights[0] * red + weights[1] * green + weights[2] * blue
    return number_image(grey, image)


def _channel_doc(name: str, index: int) -> str:
    return f"""The {name} channel (component {index}) of a colour image.

    Parameters
    ----------
    image : SimpleITK.Image
        Colour image; a single-channel image is returned unchanged (as
        float32), as in VoxLogicA 1.

    Returns
    -------
    SimpleITK.Image
        float32, geometry kept.

    Raises
    ------
    ValueError
        If the image has too few components.

    Examples
    --------
    >>> import numpy as np, SimpleITK as sitk
    >>> pixels = np.array([[[1, 2, 3]]], dtype=np.uint8)
    >>> c = sitk.GetImageFromArray(pixels, isVector=True)
    >>> sitk.GetArrayFromImage({name}(c)).tolist()
    [[{float(index + 1)}]]
    """


def _register_channel(name: str, index: int) -> Any:
    @image_primitive(
        name,
        arity=1,
        description=f"The {name} component of a colour image",
        signature=f"{name}(image) -> number image",
    )
    def channel(image: Any) -> Any:
        return _channel(name, image, index)

    channel.__doc__ = _channel_doc(name, index)
    return channel


red = _register_channel("red", 0)
green = _register_channel("green", 1)
blue = _register_channel("blue", 2)


@image_primitive(
    "alpha",
    arity=1,
    description="The alpha component; 255 everywhere if the image has none",
    signature="alpha(image) -> number image",
)
def alpha(image: Any) -> Any:
    """The alpha channel (component 3).

    Parameters
    ----------
    image : SimpleITK.Image
        Any image.

    Returns
    -------
    SimpleITK.Image
        float32, geometry kept; 255 at every voxel when the image has fewer
        than 4 components.

    Raises
    ------
    TypeError
        If ``image`` is not an image.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> sitk.GetArrayFromImage(alpha(sitk.Image(2, 1, sitk.sitkUInt8))).tolist()
    [[255.0, 255.0]]
    """
    image = require_image("alpha", image)
    if image.GetNumberOfComponentsPerPixel() < 4:
        shape = tuple(reversed(image.GetSize()))
        return number_image(np.full(shape, 255.0, dtype=np.float32), image)
    return number_image(_channels("alpha", image)[..., 3], image)


def _compose(operation: str, parts: tuple[Any, ...]) -> sitk.Image:
    images = [require_image(operation, part) for part in parts]
    check_same_size(operation, images)
    stacked = np.stack([number_array(operation, part) for part in images], axis=-1)
    composed = sitk.GetImageFromArray(stacked, isVector=True)
    composed.CopyInformation(images[0])
    return composed


@image_primitive(
    "rgb",
    arity=3,
    description="A colour image from red, green and blue number images",
    signature="rgb(number image, number image, number image) -> colour image",
)
def rgb(red_part: Any, green_part: Any, blue_part: Any) -> Any:
    """Compose a 3-component colour image.

    Parameters
    ----------
    red_part, green_part, blue_part : SimpleITK.Image
        Number images of the same size.

    Returns
    -------
    SimpleITK.Image
        Vector of float32 with 3 components, geometry of ``red_part``.

    Raises
    ------
    ValueError
        If the images differ in size.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> i = sitk.Image(2, 2, sitk.sitkFloat32)
    >>> rgb(i, i, i).GetNumberOfComponentsPerPixel()
    3
    """
    return _compose("rgb", (red_part, green_part, blue_part))


@image_primitive(
    "rgba",
    arity=4,
    description="A colour image from red, green, blue and alpha number images",
    signature=(
        "rgba(number image, number image, number image, number image) -> colour image"
    ),
)
def rgba(red_part: Any, green_part: Any, blue_part: Any, alpha_part: Any) -> Any:
    """Compose a 4-component colour image.

    Parameters
    ----------
    red_part, green_part, blue_part, alpha_part : SimpleITK.Image
        Number images of the same size.

    Returns
    -------
    SimpleITK.Image
        Vector of float32 with 4 components, geometry of ``red_part``.

    Raises
    ------
    ValueError
        If the images differ in size.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> i = sitk.Image(2, 2, sitk.sitkFloat32)
    >>> rgba(i, i, i, i).GetNumberOfComponentsPerPixel()
    4
    """
    return _compose("rgba", (red_part, green_part, blue_part, alpha_part))
