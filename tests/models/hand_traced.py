"""PyTorch models whose traces tests/unit/graph/traces.py writes by hand: the graph core's fast
tests draw the hand-written traces, and test_module_view.py checks that PyTorch's tracer
records the same."""

import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(16, 16)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.linear(x))


class Chain(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(Block() for _ in range(32))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.ReLU()

    def forward(self, x):
        return self.head(x + self.conv(x))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(32, 32) for _ in range(4))

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x


class Checked(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x.sum()  # a check whose result reaches nothing
        return self.fc(x)


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(16)

    def forward(self, x):
        return self.norm(self.conv(x))


class Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.max = nn.MaxPool2d(2)

    def forward(self, x):
        return self.max(x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Stem()
        self.pool = Pool()

    def forward(self, x):
        return self.pool(self.stem(x))


class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Flatten()

    def forward(self, x):
        return self.head(self.encoder(x))
