"""Showing a TOTP device's secret to its owner: grouped base32 text and a server-rendered QR code."""

from __future__ import annotations

from base64 import b32encode

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice


def device_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it to be typed, in groups of four for reading aloud."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def device_qr_svg(device: TOTPDevice) -> str:
    """An inline <svg> of the otpauth:// URL (no JavaScript and no external service involved)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, border=2, title="QR", svgclass="qr-code")
