"""URLs of the followup pages (filled by their pages)."""

urlpatterns: list = []
