"""Saving and loading networks: :func:`save_network`, :func:`load_network` and :func:`read_header`.

``Network.save`` and ``Network.load`` call the first two.  A network file is the container of
:mod:`graphnet.tools.fileformat` holding the header of :mod:`graphnet.tools.networkheader`
and the network's parameters and optimizer state; :func:`build_network` makes the network a
checked header and its arrays describe.  Version 1 files (before optimizers and dropout)
still load: as plain SGD without dropout.

Your own activations and losses
-------------------------------
A subclass of :class:`~graphnet.math.activations.Activation` or :class:`~graphnet.math.losses.Loss` is
code, and files carry no code.  Saving stores its ``name`` (and an activation's
``config()``) marked ``"custom": true``; loading then needs it back by name::

    Network.load(path, custom_activations={"softplus": Softplus})

A class is called with the stored config as keyword arguments; an instance is used as it
is if its config matches.  Without it, loading raises :class:`~graphnet.math.errors.UnknownNameError`
saying what to pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graphnet.common import extensions
from graphnet.graph.network import Network, Params
from graphnet.math.activations import Activation
from graphnet.math.errors import FileFormatError, GraphnetError, IncompatibleError, UnknownNameError
from graphnet.math.losses import BUILTIN_LOSSES, Loss
from graphnet.math.optimizers import Optimizer, ParameterState
from graphnet.math.validation import check_output_file, check_path
from graphnet.tools.fileformat import BIT_GENERATORS, Arrays, Header, PathArg, decode_rng_state, read_file, write_file
from graphnet.tools.networkheader import (
    SGD_ENTRY,
    array_layout,
    build_optimizer,
    builtin_activation,
    check_arrays,
    header_value,
    instantiate_activation,
    network_arrays,
    network_header,
    optimizer_of,
    state_member_names,
)

CustomActivations = Mapping[str, "Activation | type[Activation]"]
CustomLosses = Mapping[str, "Loss | type[Loss]"]


# ---------------------------------------------------------------------- public API
@extensions.save_network.plug
def save_network(network: Network, path: PathArg) -> None:
    """Write the network's architecture and parameters to ``path``, atomically.

    Parameters
    ----------
    network : Network
    path : str or os.PathLike
        The file to write (replaced if it exists; its folder must exist).

    Raises
    ------
    MissingFileError
        If the folder does not exist.
    PathError
        If the file cannot be written: a read-only folder, a name too long, a FIFO or device,
        or the system refusing the write (disk full, …; the previous file is then untouched).
    NonFiniteError
        If a parameter is NaN or inf (a file holds finite numbers only).
    IncompatibleError
        If a custom activation's ``config()`` is not a dict of finite numbers by name.
    """
    target = check_output_file(path)  # before any work
    header = network_header(network, kind="network")
    write_file(target, header, network_arrays(network))


@extensions.load_network.plug
def load_network(
    path: PathArg,
    *,
    custom_activations: CustomActivations | None = None,
    custom_losses: CustomLosses | None = None,
) -> Network:
    """Read a network written by :func:`save_network` (or a checkpoint) from ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    custom_activations, custom_losses : mapping of name to class or instance, optional
        Your own :class:`Activation` / :class:`Loss` subclasses that the file names.

    Returns
    -------
    Network
        The same architecture with bit-identical parameters, and a random generator in the
        state it was saved in.

    Raises
    ------
    MissingFileError
        If there is no such file.
    PathError
        If it cannot be read: a link loop, a FIFO or device, an I/O error.
    FileFormatError
        If the file is not a graphnet file of a version this graphnet reads, is damaged, or
        holds a field or array out of its range (NaN, a negative second moment, …).
    UnknownNameError
        If the file names a custom activation or loss that was not passed.
    """
    header, arrays = read_network_file(path)
    return build_network(header, arrays, custom_activations, custom_losses)


def read_header(path: PathArg) -> Header:
    """The JSON header of a graphnet file as a dict, after every check :func:`load_network` makes."""
    header, _ = read_network_file(path)
    return header


def read_network_file(path: PathArg, *, name: str = "path") -> tuple[Header, Arrays]:
    """Open, check and parse a graphnet network or checkpoint file: its header and its arrays.

    The one way every file is read (load, read_header, load_checkpoint, resume): the path
    check, the container's checks, every header field (:func:`~graphnet.tools.networkheader.array_layout`)
    and every array (:func:`~graphnet.tools.networkheader.check_arrays`).  A version-1 header
    (before dropout and optimizers) gets no dropout and plain SGD.
    """
    header, arrays = read_file(path, array_layout, name=name)
    check_arrays(arrays, check_path(path, name=name))
    # a version-1 file predates dropout and optimizers: none, and plain SGD
    header.setdefault("dropout", [0.0] * (len(header["sizes"]) - 2))
    header.setdefault("optimizer", dict(SGD_ENTRY))
    return header, arrays


# ---------------------------------------------------------------------- building
def build_network(
    header: Header,
    arrays: Arrays,
    custom_activations: CustomActivations | None,
    custom_losses: CustomLosses | None,
) -> Network:
    """The network a (checked) header and its arrays describe, with its optimizer and generator state.

    Raises
    ------
    FileFormatError
        If the header names an unknown activation or loss, or describes a network graphnet cannot build.
    UnknownNameError
        If the header names a custom activation or loss that was not passed.
    """
    activations = [_resolve_activation(entry, custom_activations, header) for entry in header["activations"]]
    loss = _resolve_loss(header["loss"], custom_losses)
    rng_state = decode_rng_state(header["rng"])
    try:
        network = Network(
            header["sizes"],
            activation=activations,
            loss=loss,
            bias=header["bias"],
            init=header["init"],
            bias_init=header["bias_init"],
            l2=header["l2"],
            l2_bias=header_value(header, "l2_bias"),
            l2_per_batch=header_value(header, "l2_per_batch"),
            dropout=header.get("dropout", 0.0),
            seed=header["seed"],
        )
        network.set_params(params_from_arrays(header, arrays))
        network.optimizer = build_optimizer(optimizer_of(header))
        set_state_from_arrays(network, network.optimizer, {name: arrays[name] for name in state_member_names(header)})
    except UnknownNameError:
        raise
    except GraphnetError as error:
        raise FileFormatError(f"the file describes a network graphnet cannot build: {error}") from None
    generator = BIT_GENERATORS[rng_state["bit_generator"]]()
    generator.state = rng_state
    network.rng = np.random.Generator(generator)
    return network


def params_from_arrays(header: Header, arrays: Arrays) -> Params:
    """The ``(W, b)`` pairs of every layer from the arrays (``b`` None without bias)."""
    n_layers = len(header["sizes"]) - 1
    return [(arrays[f"W{index}"], arrays[f"b{index}"] if header["bias"] else None) for index in range(1, n_layers + 1)]


def _resolve_activation(entry: dict[str, Any], custom: CustomActivations | None, header: Header) -> Activation:
    name, config = entry["name"], entry["config"]
    if not entry["custom"]:
        return builtin_activation(entry, header)
    given = (custom or {}).get(name)
    if given is None:
        raise UnknownNameError(
            f"the file uses your own activation {name!r} (config {config}); files hold no code, so pass it: "
            f"load(path, custom_activations={{{name!r}: YourActivationClass}})"
        )
    if isinstance(given, type) and issubclass(given, Activation):
        activation = instantiate_activation(given, config, what=f"activation {name!r}")
    elif isinstance(given, Activation):
        activation = given
    else:
        raise IncompatibleError(
            f"custom_activations[{name!r}] must be an Activation subclass or instance; got {given!r:.60}"
        )
    if activation.name != name or activation.config() != config:
        raise IncompatibleError(
            f"custom_activations[{name!r}] is {activation.name!r} with config {activation.config()}; "
            f"the file has {name!r} with config {config}"
        )
    return activation


def _resolve_loss(entry: dict[str, Any], custom: CustomLosses | None) -> Loss:
    name = entry["name"]
    if not entry["custom"]:
        return BUILTIN_LOSSES[name]()  # a checked header names a known one
    given = (custom or {}).get(name)
    if given is None:
        raise UnknownNameError(
            f"the file uses your own loss {name!r}; files hold no code, so pass it: "
            f"load(path, custom_losses={{{name!r}: YourLossClass}})"
        )
    loss = given() if isinstance(given, type) and issubclass(given, Loss) else given
    if not isinstance(loss, Loss) or loss.name != name:
        raise IncompatibleError(f"custom_losses[{name!r}] must be a Loss named {name!r}; got {given!r:.60}")
    return loss


def set_state_from_arrays(network: Network, optimizer: Optimizer, arrays: Mapping[str, NDArray[np.float64]]) -> None:
    """Give every connection the state the arrays hold (or none, for an optimizer without state)."""
    state_type: type[ParameterState[float]] | None = optimizer.state_type
    if state_type is None or not arrays:
        for connection in network.connections:
            connection.state = None
        return
    for index, layer in enumerate(network.layers[1:], start=1):
        rows = [
            np.column_stack([arrays[f"{field}_W{index}"], arrays[f"{field}_b{index}"]])
            if network.bias
            else arrays[f"{field}_W{index}"]
            for field in state_type.fields
        ]
        layer.set_state_rows(state_type, rows)
