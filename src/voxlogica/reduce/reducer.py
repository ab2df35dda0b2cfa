"""Reduce an ImgQL program to a :class:`~voxlogica.reduce.plan.Plan`.

Reduction is evaluation without data: every expression becomes the id of the
plan node that computes it. User functions are inlined with lexical scoping
(a function sees the bindings in force where it was declared), calls are
memoised on (function, argument ids) so a program whose levels call each
other several times stays linear, and loop bodies are reduced once with the
loop variable as a :class:`~voxlogica.reduce.plan.Parameter`.

All static errors (syntax, unbound names, wrong arity, recursion, imports)
are raised here, before any image is read. Function bodies are also checked
where they are declared, so an error in a function that no goal uses, or in a
loop body over an empty dataset, is still reported.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from voxlogica.diagnostics import ProgramError, Span
from voxlogica.primitives.registry import (
    NAMESPACE_MODULES,
    Namespace,
    Primitive,
    UnknownNamespaceError,
    load_namespace,
)
from voxlogica.reduce.plan import (
    Aggregate,
    Constant,
    EachGoal,
    Enumerate,
    Filter,
    Fold,
    Index,
    Items,
    NodeId,
    Plan,
    PrintGoal,
    SaveGoal,
    Slice,
    Zip,
)
from voxlogica.syntax import ast
from voxlogica.syntax.parser import parse

#: Where ``import "file.imgql"`` looks after the importing file's folder.
SEARCH_PATH_VARIABLE = "VOXLOGICA_PATH"
#: Sequence functions evaluated lazily by the engine (a user binding shadows them).
SEQUENCE_BUILTINS = frozenset(
    {"map", "length", "argmax", "subsequence", "enumerate", "zip"}
)
_LIBRARY_FOLDERS = (Path(__file__).resolve().parent.parent / "primitives" / "vox1",)


def _stem(name: str) -> str:
    for suffix in (".imgql",):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0]


@dataclass(frozen=True, eq=False)
class FunctionBinding:
    name: str
    parameters: tuple[str, ...]
    body: ast.Expression
    closure: Scope
    span: Span


@dataclass(frozen=True)
class ValueBinding:
    node_id: NodeId


Binding = FunctionBinding | ValueBinding


@dataclass
class Scope:
    """Names bound by ``let``, function parameters and loop variables.

    Inner scopes (parameters, ``let … in``, loop variables) are small dicts
    chained to their parent. The top level of a program is one *versioned*
    scope instead: a declaration does not add a link to the chain but a new
    version of one shared history, so a 10,000-line ``let`` chain costs one
    dictionary probe per lookup. A closure keeps the version in force where
    its function was declared, which is what lexical scoping asks for.
    """

    bindings: dict[str, Binding] = field(default_factory=dict)
    parent: Scope | None = None
    history: _History | None = None
    version: int = 0

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            if scope.history is not None:
                found = scope.history.lookup(name, scope.version)
            else:
                found = scope.bindings.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def names(self) -> set[str]:
        """Every name visible here (for suggestions)."""
        seen: set[str] = set()
        scope: Scope | None = self
        while scope is not None:
            if scope.history is not None:
                seen.update(scope.history.entries)
            seen.update(scope.bindings)
            scope = scope.parent
        return seen

    def child(self, bindings: dict[str, Binding] | None = None) -> Scope:
        return Scope(dict(bindings or {}), self)

    def declare(self, name: str, binding: Binding) -> Scope:
        """Return the top-level scope that adds ``name`` after this one's bindings."""
        if self.history is None:
            history, parent = _History(), self
        else:
            history, parent = self.history.at(self.version), self.parent
        history.add(name, binding)
        return Scope(parent=parent, history=history, version=history.next_version)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class _History:
    """Successive top-level bindings of each name, tagged with their version."""

    def __init__(self):
        self.entries: dict[str, list[tuple[int, Binding]]] = {}
        self.next_version = 0

    def lookup(self, name: str, version: int) -> Binding | None:
        for declared_at, binding in reversed(self.entries.get(name, ())):
            if declared_at < version:
                return binding
        return None

    def at(self, version: int) -> _History:
        """This history if ``version`` is its newest, else a copy cut at ``version``.

        Declaring from an older version (the REPL restoring the scope after a
        failed line) must not see the bindings made after it.
        """
        if version == self.next_version:
            return self
        copy = _History()
        for name, entries in self.entries.items():
            kept = [entry for entry in entries if entry[0] < version]
            if kept:
                copy.entries[name] = kept
        copy.next_version = version
        return copy

    def add(self, name: str, binding: Binding) -> None:
        self.entries.setdefault(name, []).append((self.next_version, binding))
        self.next_version += 1


class Reducer:
    """Turns programs into plan nodes and goals; one instance per run."""

    def __init__(self, plan: Plan | None = None, syntax: str | None = None):
        self.plan = plan if plan is not None else Plan()
        self.syntax = syntax
        self.namespaces: list[Namespace] = []
        self.scope = Scope()
        self._imported_files: set[Path] = set()
        self._importing: list[Path] = []
        # Keys hold the binding itself (compared by identity), which also keeps
        # it alive, so a key can never be reused by another function.
        self._memo: dict[tuple[FunctionBinding, tuple[NodeId, ...], int], NodeId] = {}
        self._defining: list[str] = []
        self._loop_depth = 0

    # -- programs and commands

    def reduce_file(self, path: Path) -> Plan:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        self._importing.append(path.resolve())
        try:
            self.reduce_program(parse(text, str(path), self.syntax), path.parent)
        finally:
            self._importing.pop()
        return self.plan

    def reduce_text(self, text: str, file: str = "<input>") -> Plan:
        self.reduce_program(parse(text, file, self.syntax), Path.cwd())
        return self.plan

    def reduce_program(self, program: ast.Program, folder: Path) -> None:
        for command in program.commands:
            self.reduce_command(command, folder)

    def reduce_command(self, command: ast.Command, folder: Path) -> None:
        if isinstance(command, ast.Import):
            self._import(command, folder)
        elif isinstance(command, ast.Declaration):
            self.scope = self.scope.declare(
                command.name, self._declare(command, self.scope)
            )
        elif isinstance(command, ast.Print):
            label = self._static_string(command.label, "the label of print")
            node_id = self.reduce_expression(command.value, self.scope)
            self.plan.goals.append(PrintGoal(label, node_id, command.span))
        elif isinstance(command, ast.Save):
            path = self._static_string(command.path, "the path of save")
            node_id = self.reduce_expression(command.value, self.scope)
            self.plan.goals.append(SaveGoal(path, node_id, command.span))
        elif isinstance(command, ast.ForCommand):
            node_id = self._reduce_command_loop(command, self.scope)
            self.plan.goals.append(EachGoal(node_id, command.span))
        else:
            raise TypeError(f"unknown command {command!r}")

    def _static_string(self, expression: ast.Expression, what: str) -> str:
        node = self.plan.node(self.reduce_expression(expression, self.scope))
        if isinstance(node, Constant) and isinstance(node.value, str):
            return node.value
        raise ProgramError(
            f"{what} must be a string known before running (a literal, or "
            "concat/format of literals); inside a `for … do` command it may "
            "depend on the loop variable",
            expression.span,
        )

    def _reduce_command_loop(self, command: ast.ForCommand, scope: Scope) -> NodeId:
        """A loop whose element lists its outputs as [kind, label or path, value].

        Nested command loops contribute their own loop as an item, so one
        element may hold outputs of inner elements too.
        """
        sequence = self.reduce_expression(command.sequence, scope)
        level = self._loop_depth
        parameter = self.plan.parameter(level, command.span)
        inner = scope.child(self._pattern_bindings(command.variables, parameter))
        self._loop_depth += 1
        try:
            outputs = []
            for body in command.body:
                if isinstance(body, ast.ForCommand):
                    outputs.append(self._reduce_command_loop(body, inner))
                    continue
                is_print = isinstance(body, ast.Print)
                target = body.label if is_print else body.path
                output = (
                    self.plan.constant("print" if is_print else "save"),
                    self.reduce_expression(target, inner),
                    self.reduce_expression(body.value, inner),
                )
                outputs.append(self.plan.structure(Items(output), body.span))
            element = self.plan.structure(Items(tuple(outputs)), command.span)
        finally:
            self._loop_depth -= 1
        return self.plan.loop(sequence, level, element, command.span)

    def _pattern_bindings(self, variables, parameter: NodeId) -> dict[str, Binding]:
        """Bindings of a loop's variables: the element, or the items of a tuple."""
        if len(variables) == 1:
            return {variables[0]: ValueBinding(parameter)}
        return {
            name: ValueBinding(
                self.plan.structure(Index(parameter, self.plan.constant(position)))
            )
            for position, name in enumerate(variables)
        }

    def _declare(self, declaration, scope: Scope) -> Binding:
        """Bind a declaration; values are reduced now, functions checked now."""
        if declaration.parameters is None:
            self._defining.append(declaration.name)
            try:
                node_id = self.reduce_expression(declaration.body, scope)
            finally:
                self._defining.pop()
            return ValueBinding(node_id)
        duplicates = {
            p for p in declaration.parameters if declaration.parameters.count(p) > 1
        }
        if duplicates:
            raise ProgramError(
                f"parameter {sorted(duplicates)[0]!r} appears twice in "
                f"{declaration.name!r}",
                declaration.span,
            )
        binding = FunctionBinding(
            declaration.name,
            declaration.parameters,
            declaration.body,
            scope,
            declaration.span,
        )
        self._check_body(binding)
        return binding

    # -- imports

    def _import(self, command: ast.Import, folder: Path) -> None:
        target = command.target
        if target.endswith(".imgql"):
            self._import_file(target, folder, command.span)
            return
        try:
            namespace = load_namespace(target)
        except UnknownNamespaceError as error:
            raise ProgramError(str(error), command.span) from None
        if namespace not in self.namespaces:
            self.namespaces.append(namespace)

    def _import_file(self, target: str, folder: Path, span: Span) -> None:
        path = self._find_import(target, folder)
        if path is None:
            raise ProgramError(f"cannot find imported file {target!r}", span)
        resolved = path.resolve()
        if resolved in self._importing:
            cycle = " -> ".join(p.name for p in self._importing + [resolved])
            raise ProgramError(f"import cycle: {cycle}", span)
        if resolved in self._imported_files:
            return
        self._imported_files.add(resolved)
        self.reduce_file(path)

    def _find_import(self, target: str, folder: Path) -> Path | None:
        candidates = [folder / target]
        for entry in os.environ.get(SEARCH_PATH_VARIABLE, "").split(os.pathsep):
            if entry:
                candidates.append(Path(entry) / target)
        candidates.extend(library / target for library in _LIBRARY_FOLDERS)
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None

    # -- expressions

    def reduce_expression(self, expression: ast.Expression, scope: Scope) -> NodeId:
        plan = self.plan
        if isinstance(expression, ast.NumberLiteral | ast.StringLiteral):
            return plan.constant(expression.value, expression.span)
        if isinstance(expression, ast.BooleanLiteral):
            return plan.constant(expression.value, expression.span)
        if isinstance(expression, ast.Name):
            return self._reduce_call(expression.name, (), scope, expression.span)
        if isinstance(expression, ast.Call):
            return self._reduce_call(
                expression.function, expression.arguments, scope, expression.span
            )
        if isinstance(expression, ast.LetIn):
            declaration = ast.Declaration(
                expression.name,
                expression.parameters,
                expression.value,
                expression.span,
            )
            inner = scope.child({expression.name: self._declare(declaration, scope)})
            return self.reduce_expression(expression.body, inner)
        if isinstance(expression, ast.ForLoop):
            return self._reduce_loop(expression, scope)
        if isinstance(expression, ast.FilterLoop):
            return self._reduce_filter(expression, scope)
        if isinstance(expression, ast.Fold):
            return self._reduce_fold(expression, scope)
        if isinstance(expression, ast.ArrayLiteral):
            items = tuple(self.reduce_expression(i, scope) for i in expression.items)
            return plan.structure(Items(items), expression.span)
        if isinstance(expression, ast.Index):
            sequence = self.reduce_expression(expression.sequence, scope)
            position = self.reduce_expression(expression.position, scope)
            return plan.structure(Index(sequence, position), expression.span)
        if isinstance(expression, ast.Slice):
            sequence = self.reduce_expression(expression.sequence, scope)
            start, stop = (
                None if bound is None else self.reduce_expression(bound, scope)
                for bound in (expression.start, expression.stop)
            )
            return plan.structure(Slice(sequence, start, stop), expression.span)
        raise TypeError(f"unknown expression {expression!r}")

    def _reduce_loop(self, loop: ast.ForLoop, scope: Scope) -> NodeId:
        sequence = self.reduce_expression(loop.sequence, scope)
        level = self._loop_depth
        parameter = self.plan.parameter(level, loop.span)
        inner = scope.child(self._pattern_bindings(loop.variables, parameter))
        self._loop_depth += 1
        try:
            body = self.reduce_expression(loop.body, inner)
        finally:
            self._loop_depth -= 1
        return self.plan.loop(sequence, level, body, loop.span)

    def _reduce_filter(self, loop: ast.FilterLoop, scope: Scope) -> NodeId:
        sequence = self.reduce_expression(loop.sequence, scope)
        level = self._loop_depth
        parameter = self.plan.parameter(level, loop.span)
        self._loop_depth += 1
        try:
            predicate = self.reduce_expression(
                loop.predicate, scope.child({loop.variable: ValueBinding(parameter)})
            )
        finally:
            self._loop_depth -= 1
        return self.plan.structure(Filter(sequence, level, predicate), loop.span)

    def _reduce_fold(self, fold: ast.Fold, scope: Scope) -> NodeId:
        sequence = self.reduce_expression(fold.sequence, scope)
        initial = (
            None
            if fold.initial is None
            else self.reduce_expression(fold.initial, scope)
        )
        level = self._loop_depth
        accumulator = self.plan.parameter(level, fold.span)
        element = self.plan.parameter(level + 1, fold.span)
        self._loop_depth += 2
        try:
            step = self._apply(fold.operator, (accumulator, element), scope, fold.span)
        finally:
            self._loop_depth -= 2
        return self.plan.structure(Fold(sequence, initial, level, step), fold.span)

    def _apply(self, name: str, argument_ids, scope: Scope, span: Span) -> NodeId:
        """Call function or primitive ``name`` on already reduced arguments."""
        binding = scope.lookup(name)
        if isinstance(binding, FunctionBinding):
            if len(argument_ids) != len(binding.parameters):
                raise ProgramError(
                    f"{name!r} takes {len(binding.parameters)} argument(s), "
                    f"given {len(argument_ids)}",
                    span,
                )
            return self._inline_ids(binding, tuple(argument_ids), span)
        if isinstance(binding, ValueBinding):
            raise ProgramError(f"{name!r} is a value, not a function", span)
        primitive = self._resolve_primitive(name, span)
        if not primitive.accepts_arity(len(argument_ids)):
            raise ProgramError(
                f"{primitive.qualified_name} takes {primitive.arity_text()} "
                f"argument(s), given {len(argument_ids)}",
                span,
            )
        return self.plan.call(primitive, tuple(argument_ids), span)

    def _reduce_sequence_builtin(self, name, arguments, scope: Scope, span: Span):
        """Functions over sequences that the engine evaluates lazily itself."""
        expected = {
            "map": 2,
            "length": 1,
            "argmax": 1,
            "subsequence": 3,
            "enumerate": 1,
        }
        if name in expected and len(arguments) != expected[name]:
            raise ProgramError(
                f"{name} takes {expected[name]} argument(s), given {len(arguments)}",
                span,
            )
        if name == "map":
            function = arguments[0]
            if not isinstance(function, ast.Name):
                raise ProgramError("map needs the name of a function first", span)
            sequence = self.reduce_expression(arguments[1], scope)
            level = self._loop_depth
            parameter = self.plan.parameter(level, span)
            self._loop_depth += 1
            try:
                body = self._apply(function.name, (parameter,), scope, function.span)
            finally:
                self._loop_depth -= 1
            return self.plan.loop(sequence, level, body, span)
        ids = tuple(self.reduce_expression(a, scope) for a in arguments)
        if name in ("length", "argmax"):
            return self.plan.structure(Aggregate(name, ids[0]), span)
        if name == "subsequence":
            return self.plan.structure(Slice(*ids), span)
        if name == "enumerate":
            return self.plan.structure(Enumerate(ids[0]), span)
        if not ids:
            raise ProgramError("zip takes at least one sequence", span)
        return self.plan.structure(Zip(ids), span)

    def _program_variable(self, name: str, span: Span) -> NodeId:
        current = self._importing[-1] if self._importing else None
        values = {
            "$cwd": str(Path.cwd()),
            "$file": str(current) if current else "<input>",
            "$dir": str(current.parent) if current else str(Path.cwd()),
            "$stem": _stem(current.name) if current else "input",
        }
        if name not in values:
            known = ", ".join(sorted(values))
            raise ProgramError(
                f"unknown program variable {name!r} (known: {known})", span
            )
        return self.plan.constant(values[name], span)

    def _reduce_call(self, name, arguments, scope: Scope, span: Span) -> NodeId:
        if name.startswith("$"):
            if arguments:
                raise ProgramError(f"{name} is a value, not a function", span)
            return self._program_variable(name, span)
        binding = scope.lookup(name)
        if binding is None and name in SEQUENCE_BUILTINS:
            return self._reduce_sequence_builtin(name, arguments, scope, span)
        if isinstance(binding, ValueBinding):
            if arguments:
                raise ProgramError(f"{name!r} is a value, not a function", span)
            return binding.node_id
        if isinstance(binding, FunctionBinding):
            return self._inline(binding, arguments, scope, span)
        primitive = self._resolve_primitive(name, span)
        if not primitive.accepts_arity(len(arguments)):
            raise ProgramError(
                f"{primitive.qualified_name} takes {primitive.arity_text()} "
                f"argument(s), given {len(arguments)}",
                span,
            )
        argument_ids = self._reduce_arguments(arguments, scope)
        return self.plan.call(primitive, argument_ids, span)

    def _inline(self, binding: FunctionBinding, arguments, scope: Scope, span: Span):
        if len(arguments) != len(binding.parameters):
            raise ProgramError(
                f"{binding.name!r} takes {len(binding.parameters)} argument(s), "
                f"given {len(arguments)}",
                span,
            )
        argument_ids = self._reduce_arguments(arguments, scope)
        return self._inline_ids(binding, argument_ids, span)

    def _reduce_arguments(self, arguments, scope: Scope) -> tuple[NodeId, ...]:
        for argument in arguments:
            if isinstance(argument, ast.Name):
                binding = scope.lookup(argument.name)
                if isinstance(binding, FunctionBinding) and binding.parameters:
                    raise ProgramError(
                        f"{argument.name!r} is a function; functions cannot be "
                        "passed as arguments (only map and fold take one, by name)",
                        argument.span,
                    )
        return tuple(self.reduce_expression(a, scope) for a in arguments)

    def _inline_ids(self, binding: FunctionBinding, argument_ids, span: Span) -> NodeId:
        key = (binding, argument_ids, self._loop_depth)
        found = self._memo.get(key)
        if found is not None:
            return found
        inner = binding.closure.child(
            {
                p: ValueBinding(a)
                for p, a in zip(binding.parameters, argument_ids, strict=True)
            }
        )
        outer_calls = self.plan.call_sites
        self.plan.call_sites = (*outer_calls, span)
        try:
            node_id = self.reduce_expression(binding.body, inner)
        finally:
            self.plan.call_sites = outer_calls
        self._memo[key] = node_id
        return node_id

    # -- primitives

    def _resolve_primitive(self, name: str, span: Span) -> Primitive:
        namespace_name, dot, short = name.partition(".")
        if dot and namespace_name in NAMESPACE_MODULES:
            primitive = load_namespace(namespace_name).lookup(short)
            if primitive is None:
                raise ProgramError(
                    f"namespace {namespace_name!r} has no primitive {short!r}", span
                )
            return primitive
        found = [(ns, ns.lookup(name)) for ns in self.namespaces]
        found = [(ns, p) for ns, p in found if p is not None]
        if len(found) > 1:
            names = ", ".join(f"{ns.name}.{name}" for ns, _ in found)
            raise ProgramError(
                f"{name!r} is ambiguous: it is defined in several imported "
                f"namespaces ({names}); write the qualified name",
                span,
            )
        if found:
            return found[0][1]
        primitive = load_namespace("default").lookup(name)
        if primitive is not None:
            return primitive
        raise ProgramError(self._unbound_message(name), span)

    def _unbound_message(self, name: str) -> str:
        if name in self._defining:
            return (
                f"{name!r} refers to itself: a declaration can only use names "
                "declared before it (recursion is not supported)"
            )
        return f"unbound name {name!r}" + self._suggestion(name, self.scope, set())

    def _suggestion(self, name: str, scope: Scope, local: set[str]) -> str:
        """``"; did you mean 'x'?"`` for a close known name, else ``""``."""
        candidates = set(local) | set(SEQUENCE_BUILTINS) | scope.names()
        for namespace in [*self.namespaces, load_namespace("default")]:
            candidates.update(namespace.names())
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
        return f"; did you mean {close[0]!r}?" if close else ""

    def _is_known(self, name: str, scope: Scope, local: set[str]) -> bool:
        if name in local or scope.lookup(name) is not None:
            return True
        if name in SEQUENCE_BUILTINS or name.startswith("$"):
            return True
        try:
            self._resolve_primitive(name, Span("<check>", 1, 1))
        except ProgramError:
            return False
        return True

    def _check_arity(self, call: ast.Call, binding: FunctionBinding, local) -> None:
        """Report a call with the wrong number of arguments in an uncalled body."""
        name, count = call.function, len(call.arguments)
        if name in local or name in SEQUENCE_BUILTINS or name.startswith("$"):
            return
        callee = binding.closure.lookup(name)
        if isinstance(callee, FunctionBinding):
            if len(callee.parameters) != count:
                raise ProgramError(
                    f"{name!r} takes {len(callee.parameters)} argument(s), "
                    f"given {count}",
                    call.span,
                )
            return
        if callee is not None:
            return
        try:
            primitive = self._resolve_primitive(name, call.span)
        except ProgramError:
            return
        if not primitive.accepts_arity(count):
            raise ProgramError(
                f"{primitive.qualified_name} takes {primitive.arity_text()} "
                f"argument(s), given {count}",
                call.span,
            )

    def _check_body(self, binding: FunctionBinding) -> None:
        """Report unbound names and self-reference in a function body, uncalled."""
        pending: list[tuple[ast.Expression, frozenset[str]]] = [
            (binding.body, frozenset(binding.parameters))
        ]
        while pending:
            expression, local = pending.pop()
            if isinstance(expression, ast.Name | ast.Call):
                name = (
                    expression.name
                    if isinstance(expression, ast.Name)
                    else (expression.function)
                )
                if (
                    name == binding.name
                    and name not in local
                    and (binding.closure.lookup(name) is None)
                ):
                    raise ProgramError(
                        f"{name!r} refers to itself: a function can only use names "
                        "declared before it (recursion is not supported)",
                        expression.span,
                    )
                if not self._is_known(name, binding.closure, set(local)):
                    hint = self._suggestion(name, binding.closure, set(local))
                    raise ProgramError(f"unbound name {name!r}{hint}", expression.span)
                if isinstance(expression, ast.Call):
                    self._check_arity(expression, binding, local)
                    pending.extend((a, local) for a in expression.arguments)
            elif isinstance(expression, ast.LetIn):
                value_local = local | set(expression.parameters or ())
                pending.append((expression.value, value_local))
                pending.append((expression.body, local | {expression.name}))
            elif isinstance(expression, ast.ForLoop):
                pending.append((expression.sequence, local))
                pending.append((expression.body, local | set(expression.variables)))
            elif isinstance(expression, ast.FilterLoop):
                pending.append((expression.sequence, local))
                pending.append((expression.predicate, local | {expression.variable}))
            elif isinstance(expression, ast.Fold):
                if not self._is_known(expression.operator, binding.closure, set(local)):
                    raise ProgramError(
                        f"unbound name {expression.operator!r}", expression.span
                    )
                pending.append((expression.sequence, local))
                if expression.initial is not None:
                    pending.append((expression.initial, local))
            elif isinstance(expression, ast.ArrayLiteral):
                pending.extend((item, local) for item in expression.items)
            elif isinstance(expression, ast.Index):
                pending.append((expression.sequence, local))
                pending.append((expression.position, local))
            elif isinstance(expression, ast.Slice):
                pending.append((expression.sequence, local))
                pending.extend(
                    (bound, local)
                    for bound in (expression.start, expression.stop)
                    if bound is not None
                )
