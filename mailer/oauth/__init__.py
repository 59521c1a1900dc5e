"""OAuth2 for hosted mail (XOAUTH2 for SMTP and IMAP): settings, the token file, refresh and device login."""
