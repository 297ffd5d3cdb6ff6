"""deploy_mode="local", worker_class and worker_options, against the local
YARN cluster (run by integration/python_test.go, as test_yarncluster.py)."""

import socket

import pytest
from distributed import Client
from distributed.comm import get_address_host, get_address_host_port
from distributed.core import Status
from distributed.utils import get_ip

from dask_spindle import YarnCluster
from test_yarncluster import SMALL, spindle_json, unique, wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def test_deploy_mode_local_runs_the_scheduler_in_this_process():
    port = free_port()
    cluster = YarnCluster(deploy_mode="local", port=port, n_workers=2, name=unique("py-local"), **SMALL)
    sched = cluster._local_scheduler
    try:
        app = cluster.app_id
        # This process's scheduler, advertised as dask-yarn's is: this
        # machine's IP address (host 0.0.0.0), on the port asked for.
        assert sched is not None and sched.status == Status.running
        assert cluster.scheduler_address == sched.address
        assert get_address_host_port(cluster.scheduler_address) == (get_ip(), port)
        assert cluster.dashboard_link == f"http://{get_ip()}:{sched.http_server.port}/status"
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=300)
            assert client.submit(sum, range(101)).result(timeout=300) == 5050
            names = sorted(str(w["name"]) for w in client.scheduler_info()["workers"].values())
            assert len(names) == 2 and all(n.startswith("container_") for n in names), names
        # The application runs the workers only; they report ready through this scheduler's API.
        def ready_workers():
            ready = [c for c in spindle_json("containers", app) if c["state"] == "ready"]
            return len(ready) == 2, ready
        ready = wait_for("2 ready worker containers", ready_workers)
        assert sorted(c["service"] for c in ready) == ["worker", "worker"], ready
        assert spindle_json("address", app)["scheduler_address"] == sched.address
    finally:
        cluster.close()
    report = spindle_json("status", app)
    assert (report["state"], report["final_status"]) == ("FINISHED", "SUCCEEDED"), report
    assert sched.status == Status.closed
    with pytest.raises(OSError):
        socket.create_connection((get_ip(), port), timeout=5).close()


def test_deploy_mode_local_refuses_an_address_the_nodes_cannot_reach():
    name = unique("py-local-lo")
    with pytest.raises(ValueError, match=r"YarnCluster\(host\b.*loopback"):
        YarnCluster(deploy_mode="local", host="127.0.0.1", n_workers=1, name=name, **SMALL)
    assert [a for a in spindle_json("list", "--all") if a["name"] == name] == []
    with pytest.raises(ValueError, match="deploy_mode"):
        YarnCluster(deploy_mode="elsewhere", **SMALL)
    with pytest.raises(ValueError, match="port"):
        YarnCluster(deploy_mode="local", port=70000, **SMALL)


def test_worker_class_and_options_reach_dask_worker():
    options = {"nthreads": 3, "resources": {"FOO": 2}, "memory_limit": "300MiB", "death_timeout": 120}
    with YarnCluster(n_workers=1, worker_class="distributed.Worker", worker_options=options,
                     name=unique("py-worker-class"), **SMALL) as cluster, Client(cluster) as client:
        client.wait_for_workers(1, timeout=300)
        (w,) = client.scheduler_info()["workers"].values()
        assert (w["nthreads"], w["resources"], w["memory_limit"]) == (3, {"FOO": 2}, 300 * 2**20), w
        assert w["nanny"] is None, w  # distributed.Worker: no nanny
        assert client.submit(lambda: 7, resources={"FOO": 1}).result(timeout=120) == 7


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(worker_options={"name": "w"}), NotImplementedError, r"worker_options\['name'\]: Spindle names each worker"),
    (dict(worker_options={"bogus": 1}), NotImplementedError, r"worker_options\['bogus'\]: not a `dask worker` option"),
    (dict(worker_options={"nthreads": 0}), ValueError, r"worker_options\['nthreads'\]"),
    (dict(worker_options={"memory_limit": 0.5}), ValueError, "fraction"),
    (dict(worker_options={"memory_limit": "2GiB"}), ValueError, r"YarnCluster\(worker_options\).*container's memory"),
    (dict(worker_class="not a class"), ValueError, r"YarnCluster\(worker_class\)"),
])
def test_bad_worker_class_or_options_raise_naming_them(kwargs, error, match):
    name = unique("py-bad-worker")
    with pytest.raises(error, match=match):
        YarnCluster(n_workers=1, name=name, **SMALL, **kwargs)
    assert [a for a in spindle_json("list", "--all") if a["name"] == name] == []


@pytest.mark.parametrize("kwargs, named, says", [
    (dict(queue="no-such-queue"), "queue", "this cluster's leaf queues are root.default"),
    (dict(environment="/no/such/env-dir"), "environment", "no such file or directory"),
    (dict(worker_vcores=5000), "worker_vcores", "largest container"),
    (dict(scheduler_memory="1000GiB"), "scheduler_memory", "largest container"),
])
def test_what_the_cluster_cannot_run_raises_before_submit(kwargs, named, says):
    name = unique("py-precheck")
    with pytest.raises(ValueError, match=rf"YarnCluster\({named}\): .*{says}"):
        YarnCluster(n_workers=1, name=name, **dict(SMALL, **kwargs))
    assert [a for a in spindle_json("list", "--all") if a["name"] == name] == []
