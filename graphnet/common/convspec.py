"""The layer specs of a convolutional network and their shapes, one plan for both engines.

A convolutional network is written as a list, the input shape first::

    [(1, 28, 28), Conv(4, 5), MaxPool(2), 10]

* ``(C, H, W)``: the input, C channels of H×W pixels (a sample is given flat, C·H·W values
  in channel, row, column order, or with that shape);
* ``Conv(maps, kernel, stride=1, padding=0)``: ``maps`` feature maps, each with one kernel
  K[m] of shape (C, k, k) over all C input channels and one bias b[m]; with zero padding p
  and stride s the output is ``maps × OH × OW``, OH = (H + 2p − k) // s + 1;
* ``MaxPool(size, stride=None)`` / ``AvgPool(size, stride=None)``: the max / the mean of
  each size×size window of each map (stride defaults to size; a remainder is dropped);
* an ``int`` n: a dense layer of n nodes over every value below, flattened in (channel,
  row, column) order (the flatten step; nothing to compute).  Conv and pooling layers
  cannot follow a dense layer.

:func:`plan_layers` checks such a list and returns one :class:`LayerPlan` per layer with
its input and output shapes; the graph (:mod:`graphnet.graph.convnet`) and the fast path
(:mod:`graphnet.fast.convnet`) both build from the same plan.

>>> plans = plan_layers([(1, 28, 28), Conv(4, 5), MaxPool(2), 10])
>>> [(p.kind, p.out_shape) for p in plans]
[('input', (1, 28, 28)), ('conv', (4, 24, 24)), ('max_pool', (4, 12, 12)), ('dense', (10,))]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, Union

import numpy as np
from numpy.typing import NDArray

from graphnet.math.activations import Activation
from graphnet.math.errors import ShapeError
from graphnet.math.losses import Loss
from graphnet.math.optimizers import Optimizer
from graphnet.math.validation import check_count

Shape = tuple[int, ...]
Kind = Literal["input", "conv", "max_pool", "avg_pool", "dense"]


@dataclass(frozen=True)
class Conv:
    """A convolution: ``maps`` kernels of size ``kernel``×``kernel`` over all input channels.

    net[m, y, x] = b[m] + Σ_c Σ_u Σ_v K[m, c, u, v]·o[c, s·y + u − p, s·x + v − p]
    (positions outside the input are the zero padding and contribute nothing).
    """

    maps: int
    kernel: int
    stride: int = 1
    padding: int = 0

    def __post_init__(self) -> None:
        check_count(self.maps, name="Conv maps")
        check_count(self.kernel, name="Conv kernel")
        check_count(self.stride, name="Conv stride")
        check_count(self.padding, name="Conv padding", minimum=0)

    def __repr__(self) -> str:
        extra = (f", stride={self.stride}" if self.stride != 1 else "") + (
            f", padding={self.padding}" if self.padding else ""
        )
        return f"Conv({self.maps}, {self.kernel}{extra})"


@dataclass(frozen=True)
class _Pool:
    size: int
    stride: int | None = None

    def __post_init__(self) -> None:
        check_count(self.size, name=f"{type(self).__name__} size")
        if self.stride is not None:
            check_count(self.stride, name=f"{type(self).__name__} stride")

    @property
    def step(self) -> int:
        """The stride s (the window size unless given)."""
        return self.size if self.stride is None else self.stride

    def __repr__(self) -> str:
        stride = f", stride={self.stride}" if self.stride is not None else ""
        return f"{type(self).__name__}({self.size}{stride})"


class MaxPool(_Pool):
    """Max pooling: o[c, y, x] = max over the window; δ flows back to the window's (first) maximum only."""


class AvgPool(_Pool):
    """Average pooling: o[c, y, x] = (1/k²)·Σ over the window; δ flows back to every entry, times 1/k²."""


LayerSpec = Union[Conv, MaxPool, AvgPool, int]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class LayerPlan:
    """One layer of a planned network: its kind, spec, and the shapes in and out."""

    index: int
    kind: Kind
    spec: Conv | MaxPool | AvgPool | int | None
    in_shape: Shape
    out_shape: Shape

    @property
    def size(self) -> int:
        """Number of nodes of the layer: the product of its output shape."""
        return int(np.prod(self.out_shape))

    @property
    def has_parameters(self) -> bool:
        """True for conv and dense layers (pooling has no parameters)."""
        return self.kind in ("conv", "dense")

    @property
    def conv(self) -> Conv:
        """The Conv spec of a conv layer."""
        assert isinstance(self.spec, Conv), self
        return self.spec

    @property
    def pool(self) -> MaxPool | AvgPool:
        """The MaxPool or AvgPool spec of a pooling layer."""
        assert isinstance(self.spec, MaxPool | AvgPool), self
        return self.spec

    @property
    def kernel_shape(self) -> Shape:
        """(maps, C, k, k) of a conv layer's kernels; (n_out, n_in) of a dense layer's W."""
        if isinstance(self.spec, Conv):
            return (self.spec.maps, self.in_shape[0], self.spec.kernel, self.spec.kernel)
        return (self.size, int(np.prod(self.in_shape)))

    def describe(self) -> str:
        """E.g. ``conv 4@5x5 → 4x24x24``."""
        shape = "x".join(map(str, self.out_shape))
        if isinstance(self.spec, Conv):
            return f"{self.spec!r} → {shape}"
        if isinstance(self.spec, MaxPool | AvgPool):
            return f"{self.spec!r} → {shape}"
        return f"{self.kind} {shape}"


def _spatial(length: int, kernel: int, stride: int, padding: int, what: str) -> int:
    span = length + 2 * padding - kernel
    if span < 0:
        raise ShapeError(f"{what}: a window of {kernel} does not fit into {length} (padding {padding})")
    return span // stride + 1


def plan_layers(specs: Sequence[object]) -> list[LayerPlan]:
    """Check a layer list (input shape first) and return each layer's plan with its shapes."""
    if isinstance(specs, str | bytes) or not isinstance(specs, Sequence) or len(specs) < 2:
        raise ShapeError(
            f"layers must be a list such as [(1, 28, 28), Conv(4, 5), MaxPool(2), 10]: input shape first; got {specs!r}"
        )
    first = specs[0]
    if isinstance(first, int) and not isinstance(first, bool):
        first = (first,)
    if not isinstance(first, tuple) or len(first) not in (1, 3):
        raise ShapeError(f"the first entry must be the input shape (C, H, W) (or n for flat inputs); got {first!r}")
    in_shape = tuple(check_count(n, name="input shape") for n in first)
    plans = [LayerPlan(0, "input", None, in_shape, in_shape)]
    shape = in_shape
    for index, spec in enumerate(specs[1:], start=1):
        kind: Kind
        out: Shape
        if isinstance(spec, Conv | MaxPool | AvgPool):
            if len(shape) != 3:
                raise ShapeError(f"layer {index} ({spec!r}) needs a (C, H, W) input; the layer below gives {shape}")
            channels, height, width = shape
            if isinstance(spec, Conv):
                kind = "conv"
                k, s, p = spec.kernel, spec.stride, spec.padding
                out = (
                    spec.maps,
                    _spatial(height, k, s, p, f"layer {index}"),
                    _spatial(width, k, s, p, f"layer {index}"),
                )
            else:
                kind = "max_pool" if isinstance(spec, MaxPool) else "avg_pool"
                k, s = spec.size, spec.step
                out = (
                    channels,
                    _spatial(height, k, s, 0, f"layer {index}"),
                    _spatial(width, k, s, 0, f"layer {index}"),
                )
        elif isinstance(spec, int | np.integer) and not isinstance(spec, bool):
            kind, out = "dense", (check_count(int(spec), name=f"layers[{index}]"),)
        else:
            raise ShapeError(f"layers[{index}] must be Conv(…), MaxPool(…), AvgPool(…) or a dense size; got {spec!r}")
        plans.append(LayerPlan(index, kind, int(spec) if kind == "dense" else spec, shape, out))  # type: ignore[arg-type]
        shape = out
    if plans[-1].kind != "dense":
        raise ShapeError("the last layer must be dense (an int): the outputs y₁ … y_K")
    return plans


#: The tokens of :func:`parse_layers`: input shape, conv, pooling, dense size.
LAYER_GRAMMAR = (
    "CxHxW (input), convMxK[sS][pP] (M maps K×K, stride S, padding P), maxpoolK[sS], avgpoolK[sS], N (dense)"
)
_TOKENS = (
    (re.compile(r"(\d+)x(\d+)x(\d+)"), lambda g: (int(g[0]), int(g[1]), int(g[2]))),
    (
        re.compile(r"conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?"),
        lambda g: Conv(int(g[0]), int(g[1]), stride=int(g[2] or 1), padding=int(g[3] or 0)),
    ),
    (re.compile(r"maxpool(\d+)(?:s(\d+))?"), lambda g: MaxPool(int(g[0]), stride=int(g[1]) if g[1] else None)),
    (re.compile(r"avgpool(\d+)(?:s(\d+))?"), lambda g: AvgPool(int(g[0]), stride=int(g[1]) if g[1] else None)),
    (re.compile(r"(\d+)"), lambda g: int(g[0])),
)


def parse_layers(text: str) -> list[object]:
    """A layer list from text, e.g. ``"1x28x28 conv4x5 maxpool2 10"`` (see :data:`LAYER_GRAMMAR`).

    Tokens are separated by spaces or commas.  The list is not checked here; :func:`plan_layers` does.

    >>> parse_layers("1x28x28 conv4x5 maxpool2 10")
    [(1, 28, 28), Conv(4, 5), MaxPool(2), 10]
    >>> parse_layers("3x8x8, conv6x3s2p1, avgpool2s1, 16, 2")
    [(3, 8, 8), Conv(6, 3, stride=2, padding=1), AvgPool(2, stride=1), 16, 2]
    """
    layers: list[object] = []
    for token in text.replace(",", " ").split():
        for pattern, build in _TOKENS:
            found = pattern.fullmatch(token.lower())
            if found is not None:
                layers.append(build(found.groups()))
                break
        else:
            raise ShapeError(f"layer {token!r} is not one of: {LAYER_GRAMMAR}")
    return layers


def window_positions(plan: LayerPlan, y: int, x: int) -> list[tuple[int, int, int, int, int]]:
    """The inputs of output position (y, x) of a conv or pool layer that lie inside the input.

    Returns ``(c, u, v, row, column)`` for every channel c (conv: all channels; pooling:
    the caller keeps its own channel) and kernel entry (u, v), in the order c, u, v, with
    the input position (row, column) = (s·y + u − p, s·x + v − p).  Entries that fall into
    the zero padding are left out: their o is 0, so they add nothing to net or to a gradient.
    """
    channels, height, width = plan.in_shape
    if isinstance(plan.spec, Conv):
        k, s, p, cs = plan.spec.kernel, plan.spec.stride, plan.spec.padding, range(channels)
    else:
        assert isinstance(plan.spec, MaxPool | AvgPool)
        k, s, p, cs = plan.spec.size, plan.spec.step, 0, range(1)
    positions = []
    for c in cs:
        for u in range(k):
            row = s * y + u - p
            if not 0 <= row < height:
                continue
            for v in range(k):
                column = s * x + v - p
                if 0 <= column < width:
                    positions.append((c, u, v, row, column))
    return positions


#: Per parameterized layer: (K, b) of a conv layer (K: (maps, C, k, k), b: (maps,)), (W, b) of a dense one.
ConvParams = list[tuple[NDArray[np.floating], NDArray[np.floating]]]


class ConvParameterGraph(Protocol):
    """The graph's convolutional network as its fast mirror sees it (the mirror never imports the graph)."""

    plans: list[LayerPlan]
    activations: list[Activation]
    loss_function: Loss
    l2: float
    optimizer: Optimizer

    def get_params(self) -> ConvParams:
        """Copies of (K, b) or (W, b) of every layer with parameters, bottom to top."""

    def set_params(self, params: Sequence[tuple[NDArray[np.floating], NDArray[np.floating]]]) -> None:
        """Write (K, b) or (W, b) of every layer with parameters into the shared weights and connections."""

    def get_states(self, fields: Sequence[str]) -> list[list[NDArray[np.floating]]]:
        """Per parameter array (K, b, W, b, … in order), one array per optimizer state field (0: no state)."""

    def set_states(self, state_type: type, arrays: Sequence[Sequence[NDArray[np.floating]]]) -> None:
        """New optimizer states on every parameter from :meth:`get_states`' layout."""

    def reset_optimizer(self) -> None:
        """Start the optimizer afresh: counts 0, every parameter's state cleared."""
