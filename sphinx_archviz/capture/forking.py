"""A warm framework process: imports its framework once and forks a fresh child per capture.

The Sphinx side (:mod:`sphinx_archviz.warm`) starts it with ``python -c`` and its
:class:`~sphinx_archviz.protocol.ProcessOptions`; it imports the framework, listens on a Unix
socket and serves :mod:`sphinx_archviz.protocol` messages from one thread, so that forking is
safe. Each capture runs in a child forked for it: the user's code is imported there, fresh, and
whatever it does (crash, hang, run out of memory) ends with the child. Children of concurrent
captures run side by side, as many as there are cores and memory for. The process stops when
the process that started it goes away, or, when it is kept warm between builds, after a time
without captures.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

from sphinx_archviz.capture import load_backend
from sphinx_archviz.capture.serve import answer, prepare_capture_process
from sphinx_archviz.errors import last_output
from sphinx_archviz.protocol import (
    CaptureOrder,
    ChildDied,
    ForkUnsafe,
    Hello,
    Outdated,
    ProcessOptions,
    Ready,
    Started,
    Stop,
)

_TICK = 0.5  # seconds between checks for a lost parent or the idle timeout
_MEMORY_PER_CHILD = 1 << 30  # a further child starts only while this much memory is free


@dataclass
class _Child:
    pid: int
    pidfd: int
    connection: Connection
    output: IO[bytes]


class ForkingServer:
    def __init__(self, options: ProcessOptions) -> None:
        self.options = options
        self.parent = os.getppid()
        self.captures = 0
        self.warm = False
        self.retiring = False
        self.last_activity = time.monotonic()
        self.children: dict[int, _Child] = {}
        self.waiting: deque[tuple[Connection, CaptureOrder]] = deque()
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.socket_inode = 0

    def run(self) -> None:
        self.preload(self.options.modules)
        self.listen()
        self.last_activity = time.monotonic()  # idle from now: importing is not idleness
        try:
            while not self.finished():
                for key, _events in self.selector.select(_TICK):
                    key.data(key.fileobj)
        finally:
            self.close()

    # -- what the process imports before it forks -------------------------------------------

    def preload(self, modules: tuple[str, ...]) -> None:
        """Import the framework's backend and ``modules`` (installed packages only)."""
        with contextlib.suppress(Exception):  # a missing framework is reported per capture
            if not self.warm:
                load_backend(self.options.framework).warm_up()  # type: ignore[arg-type]
                self.warm = True
            for module in modules:
                importlib.import_module(module)

    # -- the socket -------------------------------------------------------------------------

    def listen(self) -> None:
        path = Path(self.options.socket)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.socket_inode = path.stat().st_ino
        self.listener.listen(64)
        self.selector.register(self.listener, selectors.EVENT_READ, self.accept)

    def stop_listening(self) -> None:
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        path = Path(self.options.socket)
        with contextlib.suppress(OSError):
            if path.stat().st_ino == self.socket_inode:  # not a successor's socket
                path.unlink()
        self.listener.close()
        self.listener = None

    def accept(self, listener: socket.socket) -> None:
        with contextlib.suppress(OSError):
            client, _address = listener.accept()
            client.setblocking(True)
            connection = Connection(client.detach())
            self.selector.register(connection, selectors.EVENT_READ, self.receive)

    def receive(self, connection: Connection) -> None:
        self.selector.unregister(connection)
        self.last_activity = time.monotonic()
        try:
            message = connection.recv()
        except (EOFError, OSError, ValueError):
            connection.close()
            return
        if isinstance(message, Stop):
            connection.close()
            self.retiring = True
            self.stop_listening()
            self.kill_children()
            return
        if isinstance(message, Hello | CaptureOrder) and message.identity != self.options.identity:
            self.stop_listening()  # before answering, so the next process can take the socket
            self.retiring = True
            _send(connection, Outdated())
            connection.close()
            return
        if isinstance(message, Hello):
            self.preload(message.modules)
            _send(connection, Ready(os.getpid(), self.captures, fork_hazards()))
            connection.close()
        elif isinstance(message, CaptureOrder):
            self.waiting.append((connection, message))
            self.start_waiting()
        else:
            connection.close()

    # -- children ---------------------------------------------------------------------------

    def start_waiting(self) -> None:
        while self.waiting and self.room_for_a_child():
            connection, order = self.waiting.popleft()
            hazards = fork_hazards()
            if _send(connection, ForkUnsafe(hazards) if hazards else Started()) and not hazards:
                self.fork(connection, order)
            else:
                connection.close()

    def room_for_a_child(self) -> bool:
        if not self.children:
            return True
        return len(self.children) < _usable_cores() and _available_memory() > _MEMORY_PER_CHILD

    def fork(self, connection: Connection, order: CaptureOrder) -> None:
        output = tempfile.TemporaryFile(prefix=f"archviz-{self.options.framework}-")  # noqa: SIM115  (closed when the child ends)
        pid = os.fork()
        if pid == 0:
            _child(connection, order, output, self.listener)
        self.captures += 1
        pidfd = os.pidfd_open(pid)
        child = _Child(pid, pidfd, connection, output)
        self.children[pidfd] = child
        self.selector.register(pidfd, selectors.EVENT_READ, self.reap)
        # The Sphinx side closes its end when it stops waiting (a timeout, an interrupted
        # build): the child is stopped then.
        self.selector.register(connection, selectors.EVENT_READ, lambda _c: self.kill(child))

    def kill(self, child: _Child) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)  # not reaped yet, so the pid is still the child's

    def kill_children(self) -> None:
        for child in self.children.values():
            self.kill(child)

    def reap(self, pidfd: int) -> None:
        child = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        self.selector.unregister(child.connection)
        os.close(pidfd)
        _pid, status = os.waitpid(child.pid, 0)
        # If the child answered, the Sphinx side has stopped reading and this goes nowhere.
        code = os.waitstatus_to_exitcode(status)
        _send(child.connection, ChildDied(code, last_output(child.output)))
        child.connection.close()
        child.output.close()
        self.last_activity = time.monotonic()
        self.start_waiting()

    # -- the end ----------------------------------------------------------------------------

    def finished(self) -> bool:
        if self.retiring:
            return not self.children
        if self.options.idle_timeout is None:
            return os.getppid() != self.parent
        idle = time.monotonic() - self.last_activity
        return not self.children and not self.waiting and idle > self.options.idle_timeout

    def close(self) -> None:
        self.stop_listening()
        self.kill_children()
        for pidfd in list(self.children):
            self.reap(pidfd)
        for connection, _order in self.waiting:
            connection.close()


def _child(
    connection: Connection, order: CaptureOrder, output: IO[bytes], listener: socket.socket | None
) -> None:
    """Run one capture in the forked child and exit; never returns to the server's loop."""
    code = 0
    try:
        if listener is not None:
            listener.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.dup2(output.fileno(), 1)
        os.dup2(output.fileno(), 2)
        if order.memory is not None:
            resource.setrlimit(resource.RLIMIT_DATA, (order.memory, order.memory))
        connection.send(answer(order.request))
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _send(connection: Connection, message: object) -> bool:
    try:
        connection.send(message)
    except OSError:
        return False
    return True


def fork_hazards() -> tuple[str, ...]:
    """Why forking this process now would not be safe: other threads (an OpenMP, BLAS or
    TensorFlow thread pool) could hold locks the child inherits; CUDA cannot be forked."""
    hazards = []
    tasks = Path("/proc/self/task")
    threads = sum(1 for _task in tasks.iterdir()) if tasks.is_dir() else 1
    if threads > 1:
        hazards.append(f"{threads} threads are running")
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        hazards.append("CUDA is initialised")
    return tuple(hazards)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _available_memory() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return sys.maxsize


def main() -> None:
    prepare_capture_process()
    options = json.loads(sys.argv[1])
    options["modules"] = tuple(options["modules"])
    server = ForkingServer(ProcessOptions(**options))
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
