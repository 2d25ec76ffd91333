"""What the bot shows, as plain data: texts, choices, links. Renderers turn it into messages."""
