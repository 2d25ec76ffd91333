"""Operations: what the people who run the bot see and rely on.

* `metrics`: one Prometheus registry per running dispatcher (updates, handler latency, errors, Bot API calls,
  429 waits, quiz answers stored); a later feature adds its own series through `Metrics.counter`/`gauge`.
* `logs`: plain or JSON log lines (`LOG_FORMAT=json`), each carrying the id of the update being handled.
* `updates`: updates in flight (counted, timed, drained at shutdown) and the rule that an update whose
  database or Redis is unreachable is refused, so that Telegram sends it again.
* `bot_api`: Bot API session middlewares: metrics per call, retries with backoff for 5xx and timeouts.
* `health`: `/healthz`, `/readyz`, `/metrics`, served by the webhook server or a small ops server.
* `webhook`: the webhook request handler, bounded to what the database pool can serve.
"""
