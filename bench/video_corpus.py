"""A deterministic benign 1080p clip for the video benchmark, generated once into bench/out/."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from bastion.synthetic import photo_like

OUT = Path(__file__).resolve().parent / "out"


# x264's defaults: a keyframe at most every 250 frames (and at scene cuts), 3 B-frames with
# B-pyramid. The other style has a keyframe every 2 s and no B-frames, as phone recorders and
# streaming encoders commonly produce.
GOP_STYLES = {"x264-default": "", "gop2s-noB": "keyint=60:min-keyint=60:bframes=0:scenecut=0"}


def benchmark_clip(
    seconds: int = 600,
    size: tuple[int, int] = (1920, 1080),
    fps: int = 30,
    style: str = "x264-default",
) -> Path:
    """Panning benign scenes (a new one every 5 s) with a moving block, H.264 (x264 veryfast,
    CRF 23) in one of the GOP_STYLES."""
    width, height = size
    suffix = "" if style == "x264-default" else f"-{style}"
    path = OUT / f"video-{width}x{height}-{seconds}s{suffix}.mp4"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    scenes = [np.asarray(photo_like(seed, width + 5 * fps, height)) for seed in range(12)]
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        if GOP_STYLES[style]:
            stream.options["x264-params"] = GOP_STYLES[style]
        for k in range(seconds * fps):
            scene, offset = divmod(k, 5 * fps)
            picture = scenes[scene % len(scenes)][:, offset : offset + width].copy()
            x = (k * 13) % (width - 200)
            picture[200:400, x : x + 200] = (240, 200, 40)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.rename(path)
    return path
