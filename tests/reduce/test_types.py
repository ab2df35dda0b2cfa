"""Static types: signatures, type rules, the plan checker and its exports."""

import io
import time

import pytest
from tests.conftest import CHRIS_T1, REPOSITORY

from voxlogica.diagnostics import ProgramError, Span
from voxlogica.primitives.registry import Primitive, load_namespace, resolve
from voxlogica.reduce import types as T
from voxlogica.reduce.export import plan_to_json
from voxlogica.reduce.plan import Plan, PrintGoal
from voxlogica.reduce.reducer import Reducer
from voxlogica.reduce.types import (
    ANY,
    BOOL,
    BOOL_IMAGE,
    COLOUR_IMAGE,
    IMAGE,
    NUMBER,
    NUMBER_IMAGE,
    STRING,
    SequenceType,
    TupleType,
    TypeCheckError,
    UnionType,
)

SOURCE = "prog.imgql"


def reduce(text):
    return Reducer().reduce_text(text, SOURCE)


def goal_types(text):
    """The type name of each goal of a program, after checking the whole plan."""
    plan = reduce(text)
    types = T.check_plan(plan)
    return [T.type_name(types[goal.node_id]) for goal in plan.goals]


def type_error(text):
    with pytest.raises(TypeCheckError) as caught:
        T.check_plan(reduce(text))
    return caught.value


# --- type names and signature text ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "number",
        "bool",
        "string",
        "image",
        "number image",
        "bool image",
        "colour image",
        "sequence of number",
        "sequence of sequence of bool image",
        "[number, string]",
        "number | sequence of number",
        "sequence of (number | string)",
        "any",
        "T",
    ],
)
def test_type_names_read_back(text):
    assert T.type_name(T.parse_type(text)) == text


def test_int_and_float_are_both_number():
    assert T.parse_type("int") == T.parse_type("float") == NUMBER
    assert goal_types('print "a" 1\nprint "b" 1.5') == ["number", "number"]


@pytest.mark.parametrize(
    "text", ["", "numbr", "sequence of", "(number", "number image image"]
)
def test_unreadable_types_are_errors(text):
    with pytest.raises(T.SignatureError):
        T.parse_type(text)


def test_imgql_signatures_with_overloads_unions_and_rest():
    plus = T.parse_signature("(number, number) -> number | (string, string) -> string")
    assert [o.result for o in plus.overloads] == [NUMBER, STRING]
    concat = T.parse_signature("(string | number | bool, ...) -> string")
    (overload,) = concat.overloads
    assert overload.parameters == ()
    assert overload.rest == UnionType((STRING, NUMBER, BOOL))
    assert all(overload.accepts_arity(count) for count in (0, 1, 5))
    union_result = T.parse_signature("(number) -> number | string")
    assert union_result.overloads[0].result == UnionType((NUMBER, STRING))


def test_vox1_signatures_are_read_around_the_name():
    infix = T.parse_signature("number image +. number -> number image", "+.")
    assert [p.type for p in infix.overloads[0].parameters] == [NUMBER_IMAGE, NUMBER]
    prefix = T.parse_signature("!. bool -> bool", "!.")
    assert [p.type for p in prefix.overloads[0].parameters] == [BOOL]
    nullary = T.parse_signature("tt -> bool image", "tt")
    assert nullary.overloads[0].parameters == ()
    assert nullary.overloads[0].result == BOOL_IMAGE
    call = T.parse_signature("max(number image) -> number", "max")
    assert call.overloads[0].result == NUMBER
    # ".|." holds a bar that is not an overload separator.
    bar = T.parse_signature("bool .|. bool -> bool", ".|.")
    assert len(bar.overloads) == 1


def test_simpleitk_signatures_map_cpp_types():
    function = T.parse_signature(
        "(Image image1, double lowerThreshold=0.0, uint8_t insideValue=1, "
        "VectorUInt32 radius=std::vector< unsigned int >(3, 1), "
        "itk::simple::KernelEnum kernelType=sitkBall, bool fullyConnected=False, "
        'std::string const & title="", '
        "VectorUIntList seeds=std::vector< std::vector< unsigned int > >()) -> Image"
        " | (Image image1, double constant) -> Image",
        dialect="c++",
    )
    first, second = function.overloads
    assert [p.name for p in first.parameters][:2] == ["image1", "lowerThreshold"]
    assert [p.type for p in first.parameters] == [
        IMAGE,
        NUMBER,
        NUMBER,
        UnionType((NUMBER, SequenceType(NUMBER))),
        NUMBER,
        BOOL,
        STRING,
        UnionType((SequenceType(NUMBER), SequenceType(SequenceType(NUMBER)))),
    ]
    assert first.min_arity == 1 and not first.parameters[0].optional
    assert first.result == IMAGE and len(second.parameters) == 2


@pytest.mark.parametrize(
    ("cpp", "expected"),
    [
        ("unsigned int", NUMBER),
        ("float", NUMBER),
        ("itk::simple::PixelIDValueEnum", NUMBER),
        ("itk::simple::PathType const &", STRING),
        ("Transform", T.TRANSFORM),
        ("Tuple[float, float]", SequenceType(NUMBER)),
        ("VectorString", SequenceType(STRING)),
        ("VectorDouble", SequenceType(NUMBER)),
        ("numpy.ndarray", ANY),
        ("void", ANY),
    ],
)
def test_cpp_result_types(cpp, expected):
    assert T.cpp_type(cpp, as_result=True) == expected


def test_every_primitive_signature_is_read_and_covers_its_arity():
    for name in ("default", "vox1", "simpleitk"):
        namespace = load_namespace(name)
        for short in namespace.names():
            primitive = namespace.lookup(short)
            function = T.primitive_type(primitive)
            assert function is not None, primitive.qualified_name
            high = primitive.max_arity
            top = primitive.min_arity + 3 if high is None else high
            for count in range(primitive.min_arity, top + 1):
                fits = [o for o in function.overloads if o.accepts_arity(count)]
                assert fits, (primitive.qualified_name, count)


# --- type rules ----------------------------------------------------------------


def test_images_of_unknown_pixels_fit_every_image_parameter():
    assert T.compatible(IMAGE, NUMBER_IMAGE) and T.compatible(IMAGE, BOOL_IMAGE)
    assert T.compatible(BOOL_IMAGE, IMAGE) and T.compatible(COLOUR_IMAGE, IMAGE)
    # vox1 reads a bool image as 0/1 numbers, not the other way round.
    assert T.compatible(BOOL_IMAGE, NUMBER_IMAGE)
    assert not T.compatible(NUMBER_IMAGE, BOOL_IMAGE)
    assert not T.compatible(NUMBER, NUMBER_IMAGE)
    assert not T.compatible(BOOL, NUMBER)


def test_any_fits_everything_and_everything_fits_any():
    for other in (NUMBER, BOOL_IMAGE, SequenceType(STRING)):
        assert T.compatible(ANY, other) and T.compatible(other, ANY)


def test_sequences_and_tuples():
    pair = TupleType((NUMBER, STRING))
    assert T.compatible(SequenceType(NUMBER), SequenceType(NUMBER))
    assert not T.compatible(SequenceType(STRING), SequenceType(NUMBER))
    assert T.compatible(pair, SequenceType(UnionType((NUMBER, STRING))))
    assert T.element_type(pair) == ANY
    assert T.tuple_of([NUMBER, NUMBER]) == SequenceType(NUMBER)


def test_join():
    assert T.join(NUMBER_IMAGE, BOOL_IMAGE) == IMAGE
    assert T.join(NUMBER, STRING) == ANY
    assert T.join(SequenceType(NUMBER_IMAGE), SequenceType(IMAGE)) == SequenceType(
        IMAGE
    )


def _custom_primitive(signature, name="test.pick"):
    return Primitive(
        qualified_name=name,
        function=lambda *arguments: arguments[0],
        version="1",
        min_arity=2,
        max_arity=2,
        signature=signature,
    )


def _plan_calling(primitive, *values):
    plan = Plan()
    arguments = tuple(plan.constant(value) for value in values)
    node = plan.call(primitive, arguments, Span(SOURCE, 3, 7))
    plan.goals.append(PrintGoal("x", node, Span(SOURCE, 3, 1)))
    return plan, node


def test_type_variables_take_the_type_of_their_first_argument():
    pick = _custom_primitive("(T, T) -> T")
    plan, node = _plan_calling(pick, "a", "b")
    assert T.check_plan(plan)[node] == STRING
    plan, _ = _plan_calling(pick, 1, "b")
    with pytest.raises(TypeCheckError) as caught:
        T.check_plan(plan)
    assert caught.value.message == "test.pick: argument 2 expects number, got string"
    assert str(caught.value.span) == f"{SOURCE}:3:7"


def test_an_unreadable_signature_gives_no_error():
    plan, node = _plan_calling(_custom_primitive("whatever this is"), 1, "b")
    assert T.check_plan(plan)[node] == ANY


# --- checking programs ---------------------------------------------------------


def test_type_errors_name_both_types_at_the_call():
    error = type_error('print "x" 1 + "a"')
    assert isinstance(error, ProgramError) and error.exit_status == 2
    assert error.message == "default.+: argument 2 expects number, got string"
    assert (error.expected, error.actual) == ("number", "string")
    assert str(error.span) == f"{SOURCE}:1:13"
    assert error.render().startswith(f"{SOURCE}:1:13: default.+: argument 2")


def test_simpleitk_errors_name_the_parameter():
    error = type_error('import "simpleitk"\nprint "x" BinaryThreshold("a", 1, 2, 1, 0)')
    assert error.message == (
        "simpleitk.BinaryThreshold: argument 1 (image1) expects image, got string"
    )
    assert str(error.span) == f"{SOURCE}:2:11"
    error = type_error(
        'import "simpleitk"\n'
        'let img = ReadImage("missing.nii.gz")\n'
        'print "x" BinaryThreshold(img, "low", 2, 1, 0)'
    )
    assert error.message == (
        "simpleitk.BinaryThreshold: argument 2 (lowerThreshold) expects number, "
        "got string"
    )
    assert str(error.span) == f"{SOURCE}:3:11"


def test_simpleitk_overloads_accept_if_any_does():
    assert goal_types(
        'import "simpleitk"\n'
        'let img = ReadImage("missing.nii.gz")\n'
        'print "a" Add(img, 2)\nprint "b" Add(2, img)\nprint "c" Add(img, img)\n'
        'print "range" MinimumMaximum(img)\n'
        'print "radius" BinaryDilate(img, 2)\n'
        'print "radii" BinaryDilate(img, [1, 2, 1])'
    ) == ["image", "image", "image", "sequence of number", "image", "image"]
    error = type_error(
        'import "simpleitk"\nprint "a" Add(ReadImage("missing.nii.gz"), "2")'
    )
    assert (
        error.message == "simpleitk.Add: argument 2 expects image or number, got string"
    )


def test_loop_bodies_are_checked_even_over_an_empty_range():
    error = type_error('let xs = for i in range(0) do i + "a"\nprint "x" xs')
    assert error.message == "default.+: argument 2 expects number, got string"
    assert str(error.span) == f"{SOURCE}:1:33"


def test_loop_variables_take_the_element_type():
    assert goal_types(
        'print "a" for i in range(1, 5) do i * 2\n'
        'print "b" for s in ["x", "y"] do s + "!"\n'
        'print "c" for (i, s) in enumerate(["x", "y"]) do concat(s, i)\n'
        'print "d" for (a, b) in zip(range(3), ["p", "q"]) do b + to_string(a)\n'
        'print "e" for row in [[1, 2], [3]] do for x in row do x > 1\n'
        'print "f" map(to_string, range(3))\n'
        'print "g" filter x in range(9) do x % 2 == 0\n'
        'print "h" range(9)[2:4]\n'
        'print "i" length(range(4))'
    ) == [
        "sequence of number",
        "sequence of string",
        "sequence of string",
        "sequence of string",
        "sequence of sequence of bool",
        "sequence of string",
        "sequence of number",
        "sequence of number",
        "number",
    ]
    error = type_error('print "x" for (i, s) in enumerate(["a"]) do s * i')
    assert error.message == "default.*: argument 1 expects number, got string"


def test_one_function_body_is_checked_per_element_type():
    assert goal_types(
        "let show(v) = to_string(v)\n"
        'print "a" for n in range(2) do show(n)\n'
        'print "b" for t in ["x"] do show(t)'
    ) == ["sequence of string", "sequence of string"]
    error = type_error(
        "let inc(v) = v + 1\n"
        'print "a" for n in range(2) do inc(n)\n'
        'print "b" for t in ["x"] do inc(t)'
    )
    assert error.message == "default.+: argument 2 expects string, got number"


def test_arrays_keep_their_items_types():
    assert goal_types(
        'print "a" [1, "a"]\nprint "b" [1, "a"][1]\nprint "c" [1, 2]'
    ) == [
        "[number, string]",
        "string",
        "sequence of number",
    ]


def test_folds_type_their_accumulator():
    assert goal_types(
        'print "sum" fold + 0 range(4)\n'
        'print "first" fold max range(4)\n'
        'print "text" fold + "" ["a", "b"]'
    ) == ["number", "number", "string"]
    error = type_error('print "x" fold + 0 ["a", "b"]')
    assert error.message == "default.+: argument 2 expects number, got string"


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ('print "x" for i in 3 do i', "for: expects a sequence, got number"),
        ('print "x" filter i in range(3) do i', "filter: the condition expects bool"),
        ('print "x" range(3)["a"]', "index: the position expects number, got string"),
        ('print "x" length(1)', "length: expects a sequence, got number"),
        ('print "x" argmax(["a"])', "argmax: expects a sequence of number"),
        ('print "x" fold + 0 7', "fold: expects a sequence, got number"),
        (
            "for i in range(3) do print i i",
            "print: the label expects string, got number",
        ),
    ],
)
def test_sequence_nodes_check_their_inputs(program, message):
    assert type_error(program).message.startswith(message)


def test_an_error_in_an_unlocated_node_points_at_its_user():
    # A tuple pattern's items are indexes the reducer creates without a place.
    error = type_error('print "x" for (a, b) in range(3) do a')
    assert error.message == "index: expects a sequence, got number"
    assert str(error.span) == f"{SOURCE}:1:16"


def test_vox1_images_keep_their_pixel_kind():
    prefix = f'import "vox1"\nload img = "{CHRIS_T1}"\nlet t1 = intensity(img)\n'
    assert goal_types(
        prefix + 'print "n" t1 +. 1\nprint "b" 10 .<= t1\nprint "v" volume(tt)\n'
        'print "s" 1 + 2\nprint "m" 2 .- 1\nprint "o" not(true)\nprint "i" img'
    ) == ["number image", "bool image", "number", "number", "number", "bool", "image"]
    error = type_error(prefix + 'print "x" volume(t1)')
    assert (
        error.message == "vox1.volume: argument 1 expects bool image, got number image"
    )
    assert str(error.span) == f"{SOURCE}:4:11"


STDLIB_PROGRAM = f"""import "vox1"
import "stdlib.imgql"
load img = "{CHRIS_T1}"
let t1 = intensity(img)
let a = t1 >. 100
let b = t1 <. 50
print "regions" [volume(a & b), volume(a | b), volume(!a), volume(a \\ b),
    volume(xor(a, b)), volume(N(a)), volume(I(a)), volume(outerBorder(a)),
    volume(innerBorder(a)), volume(a ~> b), volume(touch(a, b)), volume(T(a, b)),
    volume(grow(a, b)), volume(mayReach(a, b)), volume(surrounded(a, b)),
    volume(S(a, b))]
print "comparisons" volume((10 .< t1) & (10 .> t1) & (t1 <=. 3) & (t1 >=. 4)
    & (t1 =. 2))
print "numbers" max((2 .* t1) + (3 .+ t1))
print "distances" [volume(distgeq(2, a)), volume(distleq(2, a)), max(pdt(a)),
    volume(dilate(a, 1)), volume(erode(a, 1)), volume(imopen(a, 1)),
    volume(imclose(a, 1)), volume(smoothen(a, 2))]
print "statistics" max(similar(t1, t1, 2, 8))
print "conversions" [max(booleanToNumber(3, a)), max(norm(2, t1))]
print "choices" [volume(ifB(true, a, b)), max(ifN(false, t1, t1)),
    max(divZ(t1, t1, 0))]
print "tests" [emptyB(a), nemptyB(a), eqB(a, b), neqB(a, b), leqB(a, b),
    collect(a, b), DC(a, b), EC(a, b), PO(a, b), EQ(a, b), TPP(a, b),
    NTPP(a, b), TPPi(a, b), NTPPi(a, b)]
print "overlays" [max(overlayB(a, t1, t1)), overlayColor(a, img, 255, 0, 0)]
print "per level" for level in range(1, 4) do volume(t1 >. level * 40)
"""


def test_the_vox1_standard_library_type_checks():
    assert goal_types(STDLIB_PROGRAM) == [
        "sequence of number",
        "number",
        "number",
        "sequence of number",
        "number",
        "sequence of number",
        "sequence of number",
        "sequence of bool",
        "[number, colour image]",
        "sequence of number",
    ]


@pytest.mark.parametrize(
    "path",
    sorted((REPOSITORY / "examples").glob("*.imgql")),
    ids=lambda path: path.name,
)
def test_examples_type_check(path):
    if not path.exists():
        pytest.skip(f"{path.name} was removed after collection")
    plan = Reducer().reduce_file(path)
    types = T.check_plan(plan)
    assert all(goal.node_id in types for goal in plan.goals)


def test_a_long_let_chain_is_checked_quickly():
    lines = ['import "simpleitk"', 'let x0 = ReadImage("missing.nii.gz")']
    lines += [f"let x{i} = Add(x{i - 1}, {i})" for i in range(1, 10_001)]
    lines.append('print "x" x10000')
    plan = reduce("\n".join(lines))
    started = time.perf_counter()
    types = T.check_plan(plan)
    assert time.perf_counter() - started < 5
    assert types[plan.goals[0].node_id] == IMAGE
    assert len(types) > 20_000


def test_a_deep_loop_body_is_checked_without_recursion():
    plan = Plan()
    plus = resolve("default.+")
    body = plan.parameter(0)
    for _ in range(10_000):
        body = plan.call(plus, (body, plan.constant(1)))
    sequence = plan.call(resolve("default.range"), (plan.constant(3),))
    loop = plan.loop(sequence, 0, body)
    plan.goals.append(PrintGoal("x", loop, Span(SOURCE, 1, 1)))
    assert T.check_plan(plan)[loop] == SequenceType(NUMBER)


# --- exports and the REPL -----------------------------------------------------------


def test_annotate_adds_a_type_to_every_exported_node():
    plan = reduce(
        'import "simpleitk"\n'
        'let img = ReadImage("missing.nii.gz")\n'
        'print "d" for i in range(1, 4) do BinaryThreshold(img, i, 255, 1, 0)'
    )
    exported = plan_to_json(plan)
    annotated = T.annotate(exported, T.check_plan(plan))
    assert "type" not in exported["nodes"][-1]  # the export itself is left alone
    by_id = {entry["id"]: entry for entry in annotated["nodes"]}
    assert all("type" in entry for entry in annotated["nodes"])
    assert by_id[plan.goals[0].node_id]["type"] == "sequence of image"
    constants = [e for e in annotated["nodes"] if e["kind"] == "constant"]
    assert {(e["type"], e["literal_type"]) for e in constants} >= {
        ("number", "int"),
        ("string", "string"),
    }


def test_type_of_names_one_node():
    plan = reduce('print "x" for i in range(3) do i < 2')
    assert T.type_of(plan, plan.goals[0].node_id) == "sequence of bool"


def test_the_repl_type_command_uses_the_checker():
    from voxlogica.cli.repl import run_repl

    output = io.StringIO()
    run_repl(io.StringIO(':type range(0, 2)\n:type [1, "a"]\n:type 1 + "a"\n'), output)
    lines = output.getvalue().splitlines()
    assert lines[:2] == ["sequence of number", "[number, string]"]
    assert lines[2] == "<repl>:3:9: default.+: argument 2 expects number, got string"


def test_checking_leaves_the_plan_as_it_was():
    plan = reduce('print "x" for i in range(3) do i * 2')
    before = (dict(plan.nodes), list(plan.goals))
    T.check_plan(plan)
    assert (dict(plan.nodes), list(plan.goals)) == before
