"""The Telegram moderation bot (Bot API, aiogram 3): checks every photo, video and file posted in
the groups and channels it administers against the hash lists, removes matches, bans the
sender and records everything for review and reporting.

Modules: `config` (settings), `runner` (polling, webhook, one update at a time: `run`),
`moderation` (what happens to a media message), `media` (which files, what context),
`checking` (the interface to matching) with `local` (in-process) and `service_client` (a
Bastion service), `actions` (delete, ban, notify), `rights`, `commands` (/status, /stats),
`notices` (admin texts), `botapi` (session, retries, downloads), `state` and `journal` (what
survives restarts).

aiogram is the `bot` extra and takes seconds to import, so this package imports nothing
itself: `config` needs no aiogram; everything else does.
"""
