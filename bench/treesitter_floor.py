"""Parses every .bicep and .bicepparam file under the given folders with
tree-sitter-bicep (PyPI: tree-sitter, tree-sitter-bicep) and nothing more:
the comparison issue #20 asks for ("the whole check no slower than
tree-sitter-bicep's parse of the same files alone"). The files are split
over one worker process per core, as plinth uses every core; reading is
included, as it is in plinth's time. Prints the file count and how many
trees hold a syntax error on stderr.

    python bench/treesitter_floor.py FOLDER...
"""

import os
import sys
from multiprocessing import Pool


def parse_all(paths):
    import tree_sitter
    import tree_sitter_bicep

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))
    errors = 0
    for path in paths:
        with open(path, "rb") as f:
            errors += parser.parse(f.read()).root_node.has_error
    return errors


def main():
    paths = [
        os.path.join(folder, name)
        for root in sys.argv[1:]
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith((".bicep", ".bicepparam"))
    ]
    workers = os.cpu_count() or 1
    shares = [paths[i::workers] for i in range(workers)]
    with Pool(workers) as pool:
        errors = sum(pool.map(parse_all, shares))
    print(f"{len(paths)} files, {errors} with a syntax error", file=sys.stderr)


if __name__ == "__main__":
    main()
