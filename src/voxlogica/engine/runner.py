"""Run a plan's goals on Dask, streaming loops and persisting results.

Execution model
===============

The client walks the plan from the goals (``print`` and ``save``), and only
what they need is submitted. Each plan node becomes one Dask task whose key
is the node id, so a node that several goals or loop elements share is
computed once. Independent nodes run in parallel on the Dask workers.

Sequences are never gathered. A ``for`` loop is enumerated element by
element: element *k* is instantiated from the loop's body template in a
scratch overlay of the plan, its chain of tasks is submitted, and at most
``window`` elements are in flight at once. When an element's value has
reached its consumer (the printer, a saver) every reference to it is dropped
and Dask frees it, so memory depends on the window, never on the length of
the sequence.

Where results come from, in order: a small in-process memo of recent small
values; the result store (a stored goal is read in this process, a stored
intermediate is read by the worker that needs it); otherwise the primitive
runs. Workers persist what they compute themselves (see
:mod:`voxlogica.engine.tasks` for the policy), goal values and the elements
of goal sequences always.

Goals take effect in program order. Consecutive plain goals are submitted
together so they run in parallel; a loop goal streams when its turn comes.

Memory of shared values: each node of the main plan counts its consumers
(goals, operations, and the loops whose body uses it). The client drops its
future once the last consumer has been submitted, and Dask frees the value
after that consumer ran. Values computed from sequences (an index, a fold,
a length) are evaluated here by walking the sequence lazily: ``xs[7]``
instantiates eight element ids and computes one element.

The Dask client is created on first use: a rerun whose goals are all stored
starts no cluster at all.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxlogica.diagnostics import ExecutionError, Span
from voxlogica.engine.tasks import (
    PERSIST_ALWAYS,
    PERSIST_AUTO,
    PERSIST_NEVER,
    PrimitiveFailure,
    compute_node,
    compute_steps,
    load_node,
)
from voxlogica.reduce.plan import (
    SEQUENCE_KINDS,
    Aggregate,
    Constant,
    EachGoal,
    Enumerate,
    Filter,
    Fold,
    Index,
    Items,
    Loop,
    NodeId,
    Operation,
    Parameter,
    Plan,
    PrintGoal,
    Slice,
    Zip,
    children_of,
    is_lazy_source,
)

logger = logging.getLogger(__name__)

_SMALL_VALUE_BYTES = 64 * 1024
_RECENT_VALUES = 4096


@dataclass
class PrintedValue:
    name: str
    vltype: str
    text: str
    value: Any


@dataclass
class RunReport:
    """What a run produced, and how much work it did."""

    printed: list[PrintedValue] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    computed: int = 0
    loaded: int = 0


class NullProgress:
    def update(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(label: str, total: int | None) -> NullProgress:
    return NullProgress()


class Engine:
    """Runs the goals of one plan.

    Parameters
    ----------
    plan : Plan
        The reduced program.
    store : ResultStore or NullStore
        Where results persist between runs.
    client_factory : callable, optional
        Returns a ``distributed.Client``; called at most once, on first need.
    window : int
        Loop elements in flight at once.
    progress : callable, optional
        ``progress(label, total)`` returns an object with ``update()`` and
        ``close()``; used for loops.
    on_print : callable, optional
        Called with each :class:`PrintedValue` as soon as it and all earlier
        goals are done, so output keeps program order.
    """

    def __init__(
        self,
        plan: Plan,
        store,
        *,
        client_factory: Callable[[], Any] | None = None,
        window: int = 4,
        progress: Callable[[str, int | None], Any] = no_progress,
        on_print: Callable[[PrintedValue], None] | None = None,
    ):
        self.plan = plan
        self.store = store
        root = getattr(store, "root", None)
        self.store_root = str(root) if root is not None else None
        self._client_factory = client_factory
        self._client = None
        self.window = max(1, window)
        self.progress = progress
        self.on_print = on_print
        self.report = RunReport()
        # Futures of nodes of the main plan, shared by all elements of loops,
        # each dropped once its last consumer has been submitted (see
        # _count_consumers); Dask then frees the value after that consumer ran.
        self._shared: dict[NodeId, Any] = {}
        self._consumers = self._count_consumers()
        self._finished_consumers: set[NodeId] = set()
        self._recent: OrderedDict[NodeId, Any] = OrderedDict()

    # -- public

    @property
    def client(self):
        if self._client is None:
            if self._client_factory is None:
                raise RuntimeError("this engine has no Dask client factory")
            from voxlogica.engine.outputs import register_sizes
            from voxlogica.primitives.registry import loaded_namespaces

            # Only a run that computes needs Dask, and its view of image sizes.
            register_sizes()
            # Import the libraries behind the namespaces now, once, rather than
            # in the first worker task that needs them.
            for namespace in loaded_namespaces():
                namespace.preload()
            self._client = self._client_factory()
        return self._client

    def run(self) -> RunReport:
        """Evaluate every goal, in program order, and return the report."""
        goals = self.plan.goals
        handles: dict[int, Any] = {}
        for index, goal in enumerate(goals):
            if index not in handles and not self._is_streamed(goal):
                # Submit this goal and the plain goals right after it together,
                # so they run in parallel; a streamed goal (a loop) waits for
                # its turn, which keeps effects in program order and never
                # runs a later loop while an earlier one streams.
                for later in range(index, len(goals)):
                    if self._is_streamed(goals[later]):
                        break
                    try:
                        handles[later] = self._handle(
                            goals[later].node_id, self.plan, PERSIST_ALWAYS
                        )
                    except ExecutionError as error:
                        # Report it at its goal's turn, after earlier output.
                        handles[later] = _Failed(error)
            if index in handles:
                handle = handles.pop(index)
                if isinstance(handle, _Failed):
                    raise handle.error
                value = self._result(handle, goal.node_id, self.plan)
                self._emit(goal, value)
            elif isinstance(goal, EachGoal):
                self._emit_each(goal)
            else:
                self._emit_sequence(goal)
            self._consumer_done(None, [goal.node_id])
        return self.report

    # -- goals

    def _is_streamed(self, goal) -> bool:
        return isinstance(goal, EachGoal) or self.plan.fact(goal.node_id).is_sequence

    def _emit(self, goal, value) -> None:
        if isinstance(goal, PrintGoal):
            self._print(goal.label, value)
        else:
            self._save(goal.path, value, goal.span)

    def _print(self, label: str, value, vltype=None, text=None) -> None:
        from voxlogica.engine.outputs import summarize, vltype_of

        printed = PrintedValue(
            label,
            vltype if vltype is not None else vltype_of(value),
            text if text is not None else summarize(value),
            value,
        )
        self.report.printed.append(printed)
        if self.on_print is not None:
            self.on_print(printed)

    def _save(self, path: str, value, span) -> None:
        from voxlogica.engine.outputs import save_value

        try:
            self.report.layers.append(save_value(Path(path), value))
        except (OSError, ValueError) as error:
            raise ExecutionError(str(error), span) from None

    def _emit_sequence(self, goal) -> None:
        from voxlogica.engine.outputs import summarize_item, to_json, vltype_of

        texts: list[str] = []
        values: list[Any] = []
        types: set[str] = set()
        label = goal.label if isinstance(goal, PrintGoal) else goal.path
        for value in self.stream(goal.node_id, label):
            # Keep only the printable form: the element itself is released.
            texts.append(summarize_item(value))
            values.append(to_json(value))
            types.add(vltype_of(value))
        element_type = types.pop() if len(types) == 1 else "value"
        vltype = f"sequence of {element_type}" if values else "sequence"
        if isinstance(goal, PrintGoal):
            self._print(goal.label, values, vltype, "[" + ", ".join(texts) + "]")
        elif not goal.path.endswith(".json"):
            raise ExecutionError(
                f"a sequence can only be saved as .json, not {goal.path!r}; "
                "save each element from inside the loop instead",
                goal.span,
            )
        else:
            self._save(goal.path, values, goal.span)

    def _emit_each(self, goal: EachGoal) -> None:
        """The prints and saves of a command loop, element by element."""
        for outputs in self.stream(goal.node_id, "outputs"):
            for kind, target, value in _flatten_outputs(outputs):
                if not isinstance(target, str):
                    raise ExecutionError(
                        f"a {kind} label must be a string, got {target!r}", goal.span
                    )
                if kind == "print":
                    self._print(target, value)
                else:
                    self._save(target, value, goal.span)

    # -- sequences

    def stream(self, sequence_id: NodeId, label: str = "") -> Iterator[Any]:
        """Yield a goal sequence's element values in order, persisting each.

        When the sequence is done, it is stored as the list of its elements'
        ids.
        """
        element_ids: list[NodeId] = []
        progress = self.progress(label, self._length(sequence_id, self.plan))
        try:
            for value in self._values(
                sequence_id, self.plan, PERSIST_ALWAYS, element_ids.append
            ):
                yield value
                progress.update()
        finally:
            progress.close()
        if not self.plan.fact(sequence_id).is_volatile:
            from voxlogica.store import SequenceRecord

            self.store.put(sequence_id, SequenceRecord(tuple(element_ids)))

    def elements(
        self, sequence_id: NodeId, plan: Plan
    ) -> Iterator[tuple[NodeId, Plan]]:
        """Yield (element id, plan holding its nodes) for each element, lazily."""
        node = plan.node(sequence_id)
        if isinstance(node, Loop):
            for element_id, element_plan in self.elements(node.sequence, plan):
                overlay = element_plan.overlay()
                yield overlay.instantiate(node.body, node.level, element_id), overlay
            self._release_inputs(sequence_id)
            return
        if isinstance(node, Items):
            for item in node.items:
                yield item, plan
            return
        if isinstance(node, Slice):
            start = (
                0
                if node.start is None
                else self._integer(node.start, plan, "a slice bound")
            )
            stop = (
                None
                if node.stop is None
                else self._integer(node.stop, plan, "a slice bound")
            )
            yield from itertools.islice(self.elements(node.sequence, plan), start, stop)
            return
        if isinstance(node, Filter):
            for element_id, element_plan in self.elements(node.sequence, plan):
                overlay = element_plan.overlay()
                test = overlay.instantiate(node.predicate, node.level, element_id)
                verdict = self._result(
                    self._handle(test, overlay, PERSIST_AUTO), test, overlay
                )
                if not isinstance(verdict, bool):
                    raise ExecutionError(
                        f"a filter condition must be true or false, got {verdict!r}",
                        plan.fact(sequence_id).span,
                    )
                if verdict:
                    yield element_id, element_plan
            return
        if isinstance(node, Enumerate):
            for position, (element_id, element_plan) in enumerate(
                self.elements(node.sequence, plan)
            ):
                overlay = element_plan.overlay()
                pair = (overlay.constant(position), element_id)
                yield overlay.structure(Items(pair)), overlay
            return
        if isinstance(node, Zip):
            streams = [self.elements(s, plan) for s in node.sequences]
            for group in zip(*streams, strict=False):
                overlay = group[0][1].overlay(*(p for _, p in group[1:]))
                items = tuple(element_id for element_id, _ in group)
                yield overlay.structure(Items(items)), overlay
            return
        for value in self._sequence_values(sequence_id, plan):
            overlay = plan.overlay()
            if isinstance(value, bool | int | float | str):
                yield overlay.constant(value), overlay
            else:
                raise ExecutionError(
                    f"cannot iterate over a sequence of {type(value).__name__} yet",
                    plan.fact(sequence_id).span,
                )

    def _sequence_values(self, sequence_id: NodeId, plan: Plan):
        node = plan.node(sequence_id)
        if isinstance(node, Operation):
            primitive = plan.primitives[node.primitive]
            arguments = [plan.node(a) for a in node.arguments]
            all_constant = all(isinstance(a, Constant) for a in arguments)
            if is_lazy_source(primitive, all_constant):
                # range() and directory listings are cheap: run them here,
                # lazily, instead of shipping a list through Dask.
                try:
                    return primitive.function(*(a.value for a in arguments))
                except Exception as error:  # noqa: BLE001
                    raise ExecutionError(
                        f"{node.primitive}: {error}", plan.fact(sequence_id).span
                    ) from None
        value = self._result(
            self._handle(sequence_id, plan, PERSIST_AUTO), sequence_id, plan
        )
        if not isinstance(value, list | tuple | range):
            raise ExecutionError(
                f"a loop needs a sequence, got {type(value).__name__}",
                plan.fact(sequence_id).span,
            )
        return value

    def _length(self, sequence_id: NodeId, plan: Plan) -> int | None:
        """The number of elements if known without computing any (for progress)."""
        node = plan.node(sequence_id)
        while isinstance(node, Loop):
            node = plan.node(node.sequence)
        if not isinstance(node, Operation):
            return None
        primitive = plan.primitives[node.primitive]
        arguments = [plan.node(a) for a in node.arguments]
        all_constant = all(isinstance(a, Constant) for a in arguments)
        # Only foldable sources: a directory listing would be read twice.
        if not (is_lazy_source(primitive, all_constant) and primitive.is_foldable):
            return None
        try:
            return len(primitive.function(*(a.value for a in arguments)))
        except (TypeError, ValueError):
            return None

    # -- submitting nodes

    def _handle(self, root: NodeId, plan: Plan, root_persist: str, known=None):
        """Return a plain value or a Dask future for node ``root``.

        ``known`` maps node ids to handles the caller already has (a fold's
        accumulator), so they are not recomputed from their inputs.
        """
        local: dict[NodeId, Any] = dict(known or {})
        chain = _Chain()
        stack: list[tuple[NodeId, bool]] = [(root, False)]
        while stack:
            node_id, expanded = stack.pop()
            if self._known(node_id, local):
                continue
            node = plan.node(node_id)
            facts = plan.fact(node_id)
            if isinstance(node, Constant):
                local[node_id] = node.value
                continue
            if isinstance(node, Parameter):
                raise RuntimeError(f"loop parameter {node_id} outside its loop")
            if node_id in self._recent:
                self._recent.move_to_end(node_id)
                local[node_id] = self._recent[node_id]
                self._release_inputs(node_id)
                continue
            persist = root_persist if node_id == root else PERSIST_AUTO
            if facts.is_sequence:
                if node_id == root:
                    # A small structure the caller takes apart (a command
                    # loop's outputs): hand over its elements' handles.
                    local[node_id] = [
                        self._handle(element_id, element_plan, persist)
                        for element_id, element_plan in self.elements(node_id, plan)
                    ]
                else:
                    # A primitive wants the whole sequence as one list: compute
                    # the elements with the usual window, not all at once.
                    local[node_id] = list(self._values(node_id, plan, persist))
                if isinstance(node, Items):
                    # Its items' handles exist now: it needs them no longer.
                    self._release_inputs(node_id)
                continue
            if not facts.is_volatile and node_id == root:
                # A value this process wants: read it here, without Dask.
                try:
                    value = self.store.get(node_id)
                except KeyError:
                    pass  # not stored, or unreadable: compute below
                else:
                    local[node_id] = value
                    self.report.loaded += 1
                    self._remember_if_small(node_id, value)
                    self._release_inputs(node_id)
                    continue
            elif not facts.is_volatile and self.store.contains(node_id):
                self._remember(node_id, plan, self._load(node_id), local)
                continue
            if not isinstance(node, Operation):
                handle = self._evaluate_over_sequence(node_id, node, plan, persist)
                self._remember(node_id, plan, handle, local)
                continue
            if not expanded:
                stack.append((node_id, True))
                stack.extend(
                    (a, False) for a in node.arguments if not self._known(a, local)
                )
                continue
            if facts.is_volatile or self.store_root is None:
                persist = PERSIST_NEVER
            if node_id not in self.plan.nodes and self._is_private(node_id, plan):
                # Used once, by this element only: it joins the element's
                # chain, which runs as one task (see _submit_chain).
                local[node_id] = chain.add(
                    node_id, node, persist, lambda a: self._lookup(a, local)
                )
                continue
            for argument in node.arguments:
                if isinstance(local.get(argument), _StepReference):
                    # A shared node needs a private one as a task of its own.
                    local[argument] = self._submit_chain(argument, chain)
            arguments = [self._lookup(a, local) for a in node.arguments]
            if node_id not in self.client.futures:
                self.report.computed += 1
            future = self.client.submit(
                compute_node,
                self.store_root,
                node_id,
                node.primitive,
                persist,
                *arguments,
                key=node_id,
                pure=False,
            )
            self._remember(node_id, plan, future, local)
        if isinstance(local.get(root), _StepReference):
            return self._submit_chain(root, chain)
        return self._lookup(root, local)

    def _is_private(self, node_id: NodeId, plan: Plan) -> bool:
        """True if at most one node of the element that made ``node_id`` uses it.

        A node two outputs of an element share (a case's GTV, saved and
        measured) stays a task of its own, so Dask computes it once.
        """
        return plan.owner(node_id).consumer_counts().get(node_id, 0) <= 1

    def _submit_chain(self, node_id: NodeId, chain: _Chain):
        """Submit ``node_id`` and the private steps it needs as one task.

        A loop element is typically a short chain (threshold, multiply,
        measure) whose intermediates nobody else uses; one task instead of
        one per node saves Dask's per-task cost, several milliseconds an
        element. Nodes shared between elements or outputs stay tasks of
        their own.
        """
        steps, inputs = chain.take(node_id)
        if node_id not in self.client.futures:
            self.report.computed += len(steps)
        return self.client.submit(
            compute_steps, self.store_root, steps, *inputs, key=node_id, pure=False
        )

    # -- values computed from sequences

    def _evaluate_over_sequence(self, node_id: NodeId, node, plan: Plan, persist: str):
        """Index, Fold and Aggregate nodes: walk the sequence lazily here."""
        span = plan.fact(node_id).span
        if isinstance(node, Index):
            position = self._integer(node.position, plan, "an index")
            for count, (element_id, element_plan) in enumerate(
                self.elements(node.sequence, plan)
            ):
                if count == position:
                    return self._handle(element_id, element_plan, persist)
            raise ExecutionError(f"index {position} is out of range", span)
        if isinstance(node, Aggregate):
            if node.kind == "length":
                return sum(1 for _ in self.elements(node.sequence, plan))
            return self._argmax(node.sequence, plan, span)
        if isinstance(node, Fold):
            value = self._fold(node, plan, span)
            if persist == PERSIST_ALWAYS and not plan.fact(node_id).is_volatile:
                self.store.put(node_id, value)
            return value
        raise TypeError(f"cannot evaluate {node!r}")

    def _integer(self, node_id: NodeId, plan: Plan, what: str) -> int:
        value = self._result(self._handle(node_id, plan, PERSIST_AUTO), node_id, plan)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (value != int(value) or value < 0)
        ):
            raise ExecutionError(
                f"{what} must be a non-negative integer, got {_show(value)}",
                plan.fact(node_id).span,
            )
        return int(value)

    def _argmax(self, sequence_id: NodeId, plan: Plan, span) -> int:
        best_position, best_value = None, None
        for position, value in enumerate(self._values(sequence_id, plan)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ExecutionError(
                    f"argmax needs numbers, element {position} is {value!r}", span
                )
            if best_value is None or value > best_value:
                best_position, best_value = position, value
        if best_position is None:
            raise ExecutionError("argmax of an empty sequence", span)
        return best_position

    def _values(
        self,
        sequence_id: NodeId,
        plan: Plan,
        persist: str = PERSIST_AUTO,
        on_element: Callable[[NodeId], None] | None = None,
    ) -> Iterator[Any]:
        """Element values in order, at most ``window`` elements in flight."""
        pending: deque[tuple[Any, NodeId, Plan]] = deque()
        for element_id, element_plan in self.elements(sequence_id, plan):
            if on_element is not None:
                on_element(element_id)
            handle = self._handle(element_id, element_plan, persist)
            pending.append((handle, element_id, element_plan))
            while len(pending) >= self.window:
                yield self._result(*pending.popleft())
        while pending:
            yield self._result(*pending.popleft())

    def _fold(self, node: Fold, plan: Plan, span):
        """Left fold, one step task per element, ``window`` steps in flight."""
        elements = self.elements(node.sequence, plan)
        if node.initial is None:
            try:
                accumulator, accumulator_plan = next(elements)
            except StopIteration:
                raise ExecutionError(
                    "fold without an initial value of an empty sequence", span
                ) from None
        else:
            accumulator, accumulator_plan = node.initial, plan
        handle = self._handle(accumulator, accumulator_plan, PERSIST_AUTO)
        in_flight: deque = deque()
        for element_id, element_plan in elements:
            step_plan = element_plan.overlay(accumulator_plan)
            step = step_plan.instantiate(node.step, node.level, accumulator)
            step = step_plan.instantiate(step, node.level + 1, element_id)
            handle = self._handle(
                step, step_plan, PERSIST_AUTO, known={accumulator: handle}
            )
            accumulator, accumulator_plan = step, step_plan
            in_flight.append(handle)
            if len(in_flight) > self.window:
                oldest = in_flight.popleft()
                if _is_future(oldest):
                    # Block until that step is done without fetching its value
                    # (a failure is reported with the final result).
                    oldest.exception()
        return self._result(handle, accumulator, accumulator_plan)

    def _load(self, node_id: NodeId):
        self.report.loaded += 1
        return self.client.submit(
            load_node, self.store_root, node_id, key=f"load-{node_id}", pure=False
        )

    def _remember(self, node_id: NodeId, plan: Plan, handle, local) -> None:
        local[node_id] = handle
        if node_id in self.plan.nodes and self._consumers.get(node_id, 0) > 0:
            # Consumers still to come: keep it for them.
            self._shared[node_id] = handle
        if not isinstance(plan.node(node_id), SEQUENCE_KINDS):
            self._release_inputs(node_id)

    # -- releasing main-plan values

    def _release_inputs(self, node_id: NodeId) -> None:
        """A main-plan node has a handle (or a value): it needs its inputs no more.

        Loops release theirs when they have been enumerated (see elements).
        """
        if node_id in self.plan.nodes:
            self._consumer_done(node_id, self._inputs_of(node_id))

    def _count_consumers(self) -> dict[NodeId, int]:
        """How many goals, operations and loops of the main plan use each node.

        A loop counts once for each loop-invariant node its body uses (its
        frontier): those stay in memory until the loop has been enumerated.
        """
        counts: dict[NodeId, int] = {}
        roots = [goal.node_id for goal in self.plan.goals]
        for node_id in roots:
            counts[node_id] = counts.get(node_id, 0) + 1
        seen: set[NodeId] = set()
        stack = list(roots)
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            for used in self._inputs_of(node_id):
                counts[used] = counts.get(used, 0) + 1
                stack.append(used)
        return counts

    def _inputs_of(self, node_id: NodeId) -> list[NodeId]:
        node = self.plan.node(node_id)
        if isinstance(node, Operation):
            return list(node.arguments)
        if isinstance(node, Loop):
            return [node.sequence, *self._frontier(node.body)]
        if isinstance(node, Filter):
            return [node.sequence, *self._frontier(node.predicate)]
        if isinstance(node, Fold):
            initial = [] if node.initial is None else [node.initial]
            return [node.sequence, *initial, *self._frontier(node.step)]
        return list(children_of(node))

    def _frontier(self, body: NodeId) -> list[NodeId]:
        """Loop-invariant nodes that a body template uses directly."""
        frontier: list[NodeId] = []
        seen: set[NodeId] = set()
        stack = [body]
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            if not self.plan.fact(node_id).free_levels:
                frontier.append(node_id)
                continue
            node = self.plan.node(node_id)
            stack.extend(children_of(node))
        return frontier

    def _consumer_done(self, consumer: NodeId | None, used: list[NodeId]) -> None:
        """Record that ``consumer`` no longer needs ``used``; drop unneeded futures."""
        if consumer is not None:
            if consumer in self._finished_consumers:
                return
            self._finished_consumers.add(consumer)
        for node_id in used:
            remaining = self._consumers.get(node_id, 0) - 1
            self._consumers[node_id] = remaining
            if remaining <= 0:
                self._shared.pop(node_id, None)

    def _known(self, node_id: NodeId, local) -> bool:
        return node_id in local or node_id in self._shared

    def _lookup(self, node_id: NodeId, local):
        if node_id in local:
            return local[node_id]
        return self._shared[node_id]

    def _result(self, handle, node_id: NodeId, plan: Plan):
        """Wait for ``handle`` and return its value, reporting failures located."""
        if isinstance(handle, list):
            return [self._result(h, node_id, plan) for h in handle]
        if not _is_future(handle):
            return handle
        try:
            value = handle.result()
        except PrimitiveFailure as failure:
            raise ExecutionError(
                str(failure), self._span_of(failure.node_id, plan, node_id)
            ).with_call_sites(self._call_sites_of(failure.node_id, plan)) from None
        except KeyError as error:
            raise ExecutionError(
                f"a stored result could not be read ({error}); it has been "
                "dropped from the store, run the program again",
                self._span_of(node_id, plan, node_id),
            ) from None
        # Remember it under the node the future computes (its key), never
        # under ``node_id``: for a list of handles that is the list's node.
        self._remember_if_small(_node_of(handle), value)
        return value

    def _remember_if_small(self, node_id: NodeId, value) -> None:
        if _is_small(value):
            self._recent[node_id] = value
            if len(self._recent) > _RECENT_VALUES:
                self._recent.popitem(last=False)

    def _call_sites_of(self, node_id: NodeId, plan: Plan) -> tuple[Span, ...]:
        try:
            return plan.fact(node_id).call_sites
        except KeyError:
            return ()

    def _span_of(self, node_id: NodeId, plan: Plan, fallback: NodeId) -> Span | None:
        for candidate in (node_id, fallback):
            try:
                span = plan.fact(candidate).span
            except KeyError:
                continue
            if span is not None:
                return span
        return None

    def close(self) -> None:
        self._shared.clear()
        if self._client is not None:
            cluster = getattr(self._client, "_embedded_cluster", None)
            self._client.close()
            if cluster is not None:
                cluster.close()
            self._client = None


def _flatten_outputs(element):
    """(kind, target, value) of a command-loop element, nested loops included."""
    pending = [element]
    while pending:
        item = pending.pop()
        if len(item) == 3 and item[0] in ("print", "save") and isinstance(item, list):
            yield item[0], item[1], item[2]
        else:
            pending.extend(reversed(item))


class _Chain:
    """The steps of one element's own nodes, in dependency order.

    Each step is ``(node id, primitive, persist, references)``; a reference
    is ``("input", i)`` (the i-th handle passed to the task: a future or a
    shared value), ``("step", j)`` (an earlier step) or ``("value", v)``.
    """

    def __init__(self):
        self.steps: list[tuple] = []
        self.positions: dict[NodeId, int] = {}
        self.inputs: list[Any] = []
        self._input_positions: dict[NodeId, int] = {}

    def take(self, node_id: NodeId) -> tuple[list[tuple], list[Any]]:
        """The steps ``node_id`` needs (itself last), renumbered, and their inputs.

        Those steps are private to ``node_id`` (each has one consumer), so no
        other step refers to them afterwards.
        """
        needed: set[int] = set()
        pending = [self.positions[node_id]]
        while pending:
            position = pending.pop()
            if position in needed:
                continue
            needed.add(position)
            pending.extend(t for kind, t in self.steps[position][3] if kind == "step")
        order = sorted(needed)
        renumbered = {old: new for new, old in enumerate(order)}
        inputs: list[Any] = []
        input_positions: dict[int, int] = {}
        steps = []
        for position in order:
            step_id, primitive, persist, references = self.steps[position]
            rewritten = []
            for kind, target in references:
                if kind == "step":
                    rewritten.append(("step", renumbered[target]))
                elif kind == "input":
                    if target not in input_positions:
                        input_positions[target] = len(inputs)
                        inputs.append(self.inputs[target])
                    rewritten.append(("input", input_positions[target]))
                else:
                    rewritten.append((kind, target))
            steps.append((step_id, primitive, persist, tuple(rewritten)))
        return steps, inputs

    def add(self, node_id: NodeId, node: Operation, persist: str, handle_of):
        """Append ``node`` as a step; ``handle_of`` gives its other arguments."""
        references = []
        for argument in node.arguments:
            if argument in self.positions:
                references.append(("step", self.positions[argument]))
                continue
            handle = handle_of(argument)
            if _is_future(handle) or isinstance(handle, list):
                if argument not in self._input_positions:
                    self._input_positions[argument] = len(self.inputs)
                    self.inputs.append(handle)
                references.append(("input", self._input_positions[argument]))
            else:
                references.append(("value", handle))
        self.positions[node_id] = len(self.steps)
        self.steps.append((node_id, node.primitive, persist, tuple(references)))
        return _StepReference(self.positions[node_id])


@dataclass(frozen=True)
class _StepReference:
    """Stands in ``local`` for a node that is a step of the element's chain."""

    position: int


@dataclass(frozen=True)
class _Failed:
    """A goal whose submission already failed; raised when its turn comes."""

    error: ExecutionError


def _show(value) -> str:
    """A value as ImgQL spells it, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _is_small(value) -> bool:
    """True for scalars and short tuples of scalars, without importing dask."""
    if isinstance(value, bool | int | float | str):
        return len(value) < _SMALL_VALUE_BYTES if isinstance(value, str) else True
    if isinstance(value, tuple | list) and len(value) <= 64:
        return all(isinstance(v, bool | int | float) for v in value)
    return False


def _node_of(future) -> NodeId:
    """The node id a task future computes (load tasks are keyed "load-<id>")."""
    key = str(future.key)
    return key[len("load-") :] if key.startswith("load-") else key


def _is_future(value) -> bool:
    return hasattr(value, "result") and hasattr(value, "key")
