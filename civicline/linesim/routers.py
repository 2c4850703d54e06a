"""The emulator's tables live in their own database, as LINE's state lives outside ours."""

EMULATOR_DB = "linesim"


class EmulatorRouter:
    def _is_emulator(self, model) -> bool:
        return model._meta.app_label == "linesim"

    def db_for_read(self, model, **hints):
        return EMULATOR_DB if self._is_emulator(model) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        if self._is_emulator(obj1) or self._is_emulator(obj2):
            return self._is_emulator(obj1) and self._is_emulator(obj2)
        return None

    def allow_migrate(self, db, app_label, **hints):
        if app_label == "linesim":
            return db == EMULATOR_DB
        return db != EMULATOR_DB
