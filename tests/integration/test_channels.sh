#!/bin/sh
# Two classes side by side on one LAN: two teachers on channels A and B, two
# students on each. The classes share one class key (a school that keys all
# its labs alike), so separation must come from the channel itself: distinct
# groups and ports, and the channel number every packet carries. A relay
# leaks class A's media into class B's group (a misconfigured switch). Class
# B's students still show only their own teacher's pictures (told apart by
# size: A 320x180, B 256x144), in order, and count the leaked packets; each
# teacher welcomes only its own two students. Then the same with --insecure
# (interop mode, no SRTP): the channel number alone keeps the classes apart.
# A fifth student on class A runs --no-decode (network check): it counts the
# pictures a decoder would show without decoding any.
. "$(dirname "$0")/lib.sh"

"$TEACHER" keygen "$WORK/school.key" >/dev/null

# run_pair MODE CH_A CH_B: AUTH is the authentication option for everyone.
run_pair() {
	mode=$1 a=$2 b=$3
	case $mode in
	secure) auth="--key $WORK/school.key" ;;
	insecure) auth="--insecure" ;;
	esac
	# shellcheck disable=SC2086
	bg "$TEACHER" --headless $auth --source testpattern --size 320x180 \
		--fps 30 --bitrate 300 --channel "$a" --duration 13 \
		--stats "$WORK/$mode.ta.json"
	# shellcheck disable=SC2086
	bg "$TEACHER" --headless $auth --source testpattern --size 256x144 \
		--fps 30 --bitrate 300 --channel "$b" --duration 13 \
		--stats "$WORK/$mode.tb.json"
	for ch in a b; do
		eval "c=\$$ch"
		for i in 1 2; do
			# shellcheck disable=SC2086
			bg "$STUDENT" --headless $auth --id "$ch$i" --check-stamp \
				--channel "$c" --state-dir "$WORK/$mode.st$ch$i" \
				--local-socket "$WORK/$mode.$ch$i.sock" --duration 11 \
				--stats "$WORK/$mode.$ch$i.json"
		done
	done
	# A network check on class A: receives and repairs, decodes nothing.
	# shellcheck disable=SC2086
	bg "$STUDENT" $auth --no-decode --id a3 --channel "$a" \
		--state-dir "$WORK/$mode.sta3" --local-socket "$WORK/$mode.a3.sock" \
		--duration 11 --stats "$WORK/$mode.a3.json"
	sleep 2
	python3 "$(dirname "$0")/relay.py" 239.255.0."$a" 400"${a}"0 \
		239.255.0."$b" 400"${b}"0 7 >"$WORK/$mode.relay.json"
	wait
	cat "$WORK/$mode.relay.json"
	check "$WORK/$mode.relay.json" "s['copied'] > 100" \
		"$mode: the relay leaked nothing (test broken)"
	for i in 1 2; do
		check "$WORK/$mode.a$i.json" \
			"s['width'] == 320 and s['height'] == 180 and s['size_changes'] == 0" \
			"$mode: class A student a$i showed another picture than its teacher's"
		check "$WORK/$mode.b$i.json" \
			"s['width'] == 256 and s['height'] == 144 and s['size_changes'] == 0" \
			"$mode: class B student b$i showed class A's picture"
		for ch in a b; do
			check "$WORK/$mode.$ch$i.json" \
				"s['stamp']['ok'] >= 200 and s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
				"$mode: student $ch$i did not show its own class's frames in order"
		done
	done
	check "$WORK/$mode.a3.json" \
		"s['frames_decoded'] >= 200 and s['width'] == 0 and s['frames_damaged'] == 0" \
		"$mode: the --no-decode student did not count class A's pictures"
	case $mode in
	secure)
		# Leaked SRTP is not authentic under class B's media key.
		check "$WORK/$mode.b1.json" "s['auth_failures'] + s['packets_foreign'] > 100" \
			"$mode: class B did not notice class A's leaked packets"
		check "$WORK/$mode.ta.json" "s['control']['joins'] == 3" \
			"$mode: teacher A welcomed other than its own three students"
		check "$WORK/$mode.tb.json" "s['control']['joins'] == 2" \
			"$mode: teacher B welcomed other than its own two students"
		;;
	insecure)
		check "$WORK/$mode.b1.json" "s['packets_foreign'] > 100" \
			"$mode: leaked packets were not dropped as another channel's"
		;;
	esac
	python3 - "$WORK/$mode.b1.json" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"final":true' in l][-1]
print("class B student: %dx%d, %d frames in order, %d foreign, %d unauthentic" % (
    s["width"], s["height"], s["stamp"]["ok"], s["packets_foreign"], s["auth_failures"]))
PY
}

run_pair secure 3 4
run_pair insecure 5 6
echo "PASS"
