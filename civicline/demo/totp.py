"""Print the current sign-in code of a demo account, for trying the demo without an authenticator app.

    .venv/bin/python -m civicline.demo.totp admin
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    from civicline.demo import environment

    os.environ.update(environment.load())
    import django

    django.setup()
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    username = sys.argv[1] if len(sys.argv) > 1 else "admin"
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        print(f"no confirmed TOTP device for {username!r}", file=sys.stderr)
        return 1
    print(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
