"""What people type in the projects forms is bounded: free texts to 5,000 characters (the
journal and the reminders' message to 10,000), dates to the years 2000 to 2100, each
refusal with a French message naming the limit."""

import datetime as dt
import inspect

import pytest
from django import forms
from django.urls import reverse

from livrables.pdf import fiches as fiches_pdf
from projects import forms_fiches, forms_followup, forms_journal, forms_tasks, forms_team
from projects.forms_fields import LONG_TEXT, BoundedDateField, LongTextField
from projects.models import ProjectFiche, RoadmapAction, RoadmapAxis
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


def test_dates_of_the_projects_forms_are_bounded_to_2000_2100():
    dates = [(name, field) for name, field in _form_fields() if isinstance(field, forms.DateField)]
    assert len(dates) >= 7
    for name, field in dates:
        assert isinstance(field, BoundedDateField), name
        assert field.widget.attrs["min"] == "2000-01-01", name
    field = BoundedDateField()
    assert field.clean("2022-03-15") == dt.date(2022, 3, 15)
    for typed in ("0001-01-01", "1999-12-31", "2101-01-01"):
        with pytest.raises(forms.ValidationError) as error:
            field.clean(typed)
        assert error.value.messages == [
            "Saisissez une date entre 01/01/2000 et 31/12/2100 (année à quatre chiffres)."
        ]


@pytest.mark.django_db
def test_a_road_map_due_date_in_the_year_1_is_refused_by_the_page(client):
    world = project_world()
    client.force_login(world.referent)
    axis_url = reverse("projects:roadmap_axis_add", args=[world.programme.pk, world.ccas.pk])
    assert client.post(axis_url, {"revision": 0, "title": "Accueil"}).status_code == 302
    axis = RoadmapAxis.objects.get()
    url = reverse("projects:roadmap_action_add", args=[world.programme.pk, world.ccas.pk, axis.pk])
    data = {"revision": 1, "title": "Affiche", "due_on": "0001-01-01", "status": "todo"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Saisissez une date entre 01/01/2000 et 31/12/2100" in response.content.decode()
    assert not RoadmapAction.objects.exists()
    assert client.post(url, {**data, "due_on": "2022-03-15"}).status_code == 302
    assert RoadmapAction.objects.get().due_on == dt.date(2022, 3, 15)


def test_the_fiches_print_four_digit_years():
    assert fiches_pdf._date(dt.date(1, 1, 1)) == "01/01/0001"
    assert fiches_pdf._date(dt.date(2022, 3, 5)) == "05/03/2022"
    assert fiches_pdf._date(None) == "—"
