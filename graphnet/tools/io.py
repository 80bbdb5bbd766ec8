"""Saving and loading networks and training checkpoints: ``.npz`` files that never run code.

>>> import pathlib, tempfile
>>> from graphnet import Network
>>> folder = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(folder.name) / "net.npz"
>>> net = Network([3, 4, 2], activation="leaky_relu", seed=0)
>>> net.save(path)
>>> same = Network.load(path)
>>> bool((same.get_flat_params() == net.get_flat_params()).all())
True
>>> header = read_header(path)
>>> header["sizes"], header["activations"][0]
([3, 4, 2], {'config': {'alpha': 0.01}, 'custom': False, 'name': 'leaky_relu'})
>>> folder.cleanup()

This module is the public face of graphnet's files: it gathers the names of the modules
that do the work.

Contents
--------
- :mod:`graphnet.tools.networkfiles`: :func:`save_network` and :func:`load_network`
  (``Network.save`` and ``Network.load`` call them), and :func:`read_header`: the JSON
  header of a file, to look inside without building anything; your own activations and
  losses (``custom_activations``, ``custom_losses``);
- :mod:`graphnet.tools.checkpoints`: :func:`load_checkpoint` (a :class:`Checkpoint`) and
  :func:`resume_training`, for the checkpoints that ``train(..., checkpoint=path)`` writes
  (:func:`write_checkpoint`); ``train(..., resume=path)`` continues one
  (:class:`ResumeState`, :func:`read_resume_state`, :func:`restore_rng_state`,
  :func:`restore_optimizer_state`, :func:`data_fingerprint`);
- :mod:`graphnet.tools.networkheader`: the header fields that describe a network and the
  checks a read header passes (:data:`ARCHITECTURE_KEYS`, :data:`SETTINGS_KEYS`,
  :data:`SGD_ENTRY`);
- :mod:`graphnet.tools.fileformat`: the container (file format version
  :data:`FORMAT_VERSION`): zip members, the checksum, the safety checks of reading, and
  atomic writes (:func:`write_atomically`, :func:`check_writable`).
"""

from graphnet.tools.checkpoints import (
    Checkpoint,
    ResumeState,
    data_fingerprint,
    load_checkpoint,
    read_resume_state,
    restore_optimizer_state,
    restore_rng_state,
    resume_training,
    write_checkpoint,
)
from graphnet.tools.fileformat import (
    BIT_GENERATORS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_HEADER_BYTES,
    NPY_HEADER_ROOM,
    ZIP_DATE_TIME,
    Arrays,
    Header,
    PathArg,
    check_writable,
    write_atomically,
)
from graphnet.tools.networkfiles import CustomActivations, CustomLosses, load_network, read_header, save_network
from graphnet.tools.networkheader import ARCHITECTURE_KEYS, SETTINGS_KEYS, SGD_ENTRY

__all__ = [
    "ARCHITECTURE_KEYS",
    "BIT_GENERATORS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "NPY_HEADER_ROOM",
    "SETTINGS_KEYS",
    "SGD_ENTRY",
    "ZIP_DATE_TIME",
    "Arrays",
    "Checkpoint",
    "CustomActivations",
    "CustomLosses",
    "Header",
    "PathArg",
    "ResumeState",
    "check_writable",
    "data_fingerprint",
    "load_checkpoint",
    "load_network",
    "read_header",
    "read_resume_state",
    "restore_optimizer_state",
    "restore_rng_state",
    "resume_training",
    "save_network",
    "write_atomically",
    "write_checkpoint",
]
