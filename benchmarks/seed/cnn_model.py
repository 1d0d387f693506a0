"""The seed's custom CNN script, run the plain way."""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchviz import make_dot


class CNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, 1)
        self.conv2 = nn.Conv2d(32, 64, 5, 1)
        self.conv3 = nn.Conv2d(64, 128, 5, 1)
        self.fc1 = nn.Linear(9 * 9 * 128, 2046)
        self.fc2 = nn.Linear(2046, 4)

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


# 모델 인스턴스 생성
model = CNNModel()

# 더미 입력 생성 (1개의 1x64x64 이미지: 9*9*128로 펼치려면 64x64가 필요)
inputs = torch.randn(1, 1, 64, 64)

# 모델의 forward 경로를 시각화
y = model(inputs)
dot = make_dot(y, params=dict(list(model.named_parameters()) + [("input", inputs)]))
dot.render("cnn_model", format="png", cleanup=True)  # 'cnn_model.png' 파일 생성
if os.environ.get("SEED_DOT_OUT"):
    with open(os.environ["SEED_DOT_OUT"], "w") as out:
        out.write(dot.source)
