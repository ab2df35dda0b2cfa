"""Imports: search path, lazy namespaces, clashes between namespaces."""

import subprocess
import sys

import pytest

from voxlogica.diagnostics import ProgramError
from voxlogica.primitives import registry
from voxlogica.reduce.plan import Constant
from voxlogica.reduce.reducer import Reducer


def test_search_path(tmp_path, monkeypatch):
    library = tmp_path / "library"
    library.mkdir()
    (library / "shared.imgql").write_text("let triple(x) = x * 3\n")
    program = tmp_path / "work" / "main.imgql"
    program.parent.mkdir()
    program.write_text('import "shared.imgql"\nprint "x" triple(2)\n')
    monkeypatch.setenv("VOXLOGICA_PATH", str(library))
    plan = Reducer().reduce_file(program)
    assert plan.node(plan.goals[0].node_id) == Constant(6)


def test_relative_import_wins_over_search_path(tmp_path, monkeypatch):
    library = tmp_path / "library"
    library.mkdir()
    (library / "lib.imgql").write_text("let k = 1\n")
    (tmp_path / "lib.imgql").write_text("let k = 2\n")
    (tmp_path / "main.imgql").write_text('import "lib.imgql"\nprint "k" k\n')
    monkeypatch.setenv("VOXLOGICA_PATH", str(library))
    plan = Reducer().reduce_file(tmp_path / "main.imgql")
    assert plan.node(plan.goals[0].node_id) == Constant(2)


@pytest.fixture
def two_namespaces(monkeypatch):
    for name in ("left", "right"):
        namespace = registry.Namespace(name)

        @namespace.primitive("shared", arity=0, description="clashing name")
        def shared(name=name):
            return name

        monkeypatch.setitem(registry.NAMESPACE_MODULES, name, "tests.unused")
        monkeypatch.setitem(registry._loaded, name, namespace)


def test_name_clash_between_namespaces_needs_qualification(two_namespaces):
    with pytest.raises(ProgramError, match="ambiguous") as caught:
        Reducer().reduce_text('import "left"\nimport "right"\nprint "x" shared()')
    assert caught.value.span.line == 3
    plan = Reducer().reduce_text(
        'import "left"\nimport "right"\nprint "x" right.shared()'
    )
    assert plan.node(plan.goals[0].node_id).primitive == "right.shared"


def test_a_program_without_simpleitk_does_not_import_it():
    code = (
        "import sys\n"
        "from voxlogica.reduce.reducer import Reducer\n"
        "from voxlogica.engine.runner import Engine\n"
        "from voxlogica.store import NullStore\n"
        "plan = Reducer().reduce_text('print \"x\" for i in range(0, 3) do i * 2')\n"
        "report = Engine(plan, NullStore()).run()\n"
        "assert report.printed[0].value == [0, 2, 4]\n"
        "heavy = ('SimpleITK', 'numpy', 'distributed')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
