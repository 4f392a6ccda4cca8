#!/usr/bin/env python3
"""Serves a Matroska film (H.264 + Opus) over RTSP with GStreamer's RTSP server.

usage: rtsp_serve.py FILM PORT: rtsp://127.0.0.1:PORT/film (the file: a
length, seekable) and rtsp://127.0.0.1:PORT/live (a live source of silence
in Opus: no length) until SIGINT or SIGTERM. Exits 77 when GStreamer's
RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) or the elements it
needs are missing.
"""
import signal
import sys

try:
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer
except (ImportError, ValueError) as e:
    print("no GStreamer RTSP server for Python: %s" % e, file=sys.stderr)
    sys.exit(77)

film, port = sys.argv[1], sys.argv[2]
Gst.init(None)
for name in ("matroskademux", "h264parse", "rtph264pay", "opusparse",
             "rtpopuspay", "audiotestsrc", "opusenc"):
    if not Gst.ElementFactory.find(name):
        print("GStreamer element %s is missing" % name, file=sys.stderr)
        sys.exit(77)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( filesrc location=\"%s\" ! matroskademux name=d "
    "d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 "
    "config-interval=-1 "
    "d.audio_0 ! queue ! opusparse ! rtpopuspay name=pay1 pt=97 )"
    % film.replace("\\", "\\\\").replace('"', '\\"'))
factory.set_shared(True)
server.get_mount_points().add_factory("/film", factory)
live = GstRtspServer.RTSPMediaFactory()
live.set_launch(
    "( audiotestsrc is-live=true wave=silence ! "
    "audio/x-raw,rate=48000,channels=1 ! opusenc ! "
    "rtpopuspay name=pay0 pt=97 )")
live.set_shared(True)
server.get_mount_points().add_factory("/live", live)
if server.attach(None) == 0:
    print("cannot listen on port %s" % port, file=sys.stderr)
    sys.exit(1)
loop = GLib.MainLoop()
for sig in (signal.SIGINT, signal.SIGTERM):
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
print("serving rtsp://127.0.0.1:%s/film" % port, flush=True)
loop.run()
