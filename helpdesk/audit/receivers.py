"""Configuration changes made in the Django admin go to the audit log.

The admin writes a LogEntry for every add, change and delete; for the configuration models
below each one becomes an audit entry "<model>.added|changed|deleted" with the names of the
changed fields (the admin's own change message holds names only, never values, so no
secret reaches the log).
"""

from __future__ import annotations

import json

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

# app_label.model_name of what admins configure.
CONFIG_MODELS = {
    "tickets.channel",
    "tickets.team",
    "tickets.agentprofile",
    "tickets.tag",
    "tickets.cannedresponse",
    "tickets.workspacesettings",
    "automation.rule",
    "automation.teamrouting",
    "automation.agentskills",
    "automation.channelsettings",
    "automation.knowledgearticle",
    "sla.slapolicy",
    "sla.businesscalendar",
    "sla.holiday",
    "sla.escalationrule",
    "integrations.webhooksubscription",
    "metrics.metricssettings",
    "auth.user",
    "auth.group",
    "authtoken.tokenproxy",
}
VERBS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


class _Target:
    """What audit_record needs of a target, for an object that may be gone (deleted)."""

    def __init__(self, model, pk: str, text: str):
        self._meta = model._meta
        self.pk = pk
        self._text = text

    def __str__(self) -> str:
        return self._text


def changed_fields(entry: LogEntry) -> list[str]:
    try:
        messages = json.loads(entry.change_message or "[]")
    except ValueError:
        return []
    fields: list[str] = []
    for item in messages if isinstance(messages, list) else []:
        for verb in ("added", "changed", "deleted"):
            detail = item.get(verb) if isinstance(item, dict) else None
            if isinstance(detail, dict):
                if "fields" in detail:
                    fields.extend(str(f) for f in detail["fields"])
                if "name" in detail:
                    fields.append(f"{detail['name']}: {detail.get('object', '')}")
    return fields


def admin_change_audited(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created or instance.content_type_id is None:
        return
    content_type = instance.content_type
    label = f"{content_type.app_label}.{content_type.model}"
    if label not in CONFIG_MODELS or instance.action_flag not in VERBS:
        return
    from helpdesk.audit.services import audit_record

    model = content_type.model_class()
    if model is None:
        return
    target = _Target(model, instance.object_id or "", instance.object_repr or "")
    audit_record(
        action=f"{content_type.model}.{VERBS[instance.action_flag]}",
        actor=instance.user,
        target=target,
        data={"via": "admin", "fields": changed_fields(instance)},
    )
