"""The delivery room: messages the bot sends on its own, not as a reply to an update.

An outbox holds one delivery per recipient and message (a quiz result, an announcement, an official's progress
message); a worker that lives as long as the process claims due deliveries in batches, paces them with one token
bucket per channel (shared by every process through Redis when configured), sends them through that channel's
`Messenger` and records what happened. Nothing here knows Telegram: bot/transport/messenger.py is the Telegram
messenger, and a second channel (Zalo, a web chat) brings its own with its own limits.

    pending ──claim──► sending ──► sent | failed (reason) | blocked | skipped (muted)
       ▲                  │
       └── retry later ◄──┘   (429: every sender pauses; 5xx and network errors: backoff, then failed)
    pending ──► cancelled (its broadcast was cancelled); a held (topic, ref_id), a paused broadcast, is not claimed
"""
