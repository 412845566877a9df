"""The friendly rules page for admins: list, order, switch, build, test and delete rules.

Every write goes through tickets.services.rules_admin; every read through
tickets.selectors_rules. A dry run writes nothing.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.exceptions import ApplicationError
from helpdesk.permissions import role_required
from helpdesk.roles import ADMIN
from tickets.automation.models import Rule, Trigger
from tickets.forms_rules import (
    ACTION_LABELS,
    CONDITION_FIELDS,
    NOTIFY_LABELS,
    STRATEGY_LABELS,
    DryRunForm,
    Row,
    RuleEditor,
    blank_action,
    blank_condition,
    rule_unshown,
)
from tickets.models import Priority, Status
from tickets.selectors_rules import (
    explained,
    rule_draft_dry_run,
    rule_summary,
    rules_fired_counts,
    rules_lookups,
    rules_saved_dry_run,
    rules_settings_list,
)
from tickets.services.rules_admin import (
    rule_create,
    rule_delete,
    rule_move,
    rule_set_active,
    rule_update,
    rules_reorder,
)

admin_page = role_required(ADMIN)


@admin_page
def rules_list_view(request):
    """GET: the rules in evaluation order. POST: test the enabled rules on a message."""
    lookups = rules_lookups()
    dry_form = DryRunForm(request.POST or None, lookups=lookups)
    trigger = request.POST.get("trigger", Trigger.MESSAGE_RECEIVED)
    results = None
    if request.method == "POST" and trigger in Trigger.values and dry_form.is_valid():
        results = [
            explained(r, lookups)
            for r in rules_saved_dry_run(trigger=trigger, sample=dry_form.sample())
        ]
    groups = rules_settings_list(lookups=lookups)
    # The counts read the whole event log: htmx fetches them once the page shows; without
    # JavaScript a link asks for them inline.
    show_counts = bool(request.GET.get("counts"))
    if show_counts:
        fired = rules_fired_counts()
        for group in groups:
            for rule in group.rules:
                rule.fired = fired.get(rule.pk, 0)
    context = {
        "groups": groups,
        "show_counts": show_counts,
        "dry_form": dry_form,
        "triggers": Trigger.choices,
        "dry_trigger": trigger,
        "results": results,
    }
    return render(request, "tickets/settings/rules_list.html", context)


@admin_page
def rules_fired_view(request):
    """How often each rule fired, as fragments htmx puts in place on the list."""
    return render(
        request, "tickets/settings/_fired_counts.html", {"fired": rules_fired_counts().items()}
    )


def _editor_page(request, editor: RuleEditor, rule: Rule | None, dry_form, result=None):
    lookups = editor.lookups
    next_condition = editor.next_index(editor.condition_rows)
    next_action = editor.next_index(editor.action_rows)
    context = {
        "editor": editor,
        "rule": rule,
        "unshown": rule_unshown(rule.conditions, rule.actions) if rule else 0,
        "dry_form": dry_form,
        "result": result,
        "lookups": lookups,
        "condition_fields": [(k, f.label) for k, f in CONDITION_FIELDS.items()],
        "action_labels": list(ACTION_LABELS.items()),
        # an empty row of each kind, always there (without JavaScript: the way to add one)
        "blank_condition": Row(index=next_condition),
        "blank_action_row": Row(index=next_action),
        "next_condition": next_condition + 1,
        "next_action": next_action + 1,
        # what the script copies when a row is added or its kind changes
        "blank_condition_proto": Row(index="__N__"),
        "blank_action_proto": Row(index="__N__"),
        "condition_protos": [blank_condition("__N__", k, lookups) for k in CONDITION_FIELDS],
        "action_protos": [blank_action("__N__", k) for k in ACTION_LABELS],
        "team_choices": lookups.team_choices(),
        "agent_choices": list(lookups.agents.items()),
        "priorities": Priority.choices,
        "statuses": Status.choices,
        "strategies": [(k, str(v)) for k, v in STRATEGY_LABELS.items()],
        "notify_targets": [(k, str(v)) for k, v in NOTIFY_LABELS.items()],
    }
    return render(request, "tickets/settings/rule_form.html", context)


def _edit(request, rule: Rule | None):
    lookups = rules_lookups()
    if request.method != "POST":
        initial = None
        if rule is not None:
            initial = {
                "name": rule.name,
                "trigger": rule.trigger,
                "match": rule.match,
                "is_active": rule.is_active,
                "stop_processing": rule.stop_processing,
                "conditions": rule.conditions,
                "actions": rule.actions,
            }
        editor = RuleEditor(lookups=lookups, initial=initial)
        return _editor_page(request, editor, rule, DryRunForm(lookups=lookups))

    editor = RuleEditor(request.POST, lookups=lookups)
    if "refresh" in request.POST:  # without JavaScript: show the widgets of the chosen fields
        for row in editor.condition_rows + editor.action_rows:
            row.errors = []
        return _editor_page(request, editor, rule, DryRunForm(lookups=lookups))
    if "dry_run" in request.POST:
        dry_form = DryRunForm(request.POST, lookups=lookups)
        result = None
        if editor.is_valid(dry_run=True) and dry_form.is_valid():
            result = explained(
                rule_draft_dry_run(
                    rule_id=rule.pk if rule else None,
                    data=editor.cleaned_data,
                    sample=dry_form.sample(),
                    lookups=lookups,
                ),
                lookups,
            )
        return _editor_page(request, editor, rule, dry_form, result)

    dry_form = DryRunForm(lookups=lookups)
    if rule is not None and rule_unshown(rule.conditions, rule.actions):
        messages.error(request, _("This rule can only be changed in the Django admin."))
        return _editor_page(request, editor, rule, dry_form)
    if not editor.is_valid():
        messages.error(request, _("The rule was not saved: see the marked fields."))
        return _editor_page(request, editor, rule, dry_form)
    try:
        if rule is None:
            rule = rule_create(actor=request.user, fields=editor.cleaned_data, request=request)
            messages.success(request, _("Rule “%s” created.") % rule.name)
        else:
            rule = rule_update(
                rule=rule, actor=request.user, fields=editor.cleaned_data, request=request
            )
            messages.success(request, _("Rule “%s” saved.") % rule.name)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _editor_page(request, editor, rule, dry_form)
    return redirect(reverse("rules-settings") + f"#rule-{rule.pk}")


@admin_page
def rule_new_view(request):
    return _edit(request, None)


@admin_page
def rule_edit_view(request, rule_id: int):
    return _edit(request, get_object_or_404(Rule, pk=rule_id))


@require_POST
@admin_page
def rule_toggle_view(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    active = request.POST.get("active") == "1"
    rule = rule_set_active(rule=rule, actor=request.user, active=active, request=request)
    text = _("Rule “%s” enabled.") if rule.is_active else _("Rule “%s” disabled.")
    messages.success(request, text % rule.name)
    return redirect(reverse("rules-settings") + f"#rule-{rule.pk}")


@require_POST
@admin_page
def rule_move_view(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    try:
        rule_move(
            rule=rule, direction=request.POST.get("direction", ""), actor=request.user,
            request=request,
        )  # fmt: skip
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("rules-settings") + f"#rule-{rule.pk}")


@require_POST
@admin_page
def rules_reorder_view(request):
    """Drag and drop posts {"trigger": ..., "order": [rule ids]} as JSON (the buttons that
    move one rule up or down are the way without JavaScript)."""
    try:
        payload = json.loads(request.body)
        trigger, order = str(payload["trigger"]), [int(i) for i in payload["order"]]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "Expected {trigger, order}."}, status=400)
    try:
        rules = rules_reorder(
            trigger=trigger, ordered_ids=order, actor=request.user, request=request
        )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=409)
    return JsonResponse({"order": [r.pk for r in rules]})


@admin_page
def rule_delete_view(request, rule_id: int):
    """GET: ask. POST: delete."""
    rule = get_object_or_404(Rule, pk=rule_id)
    if request.method == "POST":
        name = rule.name
        rule_delete(rule=rule, actor=request.user, request=request)
        messages.success(request, _("Rule “%s” deleted.") % name)
        return redirect("rules-settings")
    summary = rule_summary(rule, rules_lookups())
    return render(request, "tickets/settings/rule_delete.html", {"rule": rule, "summary": summary})
