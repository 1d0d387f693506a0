"""Small PyTorch models the tests build (the seed's CNN is in docs/models.py)."""

from pathlib import Path

import torch
import torch.nn as nn


class TinyMLP(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.hidden = nn.Linear(4, width)
        self.out = nn.Linear(width, 2)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


class WithASpareHead(TinyMLP):
    """A module its forward never calls."""

    def __init__(self):
        super().__init__()
        self.spare = nn.Linear(8, 2)


class WithExampleInput(TinyMLP):
    """Follows the PyTorch Lightning convention, so it needs no :input-shape:."""

    def __init__(self):
        super().__init__()
        self.example_input_array = torch.zeros(2, 4)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.image = nn.Conv2d(3, 4, 3)
        self.extra = nn.Linear(10, 4)

    def forward(self, image, extra):
        return self.image(image).mean(dim=(2, 3)) + self.extra(extra)


class TokenClassifier(nn.Module):
    """Needs integer token ids."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, tokens):
        return self.head(self.embedding(tokens).mean(dim=1))


def tiny_mlp(width=8):
    return TinyMLP(width=width)


class Zoo:
    small = TinyMLP


tiny_instance = TinyMLP()


class DataDependent(nn.Module):
    """Branches on a value, which the meta device cannot compute."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 4)

    def forward(self, x):
        y = self.layer(x)
        if y.sum().item() > 0:
            return y
        return -y


class ResidualBlock(nn.Module):
    """y = relu(x + conv(x)): the add of a residual connection, between modules."""

    def __init__(self, channels=4):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))


class ResidualNet(nn.Module):
    """A stem, three identical residual blocks and a head; its stem is frozen."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.blocks = nn.Sequential(ResidualBlock(), ResidualBlock(), ResidualBlock())
        self.head = nn.Linear(4, 2)
        self.stem.requires_grad_(False)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


class Unrolled(nn.Module):
    """One cell applied five times, as an unrolled recurrent network does."""

    def __init__(self):
        super().__init__()
        self.cell = nn.Sequential(nn.Linear(8, 8), nn.Tanh())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        for _ in range(5):
            x = self.cell(x)
        return self.head(x)


class ReluStack(nn.Module):
    """Four hidden layers, each followed by F.relu in forward: a repeated (Linear, relu)."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(8, 8) for _ in range(4))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.head(x)


class CountsForwards(nn.Module):
    """Counts its forward passes (in a file, so the count leaves the worker process)."""

    def __init__(self, log):
        super().__init__()
        self.log = log
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        with Path(self.log).open("a") as log:
            log.write("forward\n")
        return self.fc(self.conv(x).mean(dim=(2, 3)))


class LazyTower(nn.Module):
    """Layers that learn their input sizes on the first call (nn.LazyConv2d, nn.LazyLinear)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(4, 3)
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(2))

    def forward(self, x):
        return self.head(self.conv(x))


class Gained(nn.Module):
    """A block that holds a parameter of its own next to its layer."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(16, 16)
        self.gain = nn.Parameter(torch.ones(16))

    def forward(self, x):
        return self.linear(x) * self.gain


class LearnedPositions(nn.Module):
    """A learned positional embedding held by the model itself: an nn.Parameter, no module."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.position = nn.Parameter(torch.zeros(1, 8, 16))
        self.block = Gained()
        self.head = nn.Linear(16, 2)

    def forward(self, tokens):
        return self.head(self.block(self.embed(tokens) + self.position))


class DecoderLayer(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.up = nn.Linear(width, hidden)
        self.down = nn.Linear(hidden, width)

    def forward(self, x):
        return x + self.down(torch.relu(self.up(x)))


class Decoder(nn.Module):
    """32 layers; ``wider`` gives one of them a wider hidden layer (for archviz-diff)."""

    def __init__(self, wider=None):
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(64, 512 if number == wider else 256) for number in range(32)
        )

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def decoder():
    return Decoder()


def decoder_with_a_wider_layer_7():
    return Decoder(wider=7)
