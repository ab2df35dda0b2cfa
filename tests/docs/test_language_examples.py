"""Run every example of docs/language.md and compare it with its expected output.

The page marks its examples with fenced blocks:

* ```` ```imgql ```` is a program. Words after ``imgql`` on the fence line are
  extra arguments for ``voxlogica run`` (```` ```imgql --json ````).
* ```` ```output ```` right after it holds the exact expected stdout.
* ```` ```error ```` right after it instead holds a text that stderr must
  contain (with the temporary folder left out of file names, so a location
  reads ``example.imgql:2:15``); the run must then fail.
  ```` ```error 2 ```` also fixes the exit status.
* ```` ```imgql file=NAME ```` is not run: it is a file that examples import,
  written next to every example program.

Each program is written to ``example.imgql`` in a fresh temporary folder and
run with ``python -m voxlogica.cli.main run FILE --no-cache`` from the
repository root, as a user following the page would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENT = REPOSITORY / "docs" / "language.md"
PROGRAM_NAME = "example.imgql"
_OPENING = re.compile(r"^(`{3,})\s*(.*)$")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    info: str
    body: str
    blank_before: bool  # only blank lines between this block and the previous one


def _blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order."""
    blocks = []
    lines = text.splitlines()
    index = 0
    last_end = None
    while index < len(lines):
        match = _OPENING.match(lines[index])
        if not match:
            index += 1
            continue
        fence, info = match.groups()
        start = index
        body = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        adjacent = last_end is not None and all(
            not line.strip() for line in lines[last_end + 1 : start]
        )
        blocks.append(
            Block(start + 1, info.strip(), "".join(f"{b}\n" for b in body), adjacent)
        )
        last_end = index
        index += 1
    return blocks


def _kind(block: Block) -> str:
    return block.info.split()[0] if block.info else ""


@dataclass(frozen=True)
class Example:
    line: int
    program: str
    arguments: tuple[str, ...]
    expected: Block | None


def _examples(blocks: list[Block]) -> list[Example]:
    examples = []
    for position, block in enumerate(blocks):
        words = block.info.split()
        if _kind(block) != "imgql" or any(w.startswith("file=") for w in words):
            continue
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if (
            following is None
            or not following.blank_before
            or (_kind(following) not in ("output", "error"))
        ):
            following = None
        examples.append(Example(block.line, block.body, tuple(words[1:]), following))
    return examples


def _support_files(blocks: list[Block]) -> dict[str, str]:
    files = {}
    for block in blocks:
        for word in block.info.split()[1:]:
            if _kind(block) == "imgql" and word.startswith("file="):
                files[word.removeprefix("file=")] = block.body
    return files


BLOCKS = _blocks(DOCUMENT.read_text(encoding="utf-8"))
EXAMPLES = _examples(BLOCKS)
SUPPORT_FILES = _support_files(BLOCKS)


def _run(example: Example, folder: Path) -> subprocess.CompletedProcess:
    for name, text in SUPPORT_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    program = folder / PROGRAM_NAME
    program.write_text(example.program, encoding="utf-8")
    environment = dict(os.environ)
    environment.pop("VOXLOGICA_PATH", None)
    return subprocess.run(
        [
            sys.executable, "-m", "voxlogica.cli.main", "run", str(program),
            "--no-cache", *example.arguments,
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=environment,
        timeout=120,
    )  # fmt: skip


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 20


def test_every_example_has_an_expected_result():
    unchecked = [e.line for e in EXAMPLES if e.expected is None]
    assert not unchecked, (
        f"imgql blocks at lines {unchecked} of {DOCUMENT.name} are not followed "
        "by an output or error block"
    )


def test_every_result_block_follows_an_example():
    orphans = [
        block.line
        for position, block in enumerate(BLOCKS)
        if _kind(block) in ("output", "error")
        and not (
            position > 0
            and block.blank_before
            and _kind(BLOCKS[position - 1]) == "imgql"
            and "file=" not in BLOCKS[position - 1].info
        )
    ]
    assert not orphans, f"result blocks at lines {orphans} follow no example"


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.expected], ids=lambda e: f"line{e.line}"
)
def test_example(example: Example, tmp_path: Path):
    result = _run(example, tmp_path)
    expected = example.expected
    if _kind(expected) == "output":
        assert result.returncode == 0, result.stderr
        assert result.stdout == expected.body
        return
    words = expected.info.split()
    if len(words) > 1:
        assert result.returncode == int(words[1]), result.stderr
    else:
        assert result.returncode != 0, result.stdout
    # Locations name the program as the page does: example.imgql:2:15.
    stderr = result.stderr.replace(f"{tmp_path}{os.sep}", "")
    assert expected.body.strip() in stderr
