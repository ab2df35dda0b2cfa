"""The command line as a user meets it: output, exit statuses, located errors."""

import json
import subprocess
import sys

import pytest
from tests.conftest import CHRIS_T1, REPOSITORY


def voxlogica(*arguments, cwd=REPOSITORY):
    return subprocess.run(
        [sys.executable, "-m", "voxlogica.cli.main", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def program(tmp_path):
    def write(text, name="program.imgql"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_prints_in_program_order(program, tmp_path):
    path = program('print "b" 1 + 2 * 3\nprint "a" "text"\nprint "c" 10 - 2 - 3\n')
    result = voxlogica("run", path, "--store", tmp_path / "store")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["b=7", "a=text", "c=5"]


def test_syntax_error_is_located_with_status_2(program):
    path = program('let x = 1\nprint "x" (x +\n')
    result = voxlogica("run", path)
    assert result.returncode == 2
    first_line = result.stderr.splitlines()[0]
    assert first_line.startswith(f"{path}:2:15: unexpected end of file")
    assert "^" in result.stderr
    assert "Traceback" not in result.stderr


def test_unbound_name_is_located_before_execution(program):
    path = program(
        'import "simpleitk"\nlet img = ReadImage("no/such/file.nii.gz")\n'
        'print "x" for i in range(0, 3) do Multiply(img, j)\n'
    )
    result = voxlogica("run", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:3:49: unbound name 'j'")


def test_runtime_error_names_primitive_and_location(program, tmp_path):
    path = program('import "simpleitk"\nprint "x" ReadImage("no/such/file.nii.gz")\n')
    result = voxlogica("run", path, "--store", tmp_path / "store")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}:2:11: simpleitk.ReadImage" in result.stderr


def test_debug_shows_traceback(program):
    path = program('print "x" nosuch')
    result = voxlogica("run", path, "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_json_output(program, tmp_path):
    output = tmp_path / "mask.nii.gz"
    path = program(
        'import "simpleitk"\n'
        f'let img = ReadImage("{CHRIS_T1}")\n'
        'print "range" MinimumMaximum(img)\n'
        'print "flag" 1 < 2\n'
        f'save "{output}" BinaryThreshold(img, 100, 255, 1, 0)\n'
    )
    result = voxlogica("run", path, "--json", "--store", tmp_path / "store")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["error"] == ""
    assert document["print"][0] == {
        "name": "range",
        "vltype": "sequence",
        "value": [0.0, 255.0],
    } or (document["print"][0]["value"] == [0.0, 255.0])
    assert document["print"][1]["value"] is True
    (layer,) = document["layers"]
    assert layer["path"] == str(output)
    assert (layer["min"], layer["max"]) == (0, 1)


def test_task_graph_exports_are_stable_and_dependency_first(program, tmp_path):
    path = program(
        'import "simpleitk"\n'
        f'let img = ReadImage("{CHRIS_T1}")\n'
        "let data = for i in range(1, 4) do BinaryThreshold(img, i, 255, 1, 0)\n"
        'print "d" data\n'
    )
    exports = []
    for index in range(2):
        graph = tmp_path / f"plan{index}.json"
        dot = tmp_path / f"plan{index}.dot"
        result = voxlogica(
            "run",
            path,
            "--no-execute",
            "--save-task-graph-as-json",
            graph,
            "--save-task-graph-as-dot",
            dot,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        exports.append((graph.read_text(), dot.read_text()))
    assert exports[0] == exports[1]
    document = json.loads(exports[0][0])
    seen = set()
    for node in document["nodes"]:
        for dependency in node.get("arguments", []) + [
            node[k] for k in ("sequence", "body") if k in node
        ]:
            assert dependency in seen
        seen.add(node["id"])
    assert document["goals"][0]["node"] in seen
    assert exports[0][1].startswith("digraph plan {")


def test_check_and_version(program):
    assert voxlogica("check", program('print "x" 1')).returncode == 0
    version = voxlogica("version")
    assert version.returncode == 0 and version.stdout.startswith("voxlogica ")


def test_delete_cache_and_no_cache(program, tmp_path):
    store = tmp_path / "store"
    path = program('print "x" for i in range(0, 3) do i * 2\n')
    assert voxlogica("run", path, "--store", store).returncode == 0
    assert (store / "index.sqlite").exists()
    result = voxlogica("run", path, "--store", store, "--delete-cache")
    assert result.returncode == 0 and result.stdout == "x=[0, 2, 4]\n"
    other = tmp_path / "unused"
    assert voxlogica("run", path, "--no-cache", "--store", other).returncode == 0
    assert not other.exists()


def test_unbound_name_suggests_a_close_name(program):
    path = program('import "simpleitk"\nprint "x" MinimumMaximun(1)\n')
    result = voxlogica("run", path)
    assert result.returncode == 2
    assert "did you mean 'MinimumMaximum'?" in result.stderr


def test_json_output_on_a_static_error(program):
    path = program('print "x" (1 +\n')
    result = voxlogica("run", path, "--json")
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["print"] == [] and document["error"].startswith(f"{path}:1:")


def test_strings_in_printed_sequences_are_quoted(program, tmp_path):
    path = program('print "names" for s in ["a", "b"] do concat(s, "!")\n')
    result = voxlogica("run", path, "--no-cache")
    assert result.stdout == 'names=["a!", "b!"]\n'


def test_errors_inside_functions_name_the_calls(program, tmp_path):
    path = program(
        'import "simpleitk"\n'
        "let f(p) = ReadImage(p)\n"
        'let g(p) = f(concat(p, ".nii"))\n'
        'print "x" g("no/such")\n'
    )
    result = voxlogica("run", path, "--store", tmp_path / "store")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:2:12: simpleitk.ReadImage")
    assert f'  called from {path}:3:12: let g(p) = f(concat(p, ".nii"))' in lines
    assert f'  called from {path}:4:11: print "x" g("no/such")' in lines


def test_type_error_in_the_stdlib_names_the_program_line(program):
    path = program(
        'import "stdlib.imgql"\n'
        f'load img = "{CHRIS_T1}"\n'
        "let b = intensity(img) >. 10\n"
        'print "bad" b & 3\n'
    )
    result = voxlogica("check", path)
    assert result.returncode == 2
    assert "stdlib.imgql" in result.stderr.splitlines()[0]
    assert f'  called from {path}:4:15: print "bad" b & 3' in result.stderr
