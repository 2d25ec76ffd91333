"""Messenger names as stored with each user (users.platform) and each delivery (deliveries.channel)."""

TELEGRAM = "telegram"
ZALO = "zalo"
WEB = "web"
