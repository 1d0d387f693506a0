"""What the Sphinx side and a warm framework process say to each other: plain, picklable data.

One connection per exchange. A capture: the Sphinx side sends a :class:`CaptureOrder`; the
framework process answers :class:`Outdated` (it was started for another Python, framework version
or archviz), :class:`ForkUnsafe`, or :class:`Started` and forks a child, which answers with the
:class:`~sphinx_archviz.request.Capture` or :class:`~sphinx_archviz.errors.ArchvizError`. If
the child dies before answering, the framework process sends :class:`ChildDied` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sphinx_archviz.request import CaptureRequest

#: What a framework process was started with: Python, framework versions, archviz's code.
Identity = Mapping[str, str]


@dataclass(frozen=True)
class Hello:
    """Asks whether the process is there and current, and to import ``modules`` (installed
    packages such as ``torchvision.models``) now, before the next fork."""

    identity: Identity
    modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ready:
    """The answer to :class:`Hello`."""

    pid: int
    #: Captures served (children forked) so far.
    captures: int
    #: Why forking this process would not be safe (threads already running, CUDA
    #: initialised); empty when it is safe.
    hazards: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaptureOrder:
    identity: Identity
    request: CaptureRequest
    #: The most memory (bytes of data) the child may take; None for no limit.
    memory: int | None = None


@dataclass(frozen=True)
class Started:
    """A child was forked for the order; its answer follows."""


@dataclass(frozen=True)
class Outdated:
    """The process was started for another identity and is going away; start a new one."""


@dataclass(frozen=True)
class ForkUnsafe:
    """The process will not fork: other threads run in it, or CUDA is initialised."""

    hazards: tuple[str, ...]


@dataclass(frozen=True)
class ChildDied:
    """The child ended without answering: its exit code (negative: the signal) and the end
    of what it printed (bounded)."""

    returncode: int
    output: str = ""


@dataclass(frozen=True)
class Stop:
    """Asks the process to stop now, with any children still running."""


@dataclass(frozen=True)
class ProcessOptions:
    """How the Sphinx side starts a framework process (passed on its command line)."""

    framework: str
    socket: str
    identity: Mapping[str, str] = field(default_factory=dict)
    modules: tuple[str, ...] = ()
    #: Seconds without captures after which the process stops; None: stop with its parent.
    idle_timeout: float | None = None
