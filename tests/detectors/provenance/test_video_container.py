"""provenance.video_container: MP4s written with PyAV whose container tags are known by
construction, an animated GIF without metadata, and the development clips."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from huiyan.detectors.base import get_detector
from huiyan.media.item import Item

DET = get_detector("provenance.video_container")


def _mp4(path, tags: dict[str, str], handler: str | None = None, bitexact: bool = True):
    import av

    opts = {"movflags": "use_metadata_tags"}
    if bitexact:
        opts["fflags"] = "+bitexact"  # no Lavf encoder tag
    with av.open(str(path), "w", options=opts) as c:
        c.metadata.update(tags)
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        if handler:
            s.metadata["handler_name"] = handler
        for i in range(6):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30 * i, np.uint8), format="rgb24")
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return Item(path)


def test_generator_prompt_in_comment(tmp_path):
    prompt = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1}}})
    f = DET.run(_mp4(tmp_path / "g.mp4", {"comment": json.dumps({"prompt": json.loads(prompt)})}))
    assert f.applicable and f.llr > 0 and f.category == "fully_generated" and not f.decisive


def test_editor_and_device_tags(tmp_path):
    ed = DET.run(_mp4(tmp_path / "e.mp4", {"software": "DaVinci Resolve 18"}))
    assert ed.llr > 0 and ed.category == "locally_edited"
    dev = DET.run(_mp4(tmp_path / "d.mp4", {"com.apple.quicktime.make": "Apple",
                                             "com.apple.quicktime.model": "iPhone 12"}, handler="Core Media Video"))
    assert dev.applicable and -2.0 <= dev.llr < 0 and not dev.decisive
    remux = DET.run(_mp4(tmp_path / "r.mp4", {"com.apple.quicktime.make": "Apple"}, bitexact=False))
    assert remux.applicable and remux.llr == 0  # device atoms but re-muxed by FFmpeg (Lavf)


def test_gif_without_metadata_is_not_applicable(tmp_path):
    frames = [Image.fromarray(np.full((32, 32, 3), 40 * i, np.uint8)) for i in range(4)]
    p = tmp_path / "a.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    f = DET.run(Item(p))
    assert not f.applicable and "not evidence" in f.reason


def test_shared_clips(shared_videos):
    gen = DET.run(Item(shared_videos / "comfyui_examples" / "wan__text_to_video_wan.webp"))
    assert gen.llr > 0 and gen.category == "fully_generated"
    real = DET.run(Item(shared_videos / "animatediff" / "videos__smiling.mp4"))
    assert real.applicable and real.llr == 0 and not real.decisive
