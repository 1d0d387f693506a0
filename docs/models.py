"""The models this site draws. Each page includes its model's code from here, so the code a
reader sees is the code that ran."""

# [cnn-start]
import torch
import torch.nn as nn
import torch.nn.functional as F


class CNNModel(nn.Module):
    def __init__(self):
        super(CNNModel, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, 1)
        self.conv2 = nn.Conv2d(32, 64, 5, 1)
        self.conv3 = nn.Conv2d(64, 128, 5, 1)
        self.fc1 = nn.Linear(9 * 9 * 128, 2046)  # 수정된 완전 연결 계층 입력 크기
        self.fc2 = nn.Linear(2046, 4)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv3(x))
        x = x.view(-1, 9 * 9 * 128)  # 수정된 크기
        x = F.dropout(F.relu(self.fc1(x)), p=0.5, training=self.training)
        x = self.fc2(x)
        return x


# [cnn-end]


class CNNModelDeeper(CNNModel):
    """CNNModel에 합성곱 블록을 하나 더 넣은 변형 (archviz-diff 예제)."""

    def __init__(self):
        super().__init__()
        self.conv4 = nn.Conv2d(128, 128, 3, 1, padding=1)  # 모양을 바꾸지 않는 블록

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = x.view(-1, 9 * 9 * 128)
        x = F.dropout(F.relu(self.fc1(x)), p=0.5, training=self.training)
        x = self.fc2(x)
        return x


# [overlay-start]
def pruned_cnn():
    """CNNModel의 가중치를 층마다 다른 비율로 가지치기(pruning)한 모델 (오버레이 예제)."""
    from torch.nn.utils import prune

    model = CNNModel()
    for name, amount in {"conv1": 0.2, "conv2": 0.5, "conv3": 0.7, "fc1": 0.9, "fc2": 0.3}.items():
        prune.l1_unstructured(getattr(model, name), "weight", amount=amount)
    return model


def weight_sparsity(model):
    """모듈마다 가중치 가운데 0인 비율, 그리고 모델 전체(키 "")의 비율."""
    weights = {
        name: module.weight
        for name, module in model.named_modules()
        if isinstance(getattr(module, "weight", None), torch.Tensor)
    }
    sparsity = {name: (weight == 0).float().mean().item() for name, weight in weights.items()}
    zeros = sum(int((weight == 0).sum()) for weight in weights.values())
    sparsity[""] = zeros / sum(weight.numel() for weight in weights.values())
    return sparsity


# [overlay-end]


# [keras-start]
def get_model():
    """110×110×3 이미지를 분류하는 Keras 함수형 CNN."""
    from tensorflow import keras

    inputs = keras.Input(shape=(110, 110, 3), name="image")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(128, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="image_classifier")


# [keras-end]


# [small-start]
class TokenClassifier(nn.Module):
    """정수 토큰 ID를 받는 작은 분류기 (:input-dtype: int64 예제)."""

    def __init__(self, vocabulary=1000, width=16, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.head = nn.Linear(width, classes)

    def forward(self, tokens):
        return self.head(self.embedding(tokens).mean(dim=1))


class ImageWithMetadata(nn.Module):
    """입력이 두 개인 모델 (이미지와 메타데이터 벡터)."""

    def __init__(self):
        super().__init__()
        self.image = nn.Conv2d(3, 8, 3)
        self.metadata = nn.Linear(10, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, image, metadata):
        features = self.image(image).mean(dim=(2, 3)) + self.metadata(metadata)
        return self.head(torch.relu(features))


def mlp(width=8):
    """:kwargs: 예제용 팩토리 함수."""
    return nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 2))


# [small-end]


# [encoder-start]
class EncoderBlock(nn.Module):
    """잔차 연결이 있는 MLP 블록."""

    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x):
        return x + self.down(F.gelu(self.up(self.norm(x))))


class SmallEncoder(nn.Module):
    """토큰 ID를 받아 블록 두 개를 거쳐 분류하는 작은 인코더 (ONNX·torch.export 예제)."""

    def __init__(self, vocabulary=1000, width=32, blocks=2, classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.blocks = nn.Sequential(*[EncoderBlock(width) for _ in range(blocks)])
        self.head = nn.Linear(width, classes)

    def forward(self, tokens):
        return self.head(self.blocks(self.embedding(tokens)).mean(dim=1))


# [encoder-end]


# [broken-start]
class BrokenCNN(nn.Module):
    """세 번째 블록의 입력 채널 수가 틀린 CNN: 문제 해결 페이지의 부분 그림 예제."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 64, 3, padding=1), nn.ReLU()),  # 32여야 합니다
        )
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.blocks(x).mean(dim=(2, 3)))


# [broken-end]
