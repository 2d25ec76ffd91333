"""Channels other than Telegram, at the edge of one core.

aiogram stays the dialogue engine for every channel: each channel has an ingress that verifies its events and
turns them into aiogram Updates (bot.channels.synth), handled by the same dispatcher, routers and filters as
Telegram's, and an egress (its `Egress`, reached through `ChannelReply`) that turns the handlers' Views into
that channel's messages within its limits. The delivery room reaches the channel through its `Messenger`.
See docs/architecture.md, "Channels".

    bot/channels/base.py      Channel, Egress, ChannelUser and the inbound events (Text, Press, Contact…)
    bot/channels/engine.py    ChannelEngine: who it is, stale presses, the Update, the dispatcher
    bot/channels/synth.py     inbound events as aiogram Updates (ids: the citizen's internal id)
    bot/channels/reply.py     ChannelReply: the Reply handlers get, speaking through an Egress
    bot/channels/render.py    helpers every renderer needs: plain text, paragraph splits, button pages
    bot/channels/registry.py  which channels exist and how each is built from the settings
    bot/channels/<name>/      one package per channel (zalo, web)
"""
