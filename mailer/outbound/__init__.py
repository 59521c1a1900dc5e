"""Mail going out: templates and contexts, MIME and calendar, tokens, outbox, transports, DKIM signing."""
