#!/bin/sh
# Regenerates the demo prompts: Mandarin speech from espeak-ng, converted by
# sox to what the IVR plays (8000 Hz, mono, 16-bit signed PCM WAV) with the
# silence at both ends trimmed. Needs: apt-get install espeak-ng sox
# Run from anywhere: ./configs/prompts/make-prompts.sh
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # say FILE TEXT
	espeak-ng -v cmn -s 260 -w "$tmp/raw.wav" "$2"
	sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1" gain -1 \
		silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
}

say welcome.wav       "福彩热线，欢迎您"
say main-menu.wav     "咨询按1，报修按2，查询按9，人工按0"
say invalid.wav       "输入有误"
say after-hours.wav   "现在是非工作时间"
say leave-message.wav "请在提示音后留言"
say goodbye.wav       "再见"
say survey-ask.wav    "请按1到5为服务打分"
say survey-thanks.wav "感谢您的评价"

cat ./*.wav | wc -c | awk "{printf \"%d bytes of prompts\\n\", \$1}"
