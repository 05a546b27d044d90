"""A throwaway local PostgreSQL server for the test suite (Debian's postgresql package).

    python tools/pgnode.py start | stop | url

Runs its own cluster (not the system one) under PG_NODE_HOME (default
/var/tmp/provider-directory-pg) on 127.0.0.1:PG_PORT (5433), as the `postgres` user when
run as root. fsync is off: this server holds test data only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

HOME = Path(os.environ.get("PG_NODE_HOME", "/var/tmp/provider-directory-pg"))
PORT = int(os.environ.get("PG_PORT", "5433"))
DATA = HOME / "data"
URL = f"postgresql+psycopg://postgres@127.0.0.1:{PORT}/postgres"


def bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not versions:
        if os.geteuid() != 0:
            sys.exit("PostgreSQL is missing: install Debian's postgresql package")
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "postgresql"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return bindir()
    return versions[-1].parent


def run_as_owner(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    return subprocess.run(args, **kwargs)


def ready() -> bool:
    return (
        run_as_owner(
            [str(bindir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(PORT)], capture_output=True
        ).returncode
        == 0
    )


def start() -> None:
    if ready():
        print(f"[pgnode] reusing server on port {PORT}", file=sys.stderr)
        return
    bin_ = bindir()
    if not (DATA / "PG_VERSION").exists():
        shutil.rmtree(HOME, ignore_errors=True)
        DATA.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(HOME, "postgres", "postgres")
            shutil.chown(DATA, "postgres", "postgres")
        run_as_owner(
            [str(bin_ / "initdb"), "-D", str(DATA), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    options = f"-p {PORT} -c listen_addresses=127.0.0.1 -k {HOME} -c fsync=off -c max_connections=200"
    run_as_owner(
        [
            str(bin_ / "pg_ctl"),
            "-D",
            str(DATA),
            "-o",
            options,
            "-l",
            str(HOME / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(60):
        if ready():
            print(f"[pgnode] server up on port {PORT}", file=sys.stderr)
            return
        time.sleep(0.5)
    sys.exit(f"PostgreSQL did not start; see {HOME / 'server.log'}")


def stop() -> None:
    run_as_owner([str(bindir() / "pg_ctl"), "-D", str(DATA), "-m", "fast", "stop"], check=False)


if __name__ == "__main__":
    commands = {"start": start, "stop": stop, "url": lambda: print(URL)}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
