"""One spider per source: a module here for a site that needs code, else one made from its
registry entry (generic.py); the shared discovery -> article flow is in base.py."""
