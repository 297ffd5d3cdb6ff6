"""The README's dask-yarn → Spindle section: its Spindle blocks run as they
are, against the local cluster, in a folder holding `venv` (the venv with
dask that the NodeManagers have) and the README's job.py.

Every line of the shell block must exit 0 but `spindle kill`, which the
README says exits 5 there (the application has already ended)."""

import os
import pathlib
import re
import subprocess
import sys
import sysconfig

import dask_spindle

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
TAG = os.environ["SPINDLE_TEST_TAG"]


def section_blocks():
    text = README.read_text()
    start = text.index("### From dask-yarn: the two workflows side by side")
    section = text[start:text.index("\n### ", start + 1)]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def block(lang, first_line):
    found = [body for kind, body in section_blocks() if kind == lang and body.startswith(first_line + "\n")]
    assert len(found) == 1, f"README: want one {lang} block starting {first_line!r}, found {len(found)}"
    return found[0]


def kill_app(app):
    if re.fullmatch(r"application_\d+_\d+", app):
        subprocess.run([dask_spindle.spindle_binary(), "kill", app], capture_output=True, timeout=120)


def test_readme_workflows(tmp_path):
    (tmp_path / "venv").symlink_to(os.environ["SPINDLE_TEST_ENV"])
    (tmp_path / "job.py").write_text(block("python", "# job.py"))
    # The venv's bin first on PATH, as in an activated venv: its spindle.
    env = dict(os.environ, PATH=sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"],
               DASK_YARN__TAGS=repr([TAG]))

    shell = block("bash", "# Spindle")
    lines = [ln for ln in shell.splitlines() if ln.strip() and not ln.startswith("#")]
    script = ["exec 3>rc"]
    for i, ln in enumerate(lines):
        script += [ln, f'echo "{i} $?" >&3']
    script.append('echo "$APP" > app')
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=1200)
    app = (tmp_path / "app").read_text().strip() if (tmp_path / "app").exists() else ""
    try:
        codes = {lines[int(i)]: int(rc) for i, rc in (l.split() for l in (tmp_path / "rc").read_text().splitlines())}
        want = {ln: 5 if ln.startswith("spindle kill") else 0 for ln in lines}
        assert codes == want, f"exit codes {codes}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        assert re.fullmatch(r"application_\d+_\d+", app), app
        # status printed the application; the client's log has job.py's result.
        assert app in proc.stdout and "FINISHED" in proc.stdout, proc.stdout
        assert f"sum {sum(range(1_000_000))}" in proc.stdout, proc.stdout
    finally:
        kill_app(app)

    # The notebook block, in the same folder: env.tar.gz is the archive packed above.
    py = block("python", "# Spindle")
    assert "from dask_spindle import YarnCluster" in py
    py += "print('final', cluster.status_report()['final_status'], cluster.app_id)\n"
    proc = subprocess.run([sys.executable, "-c", py], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=1200)
    m = re.search(r"final (\w+) (application_\d+_\d+)", proc.stdout)
    if m:
        kill_app(m.group(2))
    assert proc.returncode == 0 and m and m.group(1) == "SUCCEEDED", f"{proc.stdout}\n{proc.stderr}"
