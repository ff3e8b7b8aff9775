"""Which files under a folder are manifests (*.yaml, *.yml), which are skipped, and the problems found on the
way (symbolic links that loop, dangle or lead outside the folder)."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import Issue

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass
class Discovery:
    """What is under DIR: the manifests to read, the files skipped (not manifests), and the problems."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def is_manifest_name(name: str) -> bool:
    """*.yaml and *.yml, in any case (policy.YAML is a manifest too)."""
    return name.lower().endswith(MANIFEST_SUFFIXES)


def discover(root: Path) -> Discovery:
    """Every file under ``root`` is either read (a manifest) or reported (skipped, or an error).

    Hidden files and folders (.git, .github …) are not looked at. A symlink is followed when it
    resolves to a place inside ``root``; one that points outside, loops or dangles is an error. A file
    reached twice (through a symlink and directly) is read once.
    """
    out = Discovery()
    if root.is_file():
        out.files.append(root)
        return out
    real_root = root.resolve()
    seen: set[Path] = set()

    def link_problem(path: Path, message: str) -> None:
        out.issues.append(Issue(str(path), None, "", message))

    def walk(folder: Path, real_folder: Path, ancestors: frozenset[Path]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            link_problem(folder, f"cannot read the folder: {e.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            real = real_folder / entry.name
            if entry.is_symlink():
                target = os.readlink(path)
                try:
                    real = path.resolve(strict=True)
                except RuntimeError:
                    link_problem(path, f"symbolic link loop (-> {target}); fix or remove the link")
                    continue
                except OSError as e:
                    if e.errno == errno.ELOOP:
                        link_problem(path, f"symbolic link loop (-> {target}); fix or remove the link")
                    else:
                        link_problem(path, f"dangling symbolic link: its target {target} does not exist; "
                                           "fix or remove the link")
                    continue
                if not real.is_relative_to(real_root):
                    if real.is_file() and not is_manifest_name(entry.name):
                        out.skipped.append(path)  # not a manifest, wherever it points: listed, not read
                        continue
                    link_problem(path, f"symbolic link to {real}, outside {root}; manifests are read only from "
                                       "inside the folder: copy the files in, or point at the folder itself")
                    continue
            try:
                is_dir, is_file = real.is_dir(), real.is_file()
            except OSError as e:  # e.g. a folder that may be listed but not entered (no x permission)
                link_problem(path, f"cannot read it: {e.strerror}; give the user running reconcile read access "
                                   "(folders also need x), or move it out of the folder")
                continue
            if is_dir:
                if real in ancestors:
                    link_problem(path, "symbolic link loop: it leads back to a folder that contains it")
                    continue
                walk(path, real, ancestors | {real})
            elif is_file:
                if real in seen:
                    continue
                seen.add(real)
                (out.files if is_manifest_name(entry.name) else out.skipped).append(path)
            elif is_manifest_name(entry.name):
                link_problem(path, "not a regular file (a device, pipe or socket); manifests are regular files")
            else:
                out.skipped.append(path)

    walk(root, real_root, frozenset({real_root}))
    return out


def _no_manifests(root: Path) -> str:
    if not root.is_dir():
        return "not a manifest: give a folder, or a file ending in .yaml or .yml"
    files = [p.relative_to(root) for p in root.rglob("*") if p.is_file()]
    hidden = [p for p in files if any(part.startswith(".") for part in p.parts)]
    others = sorted(str(p) for p in files if p not in hidden)
    skipped = sum(1 for p in hidden if is_manifest_name(p.name))
    note = f"; {skipped} manifest(s) in hidden files or folders are skipped" if skipped else ""
    if not others:
        return f"the folder is empty; manifests are *.yaml or *.yml files in it (or in its subfolders){note}"
    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    return f"no manifests found: {len(others)} file(s) ({shown}) but none ending in .yaml or .yml{note}"
