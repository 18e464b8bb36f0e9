#!/usr/bin/env python3
"""
A rename and a delete by a name with "..", in a chroot the test owns (argv[1]):
the kernel stops a ".." at the task's root, a lexical join from the namespace
root goes past it. One JSON line per call: the name as passed, what a join from
the namespace root gives (lexical) and where the change really happened (real,
outside the chroot's view: argv[1]/...). Then, unchrooted, a ".." that is
exact: a rename in the namespace root's view (not flagged for "..").
"""
import json, os, sys

d = sys.argv[1]
os.makedirs(f'{d}/jail/a')
with open(f'{d}/jail/job', 'w') as f: f.write('x\n')
with open(f'{d}/jail/a/plain', 'w') as f: f.write('x\n')

def out(call, arg, lexical, real):
    print(json.dumps({'call': call, 'arg': arg, 'lexical': lexical, 'real': real}), flush=True)

outside = os.open('/', os.O_RDONLY | os.O_DIRECTORY)
os.chroot(f'{d}/jail')
os.chdir('/')
# "/../../job2" is "/job2" in the jail; joined from the namespace root, it climbs out of it
os.rename('/job', '/../../job2')
out('rename', '/../../job2', os.path.normpath(f'{d}/jail/../../job2'), f'{d}/jail/job2')
os.unlink('/a/../../job2')
out('unlink', '/a/../../job2', os.path.normpath(f'{d}/jail/a/../../job2'), f'{d}/jail/job2')
# back out of the jail: the same spelling of a ".." that stays inside is exact for a task whose root is the namespace's
os.fchdir(outside)
os.chroot('.')
os.chdir(f'{d}/jail/a')
os.rename('plain', '../plain2')
out('rename', '../plain2', f'{d}/jail/plain2', f'{d}/jail/plain2')
