"""A crawl frontier shared through Redis: several fetcher processes, on any machines, one writer.

`stdnews crawl --frontier redis://HOST:PORT/N` is the coordinator: it holds the database's crawl
lock, announces the run (announce.py), plans each source from the database and publishes the
plan (plans.py), puts the start requests in the frontier, fetches like any fetcher, and is the one
writer: its item pipeline saves its own posts and drains what the others push (inbox.py).
`stdnews fetch --frontier URL` starts an extra fetcher (fetch.py): it joins the announced run,
takes requests from the frontier, normalizes the pages it fetches and pushes (raw page, post) and
its run record to Redis (outbox.py); it never opens the database.

The frontier is scrapy-redis' scheduler and duplicate filter (scheduler.py) over a queue of our
own (queue.py): one queue per host and a sorted set of the hosts by the time each may next be
asked, so that the per-host delay and concurrency are global across fetchers, whatever machine
takes the request. Every key is under the run's id (keys.py), so the next run's revisits are not
filtered out as seen. A request taken from the frontier stays in its fetcher's in-flight hash until
the fetcher has finished with it (its items pushed, its new requests queued); the coordinator puts
back in the frontier the in-flight requests of a fetcher whose heartbeat stopped (membership.py),
so a fetcher killed mid-run loses nothing, and knows the run is over when no request is queued,
none is in flight and nothing waits to be written (coordinator.py).
"""
