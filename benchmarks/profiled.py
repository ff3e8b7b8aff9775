"""``python -m benchmarks.profiled OUT.prof reconcile-args…``: run reconcile under cProfile, every thread.

``python -m cProfile`` sees only the main thread; reconcile reads and applies in thread pools, so each
new thread starts its own profiler (``threading.setprofile``) and all are merged into OUT.prof at exit.
Each profiler counts its thread's CPU time (``time.thread_time``), not wall time: a thread waiting on
the network or a lock costs nothing, so "own time" is where reconcile's CPU goes.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_thread_profiler(*_: object) -> None:
    p = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(p)
    p.enable()  # replaces this hook for the thread from now on


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    threading.setprofile(_start_thread_profiler)
    main_prof = cProfile.Profile(time.thread_time)
    _profiles.append(main_prof)
    code = 0
    main_prof.enable()
    try:
        from reconciler.cli import main as cli_main

        sys.argv = ["reconcile", *argv]
        cli_main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        main_prof.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(main_prof)
        with _lock:
            for p in _profiles[1:]:
                try:
                    stats.add(p)
                except (TypeError, ValueError):  # a thread whose profiler saw nothing
                    continue
        stats.dump_stats(out)
    return code


if __name__ == "__main__":
    sys.exit(main())
