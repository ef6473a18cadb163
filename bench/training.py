"""Training time: a full train (forced, into a scratch path so the model in use is untouched),
and a no-change retrain as a user runs it (`python -m bot train` when nothing changed).

Both are timed as whole processes, interpreter start and imports included: that is the wait
a person has at `make train`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import ROOT

SCRATCH = ROOT / "var" / "bench"


def _run(args: list[str], timeout: float) -> float:
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[1:])} failed:\n{done.stderr[-3000:]}")
    return seconds


def measure(timeout: float = 1200) -> dict:
    """One full train either way: the model itself when it is out of date (a fresh clone), so
    `make bench` never trains twice, otherwise a forced train into a scratch path."""
    from bot.model.training import is_current

    if is_current():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        # Under the project root: bot.model.training prints the model path relative to it.
        with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
            scratch = str(Path(tmp) / "full.tar.gz")
            full = _run([sys.executable, "-m", "bench.training", scratch], timeout)
        how = "forced train into a scratch path"
    else:
        full = _run([sys.executable, "-m", "bot", "train"], timeout)
        how = "python -m bot train (the model was out of date)"
    unchanged = _run([sys.executable, "-m", "bot", "train"], timeout)
    return {
        "full_train_seconds": round(full, 1),
        "full_train": how,
        "no_change_seconds": round(unchanged, 1),
    }


def main() -> None:
    from bot.logs import configure_logging, quiet_environment

    quiet_environment()
    configure_logging(level=30)
    from bot.model.training import train

    train(model_path=Path(sys.argv[1]), force=True)


if __name__ == "__main__":
    main()
