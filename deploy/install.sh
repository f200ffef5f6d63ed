#!/usr/bin/env bash
# Installs (or upgrades) one Grid node on a Debian/Ubuntu machine. Idempotent: running it again replaces the
# binaries and the systemd unit, and keeps the operator's settings and keys. See deploy/README.md.
#
#   deploy/install.sh [--from PUBLISHED_DIR] [--root DIR] [--no-systemd] [--user NAME]
#
#   --from DIR     an already published server (dotnet publish -c Release src/Grid.Server -o DIR);
#                  default: publish it from this repository (needs the .NET 10 SDK)
#   --root DIR     install under DIR instead of / (packaging, tests); no user is created, no owners changed,
#                  systemctl is not called; files keep their final paths (/etc/grid, ...) in what they contain
#   --no-systemd   install the unit file but do not call systemctl
#   --user NAME    the service user (default grid)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
from="" root="" systemd=1 user=grid

die() { echo "install.sh: error: $*" >&2; exit 1; }
note() { echo "install.sh: $*"; }
warn() { echo "install.sh: warning: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] || die "--from needs a directory"; from=$2; shift 2 ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
    --no-systemd) systemd=0; shift ;;
    --user) [ $# -ge 2 ] || die "--user needs a name"; user=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [ -n "$root" ]; then
  mkdir -p "$root" || die "cannot create --root $root"
  root=$(cd "$root" && pwd)
  systemd=0
fi
real=0   # a real install on this machine, as root: create the user, set owners, talk to systemd
[ -z "$root" ] && [ "$(id -u)" = 0 ] && real=1
[ -z "$root" ] && [ "$real" = 0 ] && die "run as root (sudo $0 $*), or give --root DIR to install into a directory"

opt=$root/opt/grid etc=$root/etc/grid data=$root/var/lib/grid
unit_dir=$root/etc/systemd/system sbin=$root/usr/local/sbin

# --- prerequisites -------------------------------------------------------------------------------------------
dotnet=$(command -v dotnet || true)
[ -n "$dotnet" ] || die "dotnet not found. Install the ASP.NET Core 10 runtime (Debian 12: add packages.microsoft.com,
  see https://learn.microsoft.com/dotnet/core/install/linux-debian, then apt-get install aspnetcore-runtime-10.0), and run this again."
dotnet=$(readlink -f "$dotnet")
"$dotnet" --list-runtimes 2>/dev/null | grep -q '^Microsoft.AspNetCore.App 10\.' \
  || die "the ASP.NET Core 10 runtime is missing ($dotnet --list-runtimes shows none): apt-get install aspnetcore-runtime-10.0, then run this again."
if [ -z "$from" ]; then
  "$dotnet" --list-sdks 2>/dev/null | grep -q '^10\.' \
    || die "no .NET 10 SDK to publish the server with: give an already published server with --from DIR, or install dotnet-sdk-10.0."
fi
if ! command -v bwrap >/dev/null; then
  warn "bubblewrap is not installed: functions would run without sandboxes. Install it: apt-get install bubblewrap"
fi
for runtime in python3 node; do
  command -v "$runtime" >/dev/null || note "$runtime not found: functions with that runtime will not run here (optional; apt-get install ${runtime/node/nodejs})"
done

# --- binaries ------------------------------------------------------------------------------------------------
stage=$(mktemp -d "${TMPDIR:-/tmp}/grid-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
if [ -z "$from" ]; then
  note "publishing the server from $repo (dotnet publish -c Release)"
  "$dotnet" publish "$repo/src/Grid.Server" -c Release -o "$stage/publish" --nologo -v quiet >"$stage/publish.log" 2>&1 \
    || { tail -30 "$stage/publish.log" >&2; die "dotnet publish failed (log above)"; }
  from=$stage/publish
fi
[ -f "$from/Grid.Server.dll" ] || die "$from has no Grid.Server.dll: give the output directory of 'dotnet publish -c Release src/Grid.Server -o DIR'"

mkdir -p "$root/opt" "$etc" "$data" "$unit_dir" "$sbin"
# Copy beside the old version, then swap: a node still running keeps its open files, and a failed copy leaves the
# installed version untouched.
rm -rf "$opt.new" "$opt.old"
mkdir -p "$opt.new/deploy"
cp -a "$from/." "$opt.new/"
rm -f "$opt.new/appsettings.json"
cp "$repo/deploy/README.md" "$repo/deploy/nginx.conf" "$opt.new/deploy/"
# The node reads appsettings.json from its own directory: link it to the operator's file in /etc/grid.
ln -s ../../etc/grid/appsettings.json "$opt.new/appsettings.json"
chmod -R u+rwX,go+rX,go-w "$opt.new"
[ "$real" = 1 ] && chown -R root:root "$opt.new"   # the service user cannot change its own code
[ -d "$opt" ] && mv "$opt" "$opt.old"
mv "$opt.new" "$opt"
rm -rf "$opt.old"
note "installed the server in $opt"

# --- service user --------------------------------------------------------------------------------------------
if [ "$real" = 1 ]; then
  if ! getent passwd "$user" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/grid --shell /usr/sbin/nologin "$user" \
      || die "could not create the system user '$user' (useradd failed)"
    note "created the system user '$user' (no login shell, no home directory)"
  fi
  [ "$(stat -c %U /usr/bin/bwrap 2>/dev/null)" = root ] && [ -u /usr/bin/bwrap ] \
    && note "/usr/bin/bwrap is setuid root; NoNewPrivileges=yes in the unit stops a setuid bwrap: see README, Isolation"
  if command -v bwrap >/dev/null && ! setpriv --reuid="$user" --regid="$user" --clear-groups --no-new-privs \
       bwrap --ro-bind / / --unshare-pid --proc /proc --dev /dev true 2>"$stage/bwrap.err"; then
    warn "bubblewrap cannot build a sandbox as user '$user': $(cat "$stage/bwrap.err"). Unprivileged user namespaces
  are probably disabled (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 see README, Isolation)."
  fi
fi

# --- settings and keys (never overwritten) -------------------------------------------------------------------
install_once() { # install_once SOURCE TARGET MODE: copies the template only when the operator has no file yet
  if [ -e "$2" ]; then note "kept $2 (yours)"; return; fi
  install -m "$3" "$1" "$2"
  note "wrote $2 from the template"
}
install -m 644 "$repo/deploy/appsettings.json" "$etc/appsettings.json.example"
install_once "$repo/deploy/appsettings.json" "$etc/appsettings.json" 640
install_once "$repo/deploy/grid.env" "$etc/grid.env" 600
if [ -e "$etc/environment.key" ]; then
  note "kept $etc/environment.key"
else
  # One AES-256 key per cluster: copy this file to every other node instead of creating a new one there.
  (umask 077 && head -c 32 /dev/urandom | base64 >"$etc/environment.key")
  note "created $etc/environment.key (copy this same file to every other node of the cluster)"
fi
chmod 600 "$etc/environment.key" "$etc/grid.env"
chmod 750 "$etc"
if [ "$real" = 1 ]; then
  chown root:"$user" "$etc" "$etc/appsettings.json"
  chown root:root "$etc/grid.env" "$etc/environment.key"
  chown "$user:$user" "$data"
  chmod 750 "$data"
fi

# --- systemd unit and admin command --------------------------------------------------------------------------
sed -e "s|/usr/bin/dotnet|$dotnet|" -e "s|^User=grid|User=$user|" -e "s|^Group=grid|Group=$user|" \
  "$repo/deploy/grid.service" >"$stage/grid.service"
install -m 644 "$stage/grid.service" "$unit_dir/grid.service"
sed -e "s|@DOTNET@|$dotnet|" "$repo/deploy/grid-admin" >"$stage/grid-admin"
install -m 755 "$stage/grid-admin" "$sbin/grid-admin"
note "installed $unit_dir/grid.service and $sbin/grid-admin"

if [ "$systemd" = 1 ]; then
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if systemctl is-active --quiet grid; then
      note "grid is running the previous version: 'systemctl restart grid' drains it and starts this one"
    fi
  else
    warn "systemd is not running on this machine: the unit is installed but cannot be started here"
  fi
fi

cat <<EOF

Next steps (deploy/README.md):
  1. Settings: $etc/appsettings.json (ports, addresses, TLS); the PostgreSQL connection string in $etc/grid.env.
  2. Once per cluster, from one node:   grid-admin migrate
  3. Once per cluster, an access key:   grid-admin keys create --account 123456789012
  4. Every node uses the same $etc/environment.key: copy the first node's file to the others (root, mode 600).
  5. Start and enable the node:          systemctl enable --now grid
     Check it:                           systemctl status grid; journalctl -u grid -f; curl http://127.0.0.1:9000/health
EOF
