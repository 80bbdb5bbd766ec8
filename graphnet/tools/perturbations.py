"""The central-difference machinery of the gradient checker: stencils, steps, perturbed losses.

:func:`graphnet.tools.gradcheck.gradient_check` asks :class:`Perturbations` for the numeric
∂E/∂w of every parameter (or of a sample of them), or for the derivative of E along random
directions v; this module computes them on the fast path's arrays, never by backprop and
never by writing the network's parameters (directional mode puts back the very same arrays).

* :data:`STENCILS`: the central differences of order 2, 4 and 6, E′ ≈ Σ_s c_s·E(θ + s·h) / h;
* :data:`DEFAULT_EPSILON`: their best steps, ε = u^(1/(order+1)) in net-input units;
* :class:`Perturbations`: the engine: a perturbed weight w_ji moves only net_j, so all the
  perturbations of a layer run as one batch of that unit's net inputs through the layers above;
* the kinks (:mod:`graphnet.tools.kinks`): whether the loss along a row is smooth (one-sided quotients)
  (then the row is recomputed with smaller steps, :data:`KINK_SHRINK`, :data:`KINK_RETRIES`).

The grading of the numbers is :mod:`graphnet.tools.verdicts`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common.schedule import reduction_scale
from graphnet.tools.kinks import KinkTracker, Quotients, RoughRow, quotients, resolve

if TYPE_CHECKING:
    from graphnet.fast.dense import DenseLayer
    from graphnet.fast.network import FastNetwork
    from graphnet.math.dropout import Masks

Array = NDArray[np.floating]

#: Unit round-off of float64: u = 2⁻⁵³ ≈ 1.1e-16.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0
#: Default step of the stencil of each order, u^(1/(order+1)) (see
#: :func:`~graphnet.tools.gradcheck.gradient_check`).
DEFAULT_EPSILON = {order: UNIT_ROUNDOFF ** (1.0 / (order + 1)) for order in (2, 4, 6)}
#: Central-difference stencils: accuracy order → ((multiple of the step, weight), …).
#: The estimate is Σ weight·E(θ + multiple·h·e) / h.
STENCILS: dict[int, tuple[tuple[int, float], ...]] = {
    2: ((-1, -1.0 / 2.0), (1, 1.0 / 2.0)),
    4: ((-2, 1.0 / 12.0), (-1, -8.0 / 12.0), (1, 8.0 / 12.0), (2, -1.0 / 12.0)),
    6: (
        (-3, -1.0 / 60.0),
        (-2, 9.0 / 60.0),
        (-1, -45.0 / 60.0),
        (1, 45.0 / 60.0),
        (2, -9.0 / 60.0),
        (3, 1.0 / 60.0),
    ),
}
#: The smallest source output used to size a step (see :func:`~graphnet.tools.gradcheck.gradient_check`, Notes).
MIN_SOURCE_SCALE = 1e-6
#: A row whose stencil reaches over a kink is recomputed with a step this much smaller …
KINK_SHRINK = 10.0
#: … up to this many times (the error budget allows it: see
#: :func:`~graphnet.tools.gradcheck.gradient_check`).
KINK_RETRIES = 3
#: Elements per work array when perturbations are batched (bounds memory, keeps caches warm).
CHUNK_ELEMENTS = 1 << 18


class Perturbations:
    """Loss differences under perturbed parameters, on the fast path's arrays.

    Holds the unperturbed forward pass (each layer's X, Z, Y as the fast gradients left them)
    and evaluates E at perturbed parameters in batched blocks.

    Parameters
    ----------
    fast : FastNetwork
        The mirror, right after its ``gradients`` on ``inputs`` (its caches are the base pass).
    inputs, targets : arrays (n_samples, ·)
    stencil : tuple of (multiple, weight)
        One of :data:`STENCILS`.
    reduction : {"mean", "sum"}
    kinks : sequence of tuple of float
        Per layer, the net inputs where its activation has a kink (() for smooth ones).
    factors : list, optional
        Dropout's fixed m/q per layer (None: no dropout).
    """

    def __init__(
        self,
        fast: FastNetwork,
        inputs: Array,
        targets: Array,
        stencil: tuple[tuple[int, float], ...],
        reduction: str,
        kinks: Sequence[tuple[float, ...]],
        factors: list[Array | None] | None = None,
        masks: Masks | None = None,
        graph_gradients: Any = None,
    ) -> None:
        self.fast = fast
        #: the graph's ``gradients`` (one sample's backward pass at a kink); default: the mirror's
        self.graph_gradients = graph_gradients if graph_gradients is not None else fast.gradients
        self.factors = factors  # dropout's m/q per layer, fixed (None: no dropout)
        self.masks = masks  # the masks themselves, for one sample's backward pass at a kink
        self.layers: list[DenseLayer] = fast.layers
        self.inputs = inputs
        self.targets = targets
        self.stencil = stencil
        self.reduction = reduction
        self.scale = reduction_scale(reduction, len(inputs))  # 1/n for "mean", 1 for "sum"
        self.l2_coefficients = fast.network.l2_term.coefficients(len(inputs))  # λ and λ_b of this batch
        self.rough_rows: list[RoughRow] = []  # the kink rows, graded by their brackets
        self.epsilon = DEFAULT_EPSILON[2 * max(multiple for multiple, _ in stencil)]
        self.kinks = list(kinks)
        self.base_loss = fast.batch_loss(inputs, targets, reduction, masks=factors)  # E, one unperturbed forward pass
        output = self.layers[-1]
        self.base_losses = fast.loss_function.value_array(output.Y, targets, output.Z)  # e_r, (n,)
        self.roundoff_scales = roundoff_scales(self.layers, self.base_losses)
        self.evaluations = 0

    # ------------------------------------------------------------------ full and sample
    def per_parameter(
        self,
        graph_gradients: Sequence[tuple[Array, Array | None]],
        fast_gradients: Sequence[tuple[Array, Array | None]],
        epsilon: float,
        mode: str,
        per_layer: int,
        rng: np.random.Generator,
    ) -> dict[str, NDArray[Any]]:
        """Numeric ∂E/∂w for every parameter (or a sample per layer), and the analytic ones."""
        self.epsilon = epsilon
        parts: dict[str, list[NDArray[Any]]] = {name: [] for name in _COLUMNS}
        offset = 0
        for index, layer in enumerate(self.layers):
            n_out, n_in = layer.W.shape
            width = n_in + (1 if layer.b is not None else 0)
            n_parameters = n_out * width
            if mode == "sample" and per_layer < n_parameters:
                flat = np.sort(rng.choice(n_parameters, size=per_layer, replace=False))
            else:
                flat = np.arange(n_parameters)
            targets, sources = np.divmod(flat, width)
            numeric, steps, kinks, near_kinks, magnitudes, noises = self._layer_numeric(
                index, targets, sources, epsilon, offset
            )
            parts["layer"].append(np.full(flat.size, index + 1, dtype=np.intp))
            parts["target"].append(targets.astype(np.intp))
            parts["source"].append(sources.astype(np.intp))
            parts["weight"].append(_augmented(layer.W, layer.b).ravel()[flat])
            parts["numeric"].append(numeric)
            parts["graph"].append(_augmented(*graph_gradients[index]).ravel()[flat])
            parts["fast"].append(_augmented(*fast_gradients[index]).ravel()[flat])
            parts["step"].append(steps)
            parts["kink"].append(kinks)
            parts["near_kink"].append(near_kinks)
            parts["magnitude"].append(magnitudes)
            parts["noise"].append(noises)
            offset += flat.size
        columns = {name: np.concatenate(values) for name, values in parts.items()}
        self._resolve_kinks(columns)
        return columns

    def _layer_numeric(
        self, index: int, targets: NDArray[np.intp], sources: NDArray[np.intp], epsilon: float, offset: int
    ) -> tuple[Array, Array, NDArray[np.bool_], NDArray[np.bool_], Array, Array]:
        """Central differences for the given w_ji of layer ``index`` (0-based), in blocks.

        Returns the estimates, their steps, whether a sample is still rough (a kink) at the
        final step, and whether the first step reached over a kink (the step was then made
        smaller), the magnitude scale·Σ_r |c_r| + |L2 part| of the terms each estimate sums,
        and its round-off (see :class:`~graphnet.tools.kinks.Quotients`).
        Kink rows are kept in :attr:`rough_rows` (``offset``: the first row's index).
        """
        layer = self.layers[index]
        n_samples = len(self.inputs)
        # the widest work array: the net inputs of a layer above, or the output row if index is last
        widest = max([dense.W.shape[0] for dense in self.layers[index + 1 :]] or [layer.W.shape[0]])
        block = max(1, CHUNK_ELEMENTS // (n_samples * widest))
        numeric = np.empty(targets.size)
        steps = np.empty(targets.size)
        kinks = np.empty(targets.size, dtype=bool)
        near_kinks = np.empty(targets.size, dtype=bool)
        magnitudes = np.empty(targets.size)
        noises = np.empty(targets.size)
        source_outputs = _with_ones(layer.X) if layer.b is not None else layer.X  # o_i, bias o = 1
        for start in range(0, targets.size, block):
            part = slice(start, start + block)
            j, i = targets[part], sources[part]
            o = source_outputs[:, i].T  # (p, n): o_i of each parameter, per sample
            net = layer.Z[:, j].T  # (p, n): net_j, per sample
            h = epsilon / np.maximum(np.abs(o).max(axis=1), MIN_SOURCE_SCALE)
            estimate, straddles, found, l2_part = self._block(index, j, i, o, net, h)
            first = Quotients(found.central.copy(), found.left, found.right, found.rough.copy(), found.pad, found.noise)
            rough: NDArray[np.bool_] = np.asarray(found.rough.any(axis=1))
            near_kinks[part] = straddles | rough
            retry_rows = near_kinks[part].copy()
            for _ in range(KINK_RETRIES):  # step back from kinks where a smaller step can
                retry = np.flatnonzero(retry_rows)
                if retry.size == 0:
                    break
                h[retry] /= KINK_SHRINK
                again, straddles_again, found_again, l2_again = self._block(
                    index, j[retry], i[retry], o[retry], net[retry], h[retry]
                )
                estimate[retry], l2_part[retry] = again, l2_again
                for name in ("central", "left", "right", "rough", "pad", "noise"):
                    getattr(found, name)[retry] = getattr(found_again, name)
                rough[retry] = found_again.rough.any(axis=1)
                retry_rows[:] = False
                retry_rows[retry] = straddles_again | rough[retry]
            numeric[part], kinks[part], steps[part] = estimate, rough, h
            magnitudes[part] = self.scale * np.abs(found.central).sum(axis=1) + np.abs(l2_part)
            noises[part] = self.scale * found.noise.sum(axis=1)
            for local in np.flatnonzero(rough):
                self._keep_rough(offset + start + int(local), found, int(local), float(l2_part[local]), first)
        return numeric, steps, kinks, near_kinks, magnitudes, noises

    def _keep_rough(
        self, row: int, found: Quotients, local: int, l2_part: float, first: Quotients, direction: Any = None
    ) -> None:
        """Remember a kink row: its rough samples' one-sided pair, the smooth samples' numeric part.

        A sample smooth at the first step keeps that step's quotient (the most precise one).
        """
        rough = found.rough[local]
        samples = np.flatnonzero(rough)
        central = np.where(first.rough[local], found.central[local], first.central[local])
        rest = self.scale * float(central[~rough].sum()) + l2_part
        self.rough_rows.append(
            RoughRow(
                row,
                samples,
                found.left[local][samples],
                found.right[local][samples],
                rest,
                found.pad[local][samples],
                direction,
            )
        )

    def _block(
        self, index: int, j: NDArray[np.intp], i: NDArray[np.intp], o: Array, net: Array, h: Array
    ) -> tuple[Array, NDArray[np.bool_], Quotients, Array]:
        """Σ_s c_s·E(w + s·h) / h for a block of p parameters of layer ``index``.

        Also: whether a declared kink was straddled, the per-sample quotients
        (:func:`graphnet.tools.kinks.quotients`) and the L2 part of each estimate.
        """
        layer = self.layers[index]
        p, n = net.shape
        differences: dict[int, Array] = {}  # e_r(s) − e_r per stencil point, parameter and sample
        magnitude = np.broadcast_to(np.abs(self.base_losses), (p, n)).copy()
        trackers = [KinkTracker(kinks) for kinks in self.kinks[index:]]
        for multiple, _ in self.stencil:
            shifted = net + (multiple * h)[:, None] * o  # net_j + s·h·o_i, (p, n)
            trackers[0].add(shifted)
            per_sample = self._losses_above(index, j, shifted, trackers)
            # Σ_s c_s = 0: subtracting the unperturbed e_r changes nothing but the round-off
            differences[multiple] = per_sample - self.base_losses
            np.maximum(magnitude, np.abs(per_sample), out=magnitude)
            self.evaluations += p
        found = quotients(differences, self.stencil, h[:, None], magnitude, self.scale, self.roundoff_scales[index])
        numeric: Array = found.central.sum(axis=1) * self.scale
        l2_part = np.zeros(p)
        weight_l2, bias_l2 = self.l2_coefficients
        if weight_l2 != 0.0 or bias_l2 != 0.0:
            n_in = layer.W.shape[1]
            is_weight = i < n_in
            weight = layer.W[j, np.minimum(i, n_in - 1)]
            if layer.b is not None:
                weight = np.where(is_weight, weight, layer.b[j])
            coefficient = np.where(is_weight, weight_l2, bias_l2)
            # change of (λ/2)·w² when w moves by Δw: (λ/2)·Δw·(2w + Δw), computed without cancellation
            penalty = sum(
                c * 0.5 * coefficient * (multiple * h) * (2.0 * weight + multiple * h) for multiple, c in self.stencil
            )
            l2_part = np.asarray(penalty / h, dtype=np.float64)
            numeric = numeric + l2_part
        straddles = np.zeros(p, dtype=bool)
        for tracker in trackers:
            straddles |= tracker.straddles(p)
        return numeric, straddles, found, l2_part

    def _losses_above(self, index: int, j: NDArray[np.intp], shifted: Array, trackers: list[KinkTracker]) -> Array:
        """Per-sample losses e_r when unit j of layer ``index`` has the net inputs ``shifted``."""
        layer = self.layers[index]
        p, n = shifted.shape
        last = len(self.layers) - 1
        if index == last:
            # the output layer: the row of net inputs with column j replaced (softmax needs it all)
            net_rows = np.repeat(layer.Z[None, :, :], p, axis=0)
            net_rows[np.arange(p), :, j] = shifted
            net_rows = net_rows.reshape(p * n, -1)
            outputs = layer.activation.value_array(net_rows)
        else:
            shifted_outputs = layer.activation.value_array(shifted)
            if layer.mask is not None:  # dropout's fixed m_j/q of unit j, per sample
                shifted_outputs = shifted_outputs * layer.mask[:, j].T
            change = shifted_outputs - layer.Y[:, j].T  # Δo_j, (p, n)
            above = self.layers[index + 1]
            # rank one: net_k += w_kj·Δo_j for every unit k of the next layer
            net_rows = (above.Z[None, :, :] + change[:, :, None] * above.W[:, j].T[:, None, :]).reshape(p * n, -1)
            trackers[1].add(net_rows)
            outputs = self._masked(above, above.activation.value_array(net_rows), p)
            for offset, dense in enumerate(self.layers[index + 2 :], start=2):
                net_rows = outputs @ dense.W.T
                if dense.b is not None:
                    net_rows += dense.b
                trackers[offset].add(net_rows)
                outputs = self._masked(dense, dense.activation.value_array(net_rows), p)
        repeated_targets = np.broadcast_to(self.targets[None, :, :], (p, *self.targets.shape)).reshape(p * n, -1)
        per_sample: Array = self.fast.loss_function.value_array(outputs, repeated_targets, net_rows)
        return per_sample.reshape(p, n)

    @staticmethod
    def _masked(dense: DenseLayer, outputs: Array, p: int) -> Array:
        """Outputs (p·n rows, p copies of the batch) times the layer's fixed dropout factors."""
        if dense.mask is None:
            return outputs
        masked: Array = outputs * np.tile(dense.mask, (p, 1))
        return masked

    # ------------------------------------------------------------------ directional
    def directional(
        self,
        graph_gradients: Sequence[tuple[Array, Array | None]],
        fast_gradients: Sequence[tuple[Array, Array | None]],
        epsilon: float,
        directions: int,
        rng: np.random.Generator,
    ) -> dict[str, NDArray[Any]]:
        """g·v against the difference quotient of E along v, ``directions`` per layer."""
        self.epsilon = epsilon
        parts: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        originals = [(dense.W, dense.b) for dense in self.layers]
        # the unperturbed pass, before the passes along the directions overwrite the caches
        below_outputs_per_layer = [dense.X for dense in self.layers]
        try:
            for index, below_outputs in enumerate(below_outputs_per_layer):
                W0, b0 = originals[index]
                for number in range(directions):
                    V = rng.standard_normal(W0.shape)
                    v_b = rng.standard_normal(b0.shape) if b0 is not None else None
                    # size the step in net-input space, as for single parameters
                    net_change = below_outputs @ V.T + (v_b if v_b is not None else 0.0)
                    change_scale = max(float(np.abs(net_change).max()), MIN_SOURCE_SCALE)
                    h = epsilon / change_scale
                    numeric, realized, straddles, found = self._along(index, V, v_b, h)
                    first = found
                    near = straddles or bool(found.rough.any())
                    parts["near_kink"].append(near)
                    for _ in range(KINK_RETRIES):  # step back from kinks where a smaller step can
                        if not near:
                            break
                        h /= KINK_SHRINK
                        numeric, realized, straddles, found = self._along(index, V, v_b, h)
                        near = straddles or bool(found.rough.any())
                    graph_W, graph_b = graph_gradients[index]
                    fast_W, fast_b = fast_gradients[index]
                    kink = bool(found.rough.any())
                    if kink:
                        # the L2 part, exactly: a central difference of a quadratic is its derivative
                        weight_l2, bias_l2 = self.l2_coefficients
                        l2_part = weight_l2 * float(np.sum(W0 * realized[0]))
                        if b0 is not None and realized[1] is not None:
                            l2_part += bias_l2 * float(np.dot(b0, realized[1]))
                        direction = [
                            realized if at == index else (np.zeros_like(W), None if b is None else np.zeros_like(b))
                            for at, (W, b) in enumerate(originals)
                        ]
                        self._keep_rough(len(parts["layer"]), found, 0, l2_part, first, direction)
                    parts["layer"].append(index + 1)
                    parts["target"].append(-1)
                    parts["source"].append(number)
                    parts["weight"].append(math.nan)
                    parts["numeric"].append(numeric)
                    parts["graph"].append(_dot(graph_W, graph_b, realized))
                    parts["fast"].append(_dot(fast_W, fast_b, realized))
                    parts["step"].append(h)
                    parts["kink"].append(kink)
                    parts["magnitude"].append(self.scale * float(np.abs(found.central).sum()))
                    parts["noise"].append(self.scale * float(found.noise.sum()))
        finally:
            for dense, (W0, b0) in zip(self.layers, originals, strict=True):
                dense.W, dense.b = W0, b0
        dtypes = {"layer": np.intp, "target": np.intp, "source": np.intp, "kink": bool, "near_kink": bool}
        columns = {name: np.array(values, dtype=dtypes.get(name, np.float64)) for name, values in parts.items()}
        self._resolve_kinks(columns)
        return columns

    def _along(
        self, index: int, V: Array, v_b: Array | None, h: float
    ) -> tuple[float, tuple[Array, Array | None], bool, Quotients]:
        """Σ_s c_s·E(θ + s·h·v) / h, the realized direction Σ_s c_s·Δθ_s / h, the kink flag, the quotients.

        Each E is one forward pass of the fast network (``batch_loss``) with layer ``index``'s
        W and b replaced by new arrays; the caller puts the original arrays back.
        """
        dense = self.layers[index]
        W0, b0 = dense.W, dense.b
        estimate = 0.0
        realized_W = np.zeros_like(W0)
        realized_b = np.zeros_like(b0) if b0 is not None else None
        trackers = [KinkTracker(kinks) for kinks in self.kinks]
        differences: dict[int, Array] = {}
        magnitude = np.abs(self.base_losses)[None, :].copy()
        output = self.layers[-1]
        for multiple, coefficient in self.stencil:
            dense.W = W0 + (multiple * h) * V
            realized_W += coefficient * (dense.W - W0)
            if b0 is not None and v_b is not None and realized_b is not None:
                dense.b = b0 + (multiple * h) * v_b
                realized_b += coefficient * (dense.b - b0)
            loss = self.fast.batch_loss(self.inputs, self.targets, self.reduction, masks=self.factors)
            estimate += coefficient * (loss - self.base_loss)
            per_sample = self.fast.loss_function.value_array(output.Y, self.targets, output.Z)
            differences[multiple] = (per_sample - self.base_losses)[None, :]
            np.maximum(magnitude, np.abs(per_sample)[None, :], out=magnitude)
            self.evaluations += 1
            for tracker, layer in zip(trackers, self.layers, strict=True):
                tracker.add(layer.Z)
        dense.W, dense.b = W0, b0
        straddles = any(bool(tracker.straddles(1)[0]) for tracker in trackers)
        found = quotients(differences, self.stencil, np.array([[h]]), magnitude, self.scale, self.roundoff_scales[0])
        realized = (realized_W / h, None if realized_b is None else realized_b / h)
        return estimate / h, realized, straddles, found

    # ------------------------------------------------------------------ kink rows
    def _resolve_kinks(self, columns: dict[str, NDArray[Any]]) -> None:
        """Grade kink rows by their brackets (:func:`graphnet.tools.kinks.resolve`), after every perturbed pass."""
        reach = max(multiple for multiple, _ in self.stencil) * self.epsilon / KINK_SHRINK**KINK_RETRIES
        resolve(
            self.rough_rows,
            columns,
            self.fast,
            self.graph_gradients,
            self.inputs,
            self.targets,
            self.masks,
            self.scale,
            reach,
        )


def roundoff_scales(layers: Sequence[DenseLayer], losses: Array) -> list[Array]:
    """Per layer l: what the round-off of each e_r is relative to, when layers l and above are recomputed.

    R_r(l) = |e_r| + Σ_{m ≥ l} Σ_u |δ_ru|·(Σ_i |w_ui|·|x_ri| + |b_u|) over the units u of layer m:
    every net input is a sum whose round-off is u·Σ|terms|, and it reaches e_r scaled by
    ∂e_r/∂net_u = δ_ru (the base pass's).  A sample near the loss's minimum has a tiny |e_r|
    but outputs of size 1, so |e_r| alone would promise a precision that the outputs,
    computed again for every perturbation, cannot keep.
    """
    scales: list[Array] = []
    total = np.abs(losses).astype(np.float64)
    for dense in reversed(layers):
        terms = np.abs(dense.X) @ np.abs(dense.W).T
        if dense.b is not None:
            terms += np.abs(dense.b)
        total = total + (np.abs(dense.delta) * terms).sum(axis=1)
        scales.append(total)
    return scales[::-1]


_COLUMNS = (
    "layer",
    "target",
    "source",
    "weight",
    "numeric",
    "graph",
    "fast",
    "step",
    "kink",
    "near_kink",
    "magnitude",
    "noise",
)


def _augmented(W: Array, b: Array | None) -> Array:
    """[W | b] (or W without bias): row j holds w_ji for i = 0 … n_in − 1, then b_j."""
    return W if b is None else np.column_stack([W, b])


def _with_ones(outputs: Array) -> Array:
    """The outputs of the layer below with the bias node's constant 1 as a last column."""
    return np.column_stack([outputs, np.ones(len(outputs))])


def _dot(dW: Array, db: Array | None, direction: tuple[Array, Array | None]) -> float:
    """g·v over one layer's W and b."""
    V, v_b = direction
    total = float(np.sum(dW * V))
    if db is not None and v_b is not None:
        total += float(np.dot(db, v_b))
    return total
