"""The ``simpleitk`` namespace: SimpleITK's whole procedural API, generically.

Every public function of SimpleITK's procedural interface (``BinaryThreshold``,
``Multiply``, ``ReadImage``, ``MinimumMaximum``... about 350 of them) is a
primitive here, as are the integer constants the functions take as arguments
(``sitkFloat32``, ``sitkUInt8``, ``sitkLinear``, ``sitkBall``...), which are
zero-argument foldable primitives.

Nothing is listed by hand. A primitive is built the first time its name is
looked up, from the function's docstring, which SimpleITK writes as one C++
signature per overload::

    BinaryThreshold(Image image1, double lowerThreshold=0.0, ...) -> Image
    Add(Image image1, Image image2) -> Image
    Add(Image image1, double constant) -> Image

From those signatures come the arity range and the C++ type of each parameter,
which decides how ImgQL values are coerced before the call:

* integer types (``uint8_t``, ``unsigned int``, ``int64_t``, enumerations...)
  take an ``int``, or a ``float`` with an integral value (``1.0``); ``1.5`` or an
  out-of-range value is a ``ValueError`` naming the parameter;
* ``double``/``float`` take any number; ``bool`` takes only a boolean;
* ``std::vector`` parameters (``VectorUInt32``, ``VectorDouble``...) take a
  tuple, list, range or 1-D array; a single number is repeated once per
  dimension of the call's first image argument, so ``BinaryDilate(img, 2)``
  means a radius of 2 along every axis;
* point lists (``VectorUIntList``, e.g. seeds) also take one point;
* images and transforms must be SimpleITK objects.

With several overloads the first one whose parameters accept the arguments is
used, so ``Add(img, 2)`` picks ``Add(Image, double)``. Functions written in
Python by SimpleITK itself (``ReadImage``, ``WriteImage``, ``MinimumMaximum``...)
are described by their Python signature instead.

Failures inside SimpleITK become a ``RuntimeError`` carrying SimpleITK's own
message without the C++ source locations and object addresses.

The version of every primitive combines SimpleITK's version with
:data:`WRAPPER_VERSION`, so upgrading SimpleITK, or changing this wrapper,
invalidates stored results.
"""

from __future__ import annotations

import inspect
import logging
import numbers
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import SimpleITK as sitk

from voxlogica.primitives.registry import Namespace, Primitive

logger = logging.getLogger(__name__)

#: Bump when the coercion or error handling of this wrapper changes behaviour.
WRAPPER_VERSION = "1"

#: Version given to every primitive of the namespace.
PRIMITIVE_VERSION = f"{sitk.Version_VersionString()}+wrapper.{WRAPPER_VERSION}"

_CONSTANT_PREFIX = "sitk"

# Functions whose result depends on, or changes, the world outside the call:
# writers, viewers, global settings, and directory listings.
_VOLATILE_PREFIXES = (
    "Write",
    "Show",
    "ImageViewer_",
    "ProcessObject_",
    "LoggerBase_",
    "ImageSeriesReader_GetGDCMSeries",
)

# Pure, cheap and scalar: safe to compute while the plan is being built.
_FOLDABLE_PREFIXES = (
    "Version_",
    "GetPixelIDValueAsString",
    "GetPixelIDValueFromString",
    "DICOMOrientImageFilter_",
    "FFTPadImageFilter_DefaultSizeGreatestPrimeFactor",
)

# Readers whose first argument names the file whose bytes they read.
_FILE_READERS = ("ReadImage", "ReadTransform", "ImageReaderBase_GetImageIOFromFileName")

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
_VECTOR_ELEMENTS = {
    "VectorUInt8": "uint8_t",
    "VectorInt8": "int8_t",
    "VectorUInt16": "uint16_t",
    "VectorInt16": "int16_t",
    "VectorUInt32": "uint32_t",
    "VectorInt32": "int32_t",
    "VectorUInt64": "uint64_t",
    "VectorInt64": "int64_t",
    "VectorFloat": "float",
    "VectorDouble": "double",
    "VectorBool": "bool",
    "VectorString": "std::string",
    "VectorOfImage": "Image",
    "VectorUIntList": "VectorUInt32",
}
_POINT_LISTS = frozenset({"VectorUIntList"})

# Python annotations of SimpleITK's hand-written functions, as C++ type names.
_ANNOTATION_TYPES = {
    "Image": "Image",
    "int": "int64_t",
    "float": "double",
    "bool": "bool",
    "str": "std::string",
    "List[float]": "VectorDouble",
    "List[int]": "VectorInt64",
}


# --- signatures ---------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter of one overload of a SimpleITK function."""

    name: str
    #: Normalised C++ type (``const`` and ``&`` removed); ``""`` when unknown,
    #: in which case the argument is passed through untouched.
    cpp_type: str
    has_default: bool
    #: The default as the docstring writes it (C++ or Python), ``""`` if none.
    default: str = ""


@dataclass(frozen=True)
class Overload:
    """One signature of a SimpleITK function."""

    parameters: tuple[Parameter, ...]
    returns: str
    #: Written like the docstring, e.g. ``"(Image image1, double constant) -> Image"``.
    text: str
    #: The function also takes any number of extra positional arguments.
    variadic: bool = False

    @property
    def min_arity(self) -> int:
        return sum(not parameter.has_default for parameter in self.parameters)

    @property
    def max_arity(self) -> int | None:
        return None if self.variadic else len(self.parameters)

    def accepts_arity(self, count: int) -> bool:
        if count < self.min_arity:
            return False
        return self.max_arity is None or count <= self.max_arity


def _normalise_type(text: str) -> str:
    words = text.replace("&", " ").replace("*", " ").split()
    return " ".join(word for word in words if word != "const")


def _split_top_level(text: str) -> list[str]:
    """Split a parameter list on the commas that are not nested in brackets."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "(<[{":
            depth += 1
        elif char in ")>]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _parse_parameter(text: str) -> Parameter:
    declaration, equals, default = text.partition("=")
    declaration = declaration.strip()
    default = default.strip()
    match = re.match(r"^(.*?)\s*\b([A-Za-z_]\w*)$", declaration)
    if match is None or not match.group(1):
        # A bare name (no type) is passed through unchecked.
        return Parameter(declaration, "", bool(equals), default)
    cpp_type = _normalise_type(match.group(1))
    return Parameter(match.group(2), cpp_type, bool(equals), default)


def _matching_paren(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` just before ``start``, or -1."""
    depth = 1
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def parse_docstring_overloads(
    name: str, docstring: str | None, returns_if_unwritten: str = "void"
) -> list[Overload]:
    """Read the C++ signatures SimpleITK writes at the top of its docstrings.

    Parameters
    ----------
    name
        The function name, as it starts each signature.
    docstring
        The function's docstring.
    returns_if_unwritten
        Return type for signatures written without ``-> type``.

    Returns
    -------
    list of Overload
        One per signature, in docstring order; empty when there is none.
    """
    overloads: list[Overload] = []
    if not docstring:
        return overloads
    pattern = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*\(", re.MULTILINE)
    for match in pattern.finditer(docstring):
        end = _matching_paren(docstring, match.end())
        if end < 0:
            continue
        inner = " ".join(docstring[match.end() : end].split())
        rest = docstring[end + 1 :].split("\n", 1)[0].strip()
        returns = rest[2:].strip() if rest.startswith("->") else returns_if_unwritten
        parameters = tuple(_parse_parameter(part) for part in _split_top_level(inner))
        overloads.append(Overload(parameters, returns, f"({inner}) -> {returns}"))
    return overloads


def _annotation_type(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, type):
        text = annotation.__name__
    else:
        text = str(annotation)
    text = text.replace("typing.", "").replace("SimpleITK.SimpleITK.", "")
    return _ANNOTATION_TYPES.get(text, "")


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("SimpleITK.SimpleITK.", "")


def parse_python_signature(function: Callable[..., Any]) -> list[Overload]:
    """Describe a function written in Python from its ``inspect`` signature.

    Keyword-only parameters are left out: ImgQL passes arguments by position.

    Parameters
    ----------
    function
        A SimpleITK function without C++ signatures in its docstring.

    Returns
    -------
    list of Overload
        One overload; an empty list if Python cannot introspect the function.
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    parameters: list[Parameter] = []
    shown: list[str] = []
    variadic = False
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            variadic = True
            shown.append(f"*{parameter.name}")
            continue
        if parameter.kind not in (parameter.POSITIONAL_ONLY,
                                  parameter.POSITIONAL_OR_KEYWORD):  # fmt: skip
            continue
        has_default = parameter.default is not inspect.Parameter.empty
        default = repr(parameter.default) if has_default else ""
        cpp_type = _annotation_type(parameter.annotation)
        parameters.append(Parameter(parameter.name, cpp_type, has_default, default))
        written = parameter.name
        annotation = _annotation_text(parameter.annotation)
        if annotation:
            written = f"{annotation} {written}"
        if has_default:
            written += f"={parameter.default!r}"
        shown.append(written)
    returns = _annotation_text(signature.return_annotation) or "object"
    text = f"({', '.join(shown)}) -> {returns}"
    return [Overload(tuple(parameters), returns, text, variadic)]


def overloads_of(name: str, function: Callable[..., Any]) -> list[Overload]:
    """All known signatures of SimpleITK function ``name``.

    Parameters
    ----------
    name
        The function's name in the ``SimpleITK`` module.
    function
        The function itself.

    Returns
    -------
    list of Overload
        Never empty: a function nothing can be learnt about gets one variadic,
        untyped overload.
    """
    python_overloads = parse_python_signature(function)
    # Hand-written Python functions (Resample) document C++ signatures without
    # a return type; their Python annotation supplies it.
    python_returns = python_overloads[0].returns if python_overloads else "object"
    if python_returns == "object":
        python_returns = "void"
    overloads = parse_docstring_overloads(name, function.__doc__, python_returns)
    if not overloads:
        overloads = python_overloads
    if not overloads:
        logger.debug(
            "no signature found for SimpleITK %s; passing arguments as is", name
        )
        overloads = [Overload((), "object", "(...) -> object", variadic=True)]
    return overloads


# --- descriptions -------------------------------------------------------------


def _prose_paragraphs(docstring: str | None) -> list[str]:
    if not docstring:
        return []
    paragraphs = re.split(r"\n\s*\n", docstring)
    prose = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        # Signature paragraphs start with a call such as "Resample (" or "Add(".
        if not text or re.match(r"^[A-Za-z_]\w*\s*\(", text):
            continue
        prose.append(text)
    return prose


def _first_sentence(text: str) -> str:
    match = re.search(r"[.!?](\s|$)", text)
    return text[: match.start() + 1] if match else text


def describe(name: str, function: Callable[..., Any]) -> str:
    """One line saying what SimpleITK function ``name`` does.

    Taken from the function's docstring or, when that only holds signatures,
    from the docstring of the filter class it is the procedural form of.

    Parameters
    ----------
    name
        The function's name in the ``SimpleITK`` module.
    function
        The function itself.

    Returns
    -------
    str
        A single sentence.
    """
    prose = _prose_paragraphs(function.__doc__)
    # "itk::simple::ResampleImageFilter procedural interface." says less than
    # the filter class's own summary.
    if not prose or prose[0].endswith("procedural interface."):
        for class_name in (f"{name}ImageFilter", f"{name}Filter"):
            owner = getattr(sitk, class_name, None)
            if inspect.isclass(owner):
                class_prose = _prose_paragraphs(owner.__doc__)
                if class_prose:
                    prose = class_prose
                    break
    if not prose:
        return f"SimpleITK procedural function {name}."
    return _first_sentence(prose[0])


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


_SOURCE_LOCATION = re.compile(r"\S+\.(?:cxx|cpp|hxx|txx|hpp|h|c):\d+:\s*")
_OBJECT_ADDRESS = re.compile(r"\b\w+\(0x[0-9a-fA-F]+\):\s*")
_ERROR_TAGS = re.compile(r"\b(?:sitk::ERROR|ITK ERROR|ERROR):\s*")
_EXCEPTION_HEAD = re.compile(r"^Exception thrown in SimpleITK [\w:]+:\s*")


def simpleitk_error_message(name: str, error: BaseException) -> str:
    """SimpleITK's message for ``error`` without its C++ noise.

    Source file paths with line numbers, object addresses and ``ERROR:``
    tags are dropped, and the internal method SimpleITK names (such as
    ``ImageFileReader_Execute``) is replaced by the function the program
    called.

    Parameters
    ----------
    name
        The function the program called, e.g. ``"ReadImage"``.
    error
        The exception SimpleITK raised.

    Returns
    -------
    str
        For instance ``Exception thrown in SimpleITK ReadImage: The file
        "x.nii" does not exist.``
    """
    original = str(error)
    text = _SOURCE_LOCATION.sub("", original)
    text = _OBJECT_ADDRESS.sub("", text)
    text = _ERROR_TAGS.sub("", text)
    text = " ".join(text.split())
    body = _EXCEPTION_HEAD.sub("", text)
    if not body:
        return " ".join(original.split()) or f"SimpleITK {name} failed"
    return f"Exception thrown in SimpleITK {name}: {body}"


def _describe_arguments(args: Sequence[Any]) -> str:
    return ", ".join(_show(value) for value in args)


class SimpleITKFunction:
    """The callable of a SimpleITK primitive: coerce, call, translate errors.

    Pickles by name, so that a worker process rebuilds it from its own
    SimpleITK rather than receiving parsed signatures.

    Messages of the errors it raises do not repeat the primitive's name: the
    engine prefixes every failure with the qualified name already.
    """

    def __init__(
        self, name: str, function: Callable[..., Any], overloads: Sequence[Overload]
    ):
        self.name = name
        self.function = function
        self.overloads = tuple(overloads)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_function_named, (self.name,))

    def __repr__(self) -> str:
        return f"<SimpleITK function {self.name}>"

    def convert(self, args: Sequence[Any]) -> list[Any]:
        """Coerce ``args`` for the first overload that accepts them.

        Parameters
        ----------
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
        candidates = [o for o in self.overloads if o.accepts_arity(len(args))]
        if not candidates:
            raise TypeError(
                f"does not take {len(args)} arguments; "
                f"signatures: {self.signature_text()}"
            )
        dimension = _call_dimension(args)
        problems: list[tuple[Overload, _Mismatch]] = []
        for overload in candidates:
            try:
                return self._convert_for(overload, args, dimension)
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
        self, overload: Overload, args: Sequence[Any], dimension: int | None
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

    def signature_text(self) -> str:
        return " | ".join(overload.text for overload in self.overloads)

    def __call__(self, *args: Any) -> Any:
        converted = self.convert(args)
        try:
            return self.function(*converted)
        except RuntimeError as error:
            raise RuntimeError(simpleitk_error_message(self.name, error)) from error
        except (TypeError, NotImplementedError) as error:
            # SWIG's own type check, for arguments the docstring did not type.
            raise TypeError(
                f"SimpleITK rejected ({_describe_arguments(args)}): {error}; "
                f"signatures: {self.signature_text()}"
            ) from error


class SimpleITKConstant:
    """The callable of a zero-argument constant primitive such as ``sitkUInt8``."""

    def __init__(self, value: int):
        self.value = value

    def __call__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"<SimpleITK constant {self.value}>"


# --- the namespace ------------------------------------------------------------


def is_procedural_function(name: str) -> bool:
    """Whether ``name`` is a public function of SimpleITK's procedural API.

    Parameters
    ----------
    name
        A candidate name.

    Returns
    -------
    bool
        True for plain functions whose name starts with an uppercase letter;
        classes and module constants are not procedural functions.
    """
    if not name[:1].isupper() or not name.isidentifier():
        return False
    value = getattr(sitk, name, None)
    return inspect.isfunction(value) or inspect.isbuiltin(value)


def is_constant(name: str) -> bool:
    """Whether ``name`` is one of SimpleITK's ``sitk...`` integer constants.

    Parameters
    ----------
    name
        A candidate name.

    Returns
    -------
    bool
        True for names like ``sitkFloat32`` that hold an ``int``.
    """
    if not name.startswith(_CONSTANT_PREFIX) or not name.isidentifier():
        return False
    value = getattr(sitk, name, None)
    return isinstance(value, int) and not isinstance(value, bool)


class SimpleITKNamespace(Namespace):
    """Namespace exposing SimpleITK's procedural API, one primitive per function.

    Primitives are built on first lookup and cached, so a program using three
    SimpleITK functions parses three docstrings, not 350.
    """

    def __init__(self) -> None:
        super().__init__("simpleitk", version=PRIMITIVE_VERSION)
        self._names: list[str] | None = None

    def lookup(self, name: str) -> Primitive | None:
        """Return the primitive for SimpleITK function or constant ``name``.

        Parameters
        ----------
        name
            A procedural function (``BinaryThreshold``) or a constant
            (``sitkFloat32``).

        Returns
        -------
        Primitive or None
            None if SimpleITK has no such public function or constant.
        """
        cached = self._primitives.get(name)
        if cached is not None:
            return cached
        if is_constant(name):
            primitive = self._constant_primitive(name)
        elif is_procedural_function(name):
            primitive = self._function_primitive(name)
        else:
            return None
        # Two threads may build the same primitive; both copies are equal.
        return self._primitives.setdefault(name, primitive)

    def names(self) -> list[str]:
        """All function and constant names, without building their primitives."""
        if self._names is None:
            self._names = sorted(
                name
                for name in dir(sitk)
                if is_procedural_function(name) or is_constant(name)
            )
        return list(self._names)

    def _constant_primitive(self, name: str) -> Primitive:
        value = int(getattr(sitk, name))
        return Primitive(
            qualified_name=f"{self.name}.{name}",
            function=SimpleITKConstant(value),
            version=PRIMITIVE_VERSION,
            min_arity=0,
            max_arity=0,
            description=f"SimpleITK constant {name} (= {value}).",
            signature="() -> number",
            is_foldable=True,
        )

    def _function_primitive(self, name: str) -> Primitive:
        function = getattr(sitk, name)
        overloads = overloads_of(name, function)
        callable_ = SimpleITKFunction(name, function, overloads)
        maxima = [overload.max_arity for overload in overloads]
        sequence_returns = [
            overload.returns.startswith(("Vector", "Tuple", "List"))
            for overload in overloads
        ]
        return Primitive(
            qualified_name=f"{self.name}.{name}",
            function=callable_,
            version=PRIMITIVE_VERSION,
            min_arity=min(overload.min_arity for overload in overloads),
            max_arity=None if None in maxima else max(maxima),
            description=describe(name, function),
            signature=callable_.signature_text(),
            is_foldable=name.startswith(_FOLDABLE_PREFIXES),
            is_volatile=name.startswith(_VOLATILE_PREFIXES)
            or _seeded_by_clock(overloads),
            returns_sequence=all(sequence_returns),
            file_arguments=(0,) if name in _FILE_READERS else (),
        )


def _seeded_by_clock(overloads: Sequence[Overload]) -> bool:
    """Whether a call may draw its random seed from the clock (noise filters).

    Such results differ from run to run unless the program passes a seed, so
    they are treated as volatile rather than stored.
    """
    return any(
        parameter.name == "seed" and "WallClock" in parameter.default
        for overload in overloads
        for parameter in overload.parameters
    )


NAMESPACE = SimpleITKNamespace()


def _function_named(name: str) -> Callable[..., Any]:
    """Unpickle a :class:`SimpleITKFunction` by looking its name up again."""
    primitive = NAMESPACE.lookup(name)
    if primitive is None:
        raise LookupError(f"SimpleITK has no procedural function {name!r}")
    return primitive.function
