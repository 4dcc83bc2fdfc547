"""URLs of the journal pages (filled by their pages)."""

urlpatterns: list = []
