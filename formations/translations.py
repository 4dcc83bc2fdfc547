"""The French message catalogue: `locale/fr/LC_MESSAGES/django.po` is source (committed),
`django.mo` is built from it (not committed) — by `manage.py compile_translations`, which
the Makefile runs, and by the test setup. Pure Python (polib), no GNU gettext needed.

Why a catalogue at all when every source string is already French: plurals. Without a
French catalogue, `ngettext` applies the English rule (n != 1) and prints « 0 lignes »;
French says « 0 ligne » (plural for n > 1). Django keeps each catalogue's own plural rule
for its own entries, so every plural message of the code must be in our catalogue:
`manage.py update_translations` adds them (Python files read with `ast`, templates
through Django's own `templatize`, as `makemessages` does), and a test fails when one
is missing.

This module imports nothing from Django at import time: the test setup compiles the
catalogue before any translation is loaded.
"""

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polib

PLURAL_FORMS = "nplurals=2; plural=(n > 1);"
PLURAL_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}
TEMPLATE_SUFFIXES = {".html", ".txt"}
# Where the application's messages live, relative to BASE_DIR.
SOURCE_FOLDERS = (
    "config",
    "formations",
    "sessions",
    "evaluations",
    "projects",
    "alertes",
    "livrables",
    "templates",
)
SKIPPED_DIRS = {"migrations", "__pycache__", "node_modules", ".venv", "tests"}

_LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATIZED_CALL = re.compile(
    rf"\b(?P<function>npgettext|ngettext)\(\s*(?P<first>{_LITERAL})\s*,\s*(?P<second>{_LITERAL})"
    rf"(?:\s*,\s*(?P<third>{_LITERAL}))?"
)


@dataclass
class PluralMessage:
    msgid: str
    msgid_plural: str
    context: str = ""
    occurrences: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)


# --------------------------------------------------------------------------- compiling


def catalogues(locale_dirs) -> list[Path]:
    """Every `.po` file under the given locale folders (LOCALE_PATHS)."""
    return sorted(po for folder in locale_dirs for po in Path(folder).glob("*/LC_MESSAGES/*.po"))


def compile_catalogues(locale_dirs, *, force: bool = False) -> list[Path]:
    """Builds each `.mo` missing or older than its `.po`; returns the `.mo` files written.

    Written beside, then renamed into place: a server reading the catalogue meanwhile
    sees the old file or the new one, never half of one. Fuzzy entries are left out."""
    written = []
    for po_path in catalogues(locale_dirs):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        temporary = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        polib.pofile(str(po_path)).save_as_mofile(str(temporary))
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


# --------------------------------------------------------------------------- extracting


def _python_messages(path: Path, relative: str) -> list[PluralMessage]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # `from django.utils.translation import ngettext as n_` keeps working.
    names = {name: name for name in PLURAL_FUNCTIONS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in PLURAL_FUNCTIONS:
                    names[alias.asname or alias.name] = alias.name
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        function = names.get(name)
        if function is None:
            continue
        literals = []
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                literals.append(arg.value)
            else:
                break
        contextual = function.startswith("np")
        needed = 3 if contextual else 2
        if len(literals) < needed:
            continue
        if contextual:
            context, singular, plural = literals[:3]
        else:
            context, (singular, plural) = "", literals[:2]
        found.append((node.lineno, PluralMessage(singular, plural, context, [(relative, "")])))
    # Files only, no line numbers: the catalogue does not change when code moves.
    return [message for _line, message in sorted(found, key=lambda pair: pair[0])]


def _template_messages(path: Path, relative: str) -> list[PluralMessage]:
    from django.utils.translation.template import templatize

    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = []
    for match in _TEMPLATIZED_CALL.finditer(source):
        values = [
            ast.literal_eval(match[group])
            for group in ("first", "second", "third")
            if match[group] is not None
        ]
        if match["function"] == "npgettext" and len(values) == 3:
            context, singular, plural = values
        elif match["function"] == "ngettext":
            context, (singular, plural) = "", values[:2]
        else:
            continue
        found.append(PluralMessage(singular, plural, context, [(relative, "")]))
    return found


def extract_plural_messages(root: Path, folders) -> list[PluralMessage]:
    """The plural messages of the Python files and templates under `folders` (relative to
    `root`), one per (context, singular), in file order, with where each is used."""
    by_key: dict[tuple[str, str], PluralMessage] = {}
    for folder in folders:
        if not (root / folder).is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                relative = path.relative_to(root).as_posix()
                if path.suffix == ".py":
                    messages = _python_messages(path, relative)
                elif path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts:
                    messages = _template_messages(path, relative)
                else:
                    continue
                for message in messages:
                    known = by_key.setdefault(message.key, message)
                    if known is not message and message.occurrences[0] not in known.occurrences:
                        known.occurrences.extend(message.occurrences)
    return list(by_key.values())


def _new_catalogue() -> polib.POFile:
    catalogue = polib.POFile(wrapwidth=100)
    catalogue.metadata = {
        "Project-Id-Version": "suivi-formations",
        "Language": "fr",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS,
    }
    return catalogue


def update_catalogue(po_path: Path, messages: list[PluralMessage]) -> dict:
    """Writes `po_path` with exactly these plural messages: new ones get their French
    source as translation (singular for n ≤ 1, plural above), existing translations are
    kept, messages no longer in the code are dropped. Returns {"added": […], "removed": […]}."""
    po_path = Path(po_path)
    old = polib.pofile(str(po_path), wrapwidth=100) if po_path.exists() else _new_catalogue()
    existing = {(entry.msgctxt or "", entry.msgid): entry for entry in old if entry.msgid_plural}
    catalogue = _new_catalogue()
    catalogue.header = old.header or (
        "French catalogue of Suivi Formations: plural forms only (the source strings are\n"
        "French). Kept up to date by `manage.py update_translations`; compiled to\n"
        "django.mo by `manage.py compile_translations` (make install, make run, tests)."
    )
    catalogue.metadata.update({k: v for k, v in old.metadata.items() if k != "Plural-Forms"})
    catalogue.metadata["Plural-Forms"] = PLURAL_FORMS
    added = []
    for message in messages:
        entry = existing.get(message.key)
        kept = entry is not None and entry.msgid_plural == message.msgid_plural
        catalogue.append(
            polib.POEntry(
                msgctxt=message.context or None,
                msgid=message.msgid,
                msgid_plural=message.msgid_plural,
                msgstr_plural=(
                    entry.msgstr_plural if kept else {0: message.msgid, 1: message.msgid_plural}
                ),
                occurrences=message.occurrences,
                flags=[flag for flag in (entry.flags if kept else []) if flag != "fuzzy"],
            )
        )
        if not kept:
            added.append(message.msgid)
    wanted = {message.key for message in messages}
    removed = [entry.msgid for key, entry in existing.items() if key not in wanted]
    po_path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.save(str(po_path))
    return {"added": added, "removed": removed}


def forget_loaded_catalogues() -> None:
    """Makes the next translation reload the catalogues from disk.

    For the test setup, which compiles the `.mo` after pytest-django has already set
    Django up (and with it loaded the French translation, possibly without our
    catalogue). Both caches go: Django's per-language translations and the standard
    `gettext` module's, which keeps each `.mo` it has read by path."""
    import gettext

    from asgiref.local import Local
    from django.utils.translation import trans_real

    gettext._translations.clear()
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
