"""The tags rule actions name, kept per process from one message to the next.

Most messages that match a rule add a tag the ticket lacks ("delivery", "payment"): without
this, each such message read the tag by name. The intake reads the tags table's version
(row count, highest id, latest change) with its channel read (`tags_version_annotations`);
the cache is emptied when the version differs from the one it was filled under, so a tag
added, renamed or deleted in any process is seen by the next message everywhere, and at once
in the process that saved it (`tag_cache_clear` on Tag's post_save / post_delete).

With no version in the scope (rules applied outside the intake), nothing is kept: each
scope reads its tags, as before.
"""

from __future__ import annotations

import threading

from django.db.models import Count, Max

from helpdesk.scoped_cache import scoped_peek
from tickets.models import Tag
from tickets.rules.versions import version_annotations, version_put

_PARTS = {
    "n": lambda: Count("id"),
    "m": lambda: Max("id"),
    "v": lambda: Max("updated_at"),
}
_PREFIX = "tags_version"
_VERSION_KEY = ("automation", "tags_version")

_lock = threading.Lock()
_version: tuple | None = None
_tags: dict[str, Tag | None] = {}  # lower-case name -> the tag, or None: no such tag


def tags_version_annotations() -> dict:
    return version_annotations(Tag, _PARTS, _PREFIX)


def tags_version_put(row) -> None:
    version_put(row, _PARTS, _PREFIX, _VERSION_KEY)


def tag_cache_clear(**_kw) -> None:
    global _version, _tags
    with _lock:
        _version, _tags = None, {}


def _current() -> dict[str, Tag | None] | None:
    """The cache valid for the scope's tags version; None: the scope has none."""
    global _version, _tags
    version = scoped_peek(_VERSION_KEY)
    if version is None:
        return None
    with _lock:
        if _version != version:
            _version, _tags = version, {}
        return _tags


def tags_known(names: set[str]) -> dict[str, Tag | None]:
    """What the cache holds for these lower-case names (a name it lacks is absent)."""
    tags = _current()
    if not tags:
        return {}
    return {name: tags[name] for name in names if name in tags}


def tags_remember(found: dict[str, Tag | None]) -> None:
    """Keep what was just read (None for a name no tag has) under the scope's version."""
    tags = _current()
    if tags is not None:
        tags.update(found)


def tag_lookup(name: str) -> Tag | None:
    """The tag of this name, case-insensitively: from the cache, else read and kept."""
    key = name.lower()
    known = tags_known({key})
    if key in known:
        return known[key]
    tag = Tag.objects.filter(name__iexact=name).first()
    tags_remember({key: tag})
    return tag
