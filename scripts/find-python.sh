#!/usr/bin/env bash
# Prints the path of a Python 3.12+ interpreter (Django 6 needs it), or fails clearly.
# Order: python3.13, python3.12, python3, then pyenv's versions (the bare pyenv shims
# may exist on PATH yet fail, so every candidate is actually run).
set -u
candidates=(python3.13 python3.12 python3)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for dir in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
    for exe in "$dir"/bin/python3.*[0-9]; do [ -x "$exe" ] && candidates+=("$exe"); done
  done
fi
for dir in $(ls -d "$HOME"/.pyenv/versions/3.* 2>/dev/null | sort -rV); do
  for exe in "$dir"/bin/python3.*[0-9]; do [ -x "$exe" ] && candidates+=("$exe"); done
done
for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "Aucun interpréteur Python 3.12 ou plus récent trouvé (Django 6 l'exige)." >&2
echo "Installez-en un (par ex. « pyenv install 3.12 ») puis relancez." >&2
exit 1
