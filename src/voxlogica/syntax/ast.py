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
    """``for variable in sequence do body``: a lazy sequence, one body per element.

    ``variables`` holds more than one name for ``for (i, x) in pairs do …``,
    which binds the items of each element (a pair) in order.
    """

    variables: tuple[str, ...]
    sequence: Expression
    body: Expression
    span: Span


@dataclass(frozen=True)
class FilterLoop:
    """``filter variable in sequence do predicate``: the elements that satisfy it."""

    variable: str
    sequence: Expression
    predicate: Expression
    span: Span


@dataclass(frozen=True)
class Fold:
    """``fold OP initial sequence`` (``initial`` None: the first element starts)."""

    operator: str
    initial: Expression | None
    sequence: Expression
    span: Span


@dataclass(frozen=True)
class ArrayLiteral:
    items: tuple[Expression, ...]
    span: Span


@dataclass(frozen=True)
class Index:
    """``sequence[position]``, counting from 0."""

    sequence: Expression
    position: Expression
    span: Span


@dataclass(frozen=True)
class Slice:
    """``sequence[start:stop]``; a missing bound is None."""

    sequence: Expression
    start: Expression | None
    stop: Expression | None
    span: Span


Expression = (
    NumberLiteral
    | BooleanLiteral
    | StringLiteral
    | Name
    | Call
    | LetIn
    | ForLoop
    | FilterLoop
    | Fold
    | ArrayLiteral
    | Index
    | Slice
)

# -- commands ---------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """``let name = body`` (``parameters`` None) or ``let name(p, q) = body``."""

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
    """``print label value``; the label is a string or an expression computing one."""

    label: Expression
    value: Expression
    span: Span


@dataclass(frozen=True)
class Save:
    """``save path value``; the path is a string or an expression computing one."""

    path: Expression
    value: Expression
    span: Span


@dataclass(frozen=True)
class ForCommand:
    """``for x in xs do print …`` / ``save …`` / ``{ … }``: outputs per element."""

    variables: tuple[str, ...]
    sequence: Expression
    body: tuple[Print | Save | ForCommand, ...]
    span: Span


Command = Declaration | Import | Print | Save | ForCommand


@dataclass(frozen=True)
class Program:
    file: str
    commands: tuple[Command, ...]
