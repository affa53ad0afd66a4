# fetch_common.sh -- sourced by datasets/*/fetch.sh: download one file and
# check it.  Users have the internet; nothing here runs in the tests.
#
# fetch URL FILE [SHA256 [MD5]]
#   Downloads URL to FILE (resuming a partial FILE.part) unless FILE is
#   there already.  When SHA256 (or MD5) is given the file must match it;
#   when neither is known, the sha256 of what was received is printed so
#   that it can be recorded, and the file is marked UNVERIFIED.
#   MASO_SKIP_CHECKSUM=1 turns a mismatch into a warning.
set -eu

fetch() {
  url=$1 file=$2 sha=${3:-} md5=${4:-}
  if [ ! -f "$file" ]; then
    echo "downloading $url" >&2
    curl -fL --retry 3 -C - -o "$file.part" "$url"
    mv "$file.part" "$file"
  fi
  if [ -n "$sha" ]; then
    got=$(sha256sum "$file" | cut -d' ' -f1)
    check "$file" sha256 "$sha" "$got"
  elif [ -n "$md5" ]; then
    got=$(md5sum "$file" | cut -d' ' -f1)
    check "$file" md5 "$md5" "$got"
  else
    echo "UNVERIFIED: no published checksum for $file;" \
      "sha256 $(sha256sum "$file" | cut -d' ' -f1)" >&2
  fi
}

check() {
  if [ "$3" = "$4" ]; then
    echo "$1: $2 ok" >&2
  elif [ "${MASO_SKIP_CHECKSUM:-0}" = 1 ]; then
    echo "WARNING: $1: $2 is $4, expected $3 (MASO_SKIP_CHECKSUM=1)" >&2
  else
    echo "$1: $2 is $4, expected $3; delete it to download again, or set" \
      "MASO_SKIP_CHECKSUM=1 if the expected value is the one in doubt" >&2
    exit 1
  fi
}

# unpack ARCHIVE DIR: tar.gz, zip or rar (rar needs unrar, 7z or bsdtar).
unpack() {
  mkdir -p "$2"
  case $1 in
    *.tar.gz|*.tgz) tar -xzf "$1" -C "$2" ;;
    *.zip) unzip -q -o "$1" -d "$2" ;;
    *.rar)
      if command -v unrar >/dev/null; then unrar x -o+ -idq "$1" "$2/"
      elif command -v 7z >/dev/null; then 7z x -y -o"$2" "$1" >/dev/null
      elif command -v bsdtar >/dev/null; then bsdtar -xf "$1" -C "$2"
      else echo "unpack $1: install unrar, p7zip-full or libarchive-tools" >&2; exit 1
      fi ;;
    *) echo "unpack $1: unknown archive type" >&2; exit 1 ;;
  esac
}
