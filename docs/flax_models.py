"""Flax NNX 예제 모델 (문서의 Flax 페이지). JAX는 PyTorch·TensorFlow와 다른 프로세스에서 돕니다."""

from flax import nnx


# [flax-start]
class Block(nnx.Module):
    """잔차 연결이 있는 MLP 블록."""

    def __init__(self, width, rngs):
        self.norm = nnx.LayerNorm(width, rngs=rngs)
        self.up = nnx.Linear(width, 4 * width, rngs=rngs)
        self.down = nnx.Linear(4 * width, width, rngs=rngs)

    def __call__(self, x):
        return x + self.down(nnx.relu(self.up(self.norm(x))))


class ResidualMLP(nnx.Module):
    """입력층, 같은 블록 여러 개, 드롭아웃과 분류 층."""

    def __init__(self, rngs, features=8, width=32, blocks=4, classes=10):
        self.embed = nnx.Linear(features, width, rngs=rngs)
        self.blocks = nnx.List([Block(width, rngs) for _ in range(blocks)])
        self.dropout = nnx.Dropout(0.1, rngs=rngs)
        self.head = nnx.Linear(width, classes, rngs=rngs)

    def __call__(self, x):
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.dropout(x))


def residual_mlp(blocks=4):
    return ResidualMLP(nnx.Rngs(0), blocks=blocks)


# [flax-end]
