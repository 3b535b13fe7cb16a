"""Scrapy commands of the project (COMMANDS_MODULE): `scrapy crawl` with the run's exit status."""
