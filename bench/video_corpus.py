"""A deterministic benign 1080p clip for the video benchmark, generated once into bench/out/."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from bastion.synthetic import photo_like

OUT = Path(__file__).resolve().parent / "out"


def benchmark_clip(seconds: int = 600, size: tuple[int, int] = (1920, 1080), fps: int = 30) -> Path:
    """Panning benign scenes (a new one every 5 s) with a moving block, H.264 with x264's
    default GOP structure (keyframe at most every 250 frames, 3 B-frames, B-pyramid)."""
    width, height = size
    path = OUT / f"video-{width}x{height}-{seconds}s.mp4"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    scenes = [np.asarray(photo_like(seed, width + 5 * fps, height)) for seed in range(12)]
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
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
