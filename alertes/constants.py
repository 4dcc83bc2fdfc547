"""Codes other modules share: the outbox purposes of Alertes messages."""

# `OutboxMessage.purpose` of a campaign's messages and of a step's reminders.
CAMPAIGN_PURPOSE = "alertes_campaign"
STEP_REMINDER_PURPOSE = "alertes_step_reminder"
