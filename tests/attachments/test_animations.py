"""Animations cost a server work per frame: one whose frames together are over the pixel budget
(MAX_IMAGE_PIXELS, that of the largest still image) is sent as a plain file, decided from its
structure before a frame is decoded, while smaller animations stay images with every frame."""
import io
import time

import pytest
from PIL import Image

from extensions import db
from storage.images import FRAME_OVERHEAD_PIXELS
from tests.support.api import get
from tests.support.login import quick_client
from tests.support.uploads import content_disposition, small_app, uploaded

BUDGET = 10_000  # MAX_IMAGE_PIXELS of the small app below
SIDE = 20  # its animations' canvas: 400 pixels, far inside the still-image guard


@pytest.fixture
def restore_pillow_limit(monkeypatch):
    # The upload check sets Pillow's global bomb limit from the app's MAX_IMAGE_PIXELS.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


@pytest.fixture
def budget_app(database, mailbox, tmp_path, restore_pillow_limit):
    """(app, alice's browser, her direct conversation with bob), with a 10,000-pixel budget."""
    app, direct = small_app(database, mailbox, tmp_path, MAX_IMAGE_PIXELS=BUDGET)
    yield app, quick_client(app, "alice"), direct
    with app.app_context():
        db.engine.dispose()


def animation(side: int, frames: int, fmt: str = "GIF") -> bytes:
    """An animation of `frames` frames on a `side`×`side` canvas, each a single pixel away from
    the last (so no encoder merges them): a few kB whatever the canvas. GIF frames are built
    with a palette (quick even at 2000²), the others in RGB."""
    pictures = []
    for index in range(frames):
        picture = Image.new("P", (side, side), 0)
        picture.putpalette([0, 0, 0, 255, 0, 0])
        picture.putpixel((index % side, index // side % side), 1)
        pictures.append(picture if fmt == "GIF" else picture.convert("RGB"))
    out = io.BytesIO()
    pictures[0].save(out, format=fmt, save_all=True, append_images=pictures[1:], duration=40, loop=0)
    return out.getvalue()


def test_animation_bomb_is_sent_as_a_plain_file_without_decoding_its_frames(app, direct, as_, restore_pillow_limit):
    # 50 frames of 2000 × 2000: each within the still-image guard (40 million pixels), 200
    # million together. Re-encoding them took 6 s of CPU here (12–14 s where it was reported).
    bomb = animation(2000, 50)
    assert len(bomb) < 64 * 1024 and Image.open(io.BytesIO(bomb)).n_frames == 50
    started = time.process_time()
    message = uploaded(as_("alice"), direct, bomb, "party.gif")
    spent = time.process_time() - started
    attachment = message["attachment"]
    assert (message["kind"], attachment["kind"], attachment["thumbnail_url"]) == ("file", "file", None)
    response = get(as_("bob"), attachment["url"])
    assert response.data == bomb  # stored as sent: no frame was re-encoded
    assert content_disposition(response)[0] == "attachment"
    # A generous sanity bound for the whole request: the refusal is read from the GIF's blocks.
    assert spent < 1.0, f"{spent:.2f} s of CPU for one upload"


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_within_the_budget_stays_an_image_with_every_frame(budget_app, fmt):
    app, browser, direct = budget_app
    frames = BUDGET // (SIDE * SIDE + FRAME_OVERHEAD_PIXELS)  # the most that fit
    message = uploaded(browser, direct, animation(SIDE, frames, fmt), f"wave.{fmt.lower()}")
    assert message["kind"] == "image"
    served = Image.open(io.BytesIO(get(browser, message["attachment"]["url"]).data))
    assert served.n_frames == frames


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_one_frame_over_the_budget_makes_the_animation_a_file(budget_app, fmt):
    app, browser, direct = budget_app
    frames = BUDGET // (SIDE * SIDE + FRAME_OVERHEAD_PIXELS) + 1
    data = animation(SIDE, frames, fmt)
    message = uploaded(browser, direct, data, f"wave.{fmt.lower()}")
    assert (message["kind"], message["attachment"]["thumbnail_url"]) == ("file", None)
    assert get(browser, message["attachment"]["url"]).data == data
