#!/usr/bin/env python3
"""Builds docs/lua.md, the reference of the Lua surface, from the `---` blocks of Stdlib/.

A block opens with a line `---` and goes on with `--` lines; the code line after it names what
it documents (`function a.b(x)`, `function A:b(x)`, `local function f(x)`, or anything with
`@name`). Tags, in the manner of nmap's nselib: `@module NAME` (the file's first block),
`@param NAME TEXT`, `@return TEXT`, `@usage` (code lines up to the next tag), `@field NAME TEXT`
(a module's table shape) and `@name TEXT` (a heading other than the code line's).

    python3 tools/luadoc.py            writes docs/lua.md
    python3 tools/luadoc.py --check    fails when docs/lua.md is stale or a public function of a
                                       documented module lacks a block, a @param or a @usage
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
STDLIB = ROOT / "Stdlib"
OUTPUT = ROOT / "docs" / "lua.md"
# The prelude, its modules in reading order, then the cookbooks; any other documented file follows.
ORDER = ["prelude.lua", "recipe/cluster.lua", "recipe/layer.lua", "recipe/instance.lua", "recipe/volume.lua", "recipe/address.lua",
         "recipe/command.lua", "recipe/log.lua", "recipe/template.lua", "recipe/secret.lua", "recipe/hooks.lua", "recipe/event.lua",
         "heal/heal.lua", "autoscale/autoscale.lua", "backup/backup.lua", "haproxy/haproxy.lua"]

FUNCTION = re.compile(r"^(?:local\s+)?function\s+([\w.:]+)\s*\(([^)]*)\)")


class Block:
    def __init__(self, line):
        self.line = line          # where the block opens, 1-based
        self.text = []            # description lines
        self.tags = []            # [tag, name, text] in order
        self.code = ""            # the documented line

    def tag(self, name):
        return next((t for t in self.tags if t[0] == name), None)

    def all(self, name):
        return [t for t in self.tags if t[0] == name]


def comment_text(line):
    """The text of a `--` line: without the dashes and the one space after them."""
    text = line.strip()[2:]
    return text[1:] if text.startswith(" ") else text


def blocks(source):
    """Every --- block of a file, with the code line that follows it."""
    lines = source.splitlines()
    found, i = [], 0
    while i < len(lines):
        if lines[i].strip() != "---" and not lines[i].startswith("--- "):
            i += 1
            continue
        block = Block(i + 1)
        first = lines[i].strip()[3:].strip()
        body = [first] if first else []
        i += 1
        while i < len(lines) and lines[i].strip().startswith("--") and not lines[i].strip().startswith("---"):
            body.append(comment_text(lines[i]))
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        block.code = lines[i].strip() if i < len(lines) else ""
        current = None
        for text in body:
            match = re.match(r"^@(\w+)\s*(.*)$", text)
            if match:
                tag, rest = match.groups()
                if tag in ("param", "field"):
                    name, _, rest = rest.partition(" ")
                    current = [tag, name, rest.strip()]
                else:
                    current = [tag, "", rest.strip()]
                block.tags.append(current)
            elif current is None:
                block.text.append(text)
            elif current[0] == "usage":
                current[2] += ("\n" if current[2] else "") + text
            else:
                current[2] += " " + text.strip()
        found.append(block)
    return found


def signature(block):
    """The heading of a function's entry: its call as a recipe writes it."""
    named = block.tag("name")
    match = FUNCTION.match(block.code)
    params = [p.strip() for p in match.group(2).split(",")] if match else [t[1] for t in block.all("param")]
    if named:
        if "(" in named[2] or " " in named[2]:
            return named[2]
        return f"{named[2]}({', '.join(p for p in params if p)})"
    if match:
        return f"{match.group(1)}({', '.join(p for p in params if p)})"
    return block.code


def description(lines):
    """Markdown for description lines: paragraphs and lists as they are; lines indented by two spaces
    after a blank line are Lua code."""
    out, code = [], False
    for text in lines:
        indented = text.startswith("  ") and bool(text.strip())
        if indented and not code and (not out or out[-1] == ""):
            out += ["", "```lua"]
            code = True
        elif code and text.strip() and not text.startswith("  "):
            while out[-1] == "":
                out.pop()
            out += ["```", ""]
            code = False
        out.append(text[2:] if code else text)
    if code:
        while out[-1] == "":
            out.pop()
        out.append("```")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def entry(block):
    parts = [f"### `{signature(block)}`", "", description(block.text)]
    params = block.all("param")
    if params:
        parts += ["", "Parameters:", ""] + [f"- `{name}`: {text}" for _, name, text in params]
    returns = block.tag("return")
    if returns:
        parts += ["", f"Returns {returns[2]}"]
    usage = block.tag("usage")
    if usage:
        parts += ["", "```lua", usage[2].strip("\n"), "```"]
    return "\n".join(parts)


def module(path, found):
    head = found[0]
    name = head.tag("module")[2]
    parts = [f"## {name}", "", f"`Stdlib/{path}`", "", description(head.text)]
    fields = head.all("field")
    if fields:
        parts += ["", "| name | what it is |", "| --- | --- |"] + [f"| `{n}` | {t} |" for _, n, t in fields]
    return name, "\n".join(parts + [""] + [entry(b) + "\n" for b in found[1:]])


def documented_files():
    files = [p for p in ORDER if (STDLIB / p).exists()]
    others = sorted(str(p.relative_to(STDLIB)) for p in STDLIB.rglob("*.lua"))
    return files + [p for p in others if p not in files]


def problems(path, source, found):
    """Public functions of a documented module that lack a block, a @param or a @usage."""
    wrong = []
    documented = {b.code for b in found}
    for number, line in enumerate(source.splitlines(), 1):
        match = FUNCTION.match(line.strip())
        if not match or line.strip().startswith("local") or ":__" in match.group(1):
            continue
        if line.strip() not in documented:
            wrong.append(f"Stdlib/{path}:{number}: {match.group(1)} has no --- block")
    for block in found[1:]:
        match = FUNCTION.match(block.code)
        names = {t[1] for t in block.all("param")}
        for param in (p.strip() for p in match.group(2).split(",")) if match else []:
            if param and param not in names:
                wrong.append(f"Stdlib/{path}:{block.line}: {signature(block)} has no @param {param}")
        if not block.tag("usage"):
            wrong.append(f"Stdlib/{path}:{block.line}: {signature(block)} has no @usage")
    return wrong


def build():
    sections, names, wrong = [], [], []
    for path in documented_files():
        source = (STDLIB / path).read_text()
        found = blocks(source)
        if not found or not found[0].tag("module"):
            continue
        wrong += problems(path, source, found)
        name, text = module(path, found)
        names.append(name)
        sections.append(text)
    contents = " · ".join(f"[{n}](#{n.replace(' ', '-')})" for n in names)
    page = "\n".join([
        "# The Lua surface",
        "",
        "The globals a recipe can use and the Stdlib cookbooks it can `require`. Generated by",
        "`tools/luadoc.py` (`make docs`) from the `---` blocks of `Stdlib/`: edit those, not this page.",
        "",
        contents,
        "",
    ] + sections)
    return page.rstrip("\n") + "\n", wrong


def main():
    page, wrong = build()
    for problem in wrong:
        print(problem, file=sys.stderr)
    if "--check" in sys.argv[1:]:
        if not OUTPUT.exists() or OUTPUT.read_text() != page:
            print("docs/lua.md is stale: run `make docs` and commit it", file=sys.stderr)
            return 1
        return 1 if wrong else 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(page)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
