"""The analysts' site: Datasette with our plugin, templates and settings.

`serve` runs it (and gives tests and benchmarks a site in the background), `plugin` is the
Datasette plugin (search functions, filters, facets, template variables), `safety` what makes it
safe to expose, `filters` and `facets` the SQL and the in-memory index behind them. Reads the
store; writes nothing.
"""
