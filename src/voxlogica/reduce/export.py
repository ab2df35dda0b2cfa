"""Export a plan as JSON or Graphviz DOT, for inspection and tooling.

Both list the nodes reachable from the goals in a stable dependency-first
order (a node comes after everything it depends on; ties follow the order of
goals and arguments), so two exports of one program are identical.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from voxlogica.reduce.plan import (
    Constant,
    Loop,
    Operation,
    Parameter,
    Plan,
    PrintGoal,
    SaveGoal,
    children_of,
)


def _describe(plan: Plan, node_id: str) -> dict[str, Any]:
    node = plan.node(node_id)
    entry: dict[str, Any] = {"id": node_id}
    if isinstance(node, Constant):
        entry.update(kind="constant", type=node.type_name, value=node.value)
    elif isinstance(node, Operation):
        entry.update(
            kind="operation",
            primitive=node.primitive,
            version=node.version,
            arguments=list(node.arguments),
        )
        if node.file_digests:
            entry["file_digests"] = list(node.file_digests)
    elif isinstance(node, Loop):
        entry.update(
            kind="for", sequence=node.sequence, level=node.level, body=node.body
        )
    else:
        # Parameters and the other sequence nodes: their fields, by name.
        entry["kind"] = type(node).__name__.lower()
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            entry[field.name] = list(value) if isinstance(value, tuple) else value
    facts = plan.fact(node_id)
    if facts.is_volatile:
        entry["volatile"] = True
    if facts.span is not None:
        entry["source"] = str(facts.span)
    return entry


def _goal_entry(goal) -> dict[str, Any]:
    if isinstance(goal, PrintGoal):
        return {"kind": "print", "name": goal.label, "node": goal.node_id}
    if isinstance(goal, SaveGoal):
        return {"kind": "save", "path": goal.path, "node": goal.node_id}
    return {"kind": "for-each", "node": goal.node_id}


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Return ``{"nodes": [...], "goals": [...]}`` for the goals' nodes."""
    roots = [goal.node_id for goal in plan.goals]
    return {
        "nodes": [_describe(plan, node_id) for node_id in plan.reachable(roots)],
        "goals": [_goal_entry(goal) for goal in plan.goals],
    }


def _label(node) -> str:
    if isinstance(node, Constant):
        value = node.value
        return json.dumps(value) if isinstance(value, str) else repr(value)
    if isinstance(node, Operation):
        return node.primitive
    if isinstance(node, Parameter):
        return f"loop variable {node.level}"
    if isinstance(node, Loop):
        return "for"
    return type(node).__name__.lower()


def plan_to_dot(plan: Plan) -> str:
    """Return a Graphviz digraph of the goals' nodes, edges pointing to inputs."""
    lines = ["digraph plan {", "  rankdir=BT;"]
    roots = [goal.node_id for goal in plan.goals]
    for node_id in plan.reachable(roots):
        node = plan.node(node_id)
        lines.append(f'  "{node_id[:12]}" [label={json.dumps(_label(node))}];')
        for child in children_of(node):
            lines.append(f'  "{node_id[:12]}" -> "{child[:12]}";')
    for index, goal in enumerate(plan.goals):
        name = _goal_entry(goal).get("name") or _goal_entry(goal).get(
            "path", "for each"
        )
        lines.append(f'  "goal{index}" [shape=box, label={json.dumps(name)}];')
        lines.append(f'  "goal{index}" -> "{goal.node_id[:12]}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
