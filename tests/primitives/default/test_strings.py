"""String, path and directory primitives of the ``default`` namespace."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import voxlogica.primitives.default.strings as strings
from voxlogica.primitives.registry import load_namespace
from voxlogica.reduce.plan import Constant, Operation
from voxlogica.reduce.reducer import Reducer

NAMESPACE = load_namespace("default")

FOLDABLE_NAMES = [
    "concat", "format", "to_string", "to_number", "basename", "dirname", "stem",
    "extension", "join_path", "replace", "starts_with", "ends_with", "contains",
]  # fmt: skip


def call(name, *args):
    primitive = NAMESPACE.lookup(name)
    assert primitive is not None, name
    assert primitive.accepts_arity(len(args)), (name, len(args))
    return primitive.function(*args)


# --- registration -------------------------------------------------------------


@pytest.mark.parametrize("name", FOLDABLE_NAMES)
def test_string_primitives_are_foldable_and_documented(name):
    primitive = NAMESPACE.lookup(name)
    assert primitive.qualified_name == f"default.{name}"
    assert primitive.is_foldable
    assert not primitive.is_volatile
    assert not primitive.returns_sequence
    assert "->" in primitive.signature
    assert primitive.description and "\n" not in primitive.description


def test_dir_is_a_volatile_sequence_and_never_folded():
    primitive = load_namespace("default").lookup("dir")
    assert primitive.is_volatile
    assert primitive.returns_sequence
    assert not primitive.is_foldable
    assert [primitive.accepts_arity(n) for n in range(6)] == [
        False, True, True, True, True, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "arity", "accepted"),
    [
        ("concat", 0, False), ("concat", 1, True), ("concat", 5, True),
        ("format", 0, False), ("format", 1, True), ("format", 4, True),
        ("join_path", 0, False), ("join_path", 1, True), ("join_path", 3, True),
        ("to_string", 2, False), ("replace", 2, False), ("replace", 3, True),
        ("contains", 2, True), ("stem", 2, False),
    ],
)  # fmt: skip
def test_arities(name, arity, accepted):
    assert NAMESPACE.lookup(name).accepts_arity(arity) is accepted


def test_examples_in_docstrings_run():
    failures, attempted = doctest.testmod(
        strings, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert attempted > 0
    assert failures == 0


@pytest.mark.parametrize("name", [*FOLDABLE_NAMES, "dir"])
def test_every_primitive_has_numpydoc_sections(name):
    text = NAMESPACE.lookup(name).function.__doc__ or ""
    for section in ("Parameters", "Returns", "Raises", "Examples"):
        assert section in text, f"{name} lacks {section}"


# --- results ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("to_string", (3,), "3"),
        ("to_string", (-3,), "-3"),
        ("to_string", (0.5,), "0.5"),
        ("to_string", (2.0,), "2.0"),
        ("to_string", (1e-20,), "1e-20"),
        ("to_string", (True,), "true"),
        ("to_string", (False,), "false"),
        ("to_string", ("as is",), "as is"),
        ("to_string", (np.int64(4),), "4"),
        ("to_string", (np.float32(0.1),), "0.1"),
        ("to_string", (np.float64(0.25),), "0.25"),
        ("to_string", (np.bool_(True),), "true"),
        ("to_number", ("42",), 42),
        ("to_number", ("007",), 7),
        ("to_number", ("-3",), -3),
        ("to_number", ("+3",), 3),
        ("to_number", (" 12 \n",), 12),
        ("to_number", ("0.5",), 0.5),
        ("to_number", (".5",), 0.5),
        ("to_number", ("5.",), 5.0),
        ("to_number", ("1e3",), 1000.0),
        ("to_number", ("-2.5E-1",), -0.25),
        ("to_number", (7,), 7),
        ("to_number", (0.5,), 0.5),
        ("concat", ("a",), "a"),
        ("concat", ("a", "b", "c"), "abc"),
        ("concat", ("case_", 7), "case_7"),
        ("concat", ("v", 2.0, "/", 0.5), "v2.0/0.5"),
        ("concat", ("flag=", True), "flag=true"),
        ("concat", (1, 2), "12"),
        ("concat", ("", ""), ""),
        ("format", ("no placeholders",), "no placeholders"),
        ("format", ("{}_{}", "case", 1), "case_1"),
        ("format", ("{} {} {}", 0.5, 2.0, False), "0.5 2.0 false"),
        ("format", ("{1}-{0}-{1}", "a", "b"), "b-a-b"),
        ("format", ("{:.2f}", 3.14159), "3.14"),
        ("format", ("{:.2f}", 3), "3.00"),
        ("format", ("{:03d}", 7), "007"),
        ("format", ("{0:>5}|{1:<4}|", "ab", 3), "   ab|3   |"),
        ("format", ("{:>6}", True), "  true"),
        ("format", ("{:.1%}", 0.25), "25.0%"),
        ("format", ("{{literal}} {}", 1), "{literal} 1"),
        ("format", ("{:.3g}", np.float32(0.123456)), "0.123"),
        ("basename", ("data/case_01/flair.nii.gz",), "flair.nii.gz"),
        ("basename", ("flair.nii.gz",), "flair.nii.gz"),
        ("basename", ("data/case_01/",), "case_01"),
        ("basename", ("/abs/x.mha",), "x.mha"),
        ("basename", ("/",), ""),
        ("basename", ("",), ""),
        ("dirname", ("data/case_01/flair.nii.gz",), "data/case_01"),
        ("dirname", ("data/case_01/",), "data"),
        ("dirname", ("flair.nii.gz",), ""),
        ("dirname", ("/x.mha",), "/"),
        ("dirname", ("/",), "/"),
        ("stem", ("a/case_01_flair.nii.gz",), "case_01_flair"),
        ("stem", ("a/b/case_01_flair.nii.gz",), "case_01_flair"),
        ("stem", ("BRAIN.NII.GZ",), "BRAIN"),
        ("stem", ("archive.tar.gz",), "archive"),
        ("stem", ("slide.ome.tiff",), "slide"),
        ("stem", ("scan.mha",), "scan"),
        ("stem", ("scan.v2.mha",), "scan.v2"),
        ("stem", ("notes.txt.gz",), "notes.txt"),
        ("stem", ("README",), "README"),
        ("stem", (".hidden",), ".hidden"),
        ("stem", (".nii.gz",), ".nii"),
        ("stem", ("dir.d/README",), "README"),
        ("extension", ("a/brain.nii.gz",), ".nii.gz"),
        ("extension", ("BRAIN.NII.GZ",), ".NII.GZ"),
        ("extension", ("x.tar.bz2",), ".tar.bz2"),
        ("extension", ("scan.v2.mha",), ".mha"),
        ("extension", ("brain.nii",), ".nii"),
        ("extension", ("README",), ""),
        ("extension", (".hidden",), ""),
        ("extension", ("dir.d/README",), ""),
        ("join_path", ("a",), "a"),
        ("join_path", ("a", "b", "c.nii"), "a/b/c.nii"),
        ("join_path", ("a/", "b"), "a/b"),
        ("join_path", ("", "b"), "b"),
        ("join_path", ("a", "/abs"), "/abs"),
        ("replace", ("case_01_flair.nii.gz", "flair", "seg"), "case_01_seg.nii.gz"),
        ("replace", ("aaa", "a", "b"), "bbb"),
        ("replace", ("aaa", "aa", "b"), "ba"),
        ("replace", ("abc", "x", "y"), "abc"),
        ("replace", ("abc", "b", ""), "ac"),
        ("starts_with", ("case_01", "case_"), True),
        ("starts_with", ("case_01", "Case"), False),
        ("starts_with", ("case_01", ""), True),
        ("ends_with", ("brain.nii.gz", ".nii.gz"), True),
        ("ends_with", ("brain.nii", ".gz"), False),
        ("ends_with", ("", ""), True),
        ("contains", ("case_01_flair", "flair"), True),
        ("contains", ("case_01_flair", "FLAIR"), False),
        ("contains", ("x", ""), True),
    ],
)
def test_results(name, args, expected):
    result = call(name, *args)
    assert result == expected
    # bool == int and 7 == 7.0 in Python, so the type is checked separately.
    assert type(result) is type(expected)


@given(st.text(alphabet="ab./_-XZ", max_size=20))
def test_stem_and_extension_split_the_basename(path):
    assert call("stem", path) + call("extension", path) == call("basename", path)


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_to_number_reads_back_to_string(value):
    assert call("to_number", call("to_string", value)) == value


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "error", "fragment"),
    [
        ("to_string", ([1, 2],), TypeError, "got a list"),
        ("to_number", ("abc",), ValueError, "'abc' is not a number"),
        ("to_number", ("",), ValueError, "'' is not a number"),
        ("to_number", ("12 mm",), ValueError, "'12 mm' is not a number"),
        ("to_number", ("inf",), ValueError, "'inf' is not a number"),
        ("to_number", ("nan",), ValueError, "'nan' is not a number"),
        ("to_number", ("1_000",), ValueError, "'1_000' is not a number"),
        ("to_number", ("0x10",), ValueError, "'0x10' is not a number"),
        ("to_number", ("1e999",), ValueError, "'1e999' is too large"),
        ("to_number", (True,), TypeError, "needs a string, got true"),
        ("concat", ("a", [1]), TypeError, "argument 2 is a list"),
        ("format", (3,), TypeError, "needs a string template, got 3"),
        ("format", ("{} {}", 1), ValueError, "has 2 placeholders but 1 value was"),
        ("format", ("{}", 1, 2), ValueError, "has 1 placeholder but 2 values were"),
        ("format", ("plain", 1), ValueError, "has 0 placeholders but 1 value was"),
        ("format", ("{1}", "a"), ValueError, "refers to {1} but 1 value was given"),
        ("format", ("{0}", "a", "b"), ValueError, "no placeholder for value 1 ('b')"),
        ("format", ("{} {0}", 1), ValueError, "mixes {} with numbered"),
        ("format", ("{name}", 1), ValueError, "placeholder {name} in '{name}'"),
        ("format", ("{0.real}", 1), ValueError, "placeholder {0.real}"),
        ("format", ("{!r}", 1), ValueError, "placeholder {!r}"),
        ("format", ("{:{}}", 1, 2), ValueError, "nested placeholders"),
        ("format", ("{", 1), ValueError, "template '{' is malformed"),
        ("format", ("a}", 1), ValueError, "template 'a}' is malformed"),
        ("format", ("{:d}", 0.5), ValueError, "spec 'd' of {:d} in '{:d}'"),
        ("format", ("{:d}", 0.5), ValueError, "does not apply to 0.5"),
        ("format", ("{:.2f}", "x"), ValueError, "does not apply to 'x'"),
        ("format", ("{:.2f}", True), ValueError, "does not apply to true"),
        ("format", ("{}", [1]), TypeError, "{} in '{}' got a list"),
        ("basename", (3,), TypeError, "'basename' needs a string as the path, got 3"),
        ("dirname", (True,), TypeError, "got true"),
        ("stem", (1.5,), TypeError, "'stem' needs a string as the path, got 1.5"),
        ("extension", (None,), TypeError, "got a NoneType"),
        ("join_path", ("a", 2), TypeError, "as component 2, got 2"),
        ("replace", ("abc", "", "x"), ValueError, "non-empty text to replace in 'abc'"),
        ("replace", ("abc", "a", 1), TypeError, "as the replacement, got 1"),
        ("starts_with", (1, "a"), TypeError, "'starts_with' needs a string"),
        ("ends_with", ("a", 1), TypeError, "as the suffix, got 1"),
        ("contains", ("a", False), TypeError, "as the text to find, got false"),
    ],
)
def test_errors(name, args, error, fragment):
    with pytest.raises(error) as raised:
        call(name, *args)
    assert fragment in str(raised.value)


# --- dir ----------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """A folder with nested subfolders, mixed extensions and a folder named *.gz."""
    for name in [
        "b_case.nii.gz",
        "a_case.nii.gz",
        "B_upper.nii.gz",
        "notes.txt",
        ".hidden.nii.gz",
        "sub/c_case.nii.gz",
        "sub/d.mha",
        "sub/deeper/e_case.nii.gz",
        "aa/f_case.nii.gz",
    ]:
        path = tmp_path / "root" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    # A folder whose name matches the pattern must not be listed.
    (tmp_path / "root" / "folder.nii.gz").mkdir()
    return tmp_path / "root"


def test_dir_lists_files_only_sorted_and_not_recursive_by_default(tree):
    assert call("dir", str(tree)) == [
        f"{tree}/{name}"
        for name in [
            ".hidden.nii.gz", "B_upper.nii.gz", "a_case.nii.gz", "b_case.nii.gz",
            "notes.txt",
        ]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "recursive", "expected"),
    [
        ("*.nii.gz", False,
         [".hidden.nii.gz", "B_upper.nii.gz", "a_case.nii.gz", "b_case.nii.gz"]),
        ("*_case.nii.gz", False, ["a_case.nii.gz", "b_case.nii.gz"]),
        ("?_case.*", False, ["a_case.nii.gz", "b_case.nii.gz"]),
        ("[ab]_*", False, ["a_case.nii.gz", "b_case.nii.gz"]),
        ("*.mha", False, []),
        ("*.mha", True, ["sub/d.mha"]),
        ("*_case.nii.gz", True,
         ["a_case.nii.gz", "aa/f_case.nii.gz", "b_case.nii.gz", "sub/c_case.nii.gz",
          "sub/deeper/e_case.nii.gz"]),
        ("sub/*", False, ["sub/c_case.nii.gz", "sub/d.mha"]),
        ("**/*.mha", False, ["sub/d.mha"]),
        ("deeper/*", True, ["sub/deeper/e_case.nii.gz"]),
        ("nothing*", True, []),
    ],
)  # fmt: skip
def test_dir_patterns_and_recursion(tree, pattern, recursive, expected):
    assert call("dir", str(tree), pattern, recursive, False) == expected
    assert call("dir", str(tree), pattern, recursive, True) == [
        f"{tree}/{name}" for name in expected
    ]


def test_dir_order_is_by_relative_path_string(tree):
    # "a_case" < "aa/" < "b_case" < "sub/" as strings, whatever the walk order.
    listed = call("dir", str(tree), "*_case.nii.gz", True, False)
    assert listed == sorted(listed)
    assert listed.index("aa/f_case.nii.gz") < listed.index("b_case.nii.gz")


def test_dir_full_paths_open_from_the_working_directory(tree, monkeypatch):
    monkeypatch.chdir(tree.parent)
    for trailing in ("", "/"):
        listed = call("dir", "root" + trailing, "*.mha", True)
        assert listed == ["root/sub/d.mha"]
    assert Path(listed[0]).read_text() == "sub/d.mha"
    monkeypatch.chdir(tree)
    assert call("dir", "", "*.txt") == ["notes.txt"]
    assert call("dir", ".", "*.txt") == ["./notes.txt"]


def test_dir_returns_a_list_of_str(tree):
    listed = call("dir", str(tree), "*", True)
    assert type(listed) is list
    assert all(type(item) is str for item in listed)
    assert all(os.path.isfile(item) for item in listed)


@pytest.mark.parametrize(
    ("args", "error", "fragment"),
    [
        (("missing",), ValueError, "there is no folder 'missing' (looked for "),
        (("root/notes.txt",), ValueError, "'root/notes.txt' is a file, not a folder"),
        (("root", ""), ValueError, "non-empty pattern relative to the folder, got ''"),
        (("root", "/etc/*"), ValueError, "got '/etc/*'"),
        ((3,), TypeError, "'dir' needs a string as the folder, got 3"),
        (("root", 1), TypeError, "as the pattern, got 1"),
        (("root", "*", 1), TypeError, "true or false as recursive, got 1"),
        (("root", "*", True, "yes"), TypeError, "as full_paths, got 'yes'"),
    ],
)
def test_dir_errors(tree, monkeypatch, args, error, fragment):
    monkeypatch.chdir(tree.parent)
    with pytest.raises(error) as raised:
        call("dir", *args)
    assert fragment in str(raised.value)


# --- in programs --------------------------------------------------------------


def reduce(source):
    return Reducer().reduce_text(source, "prog.imgql")


def test_string_calls_fold_to_constants():
    plan = reduce(
        'let p = join_path("data", format("case_{:02d}", 3), "flair.nii.gz")\n'
        'print "stem" stem(p)\n'
        'print "ext" extension(p)\n'
        'print "n" to_number(replace("v12", "v", "")) + 1\n'
        'print "c" concat(basename(dirname(p)), "/", 0.5, true)\n'
        'print "b" starts_with(p, "data/") && contains(p, "flair")\n'
    )
    values = [plan.node(goal.node_id) for goal in plan.goals]
    assert values == [
        Constant("flair"), Constant(".nii.gz"), Constant(13),
        Constant("case_03/0.5true"), Constant(True),
    ]  # fmt: skip


def test_dir_is_not_folded_and_is_volatile(tree):
    plan = reduce(f'print "d" dir("{tree}", "*.nii.gz")')
    (goal,) = plan.goals
    node = plan.node(goal.node_id)
    assert isinstance(node, Operation)
    assert node.primitive == "default.dir"
    assert plan.fact(goal.node_id).is_volatile


def test_a_loop_over_dir_sees_new_files(run_program, tree):
    source = f'print "stems" for f in dir("{tree}", "*_case.nii.gz", true) do stem(f)\n'
    report = run_program(source)
    (printed,) = report.printed
    assert list(printed.value) == ["a_case", "f_case", "b_case", "c_case", "e_case"]
    (tree / "z_case.nii.gz").write_text("new")
    (printed,) = run_program(source).printed
    assert list(printed.value)[-1] == "z_case"
