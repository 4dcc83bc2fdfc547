"""`{% structure_eu_publicity structure as blocks %}`, `{% programme_eu_publicity programme
as blocks %}`: the EU funding blocks `templates/includes/eu_publicity.html` draws."""

from django import template

from formations import publicity

register = template.Library()


@register.simple_tag
def structure_eu_publicity(structure):
    return publicity.structure_eu_publicity(structure) if structure else []


@register.simple_tag
def programme_eu_publicity(programme):
    return publicity.programme_eu_publicity(programme) if programme else []
