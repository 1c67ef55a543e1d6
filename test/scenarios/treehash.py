"""Glacier SHA-256 tree hash of a file, computed independently of any AWS library.

Usage: python3 treehash.py FILE  -> prints the hex tree hash.
"""
import hashlib
import sys

MIB = 1024 * 1024


def tree_hash(data: bytes) -> str:
    level = [hashlib.sha256(data[i:i + MIB]).digest() for i in range(0, len(data), MIB)]
    if not level:
        level = [hashlib.sha256(b'').digest()]
    while len(level) > 1:
        pairs = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            pairs.append(level[-1])  # an odd node is carried up unchanged
        level = pairs
    return level[0].hex()


if __name__ == '__main__':
    with open(sys.argv[1], 'rb') as f:
        print(tree_hash(f.read()))
