#!/usr/bin/env bash
# The address other machines on this network reach us at (the source address of the default route).
addr=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
echo "${addr:-127.0.0.1}"
