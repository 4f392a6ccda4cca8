#!/bin/sh
# Installs every Debian package libcast's build, tests, benchmarks and demo need.
# Idempotent: packages already present are left alone. Run as root on Debian 12.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates
 libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev
 libavfilter-dev
 libx264-dev libsdl2-dev libopus-dev
 libspeexdsp-dev libswresample-dev espeak-ng pulseaudio pulseaudio-utils
 libxcb1-dev libxcb-shm0-dev libxcb-damage0-dev libxcb-xfixes0-dev
 libxcb-xtest0-dev libxkbcommon-dev libxkbcommon-x11-dev libx11-dev
 libsrtp2-dev libssl-dev openssl libsodium-dev libsqlite3-dev libjson-c-dev libcmocka-dev
 libnorm-dev uftp libcairo2-dev libpango1.0-dev poppler-utils
 ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
 gstreamer1.0-libav gstreamer1.0-plugins-bad python3-gi gir1.2-gst-rtsp-server-1.0
 xvfb x11-apps x11-utils x11-xserver-utils xterm xdotool imagemagick
 iproute2 nftables procps
 clang libclang-rt-14-dev
 fonts-dejavu-core fonts-noto-cjk gettext python3"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root)" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
