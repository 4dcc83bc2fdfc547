"""The fiche list's documents panel, before any fiche is issued: it points to the button
that issues them all to whoever may press it, and says no more to whoever may not."""

import pytest

from livrables.panels_fiches import fiche_list_panel
from tests.factories.projects import project_world
from tests.livrables.test_fiches_views import _render

pytestmark = pytest.mark.django_db


def test_no_fiche_yet_points_to_the_button_above(documents_dir):
    world = project_world()
    html = " ".join(_render(fiche_list_panel, world.coordinator, world.programme).split())
    assert "Émettre les fiches de toutes les structures" in html
    assert "émettez-les toutes avec le bouton ci-dessus" in html
    assert "depuis la page de chaque structure" not in html
    html = " ".join((_render(fiche_list_panel, world.referent, world.programme) or "").split())
    assert "Émettre les fiches de toutes les structures" not in html
    assert "bouton ci-dessus" not in html
