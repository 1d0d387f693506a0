"""PyTorch models the tests build. The CNN is the seed's ``CNNModel``."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class CNNModel(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, 1)
        self.conv2 = nn.Conv2d(32, 64, 5, 1)
        self.conv3 = nn.Conv2d(64, 128, 5, 1)
        self.fc1 = nn.Linear(9 * 9 * 128, 2046)
        self.fc2 = nn.Linear(2046, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv3(x))
        x = x.view(-1, 9 * 9 * 128)
        x = F.dropout(F.relu(self.fc1(x)), p=0.5, training=self.training)
        x = self.fc2(x)
        return x


class TinyMLP(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.hidden = nn.Linear(4, width)
        self.out = nn.Linear(width, 2)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


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
