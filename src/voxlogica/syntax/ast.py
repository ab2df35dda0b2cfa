"""The abstract syntax of ImgQL.

A program is a tuple of *commands* (declarations, imports, print, save);
commands contain *expressions*. Every node carries the :class:`Span` where it
starts. Operators are ordinary function names: ``a + b`` is
``Call("+", (a, b))``, so user-defined operators need no special case after
parsing.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxlogica.diagnostics import Span

# -- expressions ------------------------------------------------------------


@dataclass(frozen=True)
class NumberLiteral:
    value: int | float
    span: Span


@dataclass(frozen=True)
class BooleanLiteral:
    value: bool
    span: Span


@dataclass(frozen=True)
class StringLiteral:
    value: str
    span: Span


@dataclass(frozen=True)
class Name:
    """A reference to a variable, a nullary function or a primitive."""

    name: str
    span: Span


@dataclass(frozen=True)
class Call:
    """``function(arguments…)``, also the result of infix and prefix operators."""

    function: str
    arguments: tuple[Expression, ...]
    span: Span


@dataclass(frozen=True)
class LetIn:
    """``let name(parameters) = value in body``; ``parameters`` is None for values."""

    name: str
    parameters: tuple[str, ...] | None
    value: Expression
    body: Expression
    span: Span


@dataclass(frozen=True)
class ForLoop:
    """``for variable in sequence do body``: a lazy sequence, one body per element."""

    variable: str
    sequence: Expression
    body: Expression
    span: Span


Expression = NumberLiteral | BooleanLiteral | StringLiteral | Name | Call | LetIn | ForLoop

# -- commands ---------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """``let name = body`` or ``let name(p, q) = body`` (``parameters`` None or a tuple)."""

    name: str
    parameters: tuple[str, ...] | None
    body: Expression
    span: Span


@dataclass(frozen=True)
class Import:
    """``import "namespace"`` or ``import "file.imgql"``."""

    target: str
    span: Span


@dataclass(frozen=True)
class Print:
    label: str
    value: Expression
    span: Span


@dataclass(frozen=True)
class Save:
    path: str
    value: Expression
    span: Span


Command = Declaration | Import | Print | Save


@dataclass(frozen=True)
class Program:
    file: str
    commands: tuple[Command, ...]
