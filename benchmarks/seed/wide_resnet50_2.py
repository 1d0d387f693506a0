"""The seed's Wide ResNet50-2 script, run the plain way (weights=None: no download here)."""

import os

import torch
from torchvision.models import wide_resnet50_2
from torchviz import make_dot


def main():
    # 모델 로드 (구조만 그리므로 사전 훈련된 가중치 없이)
    model = wide_resnet50_2(weights=None)
    # 더미 입력 데이터
    x = torch.randn(1, 3, 224, 224)
    # 모델 실행
    y = model(x)
    # 계산 그래프 시각화
    dot = make_dot(y, params=dict(list(model.named_parameters())))
    # 이미지 파일로 계산 그래프 저장
    dot.render("wide_resnet50_2_architecture", format="png")
    if os.environ.get("SEED_DOT_OUT"):
        with open(os.environ["SEED_DOT_OUT"], "w") as out:
            out.write(dot.source)


if __name__ == "__main__":
    main()
