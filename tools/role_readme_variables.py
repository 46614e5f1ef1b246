# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's README variable table, generated from its meta/argument_specs.yml.

The argument spec is the one source for a role's variables (Ansible checks the play against it,
ansible-doc and the docs site show it); the README's table is made from it between two marker
lines, so the two cannot say different things. A role with a table of supported systems
(vars/os_support.yml, the list its refusal quotes) gets that list the same way, between its own
marker lines. `make role-docs` writes them; `--check` (tests/unit/roles/test_role_readmes.py)
fails when a committed README differs.

Usage: python tools/role_readme_variables.py [--check] [ROLE_DIR ...]   (default: every roles/*/)
"""

import pathlib
import sys

import yaml
from antsibull_docs_parser import dom
from antsibull_docs_parser.parser import Context, parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN variables: generated from meta/argument_specs.yml by `make role-docs`; do not edit -->"
END = "<!-- END variables -->"
SUPPORTED_BEGIN = "<!-- BEGIN supported: generated from vars/os_support.yml by `make role-docs`; do not edit -->"
SUPPORTED_END = "<!-- END supported -->"
CHECKED = {"vm": "run on VMs (the molecule scenarios)", "packaging": "packaging (the distribution matrix test)"}


def _code(text):
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def _part(part):
    kind = part.type
    if kind in (dom.PartType.TEXT,):
        return part.text
    if kind == dom.PartType.ITALIC:
        return "*%s*" % part.text
    if kind == dom.PartType.BOLD:
        return "**%s**" % part.text
    if kind in (dom.PartType.CODE,):
        return _code(part.text)
    if kind == dom.PartType.OPTION_VALUE:
        return _code(part.value)
    if kind == dom.PartType.ENV_VARIABLE:
        return _code(part.name)
    if kind in (dom.PartType.OPTION_NAME, dom.PartType.RETURN_VALUE):
        return _code(part.name if part.value is None else "%s=%s" % (part.name, part.value))
    if kind == dom.PartType.MODULE:
        return _code(part.fqcn)
    if kind == dom.PartType.PLUGIN:
        return _code(part.plugin.fqcn)
    if kind == dom.PartType.URL:
        return "<%s>" % part.url
    if kind == dom.PartType.LINK:
        return "[%s](%s)" % (part.text, part.url)
    if kind == dom.PartType.RST_REF:
        return part.text
    if kind == dom.PartType.HORIZONTAL_LINE:
        return " "
    raise ValueError("cannot render %r" % (part,))


def markdown(text, role):
    """Ansible doc markup (C(), V(), O(), M(), ...) as one line of Markdown for a table cell."""
    context = Context(current_plugin=dom.PluginIdentifier(fqcn="hypervisor.kvm." + role, type="role"),
                      role_entrypoint="main")
    paragraphs = parse(text if isinstance(text, list) else [text], context, errors="exception", strict=True)
    line = " ".join("".join(_part(part) for part in paragraph) for paragraph in paragraphs)
    return " ".join(line.split()).replace("|", "\\|")


def _default(spec):
    if "default" not in spec:
        return "`null`"
    return _code(yaml.safe_dump(spec["default"], default_flow_style=True, width=1000).strip().removesuffix("\n...").strip())


def _type(spec):
    kind = spec.get("type", "str")
    if kind == "list" and "elements" in spec:
        kind = "list of %s" % spec["elements"]
    if "choices" in spec:
        kind += ": " + ", ".join(_code(str(choice)) for choice in spec["choices"])
    return kind


def table(role_dir):
    """The Markdown table of the main entry point's options, in the argument spec's order."""
    spec = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, option in spec["options"].items():
        meaning = markdown(option.get("description", []), role_dir.name)
        if option.get("required"):
            meaning = "Required. " + meaning
        if option.get("options"):
            meaning += " Keys: %s." % ", ".join(_code(key) for key in option["options"])
        default = "required" if option.get("required") else _default(option)
        rows.append("| `%s` | %s | %s | %s |" % (name, _type(option), default, meaning))
    return "\n".join(rows)


def supported(role_dir):
    """The Markdown table of the systems vars/os_support.yml accepts, in its order; None without one."""
    path = role_dir / "vars" / "os_support.yml"
    if not path.exists():
        return None
    rows = ["| system | checked |", "|---|---|"]
    for row in next(iter(yaml.safe_load(path.read_text()).values())):
        rows.append("| %s | %s |" % (row["label"], CHECKED[row["checked"]]))
    return "\n".join(rows)


def _replace(role_dir, text, begin, end, body):
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError("%s/README.md: no %r ... %r section" % (role_dir, begin, end))
    return text[:start + len(begin)] + "\n" + body + "\n" + text[stop:]


def render(role_dir, readme_text):
    """The README with its marked sections replaced by the generated tables."""
    text = _replace(role_dir, readme_text, BEGIN, END, table(role_dir))
    systems = supported(role_dir)
    if systems is not None:
        text = _replace(role_dir, text, SUPPORTED_BEGIN, SUPPORTED_END, systems)
    return text


def main(argv):
    check = "--check" in argv
    dirs = [pathlib.Path(arg) for arg in argv if arg != "--check"] or sorted(p.parent for p in ROOT.glob("roles/*/README.md"))
    stale = []
    for role_dir in dirs:
        readme = role_dir / "README.md"
        old = readme.read_text()
        new = render(role_dir, old)
        if new != old:
            if check:
                stale.append(str(readme))
            else:
                readme.write_text(new)
    if stale:
        sys.stderr.write("not what meta/argument_specs.yml and vars/os_support.yml give (run make role-docs): %s\n"
                         % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
