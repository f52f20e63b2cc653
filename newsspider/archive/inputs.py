"""What ``reextract`` is given: WARC files or folders of them, told by their content, and an ``-o``
that may replace nothing it reads."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from newsspider.archive.reader import warc_problem
from newsspider.archive.warc import OPEN_SUFFIX
from newsspider.errors import BadInput


def warc_files(paths: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """The WARC files named, folders standing for the closed ``*.warc.gz`` files in them, each
    told by its content; and the folders."""
    found, folders = [], []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            folders.append(path)
            closed = sorted(path.glob("*.warc.gz"))
            if not closed:
                still_open = sorted(path.glob(f"*.warc.gz{OPEN_SUFFIX}"))
                named = (
                    f": {', '.join(map(str, still_open[:3]))} still open (a running crawl's, or a killed one's "
                    "that the next crawl repairs; name it to read it up to its damage)"
                    if still_open
                    else ""
                )
                raise BadInput(f"{name}: no closed WARC file (*.warc.gz) in this folder{named}")
            found += closed
        elif path.is_file():
            found.append(path)
        else:
            raise BadInput(f"{name}: no such file or folder")
    for path in found:
        problem = warc_problem(path)
        if problem:
            raise BadInput(f"{path}: {problem}")
    return found, folders


def check_output(output: Path, files: list[Path], folders: list[Path]) -> None:
    """``-o`` is a new file or a replaceable one: never an input, a WARC file or inside the archive."""
    if output.is_dir():
        raise BadInput(f"-o {output}: a folder; give a file name")
    if output.name.endswith((".warc.gz", ".warc.gz" + OPEN_SUFFIX)) or (output.is_file() and not warc_problem(output)):
        raise BadInput(f"-o {output}: a WARC file name; the records are JSON Lines, and the archive is never replaced")
    target = output.resolve()
    if any(target == path.resolve() for path in files):
        raise BadInput(f"-o {output}: one of the WARC files read")
    for folder in folders:
        if target.is_relative_to(folder.resolve()):
            raise BadInput(f"-o {output}: inside the archive folder {folder}; write the records elsewhere")
