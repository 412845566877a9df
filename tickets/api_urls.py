from django.urls import path

from tickets.api.tickets import TicketDetailApi, TicketListApi, TicketReplyApi

urlpatterns = [
    path("tickets/", TicketListApi.as_view(), name="api-tickets"),
    path("tickets/<int:pk>/", TicketDetailApi.as_view(), name="api-ticket"),
    path("tickets/<int:pk>/reply/", TicketReplyApi.as_view(), name="api-ticket-reply"),
]
