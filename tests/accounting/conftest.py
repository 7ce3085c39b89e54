"""Shared helpers of the accounting tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

DPSGD = {"noise_multiplier": 1.1, "sample_rate": 256 / 60000, "count": 14040}
# The true ε of the DP-SGD reference point at δ = 1e-5: PLD upper bounds at h = 1e-5 … 1e-4
# converge quadratically to it (2.3795554 at 1e-5, 2.3796435 at 1e-4).
DPSGD_TRUE_EPSILON = 2.379554
OPACUS_DPSGD_EPSILON = 2.594363354953112
