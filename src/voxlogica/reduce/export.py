"""Export a plan as JSON or Graphviz DOT, for inspection and tooling.

Both list the nodes reachable from the goals in a stable dependency-first
order (a node comes after everything it depends on; ties follow the order of
goals and arguments), so two exports of one program are identical.
"""

from __future__ import annotations

import json
from typing import Any

from voxlogica.reduce.plan import Constant, Loop, Operation, Parameter, Plan, PrintGoal


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
    elif isinstance(node, Parameter):
        entry.update(kind="parameter", level=node.level)
    elif isinstance(node, Loop):
        entry.update(
            kind="for", sequence=node.sequence, level=node.level, body=node.body
        )
    facts = plan.fact(node_id)
    if facts.is_volatile:
        entry["volatile"] = True
    if facts.span is not None:
        entry["source"] = str(facts.span)
    return entry


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """Return ``{"nodes": [...], "goals": [...]}`` for the goals' nodes."""
    roots = [goal.node_id for goal in plan.goals]
    goals = []
    for goal in plan.goals:
        if isinstance(goal, PrintGoal):
            goals.append({"kind": "print", "name": goal.label, "node": goal.node_id})
        else:
            goals.append({"kind": "save", "path": goal.path, "node": goal.node_id})
    return {
        "nodes": [_describe(plan, node_id) for node_id in plan.reachable(roots)],
        "goals": goals,
    }


def plan_to_dot(plan: Plan) -> str:
    """Return a Graphviz digraph of the goals' nodes, edges pointing to inputs."""
    lines = ["digraph plan {", "  rankdir=BT;"]
    roots = [goal.node_id for goal in plan.goals]
    for node_id in plan.reachable(roots):
        node = plan.node(node_id)
        if isinstance(node, Constant):
            label = (
                json.dumps(node.value)
                if isinstance(node.value, str)
                else repr(node.value)
            )
        elif isinstance(node, Operation):
            label = node.primitive
        elif isinstance(node, Parameter):
            label = f"loop variable {node.level}"
        else:
            label = "for"
        lines.append(f'  "{node_id[:12]}" [label={json.dumps(label)}];')
        if isinstance(node, Operation):
            inputs = node.arguments
        elif isinstance(node, Loop):
            inputs = (node.sequence, node.body)
        else:
            inputs = ()
        for child in inputs:
            lines.append(f'  "{node_id[:12]}" -> "{child[:12]}";')
    for index, goal in enumerate(plan.goals):
        name = goal.label if isinstance(goal, PrintGoal) else goal.path
        lines.append(f'  "goal{index}" [shape=box, label={json.dumps(name)}];')
        lines.append(f'  "goal{index}" -> "{goal.node_id[:12]}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
