"""Replays: the spiders' requests answered by a loopback server over saved pages.

`server.MirrorServer` serves a `wget --mirror`-style folder for every host it holds; the download
handler of `handler` sends the engine's requests for the real hosts to it, so that a replayed
crawl goes through the whole of Scrapy as a live one does.
"""
