"""A Zalo OA Open API emulator for the sandbox and the tests (bot/sandbox/zalo/server.py)."""

from bot.sandbox.zalo.server import ZaloCitizen, ZaloEmulator, ZaloMessage

__all__ = ["ZaloCitizen", "ZaloEmulator", "ZaloMessage"]
