#!/usr/bin/env python3
"""Turns the files of one bench/run.sh run into a table and one JSON object.

Usage: summarize.py WORKDIR JSON_OUT SEED CLK_TCK
"""
import json
import os
import re
import statistics
import sys


def load_lines(path):
    """All JSON lines of a --stats file ([] when missing)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def final(lines):
    for s in reversed(lines):
        if s.get("final"):
            return s
    return lines[-1] if lines else None


def steady(lines, key, t_from=3.0):
    """Mean of a per-second value over the steady part (not the final line)."""
    v = [s[key] for s in lines if not s.get("final") and s.get("t", 0) >= t_from]
    return statistics.mean(v) if v else None


def peak(lines, key, t_from=1.5):
    v = [s[key] for s in lines if not s.get("final") and s.get("t", 0) >= t_from]
    return max(v) if v else None


def cpu_windows(work, hz):
    """Cores used per label between its -a and -b samples (from /proc/PID/stat)."""
    samples = {}
    path = os.path.join(work, "cpu.txt")
    if os.path.exists(path):
        for line in open(path):
            label, wall, ticks = line.split()
            samples[label] = (float(wall), float(ticks))
    cores = {}
    for label, (w0, t0) in samples.items():
        if not label.endswith("-a"):
            continue
        base = label[:-2]
        if base + "-b" in samples:
            w1, t1 = samples[base + "-b"]
            if w1 > w0:
                cores[base] = (t1 - t0) / hz / (w1 - w0)
    return cores


def rnd(v, n=3):
    return None if v is None else round(v, n)


def teacher_figures(lines, cores):
    s = final(lines)
    if not s:
        return None
    t = s["t"] or 1
    return {
        "cores": rnd(cores),
        "cpu_pct_stats_mean": rnd(steady(lines, "cpu_pct"), 1),
        "fps_sent": rnd(s["frames_sent"] / t, 1),
        "fps_captured": rnd(s["frames_captured"] / t, 1),
        "frames_sent": s["frames_sent"],
        "frames_still": s["frames_still"],
        "keyframes": s["keyframes"],
        "bitrate_kbps": rnd(s["bytes_sent"] * 8 / t / 1000, 1),
        "bitrate_kbps_peak_1s": rnd(peak(lines, "bitrate_kbps"), 1),
        "max_frame_bytes": s["max_frame_bytes"],
        "send_errors": s["send_errors"],
        "capture_ms": s["capture_ms"],
        "convert_ms": s["convert_ms"],
        "encode_ms": s["encode_ms"],
    }


def student_figures(lines, cores):
    s = final(lines)
    if not s:
        return None
    return {
        "cores": rnd(cores),
        "fps": rnd(steady(lines, "fps"), 1),
        "frames_decoded": s["frames_decoded"],
        "frames_dropped": s["frames_dropped"],
        "packets_lost": s["packets_lost"],
        "latency_ms": s["latency_ms"],
        "decode_ms": s["decode_ms"],
        "first_picture_ms": s["first_picture_ms"],
        "max_gap_ms": s["max_gap_ms"],
    }


def late_figures(work, phase):
    offs = {}
    path = os.path.join(work, "offsets.txt")
    if os.path.exists(path):
        for line in open(path):
            p, k, off = line.split()
            if p == phase:
                offs[int(k)] = float(off)
    joins = []
    for k in sorted(offs):
        s = final(load_lines(os.path.join(work, "%s-late%d.json" % (phase, k))))
        fp = s["first_picture_ms"] if s else -1
        joins.append({"offset_s": offs[k], "first_picture_ms": fp,
                      "frames_decoded": s["frames_decoded"] if s else 0})
    ok = [j["first_picture_ms"] for j in joins if j["first_picture_ms"] >= 0]
    return {
        "joins": joins,
        "n": len(joins),
        "no_picture": len(joins) - len(ok),
        "median_ms": rnd(statistics.median(ok), 0) if ok else None,
        # A joiner that never got a picture counts as worse than any that did.
        "max_ms": (None if not joins else
                   rnd(max(ok), 0) if len(ok) == len(joins) else float("inf")),
    }


def ffmpeg_figures(work, phase, cores):
    path = os.path.join(work, "%s-ffmpeg.log" % phase)
    if not os.path.exists(path):
        return None
    text = open(path, errors="replace").read()
    frames = re.findall(r"frame=\s*(\d+)", text)
    fps = re.findall(r"fps=\s*([\d.]+)", text)
    kbs = re.findall(r"kb/s:([\d.]+)", text)
    return {
        "cores": rnd(cores),
        "frames": int(frames[-1]) if frames else None,
        "fps": float(fps[-1]) if fps else None,
        "bitrate_kbps": float(kbs[-1]) if kbs else None,
    }


def main():
    work, out_path, seed, hz = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    cores = cpu_windows(work, hz)
    def load_json(name):
        p = os.path.join(work, name)
        return json.load(open(p)) if os.path.exists(p) else None

    stages = load_json("stages.json")
    stages_tp = load_json("stages-testpattern.json")

    def load(name):
        return load_lines(os.path.join(work, name + ".json"))

    e2e = {}
    for phase in ("active", "still"):
        e2e[phase] = {
            "teacher": teacher_figures(load(phase + "-teacher"),
                                       cores.get(phase + "-teacher")),
            "student": student_figures(load(phase + "-student"),
                                       cores.get(phase + "-student")),
        }
    e2e["active"]["student_windowed"] = student_figures(
        load("active-view"), cores.get("active-view"))
    e2e["late_join"] = {"active": late_figures(work, "active-join"),
                        "still": late_figures(work, "still-join")}
    e2e["ffmpeg_cli"] = {p: ffmpeg_figures(work, p, cores.get(p + "-ffmpeg"))
                         for p in ("active", "still")}
    ratio = {}
    for p in ("active", "still"):
        ours = (e2e[p]["teacher"] or {}).get("cores")
        theirs = (e2e["ffmpeg_cli"][p] or {}).get("cores")
        ratio[p] = rnd(ours / theirs, 2) if ours and theirs else None
    e2e["teacher_vs_ffmpeg_cpu_ratio"] = ratio

    machine = {"cores": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                machine["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for k in ("start", "end"):
        p = os.path.join(work, "load-%s.txt" % k)
        if os.path.exists(p):
            machine["loadavg_" + k] = " ".join(open(p).read().split()[:3])

    # Targets: (name, limit text, value, met).
    targets = []

    def target(name, limit, value, ok):
        targets.append({"name": name, "target": limit, "value": value,
                        "met": None if value is None else bool(ok)})

    at, ast = e2e["active"]["teacher"] or {}, e2e["active"]["student"] or {}
    st = e2e["still"]["teacher"] or {}
    s1080 = (stages or {}).get("1920x1080", {})
    target("teacher CPU, 1080p30 desktop (cores)", "<= 0.6",
           at.get("cores"), (at.get("cores") or 9) <= 0.6)
    enc99 = (s1080.get("encode") or {}).get("p99_ms")
    target("encode p99, 1080p (ms, stages)", "<= 25", enc99, (enc99 or 1e9) <= 25)
    enc_cpu99 = (s1080.get("encode") or {}).get("cpu_p99_ms")
    target("encode CPU time p99, 1080p (ms, stages)", "<= 25", enc_cpu99,
           (enc_cpu99 or 1e9) <= 25)
    e2e_enc99 = (at.get("encode_ms") or {}).get("p99")
    target("encode p99, 1080p (ms, in teacher)", "<= 25", e2e_enc99,
           (e2e_enc99 if e2e_enc99 is not None else 1e9) <= 25)
    target("teacher CPU, still desktop (cores)", "<= 0.05", st.get("cores"),
           (st.get("cores") if st.get("cores") is not None else 9) <= 0.05)
    lat = ast.get("latency_ms") or {}
    target("capture->decoded p50 (ms)", "<= 30", lat.get("p50"),
           (lat.get("p50") or 1e9) <= 30)
    target("capture->decoded p99 (ms)", "<= 60", lat.get("p99"),
           (lat.get("p99") or 1e9) <= 60)
    target("student decode, headless (cores)", "<= 0.25", ast.get("cores"),
           (ast.get("cores") or 9) <= 0.25)
    sv = e2e["active"]["student_windowed"] or {}
    target("student decode+render, SDL window (cores)", "<= 0.25",
           sv.get("cores"), (sv.get("cores") or 9) <= 0.25)
    br = s1080.get("bitrate_kbps")
    ps = s1080.get("psnr_y_db")
    target("desktop bitrate 1080p (kbit/s, stages)", "<= 2000", rnd(br, 0),
           (br or 1e9) <= 2000)
    target("desktop PSNR-Y 1080p (dB, stages)", ">= 45", rnd(ps, 2),
           (ps or 0) >= 45)
    target("desktop bitrate 1080p (kbit/s, teacher avg)", "<= 2000",
           at.get("bitrate_kbps"), (at.get("bitrate_kbps") or 1e9) <= 2000)
    for p in ("active", "still"):
        lj = e2e["late_join"][p]
        m = lj["max_ms"]
        target("late join, %s desktop, max (ms)" % p, "<= 1000",
               None if m is None else (m if m != float("inf") else "no picture"),
               m is not None and m <= 1000)

    result = {"bench": "cast-bench e2e", "seed": int(seed), "machine": machine,
              "stages": stages,
              "stages_testpattern": stages_tp, "e2e": e2e, "targets": targets}
    text = json.dumps(result, default=lambda o: None)
    text = text.replace("Infinity", "null")
    with open(out_path, "w") as f:
        f.write(text + "\n")

    # The table.
    for name in ("stages.txt", "stages-testpattern.txt"):
        if os.path.exists(os.path.join(work, name)):
            print(open(os.path.join(work, name)).read().rstrip("\n"))
            print()

    def f(v, fmt="%.3f"):
        return "-" if v is None else fmt % v if not isinstance(v, str) else v

    print("end to end (x11 %s, 1080p30, %s cores, load %s -> %s)" % (
        stages.get("display", "?") if stages else "?", machine["cores"],
        machine.get("loadavg_start", "?"), machine.get("loadavg_end", "?")))
    print("  %-34s %10s %10s" % ("", "active", "still"))
    rows = [
        ("teacher CPU (cores, /proc)", lambda p: e2e[p]["teacher"], "cores", "%.3f"),
        ("teacher frames sent/s", lambda p: e2e[p]["teacher"], "fps_sent", "%.1f"),
        ("teacher bitrate avg (kbit/s)", lambda p: e2e[p]["teacher"], "bitrate_kbps", "%.0f"),
        ("teacher bitrate peak 1 s (kbit/s)", lambda p: e2e[p]["teacher"], "bitrate_kbps_peak_1s", "%.0f"),
        ("teacher max frame (bytes)", lambda p: e2e[p]["teacher"], "max_frame_bytes", "%d"),
        ("student CPU, headless (cores)", lambda p: e2e[p]["student"], "cores", "%.3f"),
        ("student decoded fps", lambda p: e2e[p]["student"], "fps", "%.1f"),
        ("ffmpeg CLI CPU (cores)", lambda p: e2e["ffmpeg_cli"][p], "cores", "%.3f"),
        ("ffmpeg CLI fps", lambda p: e2e["ffmpeg_cli"][p], "fps", "%.1f"),
        ("ffmpeg CLI bitrate (kbit/s)", lambda p: e2e["ffmpeg_cli"][p], "bitrate_kbps", "%.0f"),
    ]
    for name, get, key, fmt in rows:
        vals = [f((get(p) or {}).get(key), fmt) for p in ("active", "still")]
        print("  %-34s %10s %10s" % (name, vals[0], vals[1]))
    print("  %-34s %10s %10s" % ("teacher / ffmpeg CLI CPU", f(ratio["active"], "%.2f"),
                                 f(ratio["still"], "%.2f")))
    for p in ("active", "still"):
        lat = (e2e[p]["student"] or {}).get("latency_ms") or {}
        print("  %s: capture->decoded p50 %s p95 %s p99 %s ms; encode p99 %s ms" % (
            p, f(lat.get("p50"), "%.1f"), f(lat.get("p95"), "%.1f"),
            f(lat.get("p99"), "%.1f"),
            f(((e2e[p]["teacher"] or {}).get("encode_ms") or {}).get("p99"), "%.1f")))
    sv = e2e["active"]["student_windowed"] or {}
    print("  student with SDL window (decode+render): %s cores, %s fps" % (
        f(sv.get("cores")), f(sv.get("fps"), "%.1f")))
    for p in ("active", "still"):
        lj = e2e["late_join"][p]
        print("  late join, %s: first picture median %s ms, max %s ms (%s)" % (
            p, f(lj["median_ms"], "%.0f"),
            "never" if lj["max_ms"] == float("inf") else f(lj["max_ms"], "%.0f"),
            ", ".join("%.1fs->%s" % (j["offset_s"],
                                     "%.0fms" % j["first_picture_ms"]
                                     if j["first_picture_ms"] >= 0 else "none")
                      for j in lj["joins"])))
    print()
    print("targets")
    for t in targets:
        v = t["value"]
        print("  %-44s %-8s %12s  %s" % (
            t["name"], t["target"],
            v if isinstance(v, str) else f(v, "%.3f" if isinstance(v, float) and v < 10 else "%.1f"),
            {True: "met", False: "NOT MET", None: "no data"}[t["met"]]))


if __name__ == "__main__":
    main()
