"""Messenger names as stored with each user (users.platform)."""
TELEGRAM = "telegram"
