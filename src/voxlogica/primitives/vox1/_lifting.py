"""Registration helpers: geometry-free arguments and pointwise operations."""

from __future__ import annotations

import functools
import itertools
import logging
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import SimpleITK as sitk

from voxlogica.primitives.registry import Namespace
from voxlogica.primitives.vox1.values import (
    GeometryError,
    GeometryFreeImage,
    bool_array,
    bool_image,
    check_same_size,
    first_concrete_image,
    materialise_all,
    number_array,
    number_image,
    register_operation,
    register_source,
)

logger = logging.getLogger(__name__)


NAMESPACE = Namespace("vox1")


def lifted_signature(
    name: str,
    kinds: Sequence[str],
    result: str,
    written: Sequence[bool],
    *,
    form: str = "call",
) -> str:
    """The signature of a :func:`pointwise` primitive, one overload per operand mix.

    Parameters
    ----------
    name : str
        The primitive's name, which the overloads are written around.
    kinds : sequence of str
        Per operand, ``"number"`` or ``"bool"``: an operand is an image of
        that kind or a plain value of it.
    result : str
        Kind of the result: a ``result`` image if some operand is an image,
        else a plain ``result``.
    written : sequence of bool
        Which operands are images in the overload VoxLogicA 1 documents; it
        comes first, the all-scalar overload last.
    form : {"call", "infix", "prefix"}
        ``and(bool image, bool)``, ``number image +. number`` or
        ``- number image``.

    Returns
    -------
    str
        The overloads separated by `` | ``, as ``voxlogica.reduce.types`` reads
        them.

    Examples
    --------
    >>> lifted_signature("not", ("bool",), "bool", (True,))
    'not(bool image) -> bool image | not(bool) -> bool'
    """
    documented = tuple(written)
    mixes = [documented] + [
        mix
        for mix in itertools.product((True, False), repeat=len(kinds))
        if mix != documented
    ]
    overloads = []
    for mix in mixes:
        operands = [
            f"{kind} image" if is_image else kind
            for kind, is_image in zip(kinds, mix, strict=True)
        ]
        returns = f"{result} image" if any(mix) else result
        if form == "infix":
            left = f"{operands[0]} {name} {operands[1]}"
        elif form == "prefix":
            left = f"{name} {operands[0]}"
        else:
            left = f"{name}({', '.join(operands)})"
        overloads.append(f"{left} -> {returns}")
    return " | ".join(overloads)


def image_primitive(
    name: str,
    *,
    arity: int | tuple[int, int | None],
    description: str,
    signature: str,
    reduces: bool = False,
    foldable: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``kernel`` as ``vox1.name``, handling geometry-free arguments.

    When some argument is geometry-free, the others decide: with a concrete
    image among them every geometry-free argument is built on that image's
    geometry; with none the result is itself geometry-free, unless the
    primitive ``reduces`` an image to a number, which is a
    :class:`GeometryError`.
    """

    def wrap(kernel: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(kernel)
        def primitive(*arguments: Any) -> Any:
            if any(isinstance(argument, GeometryFreeImage) for argument in arguments):
                reference = first_concrete_image(arguments)
                if reference is None:
                    if reduces:
                        shown = ", ".join(repr(argument) for argument in arguments)
                        raise GeometryError(
                            f"{name}({shown}) needs an image to take its size "
                            "from, but every image argument is geometry-free "
                            "(tt, ff, border, x, y, z, constant, bconstant and "
                            "what is built only from them); combine it with a "
                            "loaded image first"
                        )
                    return GeometryFreeImage(name, arguments)
                arguments = tuple(materialise_all(arguments, reference))
            return kernel(*arguments)

        register_operation(name, primitive)
        NAMESPACE.primitive(
            name,
            arity=arity,
            description=description,
            signature=signature,
            foldable=foldable,
        )(primitive)
        return primitive

    return wrap


def source_primitive(
    name: str,
    *,
    arity: int | tuple[int, int | None],
    description: str,
    signature: str,
    check: Callable[..., None] | None = None,
) -> Callable[[Callable[..., sitk.Image]], Callable[..., GeometryFreeImage]]:
    """Register a geometry source: ``build(reference, *arguments)``.

    The primitive returns a :class:`GeometryFreeImage`; ``build`` runs when
    that value meets a concrete image.
    """

    def wrap(build: Callable[..., sitk.Image]) -> Callable[..., GeometryFreeImage]:
        register_source(name, build)

        def primitive(*arguments: Any) -> GeometryFreeImage:
            if check is not None:
                check(*arguments)
            return GeometryFreeImage(name, arguments)

        primitive.__name__ = build.__name__
        primitive.__qualname__ = build.__qualname__
        primitive.__doc__ = build.__doc__
        primitive.__module__ = build.__module__
        NAMESPACE.primitive(
            name, arity=arity, description=description, signature=signature
        )(primitive)
        return primitive

    return wrap


def is_bool_scalar(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def is_number_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not is_bool_scalar(value)


def require_number(operation: str, value: Any) -> float:
    """``value`` as a float, or ``TypeError`` if it is not a number."""
    if not is_number_scalar(value):
        raise TypeError(f"{operation}: expected a number, got {_kind_name(value)}")
    return float(value)


def require_image(operation: str, value: Any) -> sitk.Image:
    """``value`` if it is a concrete image, else ``TypeError``."""
    if not isinstance(value, sitk.Image):
        raise TypeError(f"{operation}: expected an image, got {_kind_name(value)}")
    return value


def _kind_name(value: Any) -> str:
    if isinstance(value, sitk.Image):
        return f"an image ({value.GetPixelIDTypeAsString()})"
    if is_bool_scalar(value):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def pointwise(
    operation: str,
    arguments: tuple[Any, ...],
    kinds: tuple[str, ...],
    compute: Callable[..., Any],
    result_kind: str,
) -> Any:
    """Apply ``compute`` voxel by voxel, or to scalars when no image is given.

    ``kinds`` says, per argument, whether it is read as a ``"number"``
    (float32 pixels, float scalar) or a ``"bool"``. A scalar combined with
    an image is first cast to the image's element type (float32 for
    numbers), as ITK does for its image-constant filters; scalars alone are
    computed in double precision and returned as Python scalars.
    """
    images = [argument for argument in arguments if isinstance(argument, sitk.Image)]
    if not images:
        prepared = [
            _scalar_argument(operation, value, kind)
            for value, kind in zip(arguments, kinds, strict=True)
        ]
        result = compute(*prepared)
        return bool(result) if result_kind == "bool" else float(result)
    check_same_size(operation, images)
    reference = images[0]
    prepared = []
    for value, kind in zip(arguments, kinds, strict=True):
        if isinstance(value, sitk.Image):
            if kind == "number":
                prepared.append(number_array(operation, value))
            else:
                prepared.append(bool_array(operation, value))
        else:
            scalar = _scalar_argument(operation, value, kind)
            prepared.append(
                np.float32(scalar) if kind == "number" else np.bool_(scalar)
            )
    result = compute(*prepared)
    shape = tuple(reversed(reference.GetSize()))
    if np.shape(result) != shape:
        result = np.broadcast_to(result, shape)
    if result_kind == "bool":
        return bool_image(np.asarray(result, dtype=bool), reference)
    return number_image(result, reference)


def _scalar_argument(operation: str, value: Any, kind: str) -> Any:
    if kind == "number":
        return require_number(operation, value)
    if not is_bool_scalar(value):
        raise TypeError(f"{operation}: expected a boolean, got {_kind_name(value)}")
    return bool(value)
