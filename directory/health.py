"""GET /healthz: is the app up, can it reach Elasticsearch, how many listings are served."""

from elasticsearch import ApiError, NotFoundError, TransportError
from flask import Blueprint, jsonify

from directory.context import es, settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report Elasticsearch reachability and the document count behind the alias."""
    client, alias = es(), settings().index
    try:
        cluster = client.cluster.health(timeout="2s")
        try:
            documents = client.count(index=alias)["count"]
        except NotFoundError:
            documents = None
    except (TransportError, ApiError) as err:
        body = {"status": "degraded", "elasticsearch": {"reachable": False, "error": type(err).__name__}}
        return jsonify(body), 503
    body = {
        "status": "ok" if documents is not None else "degraded",
        "elasticsearch": {"reachable": True, "cluster_status": cluster["status"]},
        "index": {"alias": alias, "documents": documents},
    }
    return jsonify(body), 200 if documents is not None else 503
