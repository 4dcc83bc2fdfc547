"""What the staff part adds to the Alertes menu, panels and other apps' pages: called once
by `AlertesConfig.ready()` (which may run twice in tests: add each thing once)."""


def register() -> None:
    pass
