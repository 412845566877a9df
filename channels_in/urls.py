from django.urls import path

from channels_in.views import webhook

urlpatterns = [
    path("<slug:kind>/<int:channel_id>/", webhook, name="webhook"),
]
