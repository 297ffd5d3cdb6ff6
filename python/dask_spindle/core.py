"""YarnCluster: dask-yarn's face over Spindle's command line."""

import asyncio
import html
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import dask.config
import dask.utils
import yaml
from distributed.comm import get_address_host, unparse_host_port
from distributed.core import Status, rpc
from distributed.deploy import Cluster
from distributed.security import Security
from distributed.utils import Log, Logs

logger = logging.getLogger(__name__)

# Exit codes of the spindle CLI (README "Exit codes").
EXIT_USAGE = 2
EXIT_FAILED = 7

# The most workers a pool may have (README "Limits").
MAX_INSTANCES = 10000

# shutdown()'s final statuses, and the bound on its diagnostics (bytes), as
# `spindle stop --final-status/--diagnostics` take them.
_FINAL_STATUSES = ("SUCCEEDED", "FAILED", "KILLED")
MAX_DIAGNOSTICS = 16 << 10

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
    (re.compile(r"external_scheduler: "), "deploy_mode"),
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


async def _arun(args, timeout=CALL_TIMEOUT):
    """_run without blocking the event loop (an asyncio subprocess)."""
    cmd = [spindle_binary()] + list(args) + ["--timeout", f"{timeout}s"]
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout + GRACE)
    except BaseException as e:
        # Timed out or cancelled: the CLI must not outlive its caller.
        if proc.returncode is None:
            proc.kill()
        if isinstance(e, asyncio.TimeoutError):
            raise SpindleError(f"spindle {args[0]} did not end within {timeout + GRACE}s") from None
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


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


def _check_diagnostics(text):
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("diagnostics: not UTF-8 text (it holds a lone surrogate)") from None
    if size > MAX_DIAGNOSTICS:
        raise ValueError(f"diagnostics: {size} bytes: at most {MAX_DIAGNOSTICS}")
    if "\x00" in text:
        raise ValueError("diagnostics: it holds a NUL character")


# What from_current() reads: set by Spindle's runtime for a client script
# (container/config.go, container/client.go).
_CURRENT_ENV = ("SPINDLE_APP_ID", "SPINDLE_AM_URL", "SPINDLE_SECRET_FILE")


def _dashboard_url(address, dashboard):
    """The dashboard's URL from the scheduler's address and the dashboard's
    host:port, as the AM publishes it (discovery.DashboardURL)."""
    host = urllib.parse.urlsplit(address).hostname
    port = dashboard.rpartition(":")[2]
    if not host or not port.isdigit() or int(port) == 0:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/status"


def _container_json(c):
    """A container of the AM's GET /v1/status with the keys of ``spindle containers --json``."""
    started = c.get("started")
    if not started or started.startswith("0001-01-01"):
        started = None
    return {"id": c.get("id", ""), "service": c.get("service", ""), "state": c.get("state", ""),
            "node": c.get("node", ""), "node_http_address": c.get("node_http_address", ""),
            "address": c.get("address", ""), "started_at": started, "exit_status": c.get("exit_status"),
            "diagnostics": c.get("diagnostics", "")}


class SpindleAdaptive:
    """What adapt() returns: the bounds handed to the application master.
    Asynchronous, ``await`` it for the call's end (and its errors)."""

    def __init__(self, minimum, maximum, pool):
        self.minimum, self.maximum, self.pool = minimum, maximum, pool
        self._task = None

    def __await__(self):
        async def done():
            if self._task is not None:
                await self._task
            return self
        return done().__await__()

    @staticmethod
    def _log_failure(task):
        if not task.cancelled() and task.exception() is not None:
            logger.error("adapt failed: %s", task.exception())

    def __repr__(self):
        return f"SpindleAdaptive(minimum={self.minimum}, maximum={self.maximum}, pool={self.pool!r})"


def _security(tls):
    """The distributed Security for an application's client key files (the
    CLI's "tls": ca_file, cert, key), or None for a plain application."""
    if not tls:
        return None
    return Security(tls_ca_file=tls["ca_file"], tls_client_cert=tls["cert"], tls_client_key=tls["key"],
                    require_encryption=True)


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
            environment = str(environment)
            # A relative path is from the current directory, as in dask-yarn
            # (the spec file the CLI reads is written elsewhere).
            if "://" not in environment and not os.path.isabs(environment):
                environment = os.path.abspath(environment)
            spec["environment"] = environment
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
            node_label=node_label).items() if v is not None}, asynchronous=bool(asynchronous), local=local)

    @classmethod
    def from_specification(cls, spec, asynchronous=False):
        """Starts a cluster from a Spindle spec: a YAML file's path (its relative
        paths are taken from its folder) or a dict of the same keys, e.g.
        several worker pools. Errors in it raise ValueError with the CLI's text."""
        if isinstance(spec, os.PathLike):
            spec = os.fspath(spec)
        if not isinstance(spec, (str, dict)):
            raise ValueError(f"spec: {type(spec).__name__}: give a spec file's path or a dict")
        self = cls.__new__(cls)
        self._start_from(spec, {}, asynchronous=bool(asynchronous))
        return self

    def _start_from(self, spec, given, asynchronous=False, local=None):
        name = spec.get("name") if isinstance(spec, dict) else None
        locate = (lambda: self._submit(spec)) if local is None else (lambda: self._submit_local(spec, local))
        self._init_common(name or None, asynchronous, locate=locate, owned=True)
        # The arguments behind the spec, to name them in errors.
        self._given = given
        for w in (spec.get("workers") or []) if isinstance(spec, dict) else []:
            if isinstance(w, dict) and isinstance(w.get("instances"), int):
                self._requested[w.get("name") or "worker"] = w["instances"]
        self._begin()

    def _init_common(self, name, asynchronous, locate, owned, stop_on_close=True):
        """State shared by every way of making a cluster. LOCATE is a coroutine
        function that sets app_id, the scheduler's and the dashboard's address
        (submitting, or finding a running application); OWNED: this object
        started the application (stop it when its scheduler cannot be reached);
        STOP_ON_CLOSE: close() stops the application."""
        Cluster.__init__(self, asynchronous=asynchronous, name=name)
        self.app_id = None
        self._dashboard = ""
        # A distributed Security with the client's key for a TLS application.
        self.security = None
        self._given = {}
        self._locate = locate
        self._owned = owned
        self._stop_on_close = stop_on_close
        # (final status, diagnostics) close() ends the application with.
        self._final = ("SUCCEEDED", None)
        # The AM's control API (url, secret) inside an application (from_current).
        self._am = None
        # Pool sizes asked for, and pools handed to adaptive scaling, by this
        # object: the widget's "Workers: ready / requested" and scaling mode.
        self._requested = {}
        self._adapting = {}

    def _begin(self):
        """Starts now (synchronous), or on ``await`` / ``async with``."""
        if self.asynchronous:
            return
        self._loop_runner.start()
        try:
            self.sync(self._start)
        except BaseException:
            self._loop_runner.stop()
            raise

    def __await__(self):
        async def start():
            if self.status == Status.created:
                await self._start()
            return self
        return start().__await__()

    async def _start(self):
        try:
            await self._locate()
        except BaseException:
            # Nothing runs: no "unclosed cluster" warning for this object.
            self.status = Status.closed
            await self._close_local_scheduler()
            raise
        if self.security is None and self._scheduler_address.startswith("tls://"):
            # Inside a TLS application (from_current): the runtime set Dask's
            # TLS configuration for the script.
            self.security = Security()
        # Client(cluster) takes the cluster's security too.
        conn = self.security.get_connection_args("client") if self.security else None
        self.scheduler_comm = rpc(self._scheduler_address, connection_args=conn)
        try:
            await super()._start()
        except BaseException:
            # The scheduler is unreachable: do not leave an application we
            # started running (one we attached to is the user's to stop).
            self.status = Status.closed
            await self.scheduler_comm.close_rpc()
            if self._owned:
                try:
                    await self._stop_app()
                except Exception as e:
                    logger.warning("could not stop %s after its scheduler was unreachable: %s", self.app_id, e)
            await self._close_local_scheduler()
            raise

    @classmethod
    def from_application_id(cls, app_id, asynchronous=False):
        """Connects to a running Spindle application. As in dask-yarn, close()
        only disconnects: the application goes on (whoever started it stops
        it); shutdown(status, diagnostics) ends it."""
        if not isinstance(app_id, str) or not re.fullmatch(r"application_\d+_\d+", app_id):
            raise ValueError(f"app_id: {app_id!r}: want application_<cluster timestamp>_<number>")
        self = cls.__new__(cls)
        self._init_common(app_id, bool(asynchronous), locate=lambda: self._attach(app_id), owned=False,
                          stop_on_close=False)
        self._begin()
        return self

    @classmethod
    def from_current(cls, asynchronous=False):
        """Inside an application (the script of ``spindle submit --script``):
        its cluster, from the variables Spindle's runtime set in the script's
        environment (SPINDLE_APP_ID, SPINDLE_AM_URL, SPINDLE_SECRET_FILE).
        Scaling and adapt go to the application master's control API directly.
        close() only disconnects: the application ends when the script does;
        shutdown(status, diagnostics) ends it at once."""
        missing = [k for k in _CURRENT_ENV if not os.environ.get(k)]
        if missing:
            raise SpindleError(f"YarnCluster.from_current(): not inside a Spindle application: {', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} not set (Spindle sets them for the script of "
                               "`spindle submit --script`); outside one, use YarnCluster.from_application_id(app_id)")
        app_id, url, secret_file = (os.environ[k] for k in _CURRENT_ENV)
        try:
            with open(secret_file) as f:
                secret = f.read(4096).strip()
        except OSError as e:
            raise SpindleError(f"YarnCluster.from_current(): cannot read the control secret ({_CURRENT_ENV[2]}): {e}") from None
        self = cls.__new__(cls)
        self._init_common(app_id, bool(asynchronous), locate=lambda: self._current(), owned=False, stop_on_close=False)
        self.app_id = app_id
        self._am = (url, secret)
        self._begin()
        return self

    async def _current(self):
        # The AM knows where the scheduler is now (it may have moved since
        # the script started with DASK_SCHEDULER_ADDRESS).
        info = await self._am_call("GET", "/v1/scheduler")
        address = info.get("address") or os.environ.get("DASK_SCHEDULER_ADDRESS", "")
        if not address:
            raise SpindleError(f"YarnCluster.from_current(): application {self.app_id} has no scheduler address yet")
        self._scheduler_address = address
        self._dashboard = _dashboard_url(address, info.get("dashboard_address") or "")

    async def _am_call(self, method, path, body=None):
        """One call to the application master's control API (from_current)."""
        url, secret = self._am
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers={
            "Authorization": "Bearer " + secret, "Content-Type": "application/json"})

        def call():
            # The AM is on the cluster's network: no proxy.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(req, timeout=CALL_TIMEOUT) as r:
                    return r.read(4 << 20)
            except urllib.error.HTTPError as e:
                raise SpindleError(f"application master {method} {path}: {e.code}: "
                                   f"{e.read(4096).decode(errors='replace').strip()}") from None
            except OSError as e:
                raise SpindleError(f"application master at {url} ({method} {path}): {e}") from None
        out = await asyncio.get_running_loop().run_in_executor(None, call)
        return json.loads(out) if out else None

    async def _attach(self, app_id):
        self.app_id = app_id
        proc = await _arun(["address", app_id, "--json"])
        if proc.returncode != 0:
            raise SpindleError(f"application {app_id}: no scheduler address: {proc.stderr.strip()}",
                               proc.returncode, proc.stderr.strip())
        out = json.loads(proc.stdout)
        self._dashboard = out.get("dashboard_address", "")
        self._scheduler_address = out["scheduler_address"]
        self.security = _security(out.get("tls"))

    async def _submit(self, spec):
        with tempfile.TemporaryDirectory(prefix="dask-spindle-") as tmp:
            path = spec
            if isinstance(spec, dict):
                path = os.path.join(tmp, "spec.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump(spec, f)
            proc = await _arun(["submit", "--wait", "--json", path], timeout=SUBMIT_TIMEOUT)
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
        self.security = _security(out.get("tls"))

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

    @property
    def dashboard_link(self):
        return self._dashboard

    def _scaling_status(self):
        # distributed's takes len(self.workers), which is a method here
        # (dask-yarn's workers()): the widget's Scaling tab failed with it.
        return f"<table>{self._status_rows()}</table>"

    def _status_rows(self):
        ready = len(self.scheduler_info["workers"])
        if self._adapting:
            mode = "Adaptive (" + ", ".join(f"{a.pool}: {a.minimum} to {a.maximum}" for a in self._adapting.values()) + ")"
        else:
            mode = "Manual"
        requested = sum(self._requested.values())
        count = f"{ready} / {requested}" if self._requested and not self._adapting and requested != ready else f"{ready}"
        cell = '<td style="text-align: left;">'
        return (f'<tr>{cell}<strong>Application:</strong> {html.escape(str(self.app_id))}</td>'
                f'{cell}<strong>Scaling:</strong> {html.escape(mode)}, workers ready / requested: {count}</td></tr>')

    def _repr_html_(self, cluster_status=None):
        # The application and the scaling state under the workers, cores and
        # memory of scheduler_info, which the scheduler's worker status
        # stream (Cluster._watch_worker_status) keeps current.
        return super()._repr_html_(cluster_status=cluster_status or self._status_rows())

    def scale(self, n, pool="worker"):
        """Sets the number of workers of POOL (the constructor's is "worker");
        scaling down retires workers through Dask first. Awaitable when
        asynchronous."""
        if not isinstance(pool, str):
            raise ValueError(f"pool: {pool!r}: want a pool's name")
        return self.sync(self._scale, _whole(n, "n"), pool)

    async def _scale(self, n, pool="worker"):
        if self._am:
            await self._am_call("POST", "/v1/scale", {"pool": pool, "instances": n})
        else:
            _check(await _arun(["scale", self.app_id, "--workers", str(n), "--pool", pool]),
                   f"scale {self.app_id} pool {pool}")
        self._adapting.pop(pool, None)
        self._requested[pool] = n

    def adapt(self, minimum=0, maximum=math.inf, pool="worker", **kwargs):
        """Hands POOL's size to the application master (spindle adapt), which
        follows the Dask scheduler's adaptive_target within [minimum, maximum]
        and goes on after this process ends; scale() turns it off. maximum=inf
        is Spindle's limit, 10,000. Dask's other adapt options are refused.
        Returns a SpindleAdaptive (minimum, maximum, pool); asynchronous, it is
        awaitable and the call is under way when adapt returns."""
        if kwargs:
            raise NotImplementedError(f"adapt({', '.join(sorted(kwargs))}=...): the application master's "
                                      "adaptive scaling has fixed intervals; only minimum and maximum are supported")
        if maximum == math.inf:
            maximum = MAX_INSTANCES
        if not isinstance(pool, str):
            raise ValueError(f"pool: {pool!r}: want a pool's name")
        adaptive = SpindleAdaptive(_whole(minimum, "minimum"), _whole(maximum, "maximum"), pool)
        if self.asynchronous:
            adaptive._task = asyncio.ensure_future(self._adapt(adaptive))
            adaptive._task.add_done_callback(adaptive._log_failure)
        else:
            self.sync(self._adapt, adaptive)
        return adaptive

    async def _adapt(self, a):
        if self._am:
            await self._am_call("POST", "/v1/adapt", {"pool": a.pool, "minimum": a.minimum, "maximum": a.maximum})
        else:
            _check(await _arun(["adapt", self.app_id, "--min", str(a.minimum), "--max", str(a.maximum), "--pool", a.pool]),
                   f"adapt {self.app_id} pool {a.pool}")
        self._adapting[a.pool] = a

    def workers(self):
        """The worker containers (those not completed), as ``spindle containers --json`` gives them."""
        return self.sync(self._workers)

    async def _workers(self):
        return [c for c in await self._containers()
                if c.get("service") not in ("scheduler", "client") and c.get("state") not in ("completed", "retired")]

    async def _containers(self):
        """The live containers, as ``spindle containers --json`` gives them."""
        if self._am:
            st = await self._am_call("GET", "/v1/status")
            return [_container_json(c) for c in st.get("containers") or [] if c.get("state") not in ("completed", "retired")]
        proc = _check(await _arun(["containers", self.app_id, "--json"]), f"containers {self.app_id}")
        return json.loads(proc.stdout)

    def logs(self, scheduler=True, workers=True):
        """The containers' logs, as dask-yarn returns them: a dict (Dask's
        ``Logs``) with the scheduler's under "Scheduler" and each worker's
        under its Dask address (its container id until it has one). WORKERS:
        True (all live workers), False, or a list of worker addresses, names
        or container ids. Each value is the container's log files in
        ``yarn logs``' text (``spindle logs --container``)."""
        if not isinstance(workers, bool):
            if isinstance(workers, str) or not all(isinstance(w, str) for w in workers):
                raise ValueError(f"workers: {workers!r}: give True, False, or a list of worker addresses, names or container ids")
            workers = list(workers)
        return self.sync(self._logs, bool(scheduler), workers)

    async def _logs(self, scheduler, workers):
        containers = await self._containers()
        keys = {}  # container id -> key in the result
        if scheduler:
            keys.update((c["id"], "Scheduler") for c in containers if c.get("service") == "scheduler")
        if workers:
            live = [c for c in containers if c.get("service") not in ("scheduler", "client")]
            if workers is not True:
                by = {}
                for c in live:
                    by[c["id"]] = c
                    if c.get("address"):
                        by[c["address"]] = c
                unknown = [w for w in workers if w not in by]
                if unknown:
                    raise ValueError(f"logs(workers=...): no live worker {', '.join(map(repr, unknown))} in {self.app_id}: "
                                     "give addresses from client.scheduler_info()['workers'], names or container ids")
                live = [by[w] for w in workers]
            keys.update((c["id"], c.get("address") or c["id"]) for c in live)
        out = Logs()
        if not keys:
            return out
        proc = await _arun(["logs", self.app_id, "--container", ",".join(keys)])
        # 9: some logs are missing (stderr says which); the rest is printed.
        if proc.returncode not in (0, 9):
            _check(proc, f"logs {self.app_id}")
        current = None
        for line in proc.stdout.splitlines(keepends=True):
            m = re.match(r"Container: (container_\S+) on ", line)
            if m:
                current = keys.get(m.group(1))
            if current:
                out[current] = Log(out.get(current, "") + line)
        return out

    def status_report(self):
        """The application report, as ``spindle status --json`` gives it,
        also after close() or shutdown(). Awaitable when asynchronous."""
        if not self.asynchronous and self._loop_closed():
            # Closed: the event loop is gone, the CLI is not.
            proc = _check(_run(["status", self.app_id, "--json"]), f"status {self.app_id}")
            return json.loads(proc.stdout)
        return self.sync(self._status_report)

    def _loop_closed(self):
        try:
            return self.loop.asyncio_loop.is_closed()
        except (AttributeError, RuntimeError):
            return True

    async def _status_report(self):
        return json.loads(_check(await _arun(["status", self.app_id, "--json"]), f"status {self.app_id}").stdout)

    async def _stop_app(self):
        status, diagnostics = self._final
        if self._am:
            await self._am_call("POST", "/v1/stop", {"final_status": status, "diagnostics": diagnostics or ""})
            return
        if self.app_id:
            args = ["stop", "--wait", self.app_id, "--final-status=" + status]
            if diagnostics:
                args.append("--diagnostics=" + diagnostics)
            proc = await _arun(args, timeout=CALL_TIMEOUT)
            # 5: it had already ended; nothing to stop.
            if proc.returncode not in (0, 5):
                _check(proc, f"stop {self.app_id}")

    async def _close(self):
        if self.status == Status.closed:
            return
        await super()._close()
        if self._stop_on_close:
            await self._stop_app()
        await self._close_local_scheduler()

    def close(self, timeout=None):
        """Disconnects and stops the application (spindle stop --wait);
        from_current()'s only disconnects. Awaitable when asynchronous."""
        try:
            return super().close(timeout=timeout)
        finally:
            self._loop_runner.stop()

    def shutdown(self, status="SUCCEEDED", diagnostics=None):
        """Ends the application with final STATUS (SUCCEEDED, FAILED or KILLED)
        and DIAGNOSTICS (shown by ``spindle status`` and YARN; at most 16 KiB),
        then disconnects, as dask-yarn's. Awaitable when asynchronous."""
        if status not in _FINAL_STATUSES:
            raise ValueError(f"status: {status!r}: want one of {', '.join(_FINAL_STATUSES)}")
        if diagnostics is not None:
            if not isinstance(diagnostics, str):
                raise ValueError(f"diagnostics: {type(diagnostics).__name__}: want a string")
            _check_diagnostics(diagnostics)
        self._final = (status, diagnostics)
        # Asked for explicitly: also inside the application (from_current).
        self._stop_on_close = True
        return self.close()

    # deploy_mode="local": the scheduler in this process, the workers in
    # the application (its spec's external_scheduler).

    async def _submit_local(self, spec, local):
        spec["external_scheduler"] = await self._start_local_scheduler(**local)
        await self._submit(spec)

    async def _start_local_scheduler(self, host, port, dashboard_address):
        """Starts a Dask scheduler on this cluster's event loop, listening as
        dask-yarn's does (host 0.0.0.0: every interface, advertised under
        this machine's IP address), and returns the spec's external_scheduler."""
        from distributed import Scheduler

        routes = list(dask.config.get("distributed.scheduler.http.routes", []))
        if SCHEDULER_API_ROUTE not in routes:
            # The workers' runtimes and the AM use the scheduler's REST API.
            routes.append(SCHEDULER_API_ROUTE)
        with dask.config.set({"distributed.scheduler.http.routes": routes}):
            self._local_scheduler = sched = await Scheduler(host=host, port=port, dashboard_address=dashboard_address)
        http_host = sched.http_server.address
        if http_host in ("", "0.0.0.0", "::"):
            # Listening on every interface: workers reach it where they reach the scheduler.
            http_host = get_address_host(sched.address)
        return {"address": sched.address, "dashboard_address": unparse_host_port(http_host, sched.http_server.port)}

    async def _close_local_scheduler(self):
        sched = getattr(self, "_local_scheduler", None)
        if sched is not None:
            self._local_scheduler = None
            await sched.close()


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
