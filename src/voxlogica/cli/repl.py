"""``voxlogica repl``: an interactive ImgQL session.

One :class:`~voxlogica.reduce.reducer.Reducer` lives for the whole session,
so a name bound on one line is visible on the next. Each entry is either

* commands (``let``, ``import``, ``print``, ``save``): they are reduced, and
  the ``print``/``save`` goals among them run at once;
* an expression: it is evaluated and its value shown (as ``print`` would show
  it, without the ``name=``);
* a session command starting with ``:`` (``:help`` lists them).

An entry that stops where more text is needed (after an operator, inside an
open parenthesis, after ``let x =``...) continues on the next line; an empty
line ends it. An entry that fails, statically or while running, is reported
with its location and leaves the session's bindings as they were before it.

Every entry that runs goals gets its own :class:`~voxlogica.engine.runner.Engine`
over the session's plan and store, with only that entry's goals; the engines
share one Dask client, started the first time something has to be computed
(numbers fold while reducing and never need it) and closed when the session
ends.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from voxlogica.cli.support import (
    cpu_count,
    in_deep_stack,
    open_store,
    progress_for_terminal,
)
from voxlogica.diagnostics import LocatedError, ProgramError, Span, remember_source
from voxlogica.engine.runner import Engine, PrintedValue, no_progress
from voxlogica.primitives.registry import Namespace
from voxlogica.reduce.plan import NodeId, PrintGoal
from voxlogica.reduce.reducer import Reducer, Scope
from voxlogica.reduce.types import type_of
from voxlogica.syntax import ast
from voxlogica.syntax.parser import ImgQLSyntaxError, parse, parse_expression

logger = logging.getLogger(__name__)

PROMPT = "imgql> "
#: The file name in the locations of errors in typed entries.
SESSION_FILE = "<repl>"
CONTINUATION_PROMPT = "...> "
_END_OF_FILE = "unexpected end of file"
#: Module that may provide ``type_of(plan, node_id) -> str`` (a static checker).

# The same allowance as ``voxlogica run``: reducing a deeply nested program
# recurses once per nesting level.

HELP_TEXT = """\
Type ImgQL commands or an expression:
  let x = e                bind a name for the rest of the session
  import "simpleitk"       make a namespace (or an .imgql file) available
  print "name" e           show name=value
  save "file.nii.gz" e     write a value to a file
  e                        show the value of an expression
Session commands:
  :help                    this text
  :load FILE               reduce a program file into the session
                           (its names become available, its print and save run)
  :type EXPR               the type of an expression
  :quit                    leave (so does the end of input)
An entry that ends after an operator or inside an open parenthesis goes on
on the next line; an empty line ends it."""


@dataclass(frozen=True)
class _Snapshot:
    """What an entry may change in the reducer, to undo it if the entry fails."""

    scope: Scope
    namespaces: list[Namespace]
    imported_files: set[Path]


class ReplSession:
    """The state of one interactive session and the handling of its entries.

    Parameters
    ----------
    output : text stream
        Where values and ``print`` results go (and the help text).
    errors : text stream, optional
        Where diagnostics go; ``output`` if not given.
    store : ResultStore or NullStore, optional
        Where results persist; a ``NullStore`` if not given. The session
        closes it.
    client_factory : callable, optional
        Returns the Dask client to use; it belongs to the caller and is not
        closed. Without it the session starts an embedded cluster of
        ``workers`` threads on first need and closes it in :meth:`close`.
    workers : int, optional
        Worker threads of the embedded cluster (default: one per CPU).
    progress : callable, optional
        ``progress(label, total)`` as taken by the engine, for loops.
    syntax : str, optional
        Syntax mode (``"vox1"`` for VoxLogicA 1 operator grouping).
    """

    def __init__(
        self,
        output: TextIO,
        errors: TextIO | None = None,
        *,
        store=None,
        client_factory: Callable[[], Any] | None = None,
        workers: int | None = None,
        progress: Callable[[str, int | None], Any] = no_progress,
        syntax: str | None = None,
    ):
        from voxlogica.store import NullStore

        self.output = output
        self.errors = errors if errors is not None else output
        self.store = store if store is not None else NullStore()
        self.reducer = Reducer(syntax=syntax)
        self.workers = workers
        self.progress = progress
        self._client_factory = client_factory
        self._client = None
        # Every line read so far: entries are parsed at their place in it.
        self._transcript: list[str] = []

    # -- entries

    def handle(self, text: str) -> bool:
        """Run one complete entry; return False if it asks to end the session."""
        first_line = len(self._transcript) + 1
        self._transcript.extend(text.split("\n"))
        stripped = text.strip()
        if not stripped:
            return True
        if stripped.startswith(":"):
            return self._session_command(text, first_line)
        source = _placed(text, first_line)
        self._guarded(lambda: self._evaluate(source))
        return True

    def skip(self, text: str) -> None:
        """Count the lines of an abandoned entry without running it."""
        self._transcript.extend(text.split("\n"))

    def wants_more(self, text: str) -> bool:
        """True if ``text`` is an unfinished entry that more lines could complete."""
        if not text.strip():
            return False
        try:
            if text.strip().startswith(":"):
                command, argument, _ = _split_session_command(text)
                if command != ":type" or not argument.strip():
                    return False
                parse_expression(argument, "<pending>", self._syntax)
            else:
                _parse_entry(text, "<pending>", self._syntax)
        except ImgQLSyntaxError as error:
            return error.message.startswith(_END_OF_FILE)
        return False

    def _evaluate(self, source: str) -> None:
        self.reducer.plan.goals = []
        expression = in_deep_stack(lambda: self._reduce_entry(source))
        if expression is None:
            self._run_goals(self._show_printed)
        else:
            _write_line(self.output, self._value_of(*expression).text)

    def _reduce_entry(self, source: str) -> tuple[NodeId, Span] | None:
        """Reduce commands (their goals join the plan) or one expression.

        Returns the node and location of the expression, or None for commands.
        """
        tree = self._parse(lambda: _parse_entry(source, SESSION_FILE, self._syntax))
        if isinstance(tree, ast.Program):
            self.reducer.reduce_program(tree, Path.cwd())
            return None
        return self.reducer.reduce_expression(tree, self.reducer.scope), tree.span

    def _parse(self, parsing: Callable[[], Any]) -> Any:
        """Run ``parsing`` on a placed entry, then make the whole session quotable.

        The parser remembers only the text it was given, in which the earlier
        entries are blank lines; an error found later, in a node an earlier
        entry declared, must still quote that entry's line.
        """
        try:
            return parsing()
        finally:
            remember_source(SESSION_FILE, "\n".join(self._transcript))

    @property
    def _syntax(self) -> str | None:
        return self.reducer.syntax

    # -- session commands

    def _session_command(self, text: str, first_line: int) -> bool:
        command, argument, column = _split_session_command(text)
        if command in (":quit", ":q", ":exit"):
            return False
        if command in (":help", ":h", ":?"):
            _write_line(self.output, HELP_TEXT)
        elif command == ":load" and argument.strip():
            path = Path(argument.strip().strip('"'))
            self._guarded(lambda: self._load(path))
        elif command == ":type" and argument.strip():
            source = _placed(argument, first_line, column)
            self._guarded(lambda: self._show_type(source))
        elif command in (":load", ":type"):
            what = "FILE" if command == ":load" else "EXPR"
            _write_line(self.errors, f"error: usage: {command} {what}")
        else:
            _write_line(
                self.errors,
                f"error: unknown command {command!r} (:help lists the commands)",
            )
        return True

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise ProgramError(f"no such program file: {path}")
        self.reducer.plan.goals = []
        try:
            in_deep_stack(lambda: self.reducer.reduce_file(path))
        except (OSError, UnicodeDecodeError) as error:
            raise ProgramError(f"cannot read {path}: {error}") from None
        self._run_goals(self._show_printed)

    def _show_type(self, source: str) -> None:
        self.reducer.plan.goals = []

        def reduce() -> tuple[NodeId, Span]:
            expression = self._parse(
                lambda: parse_expression(source, SESSION_FILE, self._syntax)
            )
            node = self.reducer.reduce_expression(expression, self.reducer.scope)
            return node, expression.span

        node_id, span = in_deep_stack(reduce)
        _write_line(self.output, type_of(self.reducer.plan, node_id))

    # -- running goals

    def _value_of(self, node_id: NodeId, span: Span) -> PrintedValue:
        """Compute one node as a print goal would, sequences streamed."""
        shown: list[PrintedValue] = []
        self.reducer.plan.goals = [PrintGoal("", node_id, span)]
        self._run_goals(shown.append)
        return shown[0]

    def _run_goals(self, on_print: Callable[[PrintedValue], None]) -> None:
        """Run the goals of the current entry (the only ones in the plan)."""
        if not self.reducer.plan.goals:
            return
        from voxlogica.reduce.types import check_plan

        check_plan(self.reducer.plan)
        engine = Engine(
            self.reducer.plan,
            self.store,
            client_factory=self._shared_client,
            window=2 * (self.workers or cpu_count()),
            progress=self.progress,
            on_print=on_print,
        )
        # Deliberately not engine.close(): that would close the Dask client,
        # which the next entries share. Dropping the engine releases its
        # futures.
        engine.run()

    def _show_printed(self, printed: PrintedValue) -> None:
        _write_line(self.output, f"{printed.name}={printed.text}")

    def _shared_client(self):
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                from voxlogica.engine.cluster import embedded_client

                self._client = embedded_client(self.workers)
        return self._client

    # -- failures

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run ``action``; on failure report it and undo its bindings."""
        snapshot = self._snapshot()
        try:
            action()
        except LocatedError as error:
            self._restore(snapshot)
            _write_line(self.errors, error.render())
        except RecursionError:
            self._restore(snapshot)
            _write_line(self.errors, "error: the entry is nested too deeply to reduce")
        except KeyboardInterrupt:
            self._restore(snapshot)
            _write_line(self.errors, "interrupted")
        except Exception as error:  # noqa: BLE001 - the session must go on
            self._restore(snapshot)
            logger.debug("entry failed", exc_info=True)
            _write_line(self.errors, f"error: {error}")
        finally:
            self.reducer.plan.goals = []

    def _snapshot(self) -> _Snapshot:
        reducer = self.reducer
        # Nodes and memoised calls a failed entry added are content-addressed
        # facts, still true; only the names it bound must go.
        return _Snapshot(
            reducer.scope, list(reducer.namespaces), set(reducer._imported_files)
        )

    def _restore(self, snapshot: _Snapshot) -> None:
        self.reducer.scope = snapshot.scope
        self.reducer.namespaces = snapshot.namespaces
        self.reducer._imported_files = snapshot.imported_files

    # -- helpers

    def close(self) -> None:
        """Close the Dask client the session started, and the store."""
        if self._client is not None and self._client_factory is None:
            cluster = getattr(self._client, "_embedded_cluster", None)
            self._client.close()
            if cluster is not None:
                cluster.close()
        self._client = None
        self.store.close()


def run_repl(
    input_stream: TextIO,
    output: TextIO,
    errors: TextIO | None = None,
    **session_options,
) -> int:
    """Read entries from ``input_stream`` until ``:quit`` or its end; return 0.

    With a terminal on ``sys.stdin`` lines are read with :func:`input` and
    prompts; from anything else (a pipe, a file, a ``StringIO``) they are read
    plainly, without prompts. ``session_options`` go to :class:`ReplSession`.
    """
    interactive = input_stream is sys.stdin and input_stream.isatty()
    read_line = _terminal_reader() if interactive else _stream_reader(input_stream)
    session = ReplSession(output, errors, **session_options)
    if interactive:
        from voxlogica import __version__

        _write_line(
            output, f"VoxLogicA {__version__}: :help lists the commands, :quit leaves"
        )
    try:
        while True:
            try:
                entry = _read_entry(session, read_line)
            except KeyboardInterrupt:
                if not interactive:
                    raise
                # As in Python's own prompt: Ctrl-C drops the entry being typed.
                _write_line(output, "")
                continue
            if entry is None:
                if interactive:
                    _write_line(output, "")
                return 0
            if not session.handle(entry):
                return 0
    finally:
        session.close()


def _write_line(stream: TextIO, text: str) -> None:
    # Flushed at once, so that values and diagnostics on two streams (or a
    # pipe read line by line) come out in the order of the entries.
    stream.write(text + "\n")
    stream.flush()


def _read_entry(
    session: ReplSession, read_line: Callable[[str], str | None]
) -> str | None:
    """Read one entry, continuation lines included; None at the end of input."""
    line = read_line(PROMPT)
    if line is None:
        return None
    lines = [line]
    try:
        while session.wants_more("\n".join(lines)):
            more = read_line(CONTINUATION_PROMPT)
            if more is None:
                break
            if not more.strip():
                # Kept (as an empty line) so the session's line numbers stay right.
                lines.append("")
                break
            lines.append(more)
    except KeyboardInterrupt:
        session.skip("\n".join(lines))
        raise
    return "\n".join(lines)


def _terminal_reader() -> Callable[[str], str | None]:
    try:
        import readline  # noqa: F401 - gives input() line editing and history
    except ImportError:
        pass

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return read


def _stream_reader(stream: TextIO) -> Callable[[str], str | None]:
    def read(prompt: str) -> str | None:
        line = stream.readline()
        if not line:
            return None
        return line.rstrip("\r\n")

    return read


def _parse_entry(
    text: str, file: str, syntax: str | None
) -> ast.Program | ast.Expression:
    """Parse ``text`` as commands or else as one expression.

    Raises the error of whichever reading got further into the text, so
    ``f(1 +`` reports the end of input, not that a command cannot start with
    ``f(``.
    """
    try:
        return parse(text, file, syntax)
    except ImgQLSyntaxError as command_error:
        try:
            return parse_expression(text, file, syntax)
        except ImgQLSyntaxError as expression_error:
            raise _further(command_error, expression_error) from None


def _placed(text: str, line: int, column: int = 0) -> str:
    """``text`` preceded by blanks so that it starts at ``line``, ``column + 1``.

    Spans then give the line of the session, as a user piping a file expects.
    """
    return "\n" * (line - 1) + " " * column + text


def _split_session_command(text: str) -> tuple[str, str, int]:
    """Split ``:command argument`` into command, argument and its column."""
    stripped = text.lstrip()
    command = stripped.split(maxsplit=1)[0]
    column = len(text) - len(stripped) + len(command)
    return command, text[column:], column


def _further(first: ImgQLSyntaxError, second: ImgQLSyntaxError) -> ImgQLSyntaxError:
    """The error located further into the text; ``first`` if they tie."""

    def position(error: ImgQLSyntaxError) -> tuple[int, int]:
        span = error.span
        return (span.line, span.column) if span is not None else (0, 0)

    return second if position(second) > position(first) else first


def main(arguments) -> int:
    """Entry point of ``voxlogica repl`` (options --store, --no-cache, --workers)."""
    return run_repl(
        sys.stdin,
        sys.stdout,
        sys.stderr,
        store=open_store(arguments),
        workers=arguments.workers,
        progress=progress_for_terminal(),
    )
