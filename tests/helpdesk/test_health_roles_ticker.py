import os

import pytest

from helpdesk import ticker
from helpdesk.roles import ADMIN, MANAGER, OPERATOR, has_role, user_role
from tests.factories.tickets import UserFactory


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["db"] == "ok"
    assert body["broker"] == ("ok" if settings.REDIS_URL else "embedded")


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.django_db
def test_roles_are_ordered():
    operator = UserFactory(username="o", role=OPERATOR)
    manager = UserFactory(username="m", role=MANAGER)
    admin = UserFactory(username="a", role=ADMIN)
    nobody = UserFactory(username="n")
    assert user_role(nobody) is None
    assert has_role(operator, OPERATOR) and not has_role(operator, MANAGER)
    assert has_role(manager, OPERATOR) and not has_role(manager, ADMIN)
    assert has_role(admin, MANAGER)


@pytest.mark.django_db
def test_role_groups_exist_after_migrate():
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {OPERATOR, MANAGER, ADMIN} <= names
    assert Group.objects.get(name=ADMIN).permissions.filter(codename="add_channel").exists()
    assert not Group.objects.get(name=OPERATOR).permissions.filter(codename="add_channel").exists()


def test_ticker_reads_the_beat_schedule_and_calls_due_tasks(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "a": {"task": "x.fast", "schedule": 10.0},
        "b": {"task": "x.slow", "schedule": 60.0},
    }
    entries = ticker.schedule_entries(now=0.0)
    called = []

    ticker.run_due(entries, 5.0, called.append)
    assert called == []
    ticker.run_due(entries, 10.0, called.append)
    assert called == ["x.fast"]
    ticker.run_due(entries, 61.0, called.append)
    assert called == ["x.fast", "x.fast", "x.slow"]


def test_ticker_keeps_going_when_a_task_fails(settings):
    settings.CELERY_BEAT_SCHEDULE = {"a": {"task": "x.broken", "schedule": 1.0}}
    entries = ticker.schedule_entries(now=0.0)

    def boom(name):
        raise RuntimeError(name)

    ticker.run_due(entries, 1.0, boom)
    assert entries[0].next_run == 2.0


def test_a_fresh_process_ticker_knows_every_scheduled_task():
    """In a new process Celery has not imported any tasks module yet; the ticker must."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup();"
        "from helpdesk import ticker; from helpdesk.celery import app;"
        "entries = ticker.prepare();"
        "missing = [e.task_name for e in entries if e.task_name not in app.tasks];"
        "print(len(entries), missing)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    count, missing = out.split(" ", 1)
    assert int(count) >= 2
    assert missing == "[]"


@pytest.mark.django_db
def test_the_ticker_calls_real_tasks_in_process(monkeypatch):
    monkeypatch.setattr("tickets.services.outbound.outbound_due_ids", lambda **kw: [])
    from helpdesk.celery import app

    app.loader.import_default_modules()
    ticker.call_task("tickets.outbound_retry_due")
    ticker.call_task("channels_in.inbound_requeue_stale")


@pytest.mark.django_db
def test_livez_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.json() == {"status": "ok"}


def test_no_ticker_thread_runs_inside_the_test_process():
    """Sweeps from a background thread would race the tests' own database work."""
    import threading

    import helpdesk.asgi  # noqa: F401  (the import that would start it)

    assert "helpdesk-ticker" not in {t.name for t in threading.enumerate()}
