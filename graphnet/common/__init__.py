"""Layer 2, what both engines need: argument checks, the epoch schedule, the one-truth sync, and contracts.

The graph and the fast path import each other never; they share this package and the math.
:mod:`~graphnet.common.extensions` and :mod:`~graphnet.common.display` are the sockets and views
through which the layers above plug in (the training loop, files, the stepper, pictures).
"""
