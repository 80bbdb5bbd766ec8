"""Conv networks in files: ``save_conv`` / ``load_conv``, in graphnet's checked file container.

The container is :mod:`graphnet.tools.fileformat`'s (an ``.npz`` without pickle, a JSON
header, a SHA-256 checksum, atomic writes).  The header says ``"network": "conv"`` and
holds the layer list (``[[1, 28, 28], {"conv": [4, 5, 1, 0]}, {"max_pool": [2, null]}, 10]``:
maps, kernel, stride, padding; pooling size, stride or null), the activation, the output
activation, the loss, λ, and the optimizer (name, hyper-parameters, counts); the arrays are
``K1`` / ``b1`` (a conv layer's kernels and biases), ``W3`` / ``b3`` (a dense layer's), and
per optimizer state field F, ``F_K1`` … of the same shapes.  A file is parsed, never run;
a header that does not describe a conv net is a :class:`FileFormatError`.

>>> import tempfile, os
>>> from graphnet import Conv, ConvNetwork, MaxPool
>>> net = ConvNetwork([(1, 4, 4), Conv(2, 3), MaxPool(2), 3], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "conv.npz")
>>> save_conv(net, path)
>>> twin = load_conv(path)
>>> all((a == c).all() and (b == d).all() for (a, b), (c, d) in zip(net.get_params(), twin.get_params()))
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graphnet.common.convspec import AvgPool, Conv, MaxPool
from graphnet.graph.convnet import ConvNetwork
from graphnet.math.errors import FileFormatError, GraphnetError
from graphnet.tools.fileformat import FORMAT_NAME, FORMAT_VERSION, Arrays, Header, PathArg, read_file, write_file
from graphnet.tools.networkheader import build_optimizer, check_optimizer, optimizer_entry


def _encode(spec: object) -> object:
    if isinstance(spec, Conv):
        return {"conv": [spec.maps, spec.kernel, spec.stride, spec.padding]}
    if isinstance(spec, MaxPool | AvgPool):
        return {"max_pool" if isinstance(spec, MaxPool) else "avg_pool": [spec.size, spec.stride]}
    if isinstance(spec, tuple):
        return [int(n) for n in spec]
    return int(spec)  # type: ignore[call-overload]


def _decode(entry: object) -> object:
    if isinstance(entry, list):
        return tuple(entry)
    if isinstance(entry, dict) and len(entry) == 1:
        ((kind, values),) = entry.items()
        if kind == "conv":
            return Conv(*values)
        if kind in ("max_pool", "avg_pool"):
            return (MaxPool if kind == "max_pool" else AvgPool)(values[0], stride=values[1])
    if isinstance(entry, int) and not isinstance(entry, bool):
        return entry
    raise FileFormatError(f"layers: expected a shape list, {{'conv': …}}, {{'max_pool': …}} or a size; got {entry!r}")


def _names(net: ConvNetwork) -> list[str]:
    names = []
    for plan in net.plans[1:]:
        if plan.has_parameters:
            kind = "K" if plan.kind == "conv" else "W"
            names += [f"{kind}{plan.index}", f"b{plan.index}"]
    return names


def save_conv(net: ConvNetwork, path: PathArg) -> None:
    """Write the conv network (layers, activations, loss, λ, parameters, optimizer and its state) to ``path``."""
    learned = [a for a, p in zip(net.activations, net.plans[1:], strict=True) if p.has_parameters]
    optimizer = net.optimizer
    header: Header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "network": "conv",
        "layers": [_encode(spec) for spec in net.specs],
        "activation": learned[0].name,
        "output_activation": learned[-1].name,
        "loss": net.loss_function.name,
        "l2": net.l2,
        "optimizer": optimizer_entry(optimizer),
    }
    names = _names(net)
    params = (np.asarray(a, np.float64) for pair in net.get_params() for a in pair)
    arrays: Arrays = dict(zip(names, params, strict=True))
    state_type = optimizer.state_type
    if state_type is not None:
        for field, values in zip(state_type.fields, net.get_states(state_type.fields), strict=True):
            arrays.update({f"{field}_{name}": np.asarray(v, np.float64) for name, v in zip(names, values, strict=True)})
    write_file(path, header, arrays)


def load_conv(path: PathArg) -> ConvNetwork:
    """Read a conv network written by :func:`save_conv`; every field and array is checked."""
    shapes: dict[str, tuple[int, ...]] = {}
    built: list[ConvNetwork] = []

    def layout(header: Header, where: Path) -> dict[str, tuple[int, ...]]:
        if header.get("network") != "conv":
            raise FileFormatError(f"{where} does not hold a conv network (its header says {header.get('network')!r})")
        try:
            net = ConvNetwork(
                [_decode(entry) for entry in header["layers"]],
                activation=header["activation"],
                output_activation=header["output_activation"],
                loss=header["loss"],
                l2=header["l2"],
                seed=0,
            )
            check_optimizer(header["optimizer"], where)
            net.optimizer = build_optimizer(header["optimizer"])
        except (GraphnetError, KeyError, TypeError, ValueError) as error:
            raise FileFormatError(f"{where}: the header does not describe a conv network: {error}") from None
        names = _names(net)
        for name, array in zip(names, (a for pair in net.get_params() for a in pair), strict=True):
            shapes[name] = array.shape
        state_type = net.optimizer.state_type
        for field in state_type.fields if state_type is not None else ():
            shapes.update({f"{field}_{name}": shapes[name] for name in names})
        built.append(net)
        return dict(shapes)

    _header, arrays = read_file(path, layout)
    net = built[0]
    names = _names(net)
    net.set_params([(arrays[names[k]], arrays[names[k + 1]]) for k in range(0, len(names), 2)])
    state_type = net.optimizer.state_type
    if state_type is not None:
        net.set_states(state_type, [[arrays[f"{field}_{name}"] for name in names] for field in state_type.fields])
    return net
