import pytest

from tests.fixtures.line import FriendFactory
from tests.forms.factories import resident_client


@pytest.fixture
def friend():
    return FriendFactory(user_id="U" + "b" * 32, display_name="豊中 花子")


@pytest.fixture
def resident(friend):
    return resident_client(friend)
