"""Reducer: content-addressed ids, sharing, loops, scoping and static errors."""

import subprocess
import sys

import pytest

from voxlogica.diagnostics import ProgramError
from voxlogica.reduce.plan import Constant, Loop, Operation
from voxlogica.reduce.reducer import Reducer


def reduce(source):
    return Reducer().reduce_text(source, "prog.imgql")


def goal_node(plan, index=0):
    return plan.node(plan.goals[index].node_id)


def test_constants_are_typed():
    plan = reduce('print "a" 1\nprint "b" "1"\nprint "c" 1.0\nprint "d" true')
    ids = [goal.node_id for goal in plan.goals]
    assert len(set(ids)) == 4


def test_folding_and_user_operators():
    plan = reduce('let +?(a, b) = a * b + 1\nprint "x" 5 +? 8\nprint "y" 1 + 2 * 3')
    assert goal_node(plan, 0) == Constant(41)
    assert goal_node(plan, 1) == Constant(7)


def test_identical_subterms_are_one_node():
    plan = reduce(
        'import "simpleitk"\n'
        'let a = Abs(ReadImage("missing.nii"))\n'
        'let b = Abs(ReadImage("missing.nii"))\n'
        'print "a" a\nprint "b" b'
    )
    assert plan.goals[0].node_id == plan.goals[1].node_id


def test_loop_body_instantiation_matches_written_out_expression():
    plan = reduce(
        "let f(x) = x * 10 + 1\n"
        'print "loop" for i in range(0, 3) do f(i)\n'
        'print "two" f(2)'
    )
    loop = goal_node(plan, 0)
    assert isinstance(loop, Loop)
    element = plan.overlay().instantiate(loop.body, loop.level, plan.constant(2))
    assert element == plan.goals[1].node_id


def test_loop_invariant_body_is_shared():
    plan = reduce(
        'import "simpleitk"\n'
        'let img = ReadImage("missing.nii")\n'
        'print "d" for i in range(1, 5) do BinaryThreshold(img, 100, 101, 1, 0)'
    )
    loop = goal_node(plan, 0)
    body = plan.node(loop.body)
    assert isinstance(body, Operation) and body.primitive == "simpleitk.BinaryThreshold"
    assert plan.fact(loop.body).free_levels == frozenset()


def test_file_digest_is_part_of_the_id(tmp_path):
    image = tmp_path / "x.nii"
    image.write_bytes(b"first")
    source = f'import "simpleitk"\nprint "x" ReadImage("{image}")'
    first = reduce(source).goals[0].node_id
    assert reduce(source).goals[0].node_id == first
    image.write_bytes(b"second")
    assert reduce(source).goals[0].node_id != first


def test_ids_are_identical_across_processes():
    code = (
        "from voxlogica.reduce.reducer import Reducer\n"
        'plan = Reducer().reduce_text(\'import "simpleitk"\\n'
        'let img = ReadImage("examples/data/chris_t1.nii.gz")\\n'
        'print "x" for i in range(1, 5) do Multiply(img, i)\')\n'
        "print(plan.goals[0].node_id)\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(outputs) == 1 and len(outputs.pop().strip()) == 64


def test_lexical_scoping():
    plan = reduce('let k = 1\nlet f(x) = x + k\nlet k = 100\nprint "x" f(1)')
    assert goal_node(plan) == Constant(2)


def test_let_in_shadows():
    plan = reduce('let x = 1\nprint "x" let x = 5 in x * x')
    assert goal_node(plan) == Constant(25)


def test_function_explosion_is_linear():
    lines = ["let f0(x) = x + 1"]
    for level in range(1, 21):
        lines.append(f"let f{level}(x) = f{level - 1}(x) + f{level - 1}(x) * 2")
    lines.append('print "x" f20(1)')
    plan = reduce("\n".join(lines))
    assert isinstance(goal_node(plan), Constant)


@pytest.mark.parametrize(
    "source, line, column, fragment",
    [
        ('print "x" y', 1, 11, "unbound name 'y'"),
        ("let a = a + 1", 1, 9, "refers to itself"),
        ("let f(x) = f(x)\n", 1, 12, "refers to itself"),
        ("let f(x) = g(x)\n", 1, 12, "unbound name 'g'"),
        ('let f(x) = x\nprint "x" f(1, 2)', 2, 11, "takes 1 argument"),
        ('print "x" range(1, 2, 3)', 1, 11, "takes 1 to 2"),
        ('print "x" for i in range(3) do j', 1, 32, "unbound name 'j'"),
        ('import "nosuch"', 1, 8, "unknown namespace"),
        ('import "nosuch.imgql"', 1, 8, "cannot find"),
        ('let x = 1\nprint "x" x(2)', 2, 11, "is a value"),
    ],
)
def test_static_errors_are_located(source, line, column, fragment):
    with pytest.raises(ProgramError) as caught:
        reduce(source)
    assert (caught.value.span.line, caught.value.span.column) == (line, column)
    assert fragment in caught.value.message


def test_file_imports_and_cycles(tmp_path):
    (tmp_path / "lib.imgql").write_text("let double(x) = x * 2\n")
    (tmp_path / "main.imgql").write_text('import "lib.imgql"\nprint "x" double(4)\n')
    plan = Reducer().reduce_file(tmp_path / "main.imgql")
    assert goal_node(plan) == Constant(8)
    (tmp_path / "a.imgql").write_text('import "b.imgql"\n')
    (tmp_path / "b.imgql").write_text('import "a.imgql"\n')
    with pytest.raises(ProgramError, match="import cycle"):
        Reducer().reduce_file(tmp_path / "a.imgql")
