"""Programs at the limits of the front end: deep nesting, long chains, explosion."""

import subprocess
import sys

import pytest
from tests.conftest import REPOSITORY


def run(path):
    return subprocess.run(
        [sys.executable, "-m", "voxlogica.cli.main", "run", str(path), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=300,
    )


@pytest.mark.parametrize(
    "name, source, expected",
    [
        (
            "nested",
            'print "n" ' + "(1 + " * 5000 + "0" + ")" * 5000,
            "n=5000",
        ),
        (
            "chain",
            "\n".join(
                ["let x0 = 1"]
                + [f"let x{i} = x{i - 1} + 1" for i in range(1, 10000)]
                + ['print "last" x9999']
            ),
            "last=10000",
        ),
        (
            "explosion",
            "\n".join(
                ["let f0(x) = x + 1"]
                + [
                    f"let f{i}(x) = f{i - 1}(x) + f{i - 1}(x + 1) * 2"
                    for i in range(1, 21)
                ]
                + ['print "e" f20(1)']
            ),
            None,
        ),
    ],
)
def test_deep_programs_run(tmp_path, name, source, expected):
    path = tmp_path / f"{name}.imgql"
    path.write_text(source + "\n")
    result = run(path)
    assert result.returncode == 0, result.stderr
    assert "RecursionError" not in result.stderr
    if expected is not None:
        assert result.stdout.strip() == expected
    else:
        assert result.stdout.startswith("e=")


def test_top_level_self_reference_is_an_error_not_a_hang(tmp_path):
    path = tmp_path / "self.imgql"
    path.write_text('let a = a + 1\nprint "a" a\n')
    result = run(path)
    assert result.returncode == 2
    assert "refers to itself" in result.stderr


def test_self_reference_sees_the_earlier_binding(tmp_path):
    path = tmp_path / "rebind.imgql"
    path.write_text('let a = 1\nlet a = a + 1\nprint "a" a\n')
    assert run(path).stdout == "a=2\n"
