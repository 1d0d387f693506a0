"""What a node of the modules view costs: multiply-accumulates and activation memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from sphinx_archviz.capture.graph.trace import Call


@dataclass
class Measure:
    """What the calls a node or cluster stands for cost, each folded repeat included."""

    macs: int = 0
    #: Bytes of the tensors they return (activation memory).
    memory: int = 0
    #: How many calls of the trace the node stands for (more than one inside a folded run).
    calls: int = 0
    #: The calls at the node's own level that it stands for: its own, or each folded repeat's.
    stands_for: set[int] = field(default_factory=set)

    def add(self, call: Call, standing: int) -> None:
        """Count the atom ``call``, drawn inside the node as part of the call ``standing``."""
        self.macs += call.macs
        self.memory += call.output_bytes
        self.calls += 1
        self.stands_for.add(standing)
