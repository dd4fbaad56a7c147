#!/usr/bin/env bash
# Install JamSpell (context-aware n-gram spelling corrector) as a *benchmark-only* peer.
# It is deliberately not in requirements*.txt: it needs SWIG, a C++ compiler and the en_US.UTF-8 locale.
#
#   bash benchmarks/install_jamspell.sh            # idempotent: does nothing if jamspell already imports
#   bash benchmarks/install_jamspell.sh --force    # rebuild and reinstall anyway
#   PYTHON=/path/to/python bash benchmarks/install_jamspell.sh
#
# Steps: apt-get install swig / g++ / locales if missing (waits for a busy dpkg lock), create the en_US.UTF-8
# locale if missing, download the jamspell 0.0.12 sdist, relax its "SWIG Version 3" assertion (SWIG 4 builds it
# fine), pip-install the patched copy, and check that it imports.
set -euo pipefail

JAMSPELL_VERSION="0.0.12"
PYTHON="${PYTHON:-python3}"
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "install_jamspell: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

log() { echo "[install_jamspell] $*"; }
die() { echo "[install_jamspell] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; [ "$rc" -ne 0 ] && echo "[install_jamspell] FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and sudo is missing: cannot apt-get install"
    SUDO="sudo"
fi

command -v "$PYTHON" >/dev/null || die "python interpreter '$PYTHON' not found (set PYTHON=...)"
log "python: $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')"

APT_UPDATED=0
apt_install() {  # apt_install PKG...: retries while another apt/dpkg holds the lock
    local attempt
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"; then
            return 0
        fi
        if [ "$APT_UPDATED" -eq 0 ]; then
            log "apt-get install failed; running apt-get update and retrying"
            $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq || true
            APT_UPDATED=1
        else
            log "apt-get install failed (attempt $attempt; dpkg may be busy); retrying in 15 s"
            sleep 15
        fi
    done
    die "apt-get install $* failed"
}

has_locale() { locale -a 2>/dev/null | grep -qiE '^en_US\.utf-?8$'; }

# 1. The locale: _jamspell.so constructs std::locale("en_US.UTF-8") when it is loaded; without it the import aborts.
if has_locale; then
    log "locale en_US.UTF-8: present"
else
    if ! command -v localedef >/dev/null || [ ! -e /usr/share/i18n/locales/en_US ]; then
        log "installing apt package: locales"
        apt_install locales
    fi
    log "creating locale: localedef -i en_US -f UTF-8 en_US.UTF-8"
    $SUDO localedef -i en_US -f UTF-8 en_US.UTF-8
    has_locale || die "localedef ran but 'locale -a' does not list en_US.UTF-8"
fi

# 2. Already installed?
if [ "$FORCE" -eq 0 ] && (cd / && "$PYTHON" -c 'import jamspell; jamspell.TSpellCorrector()') 2>/dev/null; then
    log "jamspell already installed and importable; nothing to do (use --force to reinstall)"
    exit 0
fi

# 3. Build tools.
missing=()
command -v swig >/dev/null || command -v swig3.0 >/dev/null || missing+=(swig)
command -v g++ >/dev/null || missing+=(g++)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing apt packages: ${missing[*]}"
    apt_install "${missing[@]}"
fi
SWIG_BIN="$(command -v swig3.0 || command -v swig)"
log "swig: $SWIG_BIN ($("$SWIG_BIN" -version 2>&1 | sed -n 's/^SWIG Version /version /p'))"
"$PYTHON" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || die "Python.h not found for $PYTHON (install the python dev headers)"

# 4. Download the sdist into a temp dir and relax its SWIG version check.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log "downloading jamspell==$JAMSPELL_VERSION sdist into $WORK"
"$PYTHON" -m pip download --quiet --no-deps --no-binary :all: "jamspell==$JAMSPELL_VERSION" -d "$WORK"
tar -xzf "$WORK/jamspell-$JAMSPELL_VERSION.tar.gz" -C "$WORK"
SRC="$WORK/jamspell-$JAMSPELL_VERSION"
log "patching $SRC/setup.py: accept any SWIG version (upstream asserts 'SWIG Version 3')"
sed -i "s/find(b'SWIG Version 3')/find(b'SWIG Version ')/" "$SRC/setup.py"
grep -q "find(b'SWIG Version ')" "$SRC/setup.py" || die "setup.py patch did not apply (sdist changed?)"

# 5. Build and install (compiling the C++ takes 15-60 s).
log "pip install $SRC (compiling C++, under a minute)"
pip_args=(install --quiet --no-cache-dir)
[ "$FORCE" -eq 1 ] && pip_args+=(--force-reinstall --no-deps)
"$PYTHON" -m pip "${pip_args[@]}" "$SRC"

# 6. Check.
(cd / && "$PYTHON" -c 'import jamspell; jamspell.TSpellCorrector()') || die "installed, but 'import jamspell' fails"
log "OK: jamspell $JAMSPELL_VERSION installed for $PYTHON"
