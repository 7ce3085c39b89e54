"""Synthetic-data generators with formal differential privacy.

* :class:`IndependentMarginals`: every column from its own noisy histogram (the baseline).
* :class:`MST`: one-way marginals and a DP maximum spanning tree of two-way marginals.
* :class:`AIM`: adaptive rounds that measure the workload marginal the model gets most wrong.
* :class:`PrivBayes`: a DP Bayesian network of degree ``k``.

MST, AIM and PrivBayes fit a graphical model to their noisy marginals (Private-PGM) on the Rust
marginal engine; all record every mechanism in ``ledger_``.
"""

from synthrisk.generators.aim import AIM
from synthrisk.generators.base import Generator
from synthrisk.generators.independent import IndependentMarginals
from synthrisk.generators.mst import MST
from synthrisk.generators.privbayes import PrivBayes

__all__ = ["AIM", "MST", "Generator", "IndependentMarginals", "PrivBayes"]
