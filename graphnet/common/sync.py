"""One truth for the parameters, kept cheaply: a change count and the write-backs owed to the graph.

The graph's connections hold every weight and the optimizer's per-weight state; the fast
path (:mod:`graphnet.fast.network`) computes on numpy copies of them.  Copying is a Python
loop over the connections, about 0.04 µs each way per connection, so 20 ms per call at
784-300-10: more than the whole budget for a fast epoch's overhead.  The two sides therefore
keep each other current lazily, and only when something could tell the difference:

* :func:`version` counts the changes made through the graph.  Every write of a connection's
  weight or state (``connection.weight = …``, graph training, ``set_params``, loading a
  file) calls :func:`changed`, and so does handing out a connection's state object (the
  caller may change it in place).  A fast mirror remembers the count at which its arrays
  equalled the connections and copies them again only when the count has moved.
* A fast mirror that has trained holds newer values than the connections.  Instead of
  writing them back at once it registers its write-back with :func:`owe`.  Every read
  through the graph (``connection.weight``, ``connection.state``, ``Layer.parameter_rows``,
  the graph's hot loops in :mod:`graphnet.graph.fused`) calls :func:`settle` first, which
  runs the write-backs owed.

So reading ``connection.weight`` in a REPL after ``fast.train(...)`` shows the trained weight,
the next fast call after ``connection.weight = 0.5`` computes with 0.5, and back-to-back fast
calls copy nothing.  The count is global (one per process, not per network): a change to one
network only makes the mirrors of others copy once more than they had to.
"""

from __future__ import annotations

from collections.abc import Callable

WriteBack = Callable[[], None]

#: Write-backs owed to the graph: each copies one fast mirror's newer arrays into the connections.
owed: list[WriteBack] = []
_count = 0


def version() -> int:
    """How many changes have been made through the graph so far (in this process)."""
    return _count


def changed() -> None:
    """Record a change made through the graph (every fast mirror copies the connections again)."""
    global _count
    _count += 1


def owe(write_back: WriteBack) -> None:
    """Record that ``write_back`` must run before anyone reads the graph's connections."""
    if write_back not in owed:
        owed.append(write_back)


def settle(*, keep: WriteBack | None = None) -> None:
    """Run every owed write-back, except ``keep`` (a mirror reading for itself need not write first)."""
    if not owed:
        return
    pending = [write_back for write_back in owed if write_back != keep]
    owed[:] = [write_back for write_back in owed if write_back == keep]
    for write_back in pending:
        write_back()


def is_owed(write_back: WriteBack) -> bool:
    """True while ``write_back`` has newer values for the graph that it has not written yet."""
    return write_back in owed
