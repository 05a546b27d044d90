"""The provider directory web app: search core, partner API, pages and clinic self-service."""

from __future__ import annotations

import http

from elasticsearch import ApiError, TransportError
from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from directory import safety
from registry import db, places
from registry.geocode import CachedGeocoder, make_geocoder
from registry.mail import make_mailer
from registry.settings import ROOT, Settings, make_client

API_CONFIG = {
    "API_TITLE": "Provider Directory API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


class DirectoryApi(Api):
    """flask-smorest's Api, minus its app-wide JSON error handler (pages want HTML errors), with
    its documented error responses as the API sends them: problem+json (directory.problems)."""

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        from flask_smorest.spec import prepare_response

        from directory.api.schemas import Problem
        from directory.problems import PROBLEM_TYPE

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 200 and status not in (204, 304):
                response["schema"] = Problem
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as an RFC 9457 problem document", "schema": Problem}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def create_app(config: dict | None = None) -> Flask:
    """App factory; `config` overrides what the environment says (tests use it)."""
    app = safety.PublicUrlFlask(
        __name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static")
    )
    safety.install_converters(app)
    app.config.from_mapping(SETTINGS=Settings.from_env(), **API_CONFIG)
    app.config.from_prefixed_env("DIRECTORY")
    app.config.from_mapping(config or {})
    settings: Settings = app.config["SETTINGS"]
    safety.init_app(app)  # first: its response headers are set after every other extension's

    app.extensions["elasticsearch"] = make_client(settings)
    app.extensions["store"] = db.open_store(settings.database_url)
    app.extensions["mail"] = make_mailer(settings.mail_url, settings.mail_from)
    app.extensions["geocoder"] = CachedGeocoder(
        make_geocoder(settings.geocoder, gazetteer_cache=settings.gazetteer_cache)
    )
    places.use_cache(settings.gazetteer_cache)  # query understanding shares the gazetteer

    from directory import (
        clinic,
        consultations,
        cost_guides,
        counting,
        freshness,
        health,
        learn,
        pages,
        partners,
        present,
        privacy,
        problems,
        ratelimit,
        review_pages,
        site,
    )
    from directory.api import blp as api_blueprint

    api = DirectoryApi(
        app,
        spec_kwargs={
            "info": {"description": "Find qualified providers of microneedling and related treatments."},
            "components": {
                "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
            },
            "security": [{"ApiKey": []}, {}],
        },
    )
    api.register_blueprint(api_blueprint)
    app.extensions["api"] = api
    ratelimit.init_app(app, app.extensions["store"], settings.redis_url)
    app.register_blueprint(health.bp)
    app.register_blueprint(partners.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(cost_guides.bp)
    present.init_app(app)
    app.register_blueprint(consultations.bp)
    review_pages.init_app(app)
    app.register_blueprint(privacy.cli)
    counting.init_app(app)
    freshness.init_app(app)
    clinic.init_app(app, ROOT)
    ratelimit.limit_views(app)

    app.register_error_handler(HTTPException, problems.handle_http_exception)
    app.register_error_handler(TransportError, problems.handle_search_unavailable)
    app.register_error_handler(ApiError, problems.handle_search_error)
    app.register_error_handler(Exception, problems.handle_unexpected)
    return app
