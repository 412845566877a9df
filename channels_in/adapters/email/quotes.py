"""Strip the quoted history under a reply, so operators read only what is new.

The full text stays in the raw journal row. Conservative: when stripping would leave
nothing (a pure forward, a mail that is all quote), the text is kept as it was.
"""

from __future__ import annotations

import re

_ATTRIBUTION = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,200}:\s*$", re.I),
    re.compile(r"^\s*Le\b.{0,300}\ba\s+écrit\s*:\s*$", re.I),
    re.compile(r"^.{0,300}\bписал(?:\(а\)|а)?\s*:\s*$", re.I),  # Thunderbird, Mail.ru (ru)
    re.compile(r"^.{0,300}\bпишет\s*:\s*$", re.I),  # Yandex
    re.compile(r"^.{0,200}\bг\.\s*в\s*\d{1,2}:\d{2}\b.{0,200}:\s*$", re.I),  # Gmail (ru)
]
_SEPARATOR = [
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Исходное сообщение\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Ursprüngliche Nachricht\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*Reply above this line\s*-{2,}\s*$", re.I),
]
# Outlook: a line of underscores or a bare header block "From: ... / Sent: ..." starts it.
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|От|Von|De)\s*:\*?\s+\S", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Отправлено|Дата|Gesendet|Envoyé|To|Кому|An|À)\s*:", re.I
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_SEPARATOR_ONLY = re.compile(r"^\s*(-{2,}[^\n]*-{2,}|_{5,})\s*$", re.M)
# A forward is not history: its header block stays readable.
_FORWARD = re.compile(r"forwarded message|begin forwarded|пересылаемое сообщение|переслан", re.I)


def _is_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if any(p.match(line) for p in _SEPARATOR):
        return True
    joined = line
    for extra in range(2):  # attributions wrap: "On Tue, ... John <\njohn@x.org> wrote:"
        if any(p.match(joined) for p in _ATTRIBUTION):
            return True
        if i + extra + 1 >= len(lines):
            break
        joined = f"{joined} {lines[i + extra + 1].strip()}"
    if _UNDERSCORES.match(line):
        return any(_OUTLOOK_FROM.match(nxt) for nxt in lines[i + 1 : i + 3])
    if _OUTLOOK_FROM.match(line):
        if any(_FORWARD.search(prev) for prev in lines[max(i - 2, 0) : i]):
            return False
        return any(_OUTLOOK_NEXT.match(nxt) for nxt in lines[i + 1 : i + 3])
    return False


def strip_quoted(text: str) -> str:
    """The reply without the quoted conversation below it."""
    if not text:
        return ""
    lines = text.splitlines()
    head = lines
    for i in range(len(lines)):
        if lines[i].lstrip().startswith(">"):
            continue
        if _is_start(lines, i):
            head = lines[:i]
            break
    head = list(head)
    while head and (not head[-1].strip() or head[-1].lstrip().startswith(">")):
        head.pop()
    result = "\n".join(head).strip()
    if not _SEPARATOR_ONLY.sub("", result).strip():  # only a "---- Original ----" line left
        return text.strip()
    return result
