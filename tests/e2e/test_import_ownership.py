"""`reconcile import` never writes a takeover (issue 23, item 4): not another stack's resource, not a second
declaration of what the folder declares, not a file outside the folder; and its command line is checked."""

from __future__ import annotations

from tests.e2e.test_import import ROLE, execution_role_script, sam_sync
from tests.support.manifests import STACK, write

DECLARED = f"""
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {ROLE}}}
spec: {{assumedBy: [sagemaker.amazonaws.com]}}
"""


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_another_stacks_resource_is_refused_naming_the_owner_force_or_not(cli, boto, tmp_path):
    execution_role_script(boto)
    boto("iam").tag_role(RoleName=ROLE, Tags=[{"Key": "reconciler:managed-by", "Value": "reconciler"},
                                              {"Key": "reconciler:stack", "Value": "team-b"}])
    m = tmp_path / "mine"
    for extra in ((), ("--force",)):
        r = cli("import", str(m), f"Role/{ROLE}", *extra)
        assert r.code == 1, r.text
        assert f"not imported: Role/{ROLE}: it is owned by reconcile stack 'team-b'" in r.err, r.err
        assert files(m) == [], files(m)  # no adopting manifest, no stack.yaml


def test_what_the_folder_declares_is_refused_naming_the_file_and_force_rewrites_only_an_import(cli, boto, tmp_path):
    execution_role_script(boto)
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="llm"), "iam.yaml": DECLARED})
    before = {p: (m / p).read_text() for p in files(m)}
    for extra in ((), ("--force",)):
        r = cli("import", str(m), f"Role/{ROLE}", *extra)
        assert r.code == 1, r.text
        assert (f"refusing to import into {m}: it already declares Role/{ROLE} (declared at {m / 'iam.yaml'}:1)"
                in r.err), r.err
        assert {p: (m / p).read_text() for p in files(m)} == before  # nothing written
    # what an earlier import wrote: refused without --force, rewritten (that file only, and said) with it
    n = tmp_path / "n"
    assert cli("import", str(n), f"Role/{ROLE}").code == 0
    r = cli("import", str(n), f"Role/{ROLE}")
    assert r.code == 1 and f"refusing to overwrite {n / f'role-{ROLE}.yaml'}" in r.err, r.text
    r = cli("import", str(n), f"Role/{ROLE}", "--force")
    assert r.code == 0, r.text
    assert f"overwrote {n / f'role-{ROLE}.yaml'}" in r.out and files(n) == ["role-" + ROLE + ".yaml", "stack.yaml"]


def test_the_command_line_is_checked_before_anything_is_written(cli, boto, tmp_path):
    execution_role_script(boto)
    r = cli("import", str(tmp_path / "m"), f"Role/{ROLE}", "--stack", "../evil stack")
    assert r.code == 2 and "'../evil stack' is not a valid stack name" in r.err, r.text
    r = cli("import", str(tmp_path / "m"), f"role/{ROLE}")
    assert r.code == 2 and f"unknown selector(s) 'role/{ROLE}' (did you mean Role/{ROLE}?)" in r.err, r.text
    r = cli("import", str(tmp_path / "m"), "Rol/x", "endpoint/llm")
    assert r.code == 2 and "'Rol/x' (did you mean Role/x?)" in r.err and "(did you mean Endpoint/llm?)" in r.err, r.err
    r = cli("import", "/dev/null", f"Role/{ROLE}")
    assert r.code == 2 and "/dev/null is not a folder" in r.err and "unexpected" not in r.err, r.text
    assert not (tmp_path / "m").exists()


def test_no_file_is_written_outside_the_folder(cli, boto, tmp_path):
    """A link in DIR where the import writes (a function's code) leads outside: refused, nothing written."""
    fn = sam_sync(boto)
    outside = tmp_path / "outside.zip"
    outside.write_text("not yours\n")
    m = tmp_path / "m"
    (m / "functions").mkdir(parents=True)
    (m / "functions" / f"{fn}.zip").symlink_to(outside)
    r = cli("import", str(m), f"Function/{fn}", "--force")
    assert r.code == 1, r.text
    assert f"refusing to write outside {m}: {m / 'functions' / f'{fn}.zip'} (-> {outside})" in r.err, r.err
    assert outside.read_text() == "not yours\n" and files(m) == [f"functions/{fn}.zip"]
