from django.urls import path

from channels_in.api import ChannelDetailApi, ChannelListCreateApi, ChannelSecretRotateApi

urlpatterns = [
    path("channels/", ChannelListCreateApi.as_view(), name="api-channels"),
    path("channels/<int:pk>/", ChannelDetailApi.as_view(), name="api-channel"),
    path(
        "channels/<int:pk>/rotate-secret/",
        ChannelSecretRotateApi.as_view(),
        name="api-channel-rotate-secret",
    ),
]
