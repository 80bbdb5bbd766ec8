"""Layer 1, the math: activations, losses, initialisers, optimizers' update rules, dropout masks, validation, errors.

Plain functions and small classes with no knowledge of networks; everything else stands on it.
"""
