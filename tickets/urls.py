from django.urls import path

from tickets import views
from tickets.views import (
    actions,
    bulk,
    canned,
    export,
    preferences,
    rules_settings,
    worksession,
)

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/bulk/", bulk.queue_bulk_view, name="queue-bulk"),
    path("queue/export.csv", export.queue_csv_view, name="queue-export-csv"),
    path(
        "customers/<int:customer_id>/export/",
        export.customer_export_view,
        name="customer-export",
    ),
    path("customers/<int:customer_id>/erase/", export.customer_erase_view, name="customer-erase"),
    path("preferences/", preferences.preferences_view, name="preferences"),
    path("preferences/language/", preferences.language_switch_view, name="preferences-language"),
    path("work-sessions/", worksession.work_session_view, name="work-session"),
    path("settings/rules/", rules_settings.rules_list_view, name="rules-settings"),
    path("settings/rules/new/", rules_settings.rule_new_view, name="rule-new"),
    path("settings/rules/reorder/", rules_settings.rules_reorder_view, name="rules-reorder"),
    path("settings/rules/fired/", rules_settings.rules_fired_view, name="rules-fired"),
    path("settings/rules/<int:rule_id>/", rules_settings.rule_edit_view, name="rule-edit"),
    path(
        "settings/rules/<int:rule_id>/toggle/", rules_settings.rule_toggle_view, name="rule-toggle"
    ),
    path("settings/rules/<int:rule_id>/move/", rules_settings.rule_move_view, name="rule-move"),
    path(
        "settings/rules/<int:rule_id>/delete/", rules_settings.rule_delete_view, name="rule-delete"
    ),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply_view, name="ticket-reply"),
    path("tickets/<int:ticket_id>/status/", views.ticket_status_view, name="ticket-status"),
    path("tickets/<int:ticket_id>/priority/", views.ticket_priority_view, name="ticket-priority"),
    path("tickets/<int:ticket_id>/assign/", views.ticket_assign_view, name="ticket-assign"),
    path("tickets/<int:ticket_id>/tags/", actions.ticket_tags_view, name="ticket-tags"),
    path("tickets/<int:ticket_id>/team/", actions.ticket_team_view, name="ticket-team"),
    path("tickets/<int:ticket_id>/merge/", actions.ticket_merge_view, name="ticket-merge"),
    path(
        "tickets/<int:ticket_id>/customer/notes/",
        actions.customer_notes_view,
        name="customer-notes",
    ),
    path(
        "tickets/<int:ticket_id>/customer/link/", actions.customer_link_view, name="customer-link"
    ),
    path("tickets/<int:ticket_id>/canned/", canned.canned_search_view, name="canned-search"),
    path(
        "tickets/<int:ticket_id>/canned/<int:canned_id>/use/",
        canned.canned_use_view,
        name="canned-use",
    ),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/retry/",
        views.message_retry_view,
        name="message-retry",
    ),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/split/",
        actions.message_split_view,
        name="message-split",
    ),
]
