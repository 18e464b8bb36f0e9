#!/usr/bin/env python3
"""
Deletes, renames, links, truncates and chmods through symlinks, in a directory
the test owns (argv[1]): real/ stands in for a protected directory (/etc/cron.d,
/var/log), sw/cd -> real a planted directory symlink, innocent -> real/log a
planted last-component symlink. For each call, one JSON line: the call, the
name as passed (arg), what a lexical join of it gives (lexical: the directory
the kernel resolved it against, then the name's text) and where the change
really happened (real, after the fact). The test checks the record says
which of its paths were joined past names the kernel may have followed.
"""
import json, os, sys

d = sys.argv[1]
os.makedirs(f'{d}/real'); os.makedirs(f'{d}/sw'); os.makedirs(f'{d}/ln')
os.symlink(f'{d}/real', f'{d}/sw/cd')
with open(f'{d}/real/log', 'w') as f: f.write('log line\n')
os.symlink(f'{d}/real/log', f'{d}/innocent')
for n in ('job', 'job2', 'job3', 'plain'):
    with open(f'{d}/{n}', 'w') as f: f.write('* * * * * root /tmp/x\n')
os.chdir(d)

def out(call, arg, real, result=0, base=d, **kw):
    lexical = os.path.normpath(arg if arg.startswith('/') else os.path.join(base, arg))
    print(json.dumps({'call': call, 'arg': arg, 'lexical': lexical, 'real': real, 'result': result, **kw}), flush=True)

# a directory symlink among the components of a new name, an old name, a deleted name
os.rename(f'{d}/job', f'{d}/sw/cd/job')
out('rename', f'{d}/sw/cd/job', os.path.realpath(f'{d}/sw/cd/job'), old=f'{d}/job')
os.link('job2', 'sw/cd/job2')
out('link', 'sw/cd/job2', os.path.realpath('sw/cd/job2'), target='job2')
os.unlink('sw/cd/job2')
out('unlink', 'sw/cd/job2', f'{d}/real/job2')
# the last component is a symlink the call follows
os.truncate(f'{d}/innocent', 0)
out('truncate', f'{d}/innocent', os.path.realpath(f'{d}/innocent'), size=os.stat(f'{d}/real/log').st_size)
os.chmod('innocent', 0o4755)
out('chmod', 'innocent', os.path.realpath('innocent'), mode=oct(os.stat(f'{d}/real/log').st_mode & 0o7777))
# exact: one component relative to the kernel's cwd or dirfd, a call that does not follow it
os.rename('job3', 'job4')
out('rename', 'job4', f'{d}/job4', old='job3')
fd = os.open(f'{d}/sw', os.O_RDONLY | os.O_DIRECTORY)
os.unlink('cd', dir_fd=fd)
out('unlinkat', 'cd', f'{d}/sw/cd', base=f'{d}/sw')
# a dirfd, then a directory component: lexical again
os.symlink(f'{d}/real', f'{d}/sw/cd')
os.unlink('cd/job', dir_fd=fd)
out('unlinkat', 'cd/job', f'{d}/real/job', base=f'{d}/sw')
os.close(fd)
# a name longer than PATH_LEN - 1 bytes: what is past the cut walks back into real/
long = f'{d}/ln/' + './' * 130 + '../real/long'
os.rename(f'{d}/plain', long)
out('rename', long, os.path.realpath(f'{d}/real/long'), cut=True)
os.unlink(long)
out('unlink', long, f'{d}/real/long', cut=True)
