"""dask_spindle.YarnCluster against a real YARN cluster.

Run by integration/python_test.go (make test) from a fresh venv where the
dask-spindle wheel is installed; it sets HADOOP_CONF_DIR to the local
cluster, SPINDLE_TEST_ENV to a venv with dask that every NodeManager has,
and SPINDLE_TEST_TAG, a tag put on every application so the Go test can
kill what a failed test leaves.
"""

import json
import os
import subprocess
import sysconfig
import time
import uuid

import dask.config
import pytest
from distributed import Client

import dask_spindle
from dask_spindle import SpindleError, YarnCluster

ENV = "venv://" + os.environ["SPINDLE_TEST_ENV"]
TAG = os.environ["SPINDLE_TEST_TAG"]
SMALL = dict(environment=ENV, worker_memory="512MiB", scheduler_memory="512MiB", tags=[TAG])


def spindle_json(*args):
    out = subprocess.run([dask_spindle.spindle_binary(), *args, "--json"], capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_uses_the_wheels_binary():
    assert dask_spindle.spindle_binary() == os.path.join(sysconfig.get_path("scripts"), "spindle")


@pytest.mark.parametrize("kwargs, named", [
    (dict(asynchronous=True), "asynchronous"),
    (dict(loop=object()), "loop"),
    (dict(port=8786), "port"),
])
def test_unsupported_argument_is_refused_by_name(kwargs, named):
    with pytest.raises(NotImplementedError, match=named):
        YarnCluster(**SMALL, **kwargs)


def test_configuration_is_read_under_dask_yarns_keys():
    with dask.config.set({"yarn.worker.worker_options": {"name": "w"}}):
        with pytest.raises(NotImplementedError, match="worker_options"):
            YarnCluster(**SMALL)
    with dask.config.set({"yarn.specification": "spec.yaml"}):
        with pytest.raises(NotImplementedError, match="yarn.specification"):
            YarnCluster(**SMALL)
    with dask.config.set({"yarn.worker.memory": "1000GiB", "yarn.worker.count": 1}):
        with pytest.raises(ValueError, match="worker_memory"):
            YarnCluster(environment=ENV, scheduler_memory="512MiB", tags=[TAG])


@pytest.mark.parametrize("kwargs, named", [
    (dict(n_workers=-1), "n_workers"),
    (dict(n_workers=10001), "n_workers"),
    (dict(worker_vcores=0), "worker_vcores"),
    (dict(worker_memory="lots"), "worker_memory"),
    (dict(scheduler_memory="-1"), "scheduler_memory"),
    (dict(worker_env={"1bad": "x"}), "worker_env"),
    (dict(lifetime="soon"), "lifetime"),
    (dict(environment="ftp://x"), "environment"),
])
def test_bad_value_is_refused_by_name(kwargs, named):
    with pytest.raises(ValueError, match=r"\b" + named + r"\b") as e:
        YarnCluster(**dict(SMALL, **kwargs))
    others = {"n_workers", "worker_vcores", "worker_memory", "scheduler_memory", "worker_env", "lifetime", "environment"} - {named}
    assert not [o for o in others if o in str(e.value).split(":")[0]], e.value


def test_worker_larger_than_the_cluster_is_refused_before_submit():
    name = unique("py-too-big")
    with pytest.raises(ValueError, match="worker_memory") as e:
        YarnCluster(name=name, n_workers=1, **dict(SMALL, worker_memory="1000GiB"))
    assert "largest container" in str(e.value)
    assert [a for a in spindle_json("list", "--all") if a["name"] == name] == []


def test_yarn_failure_raises_with_diagnostics():
    missing = f"/no/such/env-{uuid.uuid4().hex}/bin/python"
    start = time.monotonic()
    with pytest.raises(SpindleError) as e:
        YarnCluster(**dict(SMALL, environment="python://" + missing), name=unique("py-fails"))
    assert e.value.exit_code == 7, e.value
    assert missing in str(e.value)
    print(f"the constructor raised after {time.monotonic() - start:.1f}s")


def wait_for(what, check, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        ok, got = check()
        if ok:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}; last: {got}")
        time.sleep(1)


def test_compute_scale_close():
    cluster = YarnCluster(n_workers=1, name=unique("py-life"), **SMALL)
    try:
        app = cluster.app_id
        assert app.startswith("application_")
        assert cluster.scheduler_address.startswith("tcp://")
        assert cluster.dashboard_link.startswith("http://")
        with Client(cluster) as client:
            assert client.submit(sum, range(1001)).result(timeout=300) == 500500
            cluster.scale(2)
            client.wait_for_workers(2, timeout=300)
            assert len(client.scheduler_info()["workers"]) == 2
            wait_for("2 ready worker containers",
                     lambda: ((w := cluster.workers()) and len([c for c in w if c["state"] == "ready"]) == 2, w))
            futures = client.map(lambda x: x * x, range(10))
            assert sum(client.gather(futures)) == 285
        logs = cluster.logs(workers=False)
        assert len(logs) == 1 and "Scheduler at:" in next(iter(logs.values())), logs.keys()
        logs = cluster.logs()
        assert len(logs) == 3 and sum("Starting Worker" in text for text in logs.values()) == 2, logs.keys()
    finally:
        cluster.close()
    report = spindle_json("status", app)
    assert (report["state"], report["final_status"]) == ("FINISHED", "SUCCEEDED"), report


def test_from_application_id_and_context_manager():
    with pytest.raises(ValueError, match="app_id"):
        YarnCluster.from_application_id("app_1")
    # dask-yarn 0.9's default configuration (its yarn.yaml), as a user who had
    # imported dask_yarn has it, with memory small enough for the local cluster.
    dask_yarn_defaults = {"yarn": {
        "specification": None, "name": "dask", "queue": "default", "deploy-mode": "remote",
        "environment": None, "tags": [], "user": "", "host": "0.0.0.0", "port": 0, "dashboard-address": ":0",
        "scheduler": {"vcores": 1, "memory": "512MiB", "gpus": 0},
        "worker": {"vcores": 1, "memory": "512MiB", "count": 0, "restarts": -1, "env": {}, "gpus": 0,
                   "worker_class": "dask.distributed.Nanny", "worker_options": {}}}}
    with dask.config.set(dask_yarn_defaults), \
            YarnCluster(environment=ENV, tags=[TAG], name=unique("py-attach")) as cluster:
        app = cluster.app_id
        assert "Workers" in cluster._repr_html_() and cluster.dashboard_link in cluster._repr_html_()
        other = YarnCluster.from_application_id(app)
        try:
            assert (other.app_id, other.scheduler_address, other.dashboard_link) == \
                (app, cluster.scheduler_address, cluster.dashboard_link)
            with Client(other) as client:
                assert client.scheduler_info()["address"] == cluster.scheduler_address
        finally:
            other.close()
        # other.close() stopped the application, as dask-yarn's does.
        report = spindle_json("status", app)
        assert (report["state"], report["final_status"]) == ("FINISHED", "SUCCEEDED"), report
    # Leaving the with block closes it too: the application had ended, so that is no error.
    assert spindle_json("status", app)["final_status"] == "SUCCEEDED"


def test_from_specification_with_two_pools(tmp_path):
    with pytest.raises(ValueError, match=r"from_specification\(spec\): .*\"many\""):
        YarnCluster.from_specification({"name": "bad", "workers": [{"instances": "many"}]})
    spec = {"name": unique("py-spec"), "environment": ENV, "tags": [TAG],
            "scheduler": {"resources": {"memory": "512MiB"}},
            "workers": [{"name": "small", "instances": 1, "resources": {"memory": "512MiB"}},
                        {"name": "other", "instances": 1, "resources": {"memory": "512MiB"}}]}
    path = tmp_path / "spec.yaml"
    import yaml
    path.write_text(yaml.safe_dump(spec))
    with YarnCluster.from_specification(path) as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=300)
        assert client.submit(sum, [1, 2, 3]).result(timeout=300) == 6
        assert sorted(c["service"] for c in cluster.workers()) == ["other", "small"]
        with pytest.raises(SpindleError, match="nosuch"):
            cluster.scale(1, pool="nosuch")
        with pytest.raises(NotImplementedError, match="interval"):
            cluster.adapt(minimum=1, maximum=2, interval="1s")
        with pytest.raises(ValueError, match="maximum"):
            cluster.adapt(minimum=1, maximum=-3)
        cluster.adapt(minimum=1, maximum=3, pool="small")
        pools = {p["name"]: p for p in spindle_json("status", cluster.app_id)["pools"]}
        assert (pools["small"]["adaptive"]["minimum"], pools["small"]["adaptive"]["maximum"]) == (1, 3), pools
        cluster.scale(2, pool="other")
        client.wait_for_workers(3, timeout=300)
        wait_for("2 containers of pool other", lambda: (
            (n := len([c for c in cluster.workers() if c["service"] == "other"])) == 2, n))
        app = cluster.app_id
    assert spindle_json("status", app)["final_status"] == "SUCCEEDED"


def test_every_dask_yarn_argument_is_taken_or_refused_in_the_readme(tmp_path):
    """dask-yarn 0.9's YarnCluster signature, read from its wheel on PyPI
    (not imported: it needs skein): each argument exists here, and each one
    refused is in REFUSED with a reason and named in the README."""
    import ast
    import inspect
    import pathlib
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                    "dask-yarn==0.9", "-d", str(tmp_path)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("dask_yarn-0.9-*.whl")
    tree = ast.parse(zipfile.ZipFile(wheel).read("dask_yarn/core.py"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "YarnCluster")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    theirs = [a.arg for a in init.args.args[1:] + init.args.kwonlyargs]
    assert "environment" in theirs and "worker_memory" in theirs, theirs
    ours = inspect.signature(YarnCluster).parameters
    assert [a for a in theirs if a not in ours] == []
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("### Python: `dask_spindle.YarnCluster`"):]
    section = section[:section.index("\n### ")]
    for arg in theirs:
        assert f"`{arg}" in section, f"README's Python section does not name {arg}"
    for arg, reason in dask_spindle.core.REFUSED.items():
        assert arg in theirs and len(reason) > 20, (arg, reason)
