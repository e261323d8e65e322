"""Benign synthetic Telegram Desktop exports, written as tdesktop writes them.

```python
from bastion.sources.telegram_synthetic import demo_export, write_export

written = write_export(demo_export(), "DataExport_2024-03-06", formats=("json", "html"))
```
"""

from bastion.sources.telegram_synthetic.scenario import demo_export
from bastion.sources.telegram_synthetic.spec import (
    Chat,
    Entity,
    Export,
    Media,
    Message,
    Person,
    Service,
)
from bastion.sources.telegram_synthetic.writer import (
    ExpectedReference,
    WrittenExport,
    write_chat_export,
    write_export,
)

__all__ = [
    "Chat",
    "Entity",
    "ExpectedReference",
    "Export",
    "Media",
    "Message",
    "Person",
    "Service",
    "WrittenExport",
    "demo_export",
    "write_chat_export",
    "write_export",
]
