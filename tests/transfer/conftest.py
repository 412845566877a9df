"""Import files built line by line, every timestamp explicit."""

import json
from datetime import UTC, datetime, timedelta

import pytest

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(days=0, hours=0, minutes=0, seconds=0) -> str:
    return (T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)).isoformat()


def ticket_line(external_id="T-1", **overrides) -> dict:
    """A solved Telegram ticket: customer at 09:00, agent reply at 09:12, solved 10:00."""
    data = {
        "external_id": external_id,
        "channel": "telegram",
        "customer": {
            "external_id": f"crm-{external_id}",
            "name": "Ann Lee",
            "email": f"ann.{external_id.lower()}@example.org",
            "phone": "",
        },
        "subject": "Where is my order?",
        "priority": "high",
        "tags": ["late-parcel", "vip"],
        "status": "solved",
        "created_at": at(),
        "solved_at": at(hours=1),
        "reopened": False,
        "team": "Support",
        "assignee": "ivan",
        "messages": [
            {"direction": "in", "author": "customer", "sent_at": at(), "text": "Order 1042?"},
            {"direction": "out", "author": "bot", "sent_at": at(seconds=5), "text": "Thanks!"},
            {
                "direction": "out",
                "author": "agent",
                "agent": "ivan",
                "sent_at": at(minutes=10),
                "text": "Checking",
                "internal": True,
            },
            {
                "direction": "out",
                "author": "agent",
                "agent": "ivan",
                "sent_at": at(minutes=12),
                "text": "It ships today.",
            },
        ],
        "handle_seconds": 300,
        "csat": 5,
    }
    data.update(overrides)
    return data


def jsonl(*records) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


@pytest.fixture
def write_file(tmp_path):
    def write(lines, name="tickets.jsonl"):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
