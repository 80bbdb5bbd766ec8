"""The L2 term of the loss: (λ/2)·Σ w² on the weights, (λ_b/2)·Σ b² on the biases, optionally per batch.

Both engines and the gradient checker ask one :class:`L2Term` for the coefficients of a
batch, so the three cannot differ:

* ``l2`` (λ): the weights' term (λ/2)·Σ w², gradient λ·w (the default is 0: none);
* ``l2_bias`` (λ_b): the biases' term (λ_b/2)·Σ b², gradient λ_b·b (default 0: biases are
  not regularised, as in Nielsen's and scikit-learn's networks; micrograd's demo regularises
  every parameter: λ_b = λ);
* ``l2_per_batch``: divide both by the batch size n_b, as scikit-learn's MLP does (its
  gradient is α·W/n_b): the term of a batch of n_b samples is (λ/(2·n_b))·Σ w² + (λ_b/(2·n_b))·Σ b².
  The loss over a data set of n samples then carries (λ/(2n))·Σ w².

Examples
--------
>>> term = L2Term(weights=0.2, biases=0.1, per_batch=True)
>>> term.coefficients(4)
(0.05, 0.025)
>>> term.penalty(weight_squares=2.0, bias_squares=4.0, n_batch=4)
0.1
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["L2Term"]


@dataclass(frozen=True)
class L2Term:
    """λ, λ_b and whether they are divided by the batch size.

    Attributes
    ----------
    weights : float
        λ of (λ/2)·Σ w².
    biases : float
        λ_b of (λ_b/2)·Σ b².
    per_batch : bool
        Divide both by the batch size n_b (scikit-learn's α·W/n_b).
    """

    weights: float = 0.0
    biases: float = 0.0
    per_batch: bool = False

    @property
    def active(self) -> bool:
        """True when the term is not 0 (λ or λ_b positive)."""
        return self.weights != 0.0 or self.biases != 0.0

    def coefficients(self, n_batch: int) -> tuple[float, float]:
        """(λ, λ_b) for a batch of ``n_batch`` samples: the gradient adds λ·w and λ_b·b."""
        if self.per_batch:
            return self.weights / n_batch, self.biases / n_batch
        return self.weights, self.biases

    def penalty(self, *, weight_squares: float, bias_squares: float, n_batch: int) -> float:
        """(λ/2)·Σ w² + (λ_b/2)·Σ b² for a batch of ``n_batch`` samples, given Σ w² and Σ b²."""
        weight_coefficient, bias_coefficient = self.coefficients(n_batch)
        total = 0.5 * weight_coefficient * weight_squares
        if bias_coefficient != 0.0:
            total += 0.5 * bias_coefficient * bias_squares
        return total
