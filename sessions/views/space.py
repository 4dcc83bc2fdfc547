"""The participant's own space, sessions side: the convocation of one of their sessions."""

from django.views.decorators.http import require_safe

from formations.space import participant_required
from sessions import ical
from sessions.selectors.space import participant_session
from sessions.views.calendar import _calendar_response


@require_safe
@participant_required
def space_session_ics(request, pk):
    session = participant_session(participant=request.participant, pk=pk)
    content = ical.session_calendar(
        session, slots=list(session.slots.all()), for_participant=request.participant
    )
    return _calendar_response(content, filename=f"convocation-{session.code}.ics", attachment=True)
