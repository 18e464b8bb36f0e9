/**
 * The matching table: one hand-written rule per modifier, value form and
 * condition form, each with events that must match and events that must
 * not (so every row can fail both ways).
 */
import { describe, expect, it } from 'vitest';
import { bytesView, engineFor, type Fields, ruleText, view } from './support.js';

interface Row {
  readonly name: string;
  /** The detection section, indented by four spaces. */
  readonly detection: string;
  readonly category?: string;
  readonly hit: readonly Fields[];
  readonly miss: readonly Fields[];
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const ROWS: Row[] = [
  // Plain values and wildcards
  { name: 'plain value: equality, case-insensitive by default', detection: "    sel:\n        Image: '/usr/bin/CURL'\n    condition: sel",
    hit: [{ Image: '/usr/bin/curl' }, { Image: '/USR/BIN/CURL' }], miss: [{ Image: '/usr/bin/curl2' }, { Image: 'x/usr/bin/curl' }, {}, { Image: null }] },
  { name: '* wildcard in the middle', detection: "    sel:\n        Image: '/usr/*/curl'\n    condition: sel",
    hit: [{ Image: '/usr/bin/curl' }, { Image: '/usr/local/bin/curl' }, { Image: '/usr//curl' }], miss: [{ Image: '/opt/bin/curl' }, { Image: '/usr/bin/curl/x' }] },
  { name: '? wildcard: exactly one character (a code point)', detection: "    sel:\n        Image: 'cur?'\n    condition: sel",
    hit: [{ Image: 'curl' }, { Image: 'cur\u00e9' }, { Image: 'cur\u{1F600}' }], miss: [{ Image: 'cur' }, { Image: 'curll' }] },
  { name: 'escaped wildcard \\* is a literal star', detection: "    sel:\n        CommandLine: 'a\\*b'\n    condition: sel",
    hit: [{ CommandLine: 'a*b' }], miss: [{ CommandLine: 'axb' }, { CommandLine: 'a\\xb' }] },
  { name: 'escaped \\? is a literal question mark', detection: "    sel:\n        CommandLine: 'what\\?'\n    condition: sel",
    hit: [{ CommandLine: 'what?' }], miss: [{ CommandLine: 'whatx' }] },
  { name: '\\\\* is a backslash then a wildcard', detection: "    sel:\n        CommandLine: 'C:\\\\*'\n    condition: sel",
    hit: [{ CommandLine: 'C:\\Windows' }, { CommandLine: 'C:\\' }], miss: [{ CommandLine: 'C:Windows' }] },
  { name: '\\\\\\* is a backslash and a literal star', detection: "    sel:\n        CommandLine: 'C:\\\\\\*'\n    condition: sel",
    hit: [{ CommandLine: 'C:\\*' }], miss: [{ CommandLine: 'C:\\x' }, { CommandLine: 'C:\\' }] },
  { name: 'a plain backslash before another character stays', detection: "    sel:\n        CommandLine: 'C:\\Windows\\System32'\n    condition: sel",
    hit: [{ CommandLine: 'c:\\windows\\system32' }], miss: [{ CommandLine: 'C:Windows' }] },
  { name: 'four backslashes are two', detection: "    sel:\n        CommandLine: 'a\\\\\\\\b'\n    condition: sel",
    hit: [{ CommandLine: 'a\\\\b' }], miss: [{ CommandLine: 'a\\b' }] },
  { name: 'empty string matches only an empty value', detection: "    sel:\n        CurrentDirectory: ''\n    condition: sel",
    hit: [{ CurrentDirectory: '' }], miss: [{ CurrentDirectory: '/' }, {}, { CurrentDirectory: null }] },
  { name: 'null matches an absent or null field', detection: '    sel:\n        ParentImage: null\n    condition: sel',
    hit: [{}, { ParentImage: null }], miss: [{ ParentImage: '/bin/sh' }, { ParentImage: '' }] },
  { name: 'not null: a negated null selection', detection: "    sel:\n        Image|endswith: '/sh'\n    filter:\n        ParentImage: null\n    condition: sel and not filter",
    hit: [{ Image: '/bin/sh', ParentImage: '/sbin/init' }], miss: [{ Image: '/bin/sh' }, { Image: '/bin/sh', ParentImage: null }] },
  { name: 'an empty list of values is null', detection: '    sel:\n        ParentImage: []\n    condition: sel',
    hit: [{}], miss: [{ ParentImage: '/bin/sh' }] },
  { name: 'numbers equal numbers and their text', detection: '    sel:\n        ProcessId: 42\n    condition: sel',
    hit: [{ ProcessId: 42 }, { ProcessId: '42' }], miss: [{ ProcessId: 420 }, { ProcessId: '042' }] },
  { name: 'booleans compare as true/false text', category: 'network_connection', detection: '    sel:\n        Initiated: true\n    condition: sel',
    hit: [{ Initiated: true }, { Initiated: 'True' }], miss: [{ Initiated: false }, {}] },
  { name: "a quoted 'true' matches the boolean", category: 'network_connection', detection: "    sel:\n        Initiated: 'true'\n    condition: sel",
    hit: [{ Initiated: true }], miss: [{ Initiated: false }] },
  { name: 'a list of values: any of them', detection: "    sel:\n        Image:\n            - '/bin/a'\n            - '/bin/b'\n    condition: sel",
    hit: [{ Image: '/bin/a' }, { Image: '/bin/B' }], miss: [{ Image: '/bin/c' }] },
  { name: 'a map: every field', detection: "    sel:\n        Image: '/bin/a'\n        User: root\n    condition: sel",
    hit: [{ Image: '/bin/a', User: 'root' }], miss: [{ Image: '/bin/a', User: 'alice' }, { Image: '/bin/a' }] },
  { name: 'a list of maps: any map', detection: "    sel:\n        - Image: '/bin/a'\n        - User: root\n    condition: sel",
    hit: [{ Image: '/bin/a', User: 'x' }, { Image: '/bin/z', User: 'root' }], miss: [{ Image: '/bin/z', User: 'alice' }] },
  { name: 'list fields match when any element does', detection: "    sel:\n        Tags|contains: evil\n    condition: sel",
    hit: [{ Tags: ['good', 'very-evil'] }], miss: [{ Tags: ['good'] }, { Tags: [] }] },

  // String modifiers
  { name: 'contains', detection: "    sel:\n        CommandLine|contains: ' -d'\n    condition: sel",
    hit: [{ CommandLine: 'base64 -d x' }, { CommandLine: 'BASE64 -D' }], miss: [{ CommandLine: 'base64 --x' }] },
  { name: 'startswith', detection: "    sel:\n        CommandLine|startswith: 'sh -c'\n    condition: sel",
    hit: [{ CommandLine: 'sh -c id' }], miss: [{ CommandLine: 'bash sh -c id' }] },
  { name: 'endswith', detection: "    sel:\n        Image|endswith: '/nc'\n    condition: sel",
    hit: [{ Image: '/usr/bin/nc' }, { Image: '/NC' }], miss: [{ Image: '/usr/bin/ncat' }] },
  { name: 'contains with a wildcard inside', detection: "    sel:\n        CommandLine|contains: 'curl*|*sh'\n    condition: sel",
    hit: [{ CommandLine: 'x curl http://a | bash' }], miss: [{ CommandLine: 'curl http://a' }] },
  { name: 'contains|all: every value', detection: "    sel:\n        CommandLine|contains|all:\n            - '-x'\n            - '-y'\n    condition: sel",
    hit: [{ CommandLine: 'p -y -x' }], miss: [{ CommandLine: 'p -x' }, { CommandLine: 'p -y' }] },
  { name: 'all|contains (order of all does not matter)', detection: "    sel:\n        CommandLine|all|contains:\n            - 'aa'\n            - 'bb'\n    condition: sel",
    hit: [{ CommandLine: 'bb aa' }], miss: [{ CommandLine: 'aa' }] },
  { name: 'all on plain values: every value equal (only one can be)', detection: "    sel:\n        Image|all:\n            - '/bin/a'\n            - '/bin/a'\n    condition: sel",
    hit: [{ Image: '/bin/a' }], miss: [{ Image: '/bin/b' }] },
  { name: 'cased: case-sensitive', detection: "    sel:\n        CommandLine|cased|contains: 'SeCrEt'\n    condition: sel",
    hit: [{ CommandLine: 'x SeCrEt y' }], miss: [{ CommandLine: 'x secret y' }] },
  { name: 'windash: - and / and three dashes, at a word start', detection: "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel",
    hit: [{ CommandLine: 'p -enc x' }, { CommandLine: 'p /enc x' }, { CommandLine: 'p \u2013enc x' }, { CommandLine: 'p \u2014enc x' }, { CommandLine: 'p \u2015enc x' }], miss: [{ CommandLine: 'p xenc x' }, { CommandLine: 'p enc x' }] },
  { name: 'windash leaves a dash inside a word alone', detection: "    sel:\n        CommandLine|windash: 'a-b'\n    condition: sel",
    hit: [{ CommandLine: 'a-b' }], miss: [{ CommandLine: 'a/b' }] },
  { name: 'windash with all: each value in any dash form', detection: "    sel:\n        CommandLine|windash|contains|all:\n            - '-a'\n            - '-b'\n    condition: sel",
    hit: [{ CommandLine: 'p /a -b' }, { CommandLine: 'p -a /b' }], miss: [{ CommandLine: 'p /a' }] },
  { name: 'base64', detection: "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel",
    hit: [{ CommandLine: `echo ${b64('whoami')} | base64 -d` }], miss: [{ CommandLine: `echo ${b64('xwhoami')}` }] },
  { name: 'base64offset at byte offsets 0, 1 and 2', detection: "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel",
    hit: [{ CommandLine: b64('whoami; id') }, { CommandLine: b64('1whoami; id') }, { CommandLine: b64('12whoami; id') }, { CommandLine: b64('123whoami') }],
    miss: [{ CommandLine: b64('who ami') }, { CommandLine: 'whoami' }] },
  { name: 'wide|base64offset: UTF-16LE text in base64', detection: "    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel",
    hit: [{ CommandLine: `-enc ${b64(Buffer.from('x IEX(y)', 'utf16le'))}` }], miss: [{ CommandLine: `-enc ${b64('x IEX(y)')}` }] },
  { name: 'utf16|base64: with the FF FE byte order mark', detection: "    sel:\n        CommandLine|utf16|base64|contains: 'ab'\n    condition: sel",
    hit: [{ CommandLine: b64(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ab', 'utf16le')])) }], miss: [{ CommandLine: b64(Buffer.from('ab', 'utf16le')) }] },
  { name: 'utf16be|base64', detection: "    sel:\n        CommandLine|utf16be|base64: 'ab'\n    condition: sel",
    hit: [{ CommandLine: b64(Buffer.from([0, 0x61, 0, 0x62])) }], miss: [{ CommandLine: b64(Buffer.from('ab', 'utf16le')) }] },

  // Regular expressions
  { name: 're: searches anywhere, case-sensitive', detection: "    sel:\n        CommandLine|re: '\\s-D\\s'\n    condition: sel",
    hit: [{ CommandLine: 'ssh -D 1080 host' }], miss: [{ CommandLine: 'ssh -d 1080 host' }, { CommandLine: 'ssh-D 1080' }] },
  { name: 're with anchors', detection: "    sel:\n        Image|re: '^/usr/bin/(curl|wget)$'\n    condition: sel",
    hit: [{ Image: '/usr/bin/wget' }], miss: [{ Image: '/usr/bin/wget2' }, { Image: '/USR/bin/wget' }] },
  { name: 're with octal escapes (\\057 is /): the pre-filter reads them as the characters they are', detection: "    sel:\n        Image|re: '\\057bash$'\n    condition: sel",
    hit: [{ Image: '/bin/bash' }, { Image: '/usr/bin/bash' }], miss: [{ Image: '/bin/dash' }, { Image: 'bash' }, { Image: '57bash' }] },
  { name: 're|i: case-insensitive', detection: "    sel:\n        Image|re|i: '/CURL$'\n    condition: sel",
    hit: [{ Image: '/usr/bin/curl' }], miss: [{ Image: '/usr/bin/curlx' }] },
  { name: 're|m: ^ and $ at line ends', detection: "    sel:\n        CommandLine|re|m: '^b$'\n    condition: sel",
    hit: [{ CommandLine: 'a\nb\nc' }], miss: [{ CommandLine: 'a b c' }] },
  { name: 'without m, ^ is the start of the text only', detection: "    sel:\n        CommandLine|re: '^b$'\n    condition: sel",
    hit: [{ CommandLine: 'b' }], miss: [{ CommandLine: 'a\nb\nc' }] },
  { name: 're|s: dot matches a newline', detection: "    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel",
    hit: [{ CommandLine: 'a\nb' }], miss: [{ CommandLine: 'ab' }] },
  { name: 'without s, dot does not match a newline', detection: "    sel:\n        CommandLine|re: 'a.b'\n    condition: sel",
    hit: [{ CommandLine: 'axb' }], miss: [{ CommandLine: 'a\nb' }] },
  { name: 're inline flag (?i)', detection: "    sel:\n        CommandLine|re: '(?i)site-packages'\n    condition: sel",
    hit: [{ CommandLine: '/x/SITE-packages/y' }], miss: [{ CommandLine: '/x/site_packages' }] },
  { name: 're on a number field reads its text', detection: "    sel:\n        ProcessId|re: '^4[0-9]$'\n    condition: sel",
    hit: [{ ProcessId: 42 }], miss: [{ ProcessId: 420 }] },

  // Other types
  { name: 'cidr: IPv4', category: 'network_connection', detection: "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel",
    hit: [{ DestinationIp: '10.1.2.3' }, { DestinationIp: '::ffff:10.9.9.9' }], miss: [{ DestinationIp: '11.0.0.1' }, { DestinationIp: 'not-an-ip' }, {}] },
  { name: 'cidr: IPv6 and a list', category: 'network_connection', detection: "    sel:\n        DestinationIp|cidr:\n            - 'fd00::/8'\n            - '127.0.0.0/8'\n    condition: sel",
    hit: [{ DestinationIp: 'fd12::1' }, { DestinationIp: '127.0.0.53' }], miss: [{ DestinationIp: 'fe80::1' }] },
  { name: 'gt', detection: '    sel:\n        ProcessId|gt: 100\n    condition: sel', hit: [{ ProcessId: 101 }, { ProcessId: '200' }], miss: [{ ProcessId: 100 }, { ProcessId: 'abc' }, {}] },
  { name: 'gte', detection: '    sel:\n        ProcessId|gte: 100\n    condition: sel', hit: [{ ProcessId: 100 }], miss: [{ ProcessId: 99 }] },
  { name: 'lt', detection: '    sel:\n        ProcessId|lt: 100\n    condition: sel', hit: [{ ProcessId: 99 }], miss: [{ ProcessId: 100 }] },
  { name: 'lte', detection: '    sel:\n        ProcessId|lte: 100\n    condition: sel', hit: [{ ProcessId: 100 }], miss: [{ ProcessId: 101 }] },
  { name: 'neq: none of the values', detection: "    sel:\n        User|neq:\n            - root\n            - daemon\n    condition: sel", hit: [{ User: 'alice' }, {}], miss: [{ User: 'root' }, { User: 'DAEMON' }] },
  // exists replaces the `field: null` filters (sigma-specification V2_changes): a value the capture did not see (null) does not exist.
  { name: 'exists: true', detection: '    sel:\n        CurrentDirectory|exists: true\n    condition: sel', hit: [{ CurrentDirectory: '/' }, { CurrentDirectory: '' }], miss: [{}, { CurrentDirectory: null }] },
  { name: 'exists: false', detection: '    sel:\n        CurrentDirectory|exists: false\n    condition: sel', hit: [{}, { CurrentDirectory: null }], miss: [{ CurrentDirectory: '' }, { CurrentDirectory: '/' }] },
  { name: 'exists: false and field: null agree', detection: '    a:\n        ParentImage|exists: false\n    b:\n        ParentImage: null\n    condition: a and b',
    hit: [{ ParentImage: null }, {}], miss: [{ ParentImage: '/bin/sh' }] },
  // Case folding: the Greek final sigma (ς) folds as σ, as RE2's (?i) folds it; `Σ` at a word's end lowers to ς alone.
  { name: 'startswith: a capital sigma at the pattern end matches it inside a word', detection: "    sel:\n        Image|startswith: '/tmp/ΟΔΥΣ'\n    condition: sel",
    hit: [{ Image: '/tmp/ΟΔΥΣΣΕΑΣ.txt' }, { Image: '/tmp/οδυσσεας' }, { Image: '/tmp/οδυς' }], miss: [{ Image: '/tmp/ΟΔΥ' }, { Image: '/tmp/ΟΔΥΞ' }] },
  { name: 'contains and re|i agree on sigma', detection: "    a:\n        Image|contains: 'ΟΔΥΣΣ'\n    b:\n        Image|re|i: 'ΟΔΥΣΣ'\n    condition: a and b",
    hit: [{ Image: '/tmp/ΟΔΥΣΣΕΑΣ.txt' }, { Image: '/tmp/οδυσσ' }], miss: [{ Image: '/tmp/ΟΔΥΣ' }] },
  { name: 'cased startswith with a capital sigma at its end (the pre-filter folds it too)', detection: "    sel:\n        Image|cased|startswith: '/tmp/ΟΔΥΣ'\n    condition: sel",
    hit: [{ Image: '/tmp/ΟΔΥΣΣΕΑΣ.txt' }], miss: [{ Image: '/tmp/οδυσσεας' }] },
  // `timeframe` is a detection attribute beside `condition`, not a search identifier.
  { name: 'timeframe is not an identifier of "all of them"', detection: "    selection:\n        Image|endswith: /curl\n    timeframe: 30s\n    condition: all of them",
    hit: [{ Image: '/usr/bin/curl' }], miss: [{ Image: '/usr/bin/wget' }, { CommandLine: '30s' }] },
  { name: 'timeframe is not an identifier of "1 of them"', detection: "    selection:\n        Image: /nowhere\n    timeframe: bash\n    condition: 1 of them",
    hit: [{ Image: '/nowhere' }], miss: [{ Image: '/bin/bash' }, { CommandLine: 'bash -c x' }] },
  { name: 'fieldref: equal fields', detection: '    sel:\n        ParentImage|fieldref: Image\n    condition: sel',
    hit: [{ Image: '/bin/sh', ParentImage: '/BIN/SH' }], miss: [{ Image: '/bin/sh', ParentImage: '/bin/bash' }, { ParentImage: '/bin/sh' }] },
  { name: 'fieldref|contains', detection: '    sel:\n        CommandLine|fieldref|contains: Image\n    condition: sel',
    hit: [{ Image: '/tmp/x', CommandLine: 'sudo /tmp/x -y' }], miss: [{ Image: '/tmp/x', CommandLine: 'sudo /tmp/y' }] },
  { name: 'fieldref|startswith and |endswith', detection: '    a:\n        CommandLine|fieldref|startswith: Image\n    b:\n        ParentCommandLine|fieldref|endswith: ParentImage\n    condition: a and b',
    hit: [{ Image: '/bin/x', CommandLine: '/bin/x -a', ParentImage: 'sh', ParentCommandLine: '/bin/sh' }], miss: [{ Image: '/bin/x', CommandLine: 'y /bin/x', ParentImage: 'sh', ParentCommandLine: '/bin/sh' }] },

  // Keywords
  { name: 'keywords: a list searches every field', detection: "    keywords:\n        - 'event::clear'\n        - 'mimikatz'\n    condition: keywords",
    hit: [{ CommandLine: 'run Mimikatz now' }, { Image: '/opt/event::clear' }], miss: [{ CommandLine: 'clear' }] },
  { name: "keywords with '|all': every keyword, in any fields", detection: "    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords",
    hit: [{ CommandLine: 'Set-OabVirtualDirectory -ExternalUrl x' }, { Image: 'oabvirtualdirectory', CommandLine: 'a -externalurl b' }], miss: [{ CommandLine: 'OabVirtualDirectory' }] },
  { name: 'a single keyword', detection: "    keywords: 'nc -e'\n    condition: keywords", hit: [{ CommandLine: 'x nc -e /bin/sh' }], miss: [{ CommandLine: 'nc' }] },
  { name: 'keywords|re', detection: "    keywords:\n        '|re': 'nc\\s+-e'\n    condition: keywords", hit: [{ CommandLine: 'nc   -e sh' }], miss: [{ CommandLine: 'nc sh' }] },

  // Conditions
  { name: 'and', detection: "    a:\n        Image: x\n    b:\n        User: root\n    condition: a and b", hit: [{ Image: 'x', User: 'root' }], miss: [{ Image: 'x' }, { User: 'root' }] },
  { name: 'or', detection: "    a:\n        Image: x\n    b:\n        User: root\n    condition: a or b", hit: [{ Image: 'x' }, { User: 'root' }], miss: [{ Image: 'y', User: 'alice' }] },
  { name: 'not', detection: "    a:\n        Image: x\n    condition: not a", hit: [{ Image: 'y' }, {}], miss: [{ Image: 'x' }] },
  { name: 'and binds tighter than or', detection: "    a:\n        Image: a\n    b:\n        User: b\n    c:\n        CommandLine: c\n    condition: a or b and c",
    hit: [{ Image: 'a' }, { User: 'b', CommandLine: 'c' }], miss: [{ User: 'b' }, { CommandLine: 'c' }] },
  { name: 'not binds tighter than and', detection: "    a:\n        Image: a\n    b:\n        User: b\n    condition: not a and b",
    hit: [{ User: 'b' }], miss: [{ Image: 'a', User: 'b' }, {}] },
  { name: 'parentheses', detection: "    a:\n        Image: a\n    b:\n        User: b\n    c:\n        CommandLine: c\n    condition: (a or b) and c",
    hit: [{ Image: 'a', CommandLine: 'c' }, { User: 'b', CommandLine: 'c' }], miss: [{ Image: 'a' }] },
  { name: 'not over parentheses', detection: "    a:\n        Image: a\n    b:\n        User: b\n    condition: not (a or b)", hit: [{ Image: 'z' }], miss: [{ Image: 'a' }, { User: 'b' }] },
  { name: '1 of sel*', detection: "    sel_a:\n        Image: a\n    sel_b:\n        Image: b\n    other:\n        Image: c\n    condition: 1 of sel_*",
    hit: [{ Image: 'a' }, { Image: 'b' }], miss: [{ Image: 'c' }] },
  { name: 'any of (pySigma spelling of 1 of)', detection: "    sel_a:\n        Image: a\n    sel_b:\n        Image: b\n    condition: any of sel_*", hit: [{ Image: 'b' }], miss: [{ Image: 'c' }] },
  { name: 'all of sel*', detection: "    sel_a:\n        Image|contains: a\n    sel_b:\n        Image|contains: b\n    condition: all of sel_*",
    hit: [{ Image: 'ab' }], miss: [{ Image: 'a' }, { Image: 'b' }] },
  { name: 'a pattern with a * in the middle', detection: "    sel_1_x:\n        Image: a\n    sel_2_y:\n        Image: b\n    condition: 1 of sel_*_x", hit: [{ Image: 'a' }], miss: [{ Image: 'b' }] },
  { name: '1 of them leaves out _ identifiers', detection: "    a:\n        Image: a\n    _b:\n        Image: b\n    condition: 1 of them", hit: [{ Image: 'a' }], miss: [{ Image: 'b' }] },
  { name: 'all of them leaves out _ identifiers', detection: "    a:\n        Image|contains: a\n    c:\n        Image|contains: c\n    _b:\n        Image: b\n    condition: all of them", hit: [{ Image: 'ac' }], miss: [{ Image: 'a' }] },
  { name: 'a pattern starting with _ reaches _ identifiers', detection: "    _b:\n        Image: b\n    condition: 1 of _*", hit: [{ Image: 'b' }], miss: [{ Image: 'a' }] },
  { name: 'selection and not 1 of filter_*', detection: "    selection:\n        Image|endswith: '/sh'\n    filter_a:\n        ParentImage: /usr/bin/cron\n    filter_b:\n        User: root\n    condition: selection and not 1 of filter_*",
    hit: [{ Image: '/bin/sh', ParentImage: '/bin/x', User: 'alice' }], miss: [{ Image: '/bin/sh', User: 'root' }, { Image: '/bin/sh', ParentImage: '/usr/bin/cron' }] },
  { name: 'a list of conditions: any of them', detection: "    a:\n        Image: a\n    b:\n        Image: b\n    condition:\n        - a\n        - b", hit: [{ Image: 'a' }, { Image: 'b' }], miss: [{ Image: 'c' }] },
  // Lowercasing outside ASCII: the pre-filter must not scan such text as bytes (U+212A KELVIN SIGN lowercases to k, U+0130 to i + U+0307).
  { name: 'case-insensitive beyond ASCII: a Kelvin sign is a k, a dotted capital I an i', category: 'file_event', detection: "    sel:\n        TargetFilename|contains: '/kit/'\n    condition: sel",
    hit: [{ TargetFilename: '/tmp/\u212Ait/x' }, { TargetFilename: '/TMP/KIT/x' }], miss: [{ TargetFilename: '/tmp/kiet/x' }] },
  { name: 'case-insensitive beyond ASCII: a non-ASCII literal', category: 'file_event', detection: "    sel:\n        TargetFilename|endswith: '/\u00e9t\u00e9'\n    condition: sel",
    hit: [{ TargetFilename: '/x/\u00c9T\u00c9' }, { TargetFilename: '/x/\u00e9t\u00e9' }], miss: [{ TargetFilename: '/x/ete' }] },
  { name: 'a regex that needs a long value: length in characters, not bytes', category: 'file_event', detection: "    sel:\n        TargetFilename|re: '[^/]{10,}$'\n    condition: sel",
    hit: [{ TargetFilename: 'abcdefghij' }, { TargetFilename: '/tmp/abcdefghij' }, { TargetFilename: '/tmp/\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9' }],
    miss: [{ TargetFilename: '/tmp/abcdefghi' }, { TargetFilename: '/tmp/\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9' }, { TargetFilename: 'abcdefghij/' }] },
  { name: 'identifiers with - and digits', detection: "    sel-1:\n        Image: a\n    condition: sel-1", hit: [{ Image: 'a' }], miss: [{ Image: 'b' }] },
];

describe('Sigma matching, one rule per modifier and condition form', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const category = row.category ?? 'process_creation';
      const engine = engineFor(ruleText(row.detection, category));
      // Strings as values, and as the UTF-8 bytes a record holds (the pre-filter scans ASCII bytes without decoding).
      for (const make of [view, bytesView]) {
        for (const fields of row.hit) expect(engine.evaluate(make(category, fields)).length, `${make.name} should match ${JSON.stringify(fields)}`).toBe(1);
        for (const fields of row.miss) expect(engine.evaluate(make(category, fields)).length, `${make.name} should not match ${JSON.stringify(fields)}`).toBe(0);
      }
    });
  }

  it('offers events only to rules of their own category', () => {
    const engine = engineFor(ruleText("    sel:\n        Image: '/bin/nc'\n    condition: sel", 'network_connection'));
    expect(engine.evaluate(view('process_creation', { Image: '/bin/nc' }))).toHaveLength(0);
    expect(engine.evaluate(view('network_connection', { Image: '/bin/nc' }))).toHaveLength(1);
  });

  it('the literal pre-filter rejects events before any test runs, and never rejects a match', () => {
    const engine = engineFor(ruleText("    sel:\n        Image|endswith: '/nc'\n        CommandLine|contains|all: ['-e', 'sh']\n    condition: sel"));
    expect(engine.evaluate(view('process_creation', { Image: '/usr/bin/ls', CommandLine: 'nc -e sh' }))).toHaveLength(0);
    expect(engine.prefiltered).toBe(1);
    expect(engine.evaluate(view('process_creation', { Image: '/usr/bin/NC', CommandLine: 'nc -e sh' }))).toHaveLength(1);
    expect(engine.prefiltered).toBe(1);
  });
});
