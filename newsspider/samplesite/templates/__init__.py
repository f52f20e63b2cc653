"""The sites the sample site imitates, one template each (a module per part where a site is large),
and the page chrome they share as HTML files."""
