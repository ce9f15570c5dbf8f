# Sourced by scripts/setup.sh and scripts/setup-tests/*.sh: one way to install missing Debian packages.
# ensure_debian_packages PREFIX HINT PACKAGE...: installs the missing ones when root (one apt-get update,
# --no-install-recommends); elsewhere says which are missing (HINT: what they are for) and returns 1.
ensure_debian_packages() {
  local prefix=$1 hint=$2 p
  shift 2
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$prefix installing system packages: ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "$prefix missing system packages (install them as root; $hint): ${missing[*]}" >&2
    return 1
  fi
}
