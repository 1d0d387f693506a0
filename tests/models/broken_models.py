"""Models that fail in every way a docs author can make them fail."""

import sys

import torch.nn as nn

settings = {"layers": 3}


def raises():
    raise ValueError("bad config")


def returns_int():
    return 3


def exits():
    sys.exit(3)


def segfaults():
    import ctypes

    ctypes.string_at(0)


def hangs():
    import time

    time.sleep(600)


def moves_cwd_and_sys_path():
    import os

    os.chdir("/")
    sys.path.insert(0, "/nowhere")
    return nn.Linear(2, 2)


def reports_cwd_and_sys_path():
    import os

    raise RuntimeError(f"cwd={os.getcwd()} nowhere_on_path={'/nowhere' in sys.path}")  # noqa: PTH109
