from django.urls import path

from tickets.api import (
    canned,
    crm,
    customers,
    directory,
    messages,
    rules,
    tickets,
    transfer,
    webhooks,
)

urlpatterns = [
    path("tickets/", tickets.TicketListApi.as_view(), name="api-tickets"),
    path("tickets/export.csv", transfer.TicketCsvExportApi.as_view(), name="api-tickets-csv"),
    path("tickets/<int:pk>/", tickets.TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:pk>/merge/", tickets.TicketMergeApi.as_view(), name="api-ticket-merge"),
    path(
        "tickets/<int:pk>/messages/",
        messages.TicketMessagesApi.as_view(),
        name="api-ticket-messages",
    ),
    path(
        "tickets/<int:pk>/messages/<int:message_id>/split/",
        tickets.MessageSplitApi.as_view(),
        name="api-message-split",
    ),
    path("tickets/<int:pk>/reply/", messages.TicketReplyApi.as_view(), name="api-ticket-reply"),
    path("tickets/<int:pk>/notes/", messages.TicketNoteApi.as_view(), name="api-ticket-note"),
    path("customers/", customers.CustomerListApi.as_view(), name="api-customers"),
    # CRM sync and personal-data requests (tickets/api/crm.py).
    path("customers/upsert/", crm.CustomerUpsertApi.as_view(), name="api-customers-upsert"),
    path(
        "customers/<int:pk>/export/",
        crm.CustomerDataExportApi.as_view(),
        name="api-customer-export",
    ),
    path("customers/<int:pk>/erase/", crm.CustomerEraseApi.as_view(), name="api-customer-erase"),
    # Import and export of ticket history (tickets/api/transfer.py).
    path("import/", transfer.ImportApi.as_view(), name="api-import"),
    path("import/<str:job_id>/", transfer.ImportJobApi.as_view(), name="api-import-job"),
    path("export/tickets.jsonl", transfer.TicketExportApi.as_view(), name="api-export-tickets"),
    path("customers/<int:pk>/", customers.CustomerDetailApi.as_view(), name="api-customer"),
    path(
        "customers/<int:pk>/merge/",
        customers.CustomerMergeApi.as_view(),
        name="api-customer-merge",
    ),
    path(
        "customers/<int:pk>/identities/",
        customers.CustomerIdentityListApi.as_view(),
        name="api-customer-identities",
    ),
    path(
        "customers/<int:pk>/identities/<int:identity_id>/",
        customers.CustomerIdentityDetailApi.as_view(),
        name="api-customer-identity",
    ),
    path("teams/", directory.TeamListApi.as_view(), name="api-teams"),
    path("teams/<int:pk>/", directory.TeamDetailApi.as_view(), name="api-team"),
    path("agents/", directory.AgentListApi.as_view(), name="api-agents"),
    path("agents/<int:pk>/", directory.AgentDetailApi.as_view(), name="api-agent"),
    path("tags/", directory.TagListApi.as_view(), name="api-tags"),
    path("tags/<int:pk>/", directory.TagDetailApi.as_view(), name="api-tag"),
    path("canned-responses/", canned.CannedListApi.as_view(), name="api-canned"),
    path("canned-responses/<int:pk>/", canned.CannedDetailApi.as_view(), name="api-canned-one"),
    path("canned-responses/<int:pk>/use/", canned.CannedUseApi.as_view(), name="api-canned-use"),
    path("rules/", rules.RuleListApi.as_view(), name="api-rules"),
    path("rules/dry-run/", rules.RuleDryRunApi.as_view(), name="api-rules-dry-run"),
    path("rules/<int:pk>/", rules.RuleDetailApi.as_view(), name="api-rule"),
    # Outbound webhook subscriptions (tickets/api/webhooks.py).
    path("webhooks/", webhooks.WebhookListCreateApi.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetailApi.as_view(), name="api-webhook"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        webhooks.WebhookRotateSecretApi.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path("webhooks/<int:pk>/ping/", webhooks.WebhookPingApi.as_view(), name="api-webhook-ping"),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<uuid:delivery_id>/",
        webhooks.WebhookDeliveryDetailApi.as_view(),
        name="api-webhook-delivery",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverApi.as_view(),
        name="api-webhook-redeliver",
    ),
]
