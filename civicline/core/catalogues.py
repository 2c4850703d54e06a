"""Translation catalogues (issue 21): one per app and language, kept complete by a check in CI.

Msgids are Japanese (the city's own words); each first-party app keeps its catalogues beside its
code, ``civicline/<app>/locale/<locale>/LC_MESSAGES/django.po`` and the ``.mo`` compiled from it
(committed together: the server never runs msgfmt).

Which strings a language must translate:

- ``en`` ships the staff console as well as residents' pages: every msgid is translated.
- The resident languages (``zh_Hans``, ``ko``, ``vi``, ``ja_Easy``) translate every msgid with at
  least one occurrence in a RESIDENT_FACING path: what a resident reads — LIFF pages, LINE replies
  and pushes, e-mails, error pages. The staff console in those languages is not offered
  (settings.CONSOLE_LANGUAGES), so its strings may stay in Japanese there.

RESIDENT_FACING lists path globs relative to ``civicline/`` (``*`` also crosses ``/``). A module a
resident reads strings from outside the usual places — a service whose ValidationError a LIFF page
shows, a helper building a Flex card — is added here by the feature that makes it so.

The command ``manage.py catalogues`` (``--update``, ``--check``, ``--missing``, ``--fill``) drives
all of this; translators only write JSON (README, "Languages and translation").
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polib  # type: ignore[import-untyped]  # a test dependency without stubs
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.test.utils import override_settings

ROOT = Path(__file__).resolve().parent.parent

# The LINE emulator is a test double and the demo a seeding tool: neither ships to residents or staff.
NOT_SHIPPED = frozenset({"linesim", "demo"})

CONSOLE_LOCALE = "en"
# Django's to_locale() of the resident languages in settings.LANGUAGES (ja-easy -> ja_Easy).
RESIDENT_LOCALES = ("zh_Hans", "ko", "vi", "ja_Easy")
LOCALES = (CONSOLE_LOCALE, *RESIDENT_LOCALES)
# Python's gettext needs a Plural-Forms it can parse; Chinese, Korean, Vietnamese and Japanese
# have one form.
PLURAL_FORMS = {"en": "nplurals=2; plural=(n != 1);"}
ONE_FORM = "nplurals=1; plural=0;"

RESIDENT_FACING = [
    "*/liff/*",
    "*/templates/*/liff/*",
    "*/templates/*/email/*",
    "*/handlers.py",
    "*/line_messages.py",
    "*/notifications.py",
    "*/emergency.py",
    "*/liff.py",
    "core/templates/core/errors/*",
    "core/errors.py",
    "line/liff/*",
    # The "busy" page a resident gets at a disaster's peak; photo checks on LIFF uploads; the
    # opening hours and holidays booking pages show.
    "core/templates/core/busy.html",
    "core/images.py",
    "core/calendar.py",
    # Refusals a resident reads on the booking pages and in LINE (full slot, window, limits, contact
    # format), and the form engine's fields, answers, checks and talk questions every feature uses.
    "reservations/services.py",
    "reservations/schedule.py",
    "reservations/contact.py",
    "forms/schema.py",
    "forms/fields.py",
    "forms/services.py",
    "forms/talk.py",
    # The chatbot's 「日本語のみ」 mark on an answer that reached a resident in Japanese (issue 21).
    "chatbot/multilingual.py",
    # 受信設定: the answers a resident picks, and the refusals of what they submitted (issue 21).
    "delivery/choices.py",
    "delivery/services/residents.py",
    # Why a survey's page refuses an answer (closed, invited only, already answered).
    "surveys/selectors.py",
    # Shelters' statuses, disaster kinds and check-in needs on the map, the shelter list and the talk;
    # report statuses on the resident's pages; refusals a resident reads on the check-in, report,
    # public-comment and chat pages; a topic's opening hours and weekdays in the talk (issue 21).
    "facilities/models.py",
    "facilities/services.py",
    "reports/models.py",
    "reports/services.py",
    "publiccomment/services.py",
    "conversations/services.py",
    "conversations/hours.py",
]

# A JSON value for one msgid: its text, or for a plural msgid its forms (a list, or
# {"msgid_plural": …, "msgstr": [...]} as --missing prints it).
Translation = str | list[str] | dict[str, object]

# Python's %-formatting (named or positional) and str.format-style names: all must survive.
_PLACEHOLDER = re.compile(
    r"%%|%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[A-Za-z_]\w*\}"
)


def apps() -> list[str]:
    """Every first-party app that ships (it has an apps.py), by name."""
    return sorted(
        path.name for path in ROOT.iterdir() if (path / "apps.py").exists() and path.name not in NOT_SHIPPED
    )


def catalogue_path(app: str, locale: str) -> Path:
    return ROOT / app / "locale" / locale / "LC_MESSAGES" / "django.po"


def plural_forms(locale: str) -> str:
    return PLURAL_FORMS.get(locale, ONE_FORM)


def nplurals(locale: str) -> int:
    return int(re.search(r"nplurals=(\d+)", plural_forms(locale)).group(1))  # type: ignore[union-attr]


def resident_facing(app: str, occurrences: Iterable[tuple[str, str]]) -> bool:
    """Whether one of a msgid's occurrences (paths relative to the app) is read by residents."""
    for path, _line in occurrences:
        relative = f"{app}/{path.removeprefix('./')}"
        if any(fnmatch.fnmatchcase(relative, pattern) for pattern in RESIDENT_FACING):
            return True
    return False


def required(app: str, locale: str, occurrences: Iterable[tuple[str, str]]) -> bool:
    """Whether ``locale`` must translate a msgid of ``app`` found at these occurrences."""
    return locale == CONSOLE_LOCALE or resident_facing(app, occurrences)


def key(entry: polib.POEntry) -> str:
    """The JSON key of an entry: its msgid, behind its context as gettext stores it."""
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def _identity(entry: polib.POEntry) -> tuple[str, str, str]:
    return entry.msgctxt or "", entry.msgid, entry.msgid_plural or ""


def translated(entry: polib.POEntry) -> bool:
    """Translated and not fuzzy: every plural form filled."""
    if entry.fuzzy:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def placeholders(text: str) -> list[str]:
    return sorted(match for match in _PLACEHOLDER.findall(text) if match != "%%")


def placeholder_problem(entry: polib.POEntry) -> str:
    """What a translation does to the msgid's placeholders ("" when it keeps them)."""
    if entry.msgid_plural:
        wanted = placeholders(entry.msgid_plural)
        forms = [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
        for index, text in enumerate(forms):
            if not text:
                continue
            found = placeholders(text)
            last = index == len(forms) - 1
            # A singular form may leave out the count ("One item"); the last form keeps them all.
            if (found != wanted) if last else not set(found) <= set(wanted + placeholders(entry.msgid)):
                return f"msgstr[{index}] has {found or 'no placeholders'}, msgid_plural {wanted or 'none'}"
        return ""
    found, wanted = placeholders(entry.msgstr), placeholders(entry.msgid)
    if entry.msgstr and found != wanted:
        return f"msgstr has {found or 'no placeholders'}, msgid {wanted or 'none'}"
    return ""


def load(path: Path) -> polib.POFile:
    # No wrapping, like makemessages --no-wrap: a re-save changes no line it did not need to.
    return polib.pofile(str(path), wrapwidth=0)


def compiled(catalogue: polib.POFile) -> bytes:
    """The .mo a catalogue compiles to (fuzzy and empty entries left out, as msgfmt does)."""
    return catalogue.to_binary()


def save(catalogue: polib.POFile, path: Path) -> None:
    """Write a catalogue and its .mo beside it."""
    catalogue.save(str(path))
    path.with_suffix(".mo").write_bytes(compiled(catalogue))


def fix_header(catalogue: polib.POFile, locale: str) -> None:
    """A header Python's gettext parses: language, plural forms, UTF-8; no longer fuzzy."""
    catalogue.metadata["Language"] = locale
    catalogue.metadata["Plural-Forms"] = plural_forms(locale)
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.metadata["Content-Transfer-Encoding"] = "8bit"
    catalogue.metadata_is_fuzzy = []
    # A date changed by every run would make each app's catalogues differ at each update.
    catalogue.metadata.pop("POT-Creation-Date", None)
    catalogue.metadata.pop("PO-Revision-Date", None)


@contextlib.contextmanager
def _app_cwd(directory: Path) -> Iterator[None]:
    # makemessages writes into LOCALE_PATHS first when set: run it with the app's locale/ only.
    with contextlib.chdir(directory), override_settings(LOCALE_PATHS=[]):
        yield


def _makemessages(directory: Path, locales: Iterable[str]) -> None:
    (directory / "locale").mkdir(exist_ok=True)
    with _app_cwd(directory):
        # The command itself rather than its name: extraction needs settings, not a loaded app registry.
        call_command(
            makemessages.Command(),
            locale=list(locales),
            no_obsolete=True,
            no_wrap=True,
            add_location="file",
            verbosity=0,
        )


def update(app_names: Iterable[str] | None = None) -> list[Path]:
    """Extract each app's msgids into its catalogues (msgmerge), fix headers, compile. Paths written."""
    written = []
    for app in app_names or apps():
        _makemessages(ROOT / app, LOCALES)
        for locale in LOCALES:
            path = catalogue_path(app, locale)
            catalogue = load(path)
            fix_header(catalogue, locale)
            save(catalogue, path)
            written.append(path)
    return written


def _sources_only(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in {"locale", "__pycache__"}
        or (Path(directory, name).is_file() and not name.endswith((".py", ".html", ".txt")))
    }


def extract(app: str, workdir: Path) -> polib.POFile:
    """The msgids an app's sources hold now, extracted from a copy (the working tree untouched)."""
    copy = workdir / app
    shutil.copytree(ROOT / app, copy, ignore=_sources_only)
    _makemessages(copy, [CONSOLE_LOCALE])
    return load(copy / "locale" / CONSOLE_LOCALE / "LC_MESSAGES" / "django.po")


@dataclass
class Problem:
    path: Path
    what: str
    msgid: str = ""

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT.parent)
        return f"{where}: {self.what}" + (f": {self.msgid!r}" if self.msgid else "")


def check(app_names: Iterable[str] | None = None) -> list[Problem]:
    """Everything that keeps the catalogues from being shipped, per catalogue."""
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="catalogues-") as workdir:
        for app in app_names or apps():
            sources = {_identity(entry): entry for entry in extract(app, Path(workdir))}
            found = [problem for locale in LOCALES for problem in _check_catalogue(app, locale, sources)]
            problems += _once_per_app(app, found)
    return problems


def _once_per_app(app: str, problems: list[Problem]) -> list[Problem]:
    """A msgid every catalogue of the app lacks (or still has) is one problem, not one per locale."""
    by_msgid: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        by_msgid.setdefault((problem.what, problem.msgid), []).append(problem)
    folded = []
    for (what, msgid), alike in by_msgid.items():
        if "(run --update)" in what and len(alike) == len(LOCALES):
            folded.append(Problem(ROOT / app / "locale", f"every catalogue: {what}", msgid))
        else:
            folded += alike
    return folded


def _check_catalogue(
    app: str, locale: str, sources: Mapping[tuple[str, str, str], polib.POEntry]
) -> list[Problem]:
    path = catalogue_path(app, locale)
    if not path.exists():
        return [Problem(path, "no catalogue (run manage.py catalogues --update)")] if sources else []
    catalogue = load(path)
    problems = []
    if catalogue.metadata.get("Plural-Forms") != plural_forms(locale):
        problems.append(Problem(path, f"Plural-Forms is not {plural_forms(locale)!r}"))
    entries = {_identity(entry): entry for entry in catalogue if not entry.obsolete}
    for identity in sources.keys() - entries.keys():
        problems.append(Problem(path, "in the sources, not in the catalogue (run --update)", identity[1]))
    for identity in entries.keys() - sources.keys():
        problems.append(Problem(path, "no longer in the sources (run --update)", identity[1]))
    for identity, entry in entries.items():
        occurrences = sources[identity].occurrences if identity in sources else entry.occurrences
        if entry.fuzzy:
            problems.append(Problem(path, "fuzzy (check the translation, then drop the flag)", entry.msgid))
        elif required(app, locale, occurrences) and not translated(entry):
            problems.append(Problem(path, "untranslated", entry.msgid))
        if problem := placeholder_problem(entry):
            problems.append(Problem(path, f"placeholders differ ({problem})", entry.msgid))
    mo = path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(catalogue):
        problems.append(Problem(mo, "stale: not compiled from the .po beside it (run --update or --fill)"))
    return problems


def missing(locale: str, app_names: Iterable[str] | None = None) -> dict[str, Translation]:
    """The entries ``locale`` must still translate (or re-check, when fuzzy), as --fill takes them."""
    wanted: dict[str, Translation] = {}
    for app in app_names or apps():
        path = catalogue_path(app, locale)
        if not path.exists():
            continue
        for entry in load(path):
            if entry.obsolete or not (
                entry.fuzzy or (required(app, locale, entry.occurrences) and not translated(entry))
            ):
                continue
            if entry.msgid_plural:
                wanted[key(entry)] = {"msgid_plural": entry.msgid_plural, "msgstr": [""] * nplurals(locale)}
            else:
                wanted[key(entry)] = ""
    return wanted


@dataclass
class Filled:
    entries: int = 0
    catalogues: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _forms(value: Translation) -> list[str] | str:
    if isinstance(value, dict):
        return [str(text) for text in value.get("msgstr", [])]  # type: ignore[attr-defined]
    return value


def fill(
    locale: str, translations: Mapping[str, Translation], app_names: Iterable[str] | None = None
) -> Filled:
    """Write translations (``{msgid: text}``) into ``locale``'s catalogues of these apps, compiled.

    Empty values are skipped; a translation that loses or adds a placeholder is refused (listed),
    the catalogue keeping what it had.
    """
    result = Filled()
    used: set[str] = set()
    for app in app_names or apps():
        path = catalogue_path(app, locale)
        if not path.exists():
            continue
        catalogue = load(path)
        changed = False
        for entry in catalogue:
            value = translations.get(key(entry))
            if entry.obsolete or value is None:
                continue
            used.add(key(entry))
            forms = _forms(value)
            if not forms or (isinstance(forms, list) and not all(forms)):
                continue
            candidate = polib.POEntry(msgid=entry.msgid, msgid_plural=entry.msgid_plural)
            if entry.msgid_plural:
                texts = [forms] if isinstance(forms, str) else forms
                if len(texts) != nplurals(locale):
                    result.refused.append(
                        f"{entry.msgid!r}: {len(texts)} forms, {locale} has {nplurals(locale)}"
                    )
                    continue
                candidate.msgstr_plural = dict(enumerate(texts))
            elif isinstance(forms, str):
                candidate.msgstr = forms
            else:
                result.refused.append(f"{entry.msgid!r}: a list for a msgid without plural")
                continue
            if problem := placeholder_problem(candidate):
                result.refused.append(f"{entry.msgid!r}: {problem}")
                continue
            entry.msgstr, entry.msgstr_plural = candidate.msgstr, candidate.msgstr_plural
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            result.entries += 1
            changed = True
        if changed:
            save(catalogue, path)
            result.catalogues.append(path)
    result.unknown = sorted(set(translations) - used)
    return result
