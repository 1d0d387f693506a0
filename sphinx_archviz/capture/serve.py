"""The worker process: imports one framework and serves captures over a socket.

:class:`sphinx_archviz.worker.FrameworkWorker` starts it with ``python -c`` and the socket's file
descriptor; it reads pickled :class:`Warmup` and :class:`CaptureRequest` objects and answers each
capture with a :class:`Capture` or an :class:`ArchvizError`, until the socket closes or the
process that started it goes away.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import sys
import threading
import time
from multiprocessing.connection import Connection

from sphinx_archviz.capture import capture, load_backend
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import MEMORY_VARIABLE, Capture, CaptureRequest, Warmup

_CAPTURE_STACK_BYTES = 256 << 20  # counts against archviz_worker_memory (RLIMIT_DATA)
_CAPTURE_RECURSION_LIMIT = 200_000


def _exit_when_orphaned() -> None:
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def serve(connection: Connection) -> None:
    """The worker's loop: one capture per request until the Sphinx side closes the socket."""
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if isinstance(request, Warmup):
            with contextlib.suppress(Exception):
                load_backend(request.framework)
                for module in request.modules:
                    importlib.import_module(module)
            connection.send(None)
            continue
        connection.send(answer(request))


def answer(request: CaptureRequest) -> Capture | ArchvizError:
    """The capture of ``request``, or the error that says why there is none."""
    replies: list[Capture | ArchvizError] = []
    # A thread with a deep stack: torchviz walks the autograd graph recursively, one
    # level per layer, which the main thread's stack cannot do for the biggest models.
    thread = threading.Thread(target=_reply_into, args=(replies, request), daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no memory left for the stack: capture on the main thread
        _reply_into(replies, request)
    else:
        thread.join()
    return replies[0]


def _reply_into(replies: list[Capture | ArchvizError], request: CaptureRequest) -> None:
    try:
        replies.append(capture(request))
    except ArchvizError as error:
        replies.append(error)
    except BaseException as exc:  # the user's code may raise SystemExit, RecursionError…
        replies.append(
            ArchvizError(
                "worker", f"the capture failed: {describe_exception(exc, request.search_paths)}"
            )
        )


def _limit_memory() -> None:
    limit = os.environ.pop(MEMORY_VARIABLE, None)
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (int(limit), int(limit)))


def prepare_capture_process() -> None:
    """Room for deep models: a big stack for capture threads, a high recursion limit."""
    threading.stack_size(_CAPTURE_STACK_BYTES)
    sys.setrecursionlimit(_CAPTURE_RECURSION_LIMIT)


def main() -> None:
    _limit_memory()
    prepare_capture_process()
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    serve(Connection(int(sys.argv[1])))
