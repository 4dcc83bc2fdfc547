"""What people type in the projects forms is bounded: free texts to 5,000 characters (the
journal and the reminders' message to 10,000), dates to the years 2000 to 2100, each
refusal with a French message naming the limit."""

import inspect

import pytest
from django import forms
from django.urls import reverse

from projects import forms_fiches, forms_followup, forms_journal, forms_tasks, forms_team
from projects.forms_fields import LONG_TEXT, LongTextField
from projects.models import ProjectFiche
from tests.factories.projects import project_world

FORM_MODULES = (forms_fiches, forms_followup, forms_journal, forms_tasks, forms_team)


def _form_fields():
    for module in FORM_MODULES:
        for name, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and form.__module__ == module.__name__:
                for field_name, field in form.base_fields.items():
                    yield f"{name}.{field_name}", field


def test_every_free_text_of_the_projects_forms_is_bounded():
    texts = [
        (name, field) for name, field in _form_fields() if isinstance(field.widget, forms.Textarea)
    ]
    assert len(texts) >= 12
    for name, field in texts:
        assert isinstance(field, LongTextField), name
        assert field.limit <= 10_000, name
    for name, field in _form_fields():
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.Textarea):
            assert field.max_length, name


def test_a_long_text_names_its_limit_in_french():
    field = LongTextField(required=False)
    assert field.clean("a" * LONG_TEXT) == "a" * LONG_TEXT
    with pytest.raises(forms.ValidationError) as error:
        field.clean("a" * 21_000)
    message = " ".join(error.value.messages).replace("\xa0", " ").replace("\u202f", " ")
    assert "21 000 caractères" in message and "5 000 au plus" in message, message


@pytest.mark.django_db
def test_an_over_long_public_served_is_refused_by_the_page_and_nothing_saved(client):
    world = project_world()
    client.force_login(world.referent)
    url = reverse("projects:fiche_edit_data", args=[world.programme.pk, world.ccas.pk])
    response = client.post(
        url, {"revision": 0, "territory": "Mamoudzou", "public_served": "Familles " * 2_400}
    )
    assert response.status_code == 200
    page = response.content.decode().replace("&nbsp;", " ").replace("\xa0", " ")
    assert "5 000 au plus" in page.replace("\u202f", " ")
    assert not ProjectFiche.objects.filter(public_served__startswith="Familles").exists()
    response = client.post(url, {"revision": 0, "public_served": "Familles " * 500})
    assert response.status_code == 302
    assert ProjectFiche.objects.get().public_served.startswith("Familles")
