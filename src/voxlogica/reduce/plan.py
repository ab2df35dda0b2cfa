"""The plan: a content-addressed DAG of what a program computes.

Every node's id is the SHA-256 of a canonical JSON encoding of what it
computes, so equal subterms are one node wherever they occur, across
programs and across runs; the id is the key of the result store.

Node kinds:

``Constant``
    a typed literal (``1``, ``1.5``, ``"1"`` and ``true`` are four nodes).
``Operation``
    a primitive applied to argument nodes; the encoding holds the primitive's
    qualified name and version and, for arguments that name input files, a
    digest of the file's bytes, so editing an input invalidates its results.
``Parameter``
    the variable of the loop at nesting ``level``; it only occurs inside the
    body templates of loops.
``Loop``
    ``for x in sequence do body``: element *k* is ``body`` with the loop's
    parameter replaced by element *k* of ``sequence``. The body is reduced
    once; subterms that do not mention the parameter are ordinary nodes,
    shared by every element, and an instantiated element gets exactly the id
    that the same expression written out by hand would have.

Sequence nodes besides loops: ``Items`` (an array literal), ``Slice``,
``Filter`` (a loop whose body is a predicate), ``Enumerate`` and ``Zip``
(elements are ``Items`` pairs). Value nodes over sequences: ``Index``,
``Fold`` (a step template with two parameters, the accumulator at ``level``
and the element at ``level + 1``) and ``Aggregate`` (``length``,
``argmax``). The engine evaluates all of them lazily: indexing or slicing a
loop computes only the elements asked for.

Per-element nodes are created in an :meth:`Plan.overlay`, which the engine
drops when the element is done, so a loop over a million elements does not
grow the plan.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from voxlogica.diagnostics import Span
from voxlogica.primitives.registry import Primitive

NodeId = str


@dataclass(frozen=True)
class Constant:
    value: int | float | bool | str

    @property
    def type_name(self) -> str:
        return constant_type(self.value)


@dataclass(frozen=True)
class Operation:
    primitive: str
    version: str
    arguments: tuple[NodeId, ...]
    file_digests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parameter:
    level: int


@dataclass(frozen=True)
class Loop:
    sequence: NodeId
    level: int
    body: NodeId


@dataclass(frozen=True)
class Items:
    items: tuple[NodeId, ...]


@dataclass(frozen=True)
class Index:
    sequence: NodeId
    position: NodeId


@dataclass(frozen=True)
class Slice:
    sequence: NodeId
    start: NodeId | None
    stop: NodeId | None


@dataclass(frozen=True)
class Filter:
    sequence: NodeId
    level: int
    predicate: NodeId


@dataclass(frozen=True)
class Fold:
    sequence: NodeId
    initial: NodeId | None
    level: int
    step: NodeId


@dataclass(frozen=True)
class Enumerate:
    sequence: NodeId


@dataclass(frozen=True)
class Zip:
    sequences: tuple[NodeId, ...]


@dataclass(frozen=True)
class Aggregate:
    """A value computed from a whole sequence by the engine itself."""

    kind: str
    sequence: NodeId


AGGREGATES = ("length", "argmax")

Node = (
    Constant
    | Operation
    | Parameter
    | Loop
    | Items
    | Index
    | Slice
    | Filter
    | Fold
    | Enumerate
    | Zip
    | Aggregate
)
SEQUENCE_KINDS = (Loop, Items, Slice, Filter, Enumerate, Zip)
#: Node kinds that bind loop parameters, and the fields holding their templates.
_BINDERS = {Loop: ("body",), Filter: ("predicate",), Fold: ("step",)}


def constant_type(value: Any) -> str:
    """Return the ImgQL type name of a literal value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"not a literal: {value!r}")


def encode_node(node: Node) -> str:
    """Return the canonical encoding whose SHA-256 is the node's id."""
    if isinstance(node, Constant):
        value = node.value
        # repr keeps float precision exactly and tells 1 from 1.0.
        text = value if isinstance(value, str) else repr(value)
        payload: list[Any] = ["constant", node.type_name, text]
    elif isinstance(node, Operation):
        payload = [
            "call",
            node.primitive,
            node.version,
            list(node.arguments),
            list(node.file_digests),
        ]
    elif isinstance(node, Parameter):
        payload = ["parameter", node.level]
    elif isinstance(node, Loop):
        payload = ["for", node.sequence, node.level, node.body]
    elif isinstance(node, Items):
        payload = ["array", list(node.items)]
    elif isinstance(node, Index):
        payload = ["index", node.sequence, node.position]
    elif isinstance(node, Slice):
        payload = ["slice", node.sequence, node.start, node.stop]
    elif isinstance(node, Filter):
        payload = ["filter", node.sequence, node.level, node.predicate]
    elif isinstance(node, Fold):
        payload = ["fold", node.sequence, node.initial, node.level, node.step]
    elif isinstance(node, Enumerate):
        payload = ["enumerate", node.sequence]
    elif isinstance(node, Zip):
        payload = ["zip", list(node.sequences)]
    elif isinstance(node, Aggregate):
        payload = ["aggregate", node.kind, node.sequence]
    else:
        raise TypeError(f"not a plan node: {node!r}")
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def node_id_of(node: Node) -> NodeId:
    return hashlib.sha256(encode_node(node).encode("utf-8")).hexdigest()


_file_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: str) -> str:
    """Return the SHA-256 of a file's bytes, or a marker if it cannot be read.

    Digests are remembered per (path, modification time, size) for the life
    of the process, so a loop that reads the same file twice hashes it once.
    """
    try:
        status = os.stat(path)
    except OSError:
        return "missing"
    key = (os.path.abspath(path), status.st_mtime_ns, status.st_size)
    digest = _file_digests.get(key)
    if digest is None:
        hasher = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                hasher.update(block)
        digest = hasher.hexdigest()
        _file_digests[key] = digest
    return digest


@dataclass(frozen=True)
class PrintGoal:
    label: str
    node_id: NodeId
    span: Span


@dataclass(frozen=True)
class SaveGoal:
    path: str
    node_id: NodeId
    span: Span


@dataclass(frozen=True)
class EachGoal:
    """``for x in xs do print …`` / ``save …``: ``node_id`` is a loop of outputs.

    Each element of the loop is a list of ``[kind, label or path, value]``
    items (kind ``"print"`` or ``"save"``) and, for nested command loops,
    inner loops of the same shape; they take effect as each is computed.
    """

    node_id: NodeId
    span: Span


Goal = PrintGoal | SaveGoal | EachGoal


@dataclass
class NodeFacts:
    """What the plan knows about a node beyond its encoding."""

    free_levels: frozenset[int]
    is_volatile: bool
    is_sequence: bool
    span: Span | None
    #: Calls of user functions through which the node was written, outermost
    #: first (for errors inside a function: where the program called it).
    call_sites: tuple[Span, ...] = ()


class Plan:
    """Nodes by id, facts about them, and the goals (print/save) to run.

    An overlay plan (``parent`` set) reads through to its parent and keeps
    only the nodes created in it.
    """

    def __init__(self, parent: Plan | None = None, *others: Plan):
        self.parents: tuple[Plan, ...] = (parent, *others) if parent is not None else ()
        self.nodes: dict[NodeId, Node] = {}
        self.facts: dict[NodeId, NodeFacts] = {}
        self.primitives: dict[str, Primitive] = (
            parent.primitives if parent is not None else {}
        )
        self.goals: list[Goal] = []
        #: Set by the reducer while it inlines a call (see NodeFacts.call_sites).
        self.call_sites: tuple[Span, ...] = ()
        self._consumer_counts: dict[NodeId, int] | None = None

    # -- lookup

    def _find(self, table: str, node_id: NodeId):
        pending: list[Plan] = [self]
        while pending:
            plan = pending.pop()
            found = getattr(plan, table).get(node_id)
            if found is not None:
                return found
            pending.extend(plan.parents)
        raise KeyError(node_id)

    def node(self, node_id: NodeId) -> Node:
        return self._find("nodes", node_id)

    def owner(self, node_id: NodeId) -> Plan:
        """The plan (this one or an ancestor) in which ``node_id`` was created."""
        pending: list[Plan] = [self]
        while pending:
            plan = pending.pop()
            if node_id in plan.nodes:
                return plan
            pending.extend(plan.parents)
        raise KeyError(node_id)

    def consumer_counts(self) -> dict[NodeId, int]:
        """How many nodes of this plan (not its parents) use each node.

        Computed once and kept until a node is added.
        """
        if self._consumer_counts is None:
            counts: dict[NodeId, int] = {}
            for node in self.nodes.values():
                for child in _children(node):
                    counts[child] = counts.get(child, 0) + 1
            self._consumer_counts = counts
        return self._consumer_counts

    def fact(self, node_id: NodeId) -> NodeFacts:
        return self._find("facts", node_id)

    def overlay(self, *others: Plan) -> Plan:
        """Return a scratch plan for one element's nodes, seeing ``others`` too."""
        return Plan(self, *others)

    # -- construction

    def _add(self, node: Node, facts: NodeFacts) -> NodeId:
        if self.call_sites:
            facts.call_sites = self.call_sites
        node_id = node_id_of(node)
        try:
            self.fact(node_id)
        except KeyError:
            self.nodes[node_id] = node
            self.facts[node_id] = facts
            self._consumer_counts = None
        return node_id

    def constant(self, value: int | float | bool | str, span: Span | None = None):
        facts = NodeFacts(frozenset(), False, False, span)
        return self._add(Constant(value), facts)

    def parameter(self, level: int, span: Span | None = None) -> NodeId:
        facts = NodeFacts(frozenset({level}), False, False, span)
        return self._add(Parameter(level), facts)

    def loop(self, sequence: NodeId, level: int, body: NodeId, span=None) -> NodeId:
        return self.structure(Loop(sequence, level, body), span)

    def structure(self, node: Node, span: Span | None = None) -> NodeId:
        """Add a sequence or sequence-value node, folding what is known statically.

        ``[a, b][1]`` is ``b`` itself, which is what makes ``for (i, x) in
        enumerate(xs)`` bind ``x`` to the element's own node.
        """
        if isinstance(node, Index):
            folded = self._static_index(node)
            if folded is not None:
                return folded
        templates = {getattr(node, name) for name in _BINDERS.get(type(node), ())}
        bound = (
            {node.level, node.level + 1}
            if isinstance(node, Fold)
            else ({node.level} if templates else set())
        )
        free: frozenset[int] = frozenset()
        volatile = False
        for child in _children(node):
            facts = self.fact(child)
            levels = facts.free_levels
            if child in templates:
                levels = levels - bound
            free |= levels
            volatile = volatile or facts.is_volatile
        is_sequence = isinstance(node, SEQUENCE_KINDS)
        return self._add(node, NodeFacts(free, volatile, is_sequence, span))

    def _static_index(self, node: Index) -> NodeId | None:
        sequence = self.node(node.sequence)
        position = self.node(node.position)
        if not isinstance(sequence, Items) or not isinstance(position, Constant):
            return None
        value = position.value
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if 0 <= value < len(sequence.items):
            return sequence.items[value]
        return None

    def call(
        self, primitive: Primitive, arguments: tuple[NodeId, ...], span=None
    ) -> NodeId:
        """Add ``primitive(arguments)``; fold it now if it is foldable on constants."""
        self.primitives[primitive.qualified_name] = primitive
        argument_nodes = [self.node(a) for a in arguments]
        all_constant = all(isinstance(n, Constant) for n in argument_nodes)
        if primitive.is_foldable and all_constant and not primitive.returns_sequence:
            folded = _try_fold(primitive, argument_nodes)
            if folded is not None:
                return self.constant(folded, span)
        digests = []
        volatile = primitive.is_volatile
        for position in primitive.file_arguments:
            if position >= len(argument_nodes):
                continue
            argument = argument_nodes[position]
            if isinstance(argument, Constant) and isinstance(argument.value, str):
                digests.append(file_digest(argument.value))
            else:
                # A path known only at run time cannot be digested here, so
                # nothing downstream may be trusted from the store.
                volatile = True
        free: frozenset[int] = frozenset()
        for argument in arguments:
            facts = self.fact(argument)
            free |= facts.free_levels
            volatile = volatile or facts.is_volatile
        node = Operation(
            primitive.qualified_name, primitive.version, arguments, tuple(digests)
        )
        facts = NodeFacts(free, volatile, is_lazy_source(primitive, all_constant), span)
        return self._add(node, facts)

    # -- loops

    def instantiate(self, body: NodeId, level: int, value: NodeId) -> NodeId:
        """Return ``body`` with ``Parameter(level)`` replaced by ``value``.

        Only the nodes that mention the parameter are rebuilt (and refolded),
        so an element's id equals that of the same expression written out.
        """
        replaced: dict[NodeId, NodeId] = {}
        # Iterative post-order: loop bodies can be deep.
        stack: list[tuple[NodeId, bool]] = [(body, False)]
        while stack:
            node_id, children_done = stack.pop()
            if node_id in replaced:
                continue
            if level not in self.fact(node_id).free_levels:
                replaced[node_id] = node_id
                continue
            node = self.node(node_id)
            children = _children(node)
            if not children_done:
                stack.append((node_id, True))
                stack.extend((c, False) for c in children if c not in replaced)
                continue
            span = self.fact(node_id).span
            self.call_sites = self.fact(node_id).call_sites
            if isinstance(node, Parameter):
                replaced[node_id] = value
            elif isinstance(node, Operation):
                primitive = self.primitives[node.primitive]
                arguments = tuple(replaced[a] for a in node.arguments)
                replaced[node_id] = self.call(primitive, arguments, span)
            elif isinstance(node, Constant):
                replaced[node_id] = node_id
            else:
                replaced[node_id] = self.structure(
                    _rebuild(node, lambda child: replaced[child]), span
                )
        self.call_sites = ()
        return replaced[body]

    # -- export

    def reachable(self, roots: list[NodeId]) -> list[NodeId]:
        """Nodes reachable from ``roots``, dependencies first, in a stable order."""
        order: list[NodeId] = []
        seen: set[NodeId] = set()
        for root in roots:
            stack: list[tuple[NodeId, bool]] = [(root, False)]
            while stack:
                node_id, children_done = stack.pop()
                if children_done:
                    order.append(node_id)
                    continue
                if node_id in seen:
                    continue
                seen.add(node_id)
                stack.append((node_id, True))
                children = _children(self.node(node_id))
                stack.extend((c, False) for c in reversed(children) if c not in seen)
        return order


def is_lazy_source(primitive: Primitive, all_arguments_constant: bool) -> bool:
    """True if a call is a sequence the engine enumerates itself, element by element.

    Cheap sources on constant arguments (``range(1, 500)``, a directory
    listing) are enumerated lazily in the client; any other primitive that
    returns a tuple or list (SimpleITK's ``MinimumMaximum``) yields an
    ordinary value, computed as one task.
    """
    return (
        primitive.returns_sequence
        and all_arguments_constant
        and (primitive.is_foldable or primitive.is_volatile)
    )


def _children(node: Node) -> tuple[NodeId, ...]:
    if isinstance(node, Operation):
        return node.arguments
    if isinstance(node, Loop):
        return (node.sequence, node.body)
    if isinstance(node, Items):
        return node.items
    if isinstance(node, Index):
        return (node.sequence, node.position)
    if isinstance(node, Slice):
        return tuple(c for c in (node.sequence, node.start, node.stop) if c is not None)
    if isinstance(node, Filter):
        return (node.sequence, node.predicate)
    if isinstance(node, Fold):
        initial = () if node.initial is None else (node.initial,)
        return (node.sequence, *initial, node.step)
    if isinstance(node, Enumerate | Aggregate):
        return (node.sequence,)
    if isinstance(node, Zip):
        return node.sequences
    return ()


def _rebuild(node: Node, replace) -> Node:
    """The same node with each child id passed through ``replace``."""
    if isinstance(node, Loop):
        return Loop(replace(node.sequence), node.level, replace(node.body))
    if isinstance(node, Items):
        return Items(tuple(replace(i) for i in node.items))
    if isinstance(node, Index):
        return Index(replace(node.sequence), replace(node.position))
    if isinstance(node, Slice):
        start = None if node.start is None else replace(node.start)
        stop = None if node.stop is None else replace(node.stop)
        return Slice(replace(node.sequence), start, stop)
    if isinstance(node, Filter):
        return Filter(replace(node.sequence), node.level, replace(node.predicate))
    if isinstance(node, Fold):
        initial = None if node.initial is None else replace(node.initial)
        return Fold(replace(node.sequence), initial, node.level, replace(node.step))
    if isinstance(node, Enumerate):
        return Enumerate(replace(node.sequence))
    if isinstance(node, Zip):
        return Zip(tuple(replace(s) for s in node.sequences))
    if isinstance(node, Aggregate):
        return Aggregate(node.kind, replace(node.sequence))
    raise TypeError(f"cannot rebuild {node!r}")


def children_of(node: Node) -> tuple[NodeId, ...]:
    """Ids a node depends on (a loop depends on its sequence and body template)."""
    return _children(node)


def _try_fold(primitive: Primitive, arguments: list[Constant]):
    """Compute a foldable primitive on constants; None if it fails or is not scalar.

    A failure is left for run time, where it is reported only if a goal
    needs the value.
    """
    try:
        result = primitive.function(*(a.value for a in arguments))
    except Exception:  # noqa: BLE001 - reported later by the engine
        return None
    if isinstance(result, bool | int | float | str):
        return result
    return None
