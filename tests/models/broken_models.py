"""Models that fail in every way a docs author can make them fail."""

import sys

import torch
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


def returns_none():
    return None


def hard_exits():
    import os

    os._exit(7)


def chatty():
    print("x" * (5 * 2**20))
    return nn.Linear(2, 2)


def chatty_then_exits():
    import os
    import sys

    print("x" * (5 * 2**20))
    sys.stdout.flush()
    os._exit(7)


def greedy():
    return bytearray(4 * 2**30)


class OddNames(nn.Module):
    """Parameter names a docs page must show as text, never as markup."""

    def __init__(self):
        super().__init__()
        for index, name in enumerate(["<script>alert(1)</script>", 'a"b&c<d>', "{x|y}", "한국어"]):
            self.register_parameter(name, nn.Parameter(torch.ones(2) * index))

    def forward(self, x):
        for param in self.parameters():
            x = x * param
        return x


class MismatchInBlock3(nn.Module):
    """Four blocks, the third of which expects 32 features instead of 16: the forward pass
    stops there."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(8, 16)
        widths = [16, 16, 32, 16]
        self.blocks = nn.Sequential(
            *(nn.Sequential(nn.Linear(width, 16), nn.ReLU()) for width in widths)
        )
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class BadView(nn.Module):
    """A view in forward that does not fit what the layer before returns."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(x).view(-1, 3)
