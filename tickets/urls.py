from django.urls import path

from tickets import views

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply_view, name="ticket-reply"),
    path("tickets/<int:ticket_id>/status/", views.ticket_status_view, name="ticket-status"),
    path("tickets/<int:ticket_id>/priority/", views.ticket_priority_view, name="ticket-priority"),
    path("tickets/<int:ticket_id>/assign/", views.ticket_assign_view, name="ticket-assign"),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/retry/",
        views.message_retry_view,
        name="message-retry",
    ),
]
