"""Saved searches that notify: after each crawl (or `stdnews watch notify`), the posts a watch
matches that were first seen since it last looked are sent once, as JSON to a webhook or as a
plain e-mail, with retries; what was sent is recorded (pipeline/store/watches.py).

`match` finds the posts (the search feed's SQL, pipeline/site/filters.py, so that a watch's
feed and its notices agree), `send` delivers one message, `notify` wires them.
"""
