"""The Learn section's articles: Markdown files with YAML front matter, read and validated.

An article is read, its front matter validated, its body rendered once to HTML (raw HTML
disabled, so whatever an author typed as a tag shows as text) and to plain text for search.
The pages read them from here; `indexer.articles` indexes them for search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from registry import vocabulary
from registry.schema import flatten_errors
from registry.settings import ROOT

CONTENT_DIR = ROOT / "fixtures" / "content"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
WORDS_PER_MINUTE = 200
# Ids the article page uses itself; a heading called "Main" must not steal the skip link.
RESERVED_ANCHORS = frozenset({"main", "toc", "body", "faq", "related", "providers"})

# "js-default" is CommonMark plus tables and strikethrough with `html: False`: raw HTML in a
# body is escaped instead of passed through, and javascript:/data: links are refused. That
# is the only reason templates may mark `body_html` safe.
MARKDOWN = MarkdownIt("js-default")

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)


class ArticleError(ValueError):
    """One or more invalid article files; each problem names the file and the field."""

    def __init__(self, problems: list[tuple[Path, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{path}: {name}: {reason}" for path, name, reason in problems))


@dataclass(frozen=True)
class Faq:
    q: str
    a: str


@dataclass(frozen=True)
class Heading:
    anchor: str
    text: str


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    description: str
    treatment: str
    published: date
    updated: date
    reading_minutes: int
    related: tuple[str, ...]
    faq: tuple[Faq, ...]
    body_html: str
    body_text: str
    toc: tuple[Heading, ...]
    path: Path


class FaqSchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1, max=300))
    a = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class FrontMatter(Schema):
    """The YAML block at the top of an article. Unknown keys are errors, so typos do not vanish."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(
        required=True,
        validate=validate.Regexp(SLUG, error="Use lowercase letters, digits and single hyphens."),
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=300))
    treatment = fields.String(required=True, validate=validate.OneOf(sorted(vocabulary.treatments())))
    published = fields.Date(required=True)
    updated = fields.Date(load_default=None)
    reading_minutes = fields.Integer(load_default=None, validate=validate.Range(1, 120))
    related = fields.List(fields.String(validate=validate.Regexp(SLUG)), load_default=list)
    faq = fields.List(fields.Nested(FaqSchema), load_default=list)

    @validates_schema
    def dates_in_order(self, data: dict, **_) -> None:
        if data.get("updated") and data.get("published") and data["updated"] < data["published"]:
            raise ValidationError("Must not be before published.", "updated")


def anchor_for(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def plain_text(tokens: list[Token]) -> str:
    """The words of a rendered body, one block per line, for the search index."""
    blocks = []
    for token in tokens:
        if token.type == "inline":
            parts = [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            ]
            blocks.append("".join(parts))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.strip())
    return "\n".join(b for b in blocks if b)


def render(markdown: str) -> tuple[str, str, tuple[Heading, ...]]:
    """Body Markdown -> (HTML, plain text, table of contents of the ## headings)."""
    tokens = MARKDOWN.parse(markdown)
    taken = set(RESERVED_ANCHORS)
    toc = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3"):
            text = tokens[i + 1].content
            anchor = anchor_for(text, taken)
            token.attrSet("id", anchor)
            if token.tag == "h2":
                toc.append(Heading(anchor, text))
    html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, {})
    return html, plain_text(tokens), tuple(toc)


def parse_article(path: Path) -> Article:
    """Read one Markdown file with front matter; raise ArticleError naming the file and field."""
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ArticleError([(path, "front matter", "The file must start with a --- YAML block ---.")])
    try:
        raw = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise ArticleError([(path, "front matter", f"Not valid YAML: {err}")]) from err
    if not isinstance(raw, dict):
        raise ArticleError([(path, "front matter", "Must be a mapping of keys to values.")])
    try:
        meta = FrontMatter().load(raw)
    except ValidationError as err:
        raise ArticleError(
            [(path, name, reason) for name, reason in flatten_errors(err.messages, whole="front matter")]
        ) from err
    html, text, toc = render(match.group(2))
    minutes = meta["reading_minutes"] or max(1, round(len(text.split()) / WORDS_PER_MINUTE))
    return Article(
        slug=meta["slug"],
        title=meta["title"],
        description=meta["description"],
        treatment=meta["treatment"],
        published=meta["published"],
        updated=meta["updated"] or meta["published"],
        reading_minutes=minutes,
        related=tuple(meta["related"]),
        faq=tuple(Faq(item["q"], item["a"]) for item in meta["faq"]),
        body_html=html,
        body_text=text,
        toc=toc,
        path=path,
    )


def load_articles(directory: Path) -> list[Article]:
    """Every `*.md` article in `directory`, newest first; ArticleError lists every problem found."""
    articles, problems = [], []
    for path in sorted(directory.glob("*.md")):
        try:
            articles.append(parse_article(path))
        except ArticleError as err:
            problems += err.problems
    if problems:  # cross-file checks would only echo these (a broken file's slug looks missing)
        raise ArticleError(problems)
    by_slug: dict[str, Article] = {}
    for article in articles:
        if article.slug in by_slug:
            problems.append(
                (
                    article.path,
                    "slug",
                    f"{article.slug!r} is also used by {by_slug[article.slug].path.name}.",
                )
            )
        by_slug[article.slug] = article
    for article in articles:
        for slug in article.related:
            if slug not in by_slug:
                problems.append((article.path, "related", f"No article has the slug {slug!r}."))
    if problems:
        raise ArticleError(problems)
    return sorted(articles, key=lambda a: (a.published, a.slug), reverse=True)
