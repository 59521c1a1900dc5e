"""Mail coming in: mailbox readers, intake, the parse worker, and one module per flow."""
