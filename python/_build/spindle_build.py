"""PEP 517 backend for dask-spindle.

It builds the Go binary of the repository around this folder with
CGO_ENABLED=0 and writes a platform wheel holding the dask_spindle package
and the binary as ``<name>.data/scripts/spindle`` (executable), which pip
installs as the environment's ``bin/spindle``, as ruff and uv ship theirs.
Only what a wheel needs is implemented; there is no sdist (the binary
needs the Go sources of the whole repository, not only python/).
"""

import base64
import hashlib
import os
import platform
import subprocess
import sysconfig
import tempfile
import zipfile

NAME = "dask_spindle"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(HERE)
REQUIRES = ["distributed>=2023.1.0", "pyyaml>=5.1"]
# How long `go build` may take on a slow, busy machine.
GO_BUILD_TIMEOUT = 900

_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _platform_tag():
    # The binary is static, so any glibc or musl Linux of the same CPU runs it;
    # the tag is the build machine's, like any locally built platform wheel.
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _goarch():
    machine = platform.machine().lower()
    if machine not in _GOARCH:
        raise RuntimeError(f"dask-spindle: no Go architecture known for machine {machine!r}")
    return _GOARCH[machine]


def _build_binary(out):
    if not os.path.exists(os.path.join(REPO, "go.mod")) or not os.path.isdir(os.path.join(REPO, "cmd", "spindle")):
        raise RuntimeError(
            f"dask-spindle: the Go sources are not around {HERE} (want {REPO}/go.mod and cmd/spindle); "
            "build from a checkout of the repository: pip install ./python"
        )
    env = dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH=_goarch())
    version = os.environ.get("SPINDLE_VERSION", VERSION)
    cmd = [
        os.environ.get("GO", "go"), "build", "-trimpath",
        "-ldflags", f"-s -w -X github.com/spindle-yarn/spindle/cli.Version={version}",
        "-o", out, "./cmd/spindle",
    ]
    try:
        subprocess.run(cmd, cwd=REPO, env=env, check=True, timeout=GO_BUILD_TIMEOUT)
    except FileNotFoundError as e:
        raise RuntimeError("dask-spindle: building the wheel needs Go 1.26 on PATH (or GO=/path/to/go)") from e


def _metadata():
    lines = ["Metadata-Version: 2.1", "Name: dask-spindle", f"Version: {VERSION}",
             "Summary: Dask clusters on Hadoop YARN with Spindle: a dask-yarn compatible YarnCluster",
             "Requires-Python: >=3.9"]
    lines += [f"Requires-Dist: {r}" for r in REQUIRES]
    return "\n".join(lines) + "\n"


def _wheel_file(tag):
    return f"Wheel-Version: 1.0\nGenerator: spindle_build\nRoot-Is-Purelib: false\nTag: {tag}\n"


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    path = os.path.join(metadata_directory, dist_info)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "METADATA"), "w") as f:
        f.write(_metadata())
    with open(os.path.join(path, "WHEEL"), "w") as f:
        f.write(_wheel_file(f"py3-none-{_platform_tag()}"))
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tag = f"py3-none-{_platform_tag()}"
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "spindle")
        _build_binary(binary)
        target = os.path.join(wheel_directory, wheel_name)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            def add(arcname, data, mode=0o644):
                info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
                records.append(_record_line(arcname, data))

            pkg = os.path.join(HERE, NAME)
            for name in sorted(os.listdir(pkg)):
                if name.endswith(".py"):
                    with open(os.path.join(pkg, name), "rb") as f:
                        add(f"{NAME}/{name}", f.read())
            with open(binary, "rb") as f:
                # Executable in the zip: pip keeps the mode, so bin/spindle runs.
                add(f"{NAME}-{VERSION}.data/scripts/spindle", f.read(), 0o755)
            add(f"{dist_info}/METADATA", _metadata().encode())
            add(f"{dist_info}/WHEEL", _wheel_file(tag).encode())
            record = f"{dist_info}/RECORD"
            info = zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | 0o644) << 16
            zf.writestr(info, "\n".join(records + [f"{record},,"]) + "\n", zipfile.ZIP_DEFLATED)
    return wheel_name
