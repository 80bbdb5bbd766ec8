"""The sockets where the layers above plug into the engines.

Users like ``net.train(...)``, ``net.vectorized()``, ``net.save(path)`` and
``net.stepper(x, t)`` on the network itself, but what they run is built *on* the engines:
the training loop, the files and the stepper live in :mod:`graphnet.tools`, the fast mirror
in :mod:`graphnet.fast`.  So each such method calls a socket here, and the module that
implements it plugs itself in when it is imported (``import graphnet`` imports them all):

====================  ===========================================  ================================
socket                plugged in by                                called by
====================  ===========================================  ================================
``mirror``            :mod:`graphnet.fast.network` (FastNetwork)   ``Network.vectorized``
``conv_mirror``       :mod:`graphnet.fast.convnet`                 ``ConvNetwork.vectorized``
``train_loop``        :mod:`graphnet.tools.train`                  ``Network.train``, ``FastNetwork.train``
``save_network``      :mod:`graphnet.tools.networkfiles`           ``Network.save``
``load_network``      :mod:`graphnet.tools.networkfiles`           ``Network.load``
``stepper``           :mod:`graphnet.tools.stepper` (Stepper)      ``Network.stepper``
``conv_stepper``      :mod:`graphnet.tools.convstepper`            ``ConvNetwork.stepper``
====================  ===========================================  ================================

(How objects *show* themselves goes the same way, through :mod:`graphnet.common.display`.)
So the import arrows point one way, from the tools down to the engines, and the engines
stay self-contained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

from graphnet.common.mirror import Mirror
from graphnet.common.training import History

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


class Socket(Generic[Arguments, Result]):
    """A function an upper layer provides: ``socket.plug(f)`` once, then ``socket(...)`` calls f."""

    def __init__(self, name: str, provider: str) -> None:
        self.name = name
        self.provider = provider
        self._implementation: Callable[Arguments, Result] | None = None

    def plug(self, implementation: Callable[Arguments, Result]) -> Callable[Arguments, Result]:
        """Make ``implementation`` what the socket calls (usable as a decorator)."""
        self._implementation = implementation
        return implementation

    def __call__(self, *args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
        if self._implementation is None:
            raise NotImplementedError(
                f"nothing is plugged into {self.name!r}: expected {self.provider} to be imported "
                "(import graphnet does it)"
            )
        return self._implementation(*args, **kwargs)

    def __repr__(self) -> str:
        plugged = "empty" if self._implementation is None else getattr(self._implementation, "__qualname__", "plugged")
        return f"Socket({self.name!r}, {plugged})"


#: ``mirror(network, dtype)``: a new fast mirror of the graph ``network`` in ``dtype``.
mirror: Socket[[Any, type], Mirror] = Socket("mirror", "graphnet.fast.network")
#: ``conv_mirror(network, dtype)``: a new fast mirror (FastConvNetwork) of a graph ``ConvNetwork``.
conv_mirror: Socket[[Any, type], Any] = Socket("conv_mirror", "graphnet.fast.convnet")
#: ``train_loop(model, X, T, **settings)``: the training loop of :mod:`graphnet.tools.train`.
train_loop: Socket[..., History] = Socket("train_loop", "graphnet.tools.train")
#: ``save_network(network, path)``: write a network file.
save_network: Socket[..., None] = Socket("save_network", "graphnet.tools.networkfiles")
#: ``load_network(path, custom_activations=..., custom_losses=...)``: read a network file.
load_network: Socket[..., Any] = Socket("load_network", "graphnet.tools.networkfiles")
#: ``stepper(network, x, target, rate=..., optimizer=..., masks=...)``: a :class:`graphnet.tools.stepper.Stepper`.
stepper: Socket[..., Any] = Socket("stepper", "graphnet.tools.stepper")
#: ``conv_stepper(network, x, target, rate=..., optimizer=...)``: a :class:`graphnet.tools.convstepper.ConvStepper`.
conv_stepper: Socket[..., Any] = Socket("conv_stepper", "graphnet.tools.convstepper")
