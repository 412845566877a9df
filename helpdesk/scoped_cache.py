"""A memo for one unit of work: reads that several steps repeat are loaded once.

One inbound message runs the SLA subscribers, the rules, the bot and routing; each needs
the active SLA policies, the business calendars or the channel's automation settings.
Inside `scoped_cache()` (the intake opens one around each message) `scoped_get` loads a
value on first use and hands out the same object afterwards; when the scope ends the values
are forgotten, so the next message reads what admins saved in the meantime. Outside a scope
`scoped_get` simply loads, every time.

Edits made inside a scope are seen too: apps forget their namespace from post_save /
post_delete / m2m_changed receivers (`scoped_forget("sla")`). Keys are tuples whose first
item is the namespace: ("sla", "policies"), ("automation", "channel_settings", 3).

Values are shared within the scope: callers must treat them as read-only.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_store: contextvars.ContextVar[dict[tuple, Any] | None] = contextvars.ContextVar(
    "scoped_cache", default=None
)


@contextlib.contextmanager
def scoped_cache() -> Iterator[None]:
    """Open a scope (a nested call joins the one already open)."""
    if _store.get() is not None:
        yield
        return
    token = _store.set({})
    try:
        yield
    finally:
        _store.reset(token)


def scoped_active() -> bool:
    return _store.get() is not None


def scoped_get(key: tuple[Hashable, ...], load: Callable[[], T]) -> T:
    """The value cached under `key` in the open scope, loaded by `load()` on first use."""
    store = _store.get()
    if store is None:
        return load()
    try:
        return store[key]
    except KeyError:
        value = store[key] = load()
        return value


def scoped_put(key: tuple[Hashable, ...], value: Any) -> None:
    """Prime the scope with a value read along with something else (no-op outside one)."""
    store = _store.get()
    if store is not None:
        store[key] = value


def scoped_peek(key: tuple[Hashable, ...]) -> Any:
    """What the scope holds under `key`, or None (nothing loaded: the caller reads itself)."""
    store = _store.get()
    return store.get(key) if store is not None else None


def scoped_take(key: tuple[Hashable, ...]) -> Any:
    """Remove and return what the scope holds under `key` (None if nothing): a note one step
    leaves for a later one (the intake tells automation a message follows)."""
    store = _store.get()
    return store.pop(key, None) if store is not None else None


def scoped_forget(namespace: str) -> None:
    """Drop every value of a namespace from the open scope (an admin changed its source)."""
    store = _store.get()
    if store:
        for key in [k for k in store if k[0] == namespace]:
            del store[key]
