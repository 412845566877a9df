"""Small, crash-proof readers over stdlib `email` messages: headers, charsets, addresses.

Real mail is broken in every way (unknown charsets, raw 8-bit headers, bad encoded words,
NUL bytes); every function here returns something usable instead of raising.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from datetime import UTC, datetime
from email import utils
from email.header import decode_header
from email.message import Message

CHARSET_ALIASES = {
    "x-mac-cyrillic": "mac_cyrillic",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "unicode-1-1-utf-7": "utf-7",
    "iso-8859-8-i": "iso-8859-8",
    "x-user-defined": "cp1252",
    "windows-874": "cp874",
    "iso-8859-1": "cp1252",  # what every mail client really means by latin-1
    "latin1": "cp1252",
    "us-ascii": "utf-8",  # declared ASCII, 8-bit inside: UTF-8 is the best first guess
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "utf8": "utf-8",
    "x-sjis": "shift_jis",
    "iso-2022-jp": "iso2022_jp_ext",
}
_ADDRESS = re.compile(r'(?:"[^"<>@]{1,64}"|[^\s<>@,;:"()\[\]]+)@[^\s<>@,;:"()\[\]]+')
_MSGID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f]+")


def clean(value: str) -> str:
    """Drop NUL bytes (PostgreSQL refuses them) and lone surrogates from undecodable bytes."""
    if not value:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raw = value.encode("utf-8", "surrogateescape")
        value = decode_bytes(raw, "")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when unknown."""
    if not charset:
        return None
    label = charset.strip().strip("\"';").lower()
    label = label.removeprefix("3d")  # quoted-printable damage: charset=3Dutf-8
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def decode_bytes(raw: bytes, charset: str | None) -> str:
    """Decode with the declared charset; else UTF-8; else leniently (never raises).

    7-bit bytes under a declared stateful charset (ISO-2022-JP) that fails strictly stay with
    that charset: UTF-8 would "succeed" and show the escape sequences."""
    codec = codec_for(charset)
    if codec:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            if raw.isascii():
                return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec:
        return raw.decode(codec, errors="replace")
    lenient = raw.decode("utf-8", errors="replace")  # a stray byte in otherwise UTF-8 text
    if lenient.count("\ufffd") <= max(1, len(raw) // 200):
        return lenient
    return raw.decode("cp1252", errors="replace")


# Legacy encodings of raw 8-bit headers beside a 7-bit body charset.
_COMPANIONS = {"iso2022_jp": "cp932", "iso2022_jp_ext": "cp932", "koi8_r": "cp1251"}
_WESTERN = {"cp1252", "latin_1", "iso8859_15", "ascii", "utf_8"}


def guess(raw: bytes, hint: str = "") -> str:
    """Undeclared 8-bit bytes: UTF-8, else the message's own charsets (comma-separated
    `hint`, legacy CJK/Cyrillic ones before Western ones, which accept anything)."""
    codecs_ = [codec_for(label) for label in hint.split(",")]
    found = [c for c in dict.fromkeys(codecs_) if c]
    ordered = [c for c in found if c not in _WESTERN] + [c for c in found if c in _WESTERN]
    for codec in ["utf-8", *ordered, *(_COMPANIONS[c] for c in ordered if c in _COMPANIONS)]:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("cp1252", errors="replace")


def header(msg: Message, name: str, hint: str = "") -> str:
    """A header as readable text (RFC 2047 decoded), "" when absent.

    Raw 8-bit bytes and encoded words in charsets Python lacks are decoded again with our
    charset aliases, then with `hint` (the body's charset), then leniently."""
    try:
        value = msg.get(name)
        if value is None:
            return ""
        text = str(value)
    except Exception:  # the policy's parser gave up: decode the raw value ourselves
        return _decoded_raw(msg, name, hint)
    if any("\udc80" <= ch <= "\udcff" for ch in text) or "\ufffd" in text:
        return _decoded_raw(msg, name, hint)
    return _flat(clean(text))


def _flat(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _decoded_raw(msg: Message, name: str, hint: str = "") -> str:
    text = raw_header(msg, name)
    try:
        chunks = decode_header(text)
    except Exception:
        chunks = [(text, None)]
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        out.append(decode_bytes(chunk, charset) if charset else guess(chunk, hint))
    return _flat(clean("".join(out)))


def raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return value if isinstance(value, str) else str(value)
    return ""


def address(msg: Message, name: str) -> tuple[str, str]:
    """(display name, lower-cased address) of the first usable mailbox in a header."""
    try:
        values = msg.get_all(name) or []
    except Exception:
        values = []
    for value in values:
        for addr in getattr(value, "addresses", ()) or ():
            spec = addr.addr_spec or ""
            if not spec.startswith('"') and _ADDRESS.fullmatch(spec):
                return clean(addr.display_name).strip(), _norm(spec)
    texts = [_decoded_raw(msg, name)] + [_flat(clean(str(value))) for value in values]
    for text in texts:
        if not text:
            continue
        for display, addr_spec in utils.getaddresses([text]):
            if _ADDRESS.fullmatch(addr_spec or ""):
                return display.strip(), _norm(addr_spec)
        found = _ADDRESS.search(text)
        if found:
            return text[: found.start()].strip(" <\"'\t,"), _norm(found.group(0))
    return "", ""


def _norm(addr_spec: str) -> str:
    return clean(addr_spec).strip().rstrip(".").lower()


def message_id(msg: Message, name: str = "Message-ID") -> str:
    """The normalised id (no angle brackets), "" when missing or unusable."""
    ids = message_ids(header(msg, name))
    return ids[0] if ids else ""


def message_ids(text: str) -> list[str]:
    found = _MSGID.findall(text or "")
    if not found:
        found = [token.strip("<>,;") for token in (text or "").split()]
    return [m for m in found if m and len(m) <= 250]


def digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def sent_at(msg: Message, now: datetime) -> datetime:
    """The Date header as an aware datetime; `now` when missing, unreadable or in the future."""
    try:
        value = msg.get("Date")
        parsed = getattr(value, "datetime", None)
    except Exception:
        parsed = None
    if parsed is None:
        try:
            parsed = utils.parsedate_to_datetime(raw_header(msg, "Date"))
        except (TypeError, ValueError, IndexError, OverflowError):
            return now
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        if parsed > now or parsed.year < 1971:
            return now
    except (OverflowError, ValueError):
        return now
    return parsed
