"""What the journal part adds to other apps' pages, outbox and periodic jobs: called once by
`ProjectsConfig.ready()` (which may run twice in tests: add each thing once)."""


def register() -> None:
    pass
