import pytest


@pytest.fixture
def linesim_webhook_url(live_server) -> str:
    """In browser journeys the emulator delivers webhooks to the live civicline server."""
    return live_server.url + "/line/webhook"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
