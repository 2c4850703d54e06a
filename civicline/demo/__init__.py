"""The one-command demo: a seeded demo city with web server, worker and LINE emulator on SQLite."""
