"""gunicorn.conf.py with the real server: slow clients, huge bodies, banner, control sockets
(issue 12, findings 5 and 10)."""

import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.once
ROOT = Path(__file__).resolve().parent.parent
READ_TIMEOUT = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(directory_settings, tmp_path_factory):
    """The sample directory under gunicorn with two sync workers; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_READ_TIMEOUT": str(READ_TIMEOUT),
        "ACCESS_LOG": "0",
        "ELASTICSEARCH_URL": directory_settings.elasticsearch_url,
        "DIRECTORY_INDEX": directory_settings.index,
        "DATABASE_URL": directory_settings.database_url,
        "DIRECTORY_PUBLIC_URL": "https://directory.example.org",
        "DIRECTORY_SECRET_KEY": "gunicorn-test",
        "GUNICORN_CONTROL_SOCKET": str(tmp_path_factory.mktemp("ctl") / "g.ctl"),
    }
    log = tmp_path_factory.mktemp("gunicorn") / "log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "directory:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/robots.txt", timeout=2)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def test_no_server_banner_and_the_security_headers(server):
    with urllib.request.urlopen(f"{server}/robots.txt") as resp:
        assert "Server" not in resp.headers
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "Sitemap: https://directory.example.org/sitemap.xml" in resp.read().decode()


def test_half_sent_requests_do_not_take_the_workers_away(server):
    """Three clients stop half-way through their requests (more than there are workers); an
    ordinary request is still answered once the read timeout has dropped them."""
    port = int(server.rsplit(":", 1)[1])
    stalled = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        stalled.append(s)
    started = time.monotonic()
    with urllib.request.urlopen(f"{server}/robots.txt", timeout=READ_TIMEOUT * 5) as resp:
        assert resp.status == 200
    assert time.monotonic() - started < READ_TIMEOUT * 3
    for s in stalled:
        s.close()


def test_a_huge_body_is_refused_before_it_is_sent(server):
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST /clinic/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1073741824\r\n\r\nemail=a"
        )
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")


def test_two_instances_on_one_host_have_their_own_control_sockets(monkeypatch):
    paths = set()
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    for bind in ("127.0.0.1:8000", "127.0.0.1:8001"):
        monkeypatch.setenv("BIND", bind)
        paths.add(runpy.run_path(str(ROOT / "gunicorn.conf.py")).get("control_socket"))
    assert len(paths) == 2 and None not in paths
