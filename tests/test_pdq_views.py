"""Query-side PDQ views: finding the picture inside bars and frames, zooming out of crops,
and the default matching on reference photos (mirrored and letterboxed copies of the bridge
match; the unrelated pen-and-coaster never does)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from bench import transforms as t
from PIL import Image

from bastion.banks import formats
from bastion.hashing import hash_bytes
from bastion.matching import Matcher, Query
from bastion.media import to_rgb
from bastion.signals.pdq import DIHEDRAL_NAMES, pdq_exact
from bastion.signals.pdq_views import (
    MAX_VIEWS,
    TRIMMED,
    content_box,
    views_of_luma,
    zoom_out,
)
from bastion.store.banks import BankStore


def luma_of(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32)


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bridge(pdq_images: Path) -> Image.Image:
    with Image.open(pdq_images / "dih" / "bridge-1-original.jpg") as im:
        return im.convert("RGB")


@pytest.fixture(scope="module")
def pen(pdq_images: Path) -> Image.Image:
    with Image.open(pdq_images / "misc" / "pen-and-coaster.png") as im:
        return to_rgb(im)


def test_a_photo_without_bars_has_no_content_box(bridge) -> None:
    assert content_box(luma_of(bridge)) is None


@pytest.mark.parametrize("colour", t.BAR_COLOURS)
def test_content_box_finds_the_picture_between_bars(bridge, colour) -> None:
    box = content_box(luma_of(t.letterbox(bridge, 0.25, colour)))
    bar = (round(1004 / 0.75) - 1004) // 2
    assert box is not None
    assert abs(box.top - bar) <= 4 and abs(box.bottom - (bar + 1004)) <= 4
    assert box.left <= 4 and box.right >= 1596


def test_content_box_finds_the_picture_in_a_screenshot_frame(bridge) -> None:
    shot = t.screenshot(bridge)
    box = content_box(luma_of(shot))
    unit = shot.width // 30
    assert box is not None
    assert abs(box.left - unit) <= 3 and abs(box.right - (shot.width - unit)) <= 3
    assert abs(box.top - 7 * unit) <= 3


def test_zoom_out_pads_every_side_by_the_share_with_the_edge() -> None:
    plane = np.arange(200 * 100, dtype=np.float32).reshape(100, 200)
    out = zoom_out(plane, 0.05)
    assert out.shape == (110, 220)
    assert (out[5:105, 10:210] == plane).all() and (out[:5, 10] == plane[0, 0]).all()
    with pytest.raises(ValueError, match="pad"):
        zoom_out(plane, 0.6)


def test_views_are_the_dihedral_variants_and_at_most_two_more(bridge) -> None:
    plain = pdq_exact(np.asarray(bridge))
    views = views_of_luma(luma_of(t.letterbox(bridge, 0.2)), plain)
    assert [v.name for v in views[:8]] == list(DIHEDRAL_NAMES)
    assert views[8].name == TRIMMED and len(views) <= MAX_VIEWS


def test_hashing_for_plain_matching_skips_the_views_and_keeps_the_same_hash(bridge) -> None:
    data = jpeg(t.letterbox(bridge, 0.2))
    with_views = hash_bytes(data, "letterboxed.jpg")
    plain = hash_bytes(data, "letterboxed.jpg", views=False)
    assert plain.pdq == with_views.pdq and plain.digests == with_views.digests
    assert plain.pdq_views == () and TRIMMED in {v.name for v in with_views.pdq_views}


@pytest.fixture
def matcher(store, tmp_path, bridge) -> Matcher:
    """A bank listing only the bridge photo's reference PDQ (as a hotline list would)."""
    banks = BankStore(store)
    banks.create("hotline", "local")
    listed = pdq_exact(np.asarray(bridge)).hex
    path = tmp_path / "list.csv"
    path.write_text(f"md5,sha256,pdq,category,label\n,,{listed},A,bridge\n")
    banks.import_items("hotline", formats.read(path, "csv"))
    return Matcher(store)


@pytest.mark.parametrize(
    "edit, variant",
    [
        (t.mirror, "flipy"),
        (lambda im: t.letterbox(im, 0.25, "black"), TRIMMED),
        (lambda im: t.pillarbox(im, 0.2, "blurred"), TRIMMED),
    ],
    ids=["mirror", "letterbox", "blurred-pillarbox"],
)
def test_default_matching_finds_altered_copies_plain_pdq_misses(
    matcher, bridge, edit, variant
) -> None:
    hashed = hash_bytes(jpeg(edit(bridge)), "copy.jpg")
    (match,) = matcher.match(Query.of(hashed)).matches
    assert match.variant == variant and match.distance <= 31
    assert not matcher.match(Query.of(hashed, dihedral=False, views=False)).matched


@pytest.mark.parametrize(
    "edit",
    [lambda im: im, t.mirror, lambda im: t.letterbox(im, 0.25, "white"), t.screenshot],
    ids=["as-is", "mirror", "letterbox", "screenshot"],
)
def test_the_unrelated_pen_and_coaster_never_matches(matcher, pen, edit) -> None:
    hashed = hash_bytes(jpeg(edit(pen)), "pen.jpg")
    assert not matcher.match(Query.of(hashed)).matched


def test_the_service_finds_a_view_match_again_when_another_process_sees_the_same_bytes(
    tmp_path, bridge
) -> None:
    """A second API process knows a file only from the recorded content, which keeps plain
    PDQ; it must still search the views, or the same bytes would get another verdict."""
    from fastapi.testclient import TestClient

    from bastion import keys
    from bastion.service.app import create_app
    from bastion.service.runtime import ContentCache
    from bastion.service.settings import load_settings

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'api.db'}")
    with TestClient(create_app(settings)) as client:
        runtime = client.app.state.runtime
        listed = pdq_exact(np.asarray(bridge)).hex
        path = tmp_path / "list.csv"
        path.write_text(f"md5,sha256,pdq,category,label\n,,{listed},A,bridge\n")
        BankStore(runtime.store).create("hotline", "iwf")
        BankStore(runtime.store).import_items("hotline", formats.read(path, "csv"))
        runtime.refresh()
        auth = {
            "Authorization": f"Bearer {keys.create_key(runtime.store, 'platform', 'p', 't')[1]}"
        }
        data = jpeg(t.letterbox(bridge, 0.25, "black"))

        def verdict(message_id: str) -> dict:
            r = client.post(
                "/v1/media",
                files={"file": ("copy.jpg", data, "image/jpeg")},
                data={"context": f'{{"platform": "p", "message_id": "{message_id}"}}'},
                headers=auth,
            )
            assert r.status_code == 200, r.text
            return r.json()

        first = verdict("m-1")
        runtime.content_cache = ContentCache(runtime.settings.content_cache_size)  # a new process
        second = verdict("m-2")
    assert first["verdict"] == "block" and second["verdict"] == "block", (first, second)
