"""The Sphinx side of a framework worker process: start it, send it requests, stop it.

TensorFlow and the CUDA build of torch cannot share a process, so the Sphinx process imports
neither. A worker is a fresh Python process (started on first need, or early by the pool)
that imports its framework once, serves requests over a socket (pickled
:class:`CaptureRequest` in, pickled :class:`Capture` or :class:`ArchvizError` out; see
:mod:`sphinx_archviz.capture.serve`) and exits when the socket closes or its parent process
goes away. Its stdout and stderr go to a temporary file, shown only when it dies.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

from sphinx_archviz.errors import ArchvizError, death_report, last_output
from sphinx_archviz.frameworks import Framework
from sphinx_archviz.request import MEMORY_VARIABLE, Capture, CaptureRequest, Warmup

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


_WORKER_MAIN = "from sphinx_archviz.capture.serve import main; main()"


class FrameworkWorker:
    """The Sphinx side of one framework's worker process."""

    def __init__(
        self, framework: Framework, threads: int | None = None, memory: int | None = None
    ) -> None:
        self.framework = framework
        #: Threads for the framework's own parallelism; None leaves its default (all cores).
        self.threads = threads
        #: The most memory (bytes of data) the process may take; None for no limit.
        self.memory = memory
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._log: IO[bytes] | None = None
        self._warming_up = False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, modules: tuple[str, ...] = ()) -> None:
        """Start the process and let it import its framework (and ``modules``) while the build
        goes on."""
        self._start()
        assert self._connection is not None
        self._connection.send(Warmup(self.framework, modules))
        self._warming_up = True

    def capture(self, request: CaptureRequest, timeout: float) -> Capture:
        if not self.running:
            self._start()
        assert self._connection is not None
        try:
            if self._warming_up:
                self._warming_up = False
                if not self._connection.poll(timeout):
                    raise TimeoutError
                self._connection.recv()
            self._connection.send(request)
            if not self._connection.poll(timeout):
                self.stop()
                raise ArchvizError(
                    "worker",
                    f"the capture took longer than {timeout:g} s, so the {self.framework} "
                    "worker was stopped; raise archviz_timeout if the model is slow to build",
                )
            reply = self._connection.recv()
        except TimeoutError:
            self.stop()
            raise ArchvizError(
                "worker",
                f"the {self.framework} worker took longer than {timeout:g} s to start; raise "
                "archviz_timeout if importing the framework is slow here",
            ) from None
        except (EOFError, OSError):
            report = self._death_report()
            self.stop()
            raise ArchvizError(
                "worker",
                f"the {self.framework} worker process died during the capture{report}",
            ) from None
        if isinstance(reply, ArchvizError):
            raise reply
        return reply

    def stop(self) -> None:
        self._warming_up = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _start(self) -> None:
        self.stop()
        ours, theirs = socket.socketpair()
        self._log = tempfile.TemporaryFile(prefix=f"archviz-{self.framework}-")  # noqa: SIM115  (lives as long as the worker)
        environment = worker_environment()
        if self.memory is not None:
            environment[MEMORY_VARIABLE] = str(self.memory)
        if self.threads is not None:  # several workers share the cores: do not oversubscribe
            for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "MKL_NUM_THREADS"):
                environment.setdefault(variable, str(self.threads))
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        self._connection = Connection(ours.detach())

    def _death_report(self) -> str:
        """`` (exit code …; last output: …)`` for the warning about a dead worker."""
        assert self._process is not None and self._log is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        return death_report(self._process.returncode, last_output(self._log))


def worker_environment() -> dict[str, str]:
    """The environment of a worker process: this package importable, TensorFlow's start-up
    noise off, and no BLAS thread pool started at import (it would make forking unsafe)."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")])
        ),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
    }
