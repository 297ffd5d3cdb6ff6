"""The book's notebook workflow (notebooks/yarn.ipynb), executed headless
with nbclient against the local cluster, checked by its cells' outputs.

The notebook is what a dask-yarn user writes, with the import changed; its
defaults (environment, scheduler memory, tags, name) come from Dask's
configuration through DASK_YARN__* variables, as a user's yarn.yaml gives
them."""

import ast
import os
import pathlib
import re
import sysconfig
import uuid

import nbformat
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).parent / "notebooks" / "yarn.ipynb"


def outputs_by_tag(nb):
    out = {}
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            out[tag] = cell.get("outputs", [])
    return out


def value(outputs):
    """The cell's result (its text/plain repr) as a Python value."""
    results = [o for o in outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1, outputs
    return ast.literal_eval(results[0]["data"]["text/plain"])


def test_notebook_workflow(monkeypatch, tmp_path):
    monkeypatch.setenv("DASK_YARN__ENVIRONMENT", "venv://" + os.environ["SPINDLE_TEST_ENV"])
    monkeypatch.setenv("DASK_YARN__SCHEDULER__MEMORY", "512MiB")
    monkeypatch.setenv("DASK_YARN__TAGS", repr([os.environ["SPINDLE_TEST_TAG"]]))
    monkeypatch.setenv("DASK_YARN__NAME", f"py-notebook-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("PATH", sysconfig.get_path("scripts") + os.pathsep + os.environ["PATH"])
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(tmp_path)}}).execute()
    # The executed notebook, for a person reading a failed run.
    nbformat.write(nb, tmp_path / "executed.ipynb")
    out = outputs_by_tag(nb)

    # The cluster's widget/HTML view names its workers and links the dashboard.
    (html,) = [o["data"]["text/html"] for o in out["cluster"] if "text/html" in o.get("data", {})]
    assert "Workers" in html and "http://" in html, html
    assert value(out["versions"]) == (["client", "scheduler", "workers"], 1, True)
    assert value(out["compute"]) == 2 * sum(range(1_000_000))
    # Three workers, the persisted result spread over more than one.
    assert value(out["scale"]) == (3, True)
    # Idle under adapt(minimum=1): one worker left, and the persisted result intact.
    assert value(out["adapt"]) == (1, sum(range(1, 1_000_001)))
    # The scheduler's log, and one per live worker keyed by its address.
    assert value(out["logs"]) == (True, True, True)
    # spindle status (the venv's, on PATH as in an activated venv): ended as asked.
    status = "".join(o.get("text", "") for o in out["status"] if o["output_type"] == "stream")
    assert re.search(r"FINISHED", status) and re.search(r"\bSUCCEEDED\b", status) and "notebook finished" in status, status
