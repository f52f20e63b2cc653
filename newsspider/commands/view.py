"""``scrapy view``, recording nothing."""

from scrapy.commands.view import Command as ScrapyViewCommand

from newsspider.commands import ShowsOnly


class Command(ShowsOnly, ScrapyViewCommand):
    pass
