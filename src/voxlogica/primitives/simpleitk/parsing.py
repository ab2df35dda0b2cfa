"""Signatures and descriptions of SimpleITK functions, read from their docstrings.

SimpleITK writes one C++ signature per overload at the top of each procedural
function's docstring::

    BinaryThreshold(Image image1, double lowerThreshold=0.0, ...) -> Image
    Add(Image image1, Image image2) -> Image
    Add(Image image1, double constant) -> Image

This module turns those lines (or, for functions SimpleITK writes in Python,
their ``inspect`` signature) into :class:`Overload` objects, and picks a
one-line description. It never imports SimpleITK itself: callers pass the
function, and the module when a filter class has to be consulted, so that the
namespace can be described from a cached manifest without loading the library.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

#: Element type of each SimpleITK vector type in its signatures (C++ names).
VECTOR_ELEMENTS = {
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

logger = logging.getLogger(__name__)

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


def signature_text(overloads: Sequence[Overload]) -> str:
    """The overloads as one line, e.g. ``"(Image i, Image j) -> Image | ..."``."""
    return " | ".join(overload.text for overload in overloads)


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


def describe(name: str, function: Callable[..., Any], module: ModuleType) -> str:
    """One line saying what SimpleITK function ``name`` does.

    Taken from the function's docstring or, when that only holds signatures,
    from the docstring of the filter class it is the procedural form of.

    Parameters
    ----------
    name
        The function's name in the ``SimpleITK`` module.
    function
        The function itself.
    module
        The ``SimpleITK`` module, where the filter class is looked up.

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
            owner = getattr(module, class_name, None)
            if inspect.isclass(owner):
                class_prose = _prose_paragraphs(owner.__doc__)
                if class_prose:
                    prose = class_prose
                    break
    if not prose:
        return f"SimpleITK procedural function {name}."
    return _first_sentence(prose[0])
