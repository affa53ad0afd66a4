#!/bin/sh
# TID2008 has the layout of TID2013: one converter serves both.
exec python3 "$(dirname "$0")/../tid2013/to_csv.py" "$@"
