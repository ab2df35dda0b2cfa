"""Parser: grammar coverage, precedence in both syntax modes, located errors."""

import pytest

from voxlogica.syntax import ast
from voxlogica.syntax.parser import ImgQLSyntaxError, operator_level, parse


def shape(expression):
    """A compact nested-tuple view of an expression, for readable asserts."""
    if isinstance(expression, ast.Call):
        return (expression.function, *(shape(a) for a in expression.arguments))
    if isinstance(expression, ast.Name):
        return expression.name
    if isinstance(expression, ast.NumberLiteral | ast.BooleanLiteral):
        return expression.value
    if isinstance(expression, ast.StringLiteral):
        return repr(expression.value)
    raise AssertionError(expression)


def printed(source, syntax=None):
    return shape(parse(f'print "x" {source}', syntax=syntax).commands[0].value)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
        ("10 - 2 - 3", ("-", ("-", 10, 2), 3)),
        ("!a & b", ("&", ("!", "a"), "b")),
        ("a | b & c", ("|", "a", ("&", "b", "c"))),
        ("a < b + 1", ("<", "a", ("+", "b", 1))),
        ("n-1", ("-", "n", 1)),
        ("n - 1", ("-", "n", 1)),
        ("-x * y", ("*", ("-", "x"), "y")),
        ("5 +? 8 * 2", ("+?", 5, ("*", 8, 2))),
        ("x .<= y +. 1", (".<=", "x", ("+.", "y", 1))),
        ("f()", ("f",)),
        ('simpleitk.ReadImage("a")', ("simpleitk.ReadImage", "'a'")),
    ],
)
def test_standard_precedence(source, expected):
    assert printed(source) == expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
        ("10 - 2 - 3", ("-", 10, ("-", 2, 3))),
        ("!a & b", ("!", ("&", "a", "b"))),
        ("2 * 3 + 1", ("*", 2, ("+", 3, 1))),
    ],
)
def test_vox1_grouping(source, expected):
    assert printed(source, syntax="vox1") == expected


def test_vox1_mode_selected_by_directive():
    program = parse('// syntax: vox1\nprint "x" 10 - 2 - 3')
    assert shape(program.commands[0].value) == ("-", 10, ("-", 2, 3))


def test_operator_level_ignores_dots():
    assert operator_level(".*.") == operator_level("*")
    assert operator_level("+.") == operator_level("+")
    assert operator_level(".<=") == operator_level("<")


def test_commands():
    program = parse(
        'import "simpleitk"\n'
        "let x = 1\n"
        "y = 2\n"
        "let f(a, b) = a\n"
        "let +?(a, b) = a * b + 1\n"
        "let g() = 3\n"
        'load img = "a.nii.gz"\n'
        'print "p" x\n'
        'save "out.nii.gz" img\n'
    )
    kinds = [type(c).__name__ for c in program.commands]
    assert kinds == [
        "Import",
        "Declaration",
        "Declaration",
        "Declaration",
        "Declaration",
        "Declaration",
        "Declaration",
        "Print",
        "Save",
    ]
    assert program.commands[3].parameters == ("a", "b")
    assert program.commands[5].parameters == ()
    assert program.commands[2].parameters is None
    assert shape(program.commands[6].body) == ("simpleitk.ReadImage", "'a.nii.gz'")


def test_let_in_and_for():
    value = (
        parse('print "x" for i in range(1, 3) do let y = i in y * 2').commands[0].value
    )
    assert isinstance(value, ast.ForLoop)
    assert value.variables == ("i",)
    assert isinstance(value.body, ast.LetIn)


def test_literals_and_comments():
    program = parse('// comment\nprint "s" "a\\"b" // trailing\nprint "b" true\n')
    assert program.commands[0].value.value == 'a"b'
    assert program.commands[1].value.value is True
    assert isinstance(parse('print "f" 1.5e2').commands[0].value.value, float)


def test_deep_nesting_parses():
    depth = 5000
    program = parse('print "x" ' + "(" * depth + "1" + ")" * depth)
    assert program.commands[0].value.value == 1


@pytest.mark.parametrize(
    "source, line, column, fragment",
    [
        ("let x = 1 +", 1, 12, "unexpected end of file"),
        ("let 3 = 4", 1, 5, "unexpected '3'"),
        ("let x = 1 $ 2", 1, 11, "unexpected character '$'"),
        ("let x = 1\nlet y = (2", 2, 11, "expected ')'"),
        ("let x = 1 +\nlet y = 2", 2, 1, "parentheses"),
    ],
)
def test_syntax_errors_are_located(source, line, column, fragment):
    with pytest.raises(ImgQLSyntaxError) as caught:
        parse(source, "prog.imgql")
    error = caught.value
    assert (error.span.line, error.span.column) == (line, column)
    assert fragment in error.message
    rendered = error.render()
    assert rendered.startswith(f"prog.imgql:{line}:{column}: ")
    assert rendered.rstrip().endswith("^")
