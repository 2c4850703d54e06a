"""Rich menus in the emulator answer as LINE documents them (Messaging API reference, rich menu section)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.conf import settings
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob, RichMenuRequest
from PIL import Image

from civicline.linesim.client import EmulatorError
from tests.fixtures.linesim import linesim_db

pytestmark = linesim_db

WIDTH, HEIGHT = 2500, 843


def image(width: int = WIDTH, height: int = HEIGHT, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#06c755").save(out, fmt)
    return out.getvalue()


def menu_body(**changes: Any) -> dict[str, Any]:
    body = {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": False,
        "name": "市役所メニュー",
        "chatBarText": "メニュー",
        "areas": [
            {
                "bounds": {"x": 0, "y": 0, "width": 1250, "height": HEIGHT},
                "action": {"type": "postback", "data": "menu=reports"},
            },
            {
                "bounds": {"x": 1250, "y": 0, "width": 1250, "height": HEIGHT},
                "action": {"type": "richmenuswitch", "richMenuAliasId": "tab-b", "data": "tab=b"},
            },
        ],
    }
    return {**body, **changes}


@pytest.fixture
def make_menu(line_api):
    """Create a rich menu (with its image unless ``with_image=False``) and return its id."""

    def make(*, with_image: bool = True, **changes: Any) -> str:
        response = line_api("POST", "/v2/bot/richmenu", menu_body(**changes))
        assert response.status_code == 200, response.text
        menu_id = response.json()["richMenuId"]
        if with_image:
            uploaded = upload(line_api, menu_id, image())
            assert uploaded.status_code == 200, uploaded.text
        return menu_id

    return make


def upload(line_api, menu_id: str, data: bytes, content_type: str = "image/png"):
    return line_api(
        "POST", f"/v2/bot/richmenu/{menu_id}/content", data=data, headers={"Content-Type": content_type}
    )


@pytest.fixture
def friend(linesim) -> dict:
    return linesim.client.create_user("山田 太郎", follow=True)


def test_the_sdk_creates_uploads_and_reads_back_a_menu(linesim):
    config = Configuration(host=linesim.base_url, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
    with ApiClient(config) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        created = api.create_rich_menu(RichMenuRequest.from_dict(menu_body()))
        png = image()
        blob.set_rich_menu_image(created.rich_menu_id, png, _headers={"Content-Type": "image/png"})

        fetched = api.get_rich_menu(created.rich_menu_id)
        listed = api.get_rich_menu_list().richmenus
        downloaded = blob.get_rich_menu_image(created.rich_menu_id)

    assert created.rich_menu_id.startswith("richmenu-")
    assert fetched.to_dict() == {"richMenuId": created.rich_menu_id, **menu_body()}
    assert [m.rich_menu_id for m in listed] == [created.rich_menu_id]
    assert downloaded == png


def test_validate_accepts_a_good_object_and_creates_nothing(line_api):
    response = line_api("POST", "/v2/bot/richmenu/validate", menu_body())

    assert response.status_code == 200
    assert response.json() == {}
    assert line_api("GET", "/v2/bot/richmenu/list").json() == {"richmenus": []}


def _areas(count: int) -> list[dict]:
    return [
        {
            "bounds": {"x": i * 100, "y": 0, "width": 100, "height": 100},
            "action": {"type": "message", "text": "a"},
        }
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("changes", "prop"),
    [
        ({"name": None}, "name"),
        ({"size": {"width": 799, "height": 250}}, "size.width"),
        ({"size": {"width": 2501, "height": 1686}}, "size.width"),
        ({"size": {"width": 800, "height": 249}}, "size.height"),
        ({"size": {"width": 1200, "height": 828}}, "size"),  # aspect ratio 1.449…
        ({"areas": _areas(21)}, "areas"),
        ({"chatBarText": "あ" * 15}, "chatBarText"),
        ({"name": "x" * 301}, "name"),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 2000, "y": 0, "width": 501, "height": 100},
                        "action": {"type": "message", "text": "a"},
                    }
                ]
            },
            "areas[0].bounds",
        ),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
                        "action": {"type": "uri", "uri": "ftp://x"},
                    }
                ]
            },
            "areas[0].action.uri",
        ),
        (
            {
                "areas": [
                    {
                        "bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
                        "action": {"type": "camera", "label": "c"},
                    }
                ]
            },
            "areas[0].action.type",
        ),
        (
            {
                "areas": [
                    {"bounds": {"x": 0, "y": 0, "width": 100, "height": 100}, "action": {"type": "postback"}}
                ]
            },
            "areas[0].action.data",
        ),
    ],
)
@pytest.mark.parametrize("path", ["/v2/bot/richmenu", "/v2/bot/richmenu/validate"])
def test_objects_line_refuses_are_400_with_the_property(line_api, changes, prop, path):
    body = {k: v for k, v in menu_body(**changes).items() if v is not None}

    response = line_api("POST", path, body)

    assert response.status_code == 400
    payload = response.json()
    assert payload["message"].startswith("The request body has ")
    assert prop in [d["property"] for d in payload["details"]], payload
    assert line_api("GET", "/v2/bot/richmenu/list").json() == {"richmenus": []}


def test_a_missing_key_is_reported_as_line_words_it(line_api):
    body = menu_body()
    del body["name"]

    response = line_api("POST", "/v2/bot/richmenu", body)

    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "name"}],
    }


def test_twenty_areas_and_an_empty_area_list_are_allowed(line_api):
    # LINE caps areas at 20 and has been seen to keep a menu with none.
    for areas in (_areas(20), []):
        assert line_api("POST", "/v2/bot/richmenu", menu_body(areas=areas)).status_code == 200


@pytest.mark.parametrize(
    ("data", "content_type", "status", "message"),
    [
        (image(), "image/gif", 415, "Unsupported media type"),
        (image(WIDTH, 1686), "image/png", 400, "The image size is not allowed for richmenu"),
        (image(fmt="JPEG"), "image/png", 400, "The image size is not allowed for richmenu"),
        (b"not an image", "image/jpeg", 400, "The image size is not allowed for richmenu"),
        (b"\x89PNG" + bytes(1024 * 1024), "image/png", 400, "The image size is not allowed for richmenu"),
    ],
    ids=["wrong-type", "wrong-pixel-size", "jpeg-sent-as-png", "not-an-image", "over-1MB"],
)
def test_bad_images_are_refused(line_api, make_menu, data, content_type, status, message):
    menu_id = make_menu(with_image=False)

    response = upload(line_api, menu_id, data, content_type)

    assert response.status_code == status
    assert response.json()["message"] == message
    assert line_api("GET", f"/v2/bot/richmenu/{menu_id}/content").status_code == 404


def test_a_jpeg_of_the_right_size_is_accepted_once(line_api, make_menu):
    menu_id = make_menu(with_image=False)
    jpeg = image(fmt="JPEG")

    first = upload(line_api, menu_id, jpeg, "image/jpeg")
    second = upload(line_api, menu_id, jpeg, "image/jpeg")

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json() == {"message": "An image has already been uploaded to the richmenu"}
    downloaded = line_api("GET", f"/v2/bot/richmenu/{menu_id}/content")
    assert downloaded.content == jpeg and downloaded.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/bot/richmenu/{id}"),
        ("DELETE", "/v2/bot/richmenu/{id}"),
        ("POST", "/v2/bot/richmenu/{id}/content"),
        ("GET", "/v2/bot/richmenu/{id}/content"),
        ("POST", "/v2/bot/user/all/richmenu/{id}"),
        ("POST", "/v2/bot/user/U" + "0" * 32 + "/richmenu/{id}"),
    ],
)
def test_unknown_menu_is_404_not_found(line_api, method, path):
    unknown = "richmenu-" + "0" * 32
    headers = {"Content-Type": "image/png"} if path.endswith("content") else None

    response = line_api(
        method, path.format(id=unknown), data=image() if method == "POST" else None, headers=headers
    )

    assert response.status_code == 404
    assert response.json() == {"message": "Not found"}


def test_a_menu_without_image_cannot_be_linked_or_made_default(line_api, make_menu, friend):
    menu_id = make_menu(with_image=False)

    linked = line_api("POST", f"/v2/bot/user/{friend['userId']}/richmenu/{menu_id}")
    default = line_api("POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    bulk = line_api(
        "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu_id, "userIds": [friend["userId"]]}
    )

    expected = {"message": "must upload richmenu image before applying it to user", "details": []}
    assert (linked.status_code, linked.json()) == (400, expected)
    assert (default.status_code, default.json()) == (400, expected)
    assert (bulk.status_code, bulk.json()) == (400, expected)


def test_the_per_user_menu_beats_the_default(linesim, line_api, make_menu, friend):
    user_id = friend["userId"]
    default_menu, own_menu = make_menu(), make_menu(chatBarText="マイメニュー")
    line_api("POST", f"/v2/bot/user/all/richmenu/{default_menu}")

    shown_before = linesim.client.richmenu_for(user_id)
    user_api_before = line_api("GET", f"/v2/bot/user/{user_id}/richmenu")
    line_api("POST", f"/v2/bot/user/{user_id}/richmenu/{own_menu}")
    shown_linked = linesim.client.richmenu_for(user_id)
    line_api("DELETE", f"/v2/bot/user/{user_id}/richmenu")
    shown_after = linesim.client.richmenu_for(user_id)

    assert shown_before["richMenuId"] == default_menu
    assert user_api_before.status_code == 404
    assert user_api_before.json() == {"message": "the user has no richmenu", "details": []}
    assert shown_linked["richMenuId"] == own_menu and shown_linked["chatBarText"] == "マイメニュー"
    assert shown_after["richMenuId"] == default_menu
    assert line_api("GET", "/v2/bot/user/all/richmenu").json() == {"richMenuId": default_menu}


def test_the_phone_gets_size_areas_and_the_image(linesim, line_api, make_menu, friend):
    menu_id = make_menu()
    line_api("POST", f"/v2/bot/user/all/richmenu/{menu_id}")

    shown = linesim.client.richmenu_for(friend["userId"])
    picture = linesim.client.session.get(shown["imageUrl"], timeout=10)

    assert shown["size"] == {"width": WIDTH, "height": HEIGHT}
    assert shown["areas"] == menu_body()["areas"]
    assert shown["selected"] is False and shown["chatBarText"] == "メニュー"
    assert picture.status_code == 200 and picture.content == image()


def test_no_menu_is_404_on_the_phone_and_for_the_default(linesim, line_api, friend):
    with pytest.raises(EmulatorError) as missing:
        linesim.client.richmenu_for(friend["userId"])

    assert missing.value.status_code == 404
    default = line_api("GET", "/v2/bot/user/all/richmenu")
    assert (default.status_code, default.json()) == (404, {"message": "no default richmenu", "details": []})


def test_linking_a_non_friend_answers_200_but_links_nothing(linesim, line_api, make_menu):
    stranger = linesim.client.create_user("未登録")
    menu_id = make_menu()

    response = line_api("POST", f"/v2/bot/user/{stranger['userId']}/richmenu/{menu_id}")

    assert response.status_code == 200
    assert line_api("GET", f"/v2/bot/user/{stranger['userId']}/richmenu").status_code == 404


def test_an_invalid_user_id_is_400(line_api, make_menu):
    response = line_api("POST", f"/v2/bot/user/nobody/richmenu/{make_menu()}")

    assert response.status_code == 400
    assert response.json() == {"message": "The value for the 'userId' parameter is invalid"}


def test_bulk_link_and_unlink_answer_202(linesim, line_api, make_menu):
    users = [linesim.client.create_user(f"住民{i}", follow=True)["userId"] for i in range(3)]
    menu_id = make_menu()

    linked = line_api("POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu_id, "userIds": users})
    after_link = [line_api("GET", f"/v2/bot/user/{u}/richmenu").json() for u in users]
    unlinked = line_api("POST", "/v2/bot/richmenu/bulk/unlink", {"userIds": users[:2]})
    after_unlink = [line_api("GET", f"/v2/bot/user/{u}/richmenu").status_code for u in users]

    assert (linked.status_code, linked.json()) == (202, {})
    assert after_link == [{"richMenuId": menu_id}] * 3
    assert unlinked.status_code == 202
    assert after_unlink == [404, 404, 200]


def test_bulk_link_errors(line_api, make_menu, friend):
    menu_id = make_menu()

    bad_user = line_api("POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": menu_id, "userIds": ["x"]})
    bad_menu = line_api(
        "POST", "/v2/bot/richmenu/bulk/link", {"richMenuId": "nope", "userIds": [friend["userId"]]}
    )
    gone = line_api(
        "POST",
        "/v2/bot/richmenu/bulk/link",
        {"richMenuId": "richmenu-" + "0" * 32, "userIds": [friend["userId"]]},
    )

    assert bad_user.json() == {
        "message": "The property, 'userIds[0]', in the request body is invalid (line: -, column: -)"
    }
    assert bad_menu.json()["details"] == [{"message": "invalid richMenuId", "property": "richMenuId"}]
    assert (gone.status_code, gone.json()) == (404, {"message": "richmenu not found", "details": []})


def test_aliases_point_only_at_menus_with_images(line_api, make_menu):
    with_image, without_image = make_menu(), make_menu(with_image=False)

    refused = line_api(
        "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-a", "richMenuId": without_image}
    )
    created = line_api(
        "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-a", "richMenuId": with_image}
    )
    again = line_api("POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-a", "richMenuId": with_image})
    bad_id = line_api(
        "POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "Tab A!", "richMenuId": with_image}
    )

    assert (refused.status_code, refused.json()) == (400, {"message": "richmenu not found", "details": []})
    assert (created.status_code, created.json()) == (200, {})
    assert (again.status_code, again.json()) == (
        400,
        {"message": "conflict richmenu alias id", "details": []},
    )
    assert bad_id.status_code == 400 and bad_id.json()["details"][0]["property"] == "richMenuAliasId"


def test_alias_get_update_list_delete(line_api, make_menu):
    first, second = make_menu(), make_menu()
    line_api("POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-a", "richMenuId": first})

    updated = line_api("POST", "/v2/bot/richmenu/alias/tab-a", {"richMenuId": second})
    fetched = line_api("GET", "/v2/bot/richmenu/alias/tab-a").json()
    listed = line_api("GET", "/v2/bot/richmenu/alias/list").json()
    deleted = line_api("DELETE", "/v2/bot/richmenu/alias/tab-a")
    missing = line_api("GET", "/v2/bot/richmenu/alias/tab-a")

    assert updated.status_code == 200
    assert fetched == {"richMenuAliasId": "tab-a", "richMenuId": second}
    assert listed == {"aliases": [fetched]}
    assert deleted.status_code == 200
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": "richmenu alias not found", "details": []},
    )


def test_alias_switch_links_the_menu_and_sends_its_postback(linesim, line_api, make_menu, receiver, friend):
    tab_a, tab_b = make_menu(chatBarText="タブA"), make_menu(chatBarText="タブB")
    line_api("POST", f"/v2/bot/user/all/richmenu/{tab_a}")
    line_api("POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-b", "richMenuId": tab_b})

    result = linesim.client.switch_richmenu(friend["userId"], "tab-b", "tab=b")

    assert result["status"] == "SUCCESS"
    assert result["richMenu"]["richMenuId"] == tab_b
    assert linesim.client.richmenu_for(friend["userId"])["chatBarText"] == "タブB"
    [event] = json.loads(receiver.last.body)["events"]
    assert event["type"] == "postback"
    assert event["postback"] == {
        "data": "tab=b",
        "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"},
    }
    assert line_api("GET", f"/v2/bot/user/{friend['userId']}/richmenu").json() == {"richMenuId": tab_b}


def test_a_switch_to_a_missing_alias_or_menu_still_sends_the_postback(
    linesim, line_api, make_menu, receiver, friend
):
    menu_id = make_menu()
    line_api("POST", "/v2/bot/richmenu/alias", {"richMenuAliasId": "tab-c", "richMenuId": menu_id})
    line_api("DELETE", f"/v2/bot/richmenu/{menu_id}")

    no_alias = linesim.client.switch_richmenu(friend["userId"], "tab-x", "tab=x")
    no_menu = linesim.client.switch_richmenu(friend["userId"], "tab-c", "tab=c")

    assert no_alias["status"] == "RICHMENU_ALIAS_ID_NOTFOUND"
    assert no_menu["status"] == "RICHMENU_NOTFOUND"
    events = [json.loads(r.body)["events"][0] for r in receiver.requests]
    params = [e["postback"]["params"] for e in events if e["type"] == "postback"]
    # newRichMenuAliasId is present only when the switch worked.
    assert params == [{"status": "RICHMENU_ALIAS_ID_NOTFOUND"}, {"status": "RICHMENU_NOTFOUND"}]


def test_deleting_a_menu_unlinks_it_and_clears_the_default(linesim, line_api, make_menu, friend):
    menu_id = make_menu()
    line_api("POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    line_api("POST", f"/v2/bot/user/{friend['userId']}/richmenu/{menu_id}")

    deleted = line_api("DELETE", f"/v2/bot/richmenu/{menu_id}")

    assert deleted.status_code == 200
    assert line_api("GET", "/v2/bot/user/all/richmenu").status_code == 404
    assert line_api("GET", f"/v2/bot/user/{friend['userId']}/richmenu").status_code == 404
    assert line_api("GET", f"/v2/bot/richmenu/{menu_id}").status_code == 404


def test_a_wrong_method_is_405_with_a_request_id(line_api, make_menu):
    response = line_api("PUT", f"/v2/bot/richmenu/{make_menu()}")

    assert response.status_code == 405
    assert response.headers["x-line-request-id"]


@pytest.mark.parametrize(
    "changes",
    [
        {"areas": ["x"]},
        {"areas": "x"},
        {"size": "big"},
        {"selected": "yes"},
        {
            "areas": [
                {
                    "bounds": {"x": "a", "y": 0, "width": 1, "height": 1},
                    "action": {"type": "message", "text": "a"},
                }
            ]
        },
        {"areas": [{"bounds": {"x": 0, "y": 0, "width": 1, "height": 1}, "action": "tap"}]},
        {"areas": [{"bounds": {"x": 0, "y": 0, "width": 1, "height": 1}, "action": {"type": "nonsense"}}]},
    ],
)
def test_malformed_objects_are_400_never_500(line_api, changes):
    response = line_api("POST", "/v2/bot/richmenu", menu_body(**changes))

    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body has ")


def test_an_upload_over_the_request_limit_gets_lines_error(line_api, make_menu):
    response = upload(line_api, make_menu(with_image=False), bytes(3 * 1024 * 1024))

    assert (response.status_code, response.json()) == (
        400,
        {"message": "The image size is not allowed for richmenu"},
    )
