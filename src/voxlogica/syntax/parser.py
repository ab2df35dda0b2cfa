"""Parse ImgQL text into the syntax tree of :mod:`voxlogica.syntax.ast`.

The grammar (``imgql.lark``) is LALR and is transformed while it is parsed, so
neither parsing nor tree building recurses: 5,000 nested parentheses are as
cheap as a flat program. Binary operators come out of the grammar as a flat
chain and are grouped here by :data:`PRECEDENCE`.

Precedence (docs/language.md keeps the user-facing table). An operator's level
is given by its first character that is not a dot (dots mark which side of an
image operator is the scalar, as in ``+.`` or ``.<=``, and do not change how
tightly it binds). Higher levels bind tighter; prefix operators bind tighter
than any binary operator; operators of one level group to the left.

VoxLogicA 1 syntax mode (``syntax="vox1"``, selected by a first-line comment
``// syntax: vox1`` or the ``--vox1-syntax`` flag) keeps the meaning of older
programs: all binary operators share one level and group to the right, and a
prefix operator applies to everything on its right (``!a & b`` is
``!(a & b)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import lark
from lark import Token

from voxlogica.diagnostics import LocatedError, Span, remember_source
from voxlogica.syntax import ast

#: Binding strength of binary operators by their first non-dot character.
PRECEDENCE: dict[str, int] = {
    "|": 1,
    "&": 2,
    "=": 3,
    "<": 3,
    ">": 3,
    "!": 3,
    "~": 4,
    "^": 4,
    "@": 4,
    "#": 4,
    "?": 4,
    ":": 4,
    "+": 5,
    "-": 5,
    "\\": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
#: Level of operators made only of dots, and of characters not listed above.
DEFAULT_LEVEL = 4

SYNTAX_MODES = ("standard", "vox1")
KEYWORDS = frozenset(
    {
        "let",
        "in",
        "for",
        "do",
        "filter",
        "fold",
        "import",
        "print",
        "save",
        "load",
        "true",
        "false",
    }
)
_EXPRESSION_KEYWORDS = frozenset({"let", "for", "filter"})
_DIRECTIVE = re.compile(r"\A\s*//\s*syntax\s*:\s*(\w+)")


class ImgQLSyntaxError(LocatedError):
    """The text is not an ImgQL program."""


def operator_level(operator: str) -> int:
    """Return the binding level of a binary ``operator`` (higher binds tighter)."""
    for character in operator:
        if character != ".":
            return PRECEDENCE.get(character, DEFAULT_LEVEL)
    return DEFAULT_LEVEL


def syntax_mode_of(text: str, requested: str | None = None) -> str:
    """Return the syntax mode: ``requested`` if given, else the file's directive."""
    if requested is not None:
        if requested not in SYNTAX_MODES:
            raise ValueError(f"unknown syntax mode {requested!r}")
        return requested
    match = _DIRECTIVE.match(text)
    if match and match.group(1) in SYNTAX_MODES:
        return match.group(1)
    return "standard"


@dataclass(frozen=True)
class _PendingPrefix:
    """A prefix operator whose extent depends on the syntax mode."""

    operator: str
    operand: object
    span: Span


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    replacements = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: replacements.get(m.group(1), m.group(1)), body)


class _Builder(lark.Transformer):
    """Builds AST nodes bottom-up while the LALR parser reduces."""

    def __init__(self, file: str, mode: str):
        super().__init__(visit_tokens=False)
        self.file = file
        self.mode = mode

    def _span(self, token: Token) -> Span:
        return Span(self.file, token.line, token.column)

    def _identifier(self, token: Token) -> str:
        # The contextual lexer reads a keyword as a NAME where no keyword can
        # stand, so `let x = 1 + let` would otherwise bind a variable "let".
        if str(token) in _EXPRESSION_KEYWORDS:
            raise ImgQLSyntaxError(
                f"{str(token)!r} cannot stand here as an operand: an operand is "
                "missing before it, or the expression needs parentheses",
                self._span(token),
            )
        if str(token) in KEYWORDS:
            raise ImgQLSyntaxError(
                f"{str(token)!r} is a keyword and cannot be used as a name",
                self._span(token),
            )
        return str(token)

    # -- commands

    def start(self, commands):
        return tuple(commands)

    def expression_only(self, children):
        return children[0]

    def declaration(self, children):
        (name, parameters, span), body = children
        return ast.Declaration(name, parameters, body, span)

    def bare_declaration(self, children):
        name, body = children
        return ast.Declaration(self._identifier(name), None, body, self._span(name))

    def value_binder(self, children):
        (name,) = children
        return (self._identifier(name), None, self._span(name))

    def function_binder(self, children):
        name, parameters = children
        return (self._identifier(name), parameters or (), self._span(name))

    def parameters(self, children):
        return tuple(self._identifier(name) for name in children)

    def import_command(self, children):
        (target,) = children
        return ast.Import(_unescape(target), self._span(target))

    def print_command(self, children):
        label, value = children
        return ast.Print(label, value, label.span)

    def save_command(self, children):
        path, value = children
        return ast.Save(path, value, path.span)

    def for_command(self, children):
        (variables, span), sequence, body = children
        outputs = body if isinstance(body, tuple) else (body,)
        return ast.ForCommand(variables, sequence, outputs, span)

    def command_block(self, children):
        flat = []
        for child in children:
            flat.extend(child if isinstance(child, tuple) else (child,))
        return tuple(flat)

    def single_variable(self, children):
        (token,) = children
        return ((self._identifier(token),), self._span(token))

    def tuple_variables(self, children):
        names = tuple(self._identifier(token) for token in children)
        if len(set(names)) != len(names):
            raise ImgQLSyntaxError(
                "a loop binds the same name twice", self._span(children[0])
            )
        return (names, self._span(children[0]))

    def load_command(self, children):
        # VoxLogicA 1's `load x = "path"` is a declaration reading an image.
        name, path = children
        span = self._span(name)
        reading = ast.Call(
            "simpleitk.ReadImage", (ast.StringLiteral(_unescape(path), span),), span
        )
        return ast.Declaration(str(name), None, reading, span)

    # -- expressions

    def let_in(self, children):
        (name, parameters, span), value, body = children
        return ast.LetIn(name, parameters, value, body, span)

    def for_loop(self, children):
        (variables, span), sequence, body = children
        return ast.ForLoop(variables, sequence, body, span)

    def filter_loop(self, children):
        variable, sequence, predicate = children
        name = self._identifier(variable)
        return ast.FilterLoop(name, sequence, predicate, self._span(variable))

    def fold_operator(self, children):
        (token,) = children
        return token

    def fold_with_initial(self, children):
        operator, initial, sequence = children
        return ast.Fold(str(operator), initial, sequence, self._span(operator))

    def fold(self, children):
        operator, sequence = children
        return ast.Fold(str(operator), None, sequence, self._span(operator))

    def index(self, children):
        sequence, position = children
        return ast.Index(sequence, position, _span_of(sequence))

    def slice(self, children):
        sequence, start, colon, stop = children
        return ast.Slice(sequence, start, stop, self._span(colon))

    def array(self, children):
        (items,) = children
        return ast.ArrayLiteral(tuple(items or ()), self._last_bracket(items))

    def _last_bracket(self, items):
        # The grammar drops the bracket token; the first item locates the
        # literal well enough, an empty one gets the start of the file.
        if items:
            return _span_of(items[0])
        return Span(self.file, 1, 1)

    def prefix(self, children):
        operator, operand = children
        return _PendingPrefix(str(operator), operand, self._span(operator))

    def operand(self, children):
        (value,) = children
        return value

    def chain(self, children):
        operands = children[0::2]
        operators = children[1::2]
        if self.mode == "vox1":
            return _group_vox1(operands, operators, self._span)
        return _group_by_precedence(
            [_resolve_prefix(o) for o in operands], operators, self._span
        )

    def number(self, children):
        (token,) = children
        text = str(token)
        is_integer = not any(c in text for c in ".eE")
        value = int(text) if is_integer else float(text)
        return ast.NumberLiteral(value, self._span(token))

    def string(self, children):
        (token,) = children
        return ast.StringLiteral(_unescape(token), self._span(token))

    def true(self, children):
        return ast.BooleanLiteral(True, self._span(children[0]))

    def false(self, children):
        return ast.BooleanLiteral(False, self._span(children[0]))

    def name(self, children):
        (token,) = children
        return ast.Name(self._identifier(token), self._span(token))

    def call(self, children):
        token, arguments = children
        name = self._identifier(token)
        return ast.Call(name, tuple(arguments or ()), self._span(token))

    def arguments(self, children):
        return tuple(children)


def _span_of(node) -> Span:
    return node.span


def _resolve_prefix(operand):
    """Turn nested pending prefixes into calls, innermost first, without recursion."""
    operators = []
    while isinstance(operand, _PendingPrefix):
        operators.append(operand)
        operand = operand.operand
    for pending in reversed(operators):
        operand = ast.Call(pending.operator, (operand,), pending.span)
    return operand


def _group_by_precedence(operands, operators, span_of):
    """Group ``o0 op1 o1 op2 o2 …`` by operator level, left to right (shunting yard)."""
    values = [operands[0]]
    pending: list[Token] = []

    def reduce_top():
        operator = pending.pop()
        right = values.pop()
        left = values.pop()
        values.append(ast.Call(str(operator), (left, right), span_of(operator)))

    for operator, operand in zip(operators, operands[1:], strict=True):
        level = operator_level(str(operator))
        while pending and operator_level(str(pending[-1])) >= level:
            reduce_top()
        pending.append(operator)
        values.append(operand)
    while pending:
        reduce_top()
    return values[0]


def _group_vox1(operands, operators, span_of):
    """VoxLogicA 1 grouping: one level, right to left; prefixes take the whole rest."""
    result = None
    for index in range(len(operands) - 1, -1, -1):
        operand = operands[index]
        prefixes = []
        while isinstance(operand, _PendingPrefix):
            prefixes.append(operand)
            operand = operand.operand
        if result is not None:
            operator = operators[index]
            operand = ast.Call(str(operator), (operand, result), span_of(operator))
        for pending in reversed(prefixes):
            operand = ast.Call(pending.operator, (operand,), pending.span)
        result = operand
    return result


@cache
def _grammar() -> str:
    return resources.files("voxlogica.syntax").joinpath("imgql.lark").read_text()


_TOKEN_DESCRIPTIONS = {
    "NAME": "a name",
    "OPERATOR": "an operator",
    "NUMBER": "a number",
    "STRING": "a string",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "COLON": "':'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "end of file",
}


def _describe_expected(expected) -> str:
    names = sorted({_TOKEN_DESCRIPTIONS.get(t, repr(t.lower())) for t in expected})
    if not names:
        return ""
    if len(names) > 6:
        names = names[:6] + ["…"]
    return "; expected " + ", ".join(names)


@cache
def _parser_for(mode: str) -> tuple[lark.Lark, _Builder]:
    """One LALR parser per syntax mode; building the tables is the slow part."""
    builder = _Builder("<input>", mode)
    parser = lark.Lark(
        _grammar(),
        parser="lalr",
        lexer="contextual",
        transformer=builder,
        maybe_placeholders=True,
        start=["start", "expression_only"],
        # Building the LALR tables takes ~45 ms; lark keeps them in a file in
        # the temporary folder, keyed by the grammar and lark's version.
        cache=True,
    )
    return parser, builder


def parse(text: str, file: str = "<input>", syntax: str | None = None) -> ast.Program:
    """Parse ImgQL source ``text``; raise :class:`ImgQLSyntaxError` with a location."""
    return ast.Program(file, _parse(text, file, syntax, "start"))


def parse_expression(
    text: str, file: str = "<input>", syntax: str | None = None
) -> ast.Expression:
    """Parse one ImgQL expression (as typed at the REPL)."""
    return _parse(text, file, syntax, "expression_only")


def _parse(text: str, file: str, syntax: str | None, start: str):
    remember_source(file, text)
    parser, builder = _parser_for(syntax_mode_of(text, syntax))
    builder.file = file
    try:
        return parser.parse(text, start=start)
    except lark.exceptions.UnexpectedCharacters as error:
        span = Span(file, error.line, error.column)
        found = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        raise ImgQLSyntaxError(f"unexpected character {found!r}", span) from None
    except lark.exceptions.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            span = Span(file, len(lines), len(lines[-1]) + 1)
            message = "unexpected end of file"
        else:
            span = Span(file, token.line, token.column)
            message = f"unexpected {str(token)!r}"
        message += _describe_expected(error.expected)
        raise ImgQLSyntaxError(message, span) from None
    except lark.exceptions.UnexpectedEOF as error:
        lines = text.splitlines() or [""]
        span = Span(file, len(lines), len(lines[-1]) + 1)
        message = "unexpected end of file" + _describe_expected(error.expected)
        raise ImgQLSyntaxError(message, span) from None
