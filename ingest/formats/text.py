"""Plain text and Markdown articles: headline, standfirst, body, `Author:` line, front matter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingest.fields import FIELD_ALIASES, build_article, pick
from ingest.normalise import clean_body
from ingest.source import ReadResult, Source

_META_LINE = re.compile(
    r"^(Author|By|Byline|Source|Outlet|Publisher|Published|Date|URL|Link):\s*(.+)$", re.I
)
_META_KEYS = {
    "author": "author",
    "by": "author",
    "byline": "author",
    "source": "source",
    "outlet": "source",
    "publisher": "source",
    "published": "published_at",
    "date": "published_at",
    "url": "url",
    "link": "url",
}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^#{1,6}\s+")


def read_text(source: Source) -> Iterator[ReadResult]:
    """One article per file.

    Layout: optional YAML front matter (title, source, author, date, url, ...), then the headline
    on the first line (a Markdown '# ' is dropped), the standfirst and body paragraphs, and an
    'Author: NAME' line; anything after the author line (a bio) is left out.
    """
    text = source.read_text()
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match:
        parsed = _front_matter(match.group(1))
        if parsed is None:
            yield source.error("YAML front matter is malformed")
            return
        meta = parsed
        text = text.lstrip("\ufeff")[match.end() :]
    lines = clean_body(text).split("\n")
    if not any(line.strip() for line in lines):
        yield source.error("empty file" if not meta else "no article text after the front matter")
        return
    fields: dict[str, Any] = {name: pick(meta, name, source.field_map) for name in FIELD_ALIASES}
    if not fields.get("title"):
        fields["title"] = _MD_HEADING.sub("", lines[0]).strip()
        lines = lines[1:]
    body_lines: list[str] = []
    after_author = False
    for line in lines:
        found = _META_LINE.match(line.strip())
        if found and len(line) < 200:
            key = _META_KEYS[found.group(1).lower()]
            fields[key] = fields.get(key) or found.group(2).strip()
            after_author = after_author or key == "author"
            continue
        if not after_author:
            body_lines.append(line)
    body = clean_body("\n".join(body_lines))
    if not body:
        yield source.error("no article text after the headline")
        return
    fields["body"] = body
    yield build_article(fields, source, fallback_title=source.path.stem)


def _front_matter(block: str) -> dict[str, Any] | None:
    import yaml

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        return None
    return {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
