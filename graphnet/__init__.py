"""graphnet: neural networks as explicit graphs of Python objects, with a vectorized mirror.

Contents
--------
- :class:`Network`: the object graph (Node, ConstNode, Connection, Connections, Layer).
- ``Network.vectorized()``: the fast path on numpy arrays, sharing the same parameters.
- :mod:`graphnet.math.activations`, :mod:`graphnet.math.losses`: the math, scalar and array forms.
- :mod:`graphnet.math.optimizers`: SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam and
  learning-rate schedules; :mod:`graphnet.math.dropout`: the dropout masks.
- :mod:`graphnet.math.errors`: every error graphnet raises derives from :class:`GraphnetError`.
- :func:`gradient_check`: central differences vs the graph's and the fast path's gradients.
- :mod:`graphnet.tools.io`: ``net.save(path)`` / ``Network.load(path)`` and training checkpoints.

>>> from graphnet import Network
>>> net = Network([2, 2, 1], seed=0)
>>> net.predict([1.0, 0.0]).shape
(1,)
"""

# The layers built on the engines plug into them when imported (see graphnet.common.extensions
# and graphnet.common.display): the fast mirror, the training loop, files, the stepper, the views.
import graphnet.fast.convnet
import graphnet.fast.network
import graphnet.tools.convstepper
import graphnet.tools.networkfiles
import graphnet.tools.stepper
import graphnet.tools.train
import graphnet.views  # noqa: F401
from graphnet.common.convspec import AvgPool, Conv, MaxPool
from graphnet.graph.convnet import ConvNetwork
from graphnet.graph.layer import Connections, Layer
from graphnet.graph.network import Network
from graphnet.graph.objects import Connection, ConstNode, Node
from graphnet.math.activations import Activation, get_activation
from graphnet.math.errors import GraphnetError
from graphnet.math.losses import Loss, get_loss
from graphnet.math.optimizers import Optimizer, get_optimizer
from graphnet.tools.gradcheck import GradientReport, gradient_check
from graphnet.tools.train import History
from graphnet.version import __version__

__all__ = [
    "Activation",
    "AvgPool",
    "Connection",
    "Connections",
    "ConstNode",
    "Conv",
    "ConvNetwork",
    "GradientReport",
    "GraphnetError",
    "History",
    "Layer",
    "Loss",
    "MaxPool",
    "Network",
    "Node",
    "Optimizer",
    "__version__",
    "get_activation",
    "get_loss",
    "get_optimizer",
    "gradient_check",
]
