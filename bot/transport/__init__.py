"""Messenger-specific code: how views reach a person and how updates come in."""
