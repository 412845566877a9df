"""The Russian catalogue: key labels, plural forms, completeness, and a page served in Russian."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import ngettext

from tests.factories.tickets import TicketFactory
from tickets.models import Priority, Status

PO_FILE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def parse_po(path: Path) -> list[dict]:
    """A tiny .po reader: one dict per entry with flags, msgctxt, msgid, msgid_plural, msgstr*."""
    entries: list[dict] = []
    entry: dict = {"flags": set()}
    key = None

    def flush():
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {"flags": set()}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
        elif line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    flush()
    return entries


def test_catalogue_is_complete_and_has_no_fuzzy_entries():
    entries = parse_po(PO_FILE)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "Language: ru\n" in header["msgstr"]
    assert "nplurals=4;" in header["msgstr"]
    assert len(messages) > 200
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = []
    for e in messages:
        if "msgid_plural" in e:
            forms = [e.get(f"msgstr[{n}]", "") for n in range(4)]
        else:
            forms = [e.get("msgstr", "")]
        if not all(forms):
            untranslated.append(e["msgid"])
    assert untranslated == []


def test_placeholders_survive_translation():
    for e in parse_po(PO_FILE)[1:]:
        for placeholder in ("%(counter)s", "%(time)s", "%(page)s", "%(pages)s", "%(n)d", "%(tz)s"):
            if placeholder in e["msgid"]:
                translated = e.get("msgstr") or e["msgstr[0]"]
                assert placeholder in translated, e["msgid"]


def test_ticket_labels_in_russian():
    with translation.override("ru"):
        assert str(Status.NEW.label) == "Новое"
        assert str(Status.OPEN.label) == "Открыто"
        assert str(Status.PENDING.label) == "Ждёт клиента"
        assert str(Status.ON_HOLD.label) == "Отложено"
        assert str(Status.SOLVED.label) == "Решено"
        assert str(Status.CLOSED.label) == "Закрыто"
        assert str(Priority.URGENT.label) == "Срочный"
        assert str(Priority.HIGH.label) == "Высокий"
        assert str(Priority.NORMAL.label) == "Обычный"
        assert str(Priority.LOW.label) == "Низкий"
        assert translation.gettext("Log in") == "Войти"
        assert translation.gettext("Internal note") == "Внутренняя заметка"
        assert translation.pgettext("channel", "Email") == "Электронная почта"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 обращение"),
        (2, "2 обращения"),
        (4, "4 обращения"),
        (5, "5 обращений"),
        (11, "11 обращений"),
        (21, "21 обращение"),
        (22, "22 обращения"),
    ],
)
def test_ticket_count_plural_forms(count, expected):
    with translation.override("ru"):
        text = ngettext("%(counter)s ticket", "%(counter)s tickets", count) % {"counter": count}
    assert text == expected


@pytest.mark.django_db
def test_login_page_in_russian():
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="ru">' in content
    assert "Войти" in content
    assert "Имя пользователя" in content


@pytest.mark.django_db
def test_queue_page_in_russian(operator_client):
    TicketFactory(status=Status.NEW)
    TicketFactory(status=Status.OPEN)
    response = operator_client.get("/?view=all", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Очередь" in content
    assert "2 обращения" in content
    assert "Новое" in content
    assert "Queue" not in content
