import json
import sys
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicline.core import catalogues


class Command(BaseCommand):
    help = (
        "Translation catalogues (issue 21): --update extracts msgids into every app's catalogues and "
        "compiles them; --check fails on anything untranslated, fuzzy, stale or with broken "
        "placeholders; --missing LOCALE prints what a translator still has to write, as JSON; "
        "--fill LOCALE FILE.json writes it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--update", action="store_true", help="makemessages, fix headers, compile .mo")
        action.add_argument("--check", action="store_true", help="exit 1 and list every problem")
        action.add_argument("--missing", metavar="LOCALE", help="the required untranslated entries, as JSON")
        action.add_argument(
            "--fill", nargs=2, metavar=("LOCALE", "FILE"), help="write translations from JSON"
        )
        parser.add_argument(
            "apps", nargs="*", metavar="APP", help=f"default: all ({', '.join(catalogues.apps())})"
        )

    def handle(self, *args: str, apps: list[str], **options: object) -> None:
        unknown = set(apps) - set(catalogues.apps())
        if unknown:
            raise CommandError(f"not an app with catalogues: {', '.join(sorted(unknown))}")
        chosen = apps or catalogues.apps()
        if options["update"]:
            for path in catalogues.update(chosen):
                self.stdout.write(str(path.relative_to(catalogues.ROOT.parent)))
        elif options["check"]:
            self._check(chosen)
        elif options["missing"]:
            locale = self._locale(str(options["missing"]))
            self.stdout.write(json.dumps(catalogues.missing(locale, chosen), ensure_ascii=False, indent=1))
        else:
            locale, file = cast(list[str], options["fill"])
            self._fill(self._locale(locale), Path(file), chosen)

    def _locale(self, locale: str) -> str:
        if locale not in catalogues.LOCALES:
            raise CommandError(f"locale {locale!r} is not shipped: {', '.join(catalogues.LOCALES)}")
        return locale

    def _check(self, apps: list[str]) -> None:
        problems = catalogues.check(apps)
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            self.stderr.write(f"{len(problems)} problems in the translation catalogues")
            sys.exit(1)
        self.stdout.write(f"catalogues complete: {', '.join(apps)}")

    def _fill(self, locale: str, file: Path, apps: list[str]) -> None:
        try:
            translations = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        if not isinstance(translations, dict):
            raise CommandError(f"{file}: a JSON object {{msgid: translation}} is expected")
        result = catalogues.fill(locale, translations, apps)
        for line in result.refused:
            self.stderr.write(f"refused {line}")
        for msgid in result.unknown:
            self.stderr.write(f"not in these catalogues: {msgid!r}")
        self.stdout.write(f"{result.entries} entries written into {len(result.catalogues)} catalogues")
        if result.refused:
            raise CommandError(f"{len(result.refused)} translations refused")
