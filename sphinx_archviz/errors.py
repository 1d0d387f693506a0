"""The one exception type archviz raises, and how a user's exception is described."""

from __future__ import annotations

import os
import re
import signal
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sphinx_archviz.request import PartialDrawing

#: Every warning subtype archviz emits (``suppress_warnings = ["archviz.<subtype>"]``).
Subtype = Literal[
    "option",  # an option or config value has a value archviz cannot use
    "reference",  # the argument is not ``module:attribute``
    "framework",  # archviz cannot tell which framework the model belongs to
    "dependency",  # a framework, torchviz or pydot is not installed
    "import",  # the module is missing or raised while being imported
    "attribute",  # the module has no such attribute
    "factory",  # calling the class or function raised
    "not-a-model",  # the object is not a PyTorch or Keras model
    "input",  # the example input is missing or cannot be built
    "forward",  # running the model on the example input raised
    "config",  # a transformers model's :config: cannot be used
    "device",  # the model cannot run from shapes alone and is too large for the CPU
    "export",  # torch.export could not export the model (:export:)
    "file",  # a model file (ONNX) is missing or cannot be read
    "worker",  # the framework worker process died or timed out
    "graphviz",  # the ``dot`` program is missing or failed
    "cache",  # a captured diagram could not be stored for later builds
    "node-link",  # an :archviz-node: link names no diagram or no node of it
    "overlay",  # the :overlay: function cannot be imported, is not callable or raised
    "overlay-values",  # the :overlay: function returned no mapping of paths to numbers
    "overlay-keys",  # the :overlay: function named modules that did not run
    "unexpected-success",  # archviz_expected_failures lists a diagram that was drawn
]

_PACKAGE_DIR = Path(__file__).resolve().parent

SUBTYPES: tuple[Subtype, ...] = Subtype.__args__  # type: ignore[attr-defined]


#: The longest message a warning carries; longer ones keep their start and end.
MESSAGE_LIMIT = 3000
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


def one_plain_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` as one line of a build log: no terminal colour codes (Keras colours its
    messages), its lines joined, at most ``limit`` characters with the cut said."""
    text = " ".join(_ANSI_ESCAPE.sub("", text).split())
    if len(text) <= limit:
        return text
    keep = limit - 100
    head, tail = text[: keep // 2], text[-(keep - keep // 2) :]
    return f"{head} … [{len(text) - keep:,} characters cut] … {tail}"


class ArchvizError(Exception):
    """A diagram could not be produced; ``subtype`` says which kind of problem it is."""

    def __init__(self, subtype: Subtype, message: str) -> None:
        message = one_plain_line(message)
        super().__init__(subtype, message)
        self.subtype: Subtype = subtype
        self.message = message
        #: For a forward pass that failed: the picture of what ran before it did.
        self.partial: PartialDrawing | None = None

    def __str__(self) -> str:
        return self.message


_LOG_TAIL_LINES = 8
#: The most of a dead worker's output a warning quotes.
_LOG_TAIL_BYTES = 2048


def death_report(returncode: int | None, tail: str) -> str:
    """`` (exit code …; last output: …)`` for the warning about a dead worker process."""
    if returncode is None:
        status = "still running"
    elif returncode < 0:
        status = f"killed by {signal.Signals(-returncode).name}"
    else:
        status = f"exit code {returncode}"
    return f" ({status}; last output: {tail})" if tail else f" ({status})"


def last_output(log: IO[bytes], limit: int = _LOG_TAIL_BYTES) -> str:
    """The end of a worker's output for a one-line warning: its last lines joined by `` | ``,
    at most ``limit`` bytes of it, saying how much came before."""
    size = log.seek(0, os.SEEK_END)
    log.seek(max(0, size - limit))
    text = log.read().decode(errors="replace")
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    tail = " | ".join(line for line in lines[-_LOG_TAIL_LINES:] if line)
    if size > limit:
        tail = f"[{size - limit:,} bytes of earlier output cut] … {tail}"
    return tail


def describe_exception(exc: BaseException, user_dirs: Iterable[str | Path] = ()) -> str:
    """``Type: message (file.py:12, in name)``, pointing at the innermost frame of the docs'
    own code (the files in ``user_dirs``); frames inside libraries are left out."""
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    frame = _relevant_frame(exc, [Path(d).resolve() for d in user_dirs])
    if frame is not None:
        text = f"{text} ({Path(frame.filename).name}:{frame.lineno}, in {frame.name})"
    if isinstance(exc, MemoryError):
        text += " (each framework worker may use archviz_worker_memory)"
    return text


def _relevant_frame(exc: BaseException, user_dirs: list[Path]) -> traceback.FrameSummary | None:
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return traceback.FrameSummary(exc.filename, exc.lineno, "<module>")
    user_frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if _is_user_code(frame.filename, user_dirs)
    ]
    return user_frames[-1] if user_frames else None


def _is_user_code(filename: str, user_dirs: list[Path]) -> bool:
    return not _is_within(filename, _PACKAGE_DIR) and any(
        _is_within(filename, directory) for directory in user_dirs
    )


def _is_within(filename: str, directory: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(directory)
    except OSError:
        return False
