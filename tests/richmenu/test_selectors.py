"""Who may change the account-wide menus (system administrator + granted departments), and reads."""

from __future__ import annotations

import pytest

from civicline.richmenu import selectors
from civicline.richmenu.models import MenuEditorGrant, MenuVersion
from tests.fixtures.core import StaffFactory

from .factories import build_menu, editor

pytestmark = pytest.mark.django_db


def test_permissions_by_role_and_grant(system_admin):
    koho = editor(username="koho")
    crisis = editor(
        code="kikikanri", name="危機管理課", scope=MenuEditorGrant.Scope.EMERGENCY, username="kiki"
    )
    plain = StaffFactory(username="shimin")
    assert (selectors.can_edit(system_admin), selectors.can_switch_emergency(system_admin)) == (True, True)
    assert (selectors.can_edit(koho), selectors.can_switch_emergency(koho)) == (True, True)
    assert (selectors.can_edit(crisis), selectors.can_switch_emergency(crisis)) == (False, True)
    assert (selectors.can_edit(plain), selectors.can_switch_emergency(plain)) == (False, False)
    koho.is_active = False
    assert selectors.can_edit(koho) is False


def test_every_staff_member_may_look_at_the_menus():
    menu = build_menu()
    plain = StaffFactory()
    assert list(selectors.menu_list_for(fetched_by=plain)) == [menu]
    assert selectors.access_menu(fetched_by=plain, pk=menu.pk) == menu


def test_rollback_target_is_the_version_before_the_live_one():
    menu = build_menu()
    assert selectors.rollback_target(menu) is None
    for number in (1, 2, 3):
        MenuVersion.objects.create(
            menu=menu, number=number, is_live=number == 3, published_at="2025-04-01T00:00Z"
        )
    assert selectors.rollback_target(menu).number == 2


def test_grants_are_listed_for_the_system_admin_only(system_admin):
    editor(username="koho")
    assert selectors.grant_list_for(fetched_by=system_admin).count() == 1
    assert selectors.grant_list_for(fetched_by=StaffFactory()).count() == 0
