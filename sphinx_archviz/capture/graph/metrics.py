"""What a node of the modules view costs: multiply-accumulates and activation memory."""

from __future__ import annotations

from dataclasses import dataclass

from sphinx_archviz.capture.graph.trace import Call


@dataclass
class Measure:
    """What the calls a node or cluster stands for cost, each folded repeat included."""

    macs: int = 0
    #: Bytes of the tensors they return (activation memory).
    memory: int = 0
    #: How many calls of the trace the node stands for (more than one inside a folded run).
    calls: int = 0

    def add(self, call: Call) -> None:
        self.macs += call.macs
        self.memory += call.output_bytes
        self.calls += 1
