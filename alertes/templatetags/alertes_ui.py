from django import template

from alertes.panels import tabs_for

register = template.Library()


@register.simple_tag(takes_context=True)
def alertes_tabs(context, structure):
    """The structure's Alertes menu for the signed-in user (`alertes.panels.TABS`)."""
    return tabs_for(context["request"].user, structure)
