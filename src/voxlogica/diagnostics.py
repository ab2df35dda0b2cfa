"""Source locations and the located errors every stage reports.

A :class:`Span` points at a place in an ImgQL source; a :class:`LocatedError`
carries one and renders as ``file:line:col: message`` followed by the source
line and a caret, which is what the command line prints. Sources are kept in
a small registry (file name -> text) filled by the parser, so later stages can
quote the offending line without passing the text around.
"""

from __future__ import annotations

from dataclasses import dataclass

_sources: dict[str, str] = {}


def remember_source(file: str, text: str) -> None:
    """Keep ``text`` so errors located in ``file`` can quote their line."""
    _sources[file] = text


@dataclass(frozen=True)
class Span:
    """A position in a source file; lines and columns count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def source_line(self) -> str | None:
        text = _sources.get(self.file)
        if text is None:
            return None
        lines = text.splitlines()
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return None


class LocatedError(Exception):
    """An error in a user's program, reported at a source location.

    ``exit_status`` is what the command line exits with: 2 for errors found
    before execution (syntax, names, types), 1 for failures while running.
    """

    exit_status = 2

    def __init__(self, message: str, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        #: Calls of user functions that led to ``span``, outermost first.
        self.call_sites: tuple[Span, ...] = ()

    def with_call_sites(self, call_sites: tuple[Span, ...]) -> LocatedError:
        """Record the calls through which the failing expression was reached."""
        self.call_sites = tuple(call_sites)
        return self

    def render(self) -> str:
        """Return ``file:line:col: message`` plus the source line and a caret."""
        if self.span is None:
            return f"error: {self.message}"
        text = f"{self.span}: {self.message}"
        line = self.span.source_line()
        if line is not None:
            caret = " " * (self.span.column - 1) + "^"
            text += f"\n    {line}\n    {caret}"
        # The error is inside a function (often one of a library): say where
        # the program called it, innermost call first.
        for call in reversed(self.call_sites[-4:]):
            if call != self.span:
                text += f"\n  called from {call}"
                called = call.source_line()
                if called is not None:
                    text += f": {called.strip()}"
        return text


class ProgramError(LocatedError):
    """A static error: unbound name, wrong arity, recursion, bad import."""


class ExecutionError(LocatedError):
    """A primitive failed while the plan was running."""

    exit_status = 1
