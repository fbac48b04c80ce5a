#!/bin/sh
# Regenerates the hostile layer corpus in this directory, byte for byte the
# same each time (fixed mtimes, owners and gzip headers). The files are
# committed, so tests never need python; tests/unit/test-hostile-layers.c
# says what each one must do. Run: tests/data/hostile-layers/make.sh
set -eu
cd "$(dirname "$0")"
exec python3 - <<'PY'
import gzip, io, tarfile

def info(name, type=tarfile.REGTYPE, data=b"", mode=0o644, link="", pax=None, dev=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.size, ti.linkname = type, mode, len(data), link
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 1600000000, 0, 0, "root", "root"
    ti.devmajor, ti.devminor = dev
    if pax:
        ti.pax_headers = pax
    return ti, data

def tar(entries, trailing=b""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue() + trailing

def write(name, data):
    if name.endswith(".gz"):
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as g:
            g.write(data)
        data = out.getvalue()
    with open(name, "wb") as f:
        f.write(data)

# Each layer is extracted into parent/dest next to parent/canary/file.
write("dotdot-escape.tar", tar([info("../canary/file", data=b"pwned\n")]))
write("dotdot-nested.tar", tar([info("a/", tarfile.DIRTYPE, mode=0o755),
                                info("a/../../canary/file", data=b"pwned\n")]))
write("absolute-path.tar", tar([info("/tmp/deckhand-hostile-absolute", data=b"pwned\n")]))
write("symlink-parent.tar", tar([info("esc", tarfile.SYMTYPE, link="../canary", mode=0o777),
                                 info("esc/file", data=b"pwned\n")]))
write("symlink-file.tar", tar([info("cf", tarfile.SYMTYPE, link="../canary/file", mode=0o777),
                               info("cf", data=b"pwned\n", mode=0o4755)]))
write("symlink-layer1.tar", tar([info("dir", tarfile.SYMTYPE, link="../canary", mode=0o777)]))
write("symlink-layer2.tar", tar([info("dir/file", data=b"pwned\n")]))
write("hardlink-outside.tar", tar([info("hl", tarfile.LNKTYPE, link="../canary/file")]))
write("hardlink-symlink.tar", tar([info("s", tarfile.SYMTYPE, link="../canary/file", mode=0o777),
                                   info("h", tarfile.LNKTYPE, link="s"),
                                   info("h", data=b"pwned\n")]))
write("hardlink-symlink-parent.tar", tar([info("d", tarfile.SYMTYPE, link="../canary", mode=0o777),
                                          info("h", tarfile.LNKTYPE, link="d/file")]))
write("whiteout-dotdot.tar", tar([info(".wh..."),]))
write("whiteout-dotdot-sub.tar", tar([info("sub/", tarfile.DIRTYPE, mode=0o755),
                                      info("sub/.wh..."),]))
write("long-path.tar", tar([info("x", data=b"pwned\n", pax={"path": "a" * 200 + "/" + "b" * 5000})]))
write("deep-path.tar", tar([info("d/" * 200 + "file", data=b"pwned\n")]))
write("entry-bomb.tar.gz", tar([info("f%05d" % i) for i in range(20000)]))
write("size-bomb-file.tar.gz", tar([info("zeros", data=bytes(32 << 20))]))
write("size-bomb-trailing.tar.gz", tar([info("small", data=b"x\n")], trailing=bytes(64 << 20)))
write("device-node.tar", tar([info("mem", tarfile.CHRTYPE, mode=0o666, dev=(1, 1)),
                              info("sda", tarfile.BLKTYPE, mode=0o666, dev=(8, 0))]))
write("setuid.tar", tar([info("bin/", tarfile.DIRTYPE, mode=0o755),
                         info("bin/su", data=b"#!/bin/sh\n", mode=0o6755)]))
write("nul-path.tar", tar([info("ok", data=b"pwned\n", pax={"path": "ok\0/../../canary/file"})]))
PY
