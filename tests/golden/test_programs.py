"""Golden programs: every language construct, with the values it must print."""

import json

import pytest

from voxlogica.store import NullStore

GOLDEN = [
    ("arithmetic precedence", 'print "a" 1 + 2 * 3\nprint "b" 10 - 2 - 3', [7, 5]),
    ("unary minus and n-1", 'let n = 5\nprint "a" n-1\nprint "b" -n * 2', [4, -10]),
    ("division is true division", 'print "a" 3 / 2', [1.5]),
    ("booleans", 'print "a" !true || 1 < 2 && false', [False]),
    ("user operator", 'let +?(a, b) = a * b + 1\nprint "a" 5 +? 8', [41]),
    ("user operator level", 'let *?(a, b) = a - b\nprint "a" 1 + 10 *? 4', [7]),
    ("zero-argument function", 'let f() = 42\nprint "a" f()', [42]),
    ("let in", 'print "a" let x = 3 in let y = x * x in y + x', [12]),
    (
        "lexical scoping",
        'let k = 1\nlet f(x) = x + k\nlet k = 100\nprint "a" f(1)',
        [2],
    ),
    (
        "strings",
        'print "a" concat("ab", 1, true)\nprint "b" "x" + "y"',
        ["ab1true", "xy"],
    ),
    ("format", 'print "a" format("{} of {:.1f}", 3, 2.25)', ["3 of 2.2"]),
    (
        "paths",
        'print "a" stem("d/case_01_flair.nii.gz")\nprint "b" join_path("a", "b")',
        ["case_01_flair", "a/b"],
    ),
    (
        "array and index",
        'let xs = [10, 20, 30]\nprint "a" xs[2]\nprint "b" xs',
        [30, [10, 20, 30]],
    ),
    (
        "slices",
        "let xs = [1, 2, 3, 4]\n"
        'print "a" xs[1:3]\nprint "b" xs[:2]\nprint "c" xs[2:]\nprint "d" xs[:]',
        [[2, 3], [1, 2], [3, 4], [1, 2, 3, 4]],
    ),
    ("for over range", 'print "a" for i in range(1, 4) do i * i', [[1, 4, 9]]),
    (
        "nested for",
        'print "a" for i in range(0, 2) do for j in range(0, 2) do i * 10 + j',
        [[[0, 1], [10, 11]]],
    ),
    ("filter", 'print "a" filter x in range(0, 10) do x % 3 == 0', [[0, 3, 6, 9]]),
    ("fold with initial", 'print "a" fold + 100 [1, 2, 3]', [106]),
    (
        "fold without initial",
        'print "a" fold max [3, 9, 2]\nprint "b" fold - [10, 1, 2]',
        [9, 7],
    ),
    (
        "fold with a named function",
        'let f(acc, x) = acc * 10 + x\nprint "a" fold f 0 [1, 2, 3]',
        [123],
    ),
    ("map", 'let sq(x) = x * x\nprint "a" map(sq, [1, 2, 3])', [[1, 4, 9]]),
    (
        "length and argmax",
        'print "a" length(range(0, 1000000))\nprint "b" argmax([3, 9, 2, 9])',
        [1000000, 1],
    ),
    (
        "subsequence",
        'print "a" subsequence(for i in range(0, 100) do i * 2, 3, 6)',
        [[6, 8, 10]],
    ),
    (
        "enumerate",
        'print "a" for (i, x) in enumerate(["a", "b"]) do concat(i, x)',
        [["0a", "1b"]],
    ),
    ("zip", 'print "a" for (a, b) in zip([1, 2], [10, 20]) do a + b', [[11, 22]]),
    (
        "index of a long loop",
        'print "a" (for i in range(0, 1000000) do i * i)[999]',
        [998001],
    ),
    ("command loop", 'for x in [1, 2] do print concat("v", x) x * 2', [2, 4]),
]


@pytest.mark.parametrize("title, source, expected", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_program(run_program, title, source, expected):
    report = run_program(source, store=NullStore())
    assert [p.value for p in report.printed] == expected


def test_command_loop_labels(run_program):
    report = run_program(
        'for x in [1, 2] do print concat("v", x) x * 2', store=NullStore()
    )
    assert [p.name for p in report.printed] == ["v1", "v2"]


def test_command_block_outputs_per_element(run_program, tmp_path):
    report = run_program(
        "for x in [1, 2] do {\n"
        '    print concat("v", x) x * 2\n'
        f'    save concat("{tmp_path}/out_", x, ".json") [x, x + 1]\n'
        '    for y in [10, 20] do print concat("p", x, "_", y) x + y\n'
        "}\n",
        store=NullStore(),
    )
    assert [(p.name, p.value) for p in report.printed] == [
        ("v1", 2),
        ("p1_10", 11),
        ("p1_20", 21),
        ("v2", 4),
        ("p2_10", 12),
        ("p2_20", 22),
    ]
    assert json.loads((tmp_path / "out_2.json").read_text()) == [2, 3]


def test_vox1_compatibility_mode(run_program):
    report = run_program(
        "// syntax: vox1\n"
        'print "a" 1 + 2 * 3\nprint "b" 10 - 2 - 3\nprint "c" !true & false',
        store=NullStore(),
    )
    assert [p.value for p in report.printed] == [7, 11, True]


# -- laziness, observed with a primitive that counts its calls


@pytest.mark.parametrize(
    "expression, expected_calls",
    [
        ("(for i in range(0, 1000) do tick(i))[7]", [7]),
        ("(for i in range(0, 1000) do tick(i))[3:5]", [3, 4]),
        ("subsequence(for i in range(0, 1000) do tick(i), 10, 12)", [10, 11]),
        ("length(for i in range(0, 1000) do tick(i))", []),
        ("(map(tick, range(0, 1000)))[2]", [2]),
        ("(filter x in range(0, 1000) do tick(x) > 6)[0]", [0, 1, 2, 3, 4]),
    ],
)
def test_sequences_compute_only_what_is_asked(
    run_program,
    counting_namespace,
    expression,
    expected_calls,
):
    run_program(f'import "counting"\nprint "x" {expression}', store=NullStore())
    assert sorted(counting_namespace) == expected_calls


def test_goals_take_effect_in_program_order(run_program, counting_namespace):
    report = run_program(
        'import "counting"\n'
        'print "first" tick(1)\n'
        'for x in [2, 3] do print "loop" tick(x)\n'
        'print "last" tick(4)\n'
        'let name = "named"\n'
        'for (label, v) in [["a", 1], ["b", 2]] do print label v\n'
        "print name 5\n",
        store=NullStore(),
    )
    assert [p.name for p in report.printed] == [
        "first",
        "loop",
        "loop",
        "last",
        "a",
        "b",
        "named",
    ]
    # The plain goal after the loop ran after it, not before.
    assert counting_namespace == [1, 2, 3, 4]


def test_outputs_of_an_element_share_its_nodes(run_program, counting_namespace):
    # tick(x) is used by both outputs: computed once per element, although
    # the element's private chains run as one task each.
    report = run_program(
        'import "counting"\n'
        "for x in [1, 2] do {\n"
        '    print "a" tick(x) + 1\n'
        '    print "b" tick(tick(x) + 100)\n'
        "}\n",
        store=NullStore(),
    )
    assert [p.value for p in report.printed] == [3, 204, 5, 208]
    assert sorted(counting_namespace) == [1, 2, 102, 104]


def test_equal_elements_beyond_the_window(run_program, counting_namespace):
    # Seven equal elements, more than the window: later ones come from the
    # memo of small values, which must hold each node's own value.
    report = run_program(
        'import "counting"\nfor x in [1, 1, 1, 1, 1, 1, 1] do print "a" tick(5)\n',
        store=NullStore(),
    )
    assert [p.value for p in report.printed] == [10] * 7
