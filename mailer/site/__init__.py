"""The public static site: pages and feeds."""
