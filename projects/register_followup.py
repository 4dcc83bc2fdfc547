"""What the followup part adds to other apps' pages, outbox and periodic jobs: called once by
`ProjectsConfig.ready()` (which may run twice in tests: add each thing once)."""


def register() -> None:
    from formations import outbox
    from formations import panels as registry
    from projects import panels_followup, services_followup

    services_followup.register_purposes(outbox.PURPOSES)
    for panels, panel in (
        (registry.PROGRAMME_PANELS, panels_followup.programme_follow_up_panel),
        (registry.STRUCTURE_PANELS, panels_followup.structure_follow_up_panel),
    ):
        if panel not in panels:
            panels.append(panel)
