"""Where the site's wasm bytes are: its code section by part (a backend, the UI, the models' crates).

    python3 scripts/wasm_sizes.py [target/wasm32-unknown-unknown/release/open-model-lab.wasm]

Reads the wasm that cargo links (before wasm-bindgen and wasm-opt, which drop the names), sums
each function body by the crate its name begins with (names demangled by binutils' c++filt) and
prints one row per part of ARCHITECTURE.md's table. Generic code counts to the crate it is
instantiated from, so the shares are approximate: they say which part a split would move.
"""

import collections
import re
import subprocess
import sys

DEFAULT = "target/wasm32-unknown-unknown/release/open-model-lab.wasm"

# Each part: the crate-name prefixes that belong to it, first match wins.
PARTS = [
    ("WebGPU: cubecl, cubek, pliron, burn-cubecl, wgpu", ["cubecl", "cubek", "pliron", "burn_cubecl", "wgpu", "naga", "rustc_apfloat"]),
    ("flex: burn-flex, gemm", ["burn_flex", "gemm", "macerator", "pulp"]),
    ("ndarray: burn-ndarray, ndarray, matrixmultiply", ["burn_ndarray", "ndarray", "matrixmultiply"]),
    ("burn's own: tensor, autodiff, nn, optim, dispatch", ["burn_"]),
    ("the UI: leptos, tachys, reactive_graph, web-sys, js-sys", ["leptos", "tachys", "reactive_graph", "web_sys", "js_sys", "wasm_bindgen", "send_wrapper", "any_spawner", "__wbindgen"]),
    ("text: tokenizers, regex, fancy-regex", ["tokenizers", "regex", "fancy_regex", "aho_corasick", "unicode", "esaxx", "spm_precompiled", "monostate"]),
    ("images: image, png, zune-jpeg, image-webp", ["image", "png", "zune", "jpeg", "gif", "fdeflate", "miniz", "weezl"]),
    ("audio: rustfft", ["rustfft", "realfft", "primal", "strength_reduce", "transpose"]),
    ("lab-core's models", ["lab_core"]),
    ("the web crate's own code", ["open_model_lab"]),
]
OTHER = "core, alloc, serde, hashbrown and the like"


def leb(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def sections(data):
    """(id or custom name) -> (start, end) of each section's contents."""
    found, at = {}, 8
    while at < len(data):
        kind = data[at]
        size, at = leb(data, at + 1)
        if kind == 0:
            length, name_at = leb(data, at)
            found[data[name_at : name_at + length].decode()] = (name_at + length, at + size)
        else:
            found[kind] = (at, at + size)
        at += size
    return found


def imported_functions(data, start):
    count, at = leb(data, start)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            length, at = leb(data, at)
            at += length
        kind = data[at]
        at += 1
        if kind == 0:  # function: type index
            _, at = leb(data, at)
            functions += 1
        elif kind == 1:  # table: element type, limits
            flags = data[at + 1]
            _, at = leb(data, at + 2)
            if flags & 1:
                _, at = leb(data, at)
        elif kind == 2:  # memory: limits
            flags = data[at]
            _, at = leb(data, at + 1)
            if flags & 1:
                _, at = leb(data, at)
        elif kind == 3:  # global: type, mutability
            at += 2
    return functions


def main():
    data = open(sys.argv[1] if len(sys.argv) > 1 else DEFAULT, "rb").read()
    found = sections(data)
    if "name" not in found:
        sys.exit("this wasm has no name section: give the one cargo links, not dist/'s")
    imports = imported_functions(data, found[2][0]) if 2 in found else 0
    count, at = leb(data, found[10][0])
    sizes = []
    for _ in range(count):
        size, body = leb(data, at)
        sizes.append(size + body - at)
        at = body + size
    names = {}
    at, end = found["name"]
    while at < end:
        sub = data[at]
        size, at = leb(data, at + 1)
        if sub == 1:  # function names
            entries, entry = leb(data, at)
            for _ in range(entries):
                index, entry = leb(data, entry)
                length, entry = leb(data, entry)
                names[index] = data[entry : entry + length].decode("utf8", "replace")
                entry += length
        at += size
    mangled = [names.get(imports + i, "") for i in range(len(sizes))]
    demangled = subprocess.run(["c++filt"], input="\n".join(mangled), capture_output=True, text=True, check=True).stdout.split("\n")
    totals = collections.Counter()
    for name, size in zip(demangled, sizes):
        crate = re.search(r"([a-z_][a-z0-9_]*)::", name.replace("$LT$", "<"))
        crate = crate.group(1) if crate else ""
        part = next((label for label, prefixes in PARTS if any(crate.startswith(p) for p in prefixes)), OTHER)
        totals[part] += size
    total = sum(sizes)
    print(f"code section: {total / 1e6:.2f} MB in {len(sizes)} functions")
    for part, size in totals.most_common():
        print(f"| {part} | {size / 1e6:.2f} | {100 * size / total:.0f}% |")


if __name__ == "__main__":
    main()
