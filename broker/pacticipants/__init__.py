"""Pacticipants: the applications that publish or verify pacts."""
