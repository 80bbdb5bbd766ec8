"""Layer 3, the vectorized engine: the same network on numpy arrays (``net.vectorized()``)."""
