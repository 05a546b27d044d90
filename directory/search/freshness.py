"""The operators' freshness report, from the index: per metro (a city in its state), the share of
listings whose each group of facts was confirmed within 90 and within 180 days; and the verified
credentials expiring soon. One request each; the search document carries every group's last
confirmation (`facts.<group>.confirmed_at`)."""

from __future__ import annotations

from datetime import date, timedelta

from elasticsearch import Elasticsearch

from registry import provenance, vocabulary

WINDOWS = (90, 180)
METROS = 40


def _group_aggs(today: date) -> dict:
    out = {}
    for group in provenance.GROUPS:
        field = f"facts.{group}.confirmed_at"
        filters = {"has": {"exists": {"field": field}}}
        for days in WINDOWS:
            filters[f"d{days}"] = {"range": {field: {"gte": (today - timedelta(days=days)).isoformat()}}}
        out[group] = {"filters": {"filters": filters}}
    return out


def report_body(today: date) -> dict:
    groups = _group_aggs(today)
    return {
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            **groups,
            "states": {
                "terms": {"field": "address.state", "size": 100},
                "aggs": {"cities": {"terms": {"field": "address.city.raw", "size": METROS}, "aggs": groups}},
            },
        },
    }


def _shares(bucket: dict) -> dict:
    """{group: {"listings": n with the group, "d90": share, "d180": share}} (shares of those listings)."""
    out = {}
    for group in provenance.GROUPS:
        found = bucket[group]["buckets"]
        has = found["has"]["doc_count"]
        out[group] = {
            "listings": has,
            **{f"d{d}": (found[f"d{d}"]["doc_count"] / has if has else None) for d in WINDOWS},
        }
    return out


def freshness_report(client: Elasticsearch, alias: str, today: date) -> dict:
    """{"total": {count, groups}, "metros": [{city, state, count, groups}, ...] largest first}."""
    resp = client.search(index=alias, request_cache=True, **report_body(today))
    aggs = resp["aggregations"]
    metros = [
        {
            "city": city["key"],
            "state": state["key"],
            "count": city["doc_count"],
            "groups": _shares(city),
        }
        for state in aggs["states"]["buckets"]
        for city in state["cities"]["buckets"]
    ]
    metros.sort(key=lambda m: (-m["count"], m["state"], m["city"]))
    total = resp["hits"]["total"]["value"]
    return {"total": {"count": total, "groups": _shares(aggs)}, "metros": metros[:METROS]}


def expiring_credentials(
    client: Elasticsearch, alias: str, today: date, days: int = 30, size: int = 200
) -> list[dict]:
    """Listings with a verified credential expiring from `today` to `days` later, soonest first."""
    window = {"gte": today.isoformat(), "lte": (today + timedelta(days=days)).isoformat()}
    nested = {
        "nested": {
            "path": "certifications",
            "query": {
                "bool": {
                    "filter": [
                        {"term": {"certifications.verified": True}},
                        {"range": {"certifications.expires": window}},
                    ]
                }
            },
            "inner_hits": {"size": 5, "_source": ["certifications.code", "certifications.expires"]},
        }
    }
    resp = client.search(
        index=alias,
        size=size,
        query=nested,
        source=["id", "slug", "name", "address.city", "address.state"],
        sort=[
            {
                "certifications.expires": {
                    "order": "asc",
                    "nested": {"path": "certifications", "filter": nested["nested"]["query"]},
                }
            },
            {"id": "asc"},
        ],
    )
    names = vocabulary.certifications()
    out = []
    for hit in resp["hits"]["hits"]:
        src = hit["_source"]
        for inner in hit["inner_hits"]["certifications"]["hits"]["hits"]:
            cert = inner["_source"]
            out.append(
                {
                    **src,
                    "credential": names.get(cert["code"], {}).get("name", cert["code"]),
                    "expires": cert["expires"],
                }
            )
    return out
