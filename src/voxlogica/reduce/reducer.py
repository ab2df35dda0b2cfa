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
from voxlogica.reduce.plan import NodeId, Plan, PrintGoal, SaveGoal
from voxlogica.syntax import ast
from voxlogica.syntax.parser import parse

#: Where ``import "file.imgql"`` looks after the importing file's folder.
SEARCH_PATH_VARIABLE = "VOXLOGICA_PATH"
_LIBRARY_FOLDERS = (Path(__file__).resolve().parent.parent / "primitives" / "vox1",)


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
    """Names bound by ``let``, function parameters and loop variables."""

    bindings: dict[str, Binding] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.bindings.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def child(self, bindings: dict[str, Binding] | None = None) -> Scope:
        return Scope(dict(bindings or {}), self)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


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
            self.scope = self.scope.child(
                {command.name: self._declare(command, self.scope)}
            )
        elif isinstance(command, ast.Print):
            node_id = self.reduce_expression(command.value, self.scope)
            self.plan.goals.append(PrintGoal(command.label, node_id, command.span))
        elif isinstance(command, ast.Save):
            node_id = self.reduce_expression(command.value, self.scope)
            self.plan.goals.append(SaveGoal(command.path, node_id, command.span))
        else:
            raise TypeError(f"unknown command {command!r}")

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
                expression.name, expression.parameters, expression.value, expression.span
            )
            inner = scope.child({expression.name: self._declare(declaration, scope)})
            return self.reduce_expression(expression.body, inner)
        if isinstance(expression, ast.ForLoop):
            return self._reduce_loop(expression, scope)
        raise TypeError(f"unknown expression {expression!r}")

    def _reduce_loop(self, loop: ast.ForLoop, scope: Scope) -> NodeId:
        sequence = self.reduce_expression(loop.sequence, scope)
        level = self._loop_depth
        parameter = self.plan.parameter(level, loop.span)
        self._loop_depth += 1
        try:
            body = self.reduce_expression(
                loop.body, scope.child({loop.variable: ValueBinding(parameter)})
            )
        finally:
            self._loop_depth -= 1
        return self.plan.loop(sequence, level, body, loop.span)

    def _reduce_call(self, name, arguments, scope: Scope, span: Span) -> NodeId:
        binding = scope.lookup(name)
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
        argument_ids = tuple(self.reduce_expression(a, scope) for a in arguments)
        return self.plan.call(primitive, argument_ids, span)

    def _inline(self, binding: FunctionBinding, arguments, scope: Scope, span: Span):
        if len(arguments) != len(binding.parameters):
            raise ProgramError(
                f"{binding.name!r} takes {len(binding.parameters)} argument(s), "
                f"given {len(arguments)}",
                span,
            )
        argument_ids = tuple(self.reduce_expression(a, scope) for a in arguments)
        key = (binding, argument_ids, self._loop_depth)
        found = self._memo.get(key)
        if found is not None:
            return found
        inner = binding.closure.child(
            {p: ValueBinding(a) for p, a in zip(binding.parameters, argument_ids)}
        )
        node_id = self.reduce_expression(binding.body, inner)
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
        return f"unbound name {name!r}"

    def _is_known(self, name: str, scope: Scope, local: set[str]) -> bool:
        if name in local or scope.lookup(name) is not None:
            return True
        try:
            self._resolve_primitive(name, Span("<check>", 1, 1))
        except ProgramError:
            return False
        return True

    def _check_body(self, binding: FunctionBinding) -> None:
        """Report unbound names and self-reference in a function body, uncalled."""
        pending: list[tuple[ast.Expression, frozenset[str]]] = [
            (binding.body, frozenset(binding.parameters))
        ]
        while pending:
            expression, local = pending.pop()
            if isinstance(expression, ast.Name | ast.Call):
                name = expression.name if isinstance(expression, ast.Name) else (
                    expression.function
                )
                if name == binding.name and name not in local and (
                    binding.closure.lookup(name) is None
                ):
                    raise ProgramError(
                        f"{name!r} refers to itself: a function can only use names "
                        "declared before it (recursion is not supported)",
                        expression.span,
                    )
                if not self._is_known(name, binding.closure, set(local)):
                    raise ProgramError(f"unbound name {name!r}", expression.span)
                if isinstance(expression, ast.Call):
                    pending.extend((a, local) for a in expression.arguments)
            elif isinstance(expression, ast.LetIn):
                value_local = local | set(expression.parameters or ())
                pending.append((expression.value, value_local))
                pending.append((expression.body, local | {expression.name}))
            elif isinstance(expression, ast.ForLoop):
                pending.append((expression.sequence, local))
                pending.append((expression.body, local | {expression.variable}))
