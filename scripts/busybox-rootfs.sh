#!/bin/bash
# Builds a minimal root filesystem from Debian's busybox-static into DIR:
# /bin/busybox with a symlink per applet, /etc/passwd and /etc/group (root,
# nobody, and a user "app" 1000:1000 in groups app and staff), and the empty
# directories a container needs. Used by tests and the example images.
set -eu
dir=${1:?usage: busybox-rootfs.sh DIR}
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "busybox-rootfs.sh: $bb not found (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'dynamically linked' && {
        echo "busybox-rootfs.sh: $bb is dynamically linked; install busybox-static" >&2; exit 1; }
mkdir -p "$dir"/{bin,sbin,etc,tmp,proc,sys,dev,root,home/app,var/www,usr/bin,usr/sbin}
chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
        [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
staff:x:50:app
app:x:1000:
nogroup:x:65534:
G
echo 'hello from deckhand' > "$dir/var/www/index.html"
chown 1000:1000 "$dir/home/app"
