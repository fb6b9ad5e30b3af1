"""Where an ingest's time goes: each step's wall and CPU seconds, and the per-file work by format family.

A step's CPU is that of the whole process tree (preserve, its worker processes, and the tools they
run: validators, soffice, clamd excepted as it is not ours), read from /proc at the step's start and
end, so work done in worker processes counts where it happens. The per-file work is timed in the
worker, phase by phase (store: read, digest, write and read back; identify; validate; personal
data), and added up by format family (the validator family: image, pdf, office, text, wave ...).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from formats.validation import family_of
from ingest.processes import tree_cpu_seconds
from preservation.model import FormatInfo

PHASES = ("store", "identify", "validate", "personal data")


def family_name(fmt: FormatInfo) -> str:
    """The family a file's time is counted under: its validator's family, else 'other'."""
    return family_of(fmt) or "other"


@dataclass
class FamilyTime:
    """The per-file work on one format family, added up over its files."""

    files: int = 0
    bytes: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))


@dataclass
class Timings:
    """The timings of one ingest run, filled in as it goes."""

    steps: list[tuple[str, float, float]] = field(default_factory=list)  # (step, wall, cpu)
    families: dict[str, FamilyTime] = field(default_factory=dict)
    conversions: dict[str, tuple[int, float]] = field(default_factory=dict)  # target -> (made or failed, wall)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step (wall and the process tree's CPU); recorded however it ends."""
        wall, cpu = time.perf_counter(), tree_cpu_seconds()
        try:
            yield
        finally:
            self.steps.append((name, time.perf_counter() - wall, tree_cpu_seconds() - cpu))

    def add_file(self, fmt: FormatInfo, size: int, seconds: dict[str, float]) -> None:
        """One file's per-file work, by phase."""
        family = self.families.setdefault(family_name(fmt), FamilyTime())
        family.files += 1
        family.bytes += size
        for phase, spent in seconds.items():
            family.seconds[phase] = family.seconds.get(phase, 0.0) + spent

    def add_conversions(self, target: str, count: int, wall: float) -> None:
        """``count`` conversions to ``target`` took ``wall`` seconds."""
        before = self.conversions.get(target, (0, 0.0))
        self.conversions[target] = (before[0] + count, before[1] + wall)

    def to_json(self) -> dict[str, Any]:
        """Plain data for `--json`, the ingest record and the benchmarks (seconds to the millisecond)."""
        return {
            "wall": round(sum(wall for _, wall, _ in self.steps), 3),
            "cpu": round(sum(cpu for _, _, cpu in self.steps), 3),
            "steps": [{"step": name, "wall": round(wall, 3), "cpu": round(cpu, 3)} for name, wall, cpu in self.steps],
            "families": [
                {
                    "family": name,
                    "files": family.files,
                    "bytes": family.bytes,
                    "seconds": {phase: round(spent, 3) for phase, spent in family.seconds.items()},
                }
                for name, family in sorted(self.families.items(), key=lambda item: -sum(item[1].seconds.values()))
            ],
            "conversions": [
                {"target": target, "documents": count, "wall": round(wall, 3)}
                for target, (count, wall) in sorted(self.conversions.items())
            ],
        }
