"""Sources: enumerate media with their context, and read their bytes safely.

```python
from bastion.sources import open_source

with open_source("DataExport_2024-03-06") as source:   # folder, .zip, .tar(.gz), export
    for item in source.items():                        # one item per reference, with a status
        if item.readable:
            with source.open(item) as stream:          # streamed, bounded memory
                ...
```
"""

from bastion.sources.archive import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, TarTree, ZipTree
from bastion.sources.detect import open_source
from bastion.sources.errors import (
    ArchiveBombError,
    CorruptArchive,
    ExportFormatError,
    ItemNotReadable,
    SourceError,
    SourceNotFound,
    UnsupportedSource,
)
from bastion.sources.model import (
    DateSource,
    ItemStatus,
    MediaItem,
    MediaKind,
    RejectReason,
    SourceProblem,
    TelegramContext,
)
from bastion.sources.source import Source, TreeSource
from bastion.sources.telegram_html import TelegramHtmlSource
from bastion.sources.telegram_json import TelegramJsonSource
from bastion.sources.tree import FolderTree

__all__ = [
    "DEFAULT_ARCHIVE_LIMITS",
    "ArchiveBombError",
    "ArchiveLimits",
    "CorruptArchive",
    "DateSource",
    "ExportFormatError",
    "FolderTree",
    "ItemNotReadable",
    "ItemStatus",
    "MediaItem",
    "MediaKind",
    "RejectReason",
    "Source",
    "SourceError",
    "SourceNotFound",
    "SourceProblem",
    "TarTree",
    "TelegramContext",
    "TelegramHtmlSource",
    "TelegramJsonSource",
    "TreeSource",
    "UnsupportedSource",
    "ZipTree",
    "open_source",
]
