"""A convolutional graph network's parameters as arrays: ``[(K, b), …, (W, b)]``, states, L2.

The mixin :class:`ConvParameters` is the one place the mapping between the graph's
parameter objects (shared weights, dense connections; see :mod:`graphnet.graph.conv`) and
arrays lives: K (maps, C, k, k) and b (maps,) per conv layer, W (n_out, n_in) and b
(n_out,) per dense layer, in the order of ``layer_parameters``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from graphnet.common.convspec import ConvParams, LayerPlan
from graphnet.common.sync import changed, settle
from graphnet.graph.convphases import Parameter
from graphnet.math.errors import NumericalOverflowError, ShapeError
from graphnet.math.optimizers import Optimizer


class ConvParameters:
    """Reading and writing a conv network's parameters (and optimizer states) as arrays."""

    plans: list[LayerPlan]
    l2: float
    optimizer: Optimizer
    _parameters: dict[int, list[Parameter]]

    @property
    def parameters(self) -> Iterator[Parameter]:
        """Every parameter once, bottom to top, in the order of ``layer_parameters``."""
        for plan in self.plans[1:]:
            yield from self._parameters[plan.index]

    def _arrays(self, read: Callable[[Any], float]) -> ConvParams:
        settle()
        arrays: ConvParams = []
        for plan in self.plans[1:]:
            if not plan.has_parameters:
                continue
            values = np.array([read(p) for p in self._parameters[plan.index]], dtype=np.float64)
            n_out = plan.kernel_shape[0]
            if plan.kind == "conv":
                n_kernel = int(np.prod(plan.kernel_shape))
                arrays.append((values[:n_kernel].reshape(plan.kernel_shape), values[n_kernel:]))
            else:
                rows = values.reshape(n_out, -1)
                arrays.append((rows[:, :-1].copy(), rows[:, -1].copy()))
        return arrays

    def _ordered(self, pairs: Sequence[tuple[ArrayLike, ArrayLike]]) -> list[list[float]]:
        """Per layer with parameters, the values in the order of :meth:`layer_parameters` (shapes checked)."""
        learned = [plan for plan in self.plans[1:] if plan.has_parameters]
        if len(pairs) != len(learned):
            raise ShapeError(
                f"expected {len(learned)} (K or W, b) pairs, one per layer with parameters; got {len(pairs)}"
            )
        ordered = []
        for plan, (weights, biases) in zip(learned, pairs, strict=True):
            W, b = np.asarray(weights, dtype=np.float64), np.asarray(biases, dtype=np.float64)
            if W.shape != plan.kernel_shape or b.shape != (plan.kernel_shape[0],):
                raise ShapeError(
                    f"layer {plan.index} needs shapes {plan.kernel_shape} and {(plan.kernel_shape[0],)}; "
                    f"got {W.shape} and {b.shape}"
                )
            if plan.kind == "conv":
                ordered.append([*W.ravel().tolist(), *b.tolist()])
            else:
                ordered.append(np.column_stack([W, b]).ravel().tolist())
        return ordered

    def get_params(self) -> ConvParams:
        """Copies of ``[(K, b), …, (W, b)]``, one pair per conv or dense layer."""
        return self._arrays(lambda p: p._weight)

    def set_params(self, params: Sequence[tuple[ArrayLike, ArrayLike]]) -> None:
        """Write ``[(K, b), …, (W, b)]`` into the shared weights and the dense connections."""
        ordered = self._ordered(params)
        if not all(np.isfinite(values).all() for values in ordered):
            raise NumericalOverflowError("parameters must be finite; got NaN or inf")
        settle()
        learned = [plan for plan in self.plans[1:] if plan.has_parameters]
        for plan, values in zip(learned, ordered, strict=True):
            for parameter, value in zip(self._parameters[plan.index], values, strict=True):
                parameter._weight = value
        changed()

    def get_states(self, fields: Sequence[str]) -> list[list[NDArray[np.floating]]]:
        """Per field of the optimizer's state, ``[K, b, …, W, b]`` arrays of it (0 where there is no state)."""
        out: list[list[NDArray[np.floating]]] = []
        for field in fields:

            def read(parameter: Any, name: str = field) -> float:
                state = parameter._state
                return 0.0 if state is None else float(getattr(state, name))

            pairs = self._arrays(read)
            out.append([array for pair in pairs for array in pair])
        return out

    def set_states(self, state_type: type, arrays: Sequence[Sequence[NDArray[np.floating]]]) -> None:
        """New ``state_type`` states on every parameter from :meth:`get_states`' layout."""
        settle()
        per_field = []
        for field_arrays in arrays:
            pairs = [(field_arrays[2 * k], field_arrays[2 * k + 1]) for k in range(len(field_arrays) // 2)]
            per_field.append([value for values in self._ordered(pairs) for value in values])
        for parameter, *values in zip(self.parameters, *per_field, strict=True):
            parameter._state = state_type(*values)
        changed()

    def l2_penalty(self) -> float:
        """(λ/2)·Σ w² over kernel entries and dense weights (not biases)."""
        if self.l2 == 0.0:
            return 0.0
        return 0.5 * self.l2 * sum(p.weight * p.weight for p in self.parameters if not p.is_bias)

    def reset_optimizer(self) -> None:
        """Counts back to 0 and every parameter's optimizer state cleared."""
        self.optimizer.reset()
        settle()
        for parameter in self.parameters:
            parameter._state = None
        changed()
