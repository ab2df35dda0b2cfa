"""The ``voxlogica`` command line: wires syntax, plan, engine and store together.

Reports go to stdout (``name=value`` per print, or one JSON object with
``--json``); diagnostics go to stderr as ``file:line:col: message``. Exit
status: 0 on success, 2 for errors found before running (syntax, names,
imports), 1 for failures while running. A Python traceback is shown only with
``--debug``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from voxlogica import __version__
from voxlogica.cli.support import (
    cpu_count,
    in_deep_stack,
    open_store,
    progress_for_terminal,
)
from voxlogica.diagnostics import LocatedError

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxlogica",
        description="VoxLogicA: spatial model checking of medical images with ImgQL.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run an ImgQL program")
    run.add_argument("program", type=Path)
    _add_front_end_options(run)
    run.add_argument("--no-execute", action="store_true", help="reduce only")
    run.add_argument("--save-task-graph-as-json", type=Path, metavar="FILE")
    run.add_argument("--save-task-graph-as-dot", type=Path, metavar="FILE")
    run.add_argument("--workers", type=int, metavar="N", help="worker threads")
    run.add_argument(
        "--scheduler", metavar="ADDRESS", help="dask.distributed scheduler"
    )
    run.add_argument("--store", type=Path, metavar="DIR", help="result store folder")
    run.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the store"
    )
    run.add_argument(
        "--delete-cache", action="store_true", help="empty the store before running"
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--debug", action="store_true", help="show tracebacks")

    check = commands.add_parser("check", help="parse and reduce, without running")
    check.add_argument("program", type=Path)
    _add_front_end_options(check)
    check.add_argument("--debug", action="store_true", help="show tracebacks")

    listing = commands.add_parser("list-primitives", help="list primitives")
    listing.add_argument("namespace", nargs="?", default=None)

    commands.add_parser("version", help="print the version")

    repl = commands.add_parser("repl", help="interactive ImgQL session")
    repl.add_argument("--store", type=Path, metavar="DIR", help="result store folder")
    repl.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the store"
    )
    repl.add_argument("--workers", type=int, metavar="N", help="worker threads")
    return parser


def _add_front_end_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vox1-syntax",
        action="store_true",
        help="VoxLogicA 1 operator grouping (flat levels, right grouping)",
    )


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(arguments, "debug", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return _dispatch(arguments)
    except LocatedError as error:
        if getattr(arguments, "debug", False):
            raise
        return _report_failure(arguments, error.render(), error.exit_status)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) is gone; that is not an error of the program.
        _silence_stdout()
        return 0
    except Exception as error:  # noqa: BLE001 - the user sees one clear line
        if getattr(arguments, "debug", False):
            raise
        return _report_failure(arguments, f"error: {error}", 1)


def _report_failure(arguments, text: str, status: int) -> int:
    """Print an error; with --json also as the document tools expect on stdout."""
    print(text, file=sys.stderr)
    if getattr(arguments, "json", False):
        print(json.dumps({"print": [], "layers": [], "error": text}))
    return status


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dispatch(arguments) -> int:
    if arguments.command == "version":
        print(f"voxlogica {__version__}")
        return 0
    if arguments.command == "list-primitives":
        return _list_primitives(arguments.namespace)
    if arguments.command == "repl":
        from voxlogica.cli import repl

        return repl.main(arguments)
    from voxlogica.reduce.types import check_plan

    plan = reduce_program(arguments.program, "vox1" if arguments.vox1_syntax else None)
    # Types are checked on the whole plan, loop bodies included, before any
    # image is read: a type error costs no computation.
    types = check_plan(plan)
    if arguments.command == "check":
        print(f"{arguments.program}: ok ({len(plan.goals)} goal(s))")
        return 0
    return _run(arguments, plan, types)


def reduce_program(path: Path, syntax: str | None = None):
    """Parse and reduce ``path`` in a thread with a large stack."""
    from voxlogica.diagnostics import ProgramError
    from voxlogica.reduce.reducer import Reducer

    if not path.is_file():
        raise ProgramError(f"no such program file: {path}")
    try:
        return in_deep_stack(lambda: Reducer(syntax=syntax).reduce_file(path))
    except RecursionError:
        raise ProgramError(
            f"{path}: the program is nested too deeply to reduce"
        ) from None


def _run(arguments, plan, types) -> int:
    from voxlogica.engine.cluster import client_factory
    from voxlogica.engine.runner import Engine
    from voxlogica.reduce.export import plan_to_dot, plan_to_json
    from voxlogica.reduce.types import annotate

    if arguments.save_task_graph_as_json:
        arguments.save_task_graph_as_json.write_text(
            json.dumps(annotate(plan_to_json(plan), types), indent=1)
        )
    if arguments.save_task_graph_as_dot:
        arguments.save_task_graph_as_dot.write_text(plan_to_dot(plan))
    if arguments.no_execute:
        return 0

    def on_print(printed):
        if not arguments.json:
            print(f"{printed.name}={printed.text}", flush=True)

    store = open_store(arguments)
    engine = Engine(
        plan,
        store,
        client_factory=client_factory(arguments.workers, arguments.scheduler),
        window=2 * (arguments.workers or cpu_count()),
        progress=progress_for_terminal(),
        on_print=on_print,
    )
    error_text = ""
    status = 0
    try:
        report = engine.run()
    except LocatedError as error:
        if not arguments.json or arguments.debug:
            raise
        report = engine.report
        error_text = error.render()
        status = error.exit_status
    finally:
        engine.close()
        store.close()
    if arguments.json:
        from voxlogica.engine.outputs import to_json

        document = {
            "print": [
                {"name": p.name, "vltype": p.vltype, "value": to_json(p.value)}
                for p in report.printed
            ],
            "layers": report.layers,
            "error": error_text,
        }
        print(json.dumps(document))
    logger.info("computed %d node(s), loaded %d", report.computed, report.loaded)
    return status


def _list_primitives(namespace_name: str | None) -> int:
    from voxlogica.primitives.registry import NAMESPACE_MODULES, load_namespace

    names = [namespace_name] if namespace_name else sorted(NAMESPACE_MODULES)
    for name in names:
        namespace = load_namespace(name)
        for short in namespace.names():
            primitive = namespace.lookup(short)
            signature = primitive.signature or f"({primitive.arity_text()} args)"
            print(f"{primitive.qualified_name} {signature}  {primitive.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
