from django.urls import path

from channels_in.api import ChannelListCreateApi

urlpatterns = [
    path("channels/", ChannelListCreateApi.as_view(), name="api-channels"),
]
