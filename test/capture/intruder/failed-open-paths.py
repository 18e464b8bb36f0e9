#!/usr/bin/env python3
"""
Failed opens whose names end in a symlink, and one whose name is longer than
the capture keeps, in a directory the test owns (argv[1]), each relative to
that directory's fd. For each open, one JSON line: the name, the flags and
the errno the kernel returned. With O_NOFOLLOW, or O_CREAT|O_EXCL, the kernel
does not follow the last component (ELOOP, EEXIST); without them it does (a
dangling link: ENOENT at its target).
"""
import errno, json, os, sys

d = sys.argv[1]
os.makedirs(d)
with open(f'{d}/target', 'w') as f: f.write('x\n')
os.symlink('target', f'{d}/lnk')
os.symlink('missing', f'{d}/dangling')
dirfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
long_name = 'a' * 200 + '/' + 'b' * 100

def attempt(name, flags, label):
    try:
        fd = os.open(name, flags, 0o600, dir_fd=dirfd)
        os.close(fd)
        err = 0
    except OSError as e:
        err = e.errno
    print(json.dumps({'label': label, 'name': name, 'errno': err}), flush=True)

attempt('lnk', os.O_RDONLY | os.O_NOFOLLOW, 'nofollow')
attempt('lnk', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 'excl')
attempt('dangling', os.O_RDONLY, 'followed')
attempt(long_name, os.O_RDONLY, 'long')
