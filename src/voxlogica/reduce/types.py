"""Static types of ImgQL values, and a checker that runs on a whole plan.

The types:

``number``, ``bool``, ``string``
    scalars; integers and floats are both ``number``.
``image``, ``number image``, ``bool image``, ``colour image``
    an image whose pixels are numbers, truth values or colours; a plain
    ``image`` is one whose pixels are not known statically (a file read by
    SimpleITK, the output of a SimpleITK filter). An ``image`` parameter
    accepts every image, and an ``image`` argument is accepted by every image
    parameter, so only two *known* different pixel kinds clash: a number
    image where a bool image is wanted is an error, as in VoxLogicA 1, even
    though ``vox1`` would read it as non-zero voxels.
``sequence of T``
    what loops iterate over; an array literal whose items have different
    types is a *tuple* (``[number, string]``), whose items keep their own
    types when indexed by a constant (a pair of ``enumerate``).
``transform``
    a SimpleITK transform.
``any``
    unknown: compatible with everything, so a primitive whose signature
    cannot be read never causes an error.

Function types come from each primitive's ``signature`` string: one overload,
or several separated by `` | ``. Three dialects are read:

* ImgQL (``default``): ``(number, number) -> number | (string, string) ->
  string``; a parameter may be a union (``string | number``), ``T, ...``
  is any number of ``T`` and single capital letters are type variables
  (``(T, T) -> T``);
* VoxLogicA 1 (``vox1``): the same types written around the primitive's
  name: ``number image +. number -> number image``, ``!. bool -> bool``,
  ``tt -> bool image``, ``max(number image) -> number``;
* C++ (``simpleitk``): ``(Image image1, double lowerThreshold=0.0) ->
  Image``, whose types are mapped to ImgQL's (:func:`cpp_type`).

A call type-checks if some overload with a fitting number of parameters
accepts the argument types; its type joins the results of every overload
that does. The checker (:func:`check_plan`) walks the plan from its goals,
loop, filter and fold templates included, each template once per type of
its loop variable, iteratively, so a chain of any length is fine; it raises
:class:`TypeCheckError`, located at the offending node, on the first error.
:func:`annotate` adds the types to a task graph export, :func:`type_of` names
the type of one node.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voxlogica.diagnostics import ProgramError, Span
from voxlogica.primitives.registry import Primitive
from voxlogica.primitives.simpleitk.parsing import VECTOR_ELEMENTS
from voxlogica.reduce.plan import (
    Aggregate,
    Constant,
    EachGoal,
    Enumerate,
    Filter,
    Fold,
    Index,
    Items,
    Loop,
    NodeId,
    Operation,
    Parameter,
    Plan,
    Slice,
    Zip,
)

__all__ = [
    "ANY",
    "BOOL",
    "BOOL_IMAGE",
    "COLOUR_IMAGE",
    "IMAGE",
    "NUMBER",
    "NUMBER_IMAGE",
    "STRING",
    "TRANSFORM",
    "AnyType",
    "FunctionType",
    "ImageType",
    "Overload",
    "ScalarType",
    "SequenceType",
    "SignatureError",
    "SignatureParameter",
    "TupleType",
    "Type",
    "TypeCheckError",
    "TypeVariable",
    "UnionType",
    "annotate",
    "check_nodes",
    "check_plan",
    "compatible",
    "cpp_type",
    "element_type",
    "join",
    "parse_signature",
    "parse_type",
    "primitive_type",
    "sequence_of",
    "tuple_of",
    "type_name",
    "type_of",
]


# --- types --------------------------------------------------------------------


class Type:
    """A static type; instances are immutable, hashable and compare by value."""

    __slots__ = ()

    def __str__(self) -> str:
        return type_name(self)


@dataclass(frozen=True)
class AnyType(Type):
    """Unknown: accepted everywhere, accepts everything."""


@dataclass(frozen=True)
class ScalarType(Type):
    """``number``, ``bool``, ``string`` or ``transform``."""

    name: str


@dataclass(frozen=True)
class ImageType(Type):
    """An image; ``pixels`` is ``"number"``, ``"bool"``, ``"colour"`` or unknown."""

    pixels: str | None = None


@dataclass(frozen=True)
class SequenceType(Type):
    """A sequence whose elements all have type ``element``."""

    element: Type


@dataclass(frozen=True)
class TupleType(Type):
    """A fixed-length sequence whose items have different types."""

    items: tuple[Type, ...]


@dataclass(frozen=True)
class UnionType(Type):
    """One of ``options``; only written in signatures, never inferred."""

    options: tuple[Type, ...]


@dataclass(frozen=True)
class TypeVariable(Type):
    """``T`` in a signature: the same type at each of its occurrences."""

    name: str


@dataclass(frozen=True)
class SignatureParameter:
    """One parameter of an overload."""

    type: Type
    name: str = ""
    #: The parameter has a default, so a call may leave it out.
    optional: bool = False


@dataclass(frozen=True)
class Overload:
    """One signature of a primitive."""

    parameters: tuple[SignatureParameter, ...]
    result: Type
    #: Type of any number of further arguments (``...``); ``None`` if none.
    rest: Type | None = None

    @property
    def min_arity(self) -> int:
        return sum(not parameter.optional for parameter in self.parameters)

    def accepts_arity(self, count: int) -> bool:
        if count < self.min_arity:
            return False
        return self.rest is not None or count <= len(self.parameters)

    def parameter_at(self, position: int) -> SignatureParameter:
        if position < len(self.parameters):
            return self.parameters[position]
        return SignatureParameter(self.rest if self.rest is not None else ANY)


@dataclass(frozen=True)
class FunctionType(Type):
    """The type of a primitive: its overloads, in the order it declares them."""

    overloads: tuple[Overload, ...] = field(default=())


ANY = AnyType()
NUMBER = ScalarType("number")
BOOL = ScalarType("bool")
STRING = ScalarType("string")
TRANSFORM = ScalarType("transform")
IMAGE = ImageType()
NUMBER_IMAGE = ImageType("number")
BOOL_IMAGE = ImageType("bool")
COLOUR_IMAGE = ImageType("colour")


def sequence_of(element: Type) -> SequenceType:
    return SequenceType(element)


def tuple_of(items: Iterable[Type]) -> Type:
    """The type of an array with these item types.

    Items of one type make a ``sequence of`` that type, which keeps large
    arrays' types small; only mixed items need a tuple.
    """
    items = tuple(items)
    if not items:
        return SequenceType(ANY)
    first = items[0]
    if all(item == first for item in items):
        return SequenceType(first)
    return TupleType(items)


def type_name(value: Type) -> str:
    """The type as ImgQL writes it: ``number``, ``sequence of bool image``..."""
    if isinstance(value, AnyType):
        return "any"
    if isinstance(value, ScalarType):
        return value.name
    if isinstance(value, ImageType):
        return "image" if value.pixels is None else f"{value.pixels} image"
    if isinstance(value, SequenceType):
        element = value.element
        inner = type_name(element)
        if isinstance(element, UnionType | FunctionType):
            inner = f"({inner})"
        return f"sequence of {inner}"
    if isinstance(value, TupleType):
        return "[" + ", ".join(type_name(item) for item in value.items) + "]"
    if isinstance(value, UnionType):
        return " | ".join(type_name(option) for option in value.options)
    if isinstance(value, TypeVariable):
        return value.name
    if isinstance(value, FunctionType):
        return " | ".join(_overload_text(overload) for overload in value.overloads)
    raise TypeError(f"not a type: {value!r}")


def _overload_text(overload: Overload) -> str:
    shown = []
    for parameter in overload.parameters:
        text = type_name(parameter.type)
        if parameter.name:
            text += f" {parameter.name}"
        shown.append(text + ("?" if parameter.optional else ""))
    if overload.rest is not None:
        shown.append("...")
    return f"({', '.join(shown)}) -> {type_name(overload.result)}"


# --- relations between types ----------------------------------------------------


def element_type(sequence: Type) -> Type | None:
    """The type of the elements of ``sequence``; ``None`` if it is no sequence."""
    if isinstance(sequence, SequenceType):
        return sequence.element
    if isinstance(sequence, TupleType):
        return functools.reduce(join, sequence.items)
    if isinstance(sequence, AnyType):
        return ANY
    return None


def join(first: Type, second: Type) -> Type:
    """The most precise type that both ``first`` and ``second`` fit.

    Used where one node may hold either (a fold's accumulator, a template
    seen under several loop variables): images of two pixel kinds join to
    ``image``, sequences element-wise, anything else unrelated to ``any``.
    """
    if first == second:
        return first
    if isinstance(first, AnyType) or isinstance(second, AnyType):
        return ANY
    if isinstance(first, ImageType) and isinstance(second, ImageType):
        return IMAGE
    if isinstance(first, TupleType) and isinstance(second, TupleType):
        if len(first.items) == len(second.items):
            return tuple_of(map(join, first.items, second.items))
    first_element, second_element = element_type(first), element_type(second)
    if first_element is not None and second_element is not None:
        return SequenceType(join(first_element, second_element))
    return ANY


def compatible(actual: Type, expected: Type) -> bool:
    """Whether a value of type ``actual`` may be passed where ``expected`` is wanted."""
    return _fits(actual, expected, None)


def _fits(actual: Type, expected: Type, bindings: dict[str, Type] | None) -> bool:
    """``compatible``, binding the type variables of ``expected`` in ``bindings``."""
    if isinstance(expected, AnyType) or isinstance(actual, AnyType):
        return True
    if isinstance(expected, TypeVariable):
        if bindings is None:
            return True
        bound = bindings.get(expected.name)
        if bound is None:
            bindings[expected.name] = actual
            return True
        if _fits(actual, bound, None) or _fits(bound, actual, None):
            bindings[expected.name] = join(bound, actual)
            return True
        return False
    if isinstance(expected, UnionType):
        for option in expected.options:
            trial = None if bindings is None else dict(bindings)
            if _fits(actual, option, trial):
                if bindings is not None and trial is not None:
                    bindings.update(trial)
                return True
        return False
    if isinstance(actual, UnionType):
        # Unions come only from signatures' results; giving the benefit of the
        # doubt keeps such a primitive from causing false errors downstream.
        return any(_fits(option, expected, bindings) for option in actual.options)
    if isinstance(expected, ImageType):
        return isinstance(actual, ImageType) and (
            expected.pixels is None
            or actual.pixels is None
            or actual.pixels == expected.pixels
            # The spatial primitives read a bool image as the numbers 0 and 1
            # (docs/spatial-logic.md), so one may stand for a number image.
            or (expected.pixels == "number" and actual.pixels == "bool")
        )
    if isinstance(expected, SequenceType):
        if isinstance(actual, SequenceType):
            return _fits(actual.element, expected.element, bindings)
        if isinstance(actual, TupleType):
            return all(_fits(item, expected.element, bindings) for item in actual.items)
        return False
    if isinstance(expected, TupleType):
        if isinstance(actual, TupleType):
            return len(actual.items) == len(expected.items) and all(
                _fits(item, wanted, bindings)
                for item, wanted in zip(actual.items, expected.items, strict=True)
            )
        if isinstance(actual, SequenceType):
            return all(_fits(actual.element, item, bindings) for item in expected.items)
        return False
    return actual == expected


def _substitute(value: Type, bindings: Mapping[str, Type]) -> Type:
    if isinstance(value, TypeVariable):
        return bindings.get(value.name, ANY)
    if isinstance(value, SequenceType):
        return SequenceType(_substitute(value.element, bindings))
    if isinstance(value, TupleType):
        return tuple_of(_substitute(item, bindings) for item in value.items)
    if isinstance(value, UnionType):
        return UnionType(tuple(_substitute(o, bindings) for o in value.options))
    return value


# --- reading signatures ---------------------------------------------------------


class SignatureError(ValueError):
    """A signature or type text that cannot be read."""


_TYPE_WORDS: dict[str, Type] = {
    "number": NUMBER,
    "int": NUMBER,
    "integer": NUMBER,
    "float": NUMBER,
    "bool": BOOL,
    "boolean": BOOL,
    "string": STRING,
    "image": IMAGE,
    "transform": TRANSFORM,
    "any": ANY,
}
_IMAGE_KINDS = {
    "number": "number",
    "bool": "bool",
    "colour": "colour",
    "color": "colour",
}
_TYPE_TOKEN = re.compile(r"\s*(?:([()\[\],|])|([A-Za-z_]\w*))")


def _type_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TYPE_TOKEN.match(text, position)
        if match is None:
            raise SignatureError(f"cannot read type {text!r}")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


class _TypeReader:
    """Recursive descent over type tokens; types nest only a few levels deep."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _type_tokens(text)
        self.position = 0

    def fail(self) -> SignatureError:
        return SignatureError(f"cannot read type {self.text!r}")

    def peek(self) -> str | None:
        if self.position < len(self.tokens):
            return self.tokens[self.position]
        return None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail()
        self.position += 1
        return token

    def read(self) -> Type:
        value = self.union()
        if self.peek() is not None:
            raise self.fail()
        return value

    def union(self) -> Type:
        options = [self.term()]
        while self.peek() == "|":
            self.take()
            options.append(self.term())
        if len(options) == 1:
            return options[0]
        if any(isinstance(option, AnyType) for option in options):
            return ANY
        return UnionType(tuple(dict.fromkeys(options)))

    def term(self) -> Type:
        token = self.take()
        if token == "(":
            inner = self.union()
            if self.take() != ")":
                raise self.fail()
            return inner
        if token == "[":
            items = [self.union()]
            while self.peek() == ",":
                self.take()
                items.append(self.union())
            if self.take() != "]":
                raise self.fail()
            return tuple_of(items)
        if token == "sequence":
            if self.peek() == "of":
                self.take()
                return SequenceType(self.term())
            return SequenceType(ANY)
        if token in _IMAGE_KINDS and self.peek() == "image":
            self.take()
            return ImageType(_IMAGE_KINDS[token])
        if token in _TYPE_WORDS:
            return _TYPE_WORDS[token]
        if re.fullmatch(r"[A-Z]", token):
            return TypeVariable(token)
        raise self.fail()


def parse_type(text: str) -> Type:
    """Read an ImgQL type: ``number``, ``bool image``, ``sequence of string | number``.

    ``sequence of`` binds tighter than ``|``; parentheses group, ``[a, b]``
    is a tuple, a single capital letter a type variable.

    Raises
    ------
    SignatureError
        If the text is not a type.
    """
    return _TypeReader(text).read()


_CPP_INTEGERS = frozenset(
    {
        "uint8_t", "int8_t", "uint16_t", "int16_t", "uint32_t", "int32_t",
        "uint64_t", "int64_t", "unsigned int", "int", "unsigned long", "long",
        "size_t", "unsigned char", "char", "short", "unsigned short",
    }
)  # fmt: skip
_CPP_VECTOR_ELEMENTS = VECTOR_ELEMENTS
#: Python annotations wrapping other types, as SimpleITK's own functions write them.
_PYTHON_GENERIC = re.compile(r"^(Optional|Union|List|Iterable|Sequence|Tuple)\[(.*)\]$")


def _normalise_cpp(text: str) -> str:
    words = text.replace("&", " ").replace("*", " ").split()
    return " ".join(word for word in words if word != "const")


def cpp_type(text: str, *, as_result: bool = False) -> Type:
    """The ImgQL type of a value that a SimpleITK parameter of C++ type ``text`` takes.

    Numeric types and SimpleITK's enumerations are ``number``, strings and
    paths ``string``, ``Image`` is ``image``. A numeric vector parameter
    (``VectorUInt32``...) also takes a single number, which SimpleITK's
    wrapper repeats per axis; as a result (``as_result``) it is a sequence.
    Types with no ImgQL counterpart (``numpy.ndarray``, maps, ``void``) are
    ``any``.
    """
    text = _normalise_cpp(text)
    if text in ("Image", "itk::simple::Image"):
        return IMAGE
    if text.split("::")[-1].endswith("Transform"):
        return TRANSFORM
    if text in ("double", "float") or text in _CPP_INTEGERS:
        return NUMBER
    if text == "bool":
        return BOOL
    if text in ("std::string", "str", "pathlib.Path") or (
        text.split("::")[-1] == "PathType"
    ):
        return STRING
    if (
        text.endswith("Enum")
        or text.endswith("HashFunction")
        or (text.startswith("itk::simple::") and text.endswith("Type"))
    ):
        # SimpleITK's enumerations are plain integers in Python.
        return NUMBER
    generic = _PYTHON_GENERIC.match(text)
    if generic is not None:
        kind = generic.group(1)
        arguments = [
            cpp_type(argument, as_result=True)
            for argument in _split_top_level(generic.group(2), ",")
        ]
        if kind == "Optional" and arguments:
            return arguments[0]
        if kind == "Union":
            if not arguments or any(isinstance(a, AnyType) for a in arguments):
                return ANY
            unique = tuple(dict.fromkeys(arguments))
            return unique[0] if len(unique) == 1 else UnionType(unique)
        if kind == "Tuple":
            return tuple_of(arguments)
        if len(arguments) != 1:
            return SequenceType(ANY)
        return _vector(arguments[0], as_result)
    element = _CPP_VECTOR_ELEMENTS.get(text)
    vector = re.match(r"^std::vector<(.*)>$", text.replace(" ", ""))
    if element is None and vector is not None:
        element = vector.group(1)
    if element is not None:
        if text == "VectorUIntList" and not as_result:
            # A list of points also takes one point.
            point = SequenceType(NUMBER)
            return UnionType((point, SequenceType(point)))
        return _vector(cpp_type(element, as_result=as_result), as_result)
    return ANY


def _vector(element: Type, as_result: bool) -> Type:
    if not as_result and element in (NUMBER, BOOL):
        return UnionType((element, SequenceType(element)))
    return SequenceType(element)


_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _split_top_level(text: str, separator: str, angles: bool = True) -> list[str]:
    """Split ``text`` on ``separator`` outside brackets and quotes."""
    openers = "([{<" if angles else "([{"
    closers = ")]}>" if angles else ")]}"
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif text.startswith("->", index):
            index += 2
            continue
        elif char in openers:
            depth += 1
        elif char in closers:
            depth -= 1
        elif depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index])
            index += len(separator)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _split_overloads(text: str) -> list[str]:
    """The overloads of a signature, split at the `` | `` between them.

    A piece without ``->`` continues the result type of the piece before it
    (``(x) -> number | string``).
    """
    overloads: list[str] = []
    for piece in _split_top_level(text, " | ", angles=False):
        if _arrow_position(piece) >= 0 or not overloads:
            overloads.append(piece)
        else:
            overloads[-1] += " | " + piece
    return overloads


def _arrow_position(text: str) -> int:
    """Index of the ``->`` outside brackets that ends the parameters, or -1."""
    depth = 0
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith("->", index):
            return index
    return -1


def _opening_paren(text: str) -> int:
    """Index of the ``(`` matching the ``)`` that ends ``text``, or -1."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _imgql_parameter(text: str) -> SignatureParameter:
    try:
        return SignatureParameter(parse_type(text))
    except SignatureError:
        # "number image img": a type followed by a parameter name.
        declared, _, name = text.rpartition(" ")
        if not declared:
            raise
        return SignatureParameter(parse_type(declared), name)


_CPP_DECLARATION = re.compile(r"^(.*?)\s*\b([A-Za-z_]\w*)$")


def _cpp_parameter(text: str) -> SignatureParameter:
    declaration, equals, _ = text.partition("=")
    declaration = _normalise_cpp(declaration)
    match = _CPP_DECLARATION.match(declaration)
    if match is None or not match.group(1):
        # A bare name: SimpleITK passes such an argument through unchecked.
        return SignatureParameter(ANY, declaration, bool(equals))
    return SignatureParameter(cpp_type(match.group(1)), match.group(2), bool(equals))


def _parameters(
    text: str, dialect: str
) -> tuple[tuple[SignatureParameter, ...], Type | None]:
    parameters: list[SignatureParameter] = []
    rest: Type | None = None
    parts = [part for part in _split_top_level(text, ",") if part]
    for index, part in enumerate(parts):
        if part == "..." or (dialect == "c++" and part.startswith("*")):
            if index != len(parts) - 1:
                raise SignatureError(f"'...' must come last in ({text})")
            if part == "..." and dialect != "c++" and parameters:
                # "T, ..." is any number of T, none included: the registry's
                # arity, already checked by the reducer, says how many.
                rest = parameters.pop().type
            else:
                rest = ANY
            continue
        if dialect == "c++":
            parameters.append(_cpp_parameter(part))
        else:
            parameters.append(_imgql_parameter(part))
    return tuple(parameters), rest


def _operands(left: str, name: str, dialect: str):
    """Parameters of one overload's left-hand side, in any of the three forms."""
    left = left.strip()
    if left.endswith(")"):
        opening = _opening_paren(left)
        prefix = left[:opening].strip() if opening >= 0 else " "
        if opening >= 0 and not any(char.isspace() for char in prefix):
            return _parameters(left[opening + 1 : -1], dialect)
    if name and left == name:
        return (), None
    operand = _imgql_parameter if dialect != "c++" else _cpp_parameter
    if name and left.startswith(name + " "):
        return (operand(left[len(name) + 1 :]),), None
    if name and f" {name} " in left:
        first, _, second = left.partition(f" {name} ")
        return (operand(first), operand(second)), None
    raise SignatureError(f"cannot read the parameters of {left!r}")


def parse_signature(text: str, name: str = "", dialect: str = "imgql") -> FunctionType:
    """Read a primitive's signature into its function type.

    Parameters
    ----------
    text
        The signature: overloads separated by `` | ``.
    name
        The primitive's short name, which VoxLogicA 1 signatures are written
        around (``number image +. number -> number image``).
    dialect
        ``"imgql"`` for ImgQL type names, ``"c++"`` for SimpleITK's C++ and
        Python ones.

    Returns
    -------
    FunctionType
        One overload per signature, in order.

    Raises
    ------
    SignatureError
        If some overload cannot be read.
    """
    if not text.strip():
        raise SignatureError("empty signature")
    overloads = []
    for piece in _split_overloads(text.strip()):
        arrow = _arrow_position(piece)
        if arrow < 0:
            raise SignatureError(f"no '->' in {piece!r}")
        parameters, rest = _operands(piece[:arrow], name, dialect)
        written = piece[arrow + 2 :].strip()
        if dialect == "c++":
            result = cpp_type(written, as_result=True)
            if isinstance(result, AnyType):
                try:
                    result = parse_type(written)
                except SignatureError:
                    pass
        else:
            result = parse_type(written)
        overloads.append(Overload(parameters, result, rest))
    return FunctionType(tuple(overloads))


@functools.lru_cache(maxsize=4096)
def _cached_signature(text: str, name: str, dialect: str) -> FunctionType | None:
    try:
        return parse_signature(text, name, dialect)
    except SignatureError:
        return None


def primitive_type(primitive: Primitive) -> FunctionType | None:
    """The function type of ``primitive``; ``None`` if its signature is unreadable."""
    dialect = "c++" if primitive.namespace == "simpleitk" else "imgql"
    return _cached_signature(primitive.signature, primitive.name, dialect)


# --- errors -----------------------------------------------------------------------


class TypeCheckError(ProgramError):
    """A value whose type is not what a primitive, loop or index needs.

    ``expected`` and ``actual`` name the two types, as in the message.
    """

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        expected: str = "",
        actual: str = "",
    ):
        super().__init__(message, span)
        self.expected = expected
        self.actual = actual


class _CallMismatch(Exception):
    def __init__(self, position: int, name: str, expected: list[Type], actual: Type):
        super().__init__(position)
        self.position = position
        self.name = name
        self.expected = expected
        self.actual = actual


def _apply(function: FunctionType, arguments: Sequence[Type]) -> Type:
    """The type of a call; raises :class:`_CallMismatch` if no overload accepts it.

    Overloads whose arity does not fit are ignored; if none fits, the
    signature does not describe this call and the result is ``any``.
    """
    results: list[Type] = []
    failures: list[tuple[int, SignatureParameter, Type]] = []
    for overload in function.overloads:
        if not overload.accepts_arity(len(arguments)):
            continue
        bindings: dict[str, Type] = {}
        for position, actual in enumerate(arguments):
            parameter = overload.parameter_at(position)
            if not _fits(actual, parameter.type, bindings):
                expected = _substitute(parameter.type, bindings)
                failures.append((position, parameter, expected))
                break
        else:
            results.append(_substitute(overload.result, bindings))
    if results:
        return functools.reduce(join, results)
    if not failures:
        return ANY
    # Report where the best overload failed: the one that accepted the most
    # arguments, so "1 + 'a'" blames the 'a', not the 1.
    furthest = max(position for position, _, _ in failures)
    at_furthest = [(p, e) for position, p, e in failures if position == furthest]
    names = {parameter.name for parameter, _ in at_furthest}
    expected = list(dict.fromkeys(expected for _, expected in at_furthest))
    name = names.pop() if len(names) == 1 else ""
    raise _CallMismatch(furthest, name, expected, arguments[furthest])


# --- the checker ------------------------------------------------------------------

#: Rounds of a fold's accumulator type before giving up on precision.
_FOLD_ROUNDS = 8


@dataclass
class _Frame:
    node_id: NodeId
    #: Types of the loop variables, by level, where this node is evaluated.
    env: dict[int, Type]
    stage: int = 0
    key: Any = None
    extra: Any = None


class _Checker:
    """Types of plan nodes, each computed once per type of its free loop variables."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.closed: dict[NodeId, Type] = {}
        self.open: dict[tuple[NodeId, tuple[tuple[int, Type], ...]], Type] = {}
        self.types: dict[NodeId, Type] = {}
        #: Frames being evaluated, innermost last: where to look for a location
        #: when the offending node has none (a tuple pattern's index).
        self.frames: list[_Frame] = []
        #: Location of the goal being checked, the last resort.
        self.goal_span: Span | None = None

    # -- memo

    def key(self, node_id: NodeId, env: Mapping[int, Type]):
        free = self.plan.fact(node_id).free_levels
        if not free:
            return node_id
        return (node_id, tuple((level, env.get(level, ANY)) for level in sorted(free)))

    def known(self, key) -> bool:
        return key in self.closed if isinstance(key, str) else key in self.open

    def lookup(self, node_id: NodeId, env: Mapping[int, Type]) -> Type:
        key = self.key(node_id, env)
        return self.closed[key] if isinstance(key, str) else self.open[key]

    def store(self, frame: _Frame, value: Type) -> None:
        if isinstance(frame.key, str):
            self.closed[frame.key] = value
        else:
            self.open[frame.key] = value
        previous = self.types.get(frame.node_id)
        self.types[frame.node_id] = value if previous is None else join(previous, value)

    # -- walking

    def evaluate(self, root: NodeId, env: dict[int, Type] | None = None) -> Type:
        env = {} if env is None else env
        stack = self.frames = [_Frame(root, env)]
        while stack:
            frame = stack[-1]
            if frame.stage == 0:
                frame.key = self.key(frame.node_id, frame.env)
                if self.known(frame.key):
                    stack.pop()
                    continue
            pending = self.advance(frame)
            if pending is None:
                stack.pop()
                continue
            for child, child_env in reversed(pending):
                if not self.known(self.key(child, child_env)):
                    stack.append(_Frame(child, child_env))
        return self.lookup(root, env)

    def advance(self, frame: _Frame) -> list[tuple[NodeId, dict[int, Type]]] | None:
        """Do the next step of ``frame``: the children to type first, or ``None``."""
        node = self.plan.node(frame.node_id)
        env = frame.env
        if isinstance(node, Constant):
            self.store(frame, _constant_type(node.value))
            return None
        if isinstance(node, Parameter):
            self.store(frame, env.get(node.level, ANY))
            return None
        if isinstance(node, Loop | Filter):
            return self.advance_loop(frame, node)
        if isinstance(node, Fold):
            return self.advance_fold(frame, node)
        children = _value_children(node)
        if frame.stage == 0:
            frame.stage = 1
            return [(child, env) for child in children]
        types = [self.lookup(child, env) for child in children]
        self.store(frame, self.combine(frame.node_id, node, types))
        return None

    def advance_loop(self, frame: _Frame, node: Loop | Filter):
        what = "for" if isinstance(node, Loop) else "filter"
        template = node.body if isinstance(node, Loop) else node.predicate
        if frame.stage == 0:
            frame.stage = 1
            return [(node.sequence, frame.env)]
        if frame.stage == 1:
            element = self.element(frame.node_id, node.sequence, frame.env, what)
            frame.extra = ({**frame.env, node.level: element}, element)
            frame.stage = 2
            return [(template, frame.extra[0])]
        inner, element = frame.extra
        value = self.lookup(template, inner)
        if isinstance(node, Loop):
            self.store(frame, SequenceType(value))
            return None
        if not compatible(value, BOOL):
            raise self.error(
                node.predicate, "filter: the condition expects bool", BOOL, value
            )
        self.store(frame, SequenceType(element))
        return None

    def advance_fold(self, frame: _Frame, node: Fold):
        env = frame.env
        if frame.stage == 0:
            frame.stage = 1
            initial = [] if node.initial is None else [(node.initial, env)]
            return [(node.sequence, env), *initial]
        if frame.stage == 1:
            element = self.element(frame.node_id, node.sequence, env, "fold")
            accumulator = (
                element if node.initial is None else self.lookup(node.initial, env)
            )
            frame.stage = 2
            frame.extra = [element, accumulator, 0]
        else:
            element, accumulator, rounds = frame.extra
            step = self.lookup(
                node.step, self.fold_env(node, env, accumulator, element)
            )
            # The accumulator holds the initial value, then each step's
            # result: widen its type until a step no longer changes it.
            widened = join(accumulator, step)
            if widened == accumulator or rounds >= _FOLD_ROUNDS:
                self.store(frame, widened if widened == accumulator else ANY)
                return None
            frame.extra = [element, widened, rounds + 1]
        element, accumulator, _ = frame.extra
        return [(node.step, self.fold_env(node, env, accumulator, element))]

    @staticmethod
    def fold_env(node: Fold, env, accumulator: Type, element: Type) -> dict[int, Type]:
        return {**env, node.level: accumulator, node.level + 1: element}

    def element(self, node_id: NodeId, sequence: NodeId, env, what: str) -> Type:
        value = self.lookup(sequence, env)
        element = element_type(value)
        if element is None:
            raise self.error(node_id, f"{what}: expects a sequence", None, value)
        return element

    def combine(self, node_id: NodeId, node, types: list[Type]) -> Type:
        """The type of a node that is not a binder, from its children's types."""
        if isinstance(node, Operation):
            return self.call(node_id, node, types)
        if isinstance(node, Items):
            return tuple_of(types)
        if isinstance(node, Index):
            sequence, position = types
            if element_type(sequence) is None:
                raise self.error(node_id, "index: expects a sequence", None, sequence)
            if not compatible(position, NUMBER):
                raise self.error(
                    node_id, "index: the position expects number", NUMBER, position
                )
            constant = self.constant_position(node.position)
            if isinstance(sequence, TupleType) and constant is not None:
                if constant < len(sequence.items):
                    return sequence.items[constant]
            return element_type(sequence)
        if isinstance(node, Slice):
            sequence, *bounds = types
            if element_type(sequence) is None:
                raise self.error(node_id, "slice: expects a sequence", None, sequence)
            for bound in bounds:
                if not compatible(bound, NUMBER):
                    raise self.error(
                        node_id, "slice: a bound expects number", NUMBER, bound
                    )
            if isinstance(sequence, TupleType):
                start = 0 if node.start is None else self.constant_position(node.start)
                stop = (
                    len(sequence.items)
                    if node.stop is None
                    else self.constant_position(node.stop)
                )
                if start is not None and stop is not None:
                    return tuple_of(sequence.items[start:stop])
            return SequenceType(element_type(sequence))
        if isinstance(node, Enumerate):
            element = self.element_of(node_id, types[0], "enumerate")
            return SequenceType(tuple_of((NUMBER, element)))
        if isinstance(node, Zip):
            elements = [self.element_of(node_id, t, "zip") for t in types]
            return SequenceType(tuple_of(elements))
        if isinstance(node, Aggregate):
            element = self.element_of(node_id, types[0], node.kind)
            if node.kind == "argmax" and not compatible(element, NUMBER):
                raise self.error(
                    node_id,
                    "argmax: expects a sequence of number",
                    SequenceType(NUMBER),
                    types[0],
                )
            return NUMBER
        return ANY

    def element_of(self, node_id: NodeId, sequence: Type, what: str) -> Type:
        element = element_type(sequence)
        if element is None:
            raise self.error(node_id, f"{what}: expects a sequence", None, sequence)
        return element

    def constant_position(self, node_id: NodeId) -> int | None:
        node = self.plan.node(node_id)
        if isinstance(node, Constant) and not isinstance(node.value, bool):
            value = node.value
            if isinstance(value, int | float) and value == int(value) and value >= 0:
                return int(value)
        return None

    def call(self, node_id: NodeId, node: Operation, arguments: list[Type]) -> Type:
        primitive = self.plan.primitives.get(node.primitive)
        if primitive is None:
            return ANY
        function = primitive_type(primitive)
        if function is None:
            return SequenceType(ANY) if primitive.returns_sequence else ANY
        try:
            return _apply(function, arguments)
        except _CallMismatch as mismatch:
            label = f"argument {mismatch.position + 1}"
            if mismatch.name:
                label += f" ({mismatch.name})"
            expected = " or ".join(type_name(t) for t in mismatch.expected)
            actual = type_name(mismatch.actual)
            raise TypeCheckError(
                f"{node.primitive}: {label} expects {expected}, got {actual}",
                self.span_of(node_id),
                expected,
                actual,
            ).with_call_sites(self.plan.fact(node_id).call_sites) from None

    def error(
        self, node_id: NodeId, what: str, expected: Type | None, actual: Type
    ) -> TypeCheckError:
        wanted = "sequence" if expected is None else type_name(expected)
        got = type_name(actual)
        return TypeCheckError(
            f"{what}, got {got}", self.span_of(node_id), wanted, got
        ).with_call_sites(self.plan.fact(node_id).call_sites)

    def span_of(self, node_id: NodeId) -> Span | None:
        """Where ``node_id`` is written, or else the nearest node that uses it."""
        span = self.plan.fact(node_id).span
        if span is not None:
            return span
        for frame in reversed(self.frames):
            # Frames still at stage 0 are siblings waiting their turn; the
            # others wait for their children, so they are the node's users.
            if frame.stage == 0:
                continue
            span = self.plan.fact(frame.node_id).span
            if span is not None:
                return span
        return self.goal_span

    # -- goals

    def check_each_goal(self, goal: EachGoal) -> None:
        """``for … do print label value``: every label and path must be a string.

        Each element of a command loop is a list of ``[kind, target, value]``
        outputs and inner command loops; anything else is left alone.
        """
        pending = [goal.node_id]
        while pending:
            node = self.plan.node(pending.pop())
            if isinstance(node, Loop):
                pending.append(node.body)
                continue
            if not isinstance(node, Items):
                continue
            for item_id in node.items:
                item = self.plan.node(item_id)
                if isinstance(item, Loop):
                    pending.append(item_id)
                elif isinstance(item, Items) and len(item.items) == 3:
                    self.check_output(item, self.plan.fact(item_id).span or goal.span)

    def check_output(self, output: Items, span: Span) -> None:
        kind = self.plan.node(output.items[0])
        if not isinstance(kind, Constant) or kind.value not in ("print", "save"):
            return
        target = self.types.get(output.items[1], ANY)
        if not compatible(target, STRING):
            what = "print: the label" if kind.value == "print" else "save: the path"
            raise TypeCheckError(
                f"{what} expects string, got {type_name(target)}",
                span,
                "string",
                type_name(target),
            )


def _constant_type(value: Any) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    return ANY


def _value_children(node) -> tuple[NodeId, ...]:
    if isinstance(node, Operation):
        return node.arguments
    if isinstance(node, Items):
        return node.items
    if isinstance(node, Index):
        return (node.sequence, node.position)
    if isinstance(node, Slice):
        return tuple(c for c in (node.sequence, node.start, node.stop) if c is not None)
    if isinstance(node, Enumerate | Aggregate):
        return (node.sequence,)
    if isinstance(node, Zip):
        return node.sequences
    return ()


# --- API ----------------------------------------------------------------------------


def check_nodes(plan: Plan, roots: Iterable[NodeId]) -> dict[NodeId, Type]:
    """Type-check the nodes reachable from ``roots``, loop templates included.

    Returns
    -------
    dict
        The type of every node checked. A template node typed under several
        loop variable types (a function body mapped over numbers and over
        strings) gets their :func:`join`.

    Raises
    ------
    TypeCheckError
        At the first node whose arguments do not fit, in dependency order.
    """
    checker = _Checker(plan)
    for root in roots:
        checker.evaluate(root)
    return checker.types


def check_plan(plan: Plan) -> dict[NodeId, Type]:
    """Type-check everything the goals of ``plan`` compute, before running it.

    Loop, filter and fold templates are checked whatever their sequences
    hold, so an error in a loop over an empty dataset is still reported.

    Returns
    -------
    dict
        Node id to type, for :func:`annotate` and ``:type``.

    Raises
    ------
    TypeCheckError
        On the first error, located at the offending node.
    """
    checker = _Checker(plan)
    for goal in plan.goals:
        checker.goal_span = goal.span
        checker.evaluate(goal.node_id)
        if isinstance(goal, EachGoal):
            checker.check_each_goal(goal)
    return checker.types


def type_of(plan: Plan, node_id: NodeId) -> str:
    """The type name of one node (the REPL's ``:type``); checks it first."""
    return type_name(check_nodes(plan, [node_id])[node_id])


def annotate(plan_json: dict[str, Any], types: Mapping[NodeId, Type]) -> dict[str, Any]:
    """Add each node's static ``"type"`` to an export of :func:`plan_to_json`.

    A constant's entry already names its literal's kind (``int``, ``float``)
    under ``"type"``; that moves to ``"literal_type"``.

    Returns
    -------
    dict
        A copy of ``plan_json``; nodes without a known type are left as they are.
    """
    nodes = []
    for entry in plan_json.get("nodes", []):
        entry = dict(entry)
        known = types.get(entry.get("id"))
        if known is not None:
            if "type" in entry:
                entry["literal_type"] = entry["type"]
            entry["type"] = type_name(known)
        nodes.append(entry)
    return {**plan_json, "nodes": nodes}
