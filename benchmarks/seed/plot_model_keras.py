"""The seed's plot_model script, run the plain way. ``get_model`` comes from the ``models``
module on PYTHONPATH (the seed imports it from a ``model`` module it does not show)."""

import os

import tensorflow as tf
from models import get_model
from tensorflow.keras.utils import model_to_dot, plot_model

x = tf.random.normal([1, 110, 110, 3])
model = get_model()
out = model(x)
plot_model(model, to_file="model_architecture.png", show_shapes=True, show_layer_names=True)
if os.environ.get("SEED_DOT_OUT"):
    dot = model_to_dot(model, show_shapes=True, show_layer_names=True)
    with open(os.environ["SEED_DOT_OUT"], "w") as out_file:
        out_file.write(dot.to_string())
