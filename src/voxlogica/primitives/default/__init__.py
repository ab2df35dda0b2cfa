"""The ``default`` namespace: the prelude every ImgQL program sees.

Operators and small functions on numbers, booleans and strings. Every
primitive here is pure and cheap, hence foldable: with constant arguments the
reducer computes the result while it builds the plan.

ImgQL keeps three scalar kinds apart even though Python does not: numbers
(``int`` and ``float``), booleans and strings. ``true + 1`` is therefore a
``TypeError`` here although Python would happily answer ``2``. Spatial
operators on images (``and``, ``or``, ``not``...) live in other namespaces.

Rounding conventions, chosen to match what people expect rather than what
Python does by default:

* ``/`` is true division (``3 / 2`` is ``1.5``); dividing by zero is an error,
  never ``inf``.
* ``%`` follows Python: the result has the sign of the divisor.
* ``round`` rounds halves away from zero (``round(2.5)`` is ``3``,
  ``round(-2.5)`` is ``-3``), and ``round``, ``floor`` and ``ceil`` return
  integers.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any

from voxlogica.primitives.registry import Namespace

NAMESPACE = Namespace("default")

_NUMBER_TO_NUMBER = "(number) -> number"
_NUMBERS_TO_NUMBER = "(number, number) -> number"
_NUMBERS_TO_BOOL = "(number, number) -> bool"


def _is_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    # numpy is only consulted if some other code already loaded it: the
    # prelude must stay cheap to import.
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.bool_)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _plain_number(value: Any) -> int | float:
    """Turn numpy scalars into the Python ``int``/``float`` they stand for."""
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def _kind(value: Any) -> str:
    if _is_bool(value):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _show(value: Any) -> str:
    """Render an offending value for an error message, in ImgQL's spelling.

    Booleans appear as ``true``/``false`` because that is how the user wrote
    them; scalars use ``repr``; anything bigger is named by its type so that a
    message never embeds the repr of a whole image.
    """
    if _is_bool(value):
        return "true" if value else "false"
    if isinstance(value, (numbers.Real, str)):
        return repr(value)
    return f"a {type(value).__name__}"


def _numbers(operator: str, *values: Any) -> list[int | float]:
    if all(_is_number(value) for value in values):
        return [_plain_number(value) for value in values]
    shown = " and ".join(_show(value) for value in values)
    wanted = "a number" if len(values) == 1 else f"{len(values)} numbers"
    raise TypeError(f"{operator!r} needs {wanted}, got {shown}")


def _booleans(operator: str, *values: Any) -> list[bool]:
    if all(_is_bool(value) for value in values):
        return [bool(value) for value in values]
    shown = " and ".join(_show(value) for value in values)
    wanted = "a boolean" if len(values) == 1 else f"{len(values)} booleans"
    raise TypeError(f"{operator!r} needs {wanted} (true or false), got {shown}")


def _checked(operator: str, left: Any, right: Any, compute: Any) -> int | float:
    """Run ``compute`` and report float overflow as a clear ``ValueError``."""
    try:
        return compute()
    except OverflowError as error:
        raise ValueError(
            f"{_show(left)} {operator} {_show(right)} overflows: {error}"
        ) from None


def _integer(operator: str, what: str, value: Any) -> int:
    """Accept an integer, or a float with an integral value such as ``2.0``."""
    if _is_number(value):
        if isinstance(value, numbers.Integral):
            return int(value)
        if math.isfinite(value) and float(value).is_integer():
            return int(value)
    raise TypeError(f"{operator!r} needs an integer {what}, got {_show(value)}")


def _primitive(
    name: str,
    arity: int | tuple[int, int | None],
    signature: str,
    description: str,
    **flags: Any,
):
    return NAMESPACE.primitive(
        name,
        arity=arity,
        signature=signature,
        description=description,
        foldable=True,
        **flags,
    )


# --- arithmetic ---------------------------------------------------------------


@_primitive(
    "+",
    2,
    "(number, number) -> number | (string, string) -> string",
    "Add two numbers, or concatenate two strings.",
)
def add(left: Any, right: Any) -> int | float | str:
    """Add two numbers or concatenate two strings.

    Parameters
    ----------
    left, right
        Two numbers, or two strings.

    Returns
    -------
    int, float or str
        The sum, or the concatenation.

    Raises
    ------
    TypeError
        If the operands are not both numbers or both strings.
    """
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if _is_number(left) and _is_number(right):
        a, b = _plain_number(left), _plain_number(right)
        return _checked("+", a, b, lambda: a + b)
    raise TypeError(
        f"'+' needs two numbers or two strings, got {_show(left)} and {_show(right)}"
    )


@_primitive(
    "-",
    (1, 2),
    "(number) -> number | (number, number) -> number",
    "Negate a number, or subtract the second number from the first.",
)
def subtract(left: Any, right: Any = None) -> int | float:
    """Negate one number, or subtract two.

    Parameters
    ----------
    left
        The number to negate, or the minuend.
    right
        The subtrahend; omitted for negation.

    Returns
    -------
    int or float
        ``-left`` or ``left - right``.

    Raises
    ------
    TypeError
        If an operand is not a number.
    """
    if right is None:
        (a,) = _numbers("-", left)
        return -a
    a, b = _numbers("-", left, right)
    return _checked("-", a, b, lambda: a - b)


@_primitive("*", 2, _NUMBERS_TO_NUMBER, "Multiply two numbers.")
def multiply(left: Any, right: Any) -> int | float:
    """Multiply two numbers.

    Raises
    ------
    TypeError
        If an operand is not a number.
    """
    a, b = _numbers("*", left, right)
    return _checked("*", a, b, lambda: a * b)


@_primitive("/", 2, _NUMBERS_TO_NUMBER, "Divide two numbers (true division).")
def divide(left: Any, right: Any) -> float:
    """Divide two numbers; ``3 / 2`` is ``1.5``.

    Raises
    ------
    TypeError
        If an operand is not a number.
    ValueError
        On division by zero, or if the quotient does not fit in a float.
    """
    a, b = _numbers("/", left, right)
    if b == 0:
        raise ValueError(f"division by zero: {_show(left)} / {_show(right)}")
    return _checked("/", a, b, lambda: a / b)


@_primitive(
    "%",
    2,
    _NUMBERS_TO_NUMBER,
    "Remainder of a division; the result has the sign of the divisor.",
)
def modulo(left: Any, right: Any) -> int | float:
    """Remainder of ``left / right``, with the sign of ``right`` (as in Python).

    Raises
    ------
    TypeError
        If an operand is not a number.
    ValueError
        If ``right`` is zero.
    """
    a, b = _numbers("%", left, right)
    if b == 0:
        raise ValueError(f"modulo by zero: {_show(left)} % {_show(right)}")
    return a % b


# --- comparison ---------------------------------------------------------------


def _same_kind(operator: str, left: Any, right: Any, kinds: tuple[str, ...]) -> None:
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind == right_kind and left_kind in kinds:
        return
    accepted = " or ".join(f"two {kind}s" for kind in kinds)
    raise TypeError(
        f"{operator!r} compares {accepted}, got {_show(left)} ({left_kind}) "
        f"and {_show(right)} ({right_kind})"
    )


_EQUALITY_KINDS = ("number", "bool", "string")
_ORDER_KINDS = ("number", "string")
_EQUALITY_SIGNATURE = (
    "(number, number) -> bool | (bool, bool) -> bool | (string, string) -> bool"
)
_ORDER_SIGNATURE = "(number, number) -> bool | (string, string) -> bool"


@_primitive("==", 2, _EQUALITY_SIGNATURE, "True if two values of one kind are equal.")
def equal(left: Any, right: Any) -> bool:
    """Equality of two numbers, two booleans or two strings.

    Raises
    ------
    TypeError
        If the operands are of different kinds (``1 == true`` is an error,
        not ``true``).
    """
    _same_kind("==", left, right, _EQUALITY_KINDS)
    return bool(left == right)


@_primitive(
    "!=", 2, _EQUALITY_SIGNATURE, "True if two values of one kind are different."
)
def not_equal(left: Any, right: Any) -> bool:
    """Inequality of two numbers, two booleans or two strings.

    Raises
    ------
    TypeError
        If the operands are of different kinds.
    """
    _same_kind("!=", left, right, _EQUALITY_KINDS)
    return bool(left != right)


@_primitive("<", 2, _ORDER_SIGNATURE, "True if the first value is smaller.")
def less(left: Any, right: Any) -> bool:
    """``left < right`` for two numbers or two strings.

    Raises
    ------
    TypeError
        If the operands are not two numbers or two strings.
    """
    _same_kind("<", left, right, _ORDER_KINDS)
    return bool(left < right)


@_primitive("<=", 2, _ORDER_SIGNATURE, "True if the first value is smaller or equal.")
def less_equal(left: Any, right: Any) -> bool:
    """``left <= right`` for two numbers or two strings.

    Raises
    ------
    TypeError
        If the operands are not two numbers or two strings.
    """
    _same_kind("<=", left, right, _ORDER_KINDS)
    return bool(left <= right)


@_primitive(">", 2, _ORDER_SIGNATURE, "True if the first value is greater.")
def greater(left: Any, right: Any) -> bool:
    """``left > right`` for two numbers or two strings.

    Raises
    ------
    TypeError
        If the operands are not two numbers or two strings.
    """
    _same_kind(">", left, right, _ORDER_KINDS)
    return bool(left > right)


@_primitive(">=", 2, _ORDER_SIGNATURE, "True if the first value is greater or equal.")
def greater_equal(left: Any, right: Any) -> bool:
    """``left >= right`` for two numbers or two strings.

    Raises
    ------
    TypeError
        If the operands are not two numbers or two strings.
    """
    _same_kind(">=", left, right, _ORDER_KINDS)
    return bool(left >= right)


# --- logic --------------------------------------------------------------------


@_primitive("&&", 2, "(bool, bool) -> bool", "Logical and of two booleans.")
def logical_and(left: Any, right: Any) -> bool:
    """Logical and.

    Both operands are already evaluated when this runs (ImgQL is strict), so
    there is no short circuit to preserve.

    Raises
    ------
    TypeError
        If an operand is not a boolean.
    """
    a, b = _booleans("&&", left, right)
    return a and b


@_primitive("||", 2, "(bool, bool) -> bool", "Logical or of two booleans.")
def logical_or(left: Any, right: Any) -> bool:
    """Logical or.

    Raises
    ------
    TypeError
        If an operand is not a boolean.
    """
    a, b = _booleans("||", left, right)
    return a or b


# VoxLogicA 1 programs write `&` and `|` for conjunction and disjunction; on
# booleans they mean what `&&` and `||` mean (the spatial library redefines
# them for images, and a user declaration shadows these).
_primitive("&", 2, "(bool, bool) -> bool", "Logical and of two booleans (as &&).")(
    logical_and
)
_primitive("|", 2, "(bool, bool) -> bool", "Logical or of two booleans (as ||).")(
    logical_or
)


@_primitive("!", 1, "(bool) -> bool", "Logical negation of a boolean.")
def logical_not(value: Any) -> bool:
    """Logical negation.

    Raises
    ------
    TypeError
        If the operand is not a boolean; numbers are not truth values.
    """
    (a,) = _booleans("!", value)
    return not a


# --- named functions ----------------------------------------------------------


@_primitive("min", 2, _NUMBERS_TO_NUMBER, "The smaller of two numbers.")
def minimum(left: Any, right: Any) -> int | float:
    """The smaller of two numbers.

    Raises
    ------
    TypeError
        If an operand is not a number.
    """
    a, b = _numbers("min", left, right)
    return min(a, b)


@_primitive("max", 2, _NUMBERS_TO_NUMBER, "The greater of two numbers.")
def maximum(left: Any, right: Any) -> int | float:
    """The greater of two numbers.

    Raises
    ------
    TypeError
        If an operand is not a number.
    """
    a, b = _numbers("max", left, right)
    return max(a, b)


@_primitive("abs", 1, _NUMBER_TO_NUMBER, "Absolute value of a number.")
def absolute(value: Any) -> int | float:
    """Absolute value; an integer stays an integer.

    Raises
    ------
    TypeError
        If the operand is not a number.
    """
    (a,) = _numbers("abs", value)
    return abs(a)


def _to_integer(operator: str, value: int | float, convert: Any) -> int:
    try:
        return convert(value)
    except (OverflowError, ValueError):
        raise ValueError(f"{operator}({_show(value)}) has no integer value") from None


@_primitive("floor", 1, _NUMBER_TO_NUMBER, "Largest integer not greater than x.")
def floor(value: Any) -> int:
    """Round down to an integer.

    Raises
    ------
    TypeError
        If the operand is not a number.
    ValueError
        For infinities and NaN.
    """
    (a,) = _numbers("floor", value)
    return _to_integer("floor", a, math.floor)


@_primitive("ceil", 1, _NUMBER_TO_NUMBER, "Smallest integer not less than x.")
def ceil(value: Any) -> int:
    """Round up to an integer.

    Raises
    ------
    TypeError
        If the operand is not a number.
    ValueError
        For infinities and NaN.
    """
    (a,) = _numbers("ceil", value)
    return _to_integer("ceil", a, math.ceil)


def _round_half_away(value: int | float) -> int:
    if value < 0:
        return -_round_half_away(-value)
    lower = math.floor(value)
    # value - floor(value) is exact in binary floating point, so this does not
    # suffer the classic floor(x + 0.5) error on 0.49999999999999994.
    return lower + 1 if value - lower >= 0.5 else lower


@_primitive(
    "round", 1, _NUMBER_TO_NUMBER, "Nearest integer; halves round away from zero."
)
def round_(value: Any) -> int:
    """Round to the nearest integer, halves away from zero (``round(2.5)`` is 3).

    Raises
    ------
    TypeError
        If the operand is not a number.
    ValueError
        For infinities and NaN.
    """
    (a,) = _numbers("round", value)
    return _to_integer("round", a, _round_half_away)


@_primitive("sqrt", 1, _NUMBER_TO_NUMBER, "Square root of a non-negative number.")
def square_root(value: Any) -> float:
    """Square root, as a float.

    Raises
    ------
    TypeError
        If the operand is not a number.
    ValueError
        If the operand is negative.
    """
    (a,) = _numbers("sqrt", value)
    if a < 0:
        raise ValueError(f"sqrt of a negative number: {_show(value)}")
    return math.sqrt(a)


@_primitive(
    "range",
    (1, 2),
    "(number) -> sequence of number | (number, number) -> sequence of number",
    "Integers from start (default 0) up to, not including, stop.",
    returns_sequence=True,
)
def integer_range(first: Any, second: Any = None) -> range:
    """The integers ``start, start + 1, ..., stop - 1``.

    Called as ``range(stop)`` or ``range(start, stop)``. The result is a lazy
    Python ``range`` so that ``range(1000000)`` costs nothing until iterated.

    Raises
    ------
    TypeError
        If a bound is not an integer; ``2.0`` is accepted, ``2.5`` is not.
    """
    if second is None:
        return range(_integer("range", "stop", first))
    return range(_integer("range", "start", first), _integer("range", "stop", second))


from voxlogica.primitives.default import strings as _strings  # noqa: E402, F401
