"""One spider per source; the shared listing -> article flow is in base.py."""
