import pytest

from civicline.reports import services


@pytest.fixture(autouse=True)
def _media_and_limits(settings, tmp_path):
    """Photos go to a temporary folder; rate-limit counts start from zero in every test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    services.rate_limits_reset()


@pytest.fixture(autouse=True)
def _line(request):
    """A stand-in LINE API for every test (receipts are pushed when reports are filed); browser
    journeys use the emulator instead."""
    if "linesim" not in request.fixturenames:
        request.getfixturevalue("fake_line_api")
