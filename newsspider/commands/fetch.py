"""``scrapy fetch``, recording nothing."""

from scrapy.commands.fetch import Command as ScrapyFetchCommand

from newsspider.commands import ShowsOnly


class Command(ShowsOnly, ScrapyFetchCommand):
    pass
