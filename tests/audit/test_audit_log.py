import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from helpdesk.audit.models import AuditEntry
from helpdesk.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_record_names_actor_and_target():
    user = get_user_model().objects.create_user("alice", password="x")
    entry = audit_record(action="user.changed", actor=user, target=user, data={"field": "email"})
    entry.refresh_from_db()
    assert entry.actor_repr == "alice"
    assert entry.target_type == "auth.user"
    assert entry.target_id == str(user.pk)
    assert entry.data == {"field": "email"}


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit_record(action="channel.changed")
    entry.action = "something else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "channel.changed"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger on PostgreSQL")
def test_database_refuses_raw_update_and_delete():
    entry = audit_record(action="customer.erased")
    for sql in (
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, action="customer.erased").exists()
