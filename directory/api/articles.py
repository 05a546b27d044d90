"""GET /api/v1/articles: the Learn section's articles, searched by text or listed newest first."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from directory.api import blp
from directory.api.views import json_response, problem_response
from directory.context import es, settings
from directory.learn import all_articles
from directory.search.articles import search_articles


class ArticleSearchArgs(Schema):
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "Free text over titles, descriptions, FAQs and bodies; typos are "
            "tolerated. Without it, every article is listed, newest first."
        },
    )
    limit = fields.Integer(
        load_default=10,
        validate=validate.Range(1, 50),
        metadata={"description": "At most this many (1-50)."},
    )


class ArticleSummary(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    treatment = fields.String(metadata={"description": "Treatment code the article is about."})
    url = fields.Url(metadata={"description": "The article's page."})


class ArticleResults(Schema):
    total = fields.Integer(metadata={"description": "Matching articles (all articles without q)."})
    results = fields.List(fields.Nested(ArticleSummary))


FIELDS = ("slug", "title", "description", "treatment")


def summary(data: dict) -> dict:
    """The public fields of an article (or of a search hit) and its page's address."""
    return {
        **{key: data[key] for key in FIELDS},
        "url": url_for("learn.article", slug=data["slug"], _external=True),
    }


@blp.route("/articles")
class Articles(MethodView):
    @blp.arguments(ArticleSearchArgs(), location="query")
    @blp.response(200, ArticleResults)
    @problem_response(400, "A parameter is invalid.")
    @problem_response(503, "Article search is unavailable.")
    def get(self, args: dict):
        """Educational articles: the best matches for q, or all of them newest first."""
        q = args.get("q", "").strip()
        if q:
            hits = search_articles(es(), settings().articles_index, q, args["limit"])
            return json_response({"total": hits.total, "results": [summary(h) for h in hits]})
        articles = all_articles()
        return json_response(
            {
                "total": len(articles),
                "results": [summary(vars(a)) for a in articles[: args["limit"]]],
            }
        )
