"""The French catalogue: plural forms compiled from locale/fr/LC_MESSAGES/django.po."""

import gettext
import os
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext

from formations.translations import (
    compile_catalogues,
    extract_plural_messages,
    update_catalogue,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "et 0 autre"), (1, "et 1 autre"), (2, "et 2 autres")]
)
def test_french_plural_rule_zero_and_one_are_singular(n, expected):
    with translation.override("fr"):
        assert ngettext("et %(n)s autre", "et %(n)s autres", n) % {"n": n} == expected


def test_french_plural_rule_in_templates():
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} résultat"
        "{% plural %}{{ counter }} résultats{% endblocktranslate %}"
    )

    with translation.override("fr"):
        rendered = [template.render(Context({"n": n})) for n in (0, 1, 2)]

    assert rendered == ["0 résultat", "1 résultat", "2 résultats"]


def test_catalogue_holds_every_plural_message_of_the_code():
    # Fails when a ngettext / blocktranslate count is added without running
    # `manage.py update_translations` (French would then say « 0 lignes »).
    call_command("update_translations", check=True, stdout=open(os.devnull, "w"))


def test_extractor_finds_python_aliases_contexts_and_templates(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "mod.py").write_text(
        textwrap.dedent(
            """
            from django.utils.translation import ngettext as n_, npgettext_lazy
            A = n_("%(n)s pomme", "%(n)s pommes", 2)
            B = npgettext_lazy("fruit", "%(n)s poire", "%(n)s poires", 2)
            C = n_(variable, "pas un littéral", 2)
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "app" / "templates").mkdir()
    (tmp_path / "app" / "templates" / "page.html").write_text(
        "{% load i18n %}{% blocktranslate trimmed count n=items|length %}\n  {{ n }} ligne\n"
        "{% plural %}\n  {{ n }} lignes\n{% endblocktranslate %}",
        encoding="utf-8",
    )

    messages = extract_plural_messages(tmp_path, ["app"])

    assert [(m.context, m.msgid, m.msgid_plural) for m in messages] == [
        ("", "%(n)s pomme", "%(n)s pommes"),
        ("fruit", "%(n)s poire", "%(n)s poires"),
        ("", "%(n)s ligne", "%(n)s lignes"),
    ]


def test_update_keeps_translations_and_drops_messages_gone(tmp_path):
    po = tmp_path / "django.po"
    messages = extract_plural_messages(ROOT, ["templates/tables"])
    update_catalogue(po, messages)
    po.write_text(
        po.read_text(encoding="utf-8").replace(
            'msgstr[1] "%(counter)s résultats"', 'msgstr[1] "%(counter)s résultats trouvés"'
        ),
        encoding="utf-8",
    )

    again = update_catalogue(po, messages)
    gone = update_catalogue(po, [])

    assert again == {"added": [], "removed": []}
    assert gone == {"added": [], "removed": ["%(counter)s résultat"]}


def test_compile_builds_mo_only_when_missing_or_older(tmp_path):
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    po = folder / "django.po"
    update_catalogue(po, extract_plural_messages(ROOT, ["templates/tables"]))

    first = compile_catalogues([tmp_path / "locale"])
    second = compile_catalogues([tmp_path / "locale"])
    os.utime(po, (po.stat().st_mtime + 10,) * 2)
    third = compile_catalogues([tmp_path / "locale"])

    assert first == third == [folder / "django.mo"]
    assert second == []
    catalogue = gettext.GNUTranslations(open(folder / "django.mo", "rb"))
    assert catalogue.ngettext("%(counter)s résultat", "%(counter)s résultats", 0) == (
        "%(counter)s résultat"
    )
    assert catalogue.ngettext("%(counter)s résultat", "%(counter)s résultats", 2) == (
        "%(counter)s résultats"
    )


def test_committed_catalogue_declares_the_french_plural_rule():
    po = (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")

    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in po
