"""Keras models the tests build."""

import keras


def image_classifier(num_classes=4):
    inputs = keras.Input(shape=(110, 110, 3), name="image")
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="image_classifier")


def unnamed_sequential():
    """Layers named by Keras' counters (dense, dense_1): names must not depend on history."""
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8), keras.layers.Dense(2)])


def nested():
    inner = keras.Sequential(
        [keras.Input(shape=(8,)), keras.layers.Dense(4, name="inner_dense")], name="inner"
    )
    inputs = keras.Input(shape=(8,), name="features")
    outputs = keras.layers.Dense(1, name="score")(inner(inputs))
    return keras.Model(inputs, outputs, name="outer")


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)


def odd_names():
    inputs = keras.Input(shape=(4,), name='in<put>&"x"')
    outputs = keras.layers.Dense(2, name="<script>alert(1)<\\script>{a|b}\n한국어 & <b>")(inputs)
    return keras.Model(inputs, outputs, name="odd")


class ThreeLayers(keras.Model):
    """A subclassed model with three inner layers, which plot_model draws as one box."""

    def __init__(self):
        super().__init__(name="three_layers")
        self.conv = keras.layers.Conv2D(8, 3, activation="relu", name="conv")
        self.pool = keras.layers.GlobalAveragePooling2D(name="pool")
        self.classifier = keras.layers.Dense(4, name="classifier")

    def call(self, x):
        return self.classifier(self.pool(self.conv(x)))


class ResidualBlock(keras.layers.Layer):
    """A custom layer with layers inside and a residual connection."""

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(width, activation="relu")
        self.norm = keras.layers.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.dense(x))


def stacked_blocks():
    """Four identical custom blocks after a dense layer: folded into one "× 4"."""
    inputs = keras.Input(shape=(16,), name="features")
    x = keras.layers.Dense(32, name="project")(inputs)
    for number in range(4):
        x = ResidualBlock(32, name=f"block_{number}")(x)
    outputs = keras.layers.Dense(3, name="head")(x)
    return keras.Model(inputs, outputs, name="stacked")


class BrokenStack(keras.Model):
    """A subclassed model whose third layer cannot reshape 16 features into 5 × 5."""

    def __init__(self):
        super().__init__(name="broken_stack")
        self.first = keras.layers.Dense(16, name="first")
        self.second = keras.layers.Dense(16, name="second")
        self.reshape = keras.layers.Reshape((5, 5), name="reshape")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, x):
        return self.head(self.reshape(self.second(self.first(x))))


def named_inputs():
    """Inputs declared as a dict of names, as keras_hub's text backbones take them."""
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
    x = keras.layers.Embedding(50, 8, name="embedding")(token_ids)
    mask = keras.layers.Reshape((-1, 1), name="mask")(padding_mask)
    x = keras.layers.Multiply(name="masked")([x, keras.ops.cast(mask, "float32")])
    outputs = keras.layers.Dense(4, name="head")(x)
    return keras.Model({"token_ids": token_ids, "padding_mask": padding_mask}, outputs)


class LearnedPositions(keras.Model):
    """A subclassed model holding a weight of its own (add_weight) next to its layers."""

    def __init__(self):
        super().__init__(name="learned_positions")
        self.embed = keras.layers.Embedding(100, 16, name="embed")
        self.position = self.add_weight(shape=(8, 16), name="position")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, tokens):
        return self.head(self.embed(tokens) + self.position)
