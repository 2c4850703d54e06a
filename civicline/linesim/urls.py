"""The emulator's whole site: LINE's API paths (api.line.me and api-data.line.me on one host) and /sim/api/.

Served only by ``civicline.linesim.server``, never mounted in civicline's own URLconf.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from . import api_views, control_views

app_name = "linesim"

urlpatterns = [
    path("v2/bot/message/reply", api_views.reply, name="reply"),
    path("v2/bot/message/push", api_views.push, name="push"),
    path("v2/bot/message/multicast", api_views.multicast, name="multicast"),
    path("v2/bot/message/broadcast", api_views.broadcast, name="broadcast"),
    path("v2/bot/message/narrowcast", api_views.narrowcast, name="narrowcast"),
    path("v2/bot/message/progress/narrowcast", api_views.narrowcast_progress, name="narrowcast-progress"),
    path("v2/bot/message/<str:message_id>/content", api_views.content, name="content"),
    path("v2/bot/profile/<str:user_id>", api_views.profile, name="profile"),
    path("v2/bot/info", api_views.bot_info, name="bot-info"),
    path("v2/bot/followers/ids", api_views.followers, name="followers"),
    path("sim/api/users", control_views.users, name="users"),
    path("sim/api/users/<str:user_id>", control_views.user_detail, name="user"),
    path("sim/api/users/<str:user_id>/follow", control_views.follow, name="user-follow"),
    path("sim/api/users/<str:user_id>/unfollow", control_views.unfollow, name="user-unfollow"),
    path("sim/api/users/<str:user_id>/block", control_views.block, name="user-block"),
    path("sim/api/users/<str:user_id>/text", control_views.send_text, name="user-text"),
    path("sim/api/users/<str:user_id>/location", control_views.send_location, name="user-location"),
    path("sim/api/users/<str:user_id>/images", control_views.send_images, name="user-images"),
    path("sim/api/users/<str:user_id>/postback", control_views.send_postback, name="user-postback"),
    path("sim/api/users/<str:user_id>/messages", control_views.messages, name="user-messages"),
    path("sim/api/webhooks", control_views.webhook_log, name="webhooks"),
    path("sim/api/webhooks/redeliver", control_views.redeliver, name="webhook-redeliver"),
    path("sim/api/mails", control_views.mails, name="mails"),
]


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse({"message": "Not found"}, status=404)


handler404 = not_found
