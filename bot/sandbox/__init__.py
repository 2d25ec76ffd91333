"""Local Telegram Bot API emulator and web chat for tests, benchmarks and manual trials."""
