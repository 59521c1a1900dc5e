"""The SQLite state: the only package that speaks SQL."""
