"""The emulator and the client it tests stay independent, both ways (issue 11, point 8; issue 24, item 14):
nothing under reconciler/sandbox imports reconcile's AWS adapters or kinds, so one misunderstanding of AWS
cannot sit on both sides of a test and pass unseen; and nothing else in reconciler/ imports the sandbox but
the commands that start it (what both sides need lives in reconciler/sandbox_contract.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[2] / "reconciler" / "sandbox"
FORBIDDEN = ("reconciler.aws", "reconciler.kinds")
#: the commands that start, stop or point at the sandbox: `reconcile sandbox …` and --sandbox (pipeline.connect)
STARTERS = {"reconciler/cli/admin.py", "reconciler/pipeline.py"}


def imports_of(path: Path, root: Path = SANDBOX) -> list[tuple[int, str]]:
    """Every module an import statement in ``path`` names (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(root.parents[1]).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return out


def forbidden_imports(root: Path, forbidden: tuple[str, ...] = FORBIDDEN, skip: Path | None = None,
                      allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every import under ``root`` of a module in ``forbidden`` (files under ``skip`` and the ``allowed`` ones,
    as paths relative to the project, aside)."""
    found = []
    top = root if root.name == "reconciler" else root.parent
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(top.parent).as_posix()
        if (skip is not None and skip in path.parents) or where in allowed:
            continue
        bad = {}
        for line, module in imports_of(path, top / "sandbox"):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.setdefault(line, module)
        found += [f"{where}:{line} imports {module}" for line, module in bad.items()]
    return found


def test_the_sandbox_imports_neither_aws_adapters_nor_kinds() -> None:
    assert forbidden_imports(SANDBOX) == []


def test_only_the_commands_that_start_the_sandbox_import_it() -> None:
    found = forbidden_imports(SANDBOX.parent, ("reconciler.sandbox",), skip=SANDBOX, allowed=STARTERS)
    assert found == [], "move what they need to reconciler/sandbox_contract.py or the client side"


def test_the_reverse_scan_sees_an_import_of_the_sandbox(tmp_path: Path) -> None:
    root = tmp_path / "reconciler"
    (root / "kinds").mkdir(parents=True)
    (root / "sandbox").mkdir()
    (root / "kinds" / "k.py").write_text("def f():\n    from reconciler.sandbox.lambda_runtime import url\n")
    (root / "sandbox" / "s.py").write_text("from reconciler import sandbox\n")
    (root / "pipeline.py").write_text("from reconciler import sandbox as sb\n")
    found = forbidden_imports(root, ("reconciler.sandbox",), skip=root / "sandbox", allowed={"reconciler/pipeline.py"})
    assert found == ["reconciler/kinds/k.py:2 imports reconciler.sandbox.lambda_runtime"]


@pytest.mark.parametrize("source", ["from reconciler.aws.lambda_ import source_arn",
                                    "import reconciler.kinds.iam_role",
                                    "def f():\n    from reconciler import aws\n",
                                    "from ... import kinds"])
def test_the_scan_sees_every_form_of_import(tmp_path: Path, source: str) -> None:
    root = tmp_path / "reconciler" / "sandbox"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "mod.py").write_text(source)
    assert len(forbidden_imports(root)) == 1
