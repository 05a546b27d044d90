"""Configuration from the environment, and the one place an Elasticsearch client is made."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from elasticsearch import Elasticsearch
from elasticsearch.serializer import (
    CompatibilityModeJsonSerializer,
    CompatibilityModeNdjsonSerializer,
    JsonSerializer,
    NdjsonSerializer,
    OrjsonSerializer,
)

from registry.http_node import HttpClientNode

# The repository: fixtures/, templates/, static/ and var/ (local state) live here.
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GAZETTEER_CACHE = Path.home() / ".cache" / "provider-directory"


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'directory.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Everything the indexer and the app read from the environment (see README, Configuration)."""

    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str | None = None
    elasticsearch_password: str | None = None
    elasticsearch_api_key: str | None = None
    elasticsearch_timeout: float = 5.0
    index: str = "providers"
    database_url: str = field(default_factory=_default_database_url)
    sniff: bool = False
    geocoder: str = "offline"
    geocode_cache: Path = ROOT / "var" / "geocode-cache.json"
    gazetteer_cache: Path = DEFAULT_GAZETTEER_CACHE
    index_shards: int = 1
    index_replicas: int = 0
    indexer_workers: int | None = None  # None: one process per core but one, at least two
    mail_url: str = f"file://{ROOT / 'var' / 'mail'}"  # see registry/mail.py
    mail_from: str = "Provider Directory <no-reply@localhost>"
    # After this many days without a confirmation a group of facts is "possibly out of date".
    facts_max_age_days: int = 180
    public_url: str = "http://127.0.0.1:8000"  # where links in mail sent outside a request point
    redis_url: str | None = None  # rate limits counted in Redis instead of memory + the store

    @property
    def articles_index(self) -> str:
        """The articles' alias sits beside the providers' one, so each environment gets its own."""
        return f"{self.index}_articles"

    @classmethod
    def from_env(cls, env: os._Environ | dict = os.environ) -> Settings:
        defaults = cls()
        return cls(
            elasticsearch_url=env.get("ELASTICSEARCH_URL", defaults.elasticsearch_url),
            elasticsearch_username=env.get("ELASTICSEARCH_USERNAME"),
            elasticsearch_password=env.get("ELASTICSEARCH_PASSWORD"),
            elasticsearch_api_key=env.get("ELASTICSEARCH_API_KEY"),
            elasticsearch_timeout=float(env.get("ELASTICSEARCH_TIMEOUT", defaults.elasticsearch_timeout)),
            index=env.get("DIRECTORY_INDEX", defaults.index),
            sniff=env.get("ELASTICSEARCH_SNIFF", "false").lower() in ("1", "true", "yes"),
            database_url=env.get("DATABASE_URL", defaults.database_url),
            geocoder=env.get("GEOCODER", defaults.geocoder),
            geocode_cache=Path(env.get("GEOCODE_CACHE", defaults.geocode_cache)),
            gazetteer_cache=Path(env.get("GAZETTEER_CACHE", defaults.gazetteer_cache)),
            index_shards=int(env.get("INDEX_SHARDS", defaults.index_shards)),
            index_replicas=int(env.get("INDEX_REPLICAS", defaults.index_replicas)),
            indexer_workers=int(env["INDEXER_WORKERS"]) if env.get("INDEXER_WORKERS") else None,
            mail_url=env.get("DIRECTORY_MAIL_URL", defaults.mail_url),
            mail_from=env.get("DIRECTORY_MAIL_FROM", defaults.mail_from),
            public_url=env.get("DIRECTORY_PUBLIC_URL", defaults.public_url),
            facts_max_age_days=int(env.get("DIRECTORY_FACTS_MAX_AGE_DAYS", defaults.facts_max_age_days)),
            redis_url=env.get("REDIS_URL") or None,
        )


class OrjsonNdjsonSerializer(CompatibilityModeNdjsonSerializer):
    """`_msearch` and `_bulk` bodies written by orjson (the client's own uses the json module):
    the same bytes, in a fraction of the time."""

    def json_dumps(self, data) -> bytes:
        return orjson.dumps(data, default=self.default)


# orjson both ways: several times faster than the json module for search responses.
_JSON, _NDJSON = OrjsonSerializer(), OrjsonNdjsonSerializer()
SERIALIZERS = {
    JsonSerializer.mimetype: _JSON,
    CompatibilityModeJsonSerializer.mimetype: _JSON,
    NdjsonSerializer.mimetype: _NDJSON,
    CompatibilityModeNdjsonSerializer.mimetype: _NDJSON,
}


def make_client(settings: Settings) -> Elasticsearch:
    """Build the Elasticsearch client; hosts may be a comma-separated list.

    Requests are spread round-robin over the hosts. A host that refuses or drops the connection
    is set aside (1 s, doubling up to 30 s while it keeps failing) and the request goes to the
    next one at once, up to twice. A request that times out is not repeated, so nothing waits
    longer than `elasticsearch_timeout` on a node that hangs; the following requests avoid it.
    Only with `sniff` does the client replace the given URLs by the addresses the cluster's
    nodes publish (every 60 s and after a failure): never behind a proxy or load balancer.
    """
    auth = {}
    if settings.elasticsearch_api_key:
        auth["api_key"] = settings.elasticsearch_api_key
    elif settings.elasticsearch_username:
        auth["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password or "")
    # Any sniffing option turns sniffing on in elasticsearch-py, so none is passed without `sniff`.
    # Not on start: the app must start (and answer 503) while the cluster is down.
    sniffing = {
        "sniff_before_requests": True,
        "sniff_on_node_failure": True,
        "min_delay_between_sniffing": 60,
        "sniff_timeout": settings.elasticsearch_timeout,
    }
    hosts = [h.strip() for h in settings.elasticsearch_url.split(",") if h.strip()]
    # Plain HTTP through the lean node (registry/http_node.py); TLS through urllib3's.
    plain = all(urlsplit(h).scheme == "http" for h in hosts)
    return Elasticsearch(
        hosts,
        node_class=HttpClientNode if plain else "urllib3",
        request_timeout=settings.elasticsearch_timeout,
        max_retries=2,
        retry_on_timeout=False,
        serializers=SERIALIZERS,
        **(sniffing if settings.sniff else {}),
        **auth,
    )
