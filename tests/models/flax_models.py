"""Flax NNX models the tests build."""

from flax import nnx


class Residual(nnx.Module):
    def __init__(self, width: int, rngs: nnx.Rngs) -> None:
        self.norm = nnx.LayerNorm(width, rngs=rngs)
        self.up = nnx.Linear(width, 2 * width, rngs=rngs)
        self.down = nnx.Linear(2 * width, width, rngs=rngs)

    def __call__(self, x):
        return x + self.down(nnx.relu(self.up(self.norm(x))))


class StackedMLP(nnx.Module):
    """An input layer, a stack of identical residual blocks, batch statistics and a head."""

    def __init__(self, rngs: nnx.Rngs, width: int = 16, depth: int = 3) -> None:
        self.embed = nnx.Linear(6, width, rngs=rngs)
        self.blocks = nnx.List([Residual(width, rngs) for _ in range(depth)])
        self.norm = nnx.BatchNorm(width, rngs=rngs)
        self.head = nnx.Linear(width, 3, rngs=rngs)

    def __call__(self, x):
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def stacked_mlp(depth: int = 3) -> StackedMLP:
    return StackedMLP(nnx.Rngs(0), depth=depth)


def raises() -> StackedMLP:
    raise ValueError("no width given")


model = StackedMLP(nnx.Rngs(1))


def reads_a_weight() -> StackedMLP:
    """Reads a weight's value while it is built: cannot be built from shapes alone."""
    model = StackedMLP(nnx.Rngs(2))
    model.scale = float(model.head.kernel[0, 0] ** 0)
    return model


class ConvDense(nnx.Module):
    """A 3 × 3 convolution of 3 to 8 features and a dense layer, for counting MACs by hand."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(3, 8, kernel_size=(3, 3), rngs=rngs)
        self.dense = nnx.Linear(8, 4, rngs=rngs)

    def __call__(self, x):
        return self.dense(nnx.relu(self.conv(x)))


def conv_dense() -> ConvDense:
    return ConvDense(nnx.Rngs(0))
