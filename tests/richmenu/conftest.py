import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_render_cache(settings, tmp_path):
    """Rendered drafts are cached by content; uploads go to a throwaway media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()
