"""The activity rules and the thumbnail rule, one reference at a time (plain References, as
bastion.cases.summary reads them from a scanned case)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bastion.cases.activities import Activity, ChatFact
from bastion.cases.evidence import build_evidence
from bastion.cases.summary import Reference
from bastion.scan.states import ItemState

OWNER = "user100"


def match(bank: str, entry: int, category: str) -> dict:
    """A match as the scan records it (bastion.cases.summary)."""
    return {
        "bank": bank, "category": category, "source_label": category, "signal_type": "md5",
        "value": f"{entry:032x}", "distance": 0, "variant": None, "entry_id": entry,
    }  # fmt: skip


def ref(n: int, **kw) -> Reference:
    base = Reference(
        ref=f"json:chats/0/{n}:{n}/photo",
        key=f"chats/chat_1/photos/photo_{n}.jpg",
        path=f"chats/chat_1/photos/photo_{n}.jpg",
        state=ItemState.MATCHED,
        reason=None,
        detail=None,
        media_kind="photo",
        moving=False,
        chat_id="555",
        chat_name="Walkers",
        chat_type="private_group",
        message_id=n,
        date=datetime(2024, 3, 1, tzinfo=UTC),
        date_source="date_unixtime",
        sender_name="Alice",
        sender_id="user200",
        sender_is_owner=False,
        forwarded_from=None,
        is_thumbnail=False,
        is_derived=False,
        category="C",
        md5="0" * 32,
        sha256=f"{n:064x}",
        pdq=None,
        pdq_quality=None,
        size=10,
        matches=(match("iwf", n, "C"),),
        section="chats",
    )
    return replace(base, **kw)


def activity(r: Reference, facts: dict | None = None) -> Activity:
    return build_evidence([r], facts).refs[0].activity


@pytest.mark.parametrize(
    ("chat_type", "expected"),
    [
        ("personal_chat", Activity.SENT),
        ("private_group", Activity.POSTED),
        ("public_supergroup", Activity.POSTED),
        ("public_channel", Activity.POSTED),
        ("saved_messages", Activity.HELD),
        ("bot_chat", Activity.SENT_TO_BOT),
    ],
)
def test_what_the_owner_sends_depends_on_who_can_see_the_chat(chat_type, expected) -> None:
    r = ref(1, chat_type=chat_type, sender_id=OWNER, sender_is_owner=True)
    assert activity(r) is expected


def test_an_owner_forward_into_a_group_is_forwarded_distribution() -> None:
    r = ref(1, sender_id=OWNER, sender_is_owner=True, forwarded_from="News")
    decided = build_evidence([r]).refs[0]
    assert decided.activity is Activity.FORWARDED and decided.distributed
    assert "from News" in decided.basis


def test_media_from_someone_else_is_received_and_counts_as_possession() -> None:
    decided = build_evidence([ref(1)]).refs[0]
    assert decided.activity is Activity.RECEIVED
    assert decided.activity.guideline_activity == "possession"


def test_unknown_owner_is_never_guessed_to_be_distribution() -> None:
    r = ref(1, sender_is_owner=None, sender_id=None, chat_type=None)
    decided = build_evidence([r]).refs[0]
    assert decided.activity is Activity.UNKNOWN_OWNER and not decided.distributed


def test_a_channel_post_becomes_distribution_only_when_a_person_says_the_owner_posts() -> None:
    post = ref(1, chat_type="public_channel", sender_id="channel555", sender_name="Walkers")
    assert activity(post) is Activity.CHANNEL_POST
    fact = ChatFact("555", "Walkers", 800, True, "admin list", "DC Example", "tester", "2026")
    assert activity(post, {"555": fact}) is Activity.POSTED
    denied = replace(fact, owner_posts=False)
    assert activity(post, {"555": denied}) is Activity.CHANNEL_POST


def test_a_file_no_message_names_is_held() -> None:
    r = ref(1, ref="unreferenced:photos/x.jpg", section="unreferenced", chat_id=None,
            chat_name=None, chat_type=None, message_id=None, sender_id=None,
            sender_name=None, sender_is_owner=None, date=None)  # fmt: skip
    assert activity(r) is Activity.HELD


def test_a_matched_thumbnail_is_attached_to_its_matched_original() -> None:
    video = ref(1, ref="json:chats/0/1:1/file", media_kind="video", moving=True, sha256="a" * 64)
    thumb = ref(1, ref="json:chats/0/1:1/thumbnail", is_thumbnail=True, sha256="b" * 64,
                key="thumb")  # fmt: skip
    evidence = build_evidence([video, thumb])
    assert len(evidence.items) == 1 and len(evidence.refs) == 1
    item = evidence.items[0]
    assert item.sha256 == "a" * 64 and item.moving
    assert [p.role for p in item.refs[0].parts] == ["file", "thumbnail"]


def test_a_thumbnail_that_matched_alone_counts_once_as_a_still_of_its_message() -> None:
    video = ref(1, ref="json:chats/0/1:1/file", media_kind="video", moving=True,
                state=ItemState.HASHED, category=None, matches=())  # fmt: skip
    thumb = ref(1, ref="json:chats/0/1:1/thumbnail", is_thumbnail=True, sha256="b" * 64,
                key="thumb", category="B")  # fmt: skip
    evidence = build_evidence([video, thumb])
    (r,) = evidence.refs
    assert r.ref == video.ref and r.matched_via == "thumbnail" and not r.moving
    assert r.category == "B" and evidence.items[0].sha256 == "b" * 64


def test_an_html_preview_file_is_attached_to_the_picture_it_was_made_from() -> None:
    photo = ref(1, key="chats/chat_1/photos/p.jpg", sha256="c" * 64)
    preview = ref(2, ref="unreferenced:chats/chat_1/photos/p_thumb.jpg", section="unreferenced",
                  key="chats/chat_1/photos/p_thumb.jpg", is_derived=True, sha256="d" * 64,
                  message_id=None, chat_id=None, chat_type=None)  # fmt: skip
    evidence = build_evidence([photo, preview])
    assert len(evidence.items) == 1 and evidence.detached_previews == 0
    assert [p.role for p in evidence.refs[0].parts] == ["file", "preview"]


def test_the_same_content_in_two_messages_is_one_image_with_two_copies() -> None:
    a = ref(1, sha256="e" * 64)
    b = ref(2, sha256="e" * 64, chat_id="777", chat_name="Other")
    evidence = build_evidence([a, b])
    assert len(evidence.items) == 1 and len(evidence.items[0].refs) == 2


def test_an_image_is_graded_by_the_most_serious_list_and_says_lists_disagree() -> None:
    r = ref(1, category="A", matches=(match("iwf", 1, "A"), match("caid", 9, "B")))
    item = build_evidence([r]).items[0]
    assert item.category == "A" and item.banks_disagree


def test_ids_grow_where_two_digests_share_their_first_digits() -> None:
    from bastion.cases.evidence import short_ids

    ids = short_ids("img-", ["ab" * 32, "abababababab" + "0" * 52, "cd" * 32])
    assert ids["cd" * 32] == "img-" + "cd" * 5
    assert len(set(ids.values())) == 3
    assert ids["ab" * 32].startswith("img-abababababab") and len(ids["ab" * 32]) > 14
