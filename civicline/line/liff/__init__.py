"""Resident pages opened inside LINE (LIFF): sessions from verified ID tokens, and the resident's own page.

Features' resident views use ``resident_required`` and extend ``line/liff/base.html``.
"""
