"""``scrapy check``, recording nothing."""

from scrapy.commands.check import Command as ScrapyCheckCommand

from newsspider.commands import ShowsOnly


class Command(ShowsOnly, ScrapyCheckCommand):
    pass
