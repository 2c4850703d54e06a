from django.apps import AppConfig


class LinesimConfig(AppConfig):
    name = "civicline.linesim"
    label = "linesim"
    verbose_name = "LINE emulator"
