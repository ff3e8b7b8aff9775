"""Issue 17 item 8: commands starting a cold sandbox at the same moment start one server, not several."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.cli import Cli, clean_env, reconcile_exe


def _servers_for(home: Path) -> list[int]:
    """Pids of sandbox servers started for RECONCILE_HOME=home (found by their environment)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"reconciler.sandbox.server" not in (proc / "cmdline").read_bytes():
                continue
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RECONCILE_HOME={home}".encode() in env:
            pids.append(int(proc.name))
    return pids


def test_concurrent_cold_starts_share_one_server(tmp_path):
    home = tmp_path / "rh"
    env = clean_env({"HOME": str(tmp_path / "home"), "RECONCILE_HOME": str(home)})
    procs = [subprocess.Popen([reconcile_exe(), "sandbox", "start"], env=env, cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    try:
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        lines = {out.strip() for out, _ in outs}
        assert len(lines) == 1, f"the commands report different servers: {lines}"
        servers = _servers_for(home)
        assert len(servers) == 1, f"{len(servers)} servers started for one RECONCILE_HOME: {servers}"
    finally:
        Cli(env, tmp_path)("sandbox", "stop")
        for pid in _servers_for(home):  # only servers of this test's own RECONCILE_HOME
            subprocess.run(["kill", str(pid)], check=False)
