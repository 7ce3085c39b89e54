"""Runs every Python benchmark script in this folder (`bench_*.py`), one after another.

Each script compares synthrisk with its anchors side by side in one run and prints a ratio table.
Usage: `make bench` (after `cargo bench`), or `python benches/python/run_all.py [name ...]`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    scripts = sorted(here.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
