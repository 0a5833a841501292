#!/usr/bin/env python3
"""embed.py: turn a data file into a C source defining a byte array and its length."""
import sys

src, dst, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s by embed.py */\n#include <stddef.h>\n' % src.split('/')[-1])
    out.write('const unsigned char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        out.write(' ' + ''.join('0x%02x,' % b for b in data[i:i + 16]) + '\n')
    out.write('0x00};\nconst size_t %s_len = %d;\n' % (name, len(data)))
