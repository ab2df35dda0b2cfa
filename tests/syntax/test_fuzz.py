"""Random token streams: the parser returns a tree or a located syntax error."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxlogica.syntax import ast
from voxlogica.syntax.parser import ImgQLSyntaxError, parse

TOKENS = [
    "let", "in", "for", "do", "filter", "fold", "import", "print", "save", "load",
    "true", "false", "x", "f", "xs", "simpleitk.ReadImage", "$stem", "1", "2.5",
    "1e3", '"s"', '"a\\"b"', "(", ")", "[", "]", ",", ":", "=", "+", "-", "*", "/",
    "&", "|", "!", "<=", ".<=", "+.", "~>", "+?", "\n", "// note\n", "$", "#", "\t",
]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from([" ", ""]))
def test_random_token_streams(tokens, separator):
    text = separator.join(tokens)
    try:
        program = parse(text, "fuzz.imgql")
    except ImgQLSyntaxError as error:
        assert error.span is not None
        assert error.span.file == "fuzz.imgql"
        lines = text.splitlines() or [""]
        assert 1 <= error.span.line <= max(len(lines), 1)
        assert error.span.column >= 1
        assert error.render().startswith(f"fuzz.imgql:{error.span.line}:")
    else:
        assert isinstance(program, ast.Program)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text(text):
    try:
        parse(text, "text.imgql")
    except ImgQLSyntaxError as error:
        assert error.span is not None and error.span.line >= 1
