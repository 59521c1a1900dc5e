"""What leaves the daemon: building, signing and sending mail."""
