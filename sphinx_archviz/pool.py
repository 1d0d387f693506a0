"""Where a framework's captures go: its warm process, or a pool of workers.

Where forking is safe (Linux), each framework has one warm process that forks a child per
capture (:mod:`sphinx_archviz.warm`). Elsewhere, or if that process reports that forking it
would not be safe, the build uses pools of workers, each a process that imports the framework
and serves captures one after another.

The process that runs the build owns the pools: for each framework, up to as many workers as
the build's ``-j`` allows, each started on first need (or early, see :func:`prestart`) and kept
for the rest of the build. Parallel readers are forked from that process; they reach its pools
through a Unix socket served by a thread, so a framework is imported by the pool's few workers
rather than once per reader, and captures still run side by side.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import tempfile
import threading
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

from sphinx.util import logging

from sphinx_archviz import warm
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORKS, Framework
from sphinx_archviz.request import Capture, CaptureRequest
from sphinx_archviz.worker import FrameworkWorker

logger = logging.getLogger(__name__)


class WorkerPool:
    """Workers of one framework; a capture takes an idle one, starting one if none is idle."""

    def __init__(self, framework: Framework, size: int = 1, memory: int | None = None) -> None:
        self.framework = framework
        self.size = size
        self.memory = memory
        self._workers: list[FrameworkWorker] = []
        self._idle: list[FrameworkWorker] = []
        self._available = threading.Condition()

    def capture(self, request: CaptureRequest, timeout: float) -> Capture:
        worker = self._acquire()
        try:
            return worker.capture(request, timeout)
        finally:
            with self._available:
                self._idle.append(worker)
                self._available.notify()

    def prestart(self, count: int, modules: tuple[str, ...] = ()) -> None:
        """Start up to ``count`` workers now, so they import the framework (and ``modules``)
        while Sphinx reads."""
        with self._available:
            while len(self._workers) < min(count, self.size):
                worker = self._new_worker()
                worker.start(modules)
                self._workers.append(worker)
                self._idle.append(worker)

    def configure(self, size: int, memory: int | None) -> None:
        """Set the pool's size and memory limit; workers started under another limit stop."""
        with self._available:
            if memory != self.memory:
                for worker in self._workers:
                    worker.stop()
                self._workers.clear()
                self._idle.clear()
            self.size, self.memory = size, memory

    def running(self) -> bool:
        return any(worker.running for worker in self._workers)

    @property
    def started(self) -> int:
        """How many worker processes this pool has had."""
        return len(self._workers)

    def stop(self) -> None:
        with self._available:
            for worker in self._workers:
                worker.stop()

    def _new_worker(self) -> FrameworkWorker:
        cores = os.cpu_count() or 1
        return FrameworkWorker(
            self.framework,
            max(1, cores // self.size) if self.size > 1 else None,
            self.memory,
        )

    def _acquire(self) -> FrameworkWorker:
        with self._available:
            while not self._idle:
                if len(self._workers) < self.size:
                    worker = self._new_worker()
                    self._workers.append(worker)
                    return worker
                self._available.wait()
            return self._idle.pop()


class _PoolServer:
    """Serves this process's pools to the Sphinx processes forked from it."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="archviz-")
        self.address = str(Path(self._folder.name) / "pools.sock")
        self._listener = Listener(self.address, family="AF_UNIX")
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        self._folder.cleanup()

    def _accept(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    @staticmethod
    def _serve(connection: Connection) -> None:
        with connection:
            while True:
                try:
                    framework, request, timeout = connection.recv()
                except (EOFError, OSError):
                    return
                try:
                    reply: Capture | ArchvizError = pool_for(framework).capture(request, timeout)
                except ArchvizError as error:
                    reply = error
                connection.send(reply)


class _RemotePool:
    """A forked Sphinx process's way to its parent's pools."""

    def __init__(self, framework: Framework, connection: Connection) -> None:
        self.framework = framework
        self._connection = connection

    def capture(self, request: CaptureRequest, timeout: float) -> Capture:
        try:
            self._connection.send((self.framework, request, timeout))
            reply = self._connection.recv()
        except (EOFError, OSError) as exc:
            raise ArchvizError("worker", f"the build's worker pool went away ({exc})") from None
        if isinstance(reply, ArchvizError):
            raise reply
        return reply


class _WarmPool:
    """A framework's warm process; the pools of workers if it turns out it cannot fork."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework

    def capture(self, request: CaptureRequest, timeout: float) -> Capture:
        try:
            return warm.process_for(self.framework).capture(request, timeout)
        except warm.ForkingUnsafeError as exc:
            _cannot_fork(self.framework, str(exc))
            return pool_for(self.framework).capture(request, timeout)

    def start(self, modules: tuple[str, ...]) -> None:
        warm.process_for(self.framework).start(modules)

    def stop(self) -> None:
        warm.process_for(self.framework).stop()

    def running(self) -> bool:
        return warm.process_for(self.framework).running


_owner = os.getpid()
_pools: dict[Framework, WorkerPool] = {}
_server: _PoolServer | None = None
_parent_connection: Connection | None = None
#: Frameworks whose captures do not fork, and why.
_not_forking: dict[Framework, str] = {}


#: Set by a process that draws one diagram and exits (``archviz render``): a worker imports
#: less than a warm process and is killed at exit, where a warm process shuts down as a whole.
_one_capture = False


def for_one_capture() -> None:
    """This process draws one diagram: send it to a worker, not a warm process."""
    global _one_capture
    _one_capture = True


def _cannot_fork(framework: Framework, reason: str) -> None:
    if framework not in _not_forking:
        _not_forking[framework] = reason
        logger.info(
            "archviz: the %s process cannot fork safely (%s); its captures run in worker "
            "processes that each import %s",
            framework,
            reason,
            framework,
        )


def pool_for(framework: Framework) -> WorkerPool | _RemotePool | _WarmPool:
    """Where this process sends ``framework``'s captures."""
    global _parent_connection
    if not warm.forking_is_possible():
        _cannot_fork(framework, f"forking is not safe on {sys.platform}")
    if framework not in _not_forking and not _one_capture:
        return _WarmPool(framework)
    if os.getpid() == _owner:
        if framework not in _pools:
            _pools[framework] = WorkerPool(framework)
        return _pools[framework]
    if _server is None:  # forked without a server (a build that is not parallel)
        _become_owner()
        return pool_for(framework)
    if _parent_connection is None:
        _parent_connection = Client(_server.address, family="AF_UNIX")
    return _RemotePool(framework, _parent_connection)


def serve_forked_processes(parallel: int, memory: int | None = None) -> None:
    """Let processes forked from now on use this process's pools, with ``parallel`` workers
    per framework at most, each allowed ``memory`` bytes."""
    global _server
    for framework in FRAMEWORKS:
        _pools.setdefault(framework, WorkerPool(framework)).configure(max(1, parallel), memory)
    if _server is None and parallel > 1:
        _server = _PoolServer()


def stop_serving() -> None:
    global _server
    if _server is not None and os.getpid() == _owner:
        _server.close()
        _server = None


def prestart(framework: Framework, count: int, modules: tuple[str, ...] = ()) -> None:
    pool = pool_for(framework)
    if isinstance(pool, WorkerPool):
        pool.prestart(count, modules)
    elif isinstance(pool, _WarmPool):
        pool.start(modules)


def running_frameworks() -> list[Framework]:
    if os.getpid() != _owner:
        return []
    pooled = {framework for framework, pool in _pools.items() if pool.running()}
    forking = {process.framework for process in warm.started_here()}
    return sorted(pooled | forking)


def _become_owner() -> None:
    """A process forked without a server owns fresh pools of its own."""
    global _owner, _parent_connection
    _owner = os.getpid()
    _pools.clear()
    _parent_connection = None


@atexit.register
def stop_all() -> None:
    if os.getpid() != _owner:
        return
    stop_serving()
    for pool in _pools.values():
        with contextlib.suppress(Exception):
            pool.stop()
    warm.stop_started_here()
