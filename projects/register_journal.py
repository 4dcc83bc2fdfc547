"""What the journal part adds to other apps' pages, outbox and periodic jobs: called once by
`ProjectsConfig.ready()` (which may run twice in tests: add each thing once).

* SPACE_PANELS: « Mon journal de bord » in the participant's space, only when a programme
  of theirs asks for it (the number of entries, a link).
* PROGRAMME_PANELS: « Journaux de bord partagés (n) » on the programme page, for the
  programme's trainers only."""

from formations import panels as registry


def space_journal_panel(request, participant):
    from projects.selectors_journal import own_entry_counts

    if participant is None:
        return None
    programmes = own_entry_counts(participant=participant)
    if not programmes:
        return None
    return ("projects/panels/space_journal.html", {"journal_programmes": programmes})


def programme_shared_journal_panel(request, programme):
    from projects.selectors_journal import can_read_shared, shared_entries

    if programme is None or not can_read_shared(user=request.user, programme=programme):
        return None
    return (
        "projects/panels/programme_shared_journal.html",
        {
            "journal_programme": programme,
            "shared_count": shared_entries(user=request.user, programme=programme).count(),
        },
    )


def register() -> None:
    for name, panel in (
        ("SPACE_PANELS", space_journal_panel),
        ("PROGRAMME_PANELS", programme_shared_journal_panel),
    ):
        target = getattr(registry, name)
        if panel not in target:
            target.append(panel)
