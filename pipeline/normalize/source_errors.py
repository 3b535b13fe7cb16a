"""The error of a bad sources file (STDNEWS_SOURCES, read by pipeline/normalize/sources.py).

It lives in a module of its own because the registry reads those files while
pipeline.normalize.sources is imported: a failed import unloads that module, and this one, with
the class the cli catches to say the mistake on one line (exit status 2), stays loaded.
"""


class SourcesFileError(ValueError):
    """A sources file that cannot be read, or an entry of it that is not a valid source. Its
    message is one line: the file, then the source id and the field where there is one."""
