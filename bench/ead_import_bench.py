"""EAD import of a large finding aid: 20 series of 999 files each (20,001 units), as CALM exports it.

Run: .venv/bin/python bench/ead_import_bench.py [--series 20] [--files 999]

A fresh archive home (bench/work/ead/) is made with `preserve init`; the finding aid is written there (a unitid
with the country and repository code, a normalised date and "Open" access conditions on every unit), then
`preserve catalogue import-ead` is timed three times: --dry-run, the import, and the same file again (nothing
changes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRESERVE = str(Path(sys.executable).parent / "preserve")
WORK = HERE / "work" / "ead"


def finding_aid(series: int, files: int) -> str:
    """A CALM-style EAD 2002 finding aid."""
    parts = []
    for s in range(series):
        rows = "".join(
            f'<c03 level="file"><did><unitid>GB 0123 DRO/52/{s}/{f}</unitid><unittitle>File {f}</unittitle>'
            f'<unitdate normal="19{20 + f % 10}">19{20 + f % 10}</unitdate></did>'
            "<accessrestrict><p>Open</p></accessrestrict></c03>"
            for f in range(1, files + 1)
        )
        parts.append(
            f'<c01 level="series"><did><unitid>GB 0123 DRO/52/{s}</unitid><unittitle>Series {s}</unittitle>'
            f"</did>{rows}</c01>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ead><eadheader><eadid countrycode="GB" mainagencycode="GB-0123">'
        'DRO/52</eadid></eadheader><archdesc level="fonds"><did><unitid>GB 0123 DRO/52</unitid><unittitle>Parish'
        f"</unittitle></did><dsc>{''.join(parts)}</dsc></archdesc></ead>\n"
    )


def main() -> None:
    """Write, import, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--files", type=int, default=999)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    ead = WORK / "finding-aid.xml"
    ead.write_text(finding_aid(args.series, args.files))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_")} | {"PRESERVE_HOME": str(WORK / "home")}
    subprocess.run([PRESERVE, "init", str(WORK / "home")], check=True, capture_output=True, env=env)
    units = 1 + args.series * (1 + args.files)
    print(f"{units} units, {ead.stat().st_size / 2**20:.1f} MiB")
    for label, extra in (("dry run", ["--dry-run"]), ("import", []), ("again", [])):
        started = time.perf_counter()
        done = subprocess.run([PRESERVE, "catalogue", "import-ead", str(ead), *extra], capture_output=True, env=env)
        took = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(done.stderr.decode())
        print(f"{label}: {took:.1f} s, {units / took:.0f} units/s — {done.stdout.decode().splitlines()[0]}")


if __name__ == "__main__":
    main()
