"""`make mutation`: run mutmut on the pure core, then print the mutation score.

Killed (and timed-out) mutants count for the score. A surviving mutant is either killed by a new
test or listed in tests/mutation/equivalent.txt with one line on why it cannot change behaviour;
the score is printed with and without those, and unexplained survivors are listed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
KILLED = {"killed", "timeout", "caught by type check"}
LINE = re.compile(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$")


def equivalent() -> dict[str, str]:
    """mutant name -> why it is equivalent (lines `name  # reason`; blank lines and # comments skipped)."""
    out = {}
    for line in (HERE / "equivalent.txt").read_text().splitlines():
        name, _, why = line.partition("#")
        if name.strip():
            out[name.strip()] = why.strip()
    return out


def drop_stale_copies(root: Path = Path("reconciler"), mutants: Path = Path("mutants")) -> list[Path]:
    """Remove copies under mutants/ older than their source.

    mutmut copies a source file into mutants/ only when the copy is missing, and measures which lines
    the tests cover on that copy before it regenerates the mutants: after an edit (or a merge) the
    stale copy gives the wrong lines, and most mutants of the edited file silently go missing. A
    fresh copy makes mutmut measure the new code and regenerate that file's mutants.
    """
    dropped = []
    for src in root.rglob("*.py"):
        copy = mutants / src
        if copy.exists() and src.stat().st_mtime > copy.stat().st_mtime:
            copy.unlink()
            dropped.append(src)
    return dropped


def main() -> int:
    mutmut = [sys.executable, "-m", "mutmut"]
    if "--no-run" not in sys.argv:
        for src in drop_stale_copies():
            print(f"changed since the last run: {src}")
        subprocess.run([*mutmut, "run", "--max-children", "2"], check=False)
    res = subprocess.run([*mutmut, "results", "--all", "true"], capture_output=True, text=True, check=False)
    status = {m.group(1): m.group(2) for m in map(LINE.match, res.stdout.splitlines()) if m}
    if not status:
        print(res.stdout + res.stderr)
        print("no mutants found: did `mutmut run` succeed?")
        return 1
    checked = {k: v for k, v in status.items() if v != "not checked"}
    killed = [k for k, v in checked.items() if v in KILLED]
    equiv = equivalent()
    survivors = sorted(k for k, v in checked.items() if v not in KILLED)
    unexplained = [k for k in survivors if k not in equiv]
    stale = sorted(set(equiv) - set(survivors))
    raw = 100 * len(killed) / len(checked)
    explained = 100 * (len(killed) + len(survivors) - len(unexplained)) / len(checked)
    print(f"\nmutants: {len(checked)}  killed: {len(killed)}  survived: {len(survivors)} "
          f"({len(survivors) - len(unexplained)} listed as equivalent)")
    print(f"mutation score: {raw:.1f}% killed; {explained:.1f}% killed or explained")
    for k in unexplained:
        print(f"  unexplained survivor: {k} ({checked[k]})   see: mutmut show {k}")
    for k in stale:
        print(f"  listed as equivalent but no longer surviving (remove it): {k}")
    return 0 if explained >= 90 else 1


if __name__ == "__main__":
    sys.exit(main())
