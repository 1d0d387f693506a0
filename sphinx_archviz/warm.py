"""Framework processes that stay warm, seen from the Sphinx side: find, start, use and stop them.

Per framework, one process (:mod:`sphinx_archviz.capture.forking`) imports the framework once
and forks a fresh child for each capture. It listens on a Unix socket in a folder of this
process, or, with ``archviz_warm_workers``, in the build's state folder, where the next build
finds it. Parallel readers connect to it themselves, so their captures run side by side. A
process started for another Python, framework version or archviz answers that it is outdated
and is replaced; freshness of diagrams is the cache's business alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from sphinx_archviz.cache import framework_versions
from sphinx_archviz.errors import ArchvizError, death_report, last_output
from sphinx_archviz.frameworks import Framework
from sphinx_archviz.protocol import (
    CaptureOrder,
    ChildDied,
    ForkUnsafe,
    Hello,
    Identity,
    Outdated,
    ProcessOptions,
    Ready,
    Started,
    Stop,
)
from sphinx_archviz.request import Capture, CaptureRequest
from sphinx_archviz.state import code_digest
from sphinx_archviz.worker import worker_environment

_MAIN = "from sphinx_archviz.capture.forking import main; main()"
_LONGEST_SOCKET_PATH = 100  # bytes; the system's limit is 104 to 108
_CONNECT_INTERVAL = 0.02


@dataclass(frozen=True)
class WarmSettings:
    #: Where the sockets are: the build's state folder, or None for a folder of this process.
    folder: Path | None = None
    #: Keep the processes between builds (``archviz_warm_workers``).
    keep: bool = False
    #: Seconds a kept process waits for the next capture before it stops.
    idle_timeout: float = 900
    #: The most memory one capture may take, in bytes; None for no limit.
    memory: int | None = None


class ForkingUnsafeError(Exception):
    """The framework process cannot fork safely; captures go to today's workers instead."""


class FrameworkProcess:
    """The Sphinx side of one framework's warm process."""

    def __init__(self, framework: Framework, folder: Path, settings: WarmSettings) -> None:
        self.framework = framework
        self.folder = folder
        self.settings = settings
        self.socket = _socket_path(folder, framework)
        #: The process this Sphinx process started, if any.
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, modules: tuple[str, ...] = ()) -> None:
        """Start the process unless one runs; let a running one import ``modules`` now."""
        with self._lock():
            if self._status(modules) is None and not self._starting():
                self._spawn(modules)

    def status(self) -> Ready | None:
        """What the running process says about itself; None if none answers."""
        return self._status(())

    def capture(self, request: CaptureRequest, timeout: float) -> Capture:
        order = CaptureOrder(identity(), request, self.settings.memory)
        for _attempt in range(3):
            with self._connect(timeout) as connection:
                connection.send(order)
                answer = self._receive(connection, timeout, "start")
                if isinstance(answer, Outdated):
                    continue
                if isinstance(answer, ForkUnsafe):
                    raise ForkingUnsafeError(", ".join(answer.hazards))
                assert isinstance(answer, Started)
                return self._result(self._receive(connection, timeout, "capture"))
        raise ArchvizError("worker", f"the {self.framework} process was replaced too often")

    def stop(self) -> None:
        """Stop the process: the one this process started, or the one the socket leads to."""
        if self.process is not None:
            self.process.terminate()  # it stops its children and removes its socket
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        else:
            with contextlib.suppress(OSError), self._open() as connection:
                connection.send(Stop())

    # -- talking to it ----------------------------------------------------------------------

    def _status(self, modules: tuple[str, ...]) -> Ready | None:
        try:
            with self._open() as connection:
                connection.send(Hello(identity(), modules))
                if not connection.poll(30):
                    return None
                answer = connection.recv()
        except (OSError, EOFError):
            return None
        return answer if isinstance(answer, Ready) else None

    def _open(self) -> Connection:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(str(self.socket))
        except OSError:
            client.close()
            raise
        return Connection(client.detach())

    def _connect(self, timeout: float) -> Connection:
        """A connection to the process, started if needed; waits while it imports."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                return self._open()
            with self._lock():
                with contextlib.suppress(OSError):
                    return self._open()
                if not self._starting():
                    if self.process is not None and self.process.poll() is not None:
                        raise self._died_starting()
                    self._spawn(())
            if time.monotonic() > deadline:
                raise ArchvizError(
                    "worker",
                    f"the {self.framework} process took longer than {timeout:g} s to start; "
                    "raise archviz_timeout if importing the framework is slow here",
                )
            time.sleep(_CONNECT_INTERVAL)

    def _receive(self, connection: Connection, timeout: float, stage: str) -> object:
        try:
            if connection.poll(timeout):
                return connection.recv()
        except (EOFError, OSError):
            raise ArchvizError(
                "worker", f"the {self.framework} process went away during the {stage}"
            ) from None
        # Closing the connection tells the framework process to stop the child.
        raise ArchvizError(
            "worker",
            f"the capture took longer than {timeout:g} s, so the {self.framework} worker was "
            "stopped; raise archviz_timeout if the model is slow to build",
        )

    def _result(self, answer: object) -> Capture:
        if isinstance(answer, ChildDied):
            raise ArchvizError(
                "worker",
                f"the {self.framework} worker process died during the capture"
                f"{death_report(answer.returncode, answer.output)}",
            )
        if isinstance(answer, ArchvizError):
            raise answer
        assert isinstance(answer, Capture)
        return answer

    # -- starting it ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Held while deciding whether to start a process, by every Sphinx process."""
        with (self.folder / f"{self.framework}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _starting(self) -> bool:
        """Whether a process started for this socket is alive (perhaps still importing)."""
        try:
            pid = int((self.folder / f"{self.framework}.pid").read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False
        return _MAIN.encode() in command and self.socket.name.encode() in command

    def _spawn(self, modules: tuple[str, ...]) -> None:
        options = ProcessOptions(
            self.framework,
            str(self.socket),
            identity(),
            modules,
            self.settings.idle_timeout if self.settings.keep else None,
        )
        with (self.folder / f"{self.framework}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _MAIN, json.dumps(dataclasses.asdict(options))],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=worker_environment(),
                # A kept process must outlive the build, and its Ctrl-C.
                start_new_session=self.settings.keep,
            )
        (self.folder / f"{self.framework}.pid").write_text(str(self.process.pid))

    def _died_starting(self) -> ArchvizError:
        assert self.process is not None
        with (self.folder / f"{self.framework}.log").open("rb") as log:
            report = death_report(self.process.returncode, last_output(log))
        self.process = None
        return ArchvizError("worker", f"the {self.framework} process died while starting{report}")


def identity() -> Identity:
    """What a framework process must have been started with to serve this build."""
    return {
        "python": f"{sys.executable} {sys.version}",
        "pythonpath": os.environ.get("PYTHONPATH", ""),
        "archviz": code_digest(),
        **framework_versions(),
    }


def _socket_path(folder: Path, framework: Framework) -> Path:
    path = folder / f"{framework}.sock"
    if len(os.fsencode(path)) <= _LONGEST_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(folder.resolve())).hexdigest()[:16]
    short = _private_folder(Path(tempfile.gettempdir()) / f"archviz-{os.getuid()}-{digest}")
    return short / f"{framework}.sock"


def _private_folder(path: Path) -> Path:
    """``path``, made if needed, readable by this user only (the sockets accept pickles)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user")
    path.chmod(0o700)
    return path


def forking_is_possible() -> bool:
    """Forking a process that imported a framework is safe on Linux; not on macOS, where
    system libraries refuse to run in a forked child."""
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open")


_settings = WarmSettings()
_own_folder: tempfile.TemporaryDirectory[str] | None = None
_processes: dict[tuple[Path, Framework], FrameworkProcess] = {}


def configure(settings: WarmSettings) -> None:
    """Use ``settings`` from now on; call before parallel readers are forked, so that they
    find the same processes."""
    global _settings
    _settings = settings
    _folder()


def process_for(framework: Framework) -> FrameworkProcess:
    key = (_folder(), framework)
    if key not in _processes:
        _processes[key] = FrameworkProcess(framework, key[0], _settings)
    process = _processes[key]
    process.settings = _settings
    return process


def _folder() -> Path:
    """Where the sockets are: the build's state folder for kept processes, else this
    process's own folder."""
    global _own_folder
    if _settings.folder is not None and _settings.keep:
        return _private_folder(_settings.folder)
    if _own_folder is None:
        _own_folder = tempfile.TemporaryDirectory(prefix="archviz-")
    return Path(_own_folder.name)


def started_here() -> list[FrameworkProcess]:
    """The processes this Sphinx process started that still run."""
    return [process for process in _processes.values() if process.running]


def stop_started_here() -> None:
    """At exit: stop the processes this process started, except those kept between builds."""
    for process in _processes.values():
        if not process.settings.keep:
            with contextlib.suppress(Exception):
                process.stop()
    if _own_folder is not None:
        with contextlib.suppress(OSError):
            _own_folder.cleanup()
