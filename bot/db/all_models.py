"""Imports every module that defines tables, so that metadata is complete."""
from bot.db import models  # noqa: F401
from bot.db import guides  # noqa: F401
from bot.db import quiz  # noqa: F401
