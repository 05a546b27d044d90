"""A throwaway local Redis server for the test suite (Debian's redis-server package).

    python tools/redisnode.py start | stop | url

Runs its own server (not a system one) on 127.0.0.1:REDIS_PORT (6390) with its files under
REDIS_NODE_HOME (default /var/tmp/provider-directory-redis), as the `redis` user when run as
root, without persistence: it holds rate-limit counters of tests only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HOME = Path(os.environ.get("REDIS_NODE_HOME", "/var/tmp/provider-directory-redis"))
PORT = int(os.environ.get("REDIS_PORT", "6390"))
URL = f"redis://127.0.0.1:{PORT}/0"


def server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("Redis is missing: install Debian's redis-server package")
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "redis-server"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return server()


def ping() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start() -> None:
    if ping():
        print(f"[redisnode] reusing server on port {PORT}", file=sys.stderr)
        return
    binary = server()
    HOME.mkdir(parents=True, exist_ok=True)
    owner = {}
    if os.geteuid() == 0:
        user = pwd.getpwnam("redis")
        shutil.chown(HOME, user.pw_uid, user.pw_gid)
        owner = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    subprocess.run(
        [
            binary,
            "--port", str(PORT),
            "--bind", "127.0.0.1",
            "--dir", str(HOME),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", str(HOME / "redis.pid"),
            "--logfile", str(HOME / "redis.log"),
        ],
        check=True,
        **owner,
    )  # fmt: skip
    for _ in range(60):
        if ping():
            print(f"[redisnode] server up on port {PORT}", file=sys.stderr)
            return
        time.sleep(0.25)
    sys.exit(f"Redis did not start; see {HOME / 'redis.log'}")


def stop() -> None:
    pidfile = HOME / "redis.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), 15)


if __name__ == "__main__":
    commands = {"start": start, "stop": stop, "url": lambda: print(URL)}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
