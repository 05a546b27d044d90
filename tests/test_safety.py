"""directory/safety.py and the limits around it: trusted proxies, the public URL, body limits,
security headers, rate limits on pages and the export, the password rule (issue 12, findings 5,
6 and 10)."""

import io

import pytest

from directory import create_app
from registry import ratelimits
from registry.accounts import password_problem


class Endless(io.RawIOBase):
    """A request body of `size` bytes that counts what the server reads of it."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = self.size if whence == io.SEEK_END else offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        buffer[:] = b"a" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


@pytest.fixture
def proxied(directory_settings):
    """The sample directory's app behind one trusted proxy, with small page limits."""
    app = create_app(
        {
            "SETTINGS": directory_settings,
            "TESTING": True,
            "PUBLIC_URL": "https://directory.example.org",
            "TRUSTED_PROXIES": 1,
            "PAGE_LIMIT": "3 per minute",
            "ANONYMOUS_EXPORT_LIMIT": "2 per hour",
        }
    )
    ratelimits.clear(app.extensions["store"])
    yield app
    app.extensions["limiter"].flush()


def test_absolute_urls_come_from_the_public_url_never_the_host_header(proxied):
    web = proxied.test_client()
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    robots = web.get("/robots.txt", headers=headers).get_data(as_text=True)
    assert "Sitemap: https://directory.example.org/sitemap.xml" in robots
    found = web.get("/api/v1/providers?location=Charlotte, NC&limit=1", headers=headers).get_json()
    assert found["results"][0]["url"].startswith("https://directory.example.org/providers/")
    page = web.get("/learn/", headers=headers).get_data(as_text=True)
    assert "evil.example" not in page and 'content="https://directory.example.org/learn/"' in page


def test_the_public_url_is_required_outside_debug_and_tests(directory_settings, monkeypatch):
    monkeypatch.delenv("DIRECTORY_PUBLIC_URL")
    with pytest.raises(RuntimeError, match="DIRECTORY_PUBLIC_URL"):
        create_app({"SETTINGS": directory_settings})
    with pytest.raises(RuntimeError, match="like https://"):
        create_app({"SETTINGS": directory_settings, "PUBLIC_URL": "directory.example.org/x"})
    assert create_app({"SETTINGS": directory_settings, "PUBLIC_URL": "https://d.example"})


def test_every_response_carries_the_security_headers(web):
    for path in ("/", "/search?location=Charlotte, NC", "/api/v1/providers?location=Charlotte, NC", "/nope"):
        headers = web.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self';" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would mean nothing
        assert "Retry-After" not in headers


def test_hsts_follows_the_scheme_a_trusted_proxy_reports(proxied, web):
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    assert proxied.test_client().get("/", headers=https).headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in web.get("/", headers=https).headers  # no proxy trusted


def test_rate_limits_count_each_client_behind_the_proxy(proxied, web):
    """Behind the trusted proxy each visitor has their own page limit; without the setting a
    client cannot pick its own address with X-Forwarded-For."""
    client = proxied.test_client()

    def search(address: str) -> int:
        return client.get("/search?location=Charlotte, NC", headers={"X-Forwarded-For": address}).status_code

    assert [search("192.0.2.1") for _ in range(4)] == [200, 200, 200, 429]
    assert search("192.0.2.2") == 200  # another visitor, not the proxy's one shared counter
    profile = client.get("/api/v1/providers?location=Charlotte, NC&limit=1").get_json()["results"][0]["url"]
    path = profile.removeprefix("https://directory.example.org")
    codes = [client.get(path, headers={"X-Forwarded-For": "192.0.2.3"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    export = "/api/v1/providers/export?updated_since=2026-11-30T00:00:00Z"
    codes = [client.get(export, headers={"X-Forwarded-For": "192.0.2.4"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]

    untrusted = [
        web.get("/api/v1/suggest?q=gl", headers={"X-Forwarded-For": f"10.0.0.{n}"}) for n in range(3)
    ]
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in untrusted] == [59, 58, 57]


def test_a_body_over_the_limit_is_refused_before_it_is_read(web):
    body = Endless(2**30)
    resp = web.post("/clinic/login", input_stream=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413 and body.read_bytes == 0
    upload = Endless(50 * 2**20)
    resp = web.post("/clinic/photos", input_stream=upload, content_type="multipart/form-data; boundary=x")
    assert resp.status_code == 413 and upload.read_bytes == 0
    assert "10.25 MB" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "email", "refused"),
    [
        ("a long passphrase here", "a@clinic.test", False),  # one letter of an email is no rule
        ("bob-is-my-password", "bob@clinic.test", False),
        ("owner-password-2026", "owner@clinic.test", True),
        ("owner@clinic.test!", "owner@clinic.test", True),
        ("owner@clinic.test", "owner@clinic.test", True),
    ],
)
def test_the_password_rule_refuses_the_email_not_its_letters(password, email, refused):
    problem = password_problem(password, email)
    assert (problem is not None and "email" in problem) == refused
