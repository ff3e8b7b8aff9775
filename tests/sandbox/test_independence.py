"""The emulator stays independent of the client it tests (issue 11, point 8): nothing under
reconciler/sandbox imports reconcile's AWS adapters or kinds, so one misunderstanding of AWS cannot
sit on both sides of a test and pass unseen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[2] / "reconciler" / "sandbox"
FORBIDDEN = ("reconciler.aws", "reconciler.kinds")


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


def forbidden_imports(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        bad = {}
        for line, module in imports_of(path, root):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN):
                bad.setdefault(line, module)
        found += [f"{path.relative_to(root.parents[1])}:{line} imports {module}" for line, module in bad.items()]
    return found


def test_the_sandbox_imports_neither_aws_adapters_nor_kinds() -> None:
    assert forbidden_imports(SANDBOX) == []


@pytest.mark.parametrize("source", ["from reconciler.aws.lambda_ import source_arn",
                                    "import reconciler.kinds.iam_role",
                                    "def f():\n    from reconciler import aws\n",
                                    "from ... import kinds"])
def test_the_scan_sees_every_form_of_import(tmp_path: Path, source: str) -> None:
    root = tmp_path / "reconciler" / "sandbox"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "mod.py").write_text(source)
    assert len(forbidden_imports(root)) == 1
