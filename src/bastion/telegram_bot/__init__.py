"""The Telegram moderation bot (Bot API, aiogram 3): checks every photo, video and file posted in
the groups and channels it administers against the hash lists, removes matches, bans the
sender and records everything for review and reporting.

Modules: `config` (settings), `runner` (polling, webhook, one update at a time), `moderation`
(what happens to a media message), `media` (which files, what context), `checking` (the
interface to matching) with `local` (in-process) and `service_client` (a Bastion service),
`actions` (delete, ban, notify), `rights`, `commands` (/status, /stats), `notices` (admin
texts), `botapi` (session, retries, downloads), `state` and `journal` (what survives restarts).

aiogram is the `bot` extra: import this package only where the bot runs.
"""

from bastion.telegram_bot.config import BotConfig, BotConfigError, load_config
from bastion.telegram_bot.runner import BotStartError, run

__all__ = ["BotConfig", "BotConfigError", "BotStartError", "load_config", "run"]
