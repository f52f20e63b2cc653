"""``scrapy shell``, recording nothing."""

from scrapy.commands.shell import Command as ScrapyShellCommand

from newsspider.commands import ShowsOnly


class Command(ShowsOnly, ScrapyShellCommand):
    pass
