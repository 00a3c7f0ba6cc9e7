"""Reminders: who has which actions to follow up (digest), in words (messages), pushed to a chat or inbox
(senders)."""
