from django.urls import path

from channels_in import webchat_views

urlpatterns = [
    path("demo/<int:channel_id>/", webchat_views.demo, name="webchat-demo"),
    path("typing/<int:ticket_id>/", webchat_views.operator_typing, name="webchat-typing"),
    path("<int:channel_id>/session/", webchat_views.session, name="webchat-session"),
    path("<int:channel_id>/messages/", webchat_views.messages, name="webchat-messages"),
]
