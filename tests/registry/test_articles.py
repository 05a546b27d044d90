"""registry/articles.py: front matter validation, Markdown without raw HTML, plain text, contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import vocabulary
from registry.articles import ArticleError, load_articles, parse_article

CONTENT = Path(__file__).resolve().parents[2] / "fixtures" / "content"

FRONT = {
    "title": '"Aftercare for testers"',
    "slug": "aftercare-for-testers",
    "description": '"A short article used by the tests."',
    "treatment": "microneedling",
    "published": "2026-01-02",
    "updated": "2026-01-05",
    "reading_minutes": "3",
    "related": "[]",
    "faq": '\n  - q: "Does it sting?"\n    a: "A little."',
}


def article_text(body: str = "Plain words.\n", **changes: str | None) -> str:
    """An article file; a change of None drops that key."""
    front = {**FRONT, **changes}
    lines = [f"{key}: {value}" for key, value in front.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_fixture_article_parses():
    articles = load_articles(CONTENT)
    assert len(articles) == len(list(CONTENT.glob("*.md"))) == 6
    assert [a.published for a in articles] == sorted((a.published for a in articles), reverse=True)
    for article in articles:
        assert article.path.stem == article.slug
        assert article.treatment in vocabulary.treatments()
        assert article.updated >= article.published
        assert article.faq and all(item.q and item.a for item in article.faq)
        assert "<h2 id=" in article.body_html and len(article.toc) >= 3
        assert "##" not in article.body_text and "**" not in article.body_text


def test_related_slugs_exist():
    articles = load_articles(CONTENT)
    slugs = {a.slug for a in articles}
    for article in articles:
        assert article.related, article.slug
        assert set(article.related) <= slugs - {article.slug}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": None}, "title"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"treatment": "tattoo-removal"}, "treatment"),
        ({"published": "someday"}, "published"),
        ({"updated": "2025-12-31"}, "updated"),
        ({"reading_minutes": "0"}, "reading_minutes"),
        ({"related": "what-is-microneedling"}, "related"),
        ({"faq": '\n  - q: "Does it sting?"'}, "faq.0.a"),
        ({"tittle": '"typo"'}, "tittle"),
    ],
)
def test_invalid_front_matter_names_the_file_and_the_field(tmp_path, changes, field):
    path = write(tmp_path, "broken.md", article_text(**changes))
    with pytest.raises(ArticleError) as caught:
        parse_article(path)
    assert (path, field) in [(p, name) for p, name, _ in caught.value.problems]
    assert f"{path}: {field}: " in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "No front matter at all.\n",
        "---\ntitle: [unclosed\n---\nBody\n",
        "---\n- just\n- a list\n---\nBody\n",
    ],
)
def test_missing_or_malformed_front_matter_is_reported(tmp_path, text):
    path = write(tmp_path, "odd.md", text)
    with pytest.raises(ArticleError, match=rf"{path.name}: front matter: "):
        parse_article(path)


def test_collection_checks_related_links_and_duplicate_slugs(tmp_path):
    write(tmp_path, "one.md", article_text(related="[no-such-article]"))
    write(tmp_path, "two.md", article_text())
    with pytest.raises(ArticleError) as caught:
        load_articles(tmp_path)
    fields = {(p.name, name) for p, name, _ in caught.value.problems}
    assert ("one.md", "related") in fields
    assert ("two.md", "slug") in fields


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    write(tmp_path, "a.md", article_text(title=None, treatment="nope"))
    write(tmp_path, "b.md", article_text(slug="b-article", published="later"))
    with pytest.raises(ArticleError) as caught:
        load_articles(tmp_path)
    assert {(p.name, name) for p, name, _ in caught.value.problems} == {
        ("a.md", "title"),
        ("a.md", "treatment"),
        ("b.md", "published"),
    }


def test_raw_html_in_markdown_is_escaped(tmp_path):
    body = (
        "## Care <em>now</em>\n\n<script>alert(1)</script>\n\n"
        'Text with <img src=x onerror="alert(2)"> inline, and [a link](javascript:alert(3)).\n\n'
        '<div onclick="alert(4)">block</div>\n'
    )
    article = parse_article(write(tmp_path, "hostile.md", article_text(body)))
    html = article.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x" in html and "&lt;div onclick" in html
    for tag in ("<script", "<img", "<div", "<em>", 'href="javascript'):
        assert tag not in html
    assert article.toc[0].text == "Care <em>now</em>"  # text; templates escape it


def test_body_becomes_plain_text_and_a_table_of_contents(tmp_path):
    body = (
        "Intro with **bold** and `code`.\n\n## First part\n\n- a *b*\n\n"
        "## First part\n\n### Detail\n\n## Main\n"
    )
    article = parse_article(write(tmp_path, "toc.md", article_text(body, reading_minutes=None)))
    assert article.body_text.splitlines()[0] == "Intro with bold and code."
    assert [(h.anchor, h.text) for h in article.toc] == [
        ("first-part", "First part"),
        ("first-part-2", "First part"),
        ("main-2", "Main"),
    ]
    assert '<h3 id="detail">Detail</h3>' in article.body_html
    assert article.reading_minutes == 1  # derived from the word count when not given
