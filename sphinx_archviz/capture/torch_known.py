"""Values a model computes on the meta device that are known without its weights: integer and
boolean tensors it makes from numbers (positions, the all-ones attention mask it assumes when
given none, a feature map's height and width) and the indices of ``nonzero`` while every value
counts as non-zero. They are made on the CPU, where the model can read them (``.item()``,
``.tolist()``, a loop over the experts a token goes to); an op that meets a meta tensor runs on
the meta device (``_MetaAbsorbsCpu`` in :mod:`.torch`)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import torch
from torch.utils._pytree import tree_flatten, tree_map

from sphinx_archviz.errors import ArchvizError

aten = torch.ops.aten
T = TypeVar("T")

#: Whether values known without weights are made on the CPU in this run (see
#: :func:`or_all_on_meta`).
_KNOWN_ON_THE_CPU = contextvars.ContextVar("known_on_the_cpu", default=True)


class UnknownValuesWritten(NotImplementedError):
    """The model wrote values computed on the meta device into a tensor of known values."""


def or_all_on_meta(run: Callable[[], T]) -> T:
    """``run()``; if the model wrote values known only on the meta device into a tensor of
    known values made on the CPU (GLM-5 Next counts the keys each query picks in a tensor of
    zeros), ``run()`` again with every value on the meta device, as it then draws."""
    try:
        return run()
    except ArchvizError as error:
        if not isinstance(error.__cause__, UnknownValuesWritten):
            raise
    token = _KNOWN_ON_THE_CPU.set(False)
    try:
        return run()
    finally:
        _KNOWN_ON_THE_CPU.reset(token)


#: The largest tensor of known values made on the CPU, in elements; a larger one stays on the
#: meta device, as before.
KNOWN_VALUES_LIMIT = 2**20

#: Ops that make a tensor from numbers alone (their ``_like`` forms take only a shape).
FACTORIES = {
    aten.arange,
    aten.ones,
    aten.zeros,
    aten.full,
    aten.eye,
    aten.scalar_tensor,
    aten.ones_like,
    aten.zeros_like,
    aten.full_like,
}
_LIKE = {aten.ones_like, aten.zeros_like, aten.full_like}


def made_on_the_cpu(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The op's result made on the CPU if it is a small integer or boolean tensor of known
    values (a factory's, or ``nonzero``'s indices); else None."""
    if not _KNOWN_ON_THE_CPU.get():
        return None
    packet = func.overloadpacket
    if packet in FACTORIES and _asked_for_meta(packet, args, kwargs):
        shaped = func(*args, **kwargs)  # on the meta device: free, and gives dtype and size
        if _small_integers(shaped):
            return func(*args, **{**kwargs, "device": torch.device("cpu")})
    if packet is aten.nonzero and args[0].is_meta and args[0].numel() <= KNOWN_VALUES_LIMIT:
        return torch.ones(args[0].shape, dtype=torch.bool).nonzero()
    if _readable_sent_to_meta(packet, args, kwargs):
        # Integers on the CPU sent to the meta device (MiniCPM-V's lengths of its images'
        # patch sequences, which it then reads) stay there until they meet a meta tensor.
        return func(*args, **{**kwargs, "device": args[0].device})
    return None


def _readable_sent_to_meta(packet: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    if packet is not aten._to_copy or args[0].is_meta:
        return False
    integral = _integral(kwargs.get("dtype") or args[0].dtype)
    return integral and _asked_for_meta(packet, args, kwargs)


def on_the_cpu_if_small(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """An op on CPU tensors alone, run on the CPU if its result is small, else on the meta
    device (Wav2Vec2-BERT's distances between every two of 10,000 frames: 100M values a layer)."""
    if not func._schema.is_mutable and func is not aten._local_scalar_dense.default:
        meta_args, meta_kwargs = tree_map(on_meta, (args, kwargs))
        try:
            shaped = func(*meta_args, **meta_kwargs)
        except Exception:  # no meta kernel: PyTorch's own error comes from the CPU
            shaped = None
        results = [each for each in tree_flatten(shaped)[0] if isinstance(each, torch.Tensor)]
        if any(each.numel() > KNOWN_VALUES_LIMIT for each in results):
            return shaped
    return func(*args, **kwargs)


def on_meta(value: Any) -> Any:
    return value.to("meta") if isinstance(value, torch.Tensor) and not value.is_meta else value


def _asked_for_meta(packet: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    device = kwargs.get("device")
    if device is None and packet in _LIKE:
        return bool(args[0].is_meta)
    return device is not None and torch.device(device).type == "meta"


def _small_integers(tensor: torch.Tensor) -> bool:
    return _integral(tensor.dtype) and tensor.numel() <= KNOWN_VALUES_LIMIT


def _integral(dtype: torch.dtype) -> bool:
    """Integers or booleans."""
    return not dtype.is_floating_point and not dtype.is_complex


def check_no_write_of_unknown_values(func: Any, args: tuple[Any, ...], kwargs: Any) -> None:
    """An op that would write values computed on the meta device into a CPU tensor raises: the
    CPU tensor cannot move to the meta device, and keeping its old values would let the model
    read wrong ones."""
    if not func._schema.is_mutable:
        return
    written = [
        value
        for argument, value in zip(func._schema.arguments, args, strict=False)
        if argument.alias_info is not None and argument.alias_info.is_write
    ]
    written += [
        kwargs[argument.name]
        for argument in func._schema.arguments
        if argument.alias_info is not None
        and argument.alias_info.is_write
        and argument.name in kwargs
    ]
    if any(isinstance(each, torch.Tensor) and not each.is_meta for each in written):
        raise UnknownValuesWritten(
            f"{func} writes values known only on the meta device into a tensor on the CPU"
        )


@contextlib.contextmanager
def numbers_on_the_cpu() -> Iterator[None]:
    """``torch.tensor`` of numbers asked for on the meta device (a feature map's height and
    width) is made on the CPU when it holds integers: it does not go through the dispatcher."""
    original = torch.tensor

    def tensor(data: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        device = kwargs.get("device")
        on_meta = device is not None and torch.device(device).type == "meta"
        if on_meta and _KNOWN_ON_THE_CPU.get() and not _holds_tensors(data):
            made = original(data, *args, **{**kwargs, "device": "cpu"})
            if _small_integers(made):
                return made
        return original(data, *args, **kwargs)

    torch.tensor = tensor
    try:
        yield
    finally:
        torch.tensor = original


def _holds_tensors(data: Any) -> bool:
    return any(isinstance(each, torch.Tensor) for each in tree_flatten(data)[0])
