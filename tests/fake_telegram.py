"""A fake Bot API server on 127.0.0.1 that speaks the real HTTP protocol.

Routes as tdlib/telegram-bot-api serves them: POST (or GET) /bot<token>/<method> with
urlencoded, multipart or JSON parameters (method names case-insensitive), and
GET /file/bot<token>/<file_path> for downloads. Answers use the real envelope:
{"ok": true, "result": ...} or {"ok": false, "error_code": N, "description": "...",
"parameters": {...}} with HTTP status N, and the real error texts for the cases the bot meets
(file too big, message can't be deleted, not enough rights, flood control with retry_after,
which is enforced: a call before the wait is over gets another 429).

Only what the moderation bot uses is implemented; anything else is 404 "method not found" and
is recorded, so a test can assert the bot never forwarded or re-sent media.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

TOKEN = "4242:TEST-token-secret"
BOT_ID = 4242
DOWNLOAD_LIMIT = 20 << 20
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_post_messages": True,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class FakeFile:
    file_id: str
    unique_id: str
    data: bytes
    size: int  # as declared by Telegram (may exceed len(data) to model big files)
    path: str


@dataclass
class FakeChat:
    id: int
    type: str
    title: str | None
    username: str | None = None
    members: int = 10
    bot_status: str = "administrator"
    bot_rights: dict[str, Any] = field(default_factory=lambda: dict(ADMIN_RIGHTS))
    admins: set[int] = field(default_factory=set)
    banned_users: set[int] = field(default_factory=set)
    banned_sender_chats: set[int] = field(default_factory=set)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            out["title"] = self.title
        if self.username:
            out["username"] = self.username
        return out


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class FakeTelegram:
    def __init__(self, token: str = TOKEN, username: str = "bastion_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.history: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, FakeChat] = {}
        self.files: dict[str, FakeFile] = {}
        self.messages: dict[tuple[int, int], int] = {}  # (chat, message) -> date
        self.sent: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.failures: dict[str, list[ApiError]] = {}
        self.blocked_until: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(7000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.closing = False
        # Set to a folder to act like telegram-bot-api --local: no download limit, and getFile
        # answers an absolute path on the server's disk instead of serving /file/ downloads.
        self.local_dir: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                self._new_update = asyncio.Event()
                app = web.Application(client_max_size=64 << 20)
                app.router.add_route("*", "/bot{token}/{method}", self._method)
                app.router.add_get("/file/bot{token}/{path:.*}", self._file)
                self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
                await self._runner.setup()
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                await site.start()
                self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

            loop.run_until_complete(boot())
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())  # type: ignore[union-attr]
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def stop(self) -> None:
        self.closing = True
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)  # end pending long polls
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # -- scripting ---------------------------------------------------------------------------

    def add_chat(self, chat_id: int, type: str, title: str | None = None, **kw: Any) -> FakeChat:
        chat = FakeChat(chat_id, type, title, **kw)
        with self.lock:
            self.chats[chat_id] = chat
        return chat

    def add_file(self, data: bytes, size: int | None = None, folder: str = "photos") -> FakeFile:
        n = next(self._ids)
        f = FakeFile(
            f"FILE{n}", f"U{n}", data, len(data) if size is None else size, f"{folder}/file_{n}"
        )
        with self.lock:
            self.files[f.file_id] = f
        return f

    def fail_next(
        self, method: str, code: int, description: str, retry_after: int | None = None
    ) -> None:
        params = {"retry_after": retry_after} if retry_after is not None else None
        with self.lock:
            self.failures.setdefault(method.lower(), []).append(ApiError(code, description, params))

    def push(self, kind: str, message: dict[str, Any]) -> int:
        return self.push_raw({kind: message})

    def push_raw(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        with self.lock:
            self.updates.append({"update_id": update_id, **payload})
            self.history[update_id] = self.updates[-1]
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update_id

    def requeue(self, update_id: int) -> None:
        """Deliver a confirmed update again, as the server does when the bot stopped before
        its next getUpdates confirmed it."""
        with self.lock:
            self.updates.insert(0, self.history[update_id])

    def message(
        self,
        chat_id: int,
        *,
        user: tuple[int, str | None] | None = (501, "sender501"),
        sender_chat: dict[str, Any] | None = None,
        message_id: int | None = None,
        date: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A message dict as the Bot API sends it; remembered as existing (deletable)."""
        chat = self.chats[chat_id]
        msg: dict[str, Any] = {
            "message_id": message_id if message_id is not None else next(self._ids),
            "date": date if date is not None else int(time.time()),
            "chat": chat.json(),
        }
        if chat.type != "channel" and user is not None:
            uid, username = user
            msg["from"] = {"id": uid, "is_bot": False, "first_name": f"User {uid}"}
            if username:
                msg["from"]["username"] = username
        if sender_chat is not None:
            msg["sender_chat"] = sender_chat
            # The Bot API fills `from` with a placeholder user for messages sent as a chat.
            msg["from"] = {
                "id": 136817688,
                "is_bot": True,
                "first_name": "Channel",
                "username": "Channel_Bot",
            }
        if chat.type == "channel":
            msg["sender_chat"] = chat.json()
        msg.update(content)
        with self.lock:
            self.messages[(chat_id, msg["message_id"])] = msg["date"]
        return msg

    def photo(self, large: bytes, small: bytes | None = None) -> list[dict[str, Any]]:
        """PhotoSize list, smallest first, as Telegram sends it."""
        sizes = []
        for data, (w, h) in ((small, (90, 67)), (large, (1280, 960))):
            if data is None:
                continue
            f = self.add_file(data)
            sizes.append(
                {
                    "file_id": f.file_id,
                    "file_unique_id": f.unique_id,
                    "width": w,
                    "height": h,
                    "file_size": len(data),
                }
            )
        return sizes

    def document(
        self, data: bytes, mime: str, name: str, declared: int | None = None
    ) -> dict[str, Any]:
        f = self.add_file(data, declared, "documents")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": f.size,
        }

    def video(
        self, data: bytes, declared: int | None = None, with_size: bool = True
    ) -> dict[str, Any]:
        f = self.add_file(data, declared, "videos")
        out = {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "width": 640,
            "height": 360,
            "duration": 3,
            "mime_type": "video/mp4",
        }
        if with_size:
            out["file_size"] = f.size
        return out

    # -- observing ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c.params for c in self.calls if c.method == method.lower() and c.status == 200]

    def responses(self, method: str) -> list[int]:
        with self.lock:
            return [c.status for c in self.calls if c.method == method.lower()]

    def texts_to(self, chat_id: int) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.sent if m["chat"]["id"] == chat_id]

    def pending(self) -> list[int]:
        with self.lock:
            return [u["update_id"] for u in self.updates]

    def wait_for(self, predicate, timeout: float = 15.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; calls: {self.summary()}")

    def summary(self) -> list[str]:
        with self.lock:
            return [f"{c.method}:{c.status}" for c in self.calls]

    # -- HTTP --------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        with self.lock:
            self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            self._scripted(method)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            call.status = exc.code
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    def _scripted(self, method: str) -> None:
        with self.lock:
            until = self.blocked_until.get(method, 0.0)
            now = time.monotonic()
            if now < until:
                wait = math.ceil(until - now)
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            queue = self.failures.get(method)
            if queue:
                error = queue.pop(0)
                if error.code == 429 and error.parameters:
                    self.blocked_until[method] = now + error.parameters["retry_after"]
                raise error

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        with self.lock:
            self.calls.append(Call("file", {"path": path}, time.monotonic()))
            found = next((f for f in self.files.values() if f.path == path), None)
        if found is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found.data, content_type="application/octet-stream")

    # -- methods -----------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> FakeChat:
        try:
            chat = self.chats.get(int(params["chat_id"]))
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Bastion test",
            "username": self.username,
        }

    def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        timeout = min(float(params.get("timeout") or 0), 30.0)
        allowed = json.loads(params["allowed_updates"]) if params.get("allowed_updates") else []
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if offset is not None:  # confirms every update below the offset
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if allowed:  # other types are dropped, as the real server does
                    self.updates = [u for u in self.updates if any(k in u for k in allowed)]
                ready = list(self.updates)
            if ready or self.closing or time.monotonic() >= deadline:
                return ready[:100]
            assert self._new_update is not None
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        f = self.files.get(str(params.get("file_id")))
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if self.local_dir is not None:
            path = self.local_dir / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.data)
            return {
                "file_id": f.file_id,
                "file_unique_id": f.unique_id,
                "file_size": f.size,
                "file_path": str(path.resolve()),
            }
        if f.size > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "file_size": f.size,
            "file_path": f.path,
        }

    def _needs(self, chat: FakeChat, right: str, refusal: str) -> None:
        if chat.bot_status != "administrator" or not chat.bot_rights.get(right):
            raise ApiError(400, refusal)

    def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        key = (chat.id, int(params["message_id"]))
        with self.lock:
            if key not in self.messages:
                raise ApiError(400, "Bad Request: message to delete not found")
            self._needs(chat, "can_delete_messages", "Bad Request: message can't be deleted")
            del self.messages[key]
        return True

    def _m_banchatmember(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        self._needs(
            chat,
            "can_restrict_members",
            "Bad Request: not enough rights to restrict/unrestrict chat member",
        )
        user = int(params["user_id"])
        if user in chat.admins:
            raise ApiError(400, "Bad Request: user is an administrator of the chat")
        chat.banned_users.add(user)
        return True

    def _m_banchatsenderchat(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        if chat.type not in ("supergroup", "channel"):
            raise ApiError(400, "Bad Request: method is available only for supergroups and channel")
        self._needs(
            chat,
            "can_restrict_members",
            "Bad Request: not enough rights to restrict/unrestrict chat member",
        )
        chat.banned_sender_chats.add(int(params["sender_chat_id"]))
        return True

    def _m_getchatmembercount(self, params: dict[str, Any]) -> int:
        return self._chat(params).members

    def _m_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = int(params["user_id"])
        if user_id == self.bot_id:
            if chat.bot_status == "administrator":
                return {"status": "administrator", "user": self._bot_user(), **chat.bot_rights}
            return {"status": chat.bot_status, "user": self._bot_user()}
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if user_id in chat.admins:
            return {"status": "administrator", "user": user, **ADMIN_RIGHTS}
        return {"status": "member", "user": user}

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        msg = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat.json(),
            "from": self._bot_user(),
            "text": str(params.get("text", "")),
        }
        with self.lock:
            self.sent.append(msg)
        return msg
