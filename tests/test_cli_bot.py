"""`bastion bot run` as an operator runs it: the token from the environment, errors that say
what to do, and a real process polling the (fake) Bot API until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bastion.store import Store
from bastion.synthetic import photo_like_jpeg
from tests.bot_support import ADMIN_CHAT, SUPERGROUP, World
from tests.fake_telegram import TOKEN, FakeTelegram


def bastion(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env},
        timeout=120,
    )


@pytest.fixture
def fake():
    f = FakeTelegram().start()
    f.add_chat(SUPERGROUP, "supergroup", "Harbour Walkers", members=40)
    f.add_chat(ADMIN_CHAT, "supergroup", "Moderators")
    yield f
    f.stop()


def test_run_without_a_token_says_where_to_put_it(tmp_path) -> None:
    result = bastion({"BASTION_HOME": str(tmp_path)}, "bot", "run")
    assert result.returncode == 2
    assert "BASTION_BOT_TOKEN is not set" in result.stderr and "BotFather" in result.stderr


def test_run_with_service_but_no_key_names_the_variable(tmp_path) -> None:
    env = {"BASTION_HOME": str(tmp_path), "BASTION_BOT_TOKEN": TOKEN}
    result = bastion(env, "bot", "run", "--service", "http://127.0.0.1:9")
    assert result.returncode == 2 and "BASTION_BOT_SERVICE_KEY" in result.stderr


def test_run_polls_removes_listed_media_and_stops_on_sigterm(tmp_path, fake) -> None:
    url = f"sqlite:///{tmp_path / 'bastion.db'}"
    store = Store.open(url)
    listed = photo_like_jpeg(11)
    World(fake, tmp_path, url, store).list_md5(listed)
    store.close()
    env = {
        "PATH": "/usr/bin:/bin",
        "BASTION_HOME": str(tmp_path / "home"),
        "BASTION_DATABASE_URL": url,
        "BASTION_BOT_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bastion",
            "bot",
            "run",
            "--api-url",
            fake.url,
            "--admin-chat",
            str(ADMIN_CHAT),
            "--polling-timeout",
            "5",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(listed)))
        fake.wait_for(lambda: fake.calls_to("banChatMember"), timeout=60, what="a ban")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Bastion bot @bastion_test_bot (id 4242): long polling" in stderr
    assert "Bastion bot stopped." in stderr
    assert TOKEN.split(":")[1] not in stderr
    assert (tmp_path / "home" / "bot" / "state-4242.json").is_file()
    assert os.path.getsize(tmp_path / "home" / "bot" / "journal-4242.jsonl") > 0
