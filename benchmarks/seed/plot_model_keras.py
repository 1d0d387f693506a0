"""The seed's plot_model script, run the plain way. ``get_model`` comes from the ``models``
module on PYTHONPATH (the seed imports it from a ``model`` module it does not show)."""

import os

import tensorflow as tf
from tensorflow.keras.utils import plot_model

# 모델 불러오기
from models import get_model

# TensorFlow 스타일의 더미 입력 데이터 생성
x = tf.random.normal([1, 110, 110, 3])

# 모델 인스턴스 생성
model = get_model()

# 모델 실행
out = model(x)

# 모델 아키텍처 시각화
plot_model(model, to_file="model_architecture.png", show_shapes=True, show_layer_names=True)
if os.environ.get("SEED_DOT_OUT"):
    from tensorflow.keras.utils import model_to_dot

    dot = model_to_dot(model, show_shapes=True, show_layer_names=True)
    with open(os.environ["SEED_DOT_OUT"], "w") as out_file:
        out_file.write(dot.to_string())
