"""Coercing ImgQL values to SimpleITK's parameter types, and calling SimpleITK.

This is the only module of the namespace that imports SimpleITK when it is
imported; :class:`voxlogica.primitives.simpleitk.SimpleITKFunction` loads it
at its first call, so that reducing a program does not.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Sequence
from typing import Any

import SimpleITK as sitk

from voxlogica.primitives.simpleitk.errors import simpleitk_error_message
from voxlogica.primitives.simpleitk.parsing import (
    VECTOR_ELEMENTS as _VECTOR_ELEMENTS,
)
from voxlogica.primitives.simpleitk.parsing import (
    Overload,
    signature_text,
)

_INTEGER_RANGES: dict[str, tuple[int, int] | None] = {
    "uint8_t": (0, 2**8 - 1),
    "int8_t": (-(2**7), 2**7 - 1),
    "uint16_t": (0, 2**16 - 1),
    "int16_t": (-(2**15), 2**15 - 1),
    "uint32_t": (0, 2**32 - 1),
    "unsigned int": (0, 2**32 - 1),
    "int32_t": (-(2**31), 2**31 - 1),
    "int": (-(2**31), 2**31 - 1),
    "uint64_t": (0, 2**64 - 1),
    "unsigned long": (0, 2**64 - 1),
    "size_t": (0, 2**64 - 1),
    "int64_t": (-(2**63), 2**63 - 1),
    "long": (-(2**63), 2**63 - 1),
    "itk::simple::PixelIDValueType": None,
}
_FLOAT_TYPES = frozenset({"double", "float"})
_STRING_TYPES = frozenset({"std::string", "itk::simple::PathType", "PathType"})
_TRANSFORM_TYPES = frozenset({"Transform", "BSplineTransform"})
_POINT_LISTS = frozenset({"VectorUIntList"})


# --- coercion -----------------------------------------------------------------


class _Mismatch(Exception):
    """An argument does not fit a parameter.

    ``is_value_problem`` separates a number of the right kind but a wrong value
    (``1.5`` for an integer) from a value of the wrong kind altogether; the
    former is reported as ``ValueError``, and wins when overloads compete
    because it pinpoints what the user got wrong.
    """

    def __init__(self, message: str, is_value_problem: bool = False):
        super().__init__(message)
        self.is_value_problem = is_value_problem


def _is_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in {"bool", "bool_"}


def _show(value: Any) -> str:
    if _is_bool(value):
        return "true" if value else "false"
    if isinstance(value, (numbers.Number, str)):
        return repr(value)
    if isinstance(value, sitk.Image):
        return "an image"
    if isinstance(value, (tuple, list, range)):
        if len(value) <= 8:
            return "[" + ", ".join(_show(item) for item in value) + "]"
        return f"a sequence of {len(value)} items"
    return f"a {type(value).__name__}"


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (tuple, list, range)):
        return True
    return getattr(value, "ndim", None) == 1 and hasattr(value, "tolist")


def _integer(value: Any, cpp_type: str) -> int:
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise _Mismatch(f"needs an integer ({cpp_type}), got {_show(value)}")
    if isinstance(value, numbers.Integral):
        result = int(value)
    elif float(value).is_integer():
        result = int(value)
    else:
        raise _Mismatch(
            f"needs an integer ({cpp_type}), got {_show(value)}", is_value_problem=True
        )
    bounds = _INTEGER_RANGES.get(cpp_type)
    if bounds is not None and not bounds[0] <= result <= bounds[1]:
        raise _Mismatch(
            f"needs an integer between {bounds[0]} and {bounds[1]} ({cpp_type}), "
            f"got {_show(value)}",
            is_value_problem=True,
        )
    return result


def _is_integer_type(cpp_type: str) -> bool:
    if cpp_type in _INTEGER_RANGES:
        return True
    if cpp_type.split("::")[-1] == "PathType":
        return False
    # SimpleITK enumerations (PixelIDValueEnum, KernelEnum, the filters'
    # nested *Type enums, HashFunction) are plain ints in Python.
    return (
        cpp_type.endswith("Enum")
        or cpp_type.endswith("HashFunction")
        or (cpp_type.startswith("itk::simple::") and cpp_type.endswith("Type"))
    )


def convert_argument(value: Any, cpp_type: str, dimension: int | None) -> Any:
    """Coerce one ImgQL value to what a SimpleITK parameter of ``cpp_type`` takes.

    Parameters
    ----------
    value
        The ImgQL value.
    cpp_type
        The normalised C++ type of the parameter; ``""`` passes ``value`` through.
    dimension
        Dimension of the call's first image argument, used to repeat a single
        number given for a per-axis vector; ``None`` when the call has no image.

    Returns
    -------
    Any
        The value to hand to SimpleITK.

    Raises
    ------
    _Mismatch
        If the value cannot stand for that type.
    """
    if not cpp_type:
        return value
    if cpp_type == "Image":
        if isinstance(value, sitk.Image):
            return value
        raise _Mismatch(f"needs an image, got {_show(value)}")
    if cpp_type in _FLOAT_TYPES:
        if isinstance(value, numbers.Real) and not _is_bool(value):
            return float(value)
        raise _Mismatch(f"needs a number ({cpp_type}), got {_show(value)}")
    if cpp_type == "bool":
        if _is_bool(value):
            return bool(value)
        raise _Mismatch(f"needs a boolean (true or false), got {_show(value)}")
    if _is_integer_type(cpp_type):
        return _integer(value, cpp_type)
    if cpp_type in _STRING_TYPES:
        if isinstance(value, (str, os.PathLike)):
            return os.fspath(value)
        raise _Mismatch(f"needs a string, got {_show(value)}")
    if cpp_type in _TRANSFORM_TYPES:
        if isinstance(value, sitk.Transform):
            return value
        raise _Mismatch(f"needs a transform, got {_show(value)}")
    if cpp_type == "DoubleDoubleMap":
        if isinstance(value, dict):
            return {float(key): float(item) for key, item in value.items()}
        raise _Mismatch(f"needs a dict of numbers, got {_show(value)}")
    element_type = _VECTOR_ELEMENTS.get(cpp_type)
    if element_type is not None:
        return _convert_vector(value, cpp_type, element_type, dimension)
    return value


def _convert_vector(
    value: Any, cpp_type: str, element_type: str, dimension: int | None
) -> list[Any]:
    if cpp_type in _POINT_LISTS and _is_sequence(value):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        if items and not any(_is_sequence(item) for item in items):
            # A single point where a list of points is expected.
            value = [items]
    if not _is_sequence(value):
        repeatable = isinstance(value, numbers.Real) and element_type in (
            _INTEGER_RANGES.keys() | _FLOAT_TYPES | {"bool"}
        )
        if repeatable and dimension is not None:
            value = [value] * dimension
        else:
            raise _Mismatch(f"needs a sequence ({cpp_type}), got {_show(value)}")
    items = value.tolist() if hasattr(value, "tolist") else list(value)
    converted = []
    for index, item in enumerate(items):
        try:
            converted.append(convert_argument(item, element_type, dimension))
        except _Mismatch as mismatch:
            raise _Mismatch(
                f"item {index} {mismatch}", mismatch.is_value_problem
            ) from None
    return converted


def _call_dimension(args: Sequence[Any]) -> int | None:
    for value in args:
        if isinstance(value, sitk.Image):
            return value.GetDimension()
        if isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, sitk.Image):
                    return item.GetDimension()
    return None


def _describe_arguments(args: Sequence[Any]) -> str:
    return ", ".join(_show(value) for value in args)


def convert_arguments(overloads: Sequence[Overload], args: Sequence[Any]) -> list[Any]:
    """Coerce ``args`` for the first of ``overloads`` that accepts them.

    Parameters
    ----------
    overloads
        The function's signatures, in docstring order.
    args
        The ImgQL values, in call order.

    Returns
    -------
    list
        The arguments to pass to SimpleITK.

    Raises
    ------
    TypeError
        If no overload takes arguments of these kinds or this many.
    ValueError
        If a number does not suit its parameter (``1.5`` for an integer,
        ``300`` for a ``uint8_t``).
    """
    candidates = [o for o in overloads if o.accepts_arity(len(args))]
    if not candidates:
        raise TypeError(
            f"does not take {len(args)} arguments; "
            f"signatures: {signature_text(overloads)}"
        )
    dimension = _call_dimension(args)
    problems: list[tuple[Overload, _Mismatch]] = []
    for overload in candidates:
        try:
            return _convert_for(overload, args, dimension)
        except _Mismatch as mismatch:
            problems.append((overload, mismatch))
    value_problems = [p for p in problems if p[1].is_value_problem]
    if len(problems) == 1 or value_problems:
        _overload, mismatch = (value_problems or problems)[0]
        error_type = ValueError if mismatch.is_value_problem else TypeError
        raise error_type(str(mismatch))
    tried = "; ".join(f"{o.text}: {m}" for o, m in problems)
    raise TypeError(
        f"no signature accepts ({_describe_arguments(args)}); tried {tried}"
    )


def _convert_for(
    overload: Overload, args: Sequence[Any], dimension: int | None
) -> list[Any]:
    converted = []
    for index, value in enumerate(args):
        if index >= len(overload.parameters):
            converted.append(value)  # extra arguments of a variadic function
            continue
        parameter = overload.parameters[index]
        try:
            converted.append(convert_argument(value, parameter.cpp_type, dimension))
        except _Mismatch as mismatch:
            raise _Mismatch(
                f"parameter {parameter.name!r} {mismatch}",
                mismatch.is_value_problem,
            ) from None
    return converted


def call(
    name: str,
    function: Callable[..., Any],
    overloads: Sequence[Overload],
    args: Sequence[Any],
) -> Any:
    """Coerce ``args``, call SimpleITK function ``name``, and translate failures.

    Messages do not repeat the primitive's name: the engine prefixes every
    failure with the qualified name already.

    Parameters
    ----------
    name
        The function's name in the ``SimpleITK`` module.
    function
        The function itself.
    overloads
        Its signatures, which decide the coercion.
    args
        The ImgQL values, in call order.

    Returns
    -------
    Any
        What SimpleITK returned.

    Raises
    ------
    TypeError, ValueError
        As :func:`convert_arguments`, or when SWIG rejects an argument the
        docstring did not type.
    RuntimeError
        When SimpleITK fails, with its message trimmed by
        :func:`~voxlogica.primitives.simpleitk.errors.simpleitk_error_message`.
    """
    converted = convert_arguments(overloads, args)
    try:
        return function(*converted)
    except RuntimeError as error:
        raise RuntimeError(simpleitk_error_message(name, error)) from error
    except (TypeError, NotImplementedError) as error:
        # SWIG's own type check, for arguments the docstring did not type.
        raise TypeError(
            f"SimpleITK rejected ({_describe_arguments(args)}): {error}; "
            f"signatures: {signature_text(overloads)}"
        ) from error
