from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_bootstrap_creates_an_admin_prints_a_working_login_and_is_repeatable(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("bootstrap_demo", tickets=0, stdout=out)
    text = out.getvalue()
    password = (tmp_path / "demo-login.txt").read_text().strip()
    assert f"admin / {password}" in text
    user = authenticate(username="admin", password=password)
    assert user is not None and user.is_superuser

    again = StringIO()
    call_command("bootstrap_demo", tickets=0, stdout=again)
    assert f"admin / {password}" in again.getvalue()
    assert authenticate(username="admin", password=password) is not None


def test_bootstrap_seeds_only_an_empty_database(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap_demo", tickets=20, stdout=StringIO())
    assert Ticket.objects.count() == 20
    call_command("bootstrap_demo", tickets=20, stdout=StringIO())
    assert Ticket.objects.count() == 20
