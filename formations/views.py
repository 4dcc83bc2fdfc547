from django.views.generic import TemplateView

from formations import selectors


class DashboardView(TemplateView):
    template_name = "formations/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            programme_count=selectors.programmes_visible_to(user=user).count(),
            formation_count=selectors.formations_visible_to(user=user).count(),
            structure_count=selectors.structures_visible_to(user=user).count(),
            participant_count=selectors.participants_visible_to(user=user).count(),
            **kwargs,
        )
