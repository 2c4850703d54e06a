import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicline.settings")
application = get_wsgi_application()

# LINE's public keys for residents' sign-ins are fetched now, in the background, not by the first
# resident's request (and kept fresh while the process runs).
from civicline.line.liff.keys import jwks_refresher_start  # noqa: E402 - needs Django set up

jwks_refresher_start()
