#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The translations against the current source tree.  TAP output.
#  - every file of the tree with translatable strings (_(), N_(), C_(), NC_(), g_dngettext(),
#    translatable="yes") is listed in po/POTFILES.in, and every listed file exists;
#  - xgettext extracts the strings without a warning (a format string it cannot read, such as
#    "%" G_GSIZE_FORMAT, is a message no catalogue can ever match);
#  - each language of po/LINGUAS translates every string the sources have now (the .po merged
#    with a fresh .pot: no untranslated, no fuzzy message) and passes msgfmt --check (header,
#    Plural-Forms, c-format directives in the same number, types and order) and
#    --check-accelerators (one mnemonic "_" wherever the English has one).
# Needs xgettext, msgmerge and msgfmt (GNU gettext); skipped without them.
#   usage: test-po.sh SOURCE-ROOT
set -uo pipefail

root=$(realpath "${1:?usage: $0 SOURCE-ROOT}")
po=$root/po
pkg=NetworkManager-uipsec

for tool in xgettext msgmerge msgfmt; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool (GNU gettext) is not installed"
    exit 0
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # DESCRIPTION [DETAILS-FILE]
  n=$((n + 1)) failed=$((failed + 1))
  echo "not ok $n - $1"
  [ -n "${2:-}" ] && sed 's/^/# /' "$2"
}

# The keywords and flags of meson's i18n.gettext(preset: 'glib') plus the args of po/meson.build.
# shellcheck disable=SC2054 # the commas belong to xgettext's keyword specifications
xgettext_args=(--from-code=UTF-8 --add-comments
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format
  --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format --flag=g_print:1:c-format
  --flag=g_printerr:1:c-format --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format
  --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format
  --flag=g_prefix_error:2:c-format)

# ---- POTFILES.in: complete, and nothing in it that is not there
grep -v -e '^#' -e '^[[:space:]]*$' "$po/POTFILES.in" | sort >"$tmp/listed"

: >"$tmp/problems"
while read -r f; do
  [ -f "$root/$f" ] || echo "$f is listed but does not exist" >>"$tmp/problems"
done <"$tmp/listed"
if [ -s "$tmp/problems" ]; then not_ok "every file in POTFILES.in exists" "$tmp/problems"
else ok "every file in POTFILES.in exists"; fi

# Candidates by a cheap grep over the sources (not the build trees, tests or fuzzers, whose
# strings are not shown to users), then xgettext decides: a file counts when it yields a message
# (so a comment that merely mentions N_() does not).
: >"$tmp/missing"
(cd "$root" && find src auth-dialog properties data -type f 2>/dev/null) |
  grep -E '\.(c|h|ui|xml|in)$' | sort -u >"$tmp/files"
while read -r f; do
  [ -f "$root/$f" ] || continue
  grep -qE '(^|[^A-Za-z0-9_])(N?C?_|g_dn?c?gettext|g_dpgettext2?)\(|translatable="yes"' \
    "$root/$f" || continue
  grep -qxF "$f" "$tmp/listed" && continue
  if (cd "$root" && xgettext "${xgettext_args[@]}" -o "$tmp/one.pot" "$f" 2>/dev/null) &&
    [ -s "$tmp/one.pot" ]; then
    echo "$f has translatable strings but is not in po/POTFILES.in" >>"$tmp/missing"
  fi
  rm -f "$tmp/one.pot"
done <"$tmp/files"
if [ -s "$tmp/missing" ]; then
  not_ok "POTFILES.in lists every file with translatable strings" "$tmp/missing"
else ok "POTFILES.in lists every file with translatable strings"; fi

# msgids ATTRIBUTE-OPTION PO-FILE: the msgids of the messages msgattrib selects, header left out
msgids() {
  msgattrib "$1" --no-obsolete --no-wrap "$2" 2>/dev/null | grep '^msgid ' | grep -vxF 'msgid ""'
}

# ---- a fresh .pot from the current sources
if (cd "$root" && xgettext "${xgettext_args[@]}" --package-name=$pkg -f po/POTFILES.in \
  -o "$tmp/$pkg.pot") 2>"$tmp/xgettext.err" && ! grep -q . "$tmp/xgettext.err"; then
  ok "xgettext extracts the strings without warnings"
else
  not_ok "xgettext extracts the strings without warnings" "$tmp/xgettext.err"
fi
[ -f "$tmp/$pkg.pot" ] || { echo "1..$n"; exit 1; }
total=$(msgfmt --statistics -o /dev/null "$tmp/$pkg.pot" 2>&1 | grep -oE '[0-9]+ untranslated' |
  grep -oE '[0-9]+')

# ---- each language
langs=$(grep -v -e '^#' "$po/LINGUAS" | tr -s ' \t' '\n' | grep .)
[ -n "$langs" ] || not_ok "po/LINGUAS names at least one language"
for lang in $langs; do
  file=$po/$lang.po
  if [ ! -f "$file" ]; then not_ok "$lang: $lang.po exists"; continue; fi

  if msgfmt --check --check-accelerators=_ -o /dev/null "$file" 2>"$tmp/err"; then
    ok "$lang: msgfmt --check --check-accelerators"
  else not_ok "$lang: msgfmt --check --check-accelerators" "$tmp/err"; fi

  # Merged with the fresh .pot: what the sources have now, translated by this .po.
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$file" "$tmp/$pkg.pot" 2>"$tmp/err"
  stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  if [[ $stats =~ ^([0-9]+)\ translated\ messages?\.$ ]] &&
    [ "${BASH_REMATCH[1]}" = "$total" ]; then
    ok "$lang: all $total messages of the sources translated"
  else
    {
      echo "$stats (the sources have $total)"
      echo "untranslated:"
      msgids --untranslated "$tmp/$lang.po"
      echo "fuzzy:"
      msgids --only-fuzzy "$tmp/$lang.po"
    } >"$tmp/err"
    echo "update the .po files: ninja -C BUILD $pkg-update-po, then translate" >>"$tmp/err"
    not_ok "$lang: all $total messages of the sources translated" "$tmp/err"
  fi

  # The file as committed, not just after merging: no fuzzy entry, the right Language.
  msgids --only-fuzzy "$file" >"$tmp/err"
  if [ -s "$tmp/err" ]; then not_ok "$lang: no fuzzy messages in $lang.po" "$tmp/err"
  else ok "$lang: no fuzzy messages in $lang.po"; fi
  if grep -qxF "\"Language: $lang\\n\"" "$file"; then ok "$lang: Language header"
  else not_ok "$lang: Language header is \"$lang\""; fi
done

echo "1..$n"
[ "$failed" = 0 ]
