"""YarnCluster: dask-yarn's face over Spindle's command line."""

import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile

import dask.config
import dask.utils
import yaml
from distributed.comm import get_address_host, unparse_host_port
from distributed.core import Status, rpc
from distributed.deploy import Cluster

# Exit codes of the spindle CLI (README "Exit codes").
EXIT_USAGE = 2
EXIT_FAILED = 7

# The most workers a pool may have (README "Limits").
MAX_INSTANCES = 10000

# Bounds on each CLI call (seconds). submit --wait waits for YARN to place
# the scheduler; the CLI's own --timeout is set a little lower so it, not
# the kill below, says what it was waiting for.
SUBMIT_TIMEOUT = 600
CALL_TIMEOUT = 120
GRACE = 30

# dask-yarn's arguments Spindle cannot honour yet, each with why. Passing
# any of them with a value other than its default raises, naming it.
REFUSED = {
    "host": 'host only applies to deploy_mode="local" (the scheduler in this process)',
    "port": 'port only applies to deploy_mode="local" (the scheduler in this process)',
    "dashboard_address": 'dashboard_address only applies to deploy_mode="local" (the scheduler in this process)',
    "skein_client": "Spindle does not use skein",
    "asynchronous": "asynchronous=True is not supported yet",
    "loop": "an event loop of your own is not supported yet",
}

# Spec keys in the CLI's validation errors, and the argument each comes from.
_KEY_TO_ARG = [
    (re.compile(r"workers\[[^\]]*\]\.resources\.memory"), "worker_memory"),
    (re.compile(r"workers\[[^\]]*\]\.resources\.vcores"), "worker_vcores"),
    (re.compile(r"workers\[[^\]]*\]\.resources: .*yarn\.io/gpu"), "worker_gpus"),
    (re.compile(r"workers\[[^\]]*\]\.instances"), "n_workers"),
    (re.compile(r"workers\[[^\]]*\]\.max_restarts"), "worker_restarts"),
    (re.compile(r"workers\[[^\]]*\]\.env"), "worker_env"),
    (re.compile(r"scheduler\.resources\.memory"), "scheduler_memory"),
    (re.compile(r"scheduler\.resources\.vcores"), "scheduler_vcores"),
    (re.compile(r"scheduler\.resources: .*yarn\.io/gpu"), "scheduler_gpus"),
    (re.compile(r"workers\[[^\]]*\]\.resources\.gpus"), "worker_gpus"),
    (re.compile(r"scheduler\.resources\.gpus"), "scheduler_gpus"),
    (re.compile(r"workers\[[^\]]*\]\.node_label"), "node_label"),
    (re.compile(r"external_scheduler\.address"), "host"),
    (re.compile(r"workers\[[^\]]*\]\.worker_class"), "worker_class"),
    (re.compile(r"workers\[[^\]]*\]\.worker_options"), "worker_options"),
    (re.compile(r"external_scheduler\.dashboard_address"), "dashboard_address"),
] + [(re.compile(r"(?:^|: )" + key + r"\b"), arg) for key, arg in [
    ("environment", "environment"), ("queue", "queue"), ("tags", "tags"), ("lifetime", "lifetime"),
    ("name", "name"), ("user", "user")]]


class SpindleError(RuntimeError):
    """A spindle command failed; ``exit_code`` and ``stderr`` are the CLI's."""

    def __init__(self, message, exit_code=None, stderr=""):
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


def spindle_binary():
    """The spindle executable: $SPINDLE_BINARY, else the one this package's
    wheel installed beside the interpreter, else spindle on PATH."""
    explicit = os.environ.get("SPINDLE_BINARY")
    if explicit:
        return explicit
    beside = os.path.join(sysconfig.get_path("scripts"), "spindle")
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("spindle")
    if found:
        return found
    raise SpindleError(f"no spindle executable: not at {beside} nor on PATH (pip install dask-spindle, or set SPINDLE_BINARY)")


def _run(args, timeout=CALL_TIMEOUT):
    """Runs spindle ARGS with --timeout; returns the CompletedProcess."""
    cmd = [spindle_binary()] + list(args) + ["--timeout", f"{timeout}s"]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + GRACE,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise SpindleError(f"spindle {args[0]} did not end within {timeout + GRACE}s", stderr=str(e.stderr or "")) from None


def _check(proc, what):
    if proc.returncode != 0:
        err = proc.stderr.strip()
        raise SpindleError(f"{what}: spindle exited {proc.returncode}: {err}", proc.returncode, err)
    return proc


def _memory(value, arg):
    """dask-yarn's memory: a string such as "4GiB", or a number of MiB."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{arg}: {value!r}: give a size such as '4GiB', or a whole number of MiB")
    if isinstance(value, int):
        return f"{_whole(value, arg, 1)}MiB"
    return value


def _whole(value, arg, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{arg}: {value!r}: want a whole number")
    if value < minimum:
        # The spec reads 0 vcores or MiB as "the default": refuse it here.
        raise ValueError(f"{arg}: {value}: want at least {minimum}")
    return value


# Values of refused arguments that ask for nothing Spindle does not do:
# dask-yarn's defaults (its yarn.yaml), so its configuration keeps working.
_NEUTRAL = {
    "worker_class": ("dask.distributed.Nanny", "distributed.Nanny"),
    "worker_options": ({},),
    "host": ("0.0.0.0",),
    "port": (0,),
    "dashboard_address": (":0",),
}


def _config(value, key):
    """VALUE if given, else Dask's configuration KEY (None when unset)."""
    return value if value is not None else dask.config.get(key, None)


def _resources(prefix, vcores, memory, gpus):
    """A spec's resources from PREFIX_vcores, PREFIX_memory and PREFIX_gpus."""
    r = {}
    if vcores is not None:
        r["vcores"] = _whole(vcores, prefix + "_vcores", 1)
    if memory is not None:
        r["memory"] = _memory(memory, prefix + "_memory")
    if gpus is not None:
        r["gpus"] = _whole(gpus, prefix + "_gpus")
    return r


class YarnCluster(Cluster):
    """A Dask cluster on YARN, started by Spindle, with dask-yarn's arguments.

    The scheduler runs in a YARN container (dask-yarn's deploy_mode="remote"),
    or with deploy_mode="local" in this process, the application running only
    the workers.
    Arguments Spindle cannot honour yet raise, naming them (``REFUSED``).
    """

    def __init__(self, environment=None, n_workers=None, worker_vcores=None, worker_memory=None,
                 worker_restarts=None, worker_env=None, worker_class=None, worker_options=None,
                 worker_gpus=None, scheduler_vcores=None, scheduler_memory=None, scheduler_gpus=None,
                 deploy_mode=None, name=None, queue=None, tags=None, user=None, host=None, port=None,
                 dashboard_address=None, skein_client=None, asynchronous=False, loop=None,
                 lifetime=None, node_label=None):
        # dask-yarn's defaults from Dask's configuration (~/.config/dask/yarn.yaml).
        environment = _config(environment, "yarn.environment")
        n_workers = _config(n_workers, "yarn.worker.count")
        worker_vcores = _config(worker_vcores, "yarn.worker.vcores")
        worker_memory = _config(worker_memory, "yarn.worker.memory")
        worker_gpus = _config(worker_gpus, "yarn.worker.gpus")
        worker_restarts = _config(worker_restarts, "yarn.worker.restarts")
        worker_env = _config(worker_env, "yarn.worker.env")
        worker_class = _config(worker_class, "yarn.worker.worker_class")
        worker_options = _config(worker_options, "yarn.worker.worker_options")
        scheduler_vcores = _config(scheduler_vcores, "yarn.scheduler.vcores")
        scheduler_memory = _config(scheduler_memory, "yarn.scheduler.memory")
        scheduler_gpus = _config(scheduler_gpus, "yarn.scheduler.gpus")
        deploy_mode = _config(deploy_mode, "yarn.deploy-mode")
        name = _config(name, "yarn.name")
        queue = _config(queue, "yarn.queue")
        tags = _config(tags, "yarn.tags")
        user = _config(user, "yarn.user") or None
        host = _config(host, "yarn.host")
        port = _config(port, "yarn.port")
        dashboard_address = _config(dashboard_address, "yarn.dashboard-address")
        if dask.config.get("yarn.specification", None) is not None:
            raise NotImplementedError("Dask configuration yarn.specification: it names a skein specification, "
                                      "which Spindle does not read; use YarnCluster.from_specification with a Spindle spec")
        given = dict(skein_client=skein_client, loop=loop)
        local = _deploy_mode(deploy_mode, host, port, dashboard_address)
        if local is None:
            given.update(host=host, port=port, dashboard_address=dashboard_address)
        for arg, value in given.items():
            # dask-yarn's own defaults mean "nothing asked": the same as None.
            if value is not None and value not in _NEUTRAL.get(arg, ()):
                raise NotImplementedError(f"YarnCluster({arg}={value!r}): {REFUSED[arg]}")
        if asynchronous:
            raise NotImplementedError(f"YarnCluster(asynchronous=True): {REFUSED['asynchronous']}")

        worker = {"name": "worker", "instances": 0 if n_workers is None else _whole(n_workers, "n_workers"),
                  "resources": _resources("worker", worker_vcores, worker_memory, worker_gpus)}
        if worker_restarts is not None:
            worker["max_restarts"] = _whole(worker_restarts, "worker_restarts", -1)  # -1: unlimited, as in dask-yarn
        if worker_env is not None:
            if not isinstance(worker_env, dict):
                raise ValueError(f"worker_env: {worker_env!r}: want a dict of names to strings")
            worker["env"] = {str(k): str(v) for k, v in worker_env.items()}
        if node_label is not None:
            worker["node_label"] = str(node_label)
        worker.update(_worker_class_and_options(worker_class, worker_options))
        scheduler = {"resources": _resources("scheduler", scheduler_vcores, scheduler_memory, scheduler_gpus)}
        spec = {"name": name or "dask", "scheduler": scheduler, "workers": [worker]}
        if environment is not None:
            spec["environment"] = str(environment)
        if queue is not None:
            spec["queue"] = str(queue)
        if tags is not None:
            if isinstance(tags, str):
                raise ValueError(f"tags: {tags!r}: want a list of strings")
            spec["tags"] = [str(t) for t in tags]
        if user is not None:
            spec["user"] = str(user)
        if lifetime is not None:
            spec["lifetime"] = str(lifetime)

        self._start_from(spec, {k: v for k, v in dict(
            environment=environment, n_workers=n_workers, worker_vcores=worker_vcores,
            worker_memory=worker_memory, worker_gpus=worker_gpus, worker_restarts=worker_restarts,
            scheduler_vcores=scheduler_vcores, scheduler_memory=scheduler_memory,
            scheduler_gpus=scheduler_gpus, name=name, queue=queue, user=user, lifetime=lifetime,
            node_label=node_label).items() if v is not None}, local)

    @classmethod
    def from_specification(cls, spec):
        """Starts a cluster from a Spindle spec: a YAML file's path (its relative
        paths are taken from its folder) or a dict of the same keys, e.g.
        several worker pools. Errors in it raise ValueError with the CLI's text."""
        if isinstance(spec, os.PathLike):
            spec = os.fspath(spec)
        if not isinstance(spec, (str, dict)):
            raise ValueError(f"spec: {type(spec).__name__}: give a spec file's path or a dict")
        self = cls.__new__(cls)
        self._start_from(spec, {})
        return self

    def _start_from(self, spec, given, local=None):
        name = spec.get("name") if isinstance(spec, dict) else None
        Cluster.__init__(self, asynchronous=False, name=name or None)
        self.app_id = None
        self._dashboard = ""
        # The arguments behind the spec, to name them in errors.
        self._given = given
        self._local_scheduler = None
        try:
            if local is not None:
                spec["external_scheduler"] = self._start_local_scheduler(**local)
            self._submit(spec)
        except BaseException:
            # Nothing runs: no "unclosed cluster" warning for this object.
            self.status = Status.closed
            self._stop_local_scheduler()
            raise
        self._connect()

    @classmethod
    def from_application_id(cls, app_id):
        """Connects to a running Spindle application; close() stops it, as in dask-yarn."""
        if not isinstance(app_id, str) or not re.fullmatch(r"application_\d+_\d+", app_id):
            raise ValueError(f"app_id: {app_id!r}: want application_<cluster timestamp>_<number>")
        self = cls.__new__(cls)
        Cluster.__init__(self, asynchronous=False, name=app_id)
        self.app_id = app_id
        proc = _run(["address", app_id, "--json"])
        if proc.returncode != 0:
            raise SpindleError(f"application {app_id}: no scheduler address: {proc.stderr.strip()}",
                               proc.returncode, proc.stderr.strip())
        out = json.loads(proc.stdout)
        self._dashboard = out.get("dashboard_address", "")
        self._connect(out["scheduler_address"])
        return self

    def _submit(self, spec):
        with tempfile.TemporaryDirectory(prefix="dask-spindle-") as tmp:
            path = spec
            if isinstance(spec, dict):
                path = os.path.join(tmp, "spec.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(spec, f)
            proc = _run(["submit", "--wait", "--json", path], timeout=SUBMIT_TIMEOUT)
        err = proc.stderr.strip()
        if proc.returncode == EXIT_USAGE:
            where = f"YarnCluster({self._arguments_named(err, self._given)})" if self._given \
                else "YarnCluster.from_specification(spec)"
            raise ValueError(f"{where}: {err}")
        if proc.returncode != 0:
            app = ""
            try:
                app = json.loads(proc.stdout).get("app_id", "")
            except ValueError:
                app = proc.stdout.strip()
            what = "YARN failed the application" if proc.returncode == EXIT_FAILED else "starting the cluster failed"
            if app:
                what += " " + app
            raise SpindleError(f"{what}: spindle exited {proc.returncode}: {err}", proc.returncode, err)
        out = json.loads(proc.stdout)
        self.app_id = out["app_id"]
        self._dashboard = out.get("dashboard_address", "")
        self._scheduler_address = out["scheduler_address"]

    @staticmethod
    def _arguments_named(err, given):
        """The arguments a CLI validation error is about: by the spec key it
        names, else by the value it quotes (a size or duration it cannot read)."""
        names = []
        for pattern, arg in _KEY_TO_ARG:
            if pattern.search(err) and arg not in names:
                names.append(arg)
        for arg, value in given.items():
            if f'"{value}"' in err and arg not in names:
                names.append(arg)
        return ", ".join(names) if names else "..."

    def _connect(self, address=None):
        # No address: the one of the application this object submitted.
        ours = address is None
        address = address or self._scheduler_address
        self.scheduler_comm = rpc(address)
        try:
            # The event loop thread the sync methods (and Client(cluster)) use.
            if not self._loop_runner.is_started():
                self._loop_runner.start()  # deploy_mode="local" started it
            self.sync(self._start)
        except Exception:
            # The scheduler is unreachable: do not leave an application we
            # started running (one we attached to is the user's to stop).
            self.status = Status.closed
            if ours:
                self._stop_app()
            self._stop_local_scheduler()  # stops the loop too when there is one
            self._loop_runner.stop()
            raise

    @property
    def dashboard_link(self):
        return self._dashboard

    def scale(self, n, pool="worker"):
        """Sets the number of workers of POOL (the constructor's is "worker");
        scaling down retires workers through Dask first."""
        if not isinstance(pool, str):
            raise ValueError(f"pool: {pool!r}: want a pool's name")
        _check(_run(["scale", self.app_id, "--workers", str(_whole(n, "n")), "--pool", pool]),
               f"scale {self.app_id} pool {pool}")

    def adapt(self, minimum=0, maximum=math.inf, pool="worker", **kwargs):
        """Hands POOL's size to the application master (spindle adapt), which
        follows the Dask scheduler's adaptive_target within [minimum, maximum]
        and goes on after this process ends; scale() turns it off. maximum=inf
        is Spindle's limit, 10,000. Dask's other adapt options are refused."""
        if kwargs:
            raise NotImplementedError(f"adapt({', '.join(sorted(kwargs))}=...): the application master's "
                                      "adaptive scaling has fixed intervals; only minimum and maximum are supported")
        if maximum == math.inf:
            maximum = MAX_INSTANCES
        if not isinstance(pool, str):
            raise ValueError(f"pool: {pool!r}: want a pool's name")
        _check(_run(["adapt", self.app_id, "--min", str(_whole(minimum, "minimum")),
                     "--max", str(_whole(maximum, "maximum")), "--pool", pool]), f"adapt {self.app_id} pool {pool}")

    def workers(self):
        """The worker containers (those not completed), as ``spindle containers --json`` gives them."""
        proc = _check(_run(["containers", self.app_id, "--json"]), f"containers {self.app_id}")
        return [c for c in json.loads(proc.stdout)
                if c.get("service") != "scheduler" and c.get("state") not in ("completed", "retired")]

    def logs(self, scheduler=True, workers=True):
        """The containers' logs as dask-yarn returns them: a dict from container
        id to its log files, in ``yarn logs``' text (``spindle logs``)."""
        if not isinstance(workers, bool):
            raise NotImplementedError("logs(workers=[...]): choosing workers is not supported yet; give True or False")
        services = (["scheduler"] if scheduler else []) + (["worker"] if workers else [])
        if not services:
            return {}
        proc = _run(["logs", self.app_id] + [a for s in services for a in ("--service", s)])
        # 9: some logs are missing (stderr says which); the rest is printed.
        if proc.returncode not in (0, 9):
            _check(proc, f"logs {self.app_id}")
        out, current = {}, None
        for line in proc.stdout.splitlines(keepends=True):
            m = re.match(r"Container: (container_\S+) on ", line)
            if m:
                current = m.group(1)
            if current:
                out[current] = out.get(current, "") + line
        return out

    def status_report(self):
        """The application report, as ``spindle status --json`` gives it."""
        return json.loads(_check(_run(["status", self.app_id, "--json"]), f"status {self.app_id}").stdout)

    def _stop_app(self):
        if self.app_id:
            proc = _run(["stop", "--wait", self.app_id], timeout=CALL_TIMEOUT)
            # 5: it had already ended; nothing to stop.
            if proc.returncode not in (0, 5):
                _check(proc, f"stop {self.app_id}")

    async def _close(self):
        if self.status == Status.closed:
            return
        await super()._close()
        await asyncio.get_running_loop().run_in_executor(None, self._stop_app)
        await self._close_local_scheduler()

    def close(self, timeout=None):
        """Disconnects and stops the application (spindle stop --wait)."""
        try:
            return super().close(timeout=timeout)
        finally:
            self._loop_runner.stop()

    def shutdown(self, status="SUCCEEDED", diagnostics=None):
        """Stops the application (final status SUCCEEDED). Other statuses are not supported yet."""
        if status != "SUCCEEDED" or diagnostics is not None:
            raise NotImplementedError("shutdown(status=..., diagnostics=...): only a SUCCEEDED stop without diagnostics is supported yet")
        self.close()

    # deploy_mode="local": the scheduler in this process, the workers in
    # the application (its spec's external_scheduler).

    def _start_local_scheduler(self, host, port, dashboard_address):
        """Starts a Dask scheduler on this object's event loop, listening as
        dask-yarn's does (host 0.0.0.0: every interface, advertised under
        this machine's IP address), and returns the spec's external_scheduler."""
        self._loop_runner.start()
        self.sync(self._start_scheduler_async, host, port, dashboard_address)
        sched = self._local_scheduler
        address = sched.address
        http_host = sched.http_server.address
        if http_host in ("", "0.0.0.0", "::"):
            # Listening on every interface: workers reach it where they reach the scheduler.
            http_host = get_address_host(address)
        dashboard = unparse_host_port(http_host, sched.http_server.port)
        self._dashboard = f"http://{dashboard}/status"
        return {"address": address, "dashboard_address": dashboard}

    async def _start_scheduler_async(self, host, port, dashboard_address):
        from distributed import Scheduler

        routes = list(dask.config.get("distributed.scheduler.http.routes", []))
        if SCHEDULER_API_ROUTE not in routes:
            # The workers' runtimes and the AM use the scheduler's REST API.
            routes.append(SCHEDULER_API_ROUTE)
        with dask.config.set({"distributed.scheduler.http.routes": routes}):
            self._local_scheduler = await Scheduler(host=host, port=port, dashboard_address=dashboard_address)

    async def _close_local_scheduler(self):
        if self._local_scheduler is not None:
            sched, self._local_scheduler = self._local_scheduler, None
            await sched.close()

    def _stop_local_scheduler(self):
        """Closes the local scheduler (if any) and the loop it ran on, when
        the cluster could not start."""
        try:
            if getattr(self, "_local_scheduler", None) is not None:
                self.sync(self._close_local_scheduler)
        finally:
            self._loop_runner.stop()


# The scheduler's REST API route (Spindle's runtime enables it in the
# schedulers it starts; a local one needs it too).
SCHEDULER_API_ROUTE = "distributed.http.scheduler.api"


def _deploy_mode(deploy_mode, host, port, dashboard_address):
    """None for deploy_mode "remote" (the default); for "local", the local
    scheduler's host, port and dashboard_address with dask-yarn's defaults."""
    if deploy_mode in (None, "remote"):
        return None
    if deploy_mode != "local":
        raise ValueError(f"deploy_mode: {deploy_mode!r}: want 'remote' or 'local'")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535):
        raise ValueError(f"port: {port!r}: want a port number from 0 (any free port) to 65535")
    for arg, value in (("host", host), ("dashboard_address", dashboard_address)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{arg}: {value!r}: want a string")
    return {"host": host or "0.0.0.0", "port": port or 0,
            "dashboard_address": ":0" if dashboard_address is None else dashboard_address}


# worker_options that `dask worker` takes as flags: Spindle passes these
# (its spec's workers[].worker_options), each value checked and converted
# to the form the spec takes.
def _seconds(value, key):
    try:
        return f"{dask.utils.parse_timedelta(value, default='seconds')}s"
    except (TypeError, ValueError):
        raise ValueError(f"{key}: {value!r}: want seconds or a duration such as '90s' or '1 hour'") from None


def _bool(value, key):
    if not isinstance(value, bool):
        raise ValueError(f"{key}: {value!r}: want True or False")
    return value


def _memory_limit(value, key):
    if isinstance(value, float) and not isinstance(value, bool):
        raise ValueError(f"{key}: {value!r}: a fraction of the node's memory is not the container's; give bytes or a size such as '2GiB'")
    try:
        n = dask.utils.parse_bytes(value) if isinstance(value, str) else _whole(value, key)
    except ValueError as e:
        raise ValueError(f"{key}: {value!r}: {e}") from None
    if n <= 0:
        raise ValueError(f"{key}: {value!r}: 0 (no limit) is not possible in a YARN container: give a size")
    return f"{n}B"


def _resources_option(value, key):
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for k, v in value.items()):
        raise ValueError(f"{key}: {value!r}: want a dict of resource names to amounts, such as {{'GPU': 1}}")
    return dict(value)


def _preload(value, key):
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: {value!r}: want a module name or file path, or a list of them")
    return list(value)


WORKER_OPTIONS = {
    "nthreads": lambda v, k: _whole(v, k, 1),
    "memory_limit": _memory_limit,
    "resources": _resources_option,
    "local_directory": lambda v, k: str(v),
    "death_timeout": _seconds,
    "lifetime": _seconds,
    "lifetime_stagger": _seconds,
    "lifetime_restart": _bool,
    "dashboard": _bool,
    "preload": _preload,
}

# Worker arguments Spindle sets itself, each with why.
WORKER_OPTIONS_REFUSED = {
    "name": "Spindle names each worker after its YARN container, to find it in the scheduler",
    "host": "a worker listens on its NodeManager's host, which Spindle sets",
    "contact_address": "a worker is reached on its NodeManager's host, which Spindle sets",
    "listen_address": "a worker listens on its NodeManager's host, which Spindle sets",
    "interface": "a worker listens on its NodeManager's host, which Spindle sets",
    "dashboard_address": "Spindle gives each worker's dashboard a free port on its host",
    "scheduler_ip": "the scheduler is the application's",
    "scheduler_port": "the scheduler is the application's",
    "scheduler_file": "the scheduler is the application's",
    "nworkers": "one worker runs per container: use n_workers",
    "n_workers": "one worker runs per container: use n_workers",
}


def _worker_class_and_options(worker_class, worker_options):
    """A pool's worker_class and worker_options for the spec: dask-yarn's
    Nanny default is no option; an option that is no `dask worker` flag
    Spindle passes raises NotImplementedError naming it."""
    out = {}
    if worker_class is not None and worker_class not in _NEUTRAL["worker_class"]:
        if not isinstance(worker_class, str):
            raise ValueError(f"worker_class: {worker_class!r}: want the class's dotted name, such as 'distributed.Worker'")
        out["worker_class"] = worker_class
    if worker_options is None:
        return out
    if not isinstance(worker_options, dict):
        raise ValueError(f"worker_options: {worker_options!r}: want a dict of Worker arguments")
    opts = {}
    for name, value in worker_options.items():
        key = f"worker_options[{name!r}]"
        if name in WORKER_OPTIONS_REFUSED:
            raise NotImplementedError(f"{key}: {WORKER_OPTIONS_REFUSED[name]}")
        if name not in WORKER_OPTIONS:
            raise NotImplementedError(f"{key}: not a `dask worker` option Spindle passes; it passes {', '.join(WORKER_OPTIONS)}")
        if value is None:
            continue
        if name == "memory_limit" and value == "auto":
            continue  # Spindle's default: the container's memory
        opts[name] = WORKER_OPTIONS[name](value, key)
    if opts:
        out["worker_options"] = opts
    return out
