"""The interactive session, driven through in-memory streams and through a pipe.

Most entries here are numbers, which fold while reducing, so no Dask cluster
starts; the one test that needs a computation borrows the session's cluster.
"""

import io
import subprocess
import sys

from tests.conftest import REPOSITORY

from voxlogica.cli import repl
from voxlogica.cli.repl import run_repl


def session(text, **options):
    """Run a session on ``text``; return its exit status and output lines."""
    output = io.StringIO()
    status = run_repl(io.StringIO(text), output, **options)
    return status, output.getvalue().splitlines()


def test_bindings_persist_between_lines():
    status, lines = session("let x = 1\nx + 1\nlet f(a) = a * 10\nf(x + 1)\n")
    assert status == 0
    assert lines == ["2", "20"]


def test_expression_values_are_shown_as_print_shows_them():
    _, lines = session('"text"\n1 < 2\n3 / 2\nfor i in range(1, 4) do i * 2\n')
    assert lines == ["text", "true", "1.5", "[2, 4, 6]"]


def test_print_runs_only_the_goals_of_its_own_line():
    _, lines = session('print "a" 1\nprint "b" 2 print "c" "x"\n')
    assert lines == ["a=1", "b=2", "c=x"]


def test_type_is_the_static_type(monkeypatch):
    _, lines = session('let x = 2\n:type x + 1\n:type "s"\n:type range(0, 2)\n')
    assert lines == ["number", "string", "sequence of number"]


def test_type_errors_point_into_the_typed_line():
    _, lines = session("1\n  :type  nosuch\n")
    assert lines[1:] == [
        "<repl>:2:10: unbound name 'nosuch'",
        "      :type  nosuch",
        "             ^",
    ]


def test_type_uses_the_static_checker_when_there_is_one(monkeypatch):
    seen = []

    def type_of(plan, node_id):
        seen.append(plan.node(node_id).value)
        return "checked type"

    monkeypatch.setattr(repl, "type_of", type_of)
    _, lines = session(":type 1 + 1\n")
    assert lines == ["checked type"]
    assert seen == [2]


def test_load_brings_a_file_into_the_session(tmp_path):
    program = tmp_path / "library.imgql"
    program.write_text('let y = 5\nlet twice(a) = a * 2\nprint "y" twice(y)\n')
    _, lines = session(f":load {program}\ntwice(y) + 1\n")
    assert lines == ["y=10", "11"]


def test_load_of_a_missing_file_is_reported(tmp_path):
    missing = tmp_path / "missing.imgql"
    _, lines = session(f":load {missing}\n1\n")
    assert lines == [f"error: no such program file: {missing}", "1"]


def test_errors_are_located_and_the_session_goes_on():
    _, lines = session("let x = 1\nnosuch + x\nx )\nx\n")
    assert lines[0] == "<repl>:2:1: unbound name 'nosuch'"
    assert lines[1:3] == ["    nosuch + x", "    ^"]
    assert lines[3].startswith("<repl>:3:3: unexpected ')'")
    assert lines[-1] == "1"


def test_a_failed_line_leaves_the_bindings_as_they_were():
    _, lines = session(
        "let z = 1\nlet z = 2 let w = nosuch\nz\nw\n"
        'import "simpleitk" let v = nosuch\nReadImage\n'
    )
    assert "unbound name 'nosuch'" in lines[0]
    assert lines[3] == "1"
    assert "unbound name 'w'" in lines[4]
    assert "unbound name 'nosuch'" in lines[7]
    assert "unbound name 'ReadImage'" in lines[10]


def test_unfinished_entries_continue_on_the_next_lines():
    _, lines = session("(1 +\n 2\n)\n1 +\n2\nlet f(a) =\n  a * 3\nf(2)\n")
    assert lines == ["3", "3", "6"]


def test_an_empty_line_ends_an_unfinished_entry():
    _, lines = session("(1 +\n\n4\nnosuch\n")
    assert lines[0].startswith("<repl>:1:5: unexpected end of file")
    assert lines[3] == "4"
    # The empty line counts: the session's line numbers stay those of the input.
    assert lines[4] == "<repl>:4:1: unbound name 'nosuch'"


def test_runtime_failures_are_located_and_the_session_goes_on(dask_client):
    _, lines = session(
        "let d = 0\nlet q = 1 / d\nq + 1\nd + 1\n",
        client_factory=lambda: dask_client,
    )
    # The failing node was declared by an earlier entry, whose line is quoted.
    assert lines[0] == "<repl>:2:11: default./: division by zero: 1 / 0"
    assert lines[1:3] == ["    let q = 1 / d", "              ^"]
    assert lines[-1] == "1"


def test_quit_ends_the_session_and_help_lists_the_commands():
    status, lines = session(":help\n:nope\n:quit\n1\n")
    assert status == 0
    text = "\n".join(lines)
    for command in (":help", ":load FILE", ":type EXPR", ":quit"):
        assert command in text
    assert lines[-1] == "error: unknown command ':nope' (:help lists the commands)"


def test_command_line_repl_reads_a_pipe():
    result = subprocess.run(
        [sys.executable, "-m", "voxlogica.cli.main", "repl", "--no-cache"],
        input='let x = 20\nprint "half" x / 2\nx +\n 1\nnosuch\n',
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["half=10.0", "21"]
    assert result.stderr.startswith("<repl>:5:1: unbound name 'nosuch'")
