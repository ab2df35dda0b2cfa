"""Values of the ``vox1`` namespace and how images are read and written.

Three kinds of value flow through the ``vox1`` primitives:

* Python scalars: ``float`` (and ``int``) for numbers, ``bool`` for truth
  values.
* Concrete images (:class:`SimpleITK.Image`). A *number image* has pixel type
  float32, a *bool image* has pixel type uint8 holding 0 and 1. Arguments of
  other pixel types are converted on the way in: a number argument of any
  scalar pixel type is cast to float32 (a bool image therefore reads as 0.0
  and 1.0); a bool argument of any scalar pixel type is true where the pixel
  is non-zero (so a PNG mask holding 0 and 255 works). Multi-component
  (colour) images are accepted only by the colour primitives (``intensity``,
  ``red``, ``green``, ``blue``, ``alpha``).
* Geometry-free images (:class:`GeometryFreeImage`): ``tt``, ``ff``,
  ``border``, ``x``, ``y``, ``z``, ``constant(k)`` and ``bconstant(b)``, and
  every operation whose image arguments are all geometry-free. They record
  *how* to build the image, not its pixels, and take the size, spacing,
  origin and direction of the first concrete image they are combined with.
  The rule never depends on evaluation order or on the cache: the same
  expression always meets the same concrete image.

Every image a primitive returns copies the geometry (spacing, origin,
direction) of its first concrete image argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import SimpleITK as sitk

logger = logging.getLogger(__name__)

#: Implementations that a geometry-free image can replay, by operation name.
#: Sources (``tt``, ``border``...) take the reference image first; other
#: operations take their materialised arguments.
_SOURCES: dict[str, Callable[..., sitk.Image]] = {}
_OPERATIONS: dict[str, Callable[..., Any]] = {}


class GeometryError(ValueError):
    """Raised when an image needs a geometry that nothing provides.

    Reducing a geometry-free image to a number (``volume(tt)``) has no answer:
    the number of voxels of ``tt`` is the size of an image that was never
    given.
    """


class GeometryFreeImage:
    """An image that takes its geometry from the concrete image it meets.

    Parameters
    ----------
    operation : str
        Name of the ``vox1`` primitive that builds the image (``"tt"``,
        ``"near"``...).
    arguments : sequence
        Its arguments: scalars, strings or other geometry-free images.

    Notes
    -----
    Instances are immutable and compare structurally, so ``near(border)``
    built twice is one value. They are stored by the result store through
    :meth:`to_plain` and :meth:`from_plain`; shared sub-expressions are
    written once.
    """

    __slots__ = ("operation", "arguments", "_hash")

    def __init__(self, operation: str, arguments: Sequence[Any] = ()):
        arguments = tuple(arguments)
        for argument in arguments:
            if isinstance(argument, sitk.Image):
                raise TypeError("a geometry-free image cannot hold a concrete image")
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "arguments", arguments)
        object.__setattr__(self, "_hash", hash((operation, arguments)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("GeometryFreeImage is immutable")

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, GeometryFreeImage):
            return NotImplemented
        if self._hash != other._hash:
            return False
        return self.operation == other.operation and self.arguments == other.arguments

    def __repr__(self) -> str:
        if not self.arguments:
            return self.operation
        inner = ", ".join(repr(argument) for argument in self.arguments)
        return f"{self.operation}({inner})"

    def materialise(self, reference: sitk.Image) -> Any:
        """Build the concrete image on the geometry of ``reference``.

        Parameters
        ----------
        reference : SimpleITK.Image
            Any image; only its size, spacing, origin and direction are used.

        Returns
        -------
        SimpleITK.Image
            The image this expression denotes on that geometry (uint8 0/1 for
            truth values, float32 for numbers).
        """
        memo: dict[int, Any] = {}
        return self._materialise(reference, memo)

    def _materialise(self, reference: sitk.Image, memo: dict[int, Any]) -> Any:
        # Sub-expressions shared by identity are built once, so a chain of
        # ``near(x) | x`` grows linearly instead of doubling at each step.
        known = memo.get(id(self))
        if known is not None:
            return known
        if self.operation in _SOURCES:
            result = _SOURCES[self.operation](reference, *self.arguments)
        else:
            arguments = [
                argument._materialise(reference, memo)
                if isinstance(argument, GeometryFreeImage)
                else argument
                for argument in self.arguments
            ]
            result = _OPERATIONS[self.operation](*arguments)
        memo[id(self)] = result
        return result

    def to_plain(self) -> dict[str, Any]:
        """Describe the expression as JSON-able data (a list of nodes)."""
        nodes: list[dict[str, Any]] = []
        index_of: dict[int, int] = {}

        def visit(value: GeometryFreeImage) -> int:
            if id(value) in index_of:
                return index_of[id(value)]
            encoded = []
            for argument in value.arguments:
                if isinstance(argument, GeometryFreeImage):
                    encoded.append({"node": visit(argument)})
                else:
                    encoded.append({"value": _plain_scalar(argument)})
            index_of[id(value)] = len(nodes)
            nodes.append({"operation": value.operation, "arguments": encoded})
            return index_of[id(value)]

        root = visit(self)
        return {"nodes": nodes, "root": root}

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> GeometryFreeImage:
        """Rebuild an expression written by :meth:`to_plain`."""
        built: list[GeometryFreeImage] = []
        for node in plain["nodes"]:
            arguments = [
                built[argument["node"]] if "node" in argument else argument["value"]
                for argument in node["arguments"]
            ]
            built.append(cls(node["operation"], arguments))
        return built[plain["root"]]


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot record argument of type {type(value).__name__}")


def register_source(name: str, build: Callable[..., sitk.Image]) -> None:
    """Make ``name`` a geometry source: ``build(reference, *arguments)``."""
    _SOURCES[name] = build


def register_operation(name: str, implementation: Callable[..., Any]) -> None:
    """Let geometry-free images replay the primitive called ``name``."""
    _OPERATIONS[name] = implementation


def is_image(value: Any) -> bool:
    """Whether ``value`` is an image, concrete or geometry-free."""
    return isinstance(value, sitk.Image | GeometryFreeImage)


def first_concrete_image(arguments: Sequence[Any]) -> sitk.Image | None:
    """The first concrete image among ``arguments``, if any."""
    for argument in arguments:
        if isinstance(argument, sitk.Image):
            return argument
    return None


def materialise_all(arguments: Sequence[Any], reference: sitk.Image) -> list[Any]:
    """Replace geometry-free images by concrete ones on ``reference``."""
    memo: dict[int, Any] = {}
    return [
        argument._materialise(reference, memo)
        if isinstance(argument, GeometryFreeImage)
        else argument
        for argument in arguments
    ]


def check_same_size(operation: str, images: Sequence[sitk.Image]) -> None:
    """Raise ``ValueError`` unless every image has the size of the first."""
    if len(images) < 2:
        return
    first = images[0].GetSize()
    for other in images[1:]:
        if other.GetSize() != first:
            raise ValueError(
                f"{operation}: images have different sizes {first} and "
                f"{other.GetSize()}"
            )


def _single_component(operation: str, image: sitk.Image) -> None:
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise TypeError(
            f"{operation}: expected a single-channel image, got one with "
            f"{image.GetNumberOfComponentsPerPixel()} components per pixel "
            "(use intensity, red, green, blue or alpha first)"
        )


def number_array(operation: str, image: sitk.Image) -> np.ndarray:
    """Pixels of a number argument as float32, z-y-x order.

    A float32 image is returned as a read-only view without copying; any
    other scalar pixel type is cast.
    """
    _single_component(operation, image)
    view = sitk.GetArrayViewFromImage(image)
    if view.dtype == np.float32:
        return view
    return view.astype(np.float32)


def bool_array(operation: str, image: sitk.Image) -> np.ndarray:
    """Pixels of a truth-value argument as a numpy bool array (non-zero)."""
    _single_component(operation, image)
    view = sitk.GetArrayViewFromImage(image)
    return np.not_equal(view, 0)


def bool_image(array: np.ndarray, reference: sitk.Image) -> sitk.Image:
    """A uint8 0/1 image of ``array`` with the geometry of ``reference``."""
    image = sitk.GetImageFromArray(np.ascontiguousarray(array).view(np.uint8))
    image.CopyInformation(reference)
    return image


def number_image(array: np.ndarray, reference: sitk.Image) -> sitk.Image:
    """A float32 image of ``array`` with the geometry of ``reference``."""
    image = sitk.GetImageFromArray(np.asarray(array, dtype=np.float32))
    image.CopyInformation(reference)
    return image


def array_shape(reference: sitk.Image) -> tuple[int, ...]:
    """Shape of the numpy array of ``reference`` (z, y, x order)."""
    return tuple(reversed(reference.GetSize()))


def spacing_zyx(reference: sitk.Image) -> tuple[float, ...]:
    """Spacing of ``reference`` in array axis order (z, y, x)."""
    return tuple(reversed(reference.GetSpacing()))
