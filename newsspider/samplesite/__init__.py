"""The offline sample of www.bannedbook.org: generator, server and demo crawl."""
