"""Pacticipant versions, with their tags and branches."""
