"""The emulator's whole site: LINE's API paths (api.line.me and api-data.line.me on one host) and /sim/api/.

Served only by ``civicline.linesim.server``, never mounted in civicline's own URLconf.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from . import api_views, control_views, insight_views, liff_views, links, phone_views, richmenu_views
from .api_views import by_method

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
    path("", phone_views.phone, name="phone"),
    path("sim/users/new", phone_views.user_new, name="user-new"),
    path("sim/api/users/<str:user_id>/timeline", phone_views.timeline, name="user-timeline"),
    path("sim/api/users/<str:user_id>/open", links.open_link, name="user-open"),
    path("sim/content/<str:message_id>", phone_views.sent_content, name="sent-content"),
    path("mailbox", phone_views.mailbox, name="mailbox"),
    path("mailbox/<int:mail_id>", phone_views.mailbox, name="mail"),
    path("sim/static/<path:path>", phone_views.static, name="static"),
]


# Rich menus, LIFF, LINE Login and insight. Fixed segments ("list", "alias", "all", ...) come before the
# patterns whose <str:...> would otherwise swallow them.
rm = richmenu_views
urlpatterns += [
    path("v2/bot/richmenu", rm.create, name="richmenu-create"),
    path("v2/bot/richmenu/validate", rm.validate, name="richmenu-validate"),
    path("v2/bot/richmenu/list", rm.menu_list, name="richmenu-list"),
    path("v2/bot/richmenu/bulk/link", rm.bulk_link, name="richmenu-bulk-link"),
    path("v2/bot/richmenu/bulk/unlink", rm.bulk_unlink, name="richmenu-bulk-unlink"),
    path("v2/bot/richmenu/batch", rm.batch, name="richmenu-batch"),
    path("v2/bot/richmenu/validate/batch", rm.batch_validate, name="richmenu-batch-validate"),
    path("v2/bot/richmenu/progress/batch", rm.batch_progress, name="richmenu-batch-progress"),
    path("v2/bot/richmenu/alias", rm.alias_create, name="richmenu-alias-create"),
    path("v2/bot/richmenu/alias/list", rm.alias_list, name="richmenu-alias-list"),
    path(
        "v2/bot/richmenu/alias/<str:alias_id>",
        by_method(GET=rm.alias_get, POST=rm.alias_update, DELETE=rm.alias_delete),
        name="richmenu-alias",
    ),
    path("v2/bot/richmenu/<str:rich_menu_id>", by_method(GET=rm.detail, DELETE=rm.delete), name="richmenu"),
    path(
        "v2/bot/richmenu/<str:rich_menu_id>/content",
        by_method(POST=rm.upload_image, GET=rm.download_image),
        name="richmenu-content",
    ),
    path(
        "v2/bot/user/all/richmenu",
        by_method(GET=rm.default_get, DELETE=rm.default_clear),
        name="richmenu-default",
    ),
    path("v2/bot/user/all/richmenu/<str:rich_menu_id>", rm.default_set, name="richmenu-default-set"),
    path(
        "v2/bot/user/<str:user_id>/richmenu",
        by_method(GET=rm.user_get, DELETE=rm.user_unlink),
        name="user-richmenu",
    ),
    path("v2/bot/user/<str:user_id>/richmenu/<str:rich_menu_id>", rm.user_link, name="user-richmenu-link"),
    path("v2/bot/insight/message/event", insight_views.message_event, name="insight-message-event"),
    path("v2/bot/insight/message/event/aggregation", insight_views.unit_statistics, name="insight-unit"),
    path("v2/bot/message/aggregation/info", insight_views.unit_usage, name="aggregation-info"),
    path("v2/bot/message/aggregation/list", insight_views.unit_names, name="aggregation-list"),
    path("liff/v1/apps", liff_views.apps, name="liff-apps"),
    path("liff/v1/apps/<str:liff_id>", liff_views.app, name="liff-app"),
    path("oauth2/v2.1/verify", liff_views.verify_id_token, name="verify-id-token"),
    path("oauth2/v2.1/certs", liff_views.certs, name="login-certs"),
    path(".well-known/openid-configuration", liff_views.openid_configuration, name="openid-configuration"),
    path("sim/api/users/<str:user_id>/richmenu", rm.phone_menu, name="user-phone-richmenu"),
    path("sim/api/users/<str:user_id>/richmenu/switch", rm.phone_switch, name="user-richmenu-switch"),
    path("sim/api/users/<str:user_id>/insight", insight_views.report, name="user-insight"),
    path("sim/api/richmenus/<str:rich_menu_id>/image", rm.phone_image, name="richmenu-image"),
    path("sim/api/liff/apps", liff_views.sim_apps, name="sim-liff-apps"),
    path("sim/api/liff/resolve", liff_views.resolve, name="liff-resolve"),
    path("sim/api/liff/token", liff_views.token, name="liff-token"),
    path("sim/api/liff/send", liff_views.send, name="liff-send"),
    path("sim/api/liff/keys", liff_views.keys, name="liff-keys"),
    path("sim/api/liff/keys/rotate", liff_views.keys_rotate, name="liff-keys-rotate"),
    path("sim/liff-sdk.js", liff_views.sdk, name="liff-sdk"),
]


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse({"message": "Not found"}, status=404)


handler404 = not_found
