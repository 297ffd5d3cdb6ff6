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
            addresses = sorted(client.scheduler_info()["workers"])
        logs = cluster.logs(workers=False)
        assert list(logs) == ["Scheduler"] and "Scheduler at:" in logs["Scheduler"], logs.keys()
        # As dask-yarn's: the scheduler's, and each worker's under its Dask address.
        logs = cluster.logs()
        assert sorted(logs) == sorted(["Scheduler"] + addresses), logs.keys()
        assert all("Starting Worker" in logs[a] for a in addresses), logs.keys()
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
        # other.close() only disconnected, as dask-yarn's does for a cluster
        # it attached to: the application and its scheduler go on.
        assert spindle_json("status", app)["state"] == "RUNNING"
        with Client(cluster) as client:  # no workers here: the scheduler answering is the point
            assert client.scheduler_info()["address"] == cluster.scheduler_address
    # Leaving the with block stops the application this object started.
    report = spindle_json("status", app)
    assert (report["state"], report["final_status"]) == ("FINISHED", "SUCCEEDED"), report


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


def test_tls_cluster_takes_the_client_key():
    """tls: true: Client(cluster) computes with the application's client key;
    a Client given the address alone (no key) is refused."""
    spec = {"name": unique("py-tls"), "environment": ENV, "tags": [TAG], "tls": True,
            "scheduler": {"resources": {"memory": "512MiB"}},
            "workers": [{"name": "worker", "instances": 1, "resources": {"memory": "512MiB"}}]}
    with YarnCluster.from_specification(spec) as cluster, Client(cluster) as client:
        assert cluster.scheduler_address.startswith("tls://"), cluster.scheduler_address
        assert cluster.security.require_encryption
        client.wait_for_workers(1, timeout=300)
        assert client.submit(sum, [1, 2, 3]).result(timeout=300) == 6
        with pytest.raises(Exception):
            Client(cluster.scheduler_address, timeout=15)
        attached = YarnCluster.from_application_id(cluster.app_id)
        with Client(attached) as again:
            assert again.submit(sum, [4, 5]).result(timeout=300) == 9


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


def test_logs_of_chosen_workers_and_shutdown_with_a_status():
    with pytest.raises(ValueError, match="status"):
        YarnCluster.shutdown(object.__new__(YarnCluster), status="DONE")
    cluster = YarnCluster(n_workers=2, name=unique("py-shutdown"), **SMALL)
    try:
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=300)
            first, second = sorted(client.scheduler_info()["workers"].items())
        def ready_addresses():
            got = sorted(c["address"] for c in cluster.workers() if c["state"] == "ready")
            return got == [first[0], second[0]], got
        wait_for("2 ready worker containers with their addresses", ready_addresses)
        logs = cluster.logs(scheduler=False, workers=[first[0]])
        assert list(logs) == [first[0]] and "Starting Worker" in logs[first[0]], logs.keys()
        # A worker's name is its container id; either selects it.
        logs = cluster.logs(scheduler=False, workers=[second[1]["name"]])
        assert list(logs) == [second[0]] and f"Container: {second[1]['name']} on " in logs[second[0]], logs.keys()
        with pytest.raises(ValueError, match="tcp://nowhere:1"):
            cluster.logs(workers=["tcp://nowhere:1"])
        assert "Scheduler" in cluster.logs(workers=False)._repr_html_()
        with pytest.raises(ValueError, match="diagnostics: .* at most 16384"):
            cluster.shutdown("FAILED", "x" * 16385)
        app = cluster.app_id
        cluster.shutdown(status="FAILED", diagnostics="the input had 3 bad rows")
    finally:
        cluster.close()
    report = spindle_json("status", app)
    assert (report["state"], report["final_status"]) == ("FINISHED", "FAILED"), report
    assert "the input had 3 bad rows" in report["diagnostics"], report
    text = subprocess.run([dask_spindle.spindle_binary(), "status", app], capture_output=True, text=True, timeout=120).stdout
    assert "the input had 3 bad rows" in text and "FAILED" in text, text


def test_from_current_outside_an_application(monkeypatch):
    for k in ("SPINDLE_APP_ID", "SPINDLE_AM_URL", "SPINDLE_SECRET_FILE"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(SpindleError, match="not inside a Spindle application: SPINDLE_APP_ID, SPINDLE_AM_URL, "
                                           "SPINDLE_SECRET_FILE are not set.*from_application_id"):
        YarnCluster.from_current()
    monkeypatch.setenv("SPINDLE_APP_ID", "application_1_0001")
    monkeypatch.setenv("SPINDLE_AM_URL", "http://127.0.0.1:1")
    with pytest.raises(SpindleError, match="SPINDLE_SECRET_FILE is not set"):
        YarnCluster.from_current()


# Run inside the application by `spindle submit --script`: the cluster it
# belongs to, scaled from 0 to 2 and computing; close() leaves the
# application to end with the script.
FROM_CURRENT_SCRIPT = """
import os, sys
from distributed import Client
from dask_spindle import YarnCluster
cluster = YarnCluster.from_current()
assert cluster.app_id == os.environ["SPINDLE_APP_ID"], cluster.app_id
print("DASHBOARD", cluster.dashboard_link)
with Client(cluster) as client:
    cluster.scale(2)
    client.wait_for_workers(2, timeout=240)
    print("SUM", client.submit(sum, range(1001)).result(timeout=240))
    print("WORKERS", len(cluster.workers()))
    cluster.adapt(minimum=1, maximum=3)
cluster.close()
print("AFTER CLOSE", file=sys.stderr)
"""


def test_from_current_inside_a_script(tmp_path):
    # The node's venv has dask but not this package: put the installed
    # dask_spindle (this venv's) on the script's PYTHONPATH.
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "dask_spindle").symlink_to(os.path.dirname(dask_spindle.__file__))
    env = {"PYTHONPATH": str(pkg)}
    name = unique("py-current")
    spec = {"name": name, "environment": ENV, "tags": [TAG],
            "scheduler": {"resources": {"memory": "512MiB"}},
            "workers": [{"name": "worker", "instances": 0, "resources": {"memory": "512MiB"}}],
            "client": {"resources": {"memory": "512MiB"}, "env": env}}
    import yaml
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "job.py").write_text(FROM_CURRENT_SCRIPT)
    spindle = dask_spindle.spindle_binary()
    out = subprocess.run([spindle, "submit", str(tmp_path / "spec.yaml"), "--script", str(tmp_path / "job.py")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    app = out.stdout.strip()
    waited = subprocess.run([spindle, "wait", app, "--for", "finished", "--timeout", "8m"],
                            capture_output=True, text=True, timeout=600)
    logs = subprocess.run([spindle, "logs", app, "--service", "client"], capture_output=True, text=True, timeout=300)
    assert waited.returncode == 0, (waited.stderr, logs.stdout)
    report = spindle_json("status", app)
    assert report["final_status"] == "SUCCEEDED", report
    assert "SUM 500500" in logs.stdout and "WORKERS 2" in logs.stdout and "AFTER CLOSE" in logs.stdout, logs.stdout
    assert "DASHBOARD http://" in logs.stdout, logs.stdout


def test_asynchronous_with_await():
    """asynchronous=True: constructed under ``async with``, scaled with
    await, used by an asynchronous Client; the CLI runs without blocking
    the event loop (a ticker keeps ticking while the cluster starts)."""
    import asyncio

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.1)
                ticks += 1
        tick = asyncio.ensure_future(ticker())
        start = time.monotonic()
        async with YarnCluster(name=unique("py-async"), asynchronous=True, **SMALL) as cluster:
            took = time.monotonic() - start
            assert cluster.app_id.startswith("application_") and cluster.scheduler_address.startswith("tcp://")
            # Starting takes seconds (a YARN submit); a blocked loop would not tick.
            assert took > 1 and ticks >= took / 0.1 / 4, (took, ticks)
            async with Client(cluster, asynchronous=True) as client:
                await cluster.scale(1)
                await client.wait_for_workers(1, timeout=300)
                assert await client.submit(sum, [1, 2, 3]) == 6
                assert len(await cluster.workers()) == 1
                assert (await cluster.status_report())["state"] == "RUNNING"
                adaptive = await cluster.adapt(minimum=1, maximum=2)
                assert (adaptive.minimum, adaptive.maximum) == (1, 2)
            app = cluster.app_id
        tick.cancel()
        assert cluster.status.name == "closed"
        return app

    app = asyncio.run(main())
    assert spindle_json("status", app)["final_status"] == "SUCCEEDED"


def test_widget_follows_a_scale_from_0_to_2():
    """The notebook view: _repr_html_ and the ipywidgets widget show the
    workers, threads, memory and dashboard, and follow a scale from 0 to 2
    with nothing asking the scheduler: scheduler_info follows the
    scheduler's worker status stream, the widget refreshes from it."""
    with YarnCluster(n_workers=0, name=unique("py-widget"), **SMALL) as cluster:
        html = cluster._repr_html_()
        assert "<strong>Workers:</strong> 0" in html and cluster.app_id in html, html
        assert f'href="{cluster.dashboard_link}"' in html, html
        widget = cluster._widget()
        status, scaling = widget.children[0], widget.children[1].children[0]
        assert "<strong>Workers:</strong> 0" in status.value and "Manual" in scaling.value
        cluster.scale(2)
        assert "ready / requested: 0 / 2" in cluster._repr_html_()
        wait_for("the widget to show 2 workers", lambda: (
            "<strong>Workers:</strong> 2" in status.value, status.value[:2000]), timeout=300)
        workers = cluster.scheduler_info["workers"].values()
        assert len(workers) == 2
        assert f"<strong>Total threads:</strong> {sum(w['nthreads'] for w in workers)}" in status.value
        wait_for("the scaling tab to show 2 of 2", lambda: ("ready / requested: 2<" in scaling.value, scaling.value))
        assert "workers=2" in repr(cluster), repr(cluster)
        cluster.adapt(minimum=2, maximum=4)
        assert "Adaptive (worker: 2 to 4)" in cluster._repr_html_()


def test_labextension_factory_from_the_readme():
    """dask-labextension's cluster manager (installed from PyPI) starts,
    scales, adapts and closes a cluster from the factory entry the README
    documents, pointed at the local cluster."""
    import asyncio
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b.split("```")[0] for b in readme.split("```yaml\n") if b.startswith("labextension:"))
    import yaml
    config = yaml.safe_load(block)
    factory = config["labextension"]["factory"]
    assert (factory["module"], factory["class"]) == ("dask_spindle", "YarnCluster"), factory
    # The documented entry, with this cluster's environment and small containers.
    factory["kwargs"].update({"environment": ENV, "worker-memory": "512MiB", "worker-vcores": 1,
                              "scheduler-memory": "512MiB", "tags": [TAG], "name": unique("py-lab")})
    assert config["labextension"]["default"]["workers"] == 2

    async def main():
        # Imported as Jupyter's server does, with its event loop running (the
        # module makes its manager at import).
        from dask_labextension.manager import DaskClusterManager
        async with DaskClusterManager() as manager:
            model = await manager.start_cluster()
            cluster = manager._clusters[model["id"]]
            assert isinstance(cluster, YarnCluster) and model["scheduler_address"] == cluster.scheduler_address
            deadline = time.monotonic() + 300
            while (model := manager.get_cluster(model["id"]))["workers"] < 2:
                assert time.monotonic() < deadline, f"waited 300s for the model to show 2 workers: {model}"
                await asyncio.sleep(1)
            assert model["cores"] == 2 and model["dashboard_link"] == cluster.dashboard_link, model
            model = await manager.scale_cluster(model["id"], 1)
            model = manager.adapt_cluster(model["id"], 1, 3)
            assert model["adapt"] == {"minimum": 1, "maximum": 3}, model
            await manager._adaptives[model["id"]]
            pools = {p["name"]: p for p in spindle_json("status", cluster.app_id)["pools"]}
            assert (pools["worker"]["adaptive"]["minimum"], pools["worker"]["adaptive"]["maximum"]) == (1, 3), pools
            return cluster.app_id

    with dask.config.set(config):
        app = asyncio.run(main())
    assert spindle_json("status", app)["final_status"] == "SUCCEEDED"
