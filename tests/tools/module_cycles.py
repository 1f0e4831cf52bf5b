#!/usr/bin/env python3
"""Import circles between the modules of each crate.

A module A depends on B when A's file names a path into B (`use crate::b::…`,
`super::b::…`, `crate::b::f()`), and neither is the other's ancestor (a parent
declaring a child, and the child using its parent's items, is Rust's layout, not a
circle). Prints every strongly connected group of two or more modules and exits 1 if
there is one.

    tests/tools/module_cycles.py [crates-dir]
"""
import os
import re
import sys

WORD = r"[A-Za-z_][A-Za-z0-9_]*"


def module_files(src):
    """{module path tuple: file} for a crate's src folder."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            mods[tuple(parts)] = os.path.join(root, f)
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def expand_use(tree):
    """'crate::{a, b::{c, d}}' -> ['crate::a', 'crate::b::c', 'crate::b::d']."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, s):
        i = s.find("{")
        if i < 0:
            out.append(prefix + s)
            return
        head, body = s[:i], s[i + 1 : s.rfind("}")]
        depth, start = 0, 0
        for j, ch in enumerate(body + ","):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                part = body[start:j]
                if part:
                    walk(prefix + head, part)
                start = j + 1

    walk("", tree)
    return out


def references(text):
    text = strip_comments(text)
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand_use(m.group(1)))
    text = re.sub(r"\buse\s+[^;]+;", "", text)
    paths.extend(re.findall(rf"\b(?:crate|super|self)(?:::{WORD})+", text))
    return paths


def resolve(path, here, mods):
    parts = path.split("::")
    if parts[0] == "crate":
        base, rest = (), parts[1:]
    else:
        base = here
        rest = parts
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    target = base
    for p in rest:
        if target + (p,) in mods:
            target = target + (p,)
        else:
            break
    return target


def is_ancestor(a, b):
    return len(a) <= len(b) and b[: len(a)] == a


def cycles(graph):
    index, low, stack, on, groups = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in list(graph):
        if v not in index:
            strong(v)
    return groups


def main():
    crates = sys.argv[1] if len(sys.argv) > 1 else "crates"
    found = 0
    for crate in sorted(os.listdir(crates)):
        src = os.path.join(crates, crate, "src")
        if not os.path.isdir(src):
            continue
        mods = module_files(src)
        graph = {}
        for here, file in mods.items():
            with open(file, encoding="utf-8") as f:
                text = f.read()
            for path in references(text):
                there = resolve(path, here, mods)
                if there != here and not is_ancestor(there, here) and not is_ancestor(here, there):
                    graph.setdefault(here, set()).add(there)
        for group in cycles(graph):
            found += 1
            print(f"{crate}: " + " <-> ".join("::".join(m) or "(root)" for m in group))
    if found:
        print(f"{found} import circle(s)")
        return 1
    print("no import circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
