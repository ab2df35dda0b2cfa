"""Image properties as primitives: size, spacing, origin, direction, pixel type.

SimpleITK exposes these as methods of ``Image`` rather than procedural
functions, so the generic wrapper does not see them; programs need them to
turn voxel counts into millilitres or to build arguments for ``Extract``.
They keep SimpleITK's method names. They are cheap but not foldable: their
argument is an image, known only at run time.
"""

from __future__ import annotations

from typing import Any

from voxlogica.primitives.registry import Primitive


def get_size(image: Any) -> tuple[int, ...]:
    """Number of voxels along each axis (x, y, z)."""
    return tuple(image.GetSize())


def get_spacing(image: Any) -> tuple[float, ...]:
    """Voxel spacing along each axis, in mm."""
    return tuple(image.GetSpacing())


def get_origin(image: Any) -> tuple[float, ...]:
    """Physical position of the first voxel's centre, in mm."""
    return tuple(image.GetOrigin())


def get_direction(image: Any) -> tuple[float, ...]:
    """Direction cosines of the axes, row by row."""
    return tuple(image.GetDirection())


def get_dimension(image: Any) -> int:
    """Number of axes (2 or 3)."""
    return int(image.GetDimension())


def get_number_of_pixels(image: Any) -> int:
    """Number of voxels in the image."""
    return int(image.GetNumberOfPixels())


def get_number_of_components_per_pixel(image: Any) -> int:
    """Components of each voxel (1 for scalar images, 3 for RGB)."""
    return int(image.GetNumberOfComponentsPerPixel())


def get_pixel_id_type_as_string(image: Any) -> str:
    """SimpleITK's name of the pixel type, e.g. "8-bit unsigned integer"."""
    return str(image.GetPixelIDTypeAsString())


def get_voxel_volume(image: Any) -> float:
    """Volume of one voxel in mm³ (the product of the spacings)."""
    volume = 1.0
    for spacing in image.GetSpacing():
        volume *= spacing
    return volume


_PROPERTIES = {
    "GetSize": (get_size, "(image) -> sequence of number"),
    "GetSpacing": (get_spacing, "(image) -> sequence of number"),
    "GetOrigin": (get_origin, "(image) -> sequence of number"),
    "GetDirection": (get_direction, "(image) -> sequence of number"),
    "GetDimension": (get_dimension, "(image) -> number"),
    "GetNumberOfPixels": (get_number_of_pixels, "(image) -> number"),
    "GetNumberOfComponentsPerPixel": (
        get_number_of_components_per_pixel,
        "(image) -> number",
    ),
    "GetPixelIDTypeAsString": (get_pixel_id_type_as_string, "(image) -> string"),
    "GetVoxelVolume": (get_voxel_volume, "(image) -> number"),
}


def property_names() -> list[str]:
    return sorted(_PROPERTIES)


def property_primitive(name: str, namespace: str, version: str):
    """The primitive for image property ``name``, or None.

    ``version`` is the namespace's (SimpleITK's and the wrapper's), so these
    results are invalidated together with the other SimpleITK primitives.
    """
    entry = _PROPERTIES.get(name)
    if entry is None:
        return None
    function, signature = entry
    return Primitive(
        qualified_name=f"{namespace}.{name}",
        function=function,
        version=version,
        min_arity=1,
        max_arity=1,
        description=(function.__doc__ or "").strip().splitlines()[0],
        signature=signature,
        returns_sequence=signature.endswith("sequence of number"),
    )
