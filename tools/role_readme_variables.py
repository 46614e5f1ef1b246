# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's README variable table, generated from its meta/argument_specs.yml.

The argument spec is the one source for a role's variables (Ansible checks the play against it,
ansible-doc and the docs site show it); the README's table is made from it between two marker
lines, so the two cannot say different things. `make role-docs` writes the tables;
`--check` (tests/unit/roles/test_role_readmes.py) fails when a committed README differs.

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


def render(role_dir, readme_text):
    """The README with its marked section replaced by the generated table."""
    start, end = readme_text.find(BEGIN), readme_text.find(END)
    if start < 0 or end < start:
        raise ValueError("%s/README.md: no %r ... %r section" % (role_dir, BEGIN, END))
    return readme_text[:start + len(BEGIN)] + "\n" + table(role_dir) + "\n" + readme_text[end:]


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
        sys.stderr.write("not what meta/argument_specs.yml gives (run make role-docs): %s\n" % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
