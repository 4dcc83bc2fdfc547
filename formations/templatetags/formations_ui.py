"""Template helpers of the formations pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    """Render one (template_name, context) pair from `formations.panels`.

    The panel's keys are pushed on top of the page context, and the whole dict is also
    available as ``ctx``, so panel templates may use either ``{{ sessions }}`` or
    ``{{ ctx.sessions }}``.
    """
    template_name, panel_context = panel
    tpl = context.template.engine.get_template(template_name)
    with context.push(**panel_context, ctx=panel_context):
        return tpl.render(context)
