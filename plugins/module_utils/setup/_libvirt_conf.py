# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt's configuration files (libvirtd.conf, virtqemud.conf, qemu.conf): which keys they take,
read from libvirt's own Augeas lens, and setting keys in them without touching the other lines.

The file syntax is libvirt's ``virconf`` (src/util/virconf.c): ``name = value`` statements
separated by newlines or ``;``, ``#`` comments, values that are numbers (``-``/``+`` then digits),
strings in ``"..."``, ``'...'`` or ``\"\"\"...\"\"\"`` or lists ``[ v, v ]`` that may span lines.
A quoted string has no escape sequences: a backslash is an ordinary character and a ``"`` always
ends a ``"``-string; ``"`` and ``'`` strings end at a newline. The first assignment of a name is the
one libvirt uses.

Pure functions from text to data: the module opens the files.
"""

import difflib
import re

# The line above the keys this collection appends to a file.
MARKER = "# Set by Ansible (hypervisor.kvm.kvm_libvirt_settings); edit here or in the playbook, not both."

# The lens's entry functions and the kind of value each takes. Another entry function in a
# future lens is refused by name rather than guessed.
ENTRY_KINDS = {
    "str_entry": "str",
    "bool_entry": "bool",
    "int_entry": "int",
    "str_array_entry": "str_list",
    "limits_entry": "limits",
}
# Value patterns as the lenses of libvirt 9 and 11 write them; each is read from the lens when it
# defines it, so a lens that narrows one (qemu.conf's int_val takes no sign) is followed.
DEFAULT_PATTERNS = {
    "str_val": r'[^"]*',
    "bool_val": r"0|1",
    "int_val": r"-?[0-9]+",
    "unlimited_val": r"unlimited",
}
_LENS_COMMENT = re.compile(r"\(\*.*?\*\)", re.DOTALL)
_ENTRY_FUNCTION = re.compile(r"\blet\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\s*:\s*string\s*\)")
_VALUE_DEFINITION = re.compile(r"\blet\s+(%s)\s*=\s*(.*?)(?=\blet\s|\Z)" % "|".join(DEFAULT_PATTERNS), re.DOTALL)
_STORE = re.compile(r"\bstore\s+/((?:[^/\\]|\\.)*)/")
# virconf reads numbers into a long long (or unsigned for non-negative ones).
_INT_MIN, _INT_MAX = -(2 ** 63), 2 ** 63 - 1
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class LensError(Exception):
    """The lens text declares no keys, or was not a libvirt lens."""


class ConfSyntaxError(Exception):
    """The configuration file is not what libvirt's parser reads; ``line`` is where it stopped."""

    def __init__(self, message, line=None):
        super(ConfSyntaxError, self).__init__(message if line is None else "line %d: %s" % (line, message))
        self.line = line


class SettingsError(Exception):
    """One or more settings are refused; ``problems`` lists each, naming its key."""

    def __init__(self, problems):
        super(SettingsError, self).__init__("; ".join(problems))
        self.problems = problems


def parse_lens(text):
    """Read the keys a libvirt Augeas lens (``libvirtd.aug``, ``virtqemud.aug``, ``libvirtd_qemu.aug``) declares.

    Returns ``{"keys": {name: kind}, "patterns": {value name: regex}}``; kind is one of
    ENTRY_KINDS' values, or ``unknown:<function>`` for an entry function this module does not
    know. Raises LensError when the text declares no key.
    """
    code = _LENS_COMMENT.sub(" ", text)
    functions = sorted(set(_ENTRY_FUNCTION.findall(code)), key=len, reverse=True)
    if not functions:
        raise LensError("it defines no entry function such as str_entry (kw:string)")
    patterns = dict(DEFAULT_PATTERNS)
    for name, body in _VALUE_DEFINITION.findall(code):
        stored = _STORE.search(body)
        if stored:
            patterns[name] = stored.group(1)
    keys = {}
    for function, key in re.findall(r"\b(%s)\s+\"([^\"\n]+)\"" % "|".join(re.escape(f) for f in functions), code):
        keys.setdefault(key, ENTRY_KINDS.get(function, "unknown:" + function))
    if not keys:
        raise LensError("it declares no key with its entry functions (%s)" % ", ".join(sorted(functions)))
    return {"keys": keys, "patterns": patterns}


def _matches(pattern, text):
    return re.match(r"(?:%s)\Z" % pattern, text) is not None


def _string(key, value, patterns, where=""):
    """A str value as libvirt will read it back, or raise ValueError saying why not."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("%s%s must be a string, not %s %r" % (key, where, type(value).__name__, value))
    text = str(value)
    bad = [c for c in text if c in "\n\r\0"]
    if bad:
        raise ValueError("%s%s holds a %s: libvirt's parser ends a quoted string at a line end (and at NUL)"
                         % (key, where, {"\n": "newline", "\r": "carriage return", "\0": "NUL"}[bad[0]]))
    if '"' in text:
        raise ValueError("%s%s holds a '\"': libvirt's parser has no escape for it (a '\"' ends the string) and its "
                         "Augeas lens reads only \"...\" strings without one" % (key, where))
    if not _matches(patterns["str_val"], text):
        raise ValueError("%s%s %r is not a string libvirt's lens accepts (/%s/)" % (key, where, text, patterns["str_val"]))
    return text


def _integer(key, value, patterns):
    if isinstance(value, bool):
        raise ValueError("%s must be an integer, not the boolean %r" % (key, value))
    if isinstance(value, str) and re.match(r"^[+-]?[0-9]+\Z", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError("%s must be an integer, not %s %r" % (key, type(value).__name__, value))
    if not _INT_MIN <= value <= _INT_MAX or not _matches(patterns["int_val"], str(value)):
        raise ValueError("%s is %d, outside what libvirt's lens accepts for it (/%s/, 64 bits)" % (key, value, patterns["int_val"]))
    return value


def normalize_value(key, kind, value, patterns):
    """The value libvirt will read for ``key`` of ``kind`` given the wanted ``value``.

    bool: true/false, 0/1 or yes/no/on/off become 0 or 1; int: an integer or a string of digits;
    str: a string (an integer is written as its digits); str_list: a list of strings; limits: an
    integer or ``unlimited``. Raises ValueError naming the key when the value cannot be written.
    """
    if kind == "bool":
        word = str(value).strip().lower() if not isinstance(value, bool) else ("1" if value else "0")
        if isinstance(value, (list, dict, float)) or word not in _TRUE + _FALSE:
            raise ValueError("%s must be a boolean (true/false or 0/1), not %r" % (key, value))
        number = 1 if word in _TRUE else 0
        if not _matches(patterns["bool_val"], str(number)):
            raise ValueError("%s: libvirt's lens takes no %d for it (/%s/)" % (key, number, patterns["bool_val"]))
        return number
    if kind == "int":
        return _integer(key, value, patterns)
    if kind == "str":
        return _string(key, value, patterns)
    if kind == "str_list":
        if not isinstance(value, (list, tuple)):
            raise ValueError("%s must be a list of strings, not %s %r" % (key, type(value).__name__, value))
        return [_string(key, item, patterns, "[%d]" % index) for index, item in enumerate(value)]
    if kind == "limits":
        if isinstance(value, str) and _matches(patterns["unlimited_val"], value.strip()):
            return value.strip()
        try:
            return _integer(key, value, patterns)
        except ValueError:
            raise ValueError("%s must be an integer or %r, not %r" % (key, patterns["unlimited_val"], value))
    raise ValueError("%s is declared in libvirt's lens with %s, which this module does not know how to write"
                     % (key, kind.split(":", 1)[-1]))


def render_value(value):
    """A normalized value in virconf's syntax: 1, "text", ["a", "b"]."""
    if isinstance(value, list):
        return "[%s]" % ", ".join(render_value(item) for item in value)
    if isinstance(value, str):
        return '"%s"' % value
    return str(value)


def validate_settings(settings, lens, lens_path):
    """Check each wanted setting against the keys and value patterns of ``lens`` (from parse_lens).

    Returns ``{key: normalized value}`` in the order given; raises SettingsError listing every
    problem: unknown keys with the closest known ones, then values of the wrong type.
    """
    known = lens["keys"]
    problems = []
    unknown = [key for key in settings if not isinstance(key, str) or key not in known]
    for key in (str(key) for key in unknown):
        close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
        if close:
            problems.append("%s is not a key libvirt knows here; did you mean %s? The %d keys are those of %s"
                            % (key, ", ".join(close[:-1]) + " or " + close[-1] if len(close) > 1 else close[0], len(known), lens_path))
        else:
            problems.append("%s is not a key libvirt knows here; the %d keys of %s are: %s"
                            % (key, len(known), lens_path, ", ".join(sorted(known))))
    wanted = {}
    for key, value in settings.items():
        if key in unknown:
            continue
        try:
            wanted[key] = normalize_value(key, known[key], value, lens["patterns"])
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingsError(problems)
    return wanted


class _Parser(object):
    """virconf's grammar (src/util/virconf.c, virConfParse), kept with the offsets of each statement."""

    def __init__(self, text):
        self.text = text
        self.pos = 0

    def error(self, message):
        raise ConfSyntaxError(message, self.text.count("\n", 0, self.pos) + 1)

    def peek(self, ahead=0):
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def skip(self, chars):
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def to_eol(self):
        while self.pos < len(self.text) and self.text[self.pos] not in "\r\n":
            self.pos += 1

    def string(self):
        text = self.text
        if text.startswith('"""', self.pos) and self.pos + 6 < len(text):
            end = text.find('"""', self.pos + 3)
            if end < 0:
                self.error("unterminated string")
            value, self.pos = text[self.pos + 3:end], end + 3
            return value
        quote = self.peek()
        start = self.pos + 1
        self.pos = start
        while self.pos < len(text) and text[self.pos] not in (quote, "\r", "\n"):
            self.pos += 1
        if self.peek() != quote:
            self.error("unterminated string")
        self.pos += 1
        return text[start:self.pos - 1]

    def value(self):
        self.skip(" \t")
        char = self.peek()
        if char in ('"', "'"):
            return self.string()
        if char == "[":
            self.pos += 1
            items = []
            self.skip(" \t\r\n")
            if self.peek() not in ("]", ""):
                items.append(self.value())
                self.skip(" \t\r\n")
            while self.peek() not in ("]", ""):
                if self.peek() != ",":
                    self.error("expecting a separator in list")
                self.pos += 1
                self.skip(" \t\r\n")
                if self.peek() == "]":
                    break
                items.append(self.value())
                self.skip(" \t\r\n")
            if self.peek() != "]":
                self.error("list is not closed with ]")
            self.pos += 1
            return items
        match = re.compile(r"[-+]?[0-9]+").match(self.text, self.pos)
        if char and char in "-+0123456789":
            if not match:
                self.error("unterminated number")
            self.pos = match.end()
            return int(match.group(0))
        self.error("expecting a value")

    def statements(self):
        found = []
        while self.pos < len(self.text):
            self.skip(" \t\r\n")
            if self.pos >= len(self.text):
                break
            if self.peek() == "#":
                self.to_eol()
                continue
            name = re.compile(r"[A-Za-z][A-Za-z0-9_]*").match(self.text, self.pos)
            if not name:
                self.error("expecting a name")
            start = self.pos
            self.pos = name.end()
            self.skip(" \t")
            if self.peek() != "=":
                self.error("expecting an assignment")
            self.pos += 1
            value = self.value()
            found.append({"name": name.group(0), "value": value, "start": start, "end": self.pos})
            self.skip(" \t")
            if self.peek() == "#":
                self.to_eol()
            self.skip(" \t")
            if self.pos >= len(self.text):
                break
            if self.peek() in "\r\n":
                continue
            if self.peek() != ";":
                self.error("expecting a separator")
            self.pos += 1
        return found


def parse_conf(text):
    """The assignments of a virconf file, in order: ``[{"name", "value", "start", "end"}]``.

    ``value`` is an int, a str or a list; ``start``/``end`` are the offsets of ``name = value``
    (without a trailing comment). Raises ConfSyntaxError where libvirt's parser would stop.
    """
    return _Parser(text).statements()


def _whole_lines(text, start, end):
    """The offsets of the lines holding text[start:end], when nothing but blanks and a comment
    shares them; None otherwise."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:start].strip(" \t") or not re.match(r"[ \t]*(#.*)?\r?\Z", text[end:line_end]):
        return None
    return line_start, line_end


def apply_settings(text, wanted):
    """Set each key of ``wanted`` (normalized values) exactly once in the virconf ``text``.

    The first assignment of a key is replaced in place when its value differs (a list spanning
    lines becomes one line); later assignments of the same key, which libvirt ignores, are
    commented out; a key not assigned is appended at the end under MARKER. Comments, including
    the commented defaults, and every other line stay as they are.
    Returns ``(new text, changes)``, changes a list of ``{"key", "action", "before", "after"}``
    with action ``replaced`` or ``appended`` and ``commented`` the duplicate assignments commented out.
    Raises ConfSyntaxError when the text is not virconf or a duplicate shares its line.
    """
    statements = parse_conf(text)
    edits = []
    changes = []
    missing = []
    for key, value in wanted.items():
        mine = [stmt for stmt in statements if stmt["name"] == key]
        if not mine:
            missing.append(key)
            continue
        first, duplicates = mine[0], mine[1:]
        line = "%s = %s" % (key, render_value(value))
        change = {"key": key, "action": "replaced", "before": text[first["start"]:first["end"]], "after": line, "commented": []}
        if first["value"] != value:
            edits.append((first["start"], first["end"], line))
        for stmt in duplicates:
            lines = _whole_lines(text, stmt["start"], stmt["end"])
            if lines is None:
                raise ConfSyntaxError("%s is assigned again on a line it shares with another statement; "
                                      "put it on its own line" % key, text.count("\n", 0, stmt["start"]) + 1)
            old = text[lines[0]:lines[1]]
            edits.append((lines[0], lines[1], "\n".join("#" + part for part in old.split("\n"))))
            change["commented"].append(text[stmt["start"]:stmt["end"]])
        if first["value"] != value or duplicates:
            changes.append(change)
    new = text
    for start, end, replacement in sorted(edits, reverse=True):
        new = new[:start] + replacement + new[end:]
    if missing:
        if new and not new.endswith("\n"):
            new += "\n"
        if not any(line.strip() == MARKER for line in new.splitlines()):
            new += ("\n" if new else "") + MARKER + "\n"
        for key in missing:
            line = "%s = %s" % (key, render_value(wanted[key]))
            new += line + "\n"
            changes.append({"key": key, "action": "appended", "before": None, "after": line, "commented": []})
    _check(new, wanted)
    return new, changes


def _check(text, wanted):
    """Read the result back as libvirt would: each key's first assignment holds the wanted value."""
    values = {}
    for stmt in parse_conf(text):
        values.setdefault(stmt["name"], stmt["value"])
    wrong = [key for key, value in wanted.items() if values.get(key) != value]
    if wrong:
        raise ConfSyntaxError("the edited file would not read back %s as set" % ", ".join(wrong))
