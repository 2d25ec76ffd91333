"""Citizen assistant: public-service guides, a quiz contest and announcements in a chat."""
