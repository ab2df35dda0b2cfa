"""Tests for the prelude namespace ``default``."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxlogica.primitives.registry import load_namespace

NAMESPACE = load_namespace("default")

EXPECTED_NAMES = {
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!",
    "&", "|",
    "min", "max", "abs", "floor", "ceil", "round", "sqrt", "range",
}  # fmt: skip
STRING_NAMES = {
    "concat", "format", "to_string", "to_number", "basename", "dirname", "stem",
    "extension", "join_path", "replace", "starts_with", "ends_with", "contains",
    "dir",
}  # fmt: skip


def call(name, *args):
    primitive = NAMESPACE.lookup(name)
    assert primitive is not None, name
    assert primitive.accepts_arity(len(args)), (name, len(args))
    return primitive.function(*args)


def test_exactly_the_prelude_names_are_defined():
    assert set(NAMESPACE.names()) == EXPECTED_NAMES | STRING_NAMES
    for spatial_name in ("and", "or", "not"):
        assert NAMESPACE.lookup(spatial_name) is None


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_primitive_is_foldable_and_documented(name):
    primitive = NAMESPACE.lookup(name)
    assert primitive.qualified_name == f"default.{name}"
    assert primitive.is_foldable
    assert not primitive.is_volatile
    assert "->" in primitive.signature
    assert primitive.description and "\n" not in primitive.description
    assert primitive.returns_sequence == (name == "range")


@pytest.mark.parametrize(
    ("name", "arity"),
    [("+", 2), ("-", 1), ("-", 2), ("!", 1), ("range", 1), ("range", 2),
     ("min", 2), ("sqrt", 1)],
)  # fmt: skip
def test_accepted_arities(name, arity):
    assert NAMESPACE.lookup(name).accepts_arity(arity)


@pytest.mark.parametrize(
    ("name", "arity"), [("+", 1), ("-", 3), ("!", 2), ("range", 0), ("range", 3)]
)
def test_rejected_arities(name, arity):
    assert not NAMESPACE.lookup(name).accepts_arity(arity)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("+", (1, 2), 3),
        ("+", (1, 0.5), 1.5),
        ("+", ("ab", "cd"), "abcd"),
        ("-", (5,), -5),
        ("-", (-0.5,), 0.5),
        ("-", (5, 7), -2),
        ("*", (3, 4), 12),
        ("*", (1.5, 2), 3.0),
        ("/", (3, 2), 1.5),
        ("/", (4, 2), 2.0),
        ("/", (-1, 4), -0.25),
        ("%", (7, 3), 1),
        ("%", (-7, 3), 2),
        ("%", (7.5, 2), 1.5),
        ("==", (1, 1.0), True),
        ("==", (True, False), False),
        ("==", ("a", "a"), True),
        ("!=", (1, 2), True),
        ("!=", ("a", "a"), False),
        ("<", (1, 2), True),
        ("<", ("b", "a"), False),
        ("<=", (2, 2), True),
        (">", (2.5, 2), True),
        (">=", (1, 2), False),
        ("&&", (True, False), False),
        ("&&", (True, True), True),
        ("||", (False, True), True),
        ("||", (False, False), False),
        ("!", (True,), False),
        ("!", (False,), True),
        ("min", (3, -1.5), -1.5),
        ("max", (3, -1.5), 3),
        ("abs", (-4,), 4),
        ("abs", (-0.25,), 0.25),
        ("floor", (2.7,), 2),
        ("floor", (-2.1,), -3),
        ("ceil", (2.1,), 3),
        ("ceil", (-2.7,), -2),
        ("round", (2.5,), 3),
        ("round", (-2.5,), -3),
        ("round", (2.4999,), 2),
        ("round", (0.49999999999999994,), 0),
        ("round", (7,), 7),
        ("sqrt", (9,), 3.0),
        ("sqrt", (2.25,), 1.5),
    ],
)
def test_operator_results(name, args, expected):
    result = call(name, *args)
    assert result == expected
    # bool == int in Python, so the type has to be checked separately.
    assert type(result) is type(expected)


@pytest.mark.parametrize("name", ["floor", "ceil", "round"])
def test_rounding_returns_integers(name):
    assert type(call(name, 2.2)) is int


def test_numpy_scalars_are_numbers():
    assert call("+", np.int64(2), np.float32(0.5)) == 2.5
    assert type(call("+", np.int64(2), np.int64(3))) is int
    assert call("!", np.bool_(False)) is True


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("+", (True, 1)),
        ("+", (1, True)),
        ("+", ("a", 1)),
        ("+", (1, "a")),
        ("-", (True,)),
        ("-", ("a", 1)),
        ("*", ("ab", 3)),
        ("*", (False, 3)),
        ("/", (True, 2)),
        ("%", (5, False)),
        ("==", (1, True)),
        ("==", ("1", 1)),
        ("!=", (0, False)),
        ("<", (True, False)),
        ("<", (1, "a")),
        (">=", (1, True)),
        ("&&", (1, True)),
        ("||", (False, 0)),
        ("!", (0,)),
        ("!", (1.0,)),
        ("!", ("true",)),
        ("min", (True, 1)),
        ("max", ("a", "b")),
        ("abs", (True,)),
        ("sqrt", ("4",)),
        ("floor", (False,)),
        ("range", (True,)),
        ("range", ("3",)),
        ("range", (2.5,)),
        ("range", (0, 2.5)),
        ("range", (float("nan"),)),
    ],
)
def test_type_errors(name, args):
    with pytest.raises(TypeError, match=f"^'{re.escape(name)}'"):
        call(name, *args)


def test_type_error_shows_offending_values():
    with pytest.raises(TypeError) as caught:
        call("+", True, 1)
    message = str(caught.value)
    assert "true" in message and "1" in message
    with pytest.raises(TypeError, match="'!' needs a boolean.*got 1"):
        call("!", 1)
    with pytest.raises(TypeError, match="got 2.5"):
        call("range", 2.5)


def test_type_error_does_not_embed_big_reprs():
    array = np.zeros(1000)
    with pytest.raises(TypeError) as caught:
        call("+", array, 1)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("name", "args", "pattern"),
    [
        ("/", (1, 0), "division by zero: 1 / 0"),
        ("/", (1.5, 0.0), "division by zero: 1.5 / 0.0"),
        ("%", (1, 0), "modulo by zero"),
        ("sqrt", (-1,), "negative.*-1"),
        ("floor", (math.inf,), "inf"),
        ("ceil", (math.nan,), "nan"),
        ("round", (-math.inf,), "-inf"),
        ("/", (10**400, 3), "overflow"),
    ],
)
def test_value_errors(name, args, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(name, *args)


def test_range_is_lazy():
    result = call("range", 10**12)
    assert isinstance(result, range)
    assert len(result) == 10**12


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((3,), range(3)),
        ((2.0,), range(2)),
        ((2, 5), range(2, 5)),
        ((2.0, 5.0), range(2, 5)),
        ((5, 2), range(5, 2)),
        ((-2,), range(0)),
        ((np.int32(3),), range(3)),
    ],
)
def test_range_values(args, expected):
    result = call("range", *args)
    assert isinstance(result, range)
    assert result == expected


numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@given(numbers, numbers)
def test_arithmetic_agrees_with_python_on_numbers(a, b):
    assert call("+", a, b) == a + b
    assert call("-", a, b) == a - b
    assert call("*", a, b) == a * b
    assert call("<", a, b) == (a < b)
    assert call("min", a, b) == min(a, b)
    if b != 0:
        assert call("/", a, b) == a / b


@given(st.floats(-1e9, 1e9, allow_nan=False))
def test_round_is_within_half(value):
    result = call("round", value)
    assert abs(result - value) <= 0.5
    assert call("floor", value) <= value <= call("ceil", value)
