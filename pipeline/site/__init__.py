"""The analysts' site: Datasette with our plugin, templates and settings.

`serve` runs it (and gives tests and benchmarks a site in the background), `plugin` is the
Datasette plugin (search functions, filters, facets, template variables), `safety` what makes it
safe to expose, `filters` and `facets` the SQL and the in-memory index behind them, `queries`
the canned queries' SQL. Serves the store read-only; `stdnews serve` brings a writable database
up to the current schema before it serves.
"""
